"""Multiple-comparison control: Holm (family-wise error) and Benjamini-Hochberg (false discovery).

Both return adjusted p-values in the input order, so that a hypothesis is rejected at level
``alpha`` exactly when its adjusted p-value is ``<= alpha``. NaN p-values (tests that could
not be run) stay NaN and do not count towards the number of hypotheses.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["CORRECTIONS", "adjust_pvalues", "benjamini_hochberg", "holm"]

#: Allowed values of the ``correction`` option.
CORRECTIONS: tuple[str, ...] = ("holm", "bh", "none")


def holm(pvalues: ArrayLike) -> NDArray[np.float64]:
    """Holm's step-down adjusted p-values (controls the family-wise error rate).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    stepped = (m - np.arange(m)) * q[order]
    adj = np.minimum(np.maximum.accumulate(stepped), 1.0)
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


def benjamini_hochberg(pvalues: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg step-up adjusted p-values (controls the false discovery rate).

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.04, 0.04]
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    q = p[ok]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    scaled = q[order] * m / np.arange(1, m + 1)
    adj = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    res = np.empty(m)
    res[order] = adj
    out[ok] = res
    return out


def adjust_pvalues(
    pvalues: ArrayLike, correction: Literal["holm", "bh", "none"] = "holm"
) -> NDArray[np.float64]:
    """Adjust p-values with the named correction (``"holm"``, ``"bh"`` or ``"none"``)."""
    if correction == "holm":
        return holm(pvalues)
    if correction == "bh":
        return benjamini_hochberg(pvalues)
    if correction == "none":
        return np.asarray(pvalues, dtype=float).copy()
    raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}; got {correction!r}")
