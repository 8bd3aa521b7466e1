"""Bands of distance from employment: numbered quantile bands and five named bands.

Both are cut on the *training* distribution of predicted distance (``1 - probability``), so a
band means the same thing on any later caseload:

- numbered bands ``1..n`` (default ``n = 10``, deciles; the tariff optimiser's
  ``distance_band`` basis): band 1 holds the tenth of the training population closest to
  work (lowest distance), band 10 the tenth furthest from it;
- five named bands, the training quintiles: :data:`NAMED_BANDS`, from "closest to work" to
  "furthest from work". Their cut-points, as probabilities, are written into the model card.

The model stores :data:`QUANTILE_LEVELS` quantiles of the training distance, from which any
number of equal-share bands is cut by interpolation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "NAMED_BANDS",
    "QUANTILE_LEVELS",
    "assign_bands",
    "band_edges_from_quantiles",
    "named_bands",
]

#: Five named bands, closest to work first; each holds a fifth of the training population.
NAMED_BANDS: tuple[str, ...] = (
    "closest to work",
    "close to work",
    "middle distance",
    "far from work",
    "furthest from work",
)
#: Quantile levels of the training distance stored with a model (0, 0.001, ..., 1).
QUANTILE_LEVELS: NDArray[np.float64] = np.linspace(0.0, 1.0, 1001)


def band_edges_from_quantiles(quantiles: ArrayLike, n_bands: int) -> NDArray[np.float64]:
    """Return the ``n_bands - 1`` interior cut-points on the distance scale.

    Parameters
    ----------
    quantiles : array-like
        Training-distance quantiles at :data:`QUANTILE_LEVELS`.
    n_bands : int
        Number of equal-share bands, ``>= 1``.

    Returns
    -------
    numpy.ndarray
        Non-decreasing cut-points; distance ``d`` is in band ``b`` (1-based) when
        ``edges[b - 2] < d <= edges[b - 1]``.

    Examples
    --------
    >>> band_edges_from_quantiles(np.linspace(0, 1, 1001), 4).round(3).tolist()
    [0.25, 0.5, 0.75]
    """
    if int(n_bands) != n_bands or n_bands < 1:
        raise ValueError(f"n_bands must be a positive integer, got {n_bands!r}")
    q = np.asarray(quantiles, dtype=np.float64)
    levels = np.linspace(0.0, 1.0, len(q))
    inner = np.arange(1, int(n_bands)) / int(n_bands)
    return np.interp(inner, levels, q)


def assign_bands(distance: ArrayLike, edges: ArrayLike) -> NDArray[np.int64]:
    """Return the 1-based band of each distance given interior cut-points.

    Parameters
    ----------
    distance : array-like
        Distances ``1 - probability``.
    edges : array-like
        Interior cut-points from :func:`band_edges_from_quantiles`.

    Returns
    -------
    numpy.ndarray of int
        Band numbers ``1..len(edges) + 1``; band 1 is closest to work.
    """
    d = np.asarray(distance, dtype=np.float64)
    return np.searchsorted(np.asarray(edges, dtype=np.float64), d, side="left").astype(
        np.int64
    ) + 1


def named_bands(band_numbers: ArrayLike) -> NDArray[np.object_]:
    """Map quintile numbers ``1..5`` to :data:`NAMED_BANDS` labels."""
    b = np.asarray(band_numbers, dtype=np.int64)
    return np.asarray(NAMED_BANDS, dtype=object)[b - 1]
