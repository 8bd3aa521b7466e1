"""The glossary: every term the app and the reports use, defined in plain words.

Terms that are measures take their definition from :data:`pbr_fairness.labels.MEASURES`
(one definition, shown the same in a card's help, a table's caption and here); the other
terms are defined in :data:`TERMS`. :func:`anchor` gives the link target of a term, so that
every "?" help can point at its entry.

Examples
--------
>>> anchor("Cost per additional job")
'cost-per-additional-job'
>>> term("Parking").definition.startswith("Giving someone only")
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pbr_fairness.labels import MEASURES

__all__ = ["TERMS", "Term", "anchor", "glossary", "term"]


@dataclass(frozen=True)
class Term:
    """One glossary entry.

    Attributes
    ----------
    name : str
        The term as the app writes it.
    definition : str
        What it means, in one or two plain sentences.
    good : str
        What a good value looks like (empty for terms that are not measures).
    """

    name: str
    definition: str
    good: str = ""

    @property
    def anchor(self) -> str:
        """The entry's link target on the glossary page."""
        return anchor(self.name)


def anchor(name: str) -> str:
    """Return the link target of a term (lower case, words joined by hyphens)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


#: Terms that are not (only) measures.
TERMS: tuple[Term, ...] = (
    Term("Payment by results",
         "A contract that pays a provider mostly when the people it supports find and keep "
         "work, rather than for the support itself."),
    Term("Parking",
         "Giving someone only the contractual minimum of support because, at the contract's "
         "prices, helping them more does not pay. The parked share is the share of people "
         "treated so.",
         "0%: nobody written off."),
    Term("Creaming",
         "Concentrating help on the people closest to work, who would often have found work "
         "anyway. The creaming index measures it from -1 to 1; above 0 means hours go to "
         "those closest to work.",
         "At or below 0."),
    Term("Deadweight",
         "Job outcomes that would have happened without any support but are paid for all "
         "the same."),
    Term("Distance from work",
         "One minus a person's chance of a job outcome without support. Band 1 and decile 1 "
         "always hold the people furthest from work (the lowest chance)."),
    Term("Decile",
         "A tenth of the caseload ranked by the chance of a job without support: decile 1 is "
         "the tenth furthest from work, decile 10 the tenth closest."),
    Term("Band",
         "A range of predicted distance from work that a tariff prices the same. Band 1 is "
         "the furthest from work; every band is labelled with its range of predicted chance."),
    Term("Payment group",
         "The Work Programme's groups of claimants by benefit (PG1 JSA 18-24 to PG9 JSA "
         "prison leavers), each with its own fees."),
    Term("Attachment fee", "Paid to the provider when a person is referred (attached)."),
    Term("Job-outcome fee",
         "Paid when a person has been in work for the trigger number of weeks."),
    Term("Trigger", "Weeks in work before the job-outcome fee is paid (13 or 26 in the Work "
         "Programme)."),
    Term("Sustainment fee",
         "Paid for each further 4 weeks in work after the job outcome, up to a most number "
         "of payments."),
    Term("Planner",
         "The reference a contract is judged against: the same hours given to maximise "
         "additional jobs, each weighted more the further the person is from work."),
    Term("Proportionate universalism",
         "Support for everyone (a minimum of service), with more for those who need it more "
         "(Marmot 2010). The planner's weights follow it."),
    Term("Mission weight",
         "How much the provider cares about social value as well as profit: 0 = pure profit, "
         "1 = the planner's values."),
    Term("Provider's uncertainty",
         "How noisy the provider's own estimate of each person's chances is (standard "
         "deviation on the log-odds scale; 0 = it knows them exactly)."),
    Term("Baseline", "The contract the changes are measured against."),
    Term("Scenario",
         "Everything you set on the pages: contract, fees, provider, comparison and views. "
         "It is kept in the address, so a link reproduces it, and can be saved as a file "
         "that the command line reads too (pbr-fairness simulate --scenario FILE)."),
    Term("Observed / expected",
         "Job outcomes a provider achieved divided by those expected for the people it was "
         "sent (1 = as expected; below 1 = fewer).",
         "Near 1 or above."),
    Term("Funnel plot",
         "Observed / expected against the number expected, with limits that narrow as "
         "providers grow: a provider outside the 99.8% limits is unlikely to differ by "
         "chance alone."),
    Term("p-value",
         "The chance of evidence at least this strong if the provider behaved like the "
         "others. Shown as '< 0.001' when very small.",
         "Below the evidence level (e.g. 0.05) counts as evidence."),
    Term("Adjusted p-value",
         "A p-value corrected for testing many providers or groups at once (Holm or "
         "Benjamini-Hochberg), so that chance findings are not flagged."),
    Term("Power",
         "The chance that a test would detect parking of a meaningful size with the people "
         "available; low power means 'no evidence' is not 'no parking'.",
         "80% or more."),
    Term("Suppressed cell",
         "A figure hidden because it covers too few people to publish safely, shown as [c]; "
         "others may be hidden too so that it cannot be worked out."),
    Term("AUC",
         "The chance that the model ranks a person who found work above one who did not "
         "(0.5 = guessing, 1 = perfect).",
         "Close to the best possible (the oracle's) AUC for these characteristics."),
    Term("Brier score", "Mean squared error of the predicted chances (0 = perfect).",
         "Close to the oracle's."),
    Term("Calibration error",
         "The average gap between predicted chances and the rates observed among people with "
         "those predictions (expected calibration error).",
         "Under 1%."),
    Term("Predictive ratio",
         "Mean predicted chance divided by the observed rate in a group: 1 means the model "
         "is calibrated in that group; a tariff priced on the model over- or under-pays "
         "groups where it is not.",
         "Between 0.95 and 1.05 in every group."),
    Term("Oracle",
         "The best possible prediction from the same characteristics, known only on "
         "synthetic data where the truth is known; the ceiling a model can reach."),
    Term("Protected characteristic",
         "Sex, age, disability and ethnicity (Equality Act 2010). Pricing leaves out sex and "
         "ethnicity by default; the model shows which it uses as inputs."),
)


def glossary() -> tuple[Term, ...]:
    """Return every term, sorted by name: :data:`TERMS` and the measures' definitions.

    Returns
    -------
    tuple of Term
    """
    terms = {t.name: t for t in TERMS}
    for m in MEASURES.values():
        if not m.description or m.label in terms or (m.term in terms and m.term != m.label):
            continue
        if m.unit == "text" or m.key in _NOT_IN_GLOSSARY:
            continue
        terms[m.label] = Term(m.label, m.description, m.good)
    return tuple(sorted(terms.values(), key=lambda t: t.name.lower()))


#: Table columns too technical or too local to earn a glossary entry of their own.
_NOT_IN_GLOSSARY = frozenset(
    {
        "n", "observed", "expected", "funnel_lower95", "funnel_upper95", "funnel_lower998",
        "funnel_upper998", "minimal_hours", "far_n", "far_parked_share_others", "hours_mean",
        "hours_slope", "hours_slope_others", "relative_slope", "relative_slope_others",
        "slope_difference", "slope_p_value", "share_p_value", "index_others", "difference",
        "n_others", "parked_share_others", "p_below", "p_below_adjusted", "value", "lower",
        "upper", "noise_se", "training_sample_ratio", "budget", "budget_share", "fairness",
        "provider_hours", "planner_hours", "observed_rate", "expected_rate", "mean_predicted",
        "oracle_ratio", "truth_ratio", "far_parked_share", "share_difference", "gap",
        "n_needed", "index", "max_sustainment_payments", "trigger_weeks",
        "worst_parked_share_lower_half", "worst_parked_share_payment_group",
    }
)


def term(name: str) -> Term:
    """Return the glossary entry of a term (by name, case-insensitive).

    Raises
    ------
    KeyError
        When the term is not in the glossary.
    """
    for t in glossary():
        if t.name.lower() == name.lower():
            return t
    raise KeyError(f"no glossary term {name!r}")
