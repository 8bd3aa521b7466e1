"""The simulator's measures (docs/simulation.md), from per-person arrays by additive group sums.

Every measure is a function of a handful of sums over the people of a group, so a whole
breakdown is computed with one :func:`numpy.bincount` per sum:

- ``job_outcome_rate = sum p / n``; ``no_support_rate = sum p0 / n``;
- ``additional_jobs = sum (p - p0)``; ``deadweight_share = sum p0 / sum p``;
- ``government_spend = sum (A + p V)`` (expected payments; realised in Monte Carlo);
- ``cost_per_additional_job = spend / additional jobs``;
- ``provider_profit = spend - c * sum e``; ``hours_per_person = sum e / n``;
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
    "cost_per_additional_job",
    "provider_profit",
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
    "cost_per_additional_job": "Government spend per additional job outcome (pounds).",
    "provider_profit": "Payments received minus the cost of the hours given (pounds).",
    "hours_per_person": "Mean hours of support per person.",
    "parked_share": "Share of people given only the minimum hours.",
    "creaming_index": "Concentration index of hours ranked by p0 (> 0: to those closest to work).",
    "planner_gap": "Share of hours that would have to move to reach the planner's allocation.",
}

#: The per-group sums every measure is built from.
SUM_KEYS: tuple[str, ...] = (
    "count",
    "p",
    "p0",
    "hours",
    "planner_hours",
    "abs_gap",
    "spend",
    "parked",
    "hours_rank",
)

def group_sums(
    codes: NDArray[np.int64] | None,
    n_groups: int,
    *,
    p: NDArray[np.float64],
    p0: NDArray[np.float64],
    hours: NDArray[np.float64],
    planner_hours: NDArray[np.float64] | None,
    spend: NDArray[np.float64],
    parked: NDArray[np.bool_],
    rank: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    """Sum :data:`SUM_KEYS` per group (``codes`` ``None``: one group of everyone).

    People with code ``-1`` (missing) are left out.
    """
    if codes is None:
        out = {
            "count": np.array([float(p.size)]),
            "p": np.array([p.sum()]),
            "p0": np.array([p0.sum()]),
            "hours": np.array([hours.sum()]),
            "spend": np.array([spend.sum()]),
            "parked": np.array([float(np.count_nonzero(parked))]),
            "hours_rank": np.array([hours @ rank]),
        }
        if planner_hours is not None:
            out["planner_hours"] = np.array([planner_hours.sum()])
            out["abs_gap"] = np.array([np.abs(hours - planner_hours).sum()])
        return out
    keep = codes >= 0
    if not keep.all():
        codes = codes[keep]
        p, p0, hours, spend, rank = (a[keep] for a in (p, p0, hours, spend, rank))
        parked = parked[keep]
        planner_hours = None if planner_hours is None else planner_hours[keep]

    def bc(w: NDArray | None) -> NDArray[np.float64]:
        return np.bincount(codes, weights=w, minlength=n_groups).astype(float)

    out = {
        "count": bc(None),
        "p": bc(p),
        "p0": bc(p0),
        "hours": bc(hours),
        "spend": bc(spend),
        "parked": bc(parked.astype(float)),
        "hours_rank": bc(hours * rank),
    }
    if planner_hours is not None:
        out["planner_hours"] = bc(planner_hours)
        out["abs_gap"] = bc(np.abs(hours - planner_hours))
    return out


def _ratio(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)


def measures_from_sums(
    sums: Mapping[str, NDArray[np.float64]], cost_per_hour: float
) -> dict[str, NDArray[np.float64]]:
    """Every measure of :data:`MEASURES` from the group sums (arrays of equal length).

    Works on any leading shape, e.g. ``(replications, groups)`` in Monte Carlo.
    """
    n = sums["count"]
    additional = sums["p"] - sums["p0"]
    out = {
        "job_outcome_rate": _ratio(sums["p"], n),
        "no_support_rate": _ratio(sums["p0"], n),
        "additional_jobs": additional,
        "deadweight_share": _ratio(sums["p0"], sums["p"]),
        "government_spend": sums["spend"],
        "cost_per_additional_job": _ratio(sums["spend"], additional),
        "provider_profit": sums["spend"] - cost_per_hour * sums["hours"],
        "hours_per_person": _ratio(sums["hours"], n),
        "parked_share": _ratio(sums["parked"], n),
        "creaming_index": 2.0 * _ratio(sums["hours_rank"], sums["hours"]) - 1.0,
    }
    if "planner_hours" in sums:
        out["planner_gap"] = _ratio(sums["abs_gap"], 2.0 * sums["planner_hours"])
    else:
        out["planner_gap"] = np.full(np.shape(n), np.nan)
    return out
