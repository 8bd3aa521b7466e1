"""Monte Carlo mode: realised job entries, exits and payments month by month.

For each replication and person (vectorised over people, one replication at a time):

- **Job outcome.** One uniform ``U_i`` gives a job outcome when ``U_i < p_i(e_i)``; the same
  ``U_i`` decides the no-support counterfactual (``U_i < p0_i``), so that realised additional
  jobs and deadweight are coupled draws.
- **Job entry.** Given an outcome, ``U_i / p_i`` is uniform on ``[0, 1)``, and the month of
  entry into the job is ``T_i = 1 + floor(L_i U_i / p_i)``, uniform over the months
  ``1..L_i`` that still leave room for the trigger inside the window
  (``L_i = window - trigger_months_i``): the timing the outcome value of
  :mod:`pbr_fairness.engine.value` assumes when it discounts.
- **Job outcome payment** in month ``O_i = T_i + trigger_months_i`` (13 weeks = 3 months, 26
  weeks = 6 months), paying ``J``.
- **Exits.** After the job outcome, each 4-week period in work ends in an exit with
  probability ``h_i``; the number of completed periods before the exit (at most ``M``) is
  drawn exactly as a geometric count. Sustainment payment ``m`` falls ``12 m / 13`` months
  after the job outcome (in month ``O_i + ceil(12 m / 13)`` of the monthly table), also after
  the 24-month window when the person is still in work (Work Programme sustainment payments
  continued past the attachment period, DWP 2013).
- **Attachment fees** fall in month 0, and so do reimbursed hours (cost-sharing, funded
  hours: the hours are the plan's).
- **Instruments settled on a cohort's results** (value-added payments, accelerators,
  yardsticks; :class:`~pbr_fairness.engine.instruments.InstrumentPlan`) fall at the end of the
  window, computed from the replication's realised outcomes.
- **Discounting**: each payment is discounted by its own time, at the Green Book rate (the
  government's discounted spend) and at the provider's rate (its revenue).

The expected value of every realised measure equals the expected-mode value, which a test
checks. Hours (and so ``hours_per_person``, ``parked_share``, ``creaming_index``,
``planner_gap``, the provider's cost) are the provider's plan and do not vary between
replications.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.engine.evaluation import Evaluation
from pbr_fairness.engine.measures import measures_from_sums
from pbr_fairness.engine.population import Population
from pbr_fairness.engine.value import (
    GREEN_BOOK_RATE,
    monthly_discount,
    sustainment_factor,
    trigger_months,
)

__all__ = ["MonteCarloDraws", "simulate_months", "trigger_months"]

#: Realised per-person quantities summed per replication (the others are the plan's).
_REALISED = ("p", "p0", "spend", "spend_discounted", "revenue")


@dataclass(frozen=True, eq=False)
class MonteCarloDraws:
    """Realised measures of every replication.

    Attributes
    ----------
    replications : int
    measures : dict
        ``breakdown -> measure -> array (replications, groups)``.
    monthly_payments : numpy.ndarray
        ``(replications, months)``: government payments falling in each month (0 = referral).
    monthly_outcomes : numpy.ndarray
        ``(replications, months)``: job outcomes reached in each month.
    """

    replications: int
    measures: dict[str, dict[str, NDArray[np.float64]]]
    monthly_payments: NDArray[np.float64]
    monthly_outcomes: NDArray[np.float64]


def _draw_one(
    u: NDArray[np.float64],
    w: NDArray[np.float64],
    p: NDArray[np.float64],
    h: NDArray[np.float64],
    m_max: NDArray[np.int64],
    span: NDArray[np.int64],
) -> tuple[NDArray[np.intp], NDArray[np.int64], NDArray[np.int64]]:
    """Return who reaches a job outcome, their entry months and sustainment counts."""
    who = np.flatnonzero(u < p)
    entry = 1 + np.floor(span[who] * u[who] / p[who]).astype(np.int64)
    entry = np.minimum(entry, span[who])
    hw = h[who]
    with np.errstate(divide="ignore", invalid="ignore"):
        periods = np.floor(np.log(w[who]) / np.log1p(-hw))
    periods = np.where(hw <= 0, m_max[who], np.nan_to_num(periods, posinf=1e9))
    count = np.minimum(periods, m_max[who]).astype(np.int64)
    return who, entry, count


def _discounted_sustainment(
    s_fee: NDArray[np.float64], count: NDArray[np.int64], rate: float
) -> NDArray[np.float64]:
    """``S * sum_{m=1..count} rho^m``: realised sustainment payments, discounted.

    The count is realised, so nobody leaves work within it: the engine's
    :func:`~pbr_fairness.engine.value.sustainment_factor` at an exit hazard of 0.
    """
    out: NDArray[np.float64] = s_fee * sustainment_factor(0.0, count, rate)
    return out


def simulate_months(
    population: Population,
    evaluation: Evaluation,
    tariff: Mapping[str, ArrayLike],
    *,
    window_months: int,
    replications: int,
    rng: np.random.Generator,
    breakdowns: Mapping[str, tuple[NDArray[np.int64] | None, int, NDArray[np.float64]]],
    provider_discount_rate: float = 0.0,
) -> MonteCarloDraws:
    """Draw ``replications`` realisations of job entries, exits and payments.

    Parameters
    ----------
    population : Population
    evaluation : Evaluation
        The provider's hours and the outcome probabilities.
    tariff : mapping
        Per-person ``A, J, S, M, trigger_weeks``.
    window_months : int
        Contract window.
    replications : int
        Number of replications ``R``.
    rng : numpy.random.Generator
    breakdowns : mapping
        ``name -> (codes or None, number of groups, within-group rank of p0)``.
    provider_discount_rate : float, default 0
        The provider's annual discount rate (its revenue).

    Returns
    -------
    MonteCarloDraws
    """
    pop, ev = population, evaluation
    n = pop.n
    a = np.broadcast_to(np.asarray(tariff["A"], dtype=float), (n,))
    j = np.broadcast_to(np.asarray(tariff["J"], dtype=float), (n,))
    s = np.broadcast_to(np.asarray(tariff["S"], dtype=float), (n,))
    m_max = np.broadcast_to(np.asarray(tariff["M"]), (n,)).astype(np.int64)
    tm = np.broadcast_to(trigger_months(tariff.get("trigger_weeks", 13.0)), (n,))
    span = np.maximum(window_months - tm, 1)
    offsets = np.ceil(12.0 * np.arange(int(m_max.max(initial=0)) + 1) / 13.0 - 1e-9).astype(
        np.int64
    )
    horizon = int(window_months + offsets[-1] + 1)
    p = ev.p
    rates = {"spend_discounted": GREEN_BOOK_RATE, "revenue": provider_discount_rate}
    rho = {key: monthly_discount(r) for key, r in rates.items()}

    fixed = _fixed_sums(ev, breakdowns, n)
    masks: dict[str, tuple[NDArray[np.int64] | None, NDArray[np.bool_] | None, int]] = {}
    for name, (codes, g, _rank) in breakdowns.items():
        if codes is None:
            masks[name] = (None, None, 1)
        elif np.all(codes >= 0):
            masks[name] = (codes, None, g)
        else:
            keep_mask = codes >= 0
            masks[name] = (codes[keep_mask], keep_mask, g)
    acc = {
        name: {k: np.empty((replications, fixed[name]["count"].size)) for k in _REALISED}
        for name in breakdowns
    }
    payments = np.zeros((replications, horizon))
    outcomes = np.zeros((replications, horizon))
    plan = ev.plan
    settle = int(window_months)
    reimbursed = ev.reimbursement
    for r in range(replications):
        u = rng.random(n)
        w = rng.random(n)
        who, entry, count = _draw_one(u, w, p, pop.h, m_max, span)
        outcome = np.zeros(n)
        outcome[who] = 1.0
        month = entry + tm[who]
        realised = {"p": outcome, "p0": (u < pop.p0).astype(float)}
        spend = a.copy()
        spend[who] += j[who] + s[who] * count
        realised["spend"] = spend
        for key, rate in rates.items():
            paid = a.copy()
            paid[who] += rho[key] ** month * (
                j[who] + _discounted_sustainment(s[who], count, rate)
            )
            realised[key] = paid
        if reimbursed is not None:
            for x in (spend, *(realised[k] for k in rates)):
                x += reimbursed
        if plan is not None:
            # cohort instruments are settled at the end of the window, on realised outcomes
            extra = plan.realised(outcome)
            spend += extra
            for key in rates:
                realised[key] += rho[key] ** settle * extra
            payments[r, settle] += extra.sum()
        payments[r, 0] = a.sum() + (0.0 if reimbursed is None else reimbursed.sum())
        payments[r] += np.bincount(month, weights=j[who], minlength=horizon)
        outcomes[r] += np.bincount(month, minlength=horizon)
        for m in range(1, offsets.size):
            alive = count >= m
            if not alive.any():
                break
            payments[r] += np.bincount(
                month[alive] + offsets[m], weights=s[who][alive], minlength=horizon
            )
        for name, (mcodes, mkeep, mg) in masks.items():
            for key in _REALISED:
                x = realised[key]
                if mcodes is None:
                    acc[name][key][r, 0] = x.sum()
                else:
                    x = x if mkeep is None else x[mkeep]
                    acc[name][key][r] = np.bincount(mcodes, weights=x, minlength=mg)

    out: dict[str, dict[str, NDArray[np.float64]]] = {}
    for name in breakdowns:
        sums = {k: np.broadcast_to(v, acc[name]["p"].shape) for k, v in fixed[name].items()}
        sums.update(acc[name])
        out[name] = measures_from_sums(sums)
    return MonteCarloDraws(replications, out, payments, outcomes)


def _fixed_sums(
    ev: Evaluation,
    breakdowns: Mapping[str, tuple[NDArray[np.int64] | None, int, NDArray[np.float64]]],
    n: int,
) -> dict[str, dict[str, NDArray[np.float64]]]:
    """Sum the provider's plan (hours, cost, parking), the same in every replication."""
    fixed: dict[str, dict[str, NDArray[np.float64]]] = {}
    for name, (codes, g, rank) in breakdowns.items():
        keep: NDArray[np.bool_] | slice
        if codes is None:
            keep = slice(None)
            cc = np.zeros(n, dtype=np.int64)
        else:
            keep = codes >= 0
            cc = codes[keep]

        def bc(
            x: NDArray[np.float64] | None,
            cc: NDArray[np.int64] = cc,
            g: int = g,
            keep: NDArray[np.bool_] | slice = keep,
        ) -> NDArray[np.float64]:
            return np.bincount(cc, weights=None if x is None else x[keep], minlength=g).astype(
                float
            )

        d = {
            "count": bc(None),
            "hours": bc(ev.hours),
            "cost": bc(ev.cost),
            "parked": bc(ev.parked.astype(float)),
            "hours_rank": bc(ev.hours * rank),
        }
        if ev.planner_hours is not None:
            d["planner_hours"] = bc(ev.planner_hours)
            d["abs_gap"] = bc(np.abs(ev.hours - ev.planner_hours))
        fixed[name] = d
    return fixed
