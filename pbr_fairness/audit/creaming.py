"""Creaming: how concentrated a provider's support hours are among those closest to work.

The concentration index of hours ``h`` ranked by expected probability ``p`` (ascending, so the
furthest from work come first) is ``C = 2 cov(h, R) / mean(h)`` with ``R`` the fractional rank
(O'Donnell, van Doorslaer, Wagstaff and Lindelow 2008, ch. 8; ``rineq``). ``C`` lies in
``[-1, 1]``: ``C > 0`` means hours go to those closest to work (creaming), ``C < 0`` to those
furthest from it. Its standard error is Kakwani, Wagstaff and van Doorslaer's (1997)::

    var(C) = (1/n) [ (1/n) sum a_i^2 - (1 + C)^2 ],
    a_i = (h_i / mu)(2 R_i - 1 - C) + 2 - q_{i-1} - q_i,

where ``q_i`` is the cumulative share of hours up to person *i* in rank order. A provider is
compared with all other providers pooled by ``z = (C_j - C_others) / sqrt(var_j + var_others)``
(independent people), one-sided: creaming is an index higher than the others'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "ConcentrationIndex",
    "concentration_curve",
    "concentration_index",
    "concentration_index_sorted",
]


@dataclass(frozen=True)
class ConcentrationIndex:
    """A concentration index with its Kakwani standard error.

    Attributes
    ----------
    index : float
        ``C`` (NaN if there are fewer than 2 people or no hours).
    se : float
        Kakwani standard error.
    n : int
        Number of people.
    """

    index: float
    se: float
    n: int

    def interval(self, alpha: float = 0.05) -> tuple[float, float]:
        """Return the normal ``1 - alpha`` confidence interval."""
        z = float(stats.norm.ppf(1 - alpha / 2))
        return self.index - z * self.se, self.index + z * self.se


def concentration_index(values: ArrayLike, rank_by: ArrayLike) -> ConcentrationIndex:
    """Concentration index of ``values`` ranked by ``rank_by`` (ascending), with its SE.

    Parameters
    ----------
    values : array-like
        Non-negative amounts (support hours).
    rank_by : array-like
        Ranking variable (expected probability of a job outcome); ties share their mean rank.

    Returns
    -------
    ConcentrationIndex

    Examples
    --------
    >>> round(concentration_index([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]).index, 3)
    0.5
    >>> round(concentration_index([1, 1, 1, 1], [0.1, 0.2, 0.3, 0.4]).index, 3)
    0.0
    """
    h = np.asarray(values, dtype=float)
    p = np.asarray(rank_by, dtype=float)
    order = np.argsort(p, kind="stable")
    return concentration_index_sorted(h[order], p[order])


def concentration_index_sorted(
    values: NDArray[np.float64], rank_by: NDArray[np.float64]
) -> ConcentrationIndex:
    """:func:`concentration_index` for data already sorted by ``rank_by`` (no sort needed).

    Lets a caller sort a caseload once and take each provider (and the pooled others) as a
    subsequence in the same order.
    """
    h = np.asarray(values, dtype=float)
    p = np.asarray(rank_by, dtype=float)
    n = h.size
    mu = h.mean() if n else 0.0
    if n < 2 or mu <= 0:
        return ConcentrationIndex(float("nan"), float("nan"), int(n))
    # Fractional ranks with ties sharing their mean position.
    pos = np.arange(1, n + 1, dtype=float)
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    sizes = np.diff(np.r_[starts, n])
    mean_pos = np.add.reduceat(pos, starts) / sizes
    rank = (np.repeat(mean_pos, sizes) - 0.5) / n
    c = float(2.0 * np.mean((h - mu) * (rank - rank.mean())) / mu)
    q = np.cumsum(h) / (n * mu)
    q_prev = np.concatenate(([0.0], q[:-1]))
    a = (h / mu) * (2 * rank - 1 - c) + 2 - q_prev - q
    var = (np.mean(a**2) - (1 + c) ** 2) / n
    return ConcentrationIndex(c, float(np.sqrt(max(var, 0.0))), int(n))


def concentration_curve(
    values: ArrayLike, rank_by: ArrayLike, points: int = 20
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Concentration curve at ``points`` evenly spaced population shares (aggregated).

    Returns the cumulative share of people (ranked by ``rank_by``, furthest from work first)
    and the cumulative share of ``values`` they received, both starting at 0 and ending at 1.
    """
    h = np.asarray(values, dtype=float)
    p = np.asarray(rank_by, dtype=float)
    x = np.linspace(0.0, 1.0, points + 1)
    if h.size == 0 or h.sum() <= 0:
        return x, np.full_like(x, np.nan)
    order = np.argsort(p, kind="stable")
    cum = np.concatenate(([0.0], np.cumsum(h[order]) / h.sum()))
    idx = np.round(x * h.size).astype(int)
    return x, cum[idx]
