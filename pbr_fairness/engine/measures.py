"""The simulator's measures (docs/simulation.md), from per-person arrays by additive group sums.

Every measure is a function of a handful of sums over the people of a group, so a whole
breakdown is computed with one :func:`numpy.bincount` per sum:

- ``job_outcome_rate = sum p / n``; ``no_support_rate = sum p0 / n``;
- ``additional_jobs = sum (p - p0)``; ``deadweight_share = sum p0 / sum p``;
- ``government_spend = sum (A + p V)`` (expected payments, undiscounted; realised in Monte
  Carlo) and ``government_spend_discounted``, the same at the Green Book rate;
- ``cost_per_additional_job = spend / additional jobs``;
- the provider's books: ``provider_revenue = sum (A + p V(r))`` with its own discount rate
  ``r``, ``provider_cost = sum (F + c (contact + e))``, ``provider_profit = revenue - cost``,
  ``provider_margin = profit / revenue`` and ``provider_cost_per_person = cost / n`` (its
  spend per participant);
- ``hours_per_person = sum e / n``;
- ``parked_share`` = share parked (:func:`pbr_fairness.engine.hours.parked_mask`);
- ``creaming_index = 2 cov(e, R) / mean(e) = 2 sum(e R) / sum(e) - 1``, ``R`` the fractional
  rank of ``p0`` within the group (> 0: hours go to those closest to work);
- ``planner_gap = sum |e - e*| / (2 sum e*)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "MEASURES",
    "MEASURE_DESCRIPTIONS",
    "PERSON_KEYS",
    "SUM_KEYS",
    "group_sums",
    "measures_from_sums",
]

#: Measure keys, in report order.
MEASURES: tuple[str, ...] = (
    "job_outcome_rate",
    "no_support_rate",
    "additional_jobs",
    "deadweight_share",
    "government_spend",
    "government_spend_discounted",
    "cost_per_additional_job",
    "provider_revenue",
    "provider_cost",
    "provider_profit",
    "provider_margin",
    "provider_cost_per_person",
    "hours_per_person",
    "parked_share",
    "creaming_index",
    "planner_gap",
)

#: One line per measure, for tables and the app.
MEASURE_DESCRIPTIONS: dict[str, str] = {
    "job_outcome_rate": "Mean probability of a job outcome with the provider's support.",
    "no_support_rate": "Mean probability of a job outcome with no support (deadweight).",
    "additional_jobs": "Job outcomes that would not have happened without support.",
    "deadweight_share": "Share of job outcomes that would have happened anyway.",
    "government_spend": "Attachment, job-outcome and sustainment payments (pounds).",
    "government_spend_discounted": (
        "Government spend discounted to the referral at the Green Book rate, 3.5% (pounds)."
    ),
    "cost_per_additional_job": "Government spend per additional job outcome (pounds).",
    "provider_revenue": "Payments to the provider, discounted at its own rate (pounds).",
    "provider_cost": "Fixed cost, minimum contact and support hours (pounds).",
    "provider_profit": "Provider revenue minus its cost (pounds).",
    "provider_margin": "Provider profit as a share of its revenue.",
    "provider_cost_per_person": "What the provider spends per participant (pounds).",
    "hours_per_person": "Mean hours of support per person.",
    "parked_share": "Share of people given only the minimum hours.",
    "creaming_index": "Concentration index of hours ranked by p0 (> 0: to those closest to work).",
    "planner_gap": "Share of hours that would have to move to reach the planner's allocation.",
}

#: Per-person quantities whose sums per group every measure is built from.
PERSON_KEYS: tuple[str, ...] = (
    "p",
    "p0",
    "hours",
    "spend",
    "spend_discounted",
    "revenue",
    "cost",
)

#: The per-group sums every measure is built from.
SUM_KEYS: tuple[str, ...] = (
    "count",
    *PERSON_KEYS,
    "parked",
    "hours_rank",
    "planner_hours",
    "abs_gap",
)


def group_sums(
    codes: NDArray[np.int64] | None,
    n_groups: int,
    arrays: Mapping[str, NDArray[np.float64]],
    *,
    parked: NDArray[np.bool_],
    rank: NDArray[np.float64],
    planner_hours: NDArray[np.float64] | None = None,
) -> dict[str, NDArray[np.float64]]:
    """Sum :data:`SUM_KEYS` per group (``codes`` ``None``: one group of everyone).

    Parameters
    ----------
    codes : numpy.ndarray or None
        Group code of each person; ``-1`` (missing) is left out.
    n_groups : int
        Number of groups.
    arrays : mapping
        Per-person arrays of :data:`PERSON_KEYS` (all of them).
    parked : numpy.ndarray of bool
        Who is parked.
    rank : numpy.ndarray
        Fractional rank of ``p0`` within each group (for the creaming index).
    planner_hours : numpy.ndarray, optional
        The planner's hours (for the planner gap).

    Returns
    -------
    dict of str to numpy.ndarray
    """
    hours = arrays["hours"]
    if codes is None:
        out = {key: np.array([arrays[key].sum()]) for key in PERSON_KEYS}
        out["count"] = np.array([float(hours.size)])
        out["parked"] = np.array([float(np.count_nonzero(parked))])
        out["hours_rank"] = np.array([hours @ rank])
        if planner_hours is not None:
            out["planner_hours"] = np.array([planner_hours.sum()])
            out["abs_gap"] = np.array([np.abs(hours - planner_hours).sum()])
        return out
    keep = codes >= 0
    if not keep.all():
        codes = codes[keep]
        arrays = {key: arrays[key][keep] for key in PERSON_KEYS}
        hours, parked, rank = arrays["hours"], parked[keep], rank[keep]
        planner_hours = None if planner_hours is None else planner_hours[keep]

    def bc(w: NDArray[np.float64] | None) -> NDArray[np.float64]:
        return np.bincount(codes, weights=w, minlength=n_groups).astype(float)

    out = {key: bc(arrays[key]) for key in PERSON_KEYS}
    out["count"] = bc(None)
    out["parked"] = bc(parked.astype(float))
    out["hours_rank"] = bc(hours * rank)
    if planner_hours is not None:
        out["planner_hours"] = bc(planner_hours)
        out["abs_gap"] = bc(np.abs(hours - planner_hours))
    return out


def _ratio(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def measures_from_sums(sums: Mapping[str, NDArray[np.float64]]) -> dict[str, NDArray[np.float64]]:
    """Every measure of :data:`MEASURES` from the group sums (arrays of equal length).

    Works on any leading shape, e.g. ``(replications, groups)`` in Monte Carlo.
    """
    n = sums["count"]
    additional = sums["p"] - sums["p0"]
    profit = sums["revenue"] - sums["cost"]
    out = {
        "job_outcome_rate": _ratio(sums["p"], n),
        "no_support_rate": _ratio(sums["p0"], n),
        "additional_jobs": additional,
        "deadweight_share": _ratio(sums["p0"], sums["p"]),
        "government_spend": sums["spend"],
        "government_spend_discounted": sums["spend_discounted"],
        "cost_per_additional_job": _ratio(sums["spend"], additional),
        "provider_revenue": sums["revenue"],
        "provider_cost": sums["cost"],
        "provider_profit": profit,
        "provider_margin": _ratio(profit, sums["revenue"]),
        "provider_cost_per_person": _ratio(sums["cost"], n),
        "hours_per_person": _ratio(sums["hours"], n),
        "parked_share": _ratio(sums["parked"], n),
        "creaming_index": 2.0 * _ratio(sums["hours_rank"], sums["hours"]) - 1.0,
    }
    if "planner_hours" in sums:
        out["planner_gap"] = _ratio(sums["abs_gap"], 2.0 * sums["planner_hours"])
    else:
        out["planner_gap"] = np.full(np.shape(n), np.nan)
    return out
