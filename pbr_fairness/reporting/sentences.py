"""Plain-language sentences: what a change to a contract or a provider does.

Each result the app shows opens with one sentence, as PolicyEngine leads with one:
*"Raising PG7 ESA ex-IB's job-outcome fee from £3,500 to £5,000: 8.1 points fewer people
parked in PG7 ESA ex-IB, 12 more additional jobs, at £1.2m more government spend."*
:func:`change_sentence` writes it from the two contracts, the two provider settings and the
two results; :func:`structural_changes` lists in words what a proposed tariff changes in the
structure of the fees (fees set to zero, triggers moved, a new basis).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from pbr_fairness.contracts import Contract
from pbr_fairness.labels import format_value, group_label
from pbr_fairness.reporting.contract_tables import tariff_labels

__all__ = [
    "PROVIDER_WORDS",
    "change_sentence",
    "contract_changes",
    "provider_changes",
    "setting_text",
    "structural_changes",
]

_FEE_WORDS: dict[str, str] = {
    "attachment_fee": "attachment fee",
    "job_outcome_fee": "job-outcome fee",
    "trigger_weeks": "trigger",
    "sustainment_fee": "sustainment fee",
    "max_sustainment_payments": "most sustainment payments",
}

#: The provider settings in words, with their unit (for sentences).
PROVIDER_WORDS: dict[str, tuple[str, str]] = {
    "cost_per_hour": ("the cost of an hour of support", "GBP"),
    "capacity_hours": ("the hours available per person", "hours"),
    "minimum_hours": ("the contractual minimum hours", "hours"),
    "information_noise": ("the provider's uncertainty", "ratio"),
    "mission_weight": ("the mission weight", "ratio"),
    "contact_hours": ("the hours of contact in the minimum service", "hours"),
    "fixed_cost_per_person": ("the fixed cost per participant", "GBP"),
    "discount_rate": ("the provider's discount rate", "ratio"),
}


def _fee_text(field: str, value: float) -> str:
    if field == "trigger_weeks":
        return f"{value:g} weeks"
    if field == "max_sustainment_payments":
        return f"{value:g}"
    return format_value("attachment_fee", value)


def contract_changes(before: Contract, after: Contract) -> list[tuple[str, float, float]]:
    """List the fees that differ between two contracts of the same basis and tariffs.

    Returns
    -------
    list of (str, float, float)
        ``(description, old, new)`` per changed fee, e.g. ``("PG7 ESA ex-IB's job-outcome
        fee", 3500.0, 5000.0)``; empty when the two have different tariffs (see
        :func:`structural_changes` for those).
    """
    if before.basis != after.basis or list(before.tariffs) != list(after.tariffs):
        return []
    labels = tariff_labels(after)
    out = []
    for key, new in after.tariffs.items():
        old = before.tariffs[key]
        for field, words in _FEE_WORDS.items():
            a, b = float(getattr(old, field)), float(getattr(new, field))
            if a != b:
                who = labels[key].split(":")[0] if after.basis == "distance_band" else labels[key]
                out.append((f"{who}'s {words}", a, b))
    return out


def provider_changes(
    before: Mapping[str, float], after: Mapping[str, float]
) -> list[tuple[str, float, float, str]]:
    """List the provider settings that differ: ``(words, old, new, unit)``."""
    out = []
    for key, (words, unit) in PROVIDER_WORDS.items():
        if key in before and key in after and float(before[key]) != float(after[key]):
            out.append((words, float(before[key]), float(after[key]), unit))
    return out


def setting_text(value: float, unit: str) -> str:
    """Write a provider setting's value with its unit (``£25``, ``30 hours``, ``0.3``)."""
    if unit == "GBP":
        return format_value("cost_per_hour", value, unit="GBP")
    if unit == "hours":
        return f"{value:g} hours"
    return f"{value:g}"


def _cause(fees: Sequence[tuple[str, float, float]], settings: Sequence[Any]) -> str:
    parts = []
    for words, old, new in fees:
        field = next(f for f, w in _FEE_WORDS.items() if words.endswith(w))
        verb = "Raising" if new > old else "Lowering"
        parts.append(
            f"{verb} {words} from {_fee_text(field, old)} to {_fee_text(field, new)}"
        )
    for words, old, new, unit in settings:
        verb = "Raising" if new > old else "Lowering"
        parts.append(f"{verb} {words} from {setting_text(old, unit)} to {setting_text(new, unit)}")
    if not parts:
        return ""
    lowered = [parts[0]] + [p[0].lower() + p[1:] for p in parts[1:]]
    if len(lowered) > 3:
        return ", ".join(lowered[:2]) + f" and {len(lowered) - 2} more changes"
    if len(lowered) == 1:
        return lowered[0]
    return ", ".join(lowered[:-1]) + " and " + lowered[-1]


def _group_effect(result: Any, baseline: Any) -> str | None:
    def parked(res: Any) -> dict[str, float]:
        t = res.to_frame()
        rows = t[(t["breakdown"] == "payment_group") & (t["measure"] == "parked_share")]
        return {str(g): float(v) for g, v in zip(rows["group"], rows["value"], strict=True)}

    a, b = parked(result), parked(baseline)
    common = [g for g in a if g in b and np.isfinite(a[g]) and np.isfinite(b[g])]
    if not common:
        return None
    g = max(common, key=lambda k: abs(a[k] - b[k]))
    d = a[g] - b[g]
    if abs(d) < 0.0005:
        return None
    more = "fewer" if d < 0 else "more"
    return f"{100 * abs(d):.1f} points {more} people parked in {group_label(g)}"


def change_sentence(
    result: Any,
    baseline: Any,
    *,
    contract: Contract | None = None,
    baseline_contract: Contract | None = None,
    provider: Mapping[str, float] | None = None,
    baseline_provider: Mapping[str, float] | None = None,
    baseline_name: str = "the baseline",
) -> str:
    """Say in one sentence what a change does, against a baseline.

    Parameters
    ----------
    result, baseline : SimulationResult
        The changed scenario's result and the baseline's.
    contract, baseline_contract : Contract, optional
        The two contracts (to name the changed fees).
    provider, baseline_provider : mapping, optional
        The two provider settings (to name changed settings).
    baseline_name : str, default "the baseline"
        How to call the baseline when nothing differs.

    Returns
    -------
    str
        One sentence.
    """
    fees = (
        contract_changes(baseline_contract, contract)
        if contract is not None and baseline_contract is not None
        else []
    )
    settings = (
        provider_changes(baseline_provider, provider)
        if provider is not None and baseline_provider is not None
        else []
    )
    o, b = result.overall, baseline.overall
    cause = _cause(fees, settings)
    if not cause and contract is not None and baseline_contract is not None:
        if contract != baseline_contract:
            cause = f"{contract.name} instead of {baseline_contract.name}"
    effects = []
    group = _group_effect(result, baseline)
    if group:
        effects.append(group)
    d_jobs = o["additional_jobs"] - b["additional_jobs"]
    if abs(d_jobs) >= 0.5:
        effects.append(f"{abs(d_jobs):,.0f} {'more' if d_jobs > 0 else 'fewer'} additional jobs")
    d_spend = o["government_spend"] - b["government_spend"]
    if not cause and not effects:
        return (
            f"Under {baseline_name}, {format_value('parked_share', o['parked_share'])} of people "
            "are parked (given only the minimum of support) and each additional job costs "
            f"{format_value('cost_per_additional_job', o['cost_per_additional_job'])}."
        )
    spend = (
        "at the same government spend"
        if abs(d_spend) < 0.5
        else f"at {format_value('government_spend', abs(d_spend), compact=True)} "
        f"{'more' if d_spend > 0 else 'less'} government spend"
    )
    body = ", ".join(effects) if effects else "no change in parking or additional jobs"
    return f"{cause or 'This scenario'}: {body}, {spend}."


def _values(contract: Contract, field: str) -> list[float]:
    return [float(getattr(t, field)) for t in contract.tariffs.values()]


def _range(values: Sequence[float], field: str) -> str:
    lo, hi = min(values), max(values)
    if lo == hi:
        return _fee_text(field, lo)
    return f"{_fee_text(field, lo)} to {_fee_text(field, hi)}"


def structural_changes(baseline: Contract, proposed: Contract) -> list[str]:
    """List in words what a proposal changes in the structure of the fees.

    A new basis, fees set to zero everywhere, triggers or the number of sustainment
    payments moved, and the range of the job-outcome fees, each one sentence.

    Parameters
    ----------
    baseline, proposed : Contract

    Returns
    -------
    list of str

    Examples
    --------
    >>> from pbr_fairness.contracts import load_contract
    >>> structural_changes(load_contract("work_programme_2011"),
    ...                    load_contract("work_programme_2011"))
    []
    """
    out = []
    basis_words = {
        "payment_group": "per payment group",
        "distance_band": "per band of predicted distance from work",
        "smooth": "as a smooth function of the predicted chance of a job",
    }
    if proposed.basis != baseline.basis:
        extra = ""
        if proposed.spec.bands is not None:
            extra = f" ({len(proposed.spec.bands)} bands; band 1 is the furthest from work)"
        out.append(
            f"Fees are set {basis_words[proposed.basis]}{extra} instead of "
            f"{basis_words[baseline.basis]}."
        )
    for field, words in (("attachment_fee", "attachment"), ("sustainment_fee", "sustainment")):
        new, old = _values(proposed, field), _values(baseline, field)
        if max(new) == 0 and max(old) > 0:
            out.append(
                f"Every {words} fee is set to £0 (the baseline paid {_range(old, field)}); the "
                "money goes to job-outcome fees instead."
            )
        elif sorted(set(new)) != sorted(set(old)):
            out.append(
                f"{words.capitalize()} fees now {_range(new, field)} "
                f"(the baseline: {_range(old, field)})."
            )
    for field, words in (
        ("trigger_weeks", "job-outcome trigger"),
        ("max_sustainment_payments", "most number of sustainment payments"),
    ):
        new, old = _values(proposed, field), _values(baseline, field)
        if sorted(set(new)) != sorted(set(old)):
            now = _range(new, field)
            out.append(
                f"{'Every' if len(set(new)) == 1 else 'The'} {words} is now {now} "
                f"(the baseline: {_range(old, field)})."
            )
    new, old = _values(proposed, "job_outcome_fee"), _values(baseline, "job_outcome_fee")
    if sorted(new) != sorted(old):
        text = f"Job-outcome fees range from {_range(new, 'job_outcome_fee')}"
        if proposed.spec.bands is not None and len(new) > 1:
            first, last = new[-1], new[0]  # band 1 (furthest) is the file's last band
            text += f" (band 1, furthest from work: {_fee_text('job_outcome_fee', first)}; "
            text += f"closest band: {_fee_text('job_outcome_fee', last)})"
        out.append(text + f"; the baseline's from {_range(old, 'job_outcome_fee')}.")
    return out
