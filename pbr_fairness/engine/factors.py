"""The engine's response to outcome-fee factors: every person at many fee levels at once.

The tariff optimiser asks how the provider responds when each cell's outcome fees are scaled
by a factor, at hundreds of levels per cell. This module answers with the engine's own
closed form (:mod:`pbr_fairness.engine.hours`), broadcast over the levels, and tabulates the
sums exactly in ``O(n log n)`` where the algebra allows.

A proposed tariff pays person *i* an outcome value ``V_i = F_i * u_i`` where ``u_i`` is the
expected value of one job outcome under a base tariff (job-outcome fee plus the expected
sustainment fees, ``J + S * sum_{m<=M} (1 - h_i)^m``) and ``F_i`` the factor of the person's
cell (payment group, band of predicted distance, or a smooth function of the prediction).
With the provider's marginal cost of an hour ``mu`` (``c`` when capacity does not bind,
``c + lam`` otherwise) the provider's hours are (methods §2.3)::

    e_i = max(e_min, ln(a_i V~_i g~_i k_i / mu_i) / k_i),   V~_i = (1 - m) V_i + m w_i

with ``g~`` the gain the provider perceives and ``m`` its mission weight. The person is parked
(given only ``e_min``) exactly when ``F_i <= r_i``, the *parking threshold*::

    r_i = (mu_i exp(k_i e_min) / (g~_i k_i) - m w_i) / ((1 - m) u_i)

Everything the optimiser needs (spend, hours, additional jobs, equity-weighted additional jobs)
is a sum over people of closed-form functions of ``F_i``, so a whole grid of factors is
tabulated per cell with one pass over the people (:func:`cell_tables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from pbr_fairness.engine.curve import response_from_gain
from pbr_fairness.engine.hours import (
    agent_value,
    breakpoints,
    hours_at,
    unparking_value,
    value_from_agent_value,
)

__all__ = [
    "Kernel",
    "abs_gap_exact",
    "cell_tables",
    "cell_tables_exact",
    "person_response",
    "revenue_of",
    "threshold_counts",
]


@dataclass(frozen=True, eq=False)
class Kernel:
    """Per-person arrays of one optimisation problem (see the module docstring).

    Attributes
    ----------
    u : numpy.ndarray
        Expected outcome value per unit factor to the provider (pounds, discounted at its
        rate): what drives its hours.
    g : numpy.ndarray
        Perceived gain ``g~_i`` (``pmax - p0`` as the provider sees it).
    k : numpy.ndarray
        Responsiveness per hour.
    p0, gain : numpy.ndarray
        True no-support probability and ``pmax - p0``.
    w : numpy.ndarray
        Planner's equity weights (pounds per job).
    wn : numpy.ndarray
        Equity weights per job (``w / W``: 1 on average when ``eta = 1``).
    mu : numpy.ndarray
        Marginal cost of an hour of each person's provider.
    minimum : float
        Minimum hours ``e_min``.
    mission : float
        Mission weight ``m``.
    attachment : float
        Attachment fee per person (pounds).
    u_spend : numpy.ndarray, optional
        The government's expected outcome payment per unit factor (pounds, undiscounted);
        ``u`` when the provider does not discount.
    """

    u: NDArray[np.float64]
    g: NDArray[np.float64]
    k: NDArray[np.float64]
    p0: NDArray[np.float64]
    gain: NDArray[np.float64]
    w: NDArray[np.float64]
    wn: NDArray[np.float64]
    mu: NDArray[np.float64]
    minimum: float
    mission: float = 0.0
    attachment: float = 0.0
    u_spend: NDArray[np.float64] | None = None

    @property
    def spend_unit(self) -> NDArray[np.float64]:
        """The government's outcome payment per unit factor (``u`` without discounting)."""
        return self.u if self.u_spend is None else self.u_spend

    @property
    def n(self) -> int:
        """Number of people."""
        return int(self.u.size)

    @cached_property
    def gk(self) -> NDArray[np.float64]:
        """Perceived gain times responsiveness, ``g~_i k_i``."""
        out: NDArray[np.float64] = self.g * self.k
        return out

    def thresholds(self) -> NDArray[np.float64]:
        """Parking threshold ``r_i``: person *i* is parked when its factor is ``<= r_i``."""
        need = unparking_value(self.gk, self.k, self.mu, self.minimum)
        m = self.mission
        if m >= 1.0:
            return np.where(self.w >= need, -1.0, np.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = value_from_agent_value(need, self.w, m) / self.u
        return np.where(self.u > 0, r, np.where(need <= m * self.w, -1.0, np.inf))

    def take(self, index: NDArray[np.intp]) -> Kernel:
        """Return the kernel of the people at ``index`` (a subsample, or an order)."""
        return Kernel(
            self.u[index],
            self.g[index],
            self.k[index],
            self.p0[index],
            self.gain[index],
            self.w[index],
            self.wn[index],
            self.mu[index],
            self.minimum,
            self.mission,
            self.attachment,
            None if self.u_spend is None else self.u_spend[index],
        )

    def with_mu(self, mu: NDArray[np.float64]) -> Kernel:
        """Copy with other marginal costs."""
        return Kernel(
            self.u,
            self.g,
            self.k,
            self.p0,
            self.gain,
            self.w,
            self.wn,
            np.asarray(mu, dtype=float),
            self.minimum,
            self.mission,
            self.attachment,
            self.u_spend,
        )


def person_response(
    kernel: Kernel, factor: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Hours, probability of a job outcome and the government's outcome payment per person.

    The provider's revenue from outcomes is ``factor * kernel.u * p`` (:func:`revenue_of`).

    ``factor`` broadcasts against the people (shape ``(n,)`` or ``(n, L)`` for ``L`` levels
    at once, with the kernel's arrays as ``(n, 1)``).
    """
    f = np.asarray(factor, dtype=float)

    def col(a: NDArray[np.float64]) -> NDArray[np.float64]:
        return a[:, None] if f.ndim == 2 else a

    k, mu = col(kernel.k), col(kernel.mu)
    v = f * col(kernel.u)
    agent = agent_value(v, col(kernel.w), kernel.mission)
    b = breakpoints(agent, col(kernel.g), k, kernel.minimum)
    with np.errstate(divide="ignore"):
        t = np.log(mu)
    hours = hours_at(b, k, t, kernel.minimum)
    p = response_from_gain(hours, col(kernel.p0), col(kernel.gain), k)
    return hours, p, f * col(kernel.spend_unit) * p


def revenue_of(
    kernel: Kernel, factor: NDArray[np.float64], p: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Return the provider's outcome revenue per person, ``factor * u * p`` (at its rate)."""
    f = np.asarray(factor, dtype=float)
    u = kernel.u[:, None] if f.ndim == 2 else kernel.u
    out: NDArray[np.float64] = f * u * p
    return out


def cell_tables(
    kernel: Kernel,
    order: NDArray[np.intp],
    starts: NDArray[np.intp],
    grid: NDArray[np.float64],
    *,
    target_hours: NDArray[np.float64] | None = None,
    chunk: int = 16,
) -> dict[str, NDArray[np.float64]]:
    """Sum over the people of each cell at every factor level of ``grid``.

    Parameters
    ----------
    kernel : Kernel
    order : numpy.ndarray
        People sorted by cell.
    starts : numpy.ndarray
        Index in ``order`` where each cell begins (cells must not be empty).
    grid : numpy.ndarray
        Factor levels (``L`` values).
    target_hours : numpy.ndarray, optional
        Hours to compare with: adds ``abs_gap`` = ``sum |e_i - target_i|``.
    chunk : int
        Levels computed at once (memory: ``n * chunk`` floats per temporary).

    Returns
    -------
    dict of str to numpy.ndarray
        ``spend`` (outcome payments only), ``hours``, ``additional_jobs``, ``ewaj``
        (equity-weighted additional jobs) and, with ``target_hours``, ``abs_gap``; each of
        shape ``(cells, L)``.
    """
    sub = kernel.take(order)
    tgt = None if target_hours is None else np.asarray(target_hours, dtype=float)[order]
    cells, n_lev = starts.size, grid.size
    keys = ["spend", "hours", "additional_jobs", "ewaj"] + (["abs_gap"] if tgt is not None else [])
    out = {key: np.empty((cells, n_lev)) for key in keys}
    for lo in range(0, n_lev, chunk):
        g = grid[lo : lo + chunk]
        f = np.broadcast_to(g, (sub.n, g.size))
        hours, p, pay = person_response(sub, f)
        add = p - sub.p0[:, None]
        out["spend"][:, lo : lo + g.size] = np.add.reduceat(pay, starts, axis=0)
        out["hours"][:, lo : lo + g.size] = np.add.reduceat(hours, starts, axis=0)
        out["additional_jobs"][:, lo : lo + g.size] = np.add.reduceat(add, starts, axis=0)
        out["ewaj"][:, lo : lo + g.size] = np.add.reduceat(add * sub.wn[:, None], starts, axis=0)
        if tgt is not None:
            out["abs_gap"][:, lo : lo + g.size] = np.add.reduceat(
                np.abs(hours - tgt[:, None]), starts, axis=0
            )
    return out


def threshold_counts(
    thresholds: NDArray[np.float64],
    cell: NDArray[np.intp],
    group: NDArray[np.intp],
    n_cells: int,
    n_groups: int,
    grid: NDArray[np.float64],
) -> NDArray[np.float64]:
    """People parked in each (cell, group) at each factor level.

    Person *i* is parked at level ``f`` when ``f <= r_i``. Returns shape
    ``(cells, L, groups)``. People with ``group < 0`` are left out.
    """
    keep = group >= 0
    # number of levels at which the person is parked: levels l with grid[l] <= r_i
    n_parked_levels = np.searchsorted(grid, thresholds[keep], side="right")
    n_lev = grid.size
    key = (cell[keep] * n_groups + group[keep]) * (n_lev + 1) + n_parked_levels
    hist = np.bincount(key, minlength=n_cells * n_groups * (n_lev + 1)).reshape(
        n_cells, n_groups, n_lev + 1
    )
    # parked at level l <=> n_parked_levels > l: reverse cumulative sum
    rev = np.cumsum(hist[:, :, ::-1], axis=2)[:, :, ::-1]
    return np.transpose(rev[:, :, 1:], (0, 2, 1)).astype(float)


def cell_tables_exact(
    kernel: Kernel,
    cell: NDArray[np.intp],
    n_cells: int,
    grid: NDArray[np.float64],
) -> dict[str, NDArray[np.float64]]:
    """Compute the sums of :func:`cell_tables` in ``O(n log n)``, for a provider with no mission.

    Above its threshold a person's hours are ``ln(f c_i) / k_i`` with ``c_i = u_i g~_i k_i /
    mu_i``, so ``exp(-k_i e_i) = 1 / (f c_i)`` and ``p_i = pmax_i - gain_i / (f c_i)``: every
    sum over the people above their threshold is ``a + b f + d / f + h ln f`` with constants
    from prefix sums over the people sorted by threshold.
    """
    if kernel.mission != 0:
        raise ValueError("cell_tables_exact needs mission weight 0")
    r = kernel.thresholds()
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(kernel.gk > 0, kernel.u * kernel.gk / kernel.mu, 0.0)
        inv_c = np.where(c > 0, 1.0 / np.where(c > 0, c, 1.0), 0.0)
        log_c = np.where(c > 0, np.log(np.where(c > 0, c, 1.0)), 0.0)
    pmax = kernel.p0 + kernel.gain
    pmin = response_from_gain(kernel.minimum, kernel.p0, kernel.gain, kernel.k)
    inv_k = 1.0 / kernel.k
    # columns summed over the people above (a) / at (b) their threshold
    above = np.stack(
        [
            kernel.spend_unit * pmax,  # spend: f * this
            kernel.spend_unit * kernel.gain * inv_c,  # spend: minus this
            inv_k,  # hours: ln f * this
            log_c * inv_k,  # hours: plus this
            pmax - kernel.p0,  # additional jobs
            kernel.gain * inv_c,  # additional jobs: minus this / f
            kernel.wn * (pmax - kernel.p0),
            kernel.wn * kernel.gain * inv_c,
        ]
    )
    at_min = np.stack(
        [
            kernel.spend_unit * pmin,  # spend: f * this
            np.ones_like(pmin),  # count (hours = minimum)
            pmin - kernel.p0,
            kernel.wn * (pmin - kernel.p0),
        ]
    )
    order = np.lexsort((r, cell))
    rs, cs = r[order], cell[order]
    cum_a = np.concatenate([np.zeros((above.shape[0], 1)), np.cumsum(above[:, order], axis=1)], 1)
    cum_b = np.concatenate([np.zeros((at_min.shape[0], 1)), np.cumsum(at_min[:, order], axis=1)], 1)
    bounds = np.searchsorted(cs, np.arange(n_cells + 1), side="left")
    n_lev = grid.size
    out = {key: np.empty((n_cells, n_lev)) for key in ("spend", "hours", "additional_jobs", "ewaj")}
    with np.errstate(divide="ignore"):
        log_f = np.where(grid > 0, np.log(np.where(grid > 0, grid, 1.0)), 0.0)
        inv_f = np.where(grid > 0, 1.0 / np.where(grid > 0, grid, 1.0), 0.0)
    for j in range(n_cells):
        s, e = bounds[j], bounds[j + 1]
        # people with r < f are above their threshold at level f
        split = s + np.searchsorted(rs[s:e], grid, side="left")
        a = cum_a[:, split] - cum_a[:, [s]]
        b = cum_b[:, [e]] - cum_b[:, split]
        out["spend"][j] = grid * a[0] - a[1] + grid * b[0]
        out["hours"][j] = log_f * a[2] + a[3] + kernel.minimum * b[1]
        out["additional_jobs"][j] = a[4] - inv_f * a[5] + b[2]
        out["ewaj"][j] = a[6] - inv_f * a[7] + b[3]
    return out


def abs_gap_exact(
    kernel: Kernel,
    cell: NDArray[np.intp],
    n_cells: int,
    grid: NDArray[np.float64],
    target: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``sum_i |e_i(f) - target_i|`` per cell and level, in ``O(n log n)`` (no mission).

    Below its threshold ``r_i`` a person gets ``e_min``; above, ``e_i(f) = ln f / k_i + L_i``
    with ``L_i = ln(c_i) / k_i``, which reaches ``target_i`` at ``s_i = exp(k_i t_i) / c_i``
    (``>= r_i`` when ``target_i >= e_min``). With ``U_r``/``U_s`` the people whose ``r``/``s``
    is below ``f``::

        gap(f) = sum_{not U_r} (t - e_min) + sum_{U_r} (t - L) - ln f sum_{U_r} 1/k
                 + 2 sum_{U_s} (L - t) + 2 ln f sum_{U_s} 1/k
    """
    if kernel.mission != 0:
        raise ValueError("abs_gap_exact needs mission weight 0")
    t = np.asarray(target, dtype=float)
    r = kernel.thresholds()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        c = np.where(kernel.gk > 0, kernel.u * kernel.gk / kernel.mu, 0.0)
        log_c = np.where(c > 0, np.log(np.where(c > 0, c, 1.0)), 0.0)
        s = np.where(c > 0, np.exp(kernel.k * t - log_c), np.inf)
    s = np.maximum(s, r)
    inv_k = 1.0 / kernel.k
    big_l = log_c * inv_k
    n_lev = grid.size
    with np.errstate(divide="ignore"):
        log_f = np.where(grid > 0, np.log(np.where(grid > 0, grid, 1.0)), 0.0)
    out = np.empty((n_cells, n_lev))

    def prefix(key: NDArray[np.float64], cols: NDArray[np.float64]):
        order = np.lexsort((key, cell))
        ks, cs = key[order], cell[order]
        cum = np.concatenate([np.zeros((cols.shape[0], 1)), np.cumsum(cols[:, order], axis=1)], 1)
        return ks, cs, cum

    kr, cr, cum_r = prefix(r, np.stack([t - kernel.minimum, t - big_l, inv_k]))
    ks, cs, cum_s = prefix(s, np.stack([big_l - t, inv_k]))
    br = np.searchsorted(cr, np.arange(n_cells + 1), side="left")
    bs = np.searchsorted(cs, np.arange(n_cells + 1), side="left")
    for j in range(n_cells):
        a0, a1 = br[j], br[j + 1]
        split_r = a0 + np.searchsorted(kr[a0:a1], grid, side="left")
        below = cum_r[0, a1] - cum_r[0, split_r]
        ur_tl = cum_r[1, split_r] - cum_r[1, a0]
        ur_ik = cum_r[2, split_r] - cum_r[2, a0]
        b0, b1 = bs[j], bs[j + 1]
        split_s = b0 + np.searchsorted(ks[b0:b1], grid, side="left")
        us_lt = cum_s[0, split_s] - cum_s[0, b0]
        us_ik = cum_s[1, split_s] - cum_s[1, b0]
        out[j] = below + ur_tl - log_f * ur_ik + 2.0 * us_lt + 2.0 * log_f * us_ik
    return out
