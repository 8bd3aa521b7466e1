"""Shared maths with no dependency on the rest of the package: the logistic function and log-odds.

A leaf module: everything may import it, it imports nothing of ``pbr_fairness``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

__all__ = ["logit", "sigmoid"]


def sigmoid(x: ArrayLike) -> NDArray[np.float64]:
    """Logistic function ``1 / (1 + exp(-x))``, computed without overflow.

    Examples
    --------
    >>> float(sigmoid(0.0))
    0.5
    """
    return np.asarray(expit(np.asarray(x, dtype=np.float64)), dtype=np.float64)


def logit(p: ArrayLike) -> NDArray[np.float64]:
    """Log-odds ``log(p / (1 - p))``; ``p`` is clipped to ``[1e-12, 1 - 1e-12]``.

    Examples
    --------
    >>> round(float(logit(0.5)), 12)
    0.0
    """
    q: NDArray[np.float64] = np.clip(np.asarray(p, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.log(q) - np.log1p(-q)
