"""Contracts: what a provider is paid, per person, and how to load and save them.

A :class:`Contract` is a validated contract file
(:class:`~pbr_fairness.contracts.spec.ContractSpec`) plus where it came from (path and
sha256). :meth:`Contract.tariff_per_person` turns it into the five per-person arrays the
simulator uses: attachment fee ``A``, job-outcome fee ``J``, sustainment fee per 4 weeks
``S``, maximum number of sustainment payments ``M`` and the job-outcome trigger in weeks.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import ArrayLike, NDArray
from pydantic import ValidationError

from pbr_fairness.contracts.spec import (
    UNION_TAGS,
    CellKind,
    ContractSpec,
    Figure,
    SmoothSpec,
    TariffSpec,
    Unit,
    band_key,
)
from pbr_fairness.contracts.terms import (
    Cells,
    ContractTerms,
    attachment_by_year,
    distance_band_codes,
    draw_assessment,
    instrument_arrays,
)
from pbr_fairness.engine.prediction import needs_prediction
from pbr_fairness.errors import InputError, LimitError, Problem, show_value
from pbr_fairness.limits import MAX_FEE_GBP, MAX_YAML_BYTES, read_limited
from pbr_fairness.outputs import write_text

__all__ = [
    "PRESETS",
    "TARIFF_KEYS",
    "Contract",
    "Tariff",
    "contract_from_yaml",
    "contract_to_yaml",
    "load_contract",
    "save_contract",
]

#: Keys of the per-person tariff arrays returned by :meth:`Contract.tariff_per_person`.
TARIFF_KEYS: tuple[str, ...] = ("A", "J", "S", "M", "trigger_weeks")

_PRESET_DIR = Path(__file__).parent / "presets"

#: Preset contracts shipped as YAML files: name -> path. The ``flat`` preset is computed on a
#: caseload by :func:`~pbr_fairness.simulation.flat_contract` and is not listed here.
PRESETS: dict[str, Path] = {p.stem: p for p in sorted(_PRESET_DIR.glob("*.yaml"))}


@dataclass(frozen=True)
class Tariff:
    """The five numbers of one tariff.

    Parameters
    ----------
    attachment_fee : float
        Paid at referral (pounds).
    job_outcome_fee : float
        Paid when a job outcome is reached (pounds).
    trigger_weeks : float
        Weeks in work that count as a job outcome (13 or 26 in the Work Programme).
    sustainment_fee : float
        Paid for each further 4 weeks in work (pounds).
    max_sustainment_payments : int
        Most sustainment payments after one job outcome.
    """

    attachment_fee: float
    job_outcome_fee: float
    trigger_weeks: float
    sustainment_fee: float
    max_sustainment_payments: int

    def __post_init__(self) -> None:
        for key in ("attachment_fee", "job_outcome_fee", "sustainment_fee"):
            v = getattr(self, key)
            if not np.isfinite(v) or v < 0:
                raise InputError([Problem(f"must be a finite number >= 0, got {show_value(v)}",
                                          column=key)])
            if v > MAX_FEE_GBP:
                raise InputError([Problem(
                    f"{show_value(v)} is more than the limit of {MAX_FEE_GBP:,.0f} pounds for one"
                    " payment (with the optimiser: the budget is too large for this caseload)",
                    column=key)])
        if not self.trigger_weeks > 0:
            raise InputError([Problem("must be positive", column="trigger_weeks")])
        if self.max_sustainment_payments < 0:
            raise InputError([Problem("must be >= 0", column="max_sustainment_payments")])

    @classmethod
    def from_spec(cls, spec: TariffSpec) -> Tariff:
        """Build from a validated :class:`TariffSpec`."""
        return cls(
            spec.attachment_fee.value,
            spec.job_outcome_fee.value,
            spec.job_outcome_trigger_weeks.value,
            spec.sustainment_fee.value,
            int(spec.max_sustainment_payments.value),
        )

    def to_spec(
        self, *, reason: str = "set by the user or the optimiser", label: str | None = None
    ) -> TariffSpec:
        """Return a :class:`TariffSpec` whose figures are labelled as estimates."""

        def fig(value: float, unit: Unit, description: str) -> Figure:
            return Figure(
                value=float(value), unit=unit, description=description, estimate=True, reason=reason
            )

        return TariffSpec(
            label=label,
            attachment_fee=fig(self.attachment_fee, "GBP", _DESCRIPTIONS["attachment_fee"]),
            job_outcome_fee=fig(self.job_outcome_fee, "GBP", _DESCRIPTIONS["job_outcome_fee"]),
            job_outcome_trigger_weeks=fig(
                self.trigger_weeks, "weeks", _DESCRIPTIONS["job_outcome_trigger_weeks"]
            ),
            sustainment_fee=fig(self.sustainment_fee, "GBP", _DESCRIPTIONS["sustainment_fee"]),
            max_sustainment_payments=fig(
                self.max_sustainment_payments, "count", _DESCRIPTIONS["max_sustainment_payments"]
            ),
        )


_DESCRIPTIONS = {
    "attachment_fee": "Fee paid to the provider when the person is referred (attached).",
    "job_outcome_fee": "Fee paid when the person reaches a job outcome.",
    "job_outcome_trigger_weeks": "Weeks in work after which a job outcome is paid.",
    "sustainment_fee": "Fee paid for each further 4 weeks in work after the job outcome.",
    "max_sustainment_payments": "Most 4-weekly sustainment payments after one job outcome.",
}


@dataclass(frozen=True)
class Contract:
    """A validated contract.

    Build with :func:`load_contract` (a preset name or a YAML file) or
    :meth:`Contract.from_tariffs`. Two contracts are equal when their content is equal,
    wherever they were loaded from.

    Attributes
    ----------
    spec : ContractSpec
        The validated content of the contract file.
    source : str
        File path or ``"preset:<name>"`` or ``"<memory>"``.
    sha256 : str
        Hash of the canonical YAML text (or of the file's bytes when loaded from a file).
    """

    spec: ContractSpec
    source: str = field(default="<memory>", compare=False)
    sha256: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.sha256:
            text = contract_to_yaml(self).encode()
            object.__setattr__(self, "sha256", hashlib.sha256(text).hexdigest())

    # -- convenience -------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Contract name."""
        return self.spec.name

    @property
    def basis(self) -> str:
        """``"payment_group"``, ``"distance_band"`` or ``"smooth"``."""
        return self.spec.basis

    @property
    def window_months(self) -> int:
        """Contract window in months (24 by default)."""
        return self.spec.window_months

    @property
    def minimum_hours(self) -> float | None:
        """Contractual minimum of service hours, or ``None`` (then the provider's default)."""
        return None if self.spec.minimum_hours is None else self.spec.minimum_hours.value

    @property
    def needs_prediction(self) -> bool:
        """Whether the tariff depends on a predicted probability of a job outcome.

        The fees only (:func:`~pbr_fairness.engine.prediction.needs_prediction` of the basis);
        :meth:`terms` also asks for a prediction when an instrument prices on one.
        """
        return needs_prediction(self.basis)

    @property
    def terms_need_prediction(self) -> bool:
        """Whether :meth:`terms` needs the commissioner's predicted probabilities.

        Band or smooth fees, or instruments that price on a probability (a value-added shape,
        ``distance_band`` cells), unless the contract prices on an independent assessment.

        Examples
        --------
        >>> load_contract("funded_hours_by_need").terms_need_prediction
        True
        >>> load_contract("funded_hours_by_need").needs_prediction  # the fees alone
        False
        """
        inst = self.spec.instruments
        if inst is None:
            return self.needs_prediction
        if inst.priced_on == "assessment":
            return False
        return self.needs_prediction or inst.uses_probability

    @property
    def families(self) -> tuple[str, ...]:
        """The instrument families the contract uses (empty without ``instruments``)."""
        return () if self.spec.instruments is None else self.spec.instruments.families

    @property
    def referral_year(self) -> int:
        """The contract year the cohort is referred in (1 unless the file says)."""
        return self.spec.referral_year or 1

    @property
    def tariffs(self) -> dict[str, Tariff]:
        """Tariff per payment group or band label (smooth: the base tariff as ``"base"``)."""
        if self.spec.groups is not None:
            return {g: Tariff.from_spec(t) for g, t in self.spec.groups.items()}
        if self.spec.bands is not None:
            return {band_key(b): Tariff.from_spec(b) for b in self.spec.bands}
        assert self.spec.smooth is not None
        return {"base": Tariff.from_spec(self.spec.smooth.base)}

    @property
    def band_edges(self) -> NDArray[np.float64] | None:
        """Distance edges of the bands (``len(bands) + 1`` values from 0 to 1), or ``None``."""
        if self.spec.bands is None:
            return None
        return np.array([b.min_distance for b in self.spec.bands] + [1.0])

    @classmethod
    def from_tariffs(
        cls,
        name: str,
        tariffs: Mapping[str, Tariff],
        *,
        description: str = "Contract built in code.",
        minimum_hours: float | None = None,
        window_months: int = 24,
        reason: str = "set by the user or the optimiser",
    ) -> Contract:
        """Build a per-payment-group contract from :class:`Tariff` objects.

        Every figure is labelled an estimate with ``reason``.

        Parameters
        ----------
        name : str
            Contract name.
        tariffs : mapping of str to Tariff
            Tariff per payment group.
        description : str, optional
            One sentence.
        minimum_hours : float, optional
            Contractual minimum of service hours.
        window_months : int, default 24
            Contract window.
        reason : str, optional
            Why the figures are what they are.

        Returns
        -------
        Contract
        """
        spec = _validate(
            {
                "name": name,
                "description": description,
                "basis": "payment_group",
                "window_months": window_months,
                "minimum_hours": None
                if minimum_hours is None
                else _estimate_figure(
                    minimum_hours, "hours", "Contractual minimum hours of service.", reason
                ),
                "groups": {
                    g: t.to_spec(reason=reason).model_dump(exclude_none=True)
                    for g, t in tariffs.items()
                },
            },
            source="<memory>",
        )
        return cls(spec)

    def with_groups(
        self,
        tariffs: Mapping[str, Tariff],
        *,
        name: str | None = None,
        reason: str = "set by the user or the optimiser",
    ) -> Contract:
        """Return a copy with some payment groups' tariffs replaced (labelled estimates)."""
        if self.spec.groups is None:
            raise InputError(
                [Problem("only a payment-group contract has groups", column="basis")],
                source=self.source,
            )
        groups = dict(self.spec.groups)
        for g, t in tariffs.items():
            groups[g] = t.to_spec(reason=reason, label=groups[g].label if g in groups else None)
        spec = self.spec.model_copy(update={"groups": groups, "name": name or self.spec.name})
        return Contract(ContractSpec.model_validate(spec.model_dump()))

    # -- the tariff per person ---------------------------------------------------------
    def tariff_per_person(
        self, caseload: Any, predicted: ArrayLike | None = None
    ) -> dict[str, NDArray[np.float64]]:
        """Per-person tariff arrays for a caseload.

        Parameters
        ----------
        caseload : pandas.DataFrame or mapping
            Needs ``payment_group`` when the basis is ``"payment_group"``; only its length
            is used otherwise.
        predicted : array-like, optional
            Predicted probability of a job outcome per person (model output), required for
            the ``"distance_band"`` and ``"smooth"`` bases.

        Returns
        -------
        dict of str to numpy.ndarray
            ``A``, ``J``, ``S``, ``M`` (float) and ``trigger_weeks``, one value per person.

        Raises
        ------
        InputError
            If a payment group of the caseload has no tariff, or a needed prediction is
            missing or outside ``[0, 1]``.
        """
        if self.basis == "payment_group":
            if "payment_group" not in caseload:
                raise InputError(
                    [Problem("the caseload has no payment_group column", column="payment_group")],
                    source=self.source,
                )
            groups = np.asarray(caseload["payment_group"]).astype(str)
            return self.tariff_by_group(groups)
        if predicted is None:
            raise InputError(
                [
                    Problem(
                        f"basis {self.basis!r} needs predicted probabilities (a model or a "
                        "predicted column)",
                        column="basis",
                    )
                ],
                source=self.source,
            )
        q = np.asarray(predicted, dtype=float)
        n = len(caseload["person_id"]) if "person_id" in caseload else q.size
        if q.shape != (n,):
            raise InputError(
                [Problem(f"predicted has {q.size} values for {n} people")], source=self.source
            )
        return self.tariff_by_probability(q)

    def terms(
        self,
        caseload: Any,
        predicted: ArrayLike | None = None,
        *,
        rng: np.random.Generator | int | None = None,
    ) -> ContractTerms:
        """Price a caseload under the whole contract: fees and instruments, as arrays.

        Without an ``instruments`` section this is :meth:`tariff_per_person` and nothing
        else. With one: the referral year's attachment fee and the delivery fee in ``A``; the
        fees of a band or smooth tariff priced on ``instruments.priced_on``; and the engine's
        :class:`~pbr_fairness.engine.instruments.Instruments` for the caseload's cells
        (:mod:`pbr_fairness.contracts.terms`).

        Parameters
        ----------
        caseload : pandas.DataFrame or mapping
            ``payment_group`` (for payment-group cells); ``true_p0`` where a benchmark, a
            performance level or a drawn assessment needs the no-support rate; optionally
            ``assessment`` (the commissioner's own assessment, used by ``priced_on:
            assessment`` instead of a draw).
        predicted : array-like, optional
            The commissioner's predicted probability per person (``priced_on: model``).
        rng : numpy.random.Generator or int, optional
            Draws the assessment (``priced_on: assessment`` without an ``assessment``
            column).

        Returns
        -------
        ContractTerms

        Raises
        ------
        InputError
            If the caseload lacks what the contract prices on (naming the key).

        Examples
        --------
        >>> import pandas as pd
        >>> cl = pd.DataFrame({"person_id": [1, 2], "payment_group": ["PG1", "PG2"]})
        >>> t = load_contract("work_programme_2011_by_year").terms(cl)
        >>> t.tariff["A"].tolist(), t.families
        ([400.0, 400.0], ('attachment_by_year',))
        """
        inst = self.spec.instruments
        if inst is None:
            return ContractTerms(self.tariff_per_person(caseload, predicted))
        n = _size(caseload, predicted)
        p0 = _column(caseload, "true_p0", n, self.source)
        q = self._priced_probability(caseload, predicted, n, p0, rng)
        if self.basis == "payment_group":
            tariff = self.tariff_per_person(caseload)
            own = _group_cells(caseload, tuple(self.tariffs))
        else:
            priced = self._needs(q, "basis")
            tariff = self.tariff_by_probability(priced)
            own = Cells(
                self.band_codes(priced).astype(np.int64)
                if self.spec.bands is not None
                else np.zeros(n, dtype=np.int64),
                self.spec.tariff_keys(),
            )
        found: dict[str, Cells] = {"contract": own}

        def cells(section: str, kind: CellKind) -> Cells:
            if kind not in found:
                if kind == "payment_group":
                    labels = tuple(np.unique(np.asarray(caseload["payment_group"]).astype(str)))
                    found[kind] = _group_cells(caseload, labels)
                else:
                    assert inst is not None and inst.distance_bands is not None
                    where = f"instruments.{section}.cells"
                    cuts = [f.value for f in inst.distance_bands]
                    found[kind] = Cells(
                        distance_band_codes(self._needs(q, where), cuts), inst.band_labels
                    )
            return found[kind]

        def factor(section: str) -> NDArray[np.float64] | None:
            part = getattr(inst, section)
            sh = None if part is None else part.shape
            if sh is None:
                return None
            return smooth_multiplier(
                self._needs(q, f"instruments.{section}.shape"),
                sh.reference_probability.value,
                sh.elasticity.value,
                sh.probability_floor.value,
                sh.max_factor.value,
            )

        instruments = instrument_arrays(
            inst, cells, n=n, p0=p0, value_added_factor=factor("value_added"),
            yardstick_factor=factor("yardstick"), source=self.source,
        )
        tariff = dict(tariff)
        attach = attachment_by_year(inst, self.referral_year, own)
        if attach is not None:
            tariff["A"] = attach
        fee = 0.0 if inst.delivery_fee is None else float(inst.delivery_fee.value)
        if inst.delivery_fee is not None:
            tariff["A"] = np.asarray(tariff["A"], dtype=float) + fee
        return ContractTerms(
            tariff, instruments, inst.families, inst.priced_on, q, attach, fee,
            self.referral_year,
        )

    def _priced_probability(
        self,
        caseload: Any,
        predicted: ArrayLike | None,
        n: int,
        p0: NDArray[np.float64] | None,
        rng: np.random.Generator | int | None,
    ) -> NDArray[np.float64] | None:
        """Return the probability the contract prices on: the prediction or the assessment."""
        inst = self.spec.instruments
        assert inst is not None
        if inst.priced_on == "model":
            if predicted is None or not self.terms_need_prediction:
                return None
            return _probabilities(predicted, n, "predicted", self.source)
        if "assessment" in caseload:
            return _probabilities(caseload["assessment"], n, "assessment", self.source)
        if p0 is None:
            raise InputError(
                [
                    Problem(
                        "priced_on: assessment needs an 'assessment' column in the caseload, "
                        "or true_p0 to draw one from",
                        column="instruments.priced_on",
                    )
                ],
                source=self.source,
            )
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        assert inst.assessment_noise is not None
        return draw_assessment(p0, inst.assessment_noise.value, gen)

    def _needs(self, q: NDArray[np.float64] | None, column: str) -> NDArray[np.float64]:
        if q is None:
            raise InputError(
                [
                    Problem(
                        "prices on the commissioner's predicted probabilities: give them (a "
                        "model or a predicted column), or set instruments.priced_on: "
                        "assessment",
                        column=column,
                    )
                ],
                source=self.source,
            )
        return q

    def tariff_by_group(self, groups: ArrayLike) -> dict[str, NDArray[np.float64]]:
        """Per-person tariff arrays from payment-group labels (``basis="payment_group"``)."""
        assert self.spec.groups is not None
        groups = np.asarray(groups).astype(str)
        labels, codes = np.unique(groups, return_inverse=True)
        missing = [g for g in labels if g not in self.spec.groups]
        if missing:
            raise InputError(
                [
                    Problem(
                        f"the caseload has payment group {g!r} but the contract has no tariff "
                        "for it "
                        f"(groups: {', '.join(self.spec.groups)})",
                        column=f"groups.{g}",
                    )
                    for g in missing
                ],
                source=self.source,
            )
        table = self._table([Tariff.from_spec(self.spec.groups[g]) for g in labels])
        return {key: col[codes] for key, col in table.items()}

    def tariff_by_probability(self, predicted: ArrayLike) -> dict[str, NDArray[np.float64]]:
        """Per-person tariff arrays from predicted probabilities (band or smooth basis)."""
        q = np.asarray(predicted, dtype=float)
        if q.size and (not np.all(np.isfinite(q)) or q.min() < 0 or q.max() > 1):
            raise InputError(
                [Problem("predicted probabilities must lie in [0, 1]", column="predicted")],
                source=self.source,
            )
        if self.spec.bands is not None:
            codes = self.band_codes(q)
            table = self._table([Tariff.from_spec(b) for b in self.spec.bands])
            return {key: col[codes] for key, col in table.items()}
        sm = self.spec.smooth
        assert sm is not None
        base = Tariff.from_spec(sm.base)
        factor = smooth_factor(q, sm)
        n = q.size
        return {
            "A": np.full(n, base.attachment_fee),
            "J": base.job_outcome_fee * factor,
            "S": base.sustainment_fee * factor,
            "M": np.full(n, float(base.max_sustainment_payments)),
            "trigger_weeks": np.full(n, float(base.trigger_weeks)),
        }

    def band_codes(self, predicted: ArrayLike) -> NDArray[np.intp]:
        """Index of the distance band of each predicted probability."""
        edges = self.band_edges
        if edges is None:
            raise InputError(
                [Problem("the contract has no bands", column="basis")], source=self.source
            )
        distance = 1.0 - np.asarray(predicted, dtype=float)
        codes = np.searchsorted(edges[1:-1], distance, side="right")
        return codes.astype(np.intp)

    @staticmethod
    def _table(tariffs: list[Tariff]) -> dict[str, NDArray[np.float64]]:
        return {
            "A": np.array([t.attachment_fee for t in tariffs], dtype=float),
            "J": np.array([t.job_outcome_fee for t in tariffs], dtype=float),
            "S": np.array([t.sustainment_fee for t in tariffs], dtype=float),
            "M": np.array([t.max_sustainment_payments for t in tariffs], dtype=float),
            "trigger_weeks": np.array([t.trigger_weeks for t in tariffs], dtype=float),
        }

    def check_caseload(self, caseload: Any, predicted: ArrayLike | None = None) -> None:
        """Raise :class:`InputError` if the contract cannot pay for this caseload."""
        self.tariff_per_person(caseload, predicted)

    def summary(self) -> str:
        """Text table of the tariffs."""
        lines = [f"Contract {self.name} (basis {self.basis}, window {self.window_months} months)"]
        if self.minimum_hours is not None:
            lines.append(f"minimum hours of service: {self.minimum_hours:g}")
        if self.spec.smooth is not None:
            sm = self.spec.smooth
            lines.append(
                f"outcome fees x min({sm.max_factor.value:g}, "
                f"({sm.reference_probability.value:g} / "
                f"max(q, {sm.probability_floor.value:g}))^{sm.elasticity.value:g})"
            )
        inst = self.spec.instruments
        if inst is not None:
            priced = inst.uses_probability or self.needs_prediction
            on = "an independent assessment" if inst.priced_on == "assessment" else "the model"
            used = ", ".join(inst.families)
            lines.append(f"instruments: {used}" + (f" (priced on {on})" if priced else ""))
        lines.append(
            f"{'tariff':<14}{'attach':>8}{'outcome':>9}{'trigger':>8}{'sust/4wk':>9}{'max':>5}"
        )
        for key, t in self.tariffs.items():
            lines.append(
                f"{key:<14}{t.attachment_fee:>8.0f}{t.job_outcome_fee:>9.0f}{t.trigger_weeks:>8.0f}"
                f"{t.sustainment_fee:>9.0f}{t.max_sustainment_payments:>5d}"
            )
        return "\n".join(lines)


def smooth_multiplier(
    predicted: ArrayLike,
    reference: float,
    elasticity: float,
    floor: float,
    max_factor: float = np.inf,
) -> NDArray[np.float64]:
    """Return ``min((reference / max(q, floor)) ** elasticity, max_factor)``, a smooth factor.

    The one formula of the smooth schedule, used by contracts and by the optimiser's search.

    Examples
    --------
    >>> smooth_multiplier([0.1, 0.4], 0.2, 1.0, 0.05).tolist()
    [2.0, 0.5]
    """
    q = np.maximum(np.asarray(predicted, dtype=float), floor)
    factor = (reference / q) ** elasticity
    out: NDArray[np.float64] = np.minimum(factor, max_factor)
    return out


def smooth_factor(predicted: ArrayLike, smooth: SmoothSpec) -> NDArray[np.float64]:
    """Multiplier of the outcome fees under a smooth tariff (see :class:`SmoothSpec`)."""
    return smooth_multiplier(
        predicted,
        smooth.reference_probability.value,
        smooth.elasticity.value,
        smooth.probability_floor.value,
        smooth.max_factor.value,
    )


def _size(caseload: Any, predicted: ArrayLike | None) -> int:
    for key in ("person_id", "payment_group", "true_p0"):
        if key in caseload:
            return len(caseload[key])
    if predicted is not None:
        return int(np.asarray(predicted).size)
    raise InputError([Problem("the caseload has no person_id column", column="person_id")])


def _column(caseload: Any, key: str, n: int, source: str) -> NDArray[np.float64] | None:
    """Return a numeric column of the caseload as floats, or ``None`` when absent."""
    if key not in caseload:
        return None
    x = np.asarray(caseload[key], dtype=float)
    if x.shape != (n,) or not np.all(np.isfinite(x)):
        raise InputError([Problem(f"must hold {n} finite numbers", column=key)], source=source)
    return x


def _probabilities(values: Any, n: int, key: str, source: str) -> NDArray[np.float64]:
    q = np.asarray(values, dtype=float)
    if q.shape != (n,):
        raise InputError([Problem(f"has {q.size} values for {n} people", column=key)],
                         source=source)
    if q.size and (not np.all(np.isfinite(q)) or q.min() < 0 or q.max() > 1):
        raise InputError([Problem("probabilities must lie in [0, 1]", column=key)],
                         source=source)
    return q


def _group_cells(caseload: Any, labels: tuple[str, ...]) -> Cells:
    """Each person's payment group as a code into ``labels`` (``-1``: not among them)."""
    if "payment_group" not in caseload:
        raise InputError(
            [Problem("the caseload has no payment_group column", column="payment_group")]
        )
    groups = np.asarray(caseload["payment_group"]).astype(str)
    present, inverse = np.unique(groups, return_inverse=True)
    index = {g: i for i, g in enumerate(labels)}
    codes = np.array([index.get(g, -1) for g in present], dtype=np.int64)[inverse]
    return Cells(codes.reshape(-1), labels)


def _estimate_figure(value: float, unit: str, description: str, reason: str) -> dict[str, Any]:
    return {
        "value": float(value),
        "unit": unit,
        "description": description,
        "estimate": True,
        "reason": reason,
    }


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if part in UNION_TAGS:
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


#: A message of a whole-file check that starts with the key it is about: ``"key.path: ..."``.
_KEYED = re.compile(r"^([A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*): (.+)$", re.DOTALL)

#: Keys a file built on a preset (``based_on``) never takes from it.
_OWN_KEYS = ("name", "description", "based_on")
_TARIFF_SECTIONS = ("groups", "bands", "smooth")


def _inherit(data: dict[str, Any], source: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """Resolve ``based_on``: the preset's keys that the file does not set, then the file's.

    A file that sets ``basis`` takes no tariff section (groups, bands, smooth) from the preset.
    """
    base = data.get("based_on")
    if base is None:
        return data
    if not isinstance(base, str) or base not in PRESETS:
        raise InputError(
            [
                Problem(
                    f"no preset called {base!r}; presets: {', '.join(PRESETS)}",
                    column="based_on",
                )
            ],
            source=source,
        )
    if base in seen:
        raise InputError(
            [Problem(f"presets built on each other: {' -> '.join((*seen, base))}",
                     column="based_on")],
            source=source,
        )
    path = PRESETS[base]
    raw = copy.deepcopy(_preset_data(path, path.stat().st_mtime_ns))
    parent = _inherit(raw, f"preset:{base}", (*seen, base))
    skip = _OWN_KEYS + (_TARIFF_SECTIONS if "basis" in data else ())
    merged = {k: v for k, v in parent.items() if k not in skip}
    merged.update(data)
    return merged


@functools.lru_cache(maxsize=32)
def _preset_data(path: Path, mtime_ns: int) -> Any:
    """Parse a preset file once per version (``mtime_ns`` keys the cache)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _validate(data: Any, *, source: str) -> ContractSpec:
    if not isinstance(data, dict):
        raise InputError(
            [Problem("a contract file must hold a mapping of keys to values")], source=source
        )
    data = _inherit(data, source)
    try:
        return ContractSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = _loc(err["loc"]) or None
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (not allowed here)"
            keyed = _KEYED.match(msg)
            if keyed:  # a check of a section names the key it is about first
                key = f"{key}.{keyed.group(1)}" if key else keyed.group(1)
                msg = keyed.group(2)
            problems.append(Problem(msg, column=key))
        raise InputError(problems, source=source) from None


def _resolve(name_or_path: str | Path) -> tuple[Path, str]:
    text = str(name_or_path)
    preset = _PRESET_DIR / f"{text}.yaml"
    if "/" not in text and "\\" not in text and not text.endswith((".yaml", ".yml")):
        if preset.exists():
            return preset, f"preset:{text}"
        if text == "flat":
            raise InputError(
                [
                    Problem(
                        "the 'flat' preset is computed on a caseload: use "
                        "pbr_fairness.simulation.flat_contract(caseload, provider)",
                        column="contract",
                    )
                ]
            )
        names = sorted(p.stem for p in _PRESET_DIR.glob("*.yaml"))
        raise InputError(
            [
                Problem(
                    f"no preset called {text!r}; presets: {', '.join([*names, 'flat'])}, "
                    "or give a YAML file path",
                    column="contract",
                )
            ]
        )
    path = Path(name_or_path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file", str(path))
    return path, str(path)


def load_contract(name_or_path: str | Path) -> Contract:
    """Load and validate a contract: a preset name or a YAML file.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        A name in :data:`~pbr_fairness.contracts.PRESETS` or the path of a YAML file.

    Returns
    -------
    Contract

    Raises
    ------
    InputError
        If the file is not valid; every problem names the file and the key.
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    >>> c = load_contract("work_programme_2011")
    >>> c.tariffs["PG2"].job_outcome_fee
    1200.0
    """
    path, source = _resolve(name_or_path)
    return contract_from_yaml(read_limited(path, what="contract file"), source=source)


def contract_from_yaml(data: bytes | str, *, source: str = "contract") -> Contract:
    """Read and validate a contract from YAML text held in memory.

    Parameters
    ----------
    data : bytes or str
        The YAML text (UTF-8).
    source : str, default "contract"
        Named in error messages.

    Returns
    -------
    Contract

    Raises
    ------
    InputError
        If the text is not UTF-8, not YAML, or not a valid contract (naming every bad key).

    Examples
    --------
    >>> c = contract_from_yaml(contract_to_yaml(load_contract("work_programme_2011")))
    >>> c.tariffs["PG7"].job_outcome_fee
    3500.0
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_YAML_BYTES:
        raise LimitError([Problem(f"a contract of {len(raw):,} bytes is larger than the limit"
                                  f" of {MAX_YAML_BYTES:,} bytes")], source=source)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError([Problem("not UTF-8 text")], source=source) from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"not valid YAML: {exc}")], source=source) from None
    spec = _validate(loaded, source=source)
    if spec.based_on is not None:  # the hash of what the file resolves to, base included
        return Contract(spec, source=source)
    return Contract(spec, source=source, sha256=hashlib.sha256(raw).hexdigest())


def contract_to_yaml(contract: Contract) -> str:
    """Return the contract as YAML text that :func:`load_contract` reads back unchanged."""
    data = contract.spec.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    data = _drop_empty(data)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def save_contract(contract: Contract, path: str | Path) -> Path:
    """Write a contract as YAML; return the path."""
    return write_text(path, contract_to_yaml(contract))


def _drop_empty(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {
            k: _drop_empty(v)
            for k, v in obj.items()
            if not (k == "reference" and v in ((), [])) and not (k == "estimate" and v is False)
        }
    if isinstance(obj, list | tuple):
        return [_drop_empty(v) for v in obj]
    return obj
