"""One table of measure labels, units and formats, shared by the app, the reports and CSVs.

Every number the library shows a person (a headline card, a table cell, a report, the
description of a CSV column) is labelled and formatted from :data:`MEASURES` here, so the
same measure reads the same everywhere: its label in words, its unit, a one-sentence
description (the glossary's), whether a fall is an improvement and what good looks like.

Formats by unit:

- ``GBP``: pounds with thousands separators (``£1,234``; ``compact=True``: ``£6.0m`` for millions);
- ``share``: per cent with one decimal (``35.7%``); changes in points (``+3.2 points``);
- ``p_value``: three decimals, or ``< 0.001``;
- ``hours``, ``ratio``, ``index``: one, two or two decimals; ``count``: whole numbers;
- a missing value is ``–``; a suppressed cell is :data:`SUPPRESSED` (see
  :data:`SUPPRESSED_LEGEND`).

Distance from work runs one way everywhere: band 1 and decile 1 are the **furthest** from
work (the lowest chance of a job), as :func:`band_label` and :func:`decile_label` write them.
:func:`band_label` writes exactly what :func:`pbr_fairness.distance.band_label` writes (a
test holds the two together); it lives here too so that tables and reports can label bands
without loading the model's machine-learning stack.

Examples
--------
>>> format_value("cost_per_additional_job", 37369.4)
'£37,369'
>>> format_value("parked_share", 0.3571)
'35.7%'
>>> format_value("p_value", 0.00001)
'< 0.001'
>>> heading("government_spend")
'Government spend (£)'
>>> group_label("PG7")
'PG7 ESA ex-IB'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from pbr_fairness.caseload.schema import PAYMENT_GROUP_NAMES

__all__ = [
    "BREAKDOWN_LABELS",
    "INTERVALS",
    "MEASURES",
    "MISSING",
    "SUPPRESSED",
    "SUPPRESSED_LEGEND",
    "Measure",
    "Unit",
    "band_label",
    "breakdown_label",
    "category_label",
    "column_descriptions",
    "decile_label",
    "format_change",
    "format_interval",
    "format_table",
    "format_value",
    "group_label",
    "heading",
    "label",
    "measure",
]

Unit = Literal[
    "GBP", "share", "points", "hours", "count", "ratio", "index", "p_value", "weeks", "text"
]

#: What a missing or undefined value shows as.
MISSING = "–"
#: What a suppressed cell shows as (small numbers hidden to protect privacy).
SUPPRESSED = "[c]"
#: The legend of :data:`SUPPRESSED`, shown beneath every table that has one.
SUPPRESSED_LEGEND = (
    f"{SUPPRESSED} = suppressed: too few people to publish safely (or hidden so that a "
    "suppressed cell cannot be worked out from the others)."
)

_UNIT_SUFFIX: dict[str, str] = {
    "GBP": " (£)",
    "share": " (%)",
    "points": " (points)",
    "hours": " (hours)",
    "weeks": " (weeks)",
}


@dataclass(frozen=True)
class Measure:
    """How one measure or table column is labelled, formatted and explained.

    Attributes
    ----------
    key : str
        The measure key or column name in the library's tables.
    label : str
        The label in words, without its unit ("Cost per additional job").
    unit : Unit
        How its values are formatted (see the module docstring).
    description : str
        One plain sentence: what it is (the glossary's definition).
    lower_is_better : bool or None
        Whether a fall is an improvement (``None``: neither).
    good : str
        What a good value looks like, in words (empty when it depends).
    glossary : str or None
        Glossary term that explains it (``None``: the label itself).
    """

    key: str
    label: str
    unit: Unit
    description: str
    lower_is_better: bool | None = None
    good: str = ""
    glossary: str | None = None

    @property
    def heading(self) -> str:
        """The label with its unit, for a table header (``"Government spend (£)"``)."""
        if self.unit in _UNIT_SUFFIX and not self.label.endswith(")"):
            return self.label + _UNIT_SUFFIX[self.unit]
        return self.label

    @property
    def term(self) -> str:
        """The glossary term explaining this measure."""
        return self.glossary or self.label


def _m(
    key: str,
    label: str,
    unit: Unit,
    description: str,
    lower: bool | None = None,
    good: str = "",
    glossary: str | None = None,
) -> Measure:
    return Measure(key, label, unit, description, lower, good, glossary)


#: Every measure and table column the library shows, by key.
MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        # ---------------------------------------------------------------- simulation
        _m("job_outcome_rate", "Job-outcome rate", "share",
           "Share of people expected to reach a job outcome with the provider's support.",
           False, "Higher is better."),
        _m("no_support_rate", "Rate without support", "share",
           "Share who would have reached a job outcome with no support at all (deadweight).",
           None, "Not changed by a contract: the starting point."),
        _m("additional_jobs", "Additional jobs", "count",
           "Job outcomes that would not have happened without the provider's support.",
           False, "Higher is better."),
        _m("deadweight_share", "Deadweight share", "share",
           "Share of the job outcomes paid for that would have happened anyway.",
           True, "Lower is better; 75-90% is typical of such programmes."),
        _m("government_spend", "Government spend", "GBP",
           "Expected attachment, job-outcome and sustainment payments to the provider.",
           True, "Lower is better for the same results."),
        _m("cost_per_additional_job", "Cost per additional job", "GBP",
           "Government spend divided by the additional jobs: what each extra job costs.",
           True, "Lower is better."),
        _m("government_spend_discounted", "Government spend, discounted", "GBP",
           "Government spend discounted to the referral at the Green Book rate (3.5% a year).",
           True, "Lower is better for the same results."),
        _m("provider_revenue", "Provider revenue", "GBP",
           "Payments to the provider, discounted at its own cost of capital.", None),
        _m("provider_cost", "Provider cost", "GBP",
           "What the provider spends: fixed costs, the minimum contact and the hours of "
           "support.", None),
        _m("provider_profit", "Provider profit", "GBP",
           "The provider's revenue minus its cost.",
           None, "Above zero, so that the provider stays in business; thin, not large."),
        _m("provider_margin", "Provider margin", "share",
           "Provider profit as a share of its revenue.", None,
           "Thin but positive, as a real prime's."),
        _m("provider_cost_per_person", "Provider spend per participant", "GBP",
           "What the provider spends on each participant.", None,
           "Compare with the NAO's £630 per ESA participant (primes' plans, 2014)."),
        _m("hours_per_person", "Hours per person", "hours",
           "Mean hours of support each person receives.", None),
        _m("parked_share", "Parked share", "share",
           "Share of people given only the contractual minimum of support (parked).",
           True, "Lower is better; 0% means nobody is written off.", "Parking"),
        _m("creaming_index", "Creaming index", "index",
           "Concentration of hours on those closest to work, from -1 to 1 (above 0: hours go "
           "to those closest to work).", True,
           "Near 0 or below; a planner gives more to those furthest from work (below 0).",
           "Creaming"),
        _m("planner_gap", "Planner gap", "share",
           "Share of the provider's hours that would have to move to match what a fair "
           "planner would do with the same hours.", True,
           "Lower is better; 0% is the planner's own allocation."),
        # ---------------------------------------------------------------- tariff optimiser
        _m("equity_weighted_additional_jobs", "Equity-weighted additional jobs", "count",
           "Additional jobs, each weighted more the further the person was from work "
           "(proportionate universalism).", False, "Higher is better."),
        _m("worst_parked_share", "Worst parked share", "share",
           "The largest parked share in any payment group or decile of distance from work.",
           True, "Lower is better; at or under the cap you set."),
        _m("worst_parked_share_lower_half", "Worst parked share, furthest half", "share",
           "The largest parked share among the five deciles furthest from work.", True,
           "Lower is better."),
        _m("worst_parked_share_payment_group", "Worst parked share by payment group", "share",
           "The largest parked share in any payment group.", True, "Lower is better."),
        _m("budget_share", "Budget", "share",
           "Most expected government spend allowed, as a share of the baseline's.", None),
        _m("budget", "Budget", "GBP", "Most expected government spend allowed.", None),
        _m("fairness", "Share not parked in the worst group", "share",
           "One minus the worst parked share.", False),
        # ---------------------------------------------------------------- by decile
        _m("provider_hours", "Provider's hours per person", "hours",
           "Mean hours the provider gives per person.", None),
        _m("planner_hours", "Planner's hours per person", "hours",
           "Mean hours a fair planner would give with the same total hours.", None),
        _m("n", "People", "count", "Number of people.", None),
        # ---------------------------------------------------------------- audit
        _m("observed", "Job outcomes", "count", "Job outcomes observed.", None),
        _m("expected", "Expected job outcomes", "count",
           "Job outcomes expected from each person's chances at referral (case-mix adjusted).",
           None),
        _m("observed_rate", "Job-outcome rate", "share",
           "Share of people who reached a job outcome.", False),
        _m("expected_rate", "Expected rate", "share",
           "Share expected to reach a job outcome, given who was referred.", None),
        _m("oe_ratio", "Observed / expected", "ratio",
           "Job outcomes observed divided by those expected for this case mix (1 = as "
           "expected).", False, "Near 1 or above.", "Observed / expected"),
        _m("funnel_z", "Funnel z-score", "ratio",
           "How many standard errors the provider lies from the expected (funnel plot).",
           None, "Between -1.96 and 1.96: within the 95% limits.", "Funnel plot"),
        _m("funnel_position", "Funnel position", "text",
           "Inside or outside the funnel plot's 95% and 99.8% limits.", None, "",
           "Funnel plot"),
        _m("funnel_lower95", "95% limit, lower", "ratio", "Lower 95% funnel limit.", None),
        _m("funnel_upper95", "95% limit, upper", "ratio", "Upper 95% funnel limit.", None),
        _m("funnel_lower998", "99.8% limit, lower", "ratio", "Lower 99.8% funnel limit.", None),
        _m("funnel_upper998", "99.8% limit, upper", "ratio", "Upper 99.8% funnel limit.", None),
        _m("suppressed", "Suppressed", "text",
           "Whether the cell is hidden to protect privacy.", None, "", "Suppressed cell"),
        _m("minimal_hours", "Minimal support (hours)", "hours",
           "Hours at or below which a person counts as on minimal support.", None),
        _m("far_n", "People furthest from work", "count",
           "People in the deciles furthest from work.", None),
        _m("far_parked_share", "Furthest from work on minimal support", "share",
           "Share of the people furthest from work given only minimal support.", True),
        _m("far_parked_share_others", "Same at other providers", "share",
           "The same share at the other providers.", None),
        _m("share_difference", "Difference from other providers", "points",
           "Parked share of the furthest from work minus the other providers'.", True),
        _m("share_p_value", "p-value (share test)", "p_value",
           "Chance of a difference this large if the provider parked no more than others.",
           None, "", "p-value"),
        _m("hours_mean", "Mean hours", "hours", "Mean hours of support per person.", None),
        _m("hours_slope", "Hours slope", "ratio",
           "Extra hours per unit of expected chance (how hours follow the chance of a job).",
           None),
        _m("hours_slope_others", "Hours slope at others", "ratio",
           "The same slope at the other providers.", None),
        _m("relative_slope", "Relative slope", "ratio",
           "The hours slope relative to mean hours.", None),
        _m("relative_slope_others", "Relative slope at others", "ratio",
           "The relative slope at the other providers.", None),
        _m("slope_difference", "Slope difference", "ratio",
           "Relative slope minus the other providers'.", True),
        _m("slope_p_value", "p-value (slope test)", "p_value",
           "Chance of a slope difference this large with no difference in behaviour.",
           None, "", "p-value"),
        _m("p_value", "p-value", "p_value",
           "Chance of evidence this strong if the provider behaved like the others.",
           None, "Small values (below the evidence level) are evidence.", "p-value"),
        _m("p_adjusted", "Adjusted p-value", "p_value",
           "The p-value corrected for testing several providers at once.", None,
           "Below the evidence level: flagged.", "Adjusted p-value"),
        _m("power", "Power", "share",
           "Chance the test would detect parking of a meaningful size with this many people.",
           False, "80% or more.", "Power"),
        _m("n_needed", "People needed", "count",
           "People needed in the furthest deciles for 80% power.", None, "", "Power"),
        _m("flag", "Flagged", "text", "Whether the evidence passes the stated level.", None),
        _m("index", "Creaming index", "index",
           "Concentration of hours on those closest to work (above 0: towards them).", True,
           "", "Creaming"),
        _m("index_others", "Creaming index at others", "index",
           "The creaming index of the other providers together.", None, "", "Creaming"),
        _m("difference", "Difference", "points", "This group's figure minus the comparison's.",
           None),
        _m("n_others", "People at others", "count", "People at the other providers.", None),
        _m("parked_share_others", "Parked share at others", "share",
           "Parked share at the other providers.", None, "", "Parking"),
        _m("gap", "Gap", "points", "Largest minus smallest group rate.", None),
        _m("p_below", "p-value (below expected)", "p_value",
           "Chance of a rate this far below expected by chance alone.", None, "", "p-value"),
        _m("p_below_adjusted", "Adjusted p-value", "p_value",
           "The p-value corrected for testing many groups.", None, "", "Adjusted p-value"),
        _m("below_expected", "Below expected", "text",
           "Whether the group's outcomes are significantly below expected.", None),
        # ---------------------------------------------------------------- distance model
        _m("auc", "AUC", "ratio",
           "Chance that a person who found work was ranked above one who did not (0.5 = "
           "guessing, 1 = perfect).", False,
           "As close as possible to the best possible (oracle) AUC.", "AUC"),
        _m("brier", "Brier score", "ratio",
           "Mean squared error of the predicted chances (0 = perfect).", True,
           "Close to the oracle's.", "Brier score"),
        _m("ece", "Calibration error", "share",
           "Average gap between predicted chances and observed rates (expected calibration "
           "error).", True, "Under 1%.", "Calibration error"),
        _m("mean_predicted", "Mean predicted chance", "share",
           "Mean predicted chance of a job outcome.", None),
        _m("predictive_ratio", "Predicted / observed", "ratio",
           "Mean predicted chance divided by the observed rate (1 = calibrated).", None,
           "Between 0.95 and 1.05.", "Predictive ratio"),
        _m("oracle_ratio", "Best possible: predicted / observed", "ratio",
           "The same ratio for the best possible prediction from these characteristics.",
           None, "Shows how much of a miss is sampling noise.", "Oracle"),
        _m("truth_ratio", "Predicted / true chance", "ratio",
           "Mean predicted chance divided by the mean true chance (known on synthetic data).",
           None, "Between 0.95 and 1.05.", "Oracle"),
        _m("noise_se", "Sampling error of the ratio", "ratio",
           "Standard error of the predicted / observed ratio from outcome sampling alone.",
           None),
        _m("training_sample_ratio", "Same ratio in training data", "ratio",
           "The predictive ratio on the people the model was trained on.", None),
        _m("furthest_band_share", "Share in the furthest band", "share",
           "Share of the group placed in the band furthest from work.", None),
        _m("value", "Value", "ratio", "The metric's value.", None),
        _m("lower", "Lower 95% limit", "ratio", "Lower end of the 95% interval.", None),
        _m("upper", "Upper 95% limit", "ratio", "Upper end of the 95% interval.", None),
        # ---------------------------------------------------------------- tariffs
        _m("attachment_fee", "Attachment fee", "GBP",
           "Paid to the provider when a person is referred.", None, "", "Attachment fee"),
        _m("job_outcome_fee", "Job-outcome fee", "GBP",
           "Paid when the person reaches a job outcome.", None, "", "Job-outcome fee"),
        _m("trigger_weeks", "Trigger", "weeks",
           "Weeks in work before the job-outcome fee is paid.", None, "", "Trigger"),
        _m("sustainment_fee", "Sustainment fee per 4 weeks", "GBP",
           "Paid for each further 4 weeks in work after the job outcome.", None, "",
           "Sustainment fee"),
        _m("max_sustainment_payments", "Most sustainment payments", "count",
           "Most 4-weekly sustainment payments after one job outcome.", None, "",
           "Sustainment fee"),
    )
}

#: Table-specific meanings of generic column names (``(table, column)``).
_TABLE_MEASURES: dict[tuple[str, str], Measure] = {
    ("parking_by_decile", "difference"): _m(
        "difference", "Difference from others", "points",
        "Parked share minus the other providers' in the same decile.", True),
    ("parking_by_decile", "parked_share"): _m(
        "parked_share", "On minimal support", "share",
        "Share given only minimal support.", True, "", "Parking"),
    ("creaming", "difference"): _m(
        "difference", "Difference from others", "index",
        "Creaming index minus the other providers'.", True, "", "Creaming"),
    ("fairness", "difference"): _m(
        "difference", "Observed minus expected", "points",
        "Observed job-outcome rate minus the expected rate, in percentage points.", False),
    ("fairness_metrics", "value"): _m("value", "Value", "ratio", "The metric's value.", None),
}

#: ``value`` column -> (lower, upper) columns of its 95% interval, in the library's tables.
INTERVALS: dict[str, tuple[str, str]] = {
    "observed_rate": ("observed_ci_low", "observed_ci_high"),
    "oe_ratio": ("oe_ci_low", "oe_ci_high"),
    "share_difference": ("share_ci_low", "share_ci_high"),
    "slope_difference": ("slope_ci_low", "slope_ci_high"),
    "index": ("ci_low", "ci_high"),
    "difference": ("difference_ci_low", "difference_ci_high"),
    "value": ("lower", "upper"),
}

#: Labels of the breakdowns of a simulation's tidy table.
BREAKDOWN_LABELS: dict[str, str] = {
    "overall": "Everyone",
    "payment_group": "Payment group",
    "decile_true_p0": "Decile of distance from work",
    "decile_predicted": "Decile of predicted distance from work",
    "provider": "Provider",
    "sex": "Sex",
    "age_band": "Age band",
    "disability": "Disability",
    "ethnicity": "Ethnicity",
    "gap_by_characteristic": "Gap between groups (largest minus smallest)",
}

_CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "sex": {"F": "Female", "M": "Male", "X": "Another sex or not stated"},
    "disability": {
        "True": "Disabled", "False": "Not disabled", "1": "Disabled", "0": "Not disabled"
    },
}


def measure(key: str, table: str | None = None) -> Measure:
    """Return the :class:`Measure` of a key (a column's meaning may depend on its table).

    Unknown keys get a label made from the key (``"some_thing"`` -> ``"Some thing"``) and
    unit ``ratio``, so that nothing is ever shown as a raw snake_case name.

    Parameters
    ----------
    key : str
        Measure key or column name.
    table : str, optional
        Name of the table it is in (e.g. ``"parking_by_decile"``).

    Returns
    -------
    Measure

    Examples
    --------
    >>> measure("parked_share").unit
    'share'
    >>> measure("difference", "creaming").label
    'Difference from others'
    >>> measure("some_new_thing").label
    'Some new thing'
    """
    if table is not None and (table, key) in _TABLE_MEASURES:
        return _TABLE_MEASURES[(table, key)]
    if key in MEASURES:
        return MEASURES[key]
    for value, (low, high) in INTERVALS.items():
        if key in (low, high):
            base = measure(value, table)
            end = "Lower" if key == low else "Upper"
            return Measure(
                key,
                f"{base.label}: {end.lower()} 95% limit",
                base.unit,
                f"{end} end of the 95% interval of: {base.label.lower()}.",
            )
    return Measure(key, key.replace("_", " ").strip().capitalize() or key, "ratio", "")


def label(key: str, table: str | None = None) -> str:
    """Return a measure's label in words, without its unit."""
    return measure(key, table).label


def heading(key: str, table: str | None = None) -> str:
    """Return a measure's label with its unit (a table header)."""
    return measure(key, table).heading


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value)) or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _number(value: Any) -> float | None:
    if _is_missing(value) or isinstance(value, str):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _pounds(x: float, compact: bool) -> str:
    sign = "-" if x < 0 else ""
    a = abs(x)
    if compact and a >= 1e6:
        return f"{sign}£{a / 1e6:,.1f}m"
    return f"{sign}£{a:,.0f}"


def _format_unit(x: float, unit: Unit, compact: bool) -> str:
    if unit == "GBP":
        return _pounds(x, compact)
    if unit == "share":
        return f"{100 * x:.1f}%"
    if unit == "points":
        return f"{100 * x:+.1f}"
    if unit == "p_value":
        return "< 0.001" if x < 0.001 else f"{x:.3f}"
    if unit == "hours":
        return f"{x:,.1f}"
    if unit in ("count", "weeks"):
        return f"{x:,.0f}"
    if unit == "index":
        return f"{x:+.2f}" if x != 0 else "0.00"
    # ratio
    if x != 0 and abs(x) < 0.01:
        return f"{x:.4f}"
    return f"{x:,.2f}" if abs(x) < 1000 else f"{x:,.0f}"


def format_value(
    key: str,
    value: Any,
    *,
    table: str | None = None,
    compact: bool = False,
    unit: Unit | None = None,
) -> str:
    """Format one value of a measure for people.

    Parameters
    ----------
    key : str
        Measure key or column name (its unit decides the format).
    value : number, bool, str or None
        The value; ``None``/NaN gives :data:`MISSING`; booleans give "yes"/"no".
    table : str, optional
        Table the column is in (for table-specific meanings).
    compact : bool, default False
        Pounds as ``£6.0m`` / ``£37k`` (headline cards) rather than in full.
    unit : Unit, optional
        Overrides the measure's unit.

    Returns
    -------
    str

    Examples
    --------
    >>> format_value("government_spend", 6012345.6)
    '£6,012,346'
    >>> format_value("government_spend", 6012345.6, compact=True)
    '£6.0m'
    >>> format_value("hours_per_person", 2.6789)
    '2.7'
    >>> format_value("oe_ratio", None)
    '–'
    >>> format_value("flag", True)
    'yes'
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _is_missing(value):
        return MISSING
    if isinstance(value, str):
        return value
    x = _number(value)
    if x is None:
        return MISSING
    return _format_unit(x, unit or measure(key, table).unit, compact)


def format_change(key: str, delta: float | None, *, compact: bool = True) -> str | None:
    """Format a change of a measure (``None`` for no change): ``+3.2 points``, ``-£1.2m``.

    Examples
    --------
    >>> format_change("parked_share", -0.081)
    '-8.1 points'
    >>> format_change("government_spend", 1.2e6)
    '+£1.2m'
    >>> format_change("additional_jobs", 0.0) is None
    True
    """
    x = _number(delta)
    if x is None or x == 0:
        return None
    m = measure(key)
    if m.unit in ("share", "points"):
        return f"{100 * x:+.1f} points"
    if m.unit == "count" and abs(x) < 10:
        return f"{x:+.1f}"
    text = _format_unit(abs(x), m.unit, compact)
    return ("+" if x > 0 else "-") + text.lstrip("+")


def format_interval(key: str, value: Any, low: Any, high: Any, *, table: str | None = None) -> str:
    """Format a value with its 95% interval: ``0.99 (0.83 to 1.17)``.

    Examples
    --------
    >>> format_interval("oe_ratio", 0.9886, 0.8317, 1.1666)
    '0.99 (0.83 to 1.17)'
    >>> format_interval("observed_rate", 0.2834, 0.2440, 0.3254)
    '28.3% (24.4% to 32.5%)'
    """
    text = format_value(key, value, table=table)
    if text == MISSING or _number(low) is None or _number(high) is None:
        return text
    lo = format_value(key, low, table=table)
    hi = format_value(key, high, table=table)
    return f"{text} ({lo} to {hi})"


def group_label(group: str) -> str:
    """Return a payment group with its name (``"PG7 ESA ex-IB"``); other labels unchanged."""
    name = PAYMENT_GROUP_NAMES.get(str(group))
    return f"{group} {name}" if name else str(group)


def decile_label(decile: int | str) -> str:
    """Return a decile of distance with its direction (decile 1 = furthest from work).

    Examples
    --------
    >>> decile_label("D1")
    'Decile 1 (furthest from work)'
    >>> decile_label(10)
    'Decile 10 (closest to work)'
    >>> decile_label(4)
    'Decile 4'
    """
    text = str(decile)
    match = re.fullmatch(r"D?(\d+)", text)
    if match is None:
        return text
    d = int(match.group(1))
    where = {1: " (furthest from work)", 10: " (closest to work)"}.get(d, "")
    return f"Decile {d}{where}"


def _chance_digits(chances: Sequence[float]) -> int:
    """Fewest decimals (0-2) that keep distinct cut-points distinct as percentages."""
    distinct = sorted(set(chances))
    for digits in range(3):
        if len({round(100 * c, digits) for c in distinct}) == len(distinct):
            return digits
    return 2


def band_label(
    band: int, edges: Sequence[float], *, name: str | None = None, digits: int | None = None
) -> str:
    """Label a band of predicted distance with its range of chance; band 1 is the furthest.

    Parameters
    ----------
    band : int
        Band number, ``1..len(edges) + 1`` (1 = furthest from work, lowest chance).
    edges : sequence of float
        Interior cut-points on distance (``1 - chance``), increasing (a contract's band
        edges without the outer 0 and 1).
    name : str, optional
        Name in brackets (default: "furthest from work" for band 1, "closest to work" for the
        last, none between).
    digits : int, optional
        Decimals of the percentages (default: the fewest, at most 2, that keep the
        cut-points distinct).

    Returns
    -------
    str

    Examples
    --------
    >>> band_label(1, [0.55, 0.7, 0.88])
    'Band 1 (furthest from work): chance below 12%'
    >>> band_label(2, [0.55, 0.7, 0.88])
    'Band 2: chance 12% to 30%'
    >>> band_label(4, [0.55, 0.7, 0.88], name="closest")
    'Band 4 (closest): chance 45% or more'
    """
    cuts = [float(x) for x in edges]
    n = len(cuts) + 1
    if int(band) != band or not 1 <= band <= n:
        raise ValueError(f"band must be a whole number 1..{n}, got {band!r}")
    b = int(band)
    if digits is None:
        digits = _chance_digits([1.0 - c for c in cuts])
    if name is None and n > 1:
        name = "furthest from work" if b == 1 else "closest to work" if b == n else None
    head = f"Band {b}" + (f" ({name})" if name else "")
    if n == 1:
        return f"{head}: any chance"
    # band b spans distances cuts[n - b - 1] .. cuts[n - b]: chances 1 - those, reversed
    low = 1.0 - cuts[n - b] if b > 1 else None
    high = 1.0 - cuts[n - b - 1] if b < n else None
    if low is None:
        return f"{head}: chance below {high:.{digits}%}"
    if high is None:
        return f"{head}: chance {low:.{digits}%} or more"
    return f"{head}: chance {low:.{digits}%} to {high:.{digits}%}"


def breakdown_label(breakdown: str) -> str:
    """Return a breakdown's label (``"payment_group"`` -> ``"Payment group"``)."""
    return BREAKDOWN_LABELS.get(breakdown, breakdown.replace("_", " ").capitalize())


def category_label(breakdown: str, group: Any) -> str:
    """Return a group of a breakdown in words.

    Payment groups carry their names, deciles their direction, disability is in words.

    Examples
    --------
    >>> category_label("payment_group", "PG1")
    'PG1 JSA 18-24'
    >>> category_label("decile_true_p0", "D1")
    'Decile 1 (furthest from work)'
    >>> category_label("disability", "True")
    'Disabled'
    >>> category_label("overall", "all")
    'Everyone'
    """
    text = str(group)
    if breakdown == "overall":
        return "Everyone"
    if breakdown == "payment_group":
        return group_label(text)
    if breakdown.startswith("decile"):
        return decile_label(text)
    if breakdown == "gap_by_characteristic":
        return breakdown_label(text)
    return _CATEGORY_LABELS.get(breakdown, {}).get(text, text)


def _merge_intervals(columns: Sequence[str]) -> dict[str, tuple[str, str]]:
    present = set(columns)
    return {v: lh for v, lh in INTERVALS.items() if v in present and set(lh) <= present}


def format_table(
    frame: pd.DataFrame,
    *,
    table: str | None = None,
    columns: Sequence[str] | None = None,
    intervals: bool = True,
    suppressed: str | None = "suppressed",
    categories: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return a copy of a table with every cell formatted and every header labelled.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table of the library (an audit table, a wide measure table, ...).
    table : str, optional
        The table's name, for table-specific meanings of generic column names.
    columns : sequence of str, optional
        Columns to keep, in this order (default: all, with interval columns merged).
    intervals : bool, default True
        Merge a value and its 95% interval columns into one cell (see :data:`INTERVALS`).
    suppressed : str or None, default "suppressed"
        Boolean column marking suppressed rows: their numbers show as :data:`SUPPRESSED`
        and the column itself is dropped.
    categories : mapping of str to str, optional
        Column -> breakdown whose group labels to use (e.g. ``{"group": "payment_group"}``);
        ``payment_group`` and ``decile`` columns are labelled by default.

    Returns
    -------
    pandas.DataFrame
        Strings only, headers as :func:`heading` gives them.

    Examples
    --------
    >>> t = pd.DataFrame({"provider_id": ["P1", "P2"], "oe_ratio": [0.99, None],
    ...                   "oe_ci_low": [0.83, None], "oe_ci_high": [1.17, None],
    ...                   "p_value": [0.0001, None], "suppressed": [False, True]})
    >>> format_table(t).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'Provider': 'P1', 'Observed / expected (95% interval)': '0.99 (0.83 to 1.17)',
      'p-value': '< 0.001'},
     {'Provider': 'P2', 'Observed / expected (95% interval)': '[c]', 'p-value': '[c]'}]
    """
    merged = _merge_intervals(list(frame.columns)) if intervals else {}
    hidden = {c for lh in merged.values() for c in lh}
    if suppressed and suppressed in frame.columns:
        hidden.add(suppressed)
    keep = [c for c in (columns or list(frame.columns)) if c in frame.columns and c not in hidden]
    mask = (
        frame[suppressed].fillna(False).astype(bool).to_numpy()
        if suppressed and suppressed in frame.columns
        else None
    )
    cats = {"payment_group": "payment_group", "decile": "decile", **(categories or {})}
    out: dict[str, list[str]] = {}
    for c in keep:
        col = frame[c]
        if c in cats:
            cells = [
                MISSING if _is_missing(v) else category_label(cats[c], v) for v in col.tolist()
            ]
            out[_id_heading(c)] = cells
            continue
        if _is_identifier(c, col):
            out[_id_heading(c)] = [MISSING if _is_missing(v) else str(v) for v in col.tolist()]
            continue
        if c in merged:
            lo, hi = merged[c]
            triples = zip(col.tolist(), frame[lo].tolist(), frame[hi].tolist(), strict=True)
            cells = [format_interval(c, v, a, b, table=table) for v, a, b in triples]
            name = heading(c, table) + " (95% interval)"
        else:
            cells = [format_value(c, v, table=table) for v in col.tolist()]
            name = heading(c, table)
        if mask is not None:
            cells = [SUPPRESSED if m else v for v, m in zip(cells, mask, strict=True)]
        out[name] = cells
    return pd.DataFrame(out, index=frame.index, dtype=object)


_ID_HEADINGS = {
    "provider_id": "Provider",
    "payment_group": "Payment group",
    "decile": "Decile of distance (1 = furthest from work)",
    "group": "Group",
    "characteristic": "Characteristic",
    "measure": "Measure",
    "section": "Section",
    "predictor": "Predictor",
    "tariff": "Group or band",
    "metric": "Metric",
    "contract": "Contract",
    "breakdown": "Breakdown",
}


_ID_DESCRIPTIONS = {
    "provider_id": "The provider's identifier, as in the caseload.",
    "payment_group": "The payment group (PG1 JSA 18-24 to PG9 JSA prison leavers).",
    "decile": "Decile of expected chance of a job outcome (1 = furthest from work).",
    "group": "The group of the characteristic.",
    "characteristic": "The protected characteristic (sex, age band, disability, ethnicity).",
    "measure": "The measure (see its label).",
    "contract": "The contract or scenario.",
    "breakdown": "How people are grouped.",
}


def _id_heading(column: str) -> str:
    return _ID_HEADINGS.get(column, measure(column).heading)


def _is_identifier(column: str, values: pd.Series) -> bool:
    if column in _ID_HEADINGS:
        return True
    if column in MEASURES:
        return False
    return not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def column_descriptions(columns: Iterable[str], *, table: str | None = None) -> pd.DataFrame:
    """Describe the columns of a CSV file: heading, unit and meaning of each.

    Parameters
    ----------
    columns : iterable of str
        Column names (or measure keys) of the file.
    table : str, optional
        The table's name, for table-specific meanings.

    Returns
    -------
    pandas.DataFrame
        ``column``, ``heading``, ``unit``, ``description``.

    Examples
    --------
    >>> column_descriptions(["parked_share"]).iloc[0]["heading"]
    'Parked share (%)'
    """
    rows = []
    for c in columns:
        m = measure(c, table)
        rows.append(
            {
                "column": c,
                "heading": _ID_HEADINGS.get(c, m.heading),
                "unit": "" if c in _ID_HEADINGS else m.unit,
                "description": _ID_DESCRIPTIONS.get(c, m.description),
            }
        )
    return pd.DataFrame(rows, columns=["column", "heading", "unit", "description"])
