"""Fairer tariff: ask the optimiser for a tariff that stops parking at the same budget.

The settings are the scenario's (kept across pages and in the address); the result says for
every limit whether it was met, and the headline shows the same figures as the warning.
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
from pbr_fairness.recipes.tariff import tariff_checks
from pbr_fairness.scenario import ContractChoice, provider_settings
from pbr_fairness.tariffs import OBJECTIVES

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


with ui.guard("The fairer-tariff optimiser"):
    scn = state.current()
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
        st.stop()

    provider = provider_settings(scn.designer.current, where="designer.current.provider")
    if provider.to_dict() != type(provider)().to_dict():
        chosen = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in provider.to_dict().items())
        st.caption(f"Provider as set in the Contract designer: {chosen}.")
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
