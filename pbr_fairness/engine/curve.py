"""The response curve: probability of a job outcome as a function of support hours.

``p(e) = p0 + (pmax - p0) * (1 - exp(-k * e))`` (the design notes, ``docs/simulation.md``):
concave, increasing, ``p(0) = p0`` and saturating at ``pmax``. This module is the curve's only
home; the allocation of hours (:mod:`pbr_fairness.engine.hours`) is its inverse at a marginal
cost.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["response", "response_from_gain", "response_slope"]


def response(hours: ArrayLike, p0: ArrayLike, pmax: ArrayLike, k: ArrayLike) -> NDArray[np.float64]:
    """Probability of a job outcome after ``hours`` of support.

    Parameters
    ----------
    hours : array-like
        Hours of support, ``>= 0``.
    p0, pmax : array-like
        Probability with no support and with unlimited support.
    k : array-like
        Responsiveness per hour.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> float(response(0.0, 0.2, 0.5, 0.1))
    0.2
    >>> round(float(response(1e6, 0.2, 0.5, 0.1)), 6)
    0.5
    """
    q0 = np.asarray(p0, dtype=np.float64)
    return response_from_gain(hours, q0, np.asarray(pmax, dtype=np.float64) - q0, k)


def response_from_gain(
    hours: ArrayLike, p0: ArrayLike, gain: ArrayLike, k: ArrayLike
) -> NDArray[np.float64]:
    """:func:`response` with the gain ``pmax - p0`` given instead of ``pmax``.

    Examples
    --------
    >>> round(float(response_from_gain(10.0, 0.2, 0.3, 0.1)), 4)
    0.3896
    """
    e, q0, g, kk = (np.asarray(a, dtype=np.float64) for a in (hours, p0, gain, k))
    out: NDArray[np.float64] = q0 + g * -np.expm1(-kk * e)
    return out


def response_slope(
    hours: ArrayLike, p0: ArrayLike, pmax: ArrayLike, k: ArrayLike
) -> NDArray[np.float64]:
    """Return the derivative of :func:`response` with respect to hours.

    Examples
    --------
    >>> round(float(response_slope(0.0, 0.2, 0.5, 0.1)), 6)
    0.03
    """
    e, q0, qmax, kk = (np.asarray(a, dtype=np.float64) for a in (hours, p0, pmax, k))
    out: NDArray[np.float64] = (qmax - q0) * kk * np.exp(-kk * e)
    return out
