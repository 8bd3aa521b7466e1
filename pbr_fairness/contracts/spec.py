"""The contract file format: pydantic models of a tariff YAML file.

A contract file follows the PolicyEngine manner: every figure is a leaf holding its
``value``, ``unit``, a one-sentence ``description``, a confidence label carried over from
``shared/reference`` (P primary, S secondary, D derived, R literature range, U unverified)
and either a ``reference`` (title and url of the most official source) or
``estimate: true`` with a ``reason``. Unknown keys are rejected everywhere
(``extra="forbid"``) so that a typing mistake in a file never goes unnoticed.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from pbr_fairness.engine.prediction import needs_prediction
from pbr_fairness.limits import MAX_FEE_GBP, MAX_HOURS

#: Most sustainment payments of one tariff: the 4-week periods of a 120-month window.
MAX_SUSTAINMENT_PAYMENTS = 130
#: Largest multiplier of a smooth tariff's fees (and its elasticity).
MAX_FEE_FACTOR = 1_000_000.0

__all__ = [
    "INSTRUMENT_FAMILIES",
    "NO_FLOOR",
    "UNION_TAGS",
    "AcceleratorSpec",
    "BandSpec",
    "CellKind",
    "ContractSpec",
    "CostSharingSpec",
    "Figure",
    "FundedHoursSpec",
    "InstrumentsSpec",
    "Reference",
    "ShapeSpec",
    "SignedFigure",
    "SmoothSpec",
    "TariffSpec",
    "Unit",
    "ValueAddedSpec",
    "YardstickSpec",
    "band_key",
]

Confidence = Literal["P", "S", "D", "R", "U"]
Unit = Literal["GBP", "weeks", "months", "count", "hours", "probability", "ratio"]
Basis = Literal["payment_group", "distance_band", "smooth"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reference(_Strict):
    """A source for a figure: its title and, where there is one, its address."""

    title: str = Field(min_length=1)
    href: str | None = None


class Figure(_Strict):
    """One figure of a contract with its metadata.

    Exactly the PolicyEngine leaf: a value, a unit, a description and either a reference
    or an ``estimate: true`` flag with the reason for the estimate.
    """

    #: Whether the value may be negative (:class:`SignedFigure`: an offset).
    allows_negative: ClassVar[bool] = False

    value: float
    unit: Unit
    description: str = Field(min_length=1)
    confidence: Confidence | None = None
    reference: tuple[Reference, ...] = ()
    estimate: bool = False
    reason: str | None = None

    @model_validator(mode="after")
    def _sourced(self) -> Figure:
        if not self.reference and not self.estimate:
            raise ValueError("needs a reference (title, href) or 'estimate: true' with a reason")
        if self.estimate and not self.reason:
            raise ValueError("an estimate needs a 'reason'")
        if self.value < 0 and not self.allows_negative:
            raise ValueError(f"must not be negative, got {self.value:g}")
        if self.value != self.value or self.value in (float("inf"), float("-inf")):
            raise ValueError("must be a finite number")
        return self


class TariffSpec(_Strict):
    """The five figures of one tariff (one payment group, band or the smooth base)."""

    label: str | None = None
    note: str | None = None
    attachment_fee: Figure
    job_outcome_fee: Figure
    job_outcome_trigger_weeks: Figure
    sustainment_fee: Figure
    max_sustainment_payments: Figure

    @model_validator(mode="after")
    def _units(self) -> TariffSpec:
        for key in ("attachment_fee", "job_outcome_fee", "sustainment_fee"):
            if getattr(self, key).unit != "GBP":
                raise ValueError(f"{key}: unit must be GBP")
            if getattr(self, key).value > MAX_FEE_GBP:
                raise ValueError(
                    f"{key}: {getattr(self, key).value:g} is more than the limit of"
                    f" {MAX_FEE_GBP:,.0f} pounds for one payment (pbr_fairness.limits)"
                )
        if self.job_outcome_trigger_weeks.unit != "weeks":
            raise ValueError("job_outcome_trigger_weeks: unit must be weeks")
        if self.job_outcome_trigger_weeks.value <= 0:
            raise ValueError("job_outcome_trigger_weeks: must be positive")
        m = self.max_sustainment_payments
        if m.unit != "count" or m.value != int(m.value):
            raise ValueError("max_sustainment_payments: must be a whole count (unit count)")
        if m.value > MAX_SUSTAINMENT_PAYMENTS:
            raise ValueError(
                f"max_sustainment_payments: at most {MAX_SUSTAINMENT_PAYMENTS} (the 4-week"
                f" periods of a 120-month window), got {m.value:g}"
            )
        return self


class BandSpec(TariffSpec):
    """A tariff for one band of predicted distance from work (``1 - probability``)."""

    min_distance: float = Field(ge=0.0, le=1.0)
    max_distance: float = Field(ge=0.0, le=1.0)


class SmoothSpec(_Strict):
    """Outcome fees as a smooth function of the predicted probability ``q``.

    The job-outcome and sustainment fees of ``base`` are multiplied by
    ``min(max_factor, (reference_probability / max(q, probability_floor)) ** elasticity)``;
    the attachment fee, trigger and number of payments stay those of ``base``. With
    elasticity 1 the expected outcome payment per referral is the same for everyone.
    """

    base: TariffSpec
    reference_probability: Figure
    elasticity: Figure
    probability_floor: Figure
    max_factor: Figure

    @model_validator(mode="after")
    def _ranges(self) -> SmoothSpec:
        for key in ("reference_probability", "probability_floor"):
            v = getattr(self, key).value
            if not 0.0 < v <= 1.0:
                raise ValueError(f"{key}: must be in (0, 1], got {v:g}")
        if not 0 < self.max_factor.value <= MAX_FEE_FACTOR:
            raise ValueError(f"max_factor: must be positive and at most {MAX_FEE_FACTOR:g}")
        if self.elasticity.value > MAX_FEE_FACTOR:
            raise ValueError(f"elasticity: at most {MAX_FEE_FACTOR:g}")
        return self


#: The instrument families of an ``instruments`` section, in the order they are reported.
INSTRUMENT_FAMILIES: tuple[str, ...] = (
    "attachment_by_year",
    "delivery_fee",
    "value_added",
    "accelerator",
    "yardstick",
    "market_share_shift",
    "cost_sharing",
    "funded_hours",
)

#: ``value_added.floor`` meaning "no floor": a cohort's net is settled against other payments.
NO_FLOOR = "settled_against_other_payments"

#: ``value_added.floor`` when a file gives none: never a negative payment over a cohort.
DEFAULT_FLOOR: dict[str, Any] = {
    "value": 0.0,
    "unit": "GBP",
    "description": "Least payment per cohort: never a negative payment over a cohort.",
    "estimate": True,
    "reason": "the default of the contract language",
}

#: Tags of the tagged unions in this file; they name no key, so error paths leave them out.
UNION_TAGS: frozenset[str] = frozenset({"figure", "no floor"})

CellKind = Literal["payment_group", "distance_band", "contract"]
Benchmark = Literal["comparison_group", "person_truth"]
PricedOn = Literal["model", "assessment"]


class SignedFigure(Figure):
    """A figure that may be negative (an offset); otherwise exactly a :class:`Figure`."""

    allows_negative: ClassVar[bool] = True


def _unit(unit: str, *, high: float | None = None, open_high: bool = False) -> Any:
    """Return an after-validator: the unit is ``unit``, the value at most ``high``."""

    def check(fig: Figure) -> Figure:
        if fig.unit != unit:
            raise ValueError(f"unit must be {unit}, got {fig.unit}")
        if high is not None and (fig.value >= high if open_high else fig.value > high):
            shown = f"below {high:g}" if open_high else f"at most {high:g}"
            raise ValueError(f"must be {shown}, got {fig.value:g}")
        return fig

    return AfterValidator(check)


def _offset(fig: SignedFigure) -> SignedFigure:
    if fig.unit != "probability":
        raise ValueError(f"unit must be probability, got {fig.unit}")
    if not -1.0 < fig.value < 1.0:
        raise ValueError(f"must lie strictly between -1 and 1, got {fig.value:g}")
    return fig


GBPFigure = Annotated[Figure, _unit("GBP")]
ProbabilityFigure = Annotated[Figure, _unit("probability", high=1.0)]
RatioFigure = Annotated[Figure, _unit("ratio")]
ShareFigure = Annotated[Figure, _unit("ratio", high=1.0, open_high=True)]
HoursFigure = Annotated[Figure, _unit("hours")]
OffsetFigure = Annotated[SignedFigure, AfterValidator(_offset)]


def _floor_kind(value: Any) -> str:
    return "no floor" if isinstance(value, str) else "figure"


Floor = Annotated[
    Annotated[GBPFigure, Tag("figure")] | Annotated[Literal["settled_against_other_payments"],
                                                    Tag("no floor")],
    Discriminator(_floor_kind),
]


def _one_of(spec: BaseModel, one: str, per_cell: str, *, required: bool = True) -> None:
    """Check that a section gives a value for every cell or per cell, not both."""
    a, b = getattr(spec, one), getattr(spec, per_cell)
    if a is not None and b is not None:
        raise ValueError(f"give '{one}' (one for every cell) or '{per_cell}', not both")
    if required and a is None and b is None:
        raise ValueError(f"needs '{one}' (one for every cell) or '{per_cell}'")
    if b is not None and not b:
        raise ValueError(f"{per_cell}: at least one cell is needed")


class ShapeSpec(_Strict):
    """A smooth shape over the commissioner's probability ``q`` (as :class:`SmoothSpec`).

    The factor is ``min(max_factor, (reference_probability / max(q, probability_floor)) **
    elasticity)`` (:func:`~pbr_fairness.contracts.smooth_multiplier`).
    """

    reference_probability: ProbabilityFigure
    elasticity: RatioFigure
    probability_floor: ProbabilityFigure
    max_factor: RatioFigure

    @model_validator(mode="after")
    def _ranges(self) -> ShapeSpec:
        for key in ("reference_probability", "probability_floor"):
            if getattr(self, key).value <= 0:
                raise ValueError(f"{key}: must be above 0")
        if self.max_factor.value <= 0:
            raise ValueError("max_factor: must be positive")
        return self


class ValueAddedSpec(_Strict):
    """A value-added payment ``T_i (Y_i - b_i)`` netted over each cohort (one prime, one cell).

    ``T_i = rate`` times the ``shape`` factor of the commissioner's probability (1 without a
    shape). The benchmark ``b_i`` is fixed before service: ``comparison_group``, the no-support
    rate of the person's cell as a randomised comparison group would measure it (in the
    simulation the cell's mean true ``p0``), or ``person_truth``, each person's own true
    ``p0`` (research only: no commissioner knows it), plus ``benchmark_offset`` (probability
    points, to show the risk of a wrong benchmark), clipped to ``[0, 1]``. ``floor`` is the
    least payment per cohort: absent means 0 (never a negative payment over a cohort, written
    out as a figure when the contract is saved); an explicit ``null`` or
    ``settled_against_other_payments`` means no floor.
    """

    rate: GBPFigure
    shape: ShapeSpec | None = None
    cells: CellKind = "contract"
    benchmark: Benchmark = "comparison_group"
    benchmark_offset: OffsetFigure | None = None
    floor: Floor = Field(default_factory=lambda: Figure.model_validate(DEFAULT_FLOOR))

    @field_validator("floor", mode="before")
    @classmethod
    def _explicit_null(cls, value: Any) -> Any:
        # an explicit null in the file means "no floor"; the default (key absent) is 0
        return NO_FLOOR if value is None else value


class AcceleratorSpec(_Strict):
    """Fees per outcome that rise above a performance level per cohort.

    The level per cell is ``level_above_no_support`` (``(1 + ratio)`` times the cell's
    no-support rate; the Work Programme's minimum performance level was 10% above the
    non-intervention rate) or explicit ``levels`` (outcome rates). A cohort is paid
    ``fee_below`` per outcome up to the level and ``fee_above`` per outcome beyond it. Per-cell
    mappings name the cells in the scheme (all of them must name the same cells); single
    values apply to every cell in it.
    """

    cells: CellKind = "contract"
    level_above_no_support: RatioFigure | None = None
    levels: dict[str, ProbabilityFigure] | None = None
    fee_below: GBPFigure | None = None
    fee_below_by_cell: dict[str, GBPFigure] | None = None
    fee_above: GBPFigure | None = None
    fee_above_by_cell: dict[str, GBPFigure] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> AcceleratorSpec:
        if (self.level_above_no_support is None) == (self.levels is None):
            raise ValueError("needs exactly one of 'level_above_no_support' and 'levels'")
        if self.levels is not None and not self.levels:
            raise ValueError("levels: at least one cell is needed")
        _one_of(self, "fee_below", "fee_below_by_cell")
        _one_of(self, "fee_above", "fee_above_by_cell")
        maps = {
            k: set(v)
            for k, v in (
                ("levels", self.levels),
                ("fee_below_by_cell", self.fee_below_by_cell),
                ("fee_above_by_cell", self.fee_above_by_cell),
            )
            if v is not None
        }
        if len({frozenset(v) for v in maps.values()}) > 1:
            raise ValueError(
                f"{', '.join(maps)} must name the same cells (they define the scheme)"
            )
        for cell in sorted(self.scheme_cells or {"all"}):
            low, high = self.fee(cell, "below"), self.fee(cell, "above")
            if high < low:
                where = "fee_above" if self.fee_above is not None else f"fee_above_by_cell.{cell}"
                raise ValueError(f"{where}: must be at least the fee below the level ({low:g})")
        return self

    @property
    def scheme_cells(self) -> frozenset[str] | None:
        """The cells in the scheme (``None``: every cell)."""
        for m in (self.levels, self.fee_below_by_cell, self.fee_above_by_cell):
            if m is not None:
                return frozenset(m)
        return None

    def fee(self, cell: str, side: Literal["below", "above"]) -> float:
        """Return the fee per outcome below or above the level in ``cell`` (pounds)."""
        one = self.fee_below if side == "below" else self.fee_above
        per = self.fee_below_by_cell if side == "below" else self.fee_above_by_cell
        return one.value if one is not None else per[cell].value if per else 0.0


class YardstickSpec(_Strict):
    """Payments relative to the other primes in the same cell, and a market-share shift.

    A prime is paid ``rate`` per unit of ``Y_i`` minus the mean outcome of the other primes'
    people in the person's cell (random allocation makes them comparable, as in the Work
    Programme); ``share_shift_value`` is what winning a cell is worth to a prime, in pounds per
    person of its cohort (the Work Programme moved referrals to the better primes, payment group
    by payment group). A per-cell mapping names the cells in the scheme. With a ``shape``
    the rate is ``rate`` times the shape factor of the commissioner's probability, person by
    person (as a value-added payment's).
    """

    cells: CellKind = "contract"
    rate: GBPFigure | None = None
    shape: ShapeSpec | None = None
    share_shift_value: GBPFigure | None = None
    share_shift_value_by_cell: dict[str, GBPFigure] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> YardstickSpec:
        _one_of(self, "share_shift_value", "share_shift_value_by_cell", required=False)
        if self.rate is None and self.share_shift_value is None and not (
            self.share_shift_value_by_cell
        ):
            raise ValueError("needs 'rate' or a share shift ('share_shift_value...')")
        if self.shape is not None and self.rate is None:
            raise ValueError("a 'shape' needs a 'rate' to shape")
        return self

    @property
    def scheme_cells(self) -> frozenset[str] | None:
        """The cells in the scheme (``None``: every cell)."""
        m = self.share_shift_value_by_cell
        return None if m is None else frozenset(m)


class CostSharingSpec(_Strict):
    """The commissioner reimburses a ``share`` of each verified hour (in ``[0, 1)``).

    A per-cell mapping (``share_by_cell``) names the cells in the scheme; people in other
    cells get no reimbursement.
    """

    cells: CellKind = "contract"
    share: ShareFigure | None = None
    share_by_cell: dict[str, ShareFigure] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CostSharingSpec:
        _one_of(self, "share", "share_by_cell")
        return self

    @property
    def scheme_cells(self) -> frozenset[str] | None:
        """The cells in the scheme (``None``: every cell)."""
        return None if self.share_by_cell is None else frozenset(self.share_by_cell)


class FundedHoursSpec(_Strict):
    """Hours per person funded at cost by the commissioner and verified by audit.

    A per-cell mapping (``hours_by_cell``) names the cells in the scheme.
    """

    cells: CellKind = "contract"
    hours: HoursFigure | None = None
    hours_by_cell: dict[str, HoursFigure] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FundedHoursSpec:
        _one_of(self, "hours", "hours_by_cell")
        return self

    @property
    def scheme_cells(self) -> frozenset[str] | None:
        """The cells in the scheme (``None``: every cell)."""
        return None if self.hours_by_cell is None else frozenset(self.hours_by_cell)


#: The sub-sections of ``instruments`` that have cells.
CELL_SECTIONS: tuple[str, ...] = (
    "value_added", "accelerator", "yardstick", "cost_sharing", "funded_hours",
)


class InstrumentsSpec(_Strict):
    """Contract instruments beyond fees per outcome (``docs/contracts.md``).

    ``priced_on`` says which probability ``q`` the contract prices on wherever it uses one
    (band and smooth fees, ``distance_band`` cells, a value-added ``shape``): ``model``, the
    commissioner's prediction, or ``assessment``, an independent assessment owned by the
    commissioner (``sigmoid(logit(true p0) + N(0, assessment_noise))``, or the caseload's
    ``assessment`` column; Glazer & McGuire 2000). ``distance_bands`` are interior cut-points on
    distance ``1 - q`` (increasing), cutting the cells ``band_1`` (furthest from work) to
    ``band_n`` for sections whose ``cells`` is ``distance_band``.
    """

    priced_on: PricedOn = "model"
    assessment_noise: RatioFigure | None = None
    distance_bands: tuple[ProbabilityFigure, ...] | None = None
    attachment_by_year: tuple[GBPFigure, ...] | None = None
    attachment_by_year_by_cell: dict[str, tuple[GBPFigure, ...]] | None = None
    delivery_fee: GBPFigure | None = None
    value_added: ValueAddedSpec | None = None
    accelerator: AcceleratorSpec | None = None
    yardstick: YardstickSpec | None = None
    cost_sharing: CostSharingSpec | None = None
    funded_hours: FundedHoursSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> InstrumentsSpec:
        if not self.families:
            raise ValueError(
                "names no instrument (attachment_by_year, delivery_fee, value_added, "
                "accelerator, yardstick, cost_sharing, funded_hours)"
            )
        if (self.priced_on == "assessment") != (self.assessment_noise is not None):
            raise ValueError(
                "assessment_noise: the assessment's logit sd, needed with priced_on: "
                "assessment and only then"
            )
        _one_of(self, "attachment_by_year", "attachment_by_year_by_cell", required=False)
        if self.attachment_by_year is not None and not self.attachment_by_year:
            raise ValueError("attachment_by_year: at least one contract year is needed")
        for cell, fees in (self.attachment_by_year_by_cell or {}).items():
            if not fees:
                raise ValueError(f"attachment_by_year_by_cell.{cell}: at least one year is needed")
        if self.distance_bands is not None:
            cuts = [f.value for f in self.distance_bands]
            if not cuts:
                raise ValueError("distance_bands: at least one cut-point is needed")
            if cuts[0] <= 0 or any(b <= a for a, b in itertools.pairwise(cuts)):
                raise ValueError(
                    "distance_bands: cut-points must lie in (0, 1) in increasing order"
                )
        return self

    @property
    def families(self) -> tuple[str, ...]:
        """The instrument families used, in the order of :data:`INSTRUMENT_FAMILIES`."""
        used = {
            "attachment_by_year": self.attachment_by_year is not None
            or self.attachment_by_year_by_cell is not None,
            "delivery_fee": self.delivery_fee is not None,
            "value_added": self.value_added is not None,
            "accelerator": self.accelerator is not None,
            "yardstick": self.yardstick is not None and self.yardstick.rate is not None,
            "market_share_shift": self.yardstick is not None
            and (
                self.yardstick.scheme_cells is not None
                or self.yardstick.share_shift_value is not None
            ),
            "cost_sharing": self.cost_sharing is not None,
            "funded_hours": self.funded_hours is not None,
        }
        return tuple(f for f in INSTRUMENT_FAMILIES if used[f])

    @property
    def band_labels(self) -> tuple[str, ...]:
        """Labels of the ``distance_band`` cells, ``band_1`` (furthest from work) first."""
        n = 0 if self.distance_bands is None else len(self.distance_bands) + 1
        return tuple(f"band_{b}" for b in range(1, n + 1))

    def sections(self) -> dict[str, Any]:
        """Return the sub-sections with cells that are given, by name."""
        return {k: getattr(self, k) for k in CELL_SECTIONS if getattr(self, k) is not None}

    @property
    def uses_probability(self) -> bool:
        """Whether an instrument prices on ``q`` (a shape, distance-band cells)."""
        shaped = [self.value_added, self.yardstick]
        return any(s is not None and s.shape is not None for s in shaped) or any(
            s.cells == "distance_band" for s in self.sections().values()
        )


class ContractSpec(_Strict):
    """A whole contract file.

    ``based_on`` names the preset a file was built on (its tariff and any other key the file
    does not set are the preset's; resolved when the file is read). ``referral_year`` (default
    1) chooses which contract year's attachment fee of ``instruments.attachment_by_year`` a
    cohort referred in that year gets; the last listed year's fee holds for later years.
    """

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    based_on: str | None = None
    basis: Basis = "payment_group"
    window_months: int = Field(default=24, ge=6, le=120)
    minimum_hours: Figure | None = None
    groups: dict[str, TariffSpec] | None = None
    bands: tuple[BandSpec, ...] | None = None
    smooth: SmoothSpec | None = None
    referral_year: int | None = Field(default=None, ge=1, le=50)
    instruments: InstrumentsSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ContractSpec:
        need = {"payment_group": "groups", "distance_band": "bands", "smooth": "smooth"}[self.basis]
        for key in ("groups", "bands", "smooth"):
            given = getattr(self, key) is not None
            if key == need and not given:
                raise ValueError(f"basis {self.basis!r} needs a '{key}' section")
            if key != need and given:
                raise ValueError(f"basis {self.basis!r} takes no '{key}' section (only '{need}')")
        if self.groups is not None and not self.groups:
            raise ValueError("groups: at least one payment group is needed")
        if self.minimum_hours is not None and self.minimum_hours.value > MAX_HOURS:
            raise ValueError(f"minimum_hours: at most {MAX_HOURS:g} hours (every hour of 24"
                             " months)")
        if self.bands is not None:
            bands = sorted(self.bands, key=lambda b: b.min_distance)
            if not bands:
                raise ValueError("bands: at least one band is needed")
            edge = 0.0
            for i, band in enumerate(bands):
                if band.max_distance <= band.min_distance:
                    raise ValueError(f"bands[{i}]: max_distance must exceed min_distance")
                if abs(band.min_distance - edge) > 1e-12:
                    raise ValueError(
                        f"bands: distance {edge:g} to {band.min_distance:g} is not covered "
                        "(bands must tile 0..1 without gaps or overlaps)"
                    )
                edge = band.max_distance
            if abs(edge - 1.0) > 1e-12:
                raise ValueError(f"bands: distance {edge:g} to 1 is not covered")
            if tuple(bands) != tuple(self.bands):
                raise ValueError("bands: list them in increasing order of distance")
        for key, trig in self._triggers():
            if trig / 52.0 * 12.0 >= self.window_months:
                raise ValueError(f"{key}: trigger {trig:g} weeks does not fit the window")
        self._check_instruments()
        return self

    def tariff_keys(self) -> tuple[str, ...]:
        """Return the contract's own cells: groups, band labels, or ``("base",)`` (smooth)."""
        if self.groups is not None:
            return tuple(self.groups)
        if self.bands is not None:
            return tuple(band_key(b) for b in self.bands)
        return ("base",)

    def cell_labels(self, kind: CellKind) -> tuple[str, ...] | None:
        """Return the labels of the cells of ``kind`` (``None``: only a caseload tells)."""
        if kind == "contract":
            return self.tariff_keys()
        if kind == "distance_band":
            return None if self.instruments is None else self.instruments.band_labels
        return tuple(self.groups) if self.groups is not None else None

    def _check_instruments(self) -> None:
        inst = self.instruments
        if inst is None:
            if self.referral_year is not None:
                raise ValueError("referral_year: needs instruments.attachment_by_year")
            return
        by_year = inst.attachment_by_year is not None or inst.attachment_by_year_by_cell
        if self.referral_year is not None and not by_year:
            raise ValueError("referral_year: needs instruments.attachment_by_year")
        keys = self.tariff_keys()
        if inst.attachment_by_year_by_cell is not None:
            given = inst.attachment_by_year_by_cell
            for cell in given:
                if cell not in keys:
                    raise ValueError(
                        f"instruments.attachment_by_year_by_cell.{cell}: not a tariff of this "
                        f"contract (tariffs: {', '.join(keys)})"
                    )
            missing = [k for k in keys if k not in given]
            if missing:
                raise ValueError(
                    "instruments.attachment_by_year_by_cell: every tariff needs its fees by "
                    f"year; missing {', '.join(missing)}"
                )
        for name, section in inst.sections().items():
            if section.cells == "distance_band" and inst.distance_bands is None:
                raise ValueError(
                    f"instruments.{name}.cells: distance_band needs instruments.distance_bands "
                    "(the cut-points on distance)"
                )
            labels = self.cell_labels(section.cells)
            for key, mapping in _cell_mappings(section):
                for cell in mapping:
                    if labels is not None and cell not in labels:
                        raise ValueError(
                            f"instruments.{name}.{key}.{cell}: no such cell among the "
                            f"{section.cells} cells ({', '.join(labels)})"
                        )
        if (
            inst.priced_on == "assessment"
            and not needs_prediction(self.basis)
            and not inst.uses_probability
        ):
            raise ValueError(
                "instruments.priced_on: assessment prices nothing here (the fees are by payment "
                "group and no instrument uses a probability: a value-added shape or "
                "distance_band cells)"
            )

    def _triggers(self) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        if self.groups:
            out += [
                (f"groups.{g}.job_outcome_trigger_weeks", t.job_outcome_trigger_weeks.value)
                for g, t in self.groups.items()
            ]
        if self.bands:
            out += [
                (f"bands[{i}].job_outcome_trigger_weeks", b.job_outcome_trigger_weeks.value)
                for i, b in enumerate(self.bands)
            ]
        if self.smooth:
            out.append(
                (
                    "smooth.base.job_outcome_trigger_weeks",
                    self.smooth.base.job_outcome_trigger_weeks.value,
                )
            )
        return out


def band_key(band: BandSpec) -> str:
    """Return the label of a band tariff: its ``label``, or ``d<min>-<max>``."""
    return band.label or f"d{band.min_distance:g}-{band.max_distance:g}"


def _cell_mappings(section: BaseModel) -> list[tuple[str, dict[str, Any]]]:
    """Return the per-cell mappings of a section: ``(key, mapping)``."""
    out = []
    for key in type(section).model_fields:
        value = getattr(section, key)
        if (key == "levels" or key.endswith("_by_cell")) and isinstance(value, dict):
            out.append((key, value))
    return out
