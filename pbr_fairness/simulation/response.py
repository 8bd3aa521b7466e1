"""The response curve: probability of a job outcome as a function of support hours.

``p(e) = p0 + (pmax - p0) * (1 - exp(-k * e))`` (DESIGN.md): concave, increasing,
``p(0) = p0`` and saturating at ``pmax``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

__all__ = ["logit", "response", "response_slope", "sigmoid", "sustainment_factor"]


def sigmoid(x: ArrayLike) -> NDArray[np.float64]:
    """Logistic function ``1 / (1 + exp(-x))``, computed without overflow."""
    return expit(np.asarray(x, dtype=float))


def logit(p: ArrayLike) -> NDArray[np.float64]:
    """Log-odds ``log(p / (1 - p))``; ``p`` is clipped to ``[1e-12, 1 - 1e-12]``."""
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


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
    hours, p0, pmax, k = (np.asarray(a, dtype=float) for a in (hours, p0, pmax, k))
    return p0 + (pmax - p0) * -np.expm1(-k * hours)


def response_slope(
    hours: ArrayLike, p0: ArrayLike, pmax: ArrayLike, k: ArrayLike
) -> NDArray[np.float64]:
    """Return the derivative of :func:`response` with respect to hours."""
    hours, p0, pmax, k = (np.asarray(a, dtype=float) for a in (hours, p0, pmax, k))
    return (pmax - p0) * k * np.exp(-k * hours)


def sustainment_factor(exit_hazard: ArrayLike, max_payments: ArrayLike) -> NDArray[np.float64]:
    """Return the expected number of sustainment payments after a job outcome.

    ``sum_{m=1..M} (1 - h)^m``, the expected count of 4-week periods still in work,
    for exit hazard ``h`` per period and at most ``M`` payments.

    Examples
    --------
    >>> float(sustainment_factor(0.0, 13))
    13.0
    >>> round(float(sustainment_factor(0.5, 2)), 3)
    0.75
    """
    h = np.asarray(exit_hazard, dtype=float)
    m = np.asarray(max_payments, dtype=float)
    s = 1.0 - h
    with np.errstate(divide="ignore", invalid="ignore"):
        geometric = s * (1.0 - s**m) / h
    return np.where(h <= 0.0, m, geometric)
