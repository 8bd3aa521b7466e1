"""Parking: minimal support for the people furthest from work, compared with other providers.

Two pieces of evidence, each for one provider against all other providers pooled:

1. **Minimal-support share by decile of expected probability.** Deciles are cut on the whole
   caseload, so every provider is judged on the same bands of distance from work. The test
   statistic is the provider's excess share on minimal support in the far-from-work deciles
   (the bottom ``far_deciles``), a stratified (Cochran-Mantel-Haenszel style) difference of
   proportions weighted by the provider's people per decile, one-sided, with the null variance
   from the pooled share in each decile.
2. **Slope of support hours on expected probability.** In the OLS model
   ``hours = a + b p + D (a' + b' p)`` with ``D`` = 1 for the provider, ``b'`` is how much
   more steeply the provider's hours rise with closeness to work than the others'. Its
   standard error is heteroskedasticity-robust (HC1); the test is one-sided (parking moves
   hours away from those with low ``p``, so ``b' > 0``).

A provider is flagged for parking on the first test (after multiple-comparison control):
it answers the auditor's question directly, and it is the one with the power to answer it.
The slope describes the whole gradient and is reported beside it with its interval and
p-value; it is not required, because a provider that creams also has a steep gradient and
would mask a parker in the pooled comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "ShareTest",
    "SlopeTest",
    "decile_of",
    "minimal_support_threshold",
    "parked_share_by_decile",
    "parked_share_test",
    "slope_test",
    "slope_tests",
]


def decile_of(expected: ArrayLike, edges: ArrayLike | None = None) -> NDArray[np.int64]:
    """Decile (1 = furthest from work .. 10 = closest) of each expected probability.

    Parameters
    ----------
    expected : array-like
        Expected probabilities.
    edges : array-like, optional
        The 9 inner cut-points; default the deciles of ``expected`` itself.

    Returns
    -------
    numpy.ndarray of int
    """
    p = np.asarray(expected, dtype=float)
    if edges is None:
        edges = np.quantile(p, np.linspace(0.1, 0.9, 9)) if p.size else np.zeros(9)
    return np.searchsorted(np.asarray(edges, dtype=float), p, side="right").astype(np.int64) + 1


def minimal_support_threshold(
    hours: ArrayLike, minimal_hours: float | None = None, *, min_cell: int = 1
) -> float:
    """Hours at or below which a person counts as on minimal support.

    Parameters
    ----------
    hours : array-like
        Support hours of everyone in the caseload.
    minimal_hours : float, optional
        A stated threshold (for example the contract's minimum service). When omitted: the
        smallest recorded hours if at least 5% of people (and at least ``min_cell`` people)
        sit there (a contractual minimum shows up as a mass point), otherwise the 20th
        percentile of hours.
    min_cell : int, default 1
        Smallest group whose value may be published. The threshold is published with the
        audit, so it must not be one person's hours: a mass point counts only when at least
        ``min_cell`` people share it, and with ``min_cell > 1`` the percentile is rounded to
        two significant figures.

    Returns
    -------
    float

    Examples
    --------
    >>> minimal_support_threshold([2.0] * 10 + [5.0, 8.0, 9.5], min_cell=10)
    2.000002
    >>> minimal_support_threshold([2.537443537441, 5.0, 6.0, 7.5, 9.0], min_cell=10)
    4.5
    """
    h = np.asarray(hours, dtype=float)
    h = h[np.isfinite(h)]
    if minimal_hours is not None:
        return float(minimal_hours)
    if h.size == 0:
        return 0.0
    low = float(h.min())
    tol = 1e-6 * max(1.0, abs(low))
    at_low = int(np.sum(h <= low + tol))
    if at_low >= 0.05 * h.size and at_low >= min_cell:
        return low + tol
    q = float(np.quantile(h, 0.2))
    return float(f"{q:.2g}") if min_cell > 1 else q


@dataclass(frozen=True)
class SlopeTest:
    """Difference in the slope of hours on expected probability, provider minus others.

    Attributes
    ----------
    slope : float
        Provider's slope (hours per unit of expected probability).
    slope_others : float
        Others' slope.
    difference : float
        ``slope - slope_others`` (``b'``).
    se : float
        HC1 standard error of ``difference``.
    p_value : float
        One-sided p-value for ``difference > 0``.
    """

    slope: float
    slope_others: float
    difference: float
    se: float
    p_value: float

    def interval(self, alpha: float = 0.05) -> tuple[float, float]:
        """Two-sided ``1 - alpha`` interval for the difference."""
        z = float(stats.norm.ppf(1 - alpha / 2))
        return self.difference - z * self.se, self.difference + z * self.se


def _ols_hc0(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float, float]:
    """Slope and its HC0 variance in the simple regression of y on x."""
    if x.size < 3:
        return float("nan"), float("nan")
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if sxx <= 0:
        return float("nan"), float("nan")
    b = float(xc @ (y - y.mean())) / sxx
    e = (y - y.mean()) - b * xc
    return b, float((xc * xc) @ (e * e)) / sxx**2


def _build(b1: float, v1: float, b0: float, v0: float, n: int) -> SlopeTest:
    hc1 = n / (n - 4) if n > 4 else float("nan")
    diff = b1 - b0
    se = float(np.sqrt((v1 + v0) * hc1))
    pv = float(stats.norm.sf(diff / se)) if np.isfinite(se) and se > 0 else float("nan")
    return SlopeTest(b1, b0, diff, se, pv)


def slope_tests(
    hours: ArrayLike, expected: ArrayLike, in_provider: ArrayLike
) -> tuple[SlopeTest, SlopeTest]:
    """Absolute and relative slope tests in one pass.

    The relative test divides each group's hours by the group's mean hours (treated as
    fixed), so that a provider with a smaller budget is compared on the shape of its
    allocation rather than its level: its slope and variance are the absolute ones divided
    by the mean and the squared mean.

    Returns
    -------
    absolute, relative : SlopeTest
    """
    h = np.asarray(hours, dtype=float)
    p = np.asarray(expected, dtype=float)
    m = np.asarray(in_provider, dtype=bool)
    b1, v1 = _ols_hc0(p[m], h[m])
    b0, v0 = _ols_hc0(p[~m], h[~m])
    m1 = float(h[m].mean()) if m.any() else float("nan")
    m0 = float(h[~m].mean()) if (~m).any() else float("nan")
    absolute = _build(b1, v1, b0, v0, h.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = (b1 / m1, v1 / m1**2) if m1 > 0 else (float("nan"), float("nan"))
        r0 = (b0 / m0, v0 / m0**2) if m0 > 0 else (float("nan"), float("nan"))
    return absolute, _build(r1[0], r1[1], r0[0], r0[1], h.size)


def slope_test(hours: ArrayLike, expected: ArrayLike, in_provider: ArrayLike) -> SlopeTest:
    """Test whether a provider's hours rise with expected probability more than the others'.

    Parameters
    ----------
    hours : array-like
        Support hours.
    expected : array-like
        Expected probabilities.
    in_provider : array-like of bool
        True for the provider's people, False for everyone else.

    Returns
    -------
    SlopeTest
    """
    return slope_tests(hours, expected, in_provider)[0]


@dataclass(frozen=True)
class ShareTest:
    """Excess share on minimal support among the far from work, provider minus others.

    Attributes
    ----------
    share : float
        Provider's share on minimal support in the far-from-work deciles.
    share_others : float
        Others' share, standardised to the provider's mix over those deciles.
    difference : float
        Stratified difference ``share - share_others``.
    se : float
        Standard error of the difference (unpooled, for the interval).
    p_value : float
        One-sided p-value for ``difference > 0`` (pooled null variance).
    n : int
        Provider's people in the far-from-work deciles.
    n_others : int
        Others' people in those deciles.
    """

    share: float
    share_others: float
    difference: float
    se: float
    p_value: float
    n: int
    n_others: int

    def interval(self, alpha: float = 0.05) -> tuple[float, float]:
        """Two-sided ``1 - alpha`` interval for the difference."""
        z = float(stats.norm.ppf(1 - alpha / 2))
        return self.difference - z * self.se, self.difference + z * self.se


def parked_share_test(
    parked: ArrayLike,
    decile: ArrayLike,
    in_provider: ArrayLike,
    *,
    far_deciles: int = 3,
) -> ShareTest:
    """Stratified one-sided test of the excess minimal-support share in the far deciles.

    Parameters
    ----------
    parked : array-like of bool
        Whether each person is on minimal support.
    decile : array-like of int
        Decile of expected probability (1 = furthest from work).
    in_provider : array-like of bool
        True for the provider's people.
    far_deciles : int, default 3
        Deciles ``1..far_deciles`` are tested.

    Returns
    -------
    ShareTest
    """
    x = np.asarray(parked, dtype=bool)
    d = np.asarray(decile, dtype=np.int64)
    m = np.asarray(in_provider, dtype=bool)
    far = d <= far_deciles
    bins = far_deciles + 1
    n1 = np.bincount(d[far & m], minlength=bins)[1:].astype(float)
    x1 = np.bincount(d[far & m & x], minlength=bins)[1:].astype(float)
    n0 = np.bincount(d[far & ~m], minlength=bins)[1:].astype(float)
    x0 = np.bincount(d[far & ~m & x], minlength=bins)[1:].astype(float)
    use = (n1 > 0) & (n0 > 0)
    nan = float("nan")
    if not use.any():
        return ShareTest(nan, nan, nan, nan, nan, int(n1.sum()), int(n0.sum()))
    n1, x1, n0, x0 = n1[use], x1[use], n0[use], x0[use]
    w = n1 / n1.sum()
    s1, s0 = x1 / n1, x0 / n0
    diff = float(np.sum(w * (s1 - s0)))
    pooled = (x1 + x0) / (n1 + n0)
    var0 = float(np.sum(w**2 * pooled * (1 - pooled) * (1 / n1 + 1 / n0)))
    var1 = float(np.sum(w**2 * (s1 * (1 - s1) / n1 + s0 * (1 - s0) / n0)))
    if var0 > 0:
        pv = float(stats.norm.sf(diff / np.sqrt(var0)))
    else:
        pv = 1.0 if diff <= 0 else 0.0
    return ShareTest(
        share=float(np.sum(w * s1)),
        share_others=float(np.sum(w * s0)),
        difference=diff,
        se=float(np.sqrt(var1)),
        p_value=pv,
        n=int(n1.sum()),
        n_others=int(n0.sum()),
    )


def parked_share_by_decile(
    parked: ArrayLike, decile: ArrayLike, provider: ArrayLike
) -> pd.DataFrame:
    """Minimal-support share by provider and decile, with the other providers' pooled share.

    Returns a long table with columns ``provider_id, decile, n, parked_share, n_others,
    parked_share_others, difference, difference_ci_low, difference_ci_high`` (normal 95%
    interval of the difference).
    """
    x = np.asarray(parked, dtype=bool)
    d = np.asarray(decile, dtype=np.int64)
    codes, labels = pd.factorize(pd.Series(provider).astype(str), sort=True)
    k = len(labels)
    cell = codes * 10 + (d - 1)
    n = np.bincount(cell, minlength=10 * k).reshape(k, 10).astype(float)
    xs = np.bincount(cell[x], minlength=10 * k).reshape(k, 10).astype(float)
    n_all, x_all = n.sum(axis=0), xs.sum(axis=0)
    n_oth, x_oth = n_all - n, x_all - xs
    with np.errstate(invalid="ignore", divide="ignore"):
        share = xs / n
        share_oth = x_oth / n_oth
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(share * (1 - share) / n + share_oth * (1 - share_oth) / n_oth)
    z = float(stats.norm.ppf(0.975))
    diff = share - share_oth
    return pd.DataFrame(
        {
            "provider_id": np.repeat(np.asarray(labels, dtype=object), 10),
            "decile": np.tile(np.arange(1, 11), k),
            "n": n.ravel().astype(int),
            "parked_share": share.ravel(),
            "n_others": n_oth.ravel().astype(int),
            "parked_share_others": share_oth.ravel(),
            "difference": diff.ravel(),
            "difference_ci_low": (diff - z * se).ravel(),
            "difference_ci_high": (diff + z * se).ravel(),
        }
    )
