"""Closed-form allocation of support hours: the provider's and the planner's best response.

For the response curve of :mod:`pbr_fairness.simulation.response`, maximising
``sum_i value_i * p_i(e_i) - cost * sum_i e_i`` subject to ``sum_i e_i <= capacity`` and
``e_i >= minimum`` gives (DESIGN.md)::

    e_i = max(minimum, ln(value_i * gain_i * k_i / (cost + lam)) / k_i)

with ``gain_i = pmax_i - p0_i`` and ``lam >= 0`` the multiplier of the capacity constraint.
With ``t = ln(cost + lam)`` the hours used are a convex, decreasing, piecewise-linear function
of ``t``::

    total(t) = n * minimum + sum_{b_i > t} (b_i - t) / k_i
    b_i = ln(value_i * gain_i * k_i) - k_i * minimum

so the multiplier is found exactly by Newton's method from the left, which moves
monotonically and stops when the set of people above the minimum no longer changes
(safeguarded by bisection). The sums are additive over chunks of people, which is what
:func:`solve_log_multiplier` exposes for caseloads that do not fit in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Allocation", "allocate_hours", "breakpoints", "solve_log_multiplier"]

_MAX_NEWTON = 200


@dataclass(frozen=True)
class Allocation:
    """Hours chosen by an allocation and the multiplier that produced them.

    Attributes
    ----------
    hours : numpy.ndarray
        Hours per person.
    marginal_cost : float
        ``cost + lam``: the shadow price of an hour at the optimum.
    multiplier : float
        ``lam``, the multiplier of the capacity constraint (0 when it does not bind).
    capacity_binds : bool
        Whether all capacity is used.
    """

    hours: NDArray[np.float64]
    marginal_cost: float
    multiplier: float
    capacity_binds: bool


def breakpoints(
    value: ArrayLike, gain: ArrayLike, k: ArrayLike, minimum: float
) -> NDArray[np.float64]:
    """Log marginal cost above which a person gets only the minimum.

    ``b_i = ln(value_i * gain_i * k_i) - k_i * minimum``; ``-inf`` where the product is not
    positive (support cannot pay at any price).
    """
    a = np.asarray(value, dtype=float) * np.asarray(gain, dtype=float) * np.asarray(k, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(a > 0, np.log(np.where(a > 0, a, 1.0)), -np.inf)
    return b - np.asarray(k, dtype=float) * minimum


def _hours_at(b: NDArray[np.float64], k: NDArray[np.float64], t: float, minimum: float):
    with np.errstate(invalid="ignore"):
        extra = np.where(b > t, (b - t) / k, 0.0)
    return minimum + extra


def solve_log_multiplier(
    sums: Callable[[float], tuple[float, float, float]],
    *,
    n: int,
    minimum: float,
    capacity: float,
    t_low: float,
    t_high: float,
) -> float:
    """Solve ``total(t) = capacity`` for the log marginal cost ``t``.

    Parameters
    ----------
    sums : callable
        ``sums(t)`` returns ``(s0, s1, count)``: the sums of ``1/k_i`` and ``b_i/k_i`` and the
        number of people with ``b_i > t``. It may add up over chunks of people.
    n : int
        Number of people.
    minimum : float
        Minimum hours per person.
    capacity : float
        Total hours available; must satisfy ``total(t_low) > capacity >= n * minimum``.
    t_low, t_high : float
        A bracket: ``total(t_low) > capacity`` and ``total(t_high) <= capacity``
        (``t_high >= max b_i`` always qualifies).

    Returns
    -------
    float
        ``t`` with ``total(t) = capacity`` (to rounding).
    """
    free = capacity - n * minimum
    lo, hi = t_low, t_high
    t = t_low
    prev_count = -1.0
    for _ in range(_MAX_NEWTON):
        s0, s1, count = sums(t)
        if count == 0:
            hi = t
            t = 0.5 * (lo + hi)
            continue
        t_new = (s1 - free) / s0
        if not lo <= t_new <= hi:  # safeguard: fall back to bisection
            t_new = 0.5 * (lo + hi)
        if count == prev_count and t_new == t:
            return t
        excess = s1 - t * s0 - free
        if excess > 0:
            lo = t
        else:
            hi = t
        prev_count = count
        if t_new == t:
            return t
        t = t_new
    return t


def allocate_hours(
    value: ArrayLike,
    gain: ArrayLike,
    k: ArrayLike,
    *,
    cost: float,
    capacity: float | None = None,
    minimum: float = 0.0,
) -> Allocation:
    """Best response of an agent paid ``value_i`` per job outcome.

    Parameters
    ----------
    value : array-like
        What a job outcome of person *i* is worth to the agent (pounds); for the provider
        ``V_i = J + S * sum (1 - h)^m``, for the planner the equity weight ``w_i``.
    gain : array-like
        ``pmax_i - p0_i`` as the agent perceives it.
    k : array-like
        Responsiveness per hour (``> 0``).
    cost : float
        Cost of an hour (``>= 0``; the planner uses 0 with binding capacity).
    capacity : float, optional
        Total hours available, ``sum e_i <= capacity``; ``None`` for no limit (then
        ``cost`` must be positive).
    minimum : float, default 0
        Contractual minimum of hours per person.

    Returns
    -------
    Allocation

    Raises
    ------
    ValueError
        If capacity is below ``n * minimum``, or the problem is unbounded.

    Examples
    --------
    >>> a = allocate_hours([1000.0, 1000.0], [0.2, 0.01], [0.1, 0.1], cost=5.0, minimum=1.0)
    >>> a.hours.round(3).tolist()
    [13.863, 1.0]
    """
    value = np.asarray(value, dtype=float)
    k = np.asarray(k, dtype=float)
    n = value.size
    if cost < 0 or not np.isfinite(cost):
        raise ValueError(f"cost must be a finite number >= 0, got {cost!r}")
    if minimum < 0:
        raise ValueError(f"minimum must be >= 0, got {minimum!r}")
    if np.any(k <= 0):
        raise ValueError("k must be positive for every person")
    if capacity is not None and capacity < n * minimum * (1 - 1e-12):
        raise ValueError(
            f"capacity {capacity:g} hours is below the minimum for everyone "
            f"({n} people x {minimum:g} hours = {n * minimum:g})"
        )
    b = breakpoints(value, gain, k, minimum)
    if cost > 0:
        t0 = float(np.log(cost))
        hours = _hours_at(b, k, t0, minimum)
        if capacity is None or hours.sum() <= capacity:
            return Allocation(hours, float(cost), 0.0, False)
    elif capacity is None:
        raise ValueError("with zero cost a capacity is needed, or the hours are unbounded")
    finite = b[np.isfinite(b)]
    if capacity is not None and finite.size and capacity <= n * minimum * (1 + 1e-12):
        # No hours above the minimum are available (capacity == n * minimum): everyone gets
        # the minimum and the shadow price is the largest first-hour marginal value. Without
        # this the Newton/bisection search cycles between t = max(b) and a midpoint.
        mu = max(float(cost), float(np.exp(finite.max())))
        return Allocation(np.full(n, float(minimum)), mu, mu - float(cost), True)
    if finite.size == 0:
        return Allocation(np.full(n, float(minimum)), float(cost), 0.0, False)
    t_high = float(finite.max())
    t_low = float(np.log(cost)) if cost > 0 else float(finite.min()) - 1.0
    if cost == 0:
        # Make sure the bracket's left end uses more than the capacity.
        while _hours_at(b, k, t_low, minimum).sum() <= capacity:
            t_low -= max(1.0, abs(t_low))

    def sums(t: float) -> tuple[float, float, float]:
        active = b > t
        inv = 1.0 / k[active]
        return float(inv.sum()), float((b[active] * inv).sum()), float(active.sum())

    t = solve_log_multiplier(
        sums, n=n, minimum=minimum, capacity=float(capacity), t_low=t_low, t_high=t_high
    )
    hours = _hours_at(b, k, t, minimum)
    mu = float(np.exp(t))
    return Allocation(hours, mu, max(mu - cost, 0.0), True)
