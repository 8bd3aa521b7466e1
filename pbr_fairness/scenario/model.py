"""The scenario file's model: everything a user sets, as one validated document.

A scenario holds the state of every page of the app: the contract being designed (a preset,
a file or a proposal, with the fees edited), the provider, the baseline, the user's own saved
variants and what is compared, the chart shown; the fairer-tariff search's settings; the
distance-model and audit pages' options. It is pydantic with ``extra="forbid"`` throughout,
so that a typing mistake in a file is an error naming the key, never silently ignored.

Only what differs from the defaults needs to be written: an empty file is the default
scenario (the Work Programme 2011 preset and the default provider).
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pbr_fairness.contracts import ContractSpec
from pbr_fairness.contracts.editing import InstrumentEdits

__all__ = [
    "DEFAULT_PRESET",
    "DEFAULT_RESPONSE",
    "MAX_COMPARED",
    "MAX_SAVED",
    "RESPONSES",
    "SCENARIO_KIND",
    "SEARCH_FAMILIES",
    "SEARCH_PEOPLE",
    "VIEWS",
    "AuditState",
    "ContractChoice",
    "DesignerState",
    "DistanceState",
    "InstrumentSearchState",
    "Scenario",
    "TariffEdit",
    "TariffState",
    "Variant",
]

#: The ``kind`` every scenario file carries (tells it from a contract file).
SCENARIO_KIND: Literal["pbr-fairness scenario"] = "pbr-fairness scenario"
#: The preset a new scenario starts from.
DEFAULT_PRESET = "work_programme_2011"
#: Most saved variants a scenario holds.
MAX_SAVED = 3
#: Most scenarios compared with the current one (three of the user's own side by side).
MAX_COMPARED = 2
#: The designer's views, by key: what each shows.
VIEWS: dict[str, str] = {
    "hours": "Hours by distance",
    "parked": "Parked by group",
    "outcomes": "Outcomes by group",
    "gaps": "Gaps by characteristic",
    "side_by_side": "Side by side",
}
View = Literal["hours", "parked", "outcomes", "gaps", "side_by_side"]
#: The instrument search's families (``pbr_fairness.tariffs.instrument_designs.FAMILIES``,
#: named here so that a scenario loads without the optimiser; a test checks they agree).
SearchFamily = Literal[
    "value_added", "accelerator", "yardstick", "cost_sharing", "funded_hours", "assessment"
]
SEARCH_FAMILIES: tuple[SearchFamily, ...] = get_args(SearchFamily)
#: The synthetic generator's response scenarios (``RESPONSE_SCENARIOS`` of
#: ``pbr_fairness.caseload.generator``, named here as a type; a test checks they agree): the
#: world the designer tests contracts in.
Response = Literal["evidence", "gain_falls", "gain_rises"]
RESPONSES: tuple[Response, ...] = get_args(Response)
#: The response scenario of the default caseload and of the shipped calibration.
DEFAULT_RESPONSE: Response = "evidence"
#: People the fairer-tariff page's instrument search runs on by default (a random sample of
#: the caseload: all families take about 7 seconds on 20,000 people).
SEARCH_PEOPLE = 20_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TariffEdit(_Strict):
    """Changed numbers of one tariff row (only those given change)."""

    attachment_fee: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    job_outcome_fee: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    trigger_weeks: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    sustainment_fee: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    max_sustainment_payments: int | None = Field(default=None, ge=0)


class ContractChoice(_Strict):
    """Which contract: a shipped preset or a whole contract, with some fees edited.

    Attributes
    ----------
    preset : str or None
        Name of a shipped preset (``None`` when ``spec`` is given).
    spec : ContractSpec or None
        A whole contract (one the user uploaded, or the fairer tariff's proposal).
    origin : {"preset", "file", "proposal"}
        Where the contract came from (what the designer's "Start from" shows).
    file_name : str or None
        The uploaded file's name, when ``origin`` is ``"file"``.
    edits : dict of str to TariffEdit
        Fees changed in the tariff table, by tariff key (payment group or band label).
    instruments : InstrumentEdits or None
        The contract's instruments as set in the designer (``None``: the contract's own).
    """

    preset: str | None = DEFAULT_PRESET
    spec: ContractSpec | None = None
    origin: Literal["preset", "file", "proposal"] = "preset"
    file_name: str | None = Field(default=None, max_length=200)
    edits: dict[str, TariffEdit] = Field(default_factory=dict)
    instruments: InstrumentEdits | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_preset_with_spec(cls, data: object) -> object:
        # A file or proposal names no preset: the default preset does not apply to it.
        if isinstance(data, dict) and data.get("origin", "preset") != "preset":
            data = {"preset": None, **data}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> ContractChoice:
        if self.spec is None and self.preset is None:
            raise ValueError("needs a 'preset' name or a whole contract under 'spec'")
        if self.spec is not None and self.preset is not None and self.origin != "preset":
            raise ValueError("give either 'preset' or 'spec', not both")
        if self.origin == "preset" and self.preset is None:
            raise ValueError("origin 'preset' needs a 'preset' name")
        if self.origin != "preset" and self.spec is None:
            raise ValueError(f"origin {self.origin!r} needs the contract under 'spec'")
        return self


class Variant(_Strict):
    """One scenario of the designer: a contract, a provider and what the provider knows.

    Attributes
    ----------
    name : str
        How the variant is called in comparisons.
    contract : ContractChoice
    provider : dict of str to float
        Provider settings that differ from the defaults (keys of
        :class:`~pbr_fairness.simulation.ProviderSettings`).
    provider_knows : {"truth", "model"}
        What the provider knows of each person's chances.
    """

    name: str = Field(default="This scenario", min_length=1, max_length=60)
    contract: ContractChoice = Field(default_factory=ContractChoice)
    provider: dict[str, float] = Field(default_factory=dict)
    provider_knows: Literal["truth", "model"] = "truth"

    @field_validator("name")
    @classmethod
    def _clean_name(cls, value: str) -> str:
        text = " ".join(value.split())
        if not text:
            raise ValueError("a name cannot be blank")
        return text


class DesignerState(_Strict):
    """The contract designer: its world, current variant, baseline, saved variants and view.

    ``response`` is the response scenario every designer run is simulated in (the current
    variant, the baseline and those compared alike).
    """

    response: Response = DEFAULT_RESPONSE
    current: Variant = Field(default_factory=Variant)
    baseline: str = DEFAULT_PRESET
    saved: tuple[Variant, ...] = Field(default=(), max_length=MAX_SAVED)
    compare: tuple[str, ...] = Field(default=(), max_length=MAX_COMPARED)
    view: View = "hours"

    @model_validator(mode="after")
    def _names(self) -> DesignerState:
        names = [v.name for v in self.saved]
        if len(set(names)) != len(names):
            raise ValueError("saved variants need different names")
        return self


class InstrumentSearchState(_Strict):
    """The fairer-tariff page's search over instrument families.

    Attributes
    ----------
    families : tuple of str
        The families a proposal may use (default: every one).
    provider_knows : {"truth", "model", "posterior"}
        What the provider knows of each person's chances.
    min_margin_percent : float or None
        The provider margin a proposal must keep, in per cent; ``None``: the baseline's.
    robust : bool
        Rank proposals on their worst case over the robustness checks.
    people : int
        People of the caseload the search runs on (a random sample when fewer).
    run : bool
        Whether the user asked for the search.
    """

    families: tuple[SearchFamily, ...] = Field(default=SEARCH_FAMILIES, min_length=1)
    provider_knows: Literal["truth", "model", "posterior"] = "truth"
    min_margin_percent: float | None = Field(default=None, gt=-100, lt=100,
                                             allow_inf_nan=False)
    robust: bool = False
    people: int = Field(default=SEARCH_PEOPLE, ge=1_000, le=200_000)
    run: bool = False

    @field_validator("families")
    @classmethod
    def _in_order(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(f for f in SEARCH_FAMILIES if f in value)


class TariffState(_Strict):
    """The fairer-tariff search's settings (and whether the user asked for it).

    ``search`` says what a proposal may change: the fees per outcome (``"fees"``, on
    ``basis``) or instruments beyond them (``"instruments"``, set by ``instruments``).
    """

    baseline: str = DEFAULT_PRESET
    basis: Literal["payment_group", "distance_band", "smooth"] = "distance_band"
    objective: Literal["planner_gap", "equity_weighted_jobs"] = "planner_gap"
    provider_knows: Literal["truth", "model"] = "model"
    budget_percent: int = Field(default=100, ge=70, le=130)
    min_profit: float = Field(default=0.0, allow_inf_nan=False)
    max_parked_percent: int = Field(default=5, ge=0, le=50)
    monotone: bool = False
    max_fee_ratio: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)
    search: Literal["fees", "instruments"] = "fees"
    instruments: InstrumentSearchState = Field(default_factory=InstrumentSearchState)
    run: bool = False


class DistanceState(_Strict):
    """The distance-model page: how calibration is grouped and which person is explained."""

    by: Literal["all", "payment_group", "sex", "age_band", "disability", "ethnicity"] = "all"
    person: int = Field(default=1, ge=1)


class AuditState(_Strict):
    """The audit page's options (the uploaded file itself is never part of a scenario)."""

    min_cell: int = Field(default=10, ge=1, le=1000)
    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)
    correction: Literal["holm", "bh"] = "holm"


class Scenario(_Strict):
    """Everything a user sets in the app, as one document (the scenario file).

    Examples
    --------
    >>> s = Scenario()
    >>> s.designer.current.contract.preset
    'work_programme_2011'
    >>> Scenario.model_validate({"designer": {"view": "parked"}}).designer.view
    'parked'
    """

    kind: Literal["pbr-fairness scenario"] = SCENARIO_KIND
    version: Literal[1] = 1
    caseload: Literal["default", "sample"] = "default"
    mode: Literal["expected", "monte_carlo"] = "expected"
    seed: int = 20110601
    designer: DesignerState = Field(default_factory=DesignerState)
    tariff: TariffState = Field(default_factory=TariffState)
    distance: DistanceState = Field(default_factory=DistanceState)
    audit: AuditState = Field(default_factory=AuditState)
