"""Exact intervals and funnel-plot limits for observed-versus-expected outcomes.

Provider *j* has ``n_j`` people, ``O_j`` observed job outcomes and ``E_j = sum_i p_i`` expected
ones, where ``p_i`` is the case-mix (distance-model) probability of person *i*.

* Observed rates get exact Clopper-Pearson intervals.
* ``O/E`` gets the exact Poisson (Garwood) interval on ``O`` divided by ``E``: ``E`` is a fixed
  model quantity, so the interval is that of a Poisson count scaled by ``1/E``.
* Funnel limits follow Spiegelhalter (2005, *Stat. Med.* 24: 1185-1202) exactly as in
  FunnelPlotR (``shared/reference/methods.md`` sections 0 and 3.2): the log (SHMI) method for
  ratios, ``exp(+-z sqrt(1/E + tau^2))``, the arcsine method for proportions,
  ``sin^2(asin(sqrt(pbar)) +- z sqrt(1/(4n) + tau^2))``, and the overdispersion adjustment
  with z-scores winsorised at their 10th and 90th percentiles, ``phi = mean(z_w^2)`` and
  ``tau^2 = max(0, (I phi - (I - 1)) / (sum w - sum w^2 / sum w))``, ``w = 1/s^2``, used only
  when ``I phi > I - 1``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

__all__ = [
    "Z_95",
    "Z_998",
    "FunnelLimits",
    "Overdispersion",
    "clopper_pearson",
    "funnel_limits",
    "funnel_position",
    "oe_interval",
    "overdispersion",
    "wilson",
]

#: Two-sided 95% and 99.8% normal quantiles used for funnel limits.
Z_95 = 1.959964
Z_998 = 3.090232


def clopper_pearson(
    successes: ArrayLike, trials: ArrayLike, alpha: float = 0.05
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact (Clopper-Pearson) interval for a binomial proportion.

    Parameters
    ----------
    successes, trials : array-like
        Counts; ``0 <= successes <= trials``. Where ``trials == 0`` the interval is NaN.
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    lower, upper : numpy.ndarray

    Examples
    --------
    >>> lo, hi = clopper_pearson(0, 10)
    >>> float(lo), round(float(hi), 4)
    (0.0, 0.3085)
    """
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(x > 0, stats.beta.ppf(alpha / 2, x, n - x + 1), 0.0)
        hi = np.where(x < n, stats.beta.ppf(1 - alpha / 2, x + 1, n - x), 1.0)
    bad = n <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def wilson(
    successes: ArrayLike, trials: ArrayLike, alpha: float = 0.05
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Wilson score interval for a binomial proportion (NaN where ``trials == 0``)."""
    x = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def oe_interval(
    observed: ArrayLike, expected: ArrayLike, alpha: float = 0.05
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Exact interval for ``O/E``: the Garwood Poisson interval on ``O`` divided by ``E``.

    Parameters
    ----------
    observed : array-like
        Observed counts ``O`` (integers ``>= 0``).
    expected : array-like
        Expected counts ``E > 0`` from the case-mix model (treated as fixed).
    alpha : float, default 0.05
        One minus the confidence level.

    Returns
    -------
    lower, upper : numpy.ndarray
        NaN where ``E <= 0``.

    Examples
    --------
    >>> lo, hi = oe_interval(10, 10.0)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4795, 1.839)
    """
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(o > 0, stats.chi2.ppf(alpha / 2, 2 * o) / 2, 0.0)
        hi = stats.chi2.ppf(1 - alpha / 2, 2 * (o + 1)) / 2
        lo, hi = lo / e, hi / e
    bad = e <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


@dataclass(frozen=True)
class Overdispersion:
    """Spiegelhalter's overdispersion estimate for a set of units.

    Attributes
    ----------
    phi : float
        Dispersion ratio ``mean(z_w^2)`` of the winsorised z-scores (1 = no overdispersion).
    tau2 : float
        Between-unit variance added to each unit's sampling variance (0 when not applied).
    applied : bool
        Whether ``I phi > I - 1`` so that ``tau2`` is used.
    units : int
        Number of units ``I``.
    """

    phi: float
    tau2: float
    applied: bool
    units: int


def overdispersion(
    z: ArrayLike, s: ArrayLike, *, winsorise: float = 0.1, adjust: bool = True
) -> Overdispersion:
    """Estimate ``phi`` and ``tau^2`` from unadjusted z-scores and standard errors.

    Parameters
    ----------
    z : array-like
        Unadjusted z-scores ``(Y_j - target) / s_j``.
    s : array-like
        Standard errors ``s_j`` on the transformed scale.
    winsorise : float, default 0.1
        Winsorise the z-scores at this quantile and its complement (10% and 90%), with
        linear interpolation between order statistics (R's default ``quantile`` type 7).
    adjust : bool, default True
        If False, report ``phi`` but never apply ``tau^2``.

    Returns
    -------
    Overdispersion
    """
    za = np.asarray(z, dtype=float)
    sa = np.asarray(s, dtype=float)
    ok = np.isfinite(za) & np.isfinite(sa) & (sa > 0)
    za, sa = za[ok], sa[ok]
    i = za.size
    if i == 0:
        return Overdispersion(float("nan"), 0.0, False, 0)
    lo, hi = np.quantile(za, [winsorise, 1 - winsorise])
    zw = np.clip(za, lo, hi)
    phi = float(np.mean(zw**2))
    w = 1.0 / sa**2
    applied = bool(adjust and i * phi > i - 1 and i > 1)
    tau2 = 0.0
    if applied:
        denom = w.sum() - (w**2).sum() / w.sum()
        tau2 = max(0.0, (i * phi - (i - 1)) / denom) if denom > 0 else 0.0
    return Overdispersion(phi, float(tau2), applied, int(i))


@dataclass(frozen=True)
class FunnelLimits:
    """Funnel-plot limits for a set of units.

    Attributes
    ----------
    method : {"ratio", "proportion"}
        Log (SHMI) method on ``O/E`` or arcsine method on ``O/n``.
    target : float
        1 for ratios; the pooled proportion for proportions.
    lower95, upper95, lower998, upper998 : numpy.ndarray
        Limits at each unit's precision (``E_j`` or ``n_j``).
    z : numpy.ndarray
        Unadjusted z-scores.
    z_adjusted : numpy.ndarray
        z-scores with ``tau^2`` added to the variance.
    dispersion : Overdispersion
    """

    method: Literal["ratio", "proportion"]
    target: float
    lower95: NDArray[np.float64]
    upper95: NDArray[np.float64]
    lower998: NDArray[np.float64]
    upper998: NDArray[np.float64]
    z: NDArray[np.float64]
    z_adjusted: NDArray[np.float64]
    dispersion: Overdispersion


def _transform(method: str, observed, size):
    o = np.asarray(observed, dtype=float)
    m = np.asarray(size, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "ratio":
            target = 0.0
            # A zero count has no logarithm: use half an event (continuity correction).
            y = np.log(np.where(o > 0, o, 0.5) / m)
            s = 1.0 / np.sqrt(m)
        else:
            pbar = o.sum() / m.sum()
            target = float(np.arcsin(np.sqrt(pbar)))
            y = np.arcsin(np.sqrt(o / m))
            s = 1.0 / (2.0 * np.sqrt(m))
    return y, s, target


def funnel_limits(
    observed: ArrayLike,
    size: ArrayLike,
    *,
    method: Literal["ratio", "proportion"] = "ratio",
    adjust: bool = True,
    winsorise: float = 0.1,
) -> FunnelLimits:
    """Funnel limits at 95% and 99.8% with Spiegelhalter's overdispersion adjustment.

    Parameters
    ----------
    observed : array-like
        Observed counts ``O_j``.
    size : array-like
        ``E_j`` (expected counts) for ``method="ratio"``, ``n_j`` for ``"proportion"``.
    method : {"ratio", "proportion"}, default "ratio"
        Log (SHMI) method on ``O/E``, or arcsine method on ``O/n`` around the pooled rate.
    adjust : bool, default True
        Add the between-unit variance ``tau^2`` when the units are overdispersed.
    winsorise : float, default 0.1
        Winsorisation quantile for the dispersion estimate.

    Returns
    -------
    FunnelLimits

    Examples
    --------
    >>> f = funnel_limits([10, 20], [10.0, 20.0], adjust=False)
    >>> round(float(f.upper95[0]), 4)
    1.8585
    """
    if method not in ("ratio", "proportion"):
        raise ValueError(f"method must be 'ratio' or 'proportion', got {method!r}")
    y, s, target = _transform(method, observed, size)
    z = (y - target) / s
    disp = overdispersion(z, s, winsorise=winsorise, adjust=adjust)
    sd = np.sqrt(s**2 + disp.tau2)
    z_adj = (y - target) / sd

    def back(v):
        if method == "ratio":
            return np.exp(v)
        return np.sin(np.clip(v, 0.0, np.pi / 2)) ** 2

    return FunnelLimits(
        method=method,
        target=1.0 if method == "ratio" else float(np.sin(target) ** 2),
        lower95=back(target - Z_95 * sd),
        upper95=back(target + Z_95 * sd),
        lower998=back(target - Z_998 * sd),
        upper998=back(target + Z_998 * sd),
        z=z,
        z_adjusted=z_adj,
        dispersion=disp,
    )


def funnel_position(value: ArrayLike, limits: FunnelLimits) -> NDArray[np.str_]:
    """Where each unit lies on the funnel.

    Returns one of ``"above 99.8%"``, ``"above 95%"``, ``"within"``, ``"below 95%"``,
    ``"below 99.8%"`` per unit (``"unknown"`` where the value is NaN).
    """
    v = np.asarray(value, dtype=float)
    out = np.full(v.shape, "within", dtype=object)
    out[v > limits.upper95] = "above 95%"
    out[v > limits.upper998] = "above 99.8%"
    out[v < limits.lower95] = "below 95%"
    out[v < limits.lower998] = "below 99.8%"
    out[~np.isfinite(v)] = "unknown"
    return out.astype(str)
