"""Fairer tariff: ask the optimiser for a tariff that stops parking at the same budget."""

from __future__ import annotations

import cache
import streamlit as st
import ui

st.title("Fairer tariff")
st.markdown(
    "Ask for a tariff under which a profit-seeking provider's own best response comes close to "
    "what a fair planner would do: nobody written off, gaps narrowed, at no more public spend "
    "than the baseline contract, and with the provider still viable."
)

BASES = {
    "payment_group": "Per payment group (as the Work Programme)",
    "distance_band": "Per band of predicted distance from work (the model's 10 bands)",
    "smooth": "A smooth function of the predicted chance of a job",
}
OBJECTIVES = {
    "planner_gap": "Come as close as possible to the planner's allocation",
    "equity_weighted_jobs": "Most equity-weighted additional jobs",
}

with ui.guard("The fairer-tariff optimiser"):
    tariffs = ui.library_part("pbr_fairness.tariffs", "optimise_tariff")
    sim = ui.library_part("pbr_fairness.simulation", "ProviderSettings")
    if tariffs is None or sim is None:
        st.stop()
    from pbr_fairness import plots, reporting

    model_ok = cache.model_available()
    presets = [
        n
        for n in cache.preset_names()
        if cache.contract(cache.preset_yaml(n)).basis == "payment_group"
    ]
    bases = list(BASES) if model_ok else ["payment_group"]
    objectives = list(tariffs.OBJECTIVES)
    OBJECTIVES.update(tariffs.OBJECTIVES)

    with st.form("tariff_form"):
        left, right = st.columns(2, gap="large")
        with left:
            baseline = st.selectbox(
                "Baseline contract",
                presets,
                index=presets.index("work_programme_2011")
                if "work_programme_2011" in presets
                else 0,
                key="tariff_baseline",
            )
            basis = st.radio(
                "Set fees",
                bases,
                format_func=BASES.get,
                key="tariff_basis",
                index=bases.index("distance_band") if "distance_band" in bases else 0,
            )
            objective = st.radio(
                "Objective",
                objectives,
                format_func=lambda o: OBJECTIVES.get(o, o),
                key="tariff_objective",
            )
            knows = st.radio(
                "What the provider knows of each person's chances",
                ["model", "truth"] if model_ok else ["truth"],
                format_func={
                    "truth": "Their true chances",
                    "model": "Only the model's prediction",
                }.get,
                key="tariff_knows",
                horizontal=True,
            )
        with right:
            budget_share = st.slider(
                "Budget (share of the baseline's expected spend)",
                70,
                130,
                100,
                5,
                format="%d%%",
                key="tariff_budget",
                help="Expected government spend may not exceed this.",
            )
            min_profit = st.number_input(
                "Smallest provider profit (£)",
                value=0.0,
                step=10_000.0,
                key="tariff_min_profit",
                help="The provider must stay viable.",
            )
            max_parked = st.slider(
                "Most parked share in any group or decile",
                0,
                50,
                5,
                1,
                format="%d%%",
                key="tariff_max_parked",
                help="Default 5%: nobody written off.",
            )
            monotone = st.checkbox(
                "Fees never fall as distance from work rises", value=False, key="tariff_monotone"
            )
            max_ratio = st.number_input(
                "Highest / lowest outcome fee at most (0 = no cap)",
                min_value=0.0,
                value=0.0,
                step=1.0,
                key="tariff_max_ratio",
            )
        submitted = st.form_submit_button("Find a fairer tariff", type="primary")

    config = {
        "baseline": baseline,
        "basis": basis,
        "objective": objective,
        "provider_knows": knows,
        "budget_share": float(budget_share) / 100.0,
        "min_profit": float(min_profit),
        "max_parked_share": float(max_parked) / 100.0,
        "monotone": bool(monotone),
        "max_fee_ratio": float(max_ratio) or None,
    }
    if submitted:
        st.session_state["tariff_config"] = tuple(sorted(config.items()))
    if st.session_state.get("tariff_config") is None:
        st.info("Choose the settings and press **Find a fairer tariff** (about 10 seconds).")
        st.stop()
    key = st.session_state["tariff_config"]
    default_provider = tuple(sorted(sim.ProviderSettings().to_dict().items()))
    provider = st.session_state.get("designer_provider", default_provider)
    if provider != default_provider:
        settings = ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in provider)
        st.caption(f"Provider as set in the Contract designer: {settings}.")
    with st.status("Searching for a fairer tariff...", expanded=True) as status:
        bar = st.progress(0.0, text="Simulating the provider's best response to candidate tariffs")

        def _progress(fraction: float, message: str) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

        result = cache.optimise("default", key, provider, progress=_progress)
        bar.progress(1.0, text="Done")
        status.update(label="Fairer tariff found", state="complete", expanded=False)

    proposed_yaml = cache.contract_yaml(result.proposed)
    b, p = result.baseline_measures, result.proposed_measures
    if not result.caps_met:
        st.warning(
            "No tariff within these limits keeps every group under the parked-share cap; this "
            "is the smallest worst parked share reachable "
            f"({100 * result.minimax_parked_share:.1f}%).",
            icon=":material/warning:",
        )
    cols = st.columns(4)
    for col, (key_, label, kind, lower) in zip(
        cols,
        [
            ("worst_parked_share", "Worst parked share", "percent", True),
            ("additional_jobs", "Additional jobs", "number", False),
            ("government_spend", "Government spend", "money", True),
            ("provider_profit", "Provider profit", "money", False),
        ],
        strict=True,
    ):
        if key_ not in p:
            continue
        delta = p[key_] - b[key_]
        col.metric(
            label,
            ui.fmt_number(p[key_], kind),
            delta=f"{100 * delta:+.1f} points"
            if kind == "percent"
            else (("+" if delta > 0 else "") + ui.fmt_number(delta, kind)),
            delta_color="inverse" if lower else "normal",
            help=f"Proposed tariff against the baseline ({result.baseline.name}).",
            border=True,
        )
    st.subheader("Before and after")
    before_after = result.before_after()
    st.dataframe(
        before_after,
        hide_index=True,
        key="tariff_before_after",
        column_config={
            "baseline": st.column_config.NumberColumn(format="%.3f"),
            "proposed": st.column_config.NumberColumn(format="%.3f"),
            "change": st.column_config.NumberColumn(format="%+.3f"),
        },
    )
    st.subheader("Frontier: fairness against budget")
    st.plotly_chart(plots.tariff_frontier_figure(result), key="tariff_frontier")
    st.subheader("The proposed tariff")
    st.dataframe(
        reporting.tariff_table(result.proposed),
        hide_index=True,
        key="tariff_proposed",
        column_config=ui.TARIFF_COLUMNS,
    )

    def _open_in_designer() -> None:
        st.session_state["proposed_contract"] = proposed_yaml
        st.session_state["designer_start"] = "The fairer tariff's proposal"
        # the designer shows the proposal under the same provider knowledge it was made for
        st.session_state["provider_knows"] = dict(key)["provider_knows"]

    c1, c2 = st.columns(2)
    if c1.button("Open in the contract designer", on_click=_open_in_designer, key="tariff_open"):
        st.switch_page("views/contract_designer.py")
    c2.download_button(
        "Download the tariff (YAML)",
        proposed_yaml,
        file_name="fairer_tariff.yaml",
        mime="application/x-yaml",
        on_click="ignore",
        key="tariff_download",
    )
