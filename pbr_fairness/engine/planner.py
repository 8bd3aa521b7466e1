"""The planner: the equity-weighted allocation of the same hours.

The planner is the reference a contract is judged against (the design notes,
``docs/simulation.md``). It maximises ``sum_i w_i * (p_i(e_i) - p0_i)`` over hours
``e_i >= e_min`` with ``sum_i e_i`` equal to the hours the provider used, where
``w_i = W * ((1 - p0_i) / mean(1 - p0)) ** eta`` (proportionate universalism, Marmot 2010).
Its hours are the provider's closed form with ``value = w`` and a zero cost of an hour
(:mod:`pbr_fairness.engine.capacity`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.engine.capacity import SortedBreakpoints, allocate_hours, solve_capacity
from pbr_fairness.engine.hours import hours_at
from pbr_fairness.engine.provider import check_setting
from pbr_fairness.errors import InputError
from pbr_fairness.limits import MAX_SOCIAL_VALUE_GBP

__all__ = [
    "PLANNER_SOURCES",
    "PlannerProblem",
    "PlannerSettings",
    "planner_hours",
    "planner_weights",
]

#: Where each default of :class:`PlannerSettings` comes from.
PLANNER_SOURCES: dict[str, str] = {
    "social_value_per_job": (
        "estimate: order of the first-year fiscal gain of one person moving from out-of-work "
        "benefits into work (benefit saved plus tax paid, about GBP 10,000); only its ratio to "
        "the tariff matters, and only when mission_weight > 0"
    ),
    "equity_exponent": (
        "the design notes: proportionate universalism (Marmot 2010, Fair Society, Healthy "
        "Lives), eta = 1; eta = 0 counts every additional job the same"
    ),
}


@dataclass(frozen=True)
class PlannerSettings:
    """The planner's equity weights ``w_i = W * ((1 - p0_i) / mean(1 - p0)) ** eta``.

    Parameters
    ----------
    social_value_per_job : float, default 10000.0
        ``W``: social value of one additional job (pounds). Estimate.
    equity_exponent : float, default 1.0
        ``eta``: 0 counts every additional job the same; larger favours those furthest
        from work.
    """

    social_value_per_job: float = 10_000.0
    equity_exponent: float = 1.0

    def __post_init__(self) -> None:
        problems = [
            check_setting("social_value_per_job", self.social_value_per_job, 0.0,
                          MAX_SOCIAL_VALUE_GBP, open_low=True),
            check_setting("equity_exponent", self.equity_exponent, 0.0, 10.0),
        ]
        found = [p for p in problems if p is not None]
        if found:
            raise InputError(found, source="planner settings")

    def to_dict(self) -> dict[str, float]:
        """Plain dict of the settings."""
        return {k: float(v) for k, v in asdict(self).items()}


def planner_weights(
    p0: ArrayLike,
    planner: PlannerSettings | None = None,
    *,
    mean_distance: float | None = None,
) -> NDArray[np.float64]:
    """Equity weights ``w_i = W * ((1 - p0_i) / mean(1 - p0)) ** eta``.

    Parameters
    ----------
    p0 : array-like
        Each person's chance of a job outcome with no support.
    planner : PlannerSettings, optional
        ``W`` and ``eta``.
    mean_distance : float, optional
        ``mean(1 - p0)`` over the whole caseload, when ``p0`` holds only part of it (a chunk
        of a national run); default the mean of ``1 - p0``.

    Examples
    --------
    >>> planner_weights([0.2, 0.6], PlannerSettings(1.0, 1.0)).round(3).tolist()
    [1.333, 0.667]
    """
    planner = planner or PlannerSettings()
    d = 1.0 - np.asarray(p0, dtype=np.float64)
    if mean_distance is None:
        mean_distance = float(d.mean()) if d.size else 1.0
    if mean_distance <= 0:
        return np.full(d.shape, planner.social_value_per_job)
    out: NDArray[np.float64] = (
        planner.social_value_per_job * (d / mean_distance) ** planner.equity_exponent
    )
    return out


def planner_hours(
    weights: ArrayLike,
    gain: ArrayLike,
    k: ArrayLike,
    *,
    total_hours: float,
    minimum: float,
) -> NDArray[np.float64]:
    """Allocate the planner's hours: the same total as the provider's, allocated by equity weight.

    Parameters
    ----------
    weights : array-like
        ``w_i`` (:func:`planner_weights`).
    gain : array-like
        True ``pmax_i - p0_i``.
    k : array-like
        True responsiveness per hour.
    total_hours : float
        Hours to allocate (the provider's total).
    minimum : float
        Minimum hours per person.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> planner_hours([2.0, 1.0], [0.1, 0.1], [0.5, 0.5], total_hours=4.0, minimum=1.0).round(3)
    ... # doctest: +NORMALIZE_WHITESPACE
    array([2.693, 1.307])
    """
    return allocate_hours(weights, gain, k, cost=0.0, capacity=total_hours, minimum=minimum).hours


@dataclass(frozen=True, eq=False)
class PlannerProblem:
    """The planner's problem for fixed people, prepared once for any total of hours.

    The planner's weights, gains and responsiveness do not depend on the tariff, so the
    breakpoints are sorted once (:class:`~pbr_fairness.engine.capacity.SortedBreakpoints`);
    the hours for a given total then follow from the same capacity search as the provider's,
    with each step a binary search over prefix sums, and one vectorised pass.
    """

    breakpoints: SortedBreakpoints
    minimum: float

    @classmethod
    def prepare(
        cls, weights: ArrayLike, gain: ArrayLike, k: ArrayLike, *, minimum: float
    ) -> PlannerProblem:
        """Sort the breakpoints and build the prefix sums."""
        return cls(SortedBreakpoints.of(weights, gain, k, minimum), float(minimum))

    def hours(self, total_hours: float) -> NDArray[np.float64]:
        """Return the planner's hours for a total of ``total_hours``."""
        bp = self.breakpoints
        if bp.n == 0:
            return np.zeros(0)
        sol = solve_capacity(bp, cost=0.0, capacity=total_hours, minimum=self.minimum)
        return hours_at(bp.b, bp.k, sol.t, self.minimum)
