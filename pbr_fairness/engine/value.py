"""What a job outcome is worth, and when it is paid: the outcome value with discounting.

A contract pays, for a person in payment group or band *g*, a job-outcome fee ``J`` when the
job outcome is reached and a sustainment fee ``S`` for each further 4-week period in work, at
most ``M`` of them. With an exit hazard ``h`` per period the expected number of sustainment
payments is ``sum_{m=1..M} (1 - h)^m`` and the expected value of a job outcome is

    ``V_i = J_i + S_i * sum_{m=1..M_i} (1 - h_i)^m``.

Payments arrive months after the work is done, so a provider (and the Treasury) values them
less than money now. The timing (the same in expected mode and in the Monte Carlo months of
:mod:`pbr_fairness.engine.montecarlo`): a person who reaches a job outcome enters work in month
``T``, uniform over ``1..L`` with ``L = window - trigger months`` (an estimate: the Work
Programme's job outcomes came at a roughly even pace over the two years), the job-outcome fee
falls in month ``T + trigger months`` and sustainment payment ``m`` a further ``12 m / 13``
months later. With ``rho = (1 + r)^(-1/12)`` per month at annual rate ``r``::

    V_i(r) = E[rho^(T + t_i)] * (J_i + S_i * sum_{m=1..M_i} ((1 - h_i) rho^(12/13))^m)

This module is the only home of that formula; the simulator, the sweeps, national runs, the
tariff optimiser and the synthetic generator all call :func:`outcome_value`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "GREEN_BOOK_RATE",
    "PERIOD_MONTHS",
    "WEEKS_PER_MONTH",
    "entry_discount",
    "monthly_discount",
    "outcome_value",
    "sustainment_factor",
    "trigger_months",
]

#: HM Treasury Green Book social time preference rate (3.5% a year, real), the rate at which
#: the commissioner's spend is also reported (HM Treasury (2022) *The Green Book: central
#: government guidance on appraisal and evaluation*, section A6).
GREEN_BOOK_RATE = 0.035
WEEKS_PER_MONTH = 52.0 / 12.0
#: A 4-week sustainment period, in months.
PERIOD_MONTHS = 12.0 / 13.0


def trigger_months(trigger_weeks: ArrayLike) -> NDArray[np.int64]:
    """Whole months to a job outcome: 13 weeks -> 3, 26 weeks -> 6.

    Examples
    --------
    >>> trigger_months([13, 26]).tolist()
    [3, 6]
    """
    tw = np.asarray(trigger_weeks, dtype=float)
    return np.ceil(tw / WEEKS_PER_MONTH - 1e-9).astype(np.int64)


def monthly_discount(rate: float) -> float:
    """Discount factor per month at an annual rate: ``(1 + rate) ** (-1 / 12)``.

    Examples
    --------
    >>> round(monthly_discount(0.035) ** 12, 6) == round(1 / 1.035, 6)
    True
    """
    if not np.isfinite(rate) or rate <= -1:
        raise ValueError(f"a discount rate must be a number > -1, got {rate!r}")
    return float((1.0 + rate) ** (-1.0 / 12.0))


def entry_discount(
    trigger_weeks: ArrayLike, window_months: float, rate: float
) -> NDArray[np.float64]:
    """``E[rho^(T + t)]``: the discount of a job-outcome payment, entry ``T`` uniform on ``1..L``.

    ``L = max(window - t, 1)`` months with ``t`` the trigger in whole months; 1 at rate 0.

    Examples
    --------
    >>> float(entry_discount(13, 24, 0.0))
    1.0
    >>> 0.9 < float(entry_discount(26, 24, 0.08)) < 0.95
    True
    """
    tm = trigger_months(trigger_weeks)
    if rate == 0:
        return np.ones(np.shape(tm))
    log_rho = -np.log1p(rate) / 12.0  # in log form: no 0/0 when the rate is tiny
    if log_rho == 0:  # a rate too small to discount at all
        return np.ones(np.shape(tm))
    span = np.maximum(window_months - tm, 1).astype(float)
    mean_entry = np.exp(log_rho) * np.expm1(span * log_rho) / (span * np.expm1(log_rho))
    out: NDArray[np.float64] = np.exp(tm * log_rho) * mean_entry
    return out


def sustainment_factor(
    exit_hazard: ArrayLike, max_payments: ArrayLike, rate: float = 0.0
) -> NDArray[np.float64]:
    """Return the expected number of sustainment payments after a job outcome, discounted.

    ``sum_{m=1..M} ((1 - h) rho)^m``, the expected count of 4-week periods still in work,
    for exit hazard ``h`` per period and at most ``M`` payments, each discounted by
    ``rho = (1 + rate)^(-1/13)`` per 4-week period (``rho = 1`` at rate 0).

    Examples
    --------
    >>> float(sustainment_factor(0.0, 13))
    13.0
    >>> round(float(sustainment_factor(0.5, 2)), 3)
    0.75
    >>> float(sustainment_factor(0.1, 13, 0.08)) < float(sustainment_factor(0.1, 13))
    True
    """
    h = np.asarray(exit_hazard, dtype=np.float64)
    m = np.asarray(max_payments, dtype=np.float64)
    # In log form, ``s (1 - s^M) / (1 - s) = s expm1(M ln s) / expm1(ln s)``: no cancellation
    # when the hazard or the rate is tiny, and no 0/0.
    discount = PERIOD_MONTHS * np.log1p(rate) / 12.0 if rate != 0 else 0.0
    with np.errstate(divide="ignore"):
        log_s = np.log1p(-h) - discount
    with np.errstate(invalid="ignore"):
        geometric = np.exp(log_s) * np.expm1(m * log_s) / np.expm1(log_s)
    out: NDArray[np.float64] = np.where(np.isfinite(log_s), geometric, 0.0)  # h = 1: nobody stays
    return np.where(log_s == 0, m, out)  # no exits and no discounting: every payment


def outcome_value(
    tariff: Mapping[str, ArrayLike],
    exit_hazard: ArrayLike,
    *,
    discount_rate: float = 0.0,
    window_months: float = 24.0,
) -> NDArray[np.float64]:
    """``V_i``: the expected value of a job outcome, discounted at ``discount_rate`` a year.

    Parameters
    ----------
    tariff : mapping
        Per-person (or broadcastable) arrays ``J`` (job-outcome fee), ``S`` (sustainment fee
        per 4 weeks), ``M`` (most sustainment payments) and, when discounting,
        ``trigger_weeks``.
    exit_hazard : array-like
        Each person's chance of leaving work per 4-week period.
    discount_rate : float, default 0
        Annual rate at which later payments are discounted (0: undiscounted).
    window_months : float, default 24
        The contract window (entry into work falls within it, before the trigger).

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> float(outcome_value({"J": 1000.0, "S": 100.0, "M": 2}, 0.5))
    1075.0
    >>> t = {"J": 1000.0, "S": 100.0, "M": 2, "trigger_weeks": 13}
    >>> 900 < float(outcome_value(t, 0.5, discount_rate=0.1)) < 1075
    True
    """
    j = np.asarray(tariff["J"], dtype=np.float64)
    s = np.asarray(tariff["S"], dtype=np.float64)
    value: NDArray[np.float64] = j + s * sustainment_factor(
        exit_hazard, tariff["M"], discount_rate
    )
    if discount_rate != 0:
        value = value * entry_discount(
            tariff.get("trigger_weeks", 13.0), window_months, discount_rate
        )
    return value
