"""Instruments beyond fees per outcome, in words and formatted tables for people.

- :data:`FAMILY_TITLES` and :data:`FAMILY_HELP`: each family the contract designer edits,
  named, and in one or two plain sentences: what it pays for, its real precedent, its risk and
  what needs verifying (from ``shared/reference/instruments.md`` and the presets' files;
  prototype figures are said to be estimates);
- :func:`instrument_payments_display`: what each family pays in one or more simulations;
- :func:`instrument_proposals_display` and :func:`instrument_checks_display`: the instrument
  search's proposals and its robustness checks
  (:func:`~pbr_fairness.tariffs.instrument_optimise.optimise_instruments`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from pbr_fairness.simulation.result import INSTRUMENT_LABELS
from pbr_fairness.tariffs.instrument_designs import FAMILY_LABELS

__all__ = [
    "CHECK_LABELS",
    "FAMILY_HELP",
    "FAMILY_TITLES",
    "instrument_checks_display",
    "instrument_payments_display",
    "instrument_proposals_display",
]

#: The designer's instrument families, named for people.
FAMILY_TITLES: dict[str, str] = {
    "attachment_by_year": "Attachment fee by contract year",
    "delivery_fee": "Delivery fee",
    "value_added": "Value-added payment",
    "accelerator": "Accelerator",
    "yardstick": "Yardstick between primes",
    "cost_sharing": "Cost-sharing of verified hours",
    "funded_hours": "Commissioner-funded hours",
    "assessment": "Fees on an independent assessment",
}

#: What each family pays for, its precedent, its risk and what must be verified.
FAMILY_HELP: dict[str, str] = {
    "attachment_by_year": (
        "Pays a fee when a person is referred, by the contract year of their referral. "
        "Precedent: the Work Programme's standard fee was £400 in 2011/12, £300 in 2012/13, "
        "£200 in 2013/14 and nothing from 2014/15. Risk: it is paid whatever happens, so it "
        "buys no support by itself. Verify: each cohort's year of referral."
    ),
    "delivery_fee": (
        "Pays a fee for every participant, whatever the outcomes. Precedent: the Work and "
        "Health Programme's delivery fee, 30% of DWP's estimated contract value paid monthly, "
        "which DWP may defer when service standards are not met (provider guidance, ch. 13). "
        "Risk: it rewards referrals, not support. Verify: service standards. No per-person "
        "figure was retrieved, so it starts at £0."
    ),
    "value_added": (
        "Pays per job outcome above a benchmark fixed before service (the no-support rate a "
        "comparison group measures), netted over each prime's cohort: an extra job is worth "
        "as much to the provider, but jobs that would have happened anyway are not paid for. "
        "Precedent: the Peterborough social impact bond paid against a matched comparison "
        "group. Risk: a wrong benchmark changes spend (one point too low raised spend by 24% "
        "in a first prototype, an estimate). Verify: the comparison group's rate."
    ),
    "accelerator": (
        "Pays an extra fee for every job outcome once a cohort passes a performance level set "
        "above its no-support rate. Precedent: the Work and Health Programme's price "
        "acceleration; the Work Programme's minimum performance level was 10% above the "
        "non-intervention rate. Risk: a level fixed in advance fails in a downturn nobody "
        "announced. Verify: the no-support rate the level is set from."
    ),
    "yardstick": (
        "Pays each prime per job outcome above the other primes' mean in the same cell, so "
        "shocks common to all cancel and payments net to about zero; winning a cell can also "
        "move referrals (a market-share shift). Precedent: the Work Programme allocated people "
        "at random between an area's primes and moved referrals to the better ones; "
        "Shleifer (1985). Risk: with two or three primes, collusion; money moves between "
        "primes. Verify: random allocation between at least two primes."
    ),
    "cost_sharing": (
        "Reimburses a share of each verified hour of support for the people in the scheme, "
        "so support costs the provider less (a mixed payment, Ellis & McGuire 1986). "
        "Precedent: jobactive's Employment Fund in Australia, reimbursed against evidence. "
        "Risk: it pays for hours, not results, and invites padded hours. Verify: the hours, "
        "by audit."
    ),
    "funded_hours": (
        "The commissioner funds hours of support per person at cost: a floor of service the "
        "provider must deliver. Precedent: Job Services Australia funded servicing by "
        "assessed disadvantage. Risk: it is worth only the hours actually delivered. Verify: "
        "the hours, by audit."
    ),
    "assessment": (
        "Prices on an independent assessment of each person's chances that the commissioner "
        "owns and the provider cannot move, here a value-added rate that rises as the "
        "assessed chance falls. Precedent: jobactive's classification instrument; Glazer & "
        "McGuire (2000) on paying on a partly informative signal. Risk: a noisy assessment "
        "pays for some people wrongly. Verify: how accurate the assessment is (its noise)."
    ),
}

#: The robustness checks of the instrument search, in words.
CHECK_LABELS: dict[str, str] = {
    "demand_shock": "Unannounced fall in labour demand (-0.5 on the log-odds)",
    "benchmark_low": "Benchmark 1 point too low",
    "benchmark_high": "Benchmark 1 point too high",
    "knows_truth": "Provider knows each person's true chances",
    "knows_model": "Provider knows only the model's prediction",
    "knows_posterior": "Provider learns after a first meeting (posterior)",
}

#: How the search's proposals are named.
_PROPOSALS = {"baseline": "Baseline", "best": "Best found (any combination)"}


def _pounds(x: float) -> str:
    if not math.isfinite(x):
        return "–"
    return f"{'-' if x < 0 else ''}£{abs(x):,.0f}"


def _pct(x: float, digits: int = 1) -> str:
    return "–" if not math.isfinite(x) else f"{x:.{digits}%}"


def _times(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:.2f}x"


def instrument_payments_display(results: Mapping[str, Any]) -> pd.DataFrame:
    """Return what each instrument family pays, one column per simulation (pounds).

    Parameters
    ----------
    results : mapping of str to SimulationResult
        By name; families none of them uses are left out.

    Returns
    -------
    pandas.DataFrame
        ``Instrument`` and one column per result; empty when no result uses an instrument.

    Examples
    --------
    >>> class R:
    ...     instrument_payments = {"yardstick": 670.4, "market_share_shift": 75373.0}
    >>> instrument_payments_display({"mine": R()})["mine"].tolist()
    ['£670', '£75,373']
    """
    used = [
        f for f in INSTRUMENT_LABELS if any(f in r.instrument_payments for r in results.values())
    ]
    if not used:
        return pd.DataFrame()
    out: dict[str, list[str]] = {
        "Instrument": [INSTRUMENT_LABELS[f].capitalize() + " (£)" for f in used]
    }
    for name, r in results.items():
        out[name] = [
            _pounds(r.instrument_payments[f]) if f in r.instrument_payments else "–" for f in used
        ]
    return pd.DataFrame(out)


def _proposal(key: str) -> str:
    return _PROPOSALS.get(key, FAMILY_LABELS.get(key, key).capitalize() + " alone")


def instrument_proposals_display(result: Any) -> pd.DataFrame:
    """Return the instrument search's table for people: baseline, each family, the best.

    Parameters
    ----------
    result : InstrumentResult

    Returns
    -------
    pandas.DataFrame
        Strings: proposal, design, worst parked share of the lower half, spend, additional
        and equity-weighted jobs against the baseline, margin, revenue risk, floors met.
    """
    t = result.table()
    return pd.DataFrame(
        {
            "Proposal": [_proposal(k) for k in t["proposal"]],
            "Design": list(t["design"]),
            "Worst parked, lower half": [_pct(x) for x in t["worst_parked_lower_half"]],
            "Government spend (£)": [_pounds(x) for x in t["government_spend"]],
            "Additional jobs (x baseline)": [_times(x) for x in t["additional_jobs_ratio"]],
            "Equity-weighted jobs (x baseline)": [
                _times(x) for x in t["equity_weighted_jobs_ratio"]
            ],
            "Provider margin": [_pct(x) for x in t["provider_margin"]],
            "Revenue SD / revenue": [_pct(x) for x in t["revenue_cv"]],
            "Meets every floor": [
                "yes" if f and m else "no" for f, m in zip(t["feasible"], t["meets_floors"],
                                                         strict=True)
            ],
        }
    )


def instrument_checks_display(result: Any, proposal: str | None = "best") -> pd.DataFrame:
    """Return the robustness checks of one proposal (or of every one: ``proposal=None``).

    Parameters
    ----------
    result : InstrumentResult
    proposal : str or None, default "best"
        A key of ``result.finalists()`` (a family, or ``"best"``).

    Returns
    -------
    pandas.DataFrame
        Strings: the check in words, the worst parked share of the lower half, spend against
        the budget, equity-weighted jobs against the baseline, the margin (and the proposal
        when every one is shown).
    """
    c = result.checks_table()
    if proposal is not None and not c.empty:
        c = c[c["proposal"] == proposal]
    out: dict[str, list[str]] = {}
    if proposal is None:
        out["Proposal"] = [_proposal(k) for k in c.get("proposal", [])]
    out.update(
        {
            "Check": [CHECK_LABELS.get(k, k) for k in c.get("check", [])],
            "Worst parked, lower half": [_pct(x) for x in c.get("worst_parked_lower_half", [])],
            "Spend / budget": [_times(x) for x in c.get("spend_ratio", [])],
            "Equity-weighted jobs (x baseline)": [
                _times(x) for x in c.get("equity_weighted_jobs_ratio", [])
            ],
            "Provider margin": [_pct(x) for x in c.get("provider_margin", [])],
        }
    )
    return pd.DataFrame(out)
