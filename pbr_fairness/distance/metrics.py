"""Accuracy and calibration metrics, and a vectorised bootstrap of them.

- :func:`roc_auc` (ties count one half), :func:`brier_score`,
  :func:`expected_calibration_error` (equal-count bins by default), :func:`predictive_ratio`
  (mean predicted / mean observed; ``> 1`` over-predicts), :func:`calibration_table`.
- :func:`bootstrap_metrics` resamples people with replacement and returns the AUC, Brier
  score, predictive ratio and share of a flag (e.g. "in the furthest band") for each
  replicate. It sorts once and draws whole blocks of replicates as count matrices, so no
  Python loop runs over people.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BOOTSTRAP_METRICS",
    "bootstrap_metrics",
    "brier_score",
    "calibration_table",
    "expected_calibration_error",
    "predictive_ratio",
    "roc_auc",
]

#: Columns returned by :func:`bootstrap_metrics`, in order.
BOOTSTRAP_METRICS: tuple[str, ...] = ("auc", "brier", "predictive_ratio", "flag_share")


def _arrays(y: ArrayLike, p: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    yy = np.asarray(y, dtype=np.float64).ravel()
    pp = np.asarray(p, dtype=np.float64).ravel()
    if yy.shape != pp.shape:
        raise ValueError(f"y and p differ in length ({len(yy)} and {len(pp)})")
    return yy, pp


def roc_auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney; ties count one half); NaN with one class.

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    yy, pp = _arrays(y, p)
    out = bootstrap_metrics(yy, pp, weights=np.ones((1, len(yy))))
    return float(out[0, 0])


def brier_score(y: ArrayLike, p: ArrayLike) -> float:
    """Mean squared difference between predicted probability and 0/1 outcome."""
    yy, pp = _arrays(y, p)
    return float(np.mean((pp - yy) ** 2))


def predictive_ratio(y: ArrayLike, p: ArrayLike) -> float:
    """Mean predicted over mean observed (``> 1`` over-predicts); NaN when none observed."""
    yy, pp = _arrays(y, p)
    obs = yy.sum()
    return float(pp.sum() / obs) if obs > 0 else float("nan")


def _bins(
    p: NDArray[np.float64], n_bins: int, strategy: Literal["quantile", "uniform"]
) -> NDArray[np.int64]:
    if strategy == "quantile":
        edges = np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1)[1:-1])
    elif strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    else:
        raise ValueError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")
    return np.searchsorted(edges, p, side="right")


def expected_calibration_error(
    y: ArrayLike,
    p: ArrayLike,
    *,
    n_bins: int = 10,
    strategy: Literal["quantile", "uniform"] = "quantile",
) -> float:
    """Return the expected calibration error: mean over bins of ``|predicted - observed|``.

    Parameters
    ----------
    y, p : array-like
        0/1 outcomes and predicted probabilities.
    n_bins : int, default 10
        Number of bins.
    strategy : {"quantile", "uniform"}, default "quantile"
        Equal-count bins (deciles of ``p``) or equal-width bins on ``[0, 1]``.

    Returns
    -------
    float
        ``sum_b (n_b / n) |mean(p_b) - mean(y_b)|``.

    Examples
    --------
    >>> expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], n_bins=2)
    0.0
    """
    yy, pp = _arrays(y, p)
    if len(yy) == 0:
        return float("nan")
    b = _bins(pp, int(n_bins), strategy)
    count = np.bincount(b, minlength=n_bins).astype(float)
    gap = np.abs(np.bincount(b, pp, minlength=n_bins) - np.bincount(b, yy, minlength=n_bins))
    return float(gap.sum() / count.sum())


def calibration_table(
    y: ArrayLike,
    p: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    n_bins: int = 10,
    strategy: Literal["quantile", "uniform"] = "quantile",
) -> pd.DataFrame:
    """Mean predicted against observed rate per bin of predicted probability (and group).

    Parameters
    ----------
    y, p : array-like
        0/1 outcomes and predicted probabilities.
    groups : array-like, optional
        Group labels; bins are then formed within each group.
    n_bins : int, default 10
        Number of bins.
    strategy : {"quantile", "uniform"}, default "quantile"
        How bins are cut (see :func:`expected_calibration_error`).

    Returns
    -------
    pandas.DataFrame
        Columns ``group``, ``bin``, ``n``, ``predicted``, ``observed`` (the input of
        :func:`pbr_fairness.plots.calibration_figure`).
    """
    yy, pp = _arrays(y, p)
    labels = (
        np.full(len(yy), "All", dtype=object)
        if groups is None
        else np.asarray(pd.Series(groups).astype(str).to_numpy(), dtype=object)
    )
    parts = []
    for g in pd.unique(labels):
        m = labels == g
        b = _bins(pp[m], int(n_bins), strategy)
        count = np.bincount(b, minlength=n_bins)
        keep = count > 0
        parts.append(
            pd.DataFrame(
                {
                    "group": g,
                    "bin": np.arange(1, n_bins + 1)[keep],
                    "n": count[keep],
                    "predicted": np.bincount(b, pp[m], minlength=n_bins)[keep] / count[keep],
                    "observed": np.bincount(b, yy[m], minlength=n_bins)[keep] / count[keep],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _resample_counts(
    n: int, size: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Bootstrap count matrix ``(size, n)``: how often each person is drawn per replicate."""
    idx = rng.integers(0, n, size=(size, n))
    idx += (np.arange(size) * n)[:, None]
    return np.bincount(idx.ravel(), minlength=size * n).reshape(size, n).astype(np.float64)


def bootstrap_metrics(
    y: ArrayLike,
    p: ArrayLike,
    flag: ArrayLike | None = None,
    *,
    n_boot: int = 200,
    rng: np.random.Generator | int | None = None,
    weights: NDArray[np.float64] | None = None,
    max_cells: int = 2_000_000,
) -> NDArray[np.float64]:
    """AUC, Brier score, predictive ratio and flag share under bootstrap resampling.

    Parameters
    ----------
    y, p : array-like
        0/1 outcomes and predicted probabilities of one group.
    flag : array-like of bool, optional
        A per-person flag whose share is reported (e.g. placed in the furthest band).
    n_boot : int, default 200
        Number of replicates.
    rng : numpy.random.Generator, int or None
        Source of randomness.
    weights : numpy.ndarray, optional
        Explicit ``(replicates, n)`` count matrix instead of random resampling (used for
        point estimates with a row of ones).
    max_cells : int, default 2,000,000
        Largest replicate block held in memory at once (``replicates x n`` cells).

    Returns
    -------
    numpy.ndarray of shape (n_boot, 4)
        Columns :data:`BOOTSTRAP_METRICS`; AUC is NaN in a replicate with one class only,
        the predictive ratio NaN with no observed outcome.
    """
    yy, pp = _arrays(y, p)
    n = len(yy)
    ff = np.zeros(n) if flag is None else np.asarray(flag, dtype=np.float64).ravel()
    order = np.argsort(pp, kind="stable")
    ys, ps, fs = yy[order], pp[order], ff[order]
    sq = (ps - ys) ** 2
    starts = np.flatnonzero(np.r_[True, np.diff(ps) != 0]) if n else np.array([], dtype=int)
    gen = np.random.default_rng(rng)
    total = n_boot if weights is None else len(weights)
    out = np.full((total, 4), np.nan)
    if n == 0:
        return out
    block = max(1, int(max_cells) // n)
    for lo in range(0, total, block):
        hi = min(total, lo + block)
        if weights is None:
            w = _resample_counts(n, hi - lo, gen)
        else:
            w = np.asarray(weights[lo:hi], dtype=np.float64)[:, order]
        w_pos = w * ys
        w_neg = w - w_pos
        pos = np.add.reduceat(w_pos, starts, axis=1)
        neg = np.add.reduceat(w_neg, starts, axis=1)
        below = np.cumsum(neg, axis=1) - neg
        n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
        wins = (pos * (below + 0.5 * neg)).sum(axis=1)
        total_w = w.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[lo:hi, 0] = np.where((n_pos > 0) & (n_neg > 0), wins / (n_pos * n_neg), np.nan)
            out[lo:hi, 1] = (w @ sq) / total_w
            out[lo:hi, 2] = np.where(n_pos > 0, (w @ ps) / n_pos, np.nan)
            out[lo:hi, 3] = (w @ fs) / total_w
    return out
