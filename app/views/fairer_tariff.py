"""Fairer tariff: ask the optimiser for a tariff that stops parking at the same budget.

The settings are the scenario's (kept across pages and in the address); the result says for
every limit whether it was met, and the headline shows the same figures as the warning. The
search may change the fees per outcome, or use instruments beyond them (the families the
user allows); an instrument proposal is shown beside its robustness checks.
"""

from __future__ import annotations

import cache
import pandas as pd
import state
import streamlit as st
import ui

from pbr_fairness import plots, reporting
from pbr_fairness.contracts import PRESETS, contract_to_yaml
from pbr_fairness.engine import needs_prediction
from pbr_fairness.labels import format_change, format_value, measure
from pbr_fairness.recipes.tariff import MARGIN_NOTE, tariff_checks
from pbr_fairness.reporting.instruments import (
    FAMILY_HELP,
    instrument_checks_display,
    instrument_proposals_display,
)
from pbr_fairness.scenario import (
    DEFAULT_RESPONSE,
    SEARCH_FAMILIES,
    ContractChoice,
    provider_settings,
)
from pbr_fairness.tariffs import OBJECTIVES
from pbr_fairness.tariffs.instrument_designs import FAMILY_LABELS
from pbr_fairness.tariffs.measures import TARGET_MEASURE

st.title("Fairer tariff")
st.markdown(
    "Ask for a tariff under which a profit-seeking provider's own best response comes close to "
    "what a fair planner would do: nobody written off, gaps narrowed, at no more public spend "
    "than the baseline contract, and with the provider still viable."
)

BASES = {
    "payment_group": "Per payment group (as the Work Programme)",
    "distance_band": "Per band of predicted distance from work (10 bands; band 1 = furthest)",
    "smooth": "A smooth function of the predicted chance of a job",
}
SEARCHES = {
    "fees": "Fees per outcome (by payment group, band or a smooth function)",
    "instruments": "Instruments beyond fees per outcome (value-added, accelerator, yardstick, "
    "cost-sharing, funded hours, an independent assessment)",
}
KNOWS = {
    "truth": "Their true chances",
    "model": "Only the model's prediction",
    "posterior": "What it learns at a first meeting (a noisy signal, weighed sensibly)",
}
#: Help for each search family (the designer's words; the assessment prices the fees here).
FAMILY_WORDS = {f: FAMILY_HELP[f] for f in SEARCH_FAMILIES}
PEOPLE = (5_000, 10_000, 20_000, 50_000)
HEADLINES = (
    ("worst_parked_share", True),
    ("additional_jobs", False),
    ("government_spend", True),
    ("provider_profit", False),
)


def _open_in_designer(spec) -> None:
    scn = state.current()
    cur = scn.designer.current
    current = cur.model_copy(update={
        "contract": ContractChoice(origin="proposal", spec=spec),
        # the designer shows the proposal under the knowledge it was made for
        "provider_knows": scn.tariff.provider_knows,
    })
    designer = scn.designer.model_copy(update={"current": current, "baseline": scn.tariff.baseline})
    st.session_state["proposal_spec"] = spec
    state.replace_keys(("designer_start", "provider_knows", "designer_baseline"))
    state.update(scn.model_copy(update={"designer": designer}))


def _run() -> None:
    st.session_state["tariff_submitted"] = True


def _run_instruments() -> None:
    st.session_state["tariff_inst_submitted"] = True


def _fees_page(scn) -> None:
    t = scn.tariff
    model_ok = cache.data().model_available()
    presets = [n for n in PRESETS if cache.preset(n).basis == "payment_group"]
    bases = [b for b in BASES if model_ok or not needs_prediction(b)]
    knows_options = [k for k in ("model", "truth") if model_ok or not needs_prediction(None, k)]
    state.seed("tariff_baseline", t.baseline if t.baseline in presets else presets[0])
    state.seed("tariff_basis", t.basis if t.basis in bases else bases[0])
    state.seed("tariff_objective", t.objective)
    state.seed("tariff_knows", t.provider_knows if t.provider_knows in knows_options else "truth")
    state.seed("tariff_budget", t.budget_percent)
    state.seed("tariff_min_profit", float(t.min_profit))
    state.seed("tariff_max_parked", t.max_parked_percent)
    state.seed("tariff_monotone", t.monotone)
    state.seed("tariff_max_ratio", float(t.max_fee_ratio))

    with st.form("tariff_form"):
        left, right = st.columns(2, gap="large")
        with left:
            baseline = st.selectbox("Baseline contract", presets, key="tariff_baseline")
            basis = st.radio("Set fees", bases, format_func=BASES.get, key="tariff_basis")
            objective = st.radio(
                "Objective", list(OBJECTIVES), format_func=OBJECTIVES.get, key="tariff_objective",
                help=ui.help_text("planner_gap"),
            )
            knows = st.radio(
                "What the provider knows of each person's chances", knows_options,
                format_func={"truth": "Their true chances",
                             "model": "Only the model's prediction"}.get,
                key="tariff_knows", horizontal=True,
            )
        with right:
            budget = st.slider(
                "Budget (% of the baseline's expected spend)", 70, 130, step=5, format="%d%%",
                key="tariff_budget", help="Expected government spend may not exceed this.",
            )
            min_profit = st.number_input(
                "Smallest provider profit (£)", step=10_000.0, key="tariff_min_profit",
                help="The provider must stay viable. " + ui.help_text("provider_profit"),
            )
            max_parked = st.slider(
                "Most parked share in any payment group or decile", 0, 50, step=1,
                format="%d%%", key="tariff_max_parked",
                help="Default 5%: nobody written off. " + ui.glossary_link("Parking"),
            )
            monotone = st.checkbox(
                "Fees never fall as distance from work rises", key="tariff_monotone"
            )
            max_ratio = st.number_input(
                "Highest / lowest outcome fee at most (0 = no cap)", min_value=0.0, step=1.0,
                key="tariff_max_ratio",
            )
        st.form_submit_button("Find a fairer tariff", type="primary", on_click=_run)

    submitted = bool(st.session_state.pop("tariff_submitted", False))
    settings = t.model_copy(update={
        "baseline": baseline, "basis": basis, "objective": objective, "provider_knows": knows,
        "budget_percent": int(budget), "min_profit": float(min_profit),
        "max_parked_percent": int(max_parked), "monotone": bool(monotone),
        "max_fee_ratio": float(max_ratio), "run": t.run or submitted,
    })
    # form widgets change only when submitted: these are the settings last submitted
    scn = scn.model_copy(update={"tariff": settings})
    state.update(scn)
    if not scn.tariff.run:
        st.info("Choose the settings and press **Find a fairer tariff** (about 10 seconds).")
        return

    provider = _provider_caption(scn)
    with st.status("Searching for a fairer tariff...", expanded=True) as status:
        bar = st.progress(0.0, text="Simulating the provider's best response to candidate tariffs")

        def _progress(fraction: float, message: str) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

        result = cache.optimise(scn.tariff, provider, progress=_progress)
        bar.progress(1.0, text="Done")
        checks = tariff_checks(result)
        unmet = [c for c in checks if not c.met]
        status.update(
            label="A tariff meeting every limit was found" if not unmet
            else f"No tariff met every limit: {len(unmet)} of {len(checks)} missed",
            state="complete" if not unmet else "error",
            expanded=False,
        )

    b, p = result.baseline_measures, result.proposed_measures
    if unmet:
        st.warning(
            "The proposal below is the best found, but it does not meet every limit: "
            + "; ".join(f"{c.limit.lower()} ({c.detail})" for c in unmet)
            + ". Loosen a limit (a larger budget, a higher cap) or accept the shortfall.",
            icon=":material/warning:",
        )
    d_jobs = p["additional_jobs"] - b["additional_jobs"]
    d_spend = p["government_spend"] - b["government_spend"]
    jobs = (f"{abs(d_jobs):,.0f} {'more' if d_jobs > 0 else 'fewer'} additional jobs"
            if abs(d_jobs) >= 0.5 else "as many additional jobs")
    spend = (f"{format_value('government_spend', abs(d_spend), compact=True)} "
             f"{'more' if d_spend > 0 else 'less'} government spend"
             if abs(d_spend) >= 0.5 else "the same government spend")
    worst_b = format_value("worst_parked_share", b["worst_parked_share"])
    worst_p = format_value("worst_parked_share", p["worst_parked_share"])
    st.info(
        f"Against {result.baseline.name}, the proposal brings the worst parked share in any "
        f"payment group or decile from {worst_b} to {worst_p}, with {jobs}, at {spend}.",
        icon=":material/summarize:",
    )
    cols = st.columns(4)
    for col, (key, lower) in zip(cols, HEADLINES, strict=True):
        col.metric(
            measure(key).label, format_value(key, p[key], compact=True),
            delta=format_change(key, p[key] - b[key]),
            delta_color="inverse" if lower else "normal",
            help=ui.help_text(key, f"Proposed tariff against the baseline "
                              f"({result.baseline.name}), under the same provider."),
            border=True,
        )

    st.subheader("Every limit, checked")
    ui.table(
        pd.DataFrame(
            {
                "Limit": [c.limit for c in checks],
                "Met": ["yes" if c.met else "no" for c in checks],
                "Figures": [c.detail for c in checks],
            }
        )
    )
    changes = reporting.structural_changes(result.baseline, result.proposed)
    if changes:
        st.subheader("What the proposal changes")
        st.markdown("\n".join(f"- {c}" for c in changes))
    notes = [n for n in result.notes if "smallest worst parked share" not in n]
    if notes:
        with st.expander("Notes from the search"):
            st.markdown("\n".join(f"- {n}" for n in notes))

    st.subheader("Before and after")
    before_after = result.before_after()
    ui.table(reporting.before_after_display(before_after, "overall"))
    gaps = reporting.before_after_display(before_after, "gap_by_characteristic")
    if len(gaps):
        with st.expander("Gaps between groups by protected characteristic"):
            ui.table(gaps)
    with st.expander("By payment group"):
        ui.table(reporting.before_after_display(before_after, "payment_group"))
    with st.expander("By decile of distance from work (decile 1 = furthest)"):
        ui.table(reporting.before_after_display(before_after, "decile_true_p0"))

    st.subheader("Frontier: the worst parked share reachable at each budget")
    st.plotly_chart(plots.tariff_frontier_figure(result), key="tariff_frontier")
    st.subheader("The proposed tariff")
    ui.table(reporting.tariff_display(result.proposed))

    proposed_yaml = contract_to_yaml(result.proposed)
    c1, c2 = st.columns(2)
    if c1.button("Open in the contract designer", on_click=_open_in_designer,
                 args=(result.proposed.spec,), key="tariff_open"):
        st.switch_page("views/contract_designer.py")
    c2.download_button(
        "Download the tariff (YAML)", proposed_yaml, file_name="fairer_tariff.yaml",
        mime="application/x-yaml", on_click="ignore", key="tariff_download",
    )


def _provider_caption(scn):
    provider = provider_settings(scn.designer.current, where="designer.current.provider")
    if provider.to_dict() != type(provider)().to_dict():
        chosen = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in provider.to_dict().items())
        st.caption(f"Provider as set in the Contract designer: {chosen}.")
    return provider


def _instruments_page(scn) -> None:
    t = scn.tariff
    s = t.instruments
    presets = [n for n in PRESETS if cache.preset(n).basis == "payment_group"
               and not cache.preset(n).families]
    n_people = len(cache.caseload())
    people = sorted({min(p, n_people) for p in PEOPLE})
    state.seed("tariff_inst_baseline", t.baseline if t.baseline in presets else presets[0])
    state.seed("tariff_families", list(s.families))
    state.seed("tariff_inst_knows", s.provider_knows)
    state.seed("tariff_margin_kind", "baseline" if s.min_margin_percent is None else "set")
    state.seed("tariff_margin_percent", 25.0 if s.min_margin_percent is None
               else float(s.min_margin_percent))
    state.seed("tariff_robust", s.robust)
    state.seed("tariff_people", min(people, key=lambda p: abs(p - s.people)))

    with st.form("tariff_instruments_form"):
        left, right = st.columns(2, gap="large")
        with left:
            baseline = st.selectbox(
                "Baseline contract", presets, key="tariff_inst_baseline",
                help="The proposals spend what this contract spends, on the same people "
                "(contracts with instruments are not offered: the search builds its own).",
            )
            families = st.multiselect(
                "Instrument families the proposal may use", list(SEARCH_FAMILIES),
                format_func=lambda f: FAMILY_LABELS[f], key="tariff_families",
                help="Each family is searched on its own, and the best combination of them. "
                + " ".join(f"**{FAMILY_LABELS[f].capitalize()}**: {FAMILY_WORDS[f]}"
                           for f in SEARCH_FAMILIES),
            )
            knows = st.radio(
                "What the provider knows of each person's chances", list(KNOWS),
                format_func=KNOWS.get, key="tariff_inst_knows",
                help="Every proposal is also checked under the other two.",
            )
        with right:
            margin_kind = st.radio(
                "Least provider margin (profit over revenue)", ["baseline", "set"],
                format_func={"baseline": "The baseline's own margin",
                             "set": "A margin I set"}.get,
                key="tariff_margin_kind", horizontal=True,
            )
            margin = st.number_input(
                "Margin I set (%)", min_value=-50.0, max_value=90.0, step=1.0,
                format="%.0f", key="tariff_margin_percent",
                help="Used when 'A margin I set' is chosen.",
            )
            st.caption(MARGIN_NOTE)
            robust = st.toggle(
                "Robust: rank proposals on their worst case over the checks",
                key="tariff_robust",
                help="Instead of the central case: an unannounced fall in labour demand, a "
                "benchmark one point off either way, and the three levels of what the provider "
                "knows.",
            )
            if len(people) > 1:
                n = st.select_slider(
                    "People the search runs on (a random sample of the caseload)", people,
                    format_func=lambda p: f"{p:,}", key="tariff_people",
                    help="All families take about 7 seconds on 20,000 people and 25 on 50,000.",
                )
            else:
                n = people[0]
                st.caption(f"The search runs on all {n:,} people of the caseload.")
        st.form_submit_button("Search the instrument families", type="primary",
                              on_click=_run_instruments, key="tariff_inst_submit")

    submitted = bool(st.session_state.pop("tariff_inst_submitted", False))
    if not families:
        st.warning("Choose at least one instrument family.")
        return
    settings = t.model_copy(update={
        "baseline": baseline,
        "instruments": s.model_copy(update={
            "families": tuple(families), "provider_knows": knows,
            "min_margin_percent": None if margin_kind == "baseline" else float(margin),
            "robust": bool(robust), "people": int(n), "run": s.run or submitted,
        }),
    })
    scn = scn.model_copy(update={"tariff": settings})
    state.update(scn)
    if not settings.instruments.run:
        st.info("Choose the families and press **Search the instrument families** (a few "
                "seconds to half a minute, depending on the people and families).")
        return

    provider = _provider_caption(scn)
    with st.status("Searching the instrument families...", expanded=True) as status:
        bar = st.progress(0.0, text="Simulating the provider's best response to candidates")

        def _progress(fraction: float, message: str) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

        result = cache.optimise_instruments(settings, provider, progress=_progress)
        bar.progress(1.0, text="Done")
        best = result.best
        ok = best.feasible and best.meets_floors
        status.update(
            label="A proposal meeting every floor was found" if ok
            else "No proposal met every floor: the one shown comes closest",
            state="complete" if ok else "error", expanded=False,
        )
    b, m = result.baseline, best.measures
    worst = TARGET_MEASURE
    floor = ("no floor" if result.margin_floor is None
             else f"a floor of {result.margin_floor:.1%}")
    st.info(
        f"On {min(n, len(cache.caseload())):,} people, against {baseline}, the best proposal "
        f"brings the worst parked share in the lower half of distance from work from "
        f"{b[worst]:.1%} to {m[worst]:.1%} at the same "
        f"expected spend, with {m['additional_jobs'] / b['additional_jobs']:.2f}x the "
        f"additional jobs and a provider margin of {m['provider_margin']:.1%} ({floor}).",
        icon=":material/summarize:",
    )
    if not ok:
        st.warning(
            "No proposal met every floor (margin, additional jobs at least the baseline's, "
            "equity-weighted jobs at least 1.2 times the baseline's). " + MARGIN_NOTE,
            icon=":material/warning:",
        )
    st.subheader("Every family on its own, and the best combination")
    ui.table(instrument_proposals_display(result))
    left, right = st.columns(2, gap="large")
    finalists = list(result.finalists())
    with left:
        st.subheader("The proposal")
        state.seed("tariff_checked", "best")
        if st.session_state["tariff_checked"] not in finalists:
            st.session_state["tariff_checked"] = "best"
        chosen = st.selectbox(
            "Proposal", finalists, key="tariff_checked",
            format_func=lambda k: "Best found (any combination)" if k == "best"
            else FAMILY_LABELS[k].capitalize() + " alone",
        )
        c = result.finalists()[chosen]
        st.markdown(f"**Design**: {c.design.label()}.")
        st.markdown("\n".join(f"- {n}" for n in result.notes))
    with right:
        st.subheader("Robustness checks")
        ui.table(instrument_checks_display(result, chosen),
                 caption="Each check re-evaluates the proposal unchanged in another world: "
                 "spend against the budget, and jobs against the baseline's central case.")
    with st.expander("Every proposal under every check"):
        ui.table(instrument_checks_display(result, None))
    st.download_button(
        "Download the report (Markdown)", result.to_markdown(),
        file_name="instrument_search.md", mime="text/markdown", on_click="ignore",
        key="tariff_inst_download",
    )


with ui.guard("The fairer-tariff optimiser"):
    scn = state.current()
    if scn.designer.response != DEFAULT_RESPONSE:
        st.caption(
            "The search runs in the default world (support follows the evidence); the "
            f"Contract designer tests contracts in another ({scn.designer.response}), so a "
            "proposal opened there can do differently."
        )
    state.seed("tariff_search", scn.tariff.search)
    search = st.radio("What the proposal may change", list(SEARCHES), format_func=SEARCHES.get,
                      key="tariff_search")
    if search != scn.tariff.search:
        scn = scn.model_copy(update={"tariff": scn.tariff.model_copy(update={"search": search})})
        state.update(scn)
    if search == "fees":
        _fees_page(scn)
    else:
        _instruments_page(scn)
