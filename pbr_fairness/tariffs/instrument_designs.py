"""Contract designs built from instrument families, laid out on a caseload's arrays.

A :class:`Design` is a contract the instrument search (:mod:`pbr_fairness.tariffs.
instrument_search`) can propose: outcome fees (a share of the baseline's, possibly shaped by
the pricing probability) plus any of the instrument families of
:mod:`pbr_fairness.engine.instruments`, each with its own parameters. Every family has one
*amount* (a rate in pounds, or the fee factor) that the search scales to spend the budget;
the rest is its *shape*:

========================  ===========================================================
family                    what it pays (notation of ``docs/simulation.md``)
========================  ===========================================================
``value_added``           ``T_i (Y_i - b_i)`` netted per cohort of a band, floored at 0;
                          ``T_i = T0 (q_ref / q_i)^a``; ``b_i`` the band's no-support rate
                          as a comparison group measures it
``accelerator``           per cohort of a band, ``T_hi`` per outcome above the level
                          ``(1 + x)`` times the band's no-support rate; ``T_hi`` shaped as
                          ``T0 (q_ref / q_band)^a``
``yardstick``             ``T_i (Y_i - mean outcome of the other primes in the band)``
``cost_sharing``          a share ``alpha`` of verified hours for the bands furthest from
                          work
``funded_hours``          ``h`` hours funded at cost for the bands furthest from work
``assessment``            outcome fees shaped by an independent assessment ``q_a`` with its
                          own noise, steepened by ``a`` (Glazer & McGuire 2000)
========================  ===========================================================

Bands are ten of equal size of the pricing probability, band 1 furthest from work (the
labels of :func:`pbr_fairness.distance.band_label`). Every per-outcome amount is capped at
:data:`MAX_FEE_PER_OUTCOME`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pbr_fairness.contracts.contract import smooth_multiplier
from pbr_fairness.engine.instruments import Instruments
from pbr_fairness.engine.population import Population
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.maths import logit, sigmoid

__all__ = [
    "FAMILIES",
    "FAMILY_LABELS",
    "MAX_FEE_PER_OUTCOME",
    "Design",
    "DesignSpace",
    "check_families",
]

#: The instrument families the search knows, in the order it reports them.
FAMILIES: tuple[str, ...] = (
    "value_added",
    "accelerator",
    "yardstick",
    "cost_sharing",
    "funded_hours",
    "assessment",
)

#: Plain names of the families.
FAMILY_LABELS: dict[str, str] = {
    "value_added": "value-added payment",
    "accelerator": "accelerator",
    "yardstick": "yardstick between primes",
    "cost_sharing": "cost-sharing of verified hours",
    "funded_hours": "commissioner-funded hours",
    "assessment": "fees on an independent assessment",
}

#: Most any fee or rate per outcome may be (pounds): Reform (2016, "Not too late to
#: accelerate") proposed accelerator prices of up to about 20,000 GBP per outcome for the
#: hardest to help against an average of 4,000 GBP (shared/reference/instruments.md).
MAX_FEE_PER_OUTCOME = 20_000.0

#: Steepest factor a shape may give one person over the reference (as the smooth basis).
MAX_FACTOR = 10.0
#: Least probability a shape divides by.
PROBABILITY_FLOOR = 0.02


def check_families(value: Any) -> tuple[str, ...]:
    """Read a family list: ``"all"``, a comma-separated string, or a sequence of names.

    Examples
    --------
    >>> check_families("value_added, yardstick")
    ('value_added', 'yardstick')
    >>> check_families("all") == FAMILIES
    True
    """
    if value is None:
        return ()
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",") if v.strip()]
        if items == ["all"]:
            return FAMILIES
    else:
        items = [str(v) for v in value]
    bad = [v for v in items if v not in FAMILIES]
    if bad or not items:
        raise InputError(
            [
                Problem(
                    f"unknown instrument family {', '.join(map(repr, bad)) or '(none)'}; "
                    f"choose from {', '.join(FAMILIES)} or 'all'",
                    column="instruments",
                )
            ]
        )
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class Design:
    """One contract: outcome fees plus instrument families, each with its parameters.

    Parameters
    ----------
    fee_factor : float
        Outcome fees (job outcome and sustainment) as a share of the baseline's.
    families : mapping of str to mapping
        Per family, its parameters: ``amount`` (pounds per outcome, or hours, or a share)
        and its shape (``shape``: elasticity in the pricing probability; ``level``: the
        accelerator's level above the no-support rate; ``bands``: how many bands furthest
        from work a per-band family covers; ``amount`` of ``assessment`` is the fees' shape).
    scaled : str
        What the search scales: a family's ``amount`` or ``"fees"`` (the fee factor).
    """

    fee_factor: float = 1.0
    families: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    scaled: str = "fees"

    def at(self, scale: float) -> Design:
        """Return the design with its scaled amount set to ``scale``."""
        if self.scaled == "fees":
            return replace(self, fee_factor=float(scale))
        fam = {k: dict(v) for k, v in self.families.items()}
        fam[self.scaled]["amount"] = float(scale)
        return replace(self, families=fam)

    @property
    def scale(self) -> float:
        """The current value of the scaled amount."""
        if self.scaled == "fees":
            return self.fee_factor
        return float(self.families[self.scaled]["amount"])

    def label(self) -> str:
        """Return a short description of the design in words and figures."""
        parts = []
        for fam, p in self.families.items():
            bits = []
            for key in ("amount", "shape", "level", "bands"):
                if key in p:
                    v = p[key]
                    bits.append(f"{key} {v:,.0f}" if abs(v) >= 100 else f"{key} {v:g}")
            parts.append(f"{FAMILY_LABELS[fam]} ({', '.join(bits)})")
        parts.append(f"fees x{self.fee_factor:.2f}")
        return " + ".join(parts)


@dataclass(eq=False)
class DesignSpace:
    """What designs are laid out on: the baseline's tariff, the prediction, bands and primes.

    Parameters
    ----------
    tariff : mapping of str to numpy.ndarray
        The baseline's per-person tariff arrays.
    predicted : numpy.ndarray
        The commissioner's pricing probability per person.
    assessment : numpy.ndarray
        An independent assessment of each person's chance (``sigmoid(logit(p0) + noise)``).
    band : numpy.ndarray of int
        Band per person, 0 = furthest from work (equal-size bands of ``predicted``).
    n_bands : int
    """

    tariff: Mapping[str, NDArray[np.float64]]
    predicted: NDArray[np.float64]
    assessment: NDArray[np.float64]
    band: NDArray[np.int64]
    n_bands: int
    benchmark_offset: float = 0.0
    #: The bands' no-support rates when the contract was let: the accelerator's levels are
    #: fixed from them (a demand shock afterwards does not move them).
    fixed_no_support: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def build(
        cls,
        population: Population,
        tariff: Mapping[str, Any],
        predicted: NDArray[np.float64],
        *,
        n_bands: int = 10,
        assessment_noise: float = 0.75,
        rng: np.random.Generator | int | None = 0,
    ) -> DesignSpace:
        """Lay out the bands and draw the independent assessment (seeded)."""
        n = population.n
        q = np.asarray(predicted, dtype=float)
        order = np.argsort(q, kind="stable")
        band = np.empty(n, dtype=np.int64)
        band[order] = np.arange(n) * n_bands // n
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        assess = sigmoid(logit(population.p0) + gen.normal(0.0, assessment_noise, n))
        arrays = {
            k: np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy() for k, v in tariff.items()
        }
        space = cls(arrays, q, assess, band, int(n_bands))
        space.fixed_no_support = space.band_means(population.p0)
        return space

    def reference_probability(self) -> float:
        """``q_ref``: the mean pricing probability (a shape of 1 there)."""
        return float(np.mean(self.predicted))

    def band_means(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """Mean of ``x`` in each band."""
        n = np.bincount(self.band, minlength=self.n_bands).astype(float)
        out: NDArray[np.float64] = np.bincount(
            self.band, weights=x, minlength=self.n_bands
        ) / np.maximum(n, 1.0)
        return out

    def shape(
        self, elasticity: float, probability: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """``min(MAX_FACTOR, (q_ref / max(q, floor))^a)`` per person (or per band mean)."""
        q = self.predicted if probability is None else probability
        return smooth_multiplier(
            q, self.reference_probability(), elasticity, PROBABILITY_FLOOR, MAX_FACTOR
        )

    def arrays(
        self, design: Design, population: Population
    ) -> tuple[dict[str, NDArray[np.float64]], Instruments]:
        """Per-person tariff arrays and the engine's instruments for a design.

        ``population`` gives the no-support rates a comparison group measures (its ``p0``:
        under a demand shock, the shocked rates, as a comparison group run alongside would
        see them).
        """
        t = {k: v.copy() for k, v in self.tariff.items()}
        fams = design.families
        fee: float | NDArray[np.float64] = design.fee_factor
        if "assessment" in fams:
            a = float(fams["assessment"].get("amount", 1.0))
            fee = fee * self.shape(a, self.assessment)
        t["J"] = np.minimum(self.tariff["J"] * fee, MAX_FEE_PER_OUTCOME)
        t["S"] = self.tariff["S"] * fee
        kw: dict[str, Any] = {}
        no_support = self.band_means(population.p0)
        if "value_added" in fams:
            p = fams["value_added"]
            rate = np.minimum(p["amount"] * self.shape(p.get("shape", 0.0)), MAX_FEE_PER_OUTCOME)
            kw.update(
                value_added_rate=rate,
                benchmark=np.clip(no_support[self.band] + self.benchmark_offset, 0.0, 1.0),
                value_added_cell=self.band,
                value_added_floor=0.0,
            )
        if "accelerator" in fams:
            p = fams["accelerator"]
            q_band = self.band_means(self.predicted)
            high = np.minimum(
                p["amount"] * self.shape(p.get("shape", 0.0), q_band), MAX_FEE_PER_OUTCOME
            )
            kw.update(
                accelerator_cell=self.band,
                accelerator_level=np.clip(
                    (1.0 + p.get("level", 0.1)) * self.fixed_no_support + self.benchmark_offset,
                    0.0,
                    1.0,
                ),
                accelerator_low=np.zeros(self.n_bands),
                accelerator_high=high,
            )
        if "yardstick" in fams:
            p = fams["yardstick"]
            kw.update(
                yardstick_rate=np.minimum(
                    p["amount"] * self.shape(p.get("shape", 0.0)), MAX_FEE_PER_OUTCOME
                ),
                yardstick_cell=self.band,
            )
        if "cost_sharing" in fams:
            p = fams["cost_sharing"]
            kw["cost_share"] = np.where(
                self.band < int(p.get("bands", 5)), min(float(p["amount"]), 0.99), 0.0
            )
        if "funded_hours" in fams:
            p = fams["funded_hours"]
            kw["funded_hours"] = np.where(
                self.band < int(p.get("bands", 5)), float(p["amount"]), 0.0
            )
        return t, Instruments(**kw)
