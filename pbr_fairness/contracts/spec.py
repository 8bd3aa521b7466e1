"""The contract file format: pydantic models of a tariff YAML file.

A contract file follows the PolicyEngine manner: every figure is a leaf holding its
``value``, ``unit``, a one-sentence ``description``, a confidence label carried over from
``shared/reference`` (P primary, S secondary, D derived, R literature range, U unverified)
and either a ``reference`` (title and url of the most official source) or
``estimate: true`` with a ``reason``. Unknown keys are rejected everywhere
(``extra="forbid"``) so that a typing mistake in a file never goes unnoticed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pbr_fairness.limits import MAX_FEE_GBP, MAX_HOURS

#: Most sustainment payments of one tariff: the 4-week periods of a 120-month window.
MAX_SUSTAINMENT_PAYMENTS = 130
#: Largest multiplier of a smooth tariff's fees (and its elasticity).
MAX_FEE_FACTOR = 1_000_000.0

__all__ = [
    "BandSpec",
    "ContractSpec",
    "Figure",
    "Reference",
    "SmoothSpec",
    "TariffSpec",
    "Unit",
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
        if self.value < 0:
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


class ContractSpec(_Strict):
    """A whole contract file."""

    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    basis: Basis = "payment_group"
    window_months: int = Field(default=24, ge=6, le=120)
    minimum_hours: Figure | None = None
    groups: dict[str, TariffSpec] | None = None
    bands: tuple[BandSpec, ...] | None = None
    smooth: SmoothSpec | None = None

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
        return self

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
