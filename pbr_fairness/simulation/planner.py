"""The planner: the equity-weighted allocation of the same hours.

The planner is the reference a contract is judged against (DESIGN.md).

The planner maximises ``sum_i w_i * (p_i(e_i) - p0_i)`` over hours ``e_i >= e_min`` with
``sum_i e_i`` equal to the hours the provider used, where
``w_i = W * ((1 - p0_i) / mean(1 - p0)) ** eta`` (proportionate universalism, Marmot 2010).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.errors import InputError
from pbr_fairness.simulation.allocation import allocate_hours
from pbr_fairness.simulation.provider import _check

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
        "DESIGN.md: proportionate universalism (Marmot 2010, Fair Society, Healthy Lives), "
        "eta = 1; eta = 0 counts every additional job the same"
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
            _check("social_value_per_job", self.social_value_per_job, 0.0, open_low=True),
            _check("equity_exponent", self.equity_exponent, 0.0, 10.0),
        ]
        problems = [p for p in problems if p is not None]
        if problems:
            raise InputError(problems, source="planner settings")

    def to_dict(self) -> dict[str, float]:
        """Plain dict of the settings."""
        return {k: float(v) for k, v in asdict(self).items()}


def planner_weights(p0: ArrayLike, planner: PlannerSettings | None = None) -> NDArray[np.float64]:
    """Equity weights ``w_i = W * ((1 - p0_i) / mean(1 - p0)) ** eta``.

    Examples
    --------
    >>> planner_weights([0.2, 0.6], PlannerSettings(1.0, 1.0)).round(3).tolist()
    [1.333, 0.667]
    """
    planner = planner or PlannerSettings()
    d = 1.0 - np.asarray(p0, dtype=float)
    mean = d.mean() if d.size else 1.0
    if mean <= 0:
        return np.full(d.shape, planner.social_value_per_job)
    return planner.social_value_per_job * (d / mean) ** planner.equity_exponent


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
    """
    w = np.asarray(weights, dtype=float)
    n = w.size
    if n == 0:
        return np.zeros(0)
    if total_hours <= n * minimum * (1 + 1e-12):
        return np.full(n, float(minimum))
    return allocate_hours(w, gain, k, cost=0.0, capacity=total_hours, minimum=minimum).hours


@dataclass(frozen=True, eq=False)
class PlannerProblem:
    """The planner's problem for fixed people, prepared once for any total of hours.

    The planner's weights, gains and responsiveness do not depend on the tariff, so the
    breakpoints ``b_i = ln(w_i g_i k_i) - k_i e_min`` are sorted once; the hours for a given
    total then follow from a binary search over prefix sums and one vectorised pass
    (the same optimum as :func:`~pbr_fairness.simulation.allocation.allocate_hours` with
    zero cost and binding capacity).
    """

    b: NDArray[np.float64]
    inv_k: NDArray[np.float64]
    minimum: float
    sorted_b: NDArray[np.float64]
    cum_inv: NDArray[np.float64]
    cum_b: NDArray[np.float64]
    free_at_next: NDArray[np.float64]

    @classmethod
    def prepare(
        cls, weights: ArrayLike, gain: ArrayLike, k: ArrayLike, *, minimum: float
    ) -> PlannerProblem:
        """Sort the breakpoints and build the prefix sums."""
        from pbr_fairness.simulation.allocation import breakpoints

        k = np.asarray(k, dtype=float)
        b = breakpoints(weights, gain, k, minimum)
        inv = 1.0 / k
        finite = np.isfinite(b)
        order = np.argsort(-b[finite], kind="stable")
        sb = b[finite][order]
        si = inv[finite][order]
        cum_inv = np.cumsum(si)
        cum_b = np.cumsum(sb * si)
        # free hours used when the top j+1 people are active and t sits at the next breakpoint
        free_at_next = cum_b[:-1] - sb[1:] * cum_inv[:-1] if sb.size > 1 else np.zeros(0)
        return cls(b, inv, float(minimum), sb, cum_inv, cum_b, free_at_next)

    def hours(self, total_hours: float) -> NDArray[np.float64]:
        """Return the planner's hours for a total of ``total_hours``."""
        n = self.b.size
        free = total_hours - n * self.minimum
        if n == 0:
            return np.zeros(0)
        if free <= n * self.minimum * 1e-12 or self.sorted_b.size == 0:
            return np.full(n, self.minimum)
        j = int(np.searchsorted(self.free_at_next, free, side="left"))
        j = min(j, self.sorted_b.size - 1)
        t = (self.cum_b[j] - free) / self.cum_inv[j]
        with np.errstate(invalid="ignore"):
            extra = np.where(self.b > t, (self.b - t) * self.inv_k, 0.0)
        return self.minimum + extra
