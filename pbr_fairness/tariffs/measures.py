"""The optimiser's headline measures: the simulator's plus parking caps and equity weights."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pbr_fairness.simulation import MEASURES, Evaluation, Population

__all__ = [
    "EXTRA_MEASURES",
    "LOWER_HALF_DECILES",
    "TARGET_MEASURE",
    "parked_shares",
    "tariff_measures",
]

#: Deciles of true ``p0`` (0 = furthest from work) whose worst parked share is the target.
LOWER_HALF_DECILES: tuple[int, ...] = (0, 1, 2, 3, 4)

#: The measure the issue's targets are stated in.
TARGET_MEASURE = "worst_parked_share_lower_half"

#: Measures the optimiser adds to :data:`pbr_fairness.simulation.MEASURES`.
EXTRA_MEASURES: dict[str, str] = {
    "equity_weighted_additional_jobs": (
        "Additional jobs weighted by distance from work, w_i / W (proportionate universalism)."
    ),
    "worst_parked_share": "Largest parked share in any capped group (decile or payment group).",
    "worst_parked_share_lower_half": (
        "Largest parked share in the deciles of the lower half of true p0 (furthest from work)."
    ),
    "worst_parked_share_payment_group": "Largest parked share in any payment group.",
}


def parked_shares(pop: Population, parked: np.ndarray, breakdown: str) -> np.ndarray:
    """Parked share in each group of one breakdown (``nan`` for an empty group)."""
    bd = pop.breakdowns[breakdown]
    keep = bd.codes >= 0
    n = np.bincount(bd.codes[keep], minlength=len(bd.labels)).astype(float)
    k = np.bincount(bd.codes[keep], weights=parked[keep], minlength=len(bd.labels))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, k / np.where(n > 0, n, 1.0), np.nan)


def tariff_measures(
    pop: Population,
    ev: Evaluation,
    *,
    social_value_per_job: float,
    capped: Sequence[str] = ("decile_true_p0", "payment_group"),
) -> dict[str, float]:
    """Every simulator measure over everyone plus :data:`EXTRA_MEASURES`."""
    out = {m: float(ev.overall[m]) for m in MEASURES}
    parked = ev.parked.astype(float)
    out["equity_weighted_additional_jobs"] = float(
        ((pop.weights / social_value_per_job) * (ev.p - pop.p0)).sum()
    )
    worst = [np.nanmax(parked_shares(pop, parked, b)) for b in capped if b in pop.breakdowns]
    out["worst_parked_share"] = float(max(worst)) if worst else float(ev.overall["parked_share"])
    dec = parked_shares(pop, parked, "decile_true_p0")
    out["worst_parked_share_lower_half"] = float(np.nanmax(dec[list(LOWER_HALF_DECILES)]))
    out["worst_parked_share_payment_group"] = float(
        np.nanmax(parked_shares(pop, parked, "payment_group"))
    )
    return out
