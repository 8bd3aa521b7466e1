"""What a job outcome is worth: the expected sustainment payments and the outcome value.

A contract pays, for a person in payment group or band *g*, a job-outcome fee ``J`` when the
job outcome is reached and a sustainment fee ``S`` for each further 4-week period in work, at
most ``M`` of them. With an exit hazard ``h`` per period the expected number of sustainment
payments is ``sum_{m=1..M} (1 - h)^m`` and the expected value of a job outcome is

    ``V_i = J_i + S_i * sum_{m=1..M_i} (1 - h_i)^m``.

This module is the only home of that formula; the simulator, the sweeps, national runs, the
tariff optimiser and the synthetic generator all call :func:`outcome_value`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["outcome_value", "sustainment_factor"]


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
    h = np.asarray(exit_hazard, dtype=np.float64)
    m = np.asarray(max_payments, dtype=np.float64)
    s = 1.0 - h
    with np.errstate(divide="ignore", invalid="ignore"):
        geometric = s * (1.0 - s**m) / h
    out: NDArray[np.float64] = np.where(h <= 0.0, m, geometric)
    return out


def outcome_value(tariff: Mapping[str, ArrayLike], exit_hazard: ArrayLike) -> NDArray[np.float64]:
    """``V_i = J_i + S_i * sum_{m=1..M_i} (1 - h_i)^m``: the expected value of a job outcome.

    Parameters
    ----------
    tariff : mapping
        Per-person (or broadcastable) arrays ``J`` (job-outcome fee), ``S`` (sustainment fee
        per 4 weeks) and ``M`` (most sustainment payments).
    exit_hazard : array-like
        Each person's chance of leaving work per 4-week period.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> float(outcome_value({"J": 1000.0, "S": 100.0, "M": 2}, 0.5))
    1075.0
    """
    j = np.asarray(tariff["J"], dtype=np.float64)
    s = np.asarray(tariff["S"], dtype=np.float64)
    out: NDArray[np.float64] = j + s * sustainment_factor(exit_hazard, tariff["M"])
    return out
