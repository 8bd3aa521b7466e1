"""Bands of distance from employment: numbered quantile bands and five named bands.

One direction everywhere: **band 1 is the furthest from work** (the lowest predicted chance
of a job outcome), the last band the closest. Bands are cut on the *training* distribution
of predicted distance (``1 - probability``), so a band means the same thing on any later
caseload:

- numbered bands ``1..n`` (default ``n = 10``, deciles): band 1 holds the tenth of the
  training population furthest from work (highest distance), band 10 the tenth closest;
- five named bands, the training quintiles: :data:`NAMED_BANDS`, from "furthest from work"
  (band 1) to "closest to work" (band 5).

The cut-points have one definition, :func:`band_edges_from_quantiles` (interior cut-points
on the distance scale, increasing); :func:`assign_bands` numbers people by them and
:func:`band_table` / :func:`band_label` describe each band by its range of predicted chance,
e.g. "Band 1 (furthest from work): chance below 12%". The model stores
:data:`QUANTILE_LEVELS` quantiles of the training distance, from which any number of
equal-share bands is cut by interpolation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "NAMED_BANDS",
    "QUANTILE_LEVELS",
    "assign_bands",
    "band_edges_from_quantiles",
    "band_label",
    "band_table",
    "named_bands",
]

#: Five named bands, furthest from work first (band 1); each holds a fifth of the training
#: population.
NAMED_BANDS: tuple[str, ...] = (
    "furthest from work",
    "far from work",
    "middle distance",
    "close to work",
    "closest to work",
)
#: Quantile levels of the training distance stored with a model (0, 0.001, ..., 1).
QUANTILE_LEVELS: NDArray[np.float64] = np.linspace(0.0, 1.0, 1001)
_FURTHEST = "furthest from work"
_CLOSEST = "closest to work"


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
        Non-decreasing cut-points (increasing distance). Band 1 (furthest from work) is
        above the last; see :func:`assign_bands`.

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
    """Return the band of each distance given interior cut-points; band 1 is furthest.

    Parameters
    ----------
    distance : array-like
        Distances ``1 - probability``.
    edges : array-like
        Interior cut-points from :func:`band_edges_from_quantiles` (increasing distance).

    Returns
    -------
    numpy.ndarray of int
        Band numbers ``1..n`` with ``n = len(edges) + 1``: band 1 holds distances above
        ``edges[-1]`` (furthest from work), band ``n`` distances up to ``edges[0]``. With
        ``e`` the edges, a distance ``d`` is in band ``b`` when
        ``e[n - b - 1] < d <= e[n - b]`` (``e[-1]`` there meaning 0, ``e[n - 1]`` meaning 1).

    Examples
    --------
    >>> assign_bands([0.1, 0.3, 0.6, 0.9], [0.25, 0.5, 0.75]).tolist()
    [4, 3, 2, 1]
    """
    e = np.asarray(edges, dtype=np.float64)
    d = np.asarray(distance, dtype=np.float64)
    below = np.searchsorted(e, d, side="left").astype(np.int64)
    out: NDArray[np.int64] = len(e) + 1 - below
    return out


def _percent_digits(chances: NDArray[np.float64]) -> int:
    """Fewest decimals (0-2) at which distinct cut-points stay distinct as percentages."""
    distinct = np.unique(chances)
    for digits in range(3):
        if len(np.unique(np.round(100 * distinct, digits))) == len(distinct):
            return digits
    return 2


def band_table(edges: ArrayLike, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Describe the bands cut by ``edges``: number, label and range of chance and distance.

    Parameters
    ----------
    edges : array-like
        Interior cut-points on distance (:func:`band_edges_from_quantiles`).
    names : sequence of str, optional
        A name per band, band 1 first (for the five named bands: :data:`NAMED_BANDS`).

    Returns
    -------
    pandas.DataFrame
        One row per band, band 1 (furthest from work) first: ``band`` (number), ``label``,
        ``probability_from``, ``probability_to`` (a person is in the band when
        ``probability_from <= chance < probability_to``; the last band includes 1),
        ``distance_from``, ``distance_to`` (``distance_from < distance <= distance_to``).

    Examples
    --------
    >>> band_table([0.6, 0.8])[["band", "label"]].to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'band': [1, 2, 3],
     'label': ['Band 1 (furthest from work): chance below 20%',
               'Band 2: chance 20% to 40%',
               'Band 3 (closest to work): chance 40% or more']}
    """
    e = np.asarray(edges, dtype=np.float64)
    n = len(e) + 1
    if names is not None and len(names) != n:
        raise ValueError(f"{len(names)} names for {n} bands")
    full = np.r_[0.0, e, 1.0]
    # Band b (1-based) spans distances full[n - b] .. full[n - b + 1].
    d_from = full[n - np.arange(1, n + 1)]
    d_to = full[n - np.arange(1, n + 1) + 1]
    digits = _percent_digits(1.0 - e)
    labels = [
        band_label(b, e, name=None if names is None else names[b - 1], digits=digits)
        for b in range(1, n + 1)
    ]
    return pd.DataFrame(
        {
            "band": np.arange(1, n + 1),
            "label": labels,
            "probability_from": 1.0 - d_to,
            "probability_to": 1.0 - d_from,
            "distance_from": d_from,
            "distance_to": d_to,
        }
    )


def band_label(
    band: int, edges: ArrayLike, *, name: str | None = None, digits: int | None = None
) -> str:
    """Label band ``band`` with its range of predicted chance of a job outcome.

    Parameters
    ----------
    band : int
        Band number, ``1..len(edges) + 1``; band 1 is the furthest from work.
    edges : array-like
        Interior cut-points on distance (:func:`band_edges_from_quantiles`, or a contract's
        band distance edges without the outer 0 and 1).
    name : str, optional
        Name shown in brackets (default: "furthest from work" for band 1, "closest to work"
        for the last band, none between).
    digits : int, optional
        Decimals of the percentages (default: the fewest, at most 2, that keep distinct
        cut-points distinct).

    Returns
    -------
    str

    Examples
    --------
    >>> edges = [0.55, 0.7, 0.88]
    >>> band_label(1, edges)
    'Band 1 (furthest from work): chance below 12%'
    >>> band_label(2, edges)
    'Band 2: chance 12% to 30%'
    >>> band_label(4, edges, name="closest to work")
    'Band 4 (closest to work): chance 45% or more'
    """
    e = np.asarray(edges, dtype=np.float64)
    n = len(e) + 1
    if int(band) != band or not 1 <= band <= n:
        raise ValueError(f"band must be a whole number 1..{n}, got {band!r}")
    b = int(band)
    if digits is None:
        digits = _percent_digits(1.0 - e)
    if name is None:
        name = _FURTHEST if b == 1 and n > 1 else _CLOSEST if b == n and n > 1 else None
    head = f"Band {b}" + (f" ({name})" if name else "")
    if n == 1:
        return f"{head}: any chance"
    low = 1.0 - e[n - b] if b > 1 else None  # chance at the band's upper distance
    high = 1.0 - e[n - b - 1] if b < n else None
    if low is None:
        return f"{head}: chance below {high:.{digits}%}"
    if high is None:
        return f"{head}: chance {low:.{digits}%} or more"
    return f"{head}: chance {low:.{digits}%} to {high:.{digits}%}"


def named_bands(band_numbers: ArrayLike) -> NDArray[np.object_]:
    """Map quintile numbers ``1..5`` (1 = furthest from work) to :data:`NAMED_BANDS` labels.

    Examples
    --------
    >>> named_bands([1, 5]).tolist()
    ['furthest from work', 'closest to work']
    """
    b = np.asarray(band_numbers, dtype=np.int64)
    out: NDArray[np.object_] = np.asarray(NAMED_BANDS, dtype=object)[b - 1]
    return out
