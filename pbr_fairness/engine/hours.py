"""A person's hours at a marginal cost: the one closed form of the provider's best response.

For the response curve of :mod:`pbr_fairness.engine.curve`, an agent that values a job outcome
of person *i* at ``value_i`` and pays ``mu = c + lam`` for an hour (the cost of the hour plus
the capacity multiplier) chooses::

    e_i = max(e_min, ln(value_i * gain_i * k_i / mu) / k_i)

with ``gain_i = pmax_i - p0_i`` as the agent perceives it. Written with the *breakpoint*
``b_i = ln(value_i * gain_i * k_i) - k_i * e_min`` and ``t = ln(mu)``::

    e_i = e_min + max(b_i - t, 0) / k_i

which is the form every caller uses (:func:`breakpoints`, :func:`hours_at`): the capacity
search of :mod:`pbr_fairness.engine.capacity` solves ``sum_i e_i(t) = E`` for ``t``, and the
tariff optimiser tabulates the same hours over a grid of fees.

Also here: the mission blend (a provider valuing a job at ``(1 - m) V_i + m w_i``), the parked
test (``e_i <= e_min + 1e-9``) and its inverse, the least value per job at which a person gets
more than the minimum.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "PARKED_TOLERANCE",
    "agent_value",
    "breakpoints",
    "hours_at",
    "parked_mask",
    "unparking_value",
    "value_from_agent_value",
]

#: Hours within this of the minimum count as the minimum ("parked").
PARKED_TOLERANCE = 1e-9


def breakpoints(
    value: ArrayLike, gain: ArrayLike, k: ArrayLike, minimum: float | NDArray[np.float64]
) -> NDArray[np.float64]:
    """Log marginal cost above which a person gets only the minimum.

    ``b_i = ln(value_i * gain_i * k_i) - k_i * minimum``; ``-inf`` where the product is not
    positive (support cannot pay at any price).

    Examples
    --------
    >>> breakpoints([100.0, 0.0], [0.1, 0.1], [0.5, 0.5], 0.0).round(4).tolist()
    [1.6094, -inf]
    """
    kk = np.asarray(k, dtype=np.float64)
    a = np.asarray(value, dtype=np.float64) * np.asarray(gain, dtype=np.float64) * kk
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.where(a > 0, np.log(np.where(a > 0, a, 1.0)), -np.inf)
    out: NDArray[np.float64] = b - kk * minimum
    return out


def hours_at(
    b: NDArray[np.float64],
    k: NDArray[np.float64],
    t: float | NDArray[np.float64],
    minimum: float | NDArray[np.float64],
) -> NDArray[np.float64]:
    """Hours ``e_min + max(b_i - t, 0) / k_i`` at log marginal cost ``t`` (broadcasts).

    Examples
    --------
    >>> import numpy as np
    >>> hours_at(np.array([2.0, -1.0]), np.array([0.5, 0.5]), 0.0, 1.0).tolist()
    [5.0, 1.0]
    """
    with np.errstate(invalid="ignore"):
        extra = np.where(b > t, (b - t) / k, 0.0)
    out: NDArray[np.float64] = minimum + extra
    return out


def agent_value(
    value: NDArray[np.float64], weights: NDArray[np.float64] | None, mission: float
) -> NDArray[np.float64]:
    """Return what a job is worth to a provider with mission weight ``m``: ``(1-m) V + m w``.

    ``m = 0`` is a purely profit-seeking provider (``V``, the payment), ``m = 1`` the planner
    (``w``, the equity weight in pounds).

    Examples
    --------
    >>> import numpy as np
    >>> agent_value(np.array([1000.0]), np.array([3000.0]), 0.25).tolist()
    [1500.0]
    """
    if mission == 0 or weights is None:
        return value
    out: NDArray[np.float64] = (1.0 - mission) * value + mission * weights
    return out


def value_from_agent_value(
    agent: NDArray[np.float64], weights: NDArray[np.float64], mission: float
) -> NDArray[np.float64]:
    """Invert :func:`agent_value`: the payment ``V`` at which ``(1-m) V + m w`` equals ``agent``.

    Examples
    --------
    >>> import numpy as np
    >>> value_from_agent_value(np.array([1500.0]), np.array([3000.0]), 0.25).tolist()
    [1000.0]
    """
    out: NDArray[np.float64] = (agent - mission * weights) / (1.0 - mission)
    return out


def parked_mask(hours: NDArray[np.float64], minimum: float) -> NDArray[np.bool_]:
    """``hours <= minimum + 1e-9``: given only the minimum of service ("parked").

    Examples
    --------
    >>> import numpy as np
    >>> parked_mask(np.array([1.0, 1.5]), 1.0).tolist()
    [True, False]
    """
    out: NDArray[np.bool_] = hours <= minimum + PARKED_TOLERANCE
    return out


def unparking_value(
    gain_k: NDArray[np.float64], k: NDArray[np.float64], marginal_cost: NDArray[np.float64],
    minimum: float,
) -> NDArray[np.float64]:
    """Return the least value per job at which a person is not parked (inverse parked test).

    Hours exceed ``e_min + 1e-9`` exactly when ``value * gain * k > mu * exp(k (e_min + 1e-9))``;
    ``inf`` where support cannot pay (``gain * k <= 0``).

    Parameters
    ----------
    gain_k : numpy.ndarray
        Perceived gain times responsiveness, ``g_i k_i``.
    k : numpy.ndarray
        Responsiveness per hour.
    marginal_cost : numpy.ndarray
        ``mu = c + lam`` of each person's provider.
    minimum : float
        Minimum hours.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> v = unparking_value(np.array([0.05]), np.array([0.5]), np.array([20.0]), 0.0)
    >>> bool(parked_mask(hours_at(breakpoints(v * 0.999, 0.1, 0.5, 0.0), 0.5, np.log(20.0), 0.0),
    ...                  0.0)[0])
    True
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out: NDArray[np.float64] = np.where(
            gain_k > 0,
            marginal_cost
            * np.exp(k * minimum + PARKED_TOLERANCE * k)
            / np.where(gain_k > 0, gain_k, 1.0),
            np.inf,
        )
    return out
