"""The capacity search: the one multiplier that makes a provider's hours fit its capacity.

Maximising ``sum_i value_i * p_i(e_i) - cost * sum_i e_i`` subject to ``sum_i e_i <= E``
and ``e_i >= e_min`` gives the hours of :func:`pbr_fairness.engine.hours.hours_at` at the log
marginal cost ``t = ln(cost + lam)``, with ``lam >= 0`` the multiplier of the capacity
constraint. The hours used are a convex, decreasing, piecewise-linear function of ``t``::

    total(t) = n * e_min + sum_{b_i > t} (b_i - t) / k_i

so the multiplier is found exactly by Newton's method from the left, which moves
monotonically and stops when the set of people above the minimum no longer changes
(safeguarded by bisection): :func:`solve_log_multiplier`.

:func:`solve_capacity` holds every rule around that search (no capacity, capacity that does
not bind at the cost of an hour, capacity of exactly the minimum for everyone, people whom no
price can serve), once. The sums ``sum 1/k_i``, ``sum b_i/k_i`` and the count above ``t`` come
from a :class:`Breakpoints` object: :class:`ChunkedBreakpoints` adds them up over chunks of
people in one pass each (a whole caseload is one chunk; national-size runs use many), and
:class:`SortedBreakpoints` reads them from prefix sums in ``O(log n)`` (the planner, whose
people do not change between tariffs). :func:`allocate_hours` and
:func:`allocate_hours_chunked` are the provider's and the planner's allocation on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.engine.hours import breakpoints, hours_at

__all__ = [
    "Allocation",
    "Breakpoints",
    "CapacitySolution",
    "ChunkedAllocation",
    "ChunkedBreakpoints",
    "SortedBreakpoints",
    "allocate_hours",
    "allocate_hours_chunked",
    "solve_capacity",
    "solve_log_multiplier",
]

_MAX_NEWTON = 200


class Breakpoints(Protocol):
    """The sums the capacity search needs, over some set of people."""

    @property
    def n(self) -> int:
        """Number of people."""
        ...

    @property
    def finite_range(self) -> tuple[float, float] | None:
        """Smallest and largest finite breakpoint, or ``None`` when there is none."""
        ...

    def sums(self, t: float) -> tuple[float, float, float]:
        """``(sum 1/k_i, sum b_i/k_i, count)`` over the people with ``b_i > t``."""
        ...

    def total(self, t: float, minimum: float) -> float:
        """Hours used at log marginal cost ``t``."""
        ...


@dataclass(frozen=True, eq=False)
class ChunkedBreakpoints:
    """Breakpoints and responsiveness of people held in one or more chunks.

    Attributes
    ----------
    b : list of numpy.ndarray
        Breakpoints ``b_i`` per chunk (:func:`~pbr_fairness.engine.hours.breakpoints`).
    k : list of numpy.ndarray
        Responsiveness per chunk.
    """

    b: list[NDArray[np.float64]]
    k: list[NDArray[np.float64]]
    _last: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls,
        values: Sequence[ArrayLike],
        gains: Sequence[ArrayLike],
        ks: Sequence[ArrayLike],
        minimum: float,
    ) -> ChunkedBreakpoints:
        """Build from per-chunk values, perceived gains and responsiveness."""
        k = [np.asarray(x, dtype=np.float64) for x in ks]
        b = [breakpoints(v, g, kk, minimum) for v, g, kk in zip(values, gains, k, strict=True)]
        return cls(b, k)

    @property
    def n(self) -> int:
        """Number of people over all chunks."""
        return int(sum(b.size for b in self.b))

    @property
    def finite_range(self) -> tuple[float, float] | None:
        """Smallest and largest finite breakpoint over all chunks."""
        lo, hi = np.inf, -np.inf
        for b in self.b:
            f = b[np.isfinite(b)]
            if f.size:
                lo, hi = min(lo, float(f.min())), max(hi, float(f.max()))
        return None if hi == -np.inf else (lo, hi)

    def sums(self, t: float) -> tuple[float, float, float]:
        """Add up ``1/k``, ``b/k`` and the count above ``t`` over the chunks."""
        s0 = s1 = count = 0.0
        for b, k in zip(self.b, self.k, strict=True):
            active = b > t
            inv = 1.0 / k[active]
            s0 += float(inv.sum())
            s1 += float((b[active] * inv).sum())
            count += float(np.count_nonzero(active))
        return s0, s1, count

    def total(self, t: float, minimum: float) -> float:
        """Hours used at ``t`` over the chunks."""
        return float(sum(h.sum() for h in self.hours(t, minimum)))

    def hours(self, t: float, minimum: float) -> list[NDArray[np.float64]]:
        """Hours per chunk at ``t`` (the last result is kept: the search often asks twice)."""
        if self._last.get("key") == (t, minimum):
            return self._last["hours"]  # type: ignore[return-value]
        out = [hours_at(b, k, t, minimum) for b, k in zip(self.b, self.k, strict=True)]
        self._last["key"], self._last["hours"] = (t, minimum), out
        return out


@dataclass(frozen=True, eq=False)
class SortedBreakpoints:
    """Breakpoints sorted once, with prefix sums: each :meth:`sums` costs ``O(log n)``.

    For people whose values do not change between calls (the planner's weights, gains and
    responsiveness do not depend on the tariff), so that the allocation of any total of
    hours is a binary search plus one vectorised pass.
    """

    b: NDArray[np.float64]
    k: NDArray[np.float64]
    neg_sorted_b: NDArray[np.float64]
    cum_inv: NDArray[np.float64]
    cum_b: NDArray[np.float64]

    @classmethod
    def of(
        cls, value: ArrayLike, gain: ArrayLike, k: ArrayLike, minimum: float
    ) -> SortedBreakpoints:
        """Sort the breakpoints of one set of people and build the prefix sums."""
        kk = np.asarray(k, dtype=np.float64)
        b = breakpoints(value, gain, kk, minimum)
        finite = np.isfinite(b)
        order = np.argsort(-b[finite], kind="stable")
        sb = b[finite][order]
        si = (1.0 / kk)[finite][order]
        return cls(b, kk, -sb, np.cumsum(si), np.cumsum(sb * si))

    @property
    def n(self) -> int:
        """Number of people."""
        return int(self.b.size)

    @property
    def finite_range(self) -> tuple[float, float] | None:
        """Smallest and largest finite breakpoint."""
        if self.neg_sorted_b.size == 0:
            return None
        return float(-self.neg_sorted_b[-1]), float(-self.neg_sorted_b[0])

    def _count(self, t: float) -> int:
        # number of people with b > t (the sorted breakpoints decrease)
        return int(np.searchsorted(self.neg_sorted_b, -t, side="left"))

    def sums(self, t: float) -> tuple[float, float, float]:
        """Prefix sums of ``1/k`` and ``b/k`` over the people above ``t``."""
        c = self._count(t)
        if c == 0:
            return 0.0, 0.0, 0.0
        return float(self.cum_inv[c - 1]), float(self.cum_b[c - 1]), float(c)

    def total(self, t: float, minimum: float) -> float:
        """Hours used at ``t``: ``n e_min + sum_{b > t} (b - t)/k``."""
        s0, s1, _ = self.sums(t)
        return self.n * minimum + s1 - t * s0


@dataclass(frozen=True)
class CapacitySolution:
    """Where the capacity search ended.

    Attributes
    ----------
    t : float
        Log marginal cost ``ln(cost + lam)`` at which the hours are taken (``hours_at(b, k, t)``).
    marginal_cost : float
        ``cost + lam``: the shadow price of an hour at the optimum.
    multiplier : float
        ``lam``, the multiplier of the capacity constraint (0 when it does not bind).
    capacity_binds : bool
        Whether all capacity is used.
    """

    t: float
    marginal_cost: float
    multiplier: float
    capacity_binds: bool


def solve_log_multiplier(
    sums: Breakpoints,
    *,
    minimum: float,
    capacity: float,
    t_low: float,
    t_high: float,
) -> float:
    """Solve ``total(t) = capacity`` for the log marginal cost ``t`` by Newton from the left.

    Parameters
    ----------
    sums : Breakpoints
        Gives ``(s0, s1, count)``: the sums of ``1/k_i`` and ``b_i/k_i`` and the number of
        people with ``b_i > t``.
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
    free = capacity - sums.n * minimum
    lo, hi = t_low, t_high
    t = t_low
    prev_count = -1.0
    for _ in range(_MAX_NEWTON):
        s0, s1, count = sums.sums(t)
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


def solve_capacity(
    bp: Breakpoints, *, cost: float, capacity: float | None, minimum: float
) -> CapacitySolution:
    """Find the log marginal cost of an agent's best response: every rule of the search, once.

    Parameters
    ----------
    bp : Breakpoints
        The people's breakpoints (whole, chunked or sorted).
    cost : float
        Cost of an hour (``>= 0``; the planner uses 0 with binding capacity).
    capacity : float or None
        Total hours available, ``None`` for no limit (then ``cost`` must be positive).
    minimum : float
        Contractual minimum of hours per person.

    Returns
    -------
    CapacitySolution

    Raises
    ------
    ValueError
        If capacity is below ``n * minimum``, or the problem is unbounded.
    """
    n = bp.n
    if cost < 0 or not np.isfinite(cost):
        raise ValueError(f"cost must be a finite number >= 0, got {cost!r}")
    if minimum < 0:
        raise ValueError(f"minimum must be >= 0, got {minimum!r}")
    if capacity is not None and capacity < n * minimum * (1 - 1e-12):
        raise ValueError(
            f"capacity {capacity:g} hours is below the minimum for everyone "
            f"({n} people x {minimum:g} hours = {n * minimum:g})"
        )
    log_cost = float(np.log(cost)) if cost > 0 else -np.inf
    if cost > 0:
        if capacity is None or bp.total(log_cost, minimum) <= capacity:
            return CapacitySolution(log_cost, float(cost), 0.0, False)
    elif capacity is None:
        raise ValueError("with zero cost a capacity is needed, or the hours are unbounded")
    assert capacity is not None
    rng = bp.finite_range
    if rng is not None and capacity <= n * minimum * (1 + 1e-12):
        # No hours above the minimum are available (capacity == n * minimum): everyone gets
        # the minimum and the shadow price is the largest first-hour marginal value. Without
        # this the Newton/bisection search cycles between t = max(b) and a midpoint.
        mu = max(float(cost), float(np.exp(rng[1])))
        return CapacitySolution(max(log_cost, rng[1]), mu, mu - float(cost), True)
    if rng is None:
        return CapacitySolution(log_cost, float(cost), 0.0, False)
    t_high = rng[1]
    t_low = log_cost if cost > 0 else rng[0] - 1.0
    if cost == 0:
        # Make sure the bracket's left end uses more than the capacity.
        while bp.total(t_low, minimum) <= capacity:
            t_low -= max(1.0, abs(t_low))
    t = solve_log_multiplier(bp, minimum=minimum, capacity=float(capacity), t_low=t_low,
                             t_high=t_high)
    mu = float(np.exp(t))
    return CapacitySolution(t, mu, max(mu - cost, 0.0), True)


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


@dataclass(frozen=True)
class ChunkedAllocation:
    """Hours per chunk and the one multiplier that produced them.

    Attributes
    ----------
    hours : list of numpy.ndarray
        Hours per person, chunk by chunk.
    marginal_cost : float
        ``cost + lam``.
    multiplier : float
        ``lam``.
    capacity_binds : bool
        Whether all capacity is used.
    """

    hours: list[NDArray[np.float64]]
    marginal_cost: float
    multiplier: float
    capacity_binds: bool


def allocate_hours_chunked(
    values: Sequence[ArrayLike],
    gains: Sequence[ArrayLike],
    ks: Sequence[ArrayLike],
    *,
    cost: float,
    capacity: float | None,
    minimum: float,
) -> ChunkedAllocation:
    """Best response of an agent paid ``value_i`` per job outcome, for people in chunks.

    The same optimum as on the concatenated arrays: the capacity multiplier is found by
    :func:`solve_capacity` with sums added up over the chunks; only per-chunk temporaries are
    allocated.

    Parameters
    ----------
    values, gains, ks : sequence of array-like
        Per chunk: value of a job outcome to the agent, ``pmax - p0`` as perceived, and
        responsiveness (``> 0``).
    cost : float
        Cost of an hour (``>= 0``).
    capacity : float or None
        Total hours over all chunks.
    minimum : float
        Minimum hours per person.

    Returns
    -------
    ChunkedAllocation

    Examples
    --------
    >>> a = allocate_hours_chunked([[1000.0], [1000.0]], [[0.2], [0.01]], [[0.1], [0.1]],
    ...                            cost=5.0, capacity=None, minimum=1.0)
    >>> [h.round(3).tolist() for h in a.hours]
    [[13.863], [1.0]]
    """
    k = [np.asarray(x, dtype=np.float64) for x in ks]
    if any(np.any(x <= 0) for x in k):
        raise ValueError("k must be positive for every person")
    bp = ChunkedBreakpoints.of(values, gains, k, minimum)
    sol = solve_capacity(bp, cost=cost, capacity=capacity, minimum=minimum)
    return ChunkedAllocation(
        bp.hours(sol.t, minimum), sol.marginal_cost, sol.multiplier, sol.capacity_binds
    )


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
        ``V_i`` (:func:`~pbr_fairness.engine.value.outcome_value`), for the planner the equity
        weight ``w_i``.
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
    a = allocate_hours_chunked(
        [value], [gain], [k], cost=cost, capacity=capacity, minimum=minimum
    )
    return Allocation(a.hours[0], a.marginal_cost, a.multiplier, a.capacity_binds)


def allocate_hours_heterogeneous(
    values: Sequence[ArrayLike],
    gains: Sequence[ArrayLike],
    ks: Sequence[ArrayLike],
    *,
    costs: Sequence[ArrayLike],
    minimums: Sequence[ArrayLike],
    capacity: float | None,
) -> ChunkedAllocation:
    """Best response when the cost of an hour and the minimum differ between people.

    Cost-sharing (the commissioner reimburses a share of verified hours) gives each person
    their own cost ``c_i``; funded hours give them their own minimum ``e_min,i``. The hours
    keep the engine's closed form at each person's log marginal cost ``t_i = ln(c_i + lam)``
    (:func:`~pbr_fairness.engine.hours.hours_at`); the capacity multiplier ``lam >= 0`` makes
    ``total(lam) = sum_i e_i(lam)``, convex and decreasing in ``lam``, meet the capacity:
    Newton's method from ``lam = 0`` moves monotonically (safeguarded by bisection).

    Parameters
    ----------
    values, gains, ks : sequence of array-like
        Per chunk: value of a job outcome to the agent, perceived gain, responsiveness.
    costs, minimums : sequence of array-like
        Per chunk: each person's cost of an hour (``> 0``) and minimum hours (``>= 0``).
    capacity : float or None
        Total hours over all chunks.

    Returns
    -------
    ChunkedAllocation
        ``marginal_cost`` is ``nan`` (it differs between people); ``multiplier`` is ``lam``.

    Examples
    --------
    >>> a = allocate_hours_heterogeneous([[1000.0, 1000.0]], [[0.2, 0.2]], [[0.1, 0.1]],
    ...                                  costs=[[5.0, 1.0]], minimums=[[1.0, 1.0]],
    ...                                  capacity=None)
    >>> [h.round(3).tolist() for h in a.hours]
    [[13.863, 29.957]]
    """
    k = [np.asarray(x, dtype=np.float64) for x in ks]
    c = [
        np.broadcast_to(np.asarray(x, dtype=np.float64), kk.shape)
        for x, kk in zip(costs, k, strict=True)
    ]
    e0 = [
        np.broadcast_to(np.asarray(x, dtype=np.float64), kk.shape)
        for x, kk in zip(minimums, k, strict=True)
    ]
    if any(np.any(x <= 0) for x in c):
        raise ValueError("every cost of an hour must be positive")
    b = [breakpoints(v, g, kk, m) for v, g, kk, m in zip(values, gains, k, e0, strict=True)]
    need = float(sum(m.sum() for m in e0))
    if capacity is not None and capacity < need * (1 - 1e-12):
        raise ValueError(
            f"capacity {capacity:g} hours is below the minimum for everyone ({need:g} hours)"
        )

    def hours(lam: float) -> list[NDArray[np.float64]]:
        return [
            hours_at(bb, kk, np.log(cc + lam), m) for bb, kk, cc, m in zip(b, k, c, e0, strict=True)
        ]

    def total_and_slope(lam: float) -> tuple[float, float]:
        tot = slope = 0.0
        for bb, kk, cc, m in zip(b, k, c, e0, strict=True):
            t = np.log(cc + lam)
            active = bb > t
            tot += float(m.sum() + ((bb[active] - t[active]) / kk[active]).sum())
            slope -= float((1.0 / (kk[active] * (cc[active] + lam))).sum())
        return tot, slope

    total0, _ = total_and_slope(0.0)
    if capacity is None or total0 <= capacity:
        return ChunkedAllocation(hours(0.0), float("nan"), 0.0, False)
    finite = [bb[np.isfinite(bb)] for bb in b]
    hi = max(float(np.exp(f.max())) for f in finite if f.size)  # everyone at the minimum
    lo, lam = 0.0, 0.0
    for _ in range(_MAX_NEWTON):
        tot, slope = total_and_slope(lam)
        gap = tot - capacity
        if abs(gap) <= 1e-9 * max(capacity, 1.0):
            break
        if gap > 0:
            lo = lam
        else:
            hi = lam
        step = lam - gap / slope if slope < 0 else 0.5 * (lo + hi)
        lam = step if lo < step < hi else 0.5 * (lo + hi)
    return ChunkedAllocation(hours(lam), float("nan"), float(lam), True)
