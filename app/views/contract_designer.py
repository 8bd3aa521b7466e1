"""Contract designer: choose or upload a contract, edit its tariff, see what a provider does."""

from __future__ import annotations

import cache
import pandas as pd
import streamlit as st
import ui

from pbr_fairness.caseload.schema import PAYMENT_GROUP_NAMES

st.title("Contract designer")
st.markdown(
    "Choose a contract, change its fees, and see what a profit-seeking provider would do: "
    "who gets hours of support, who is **parked** (given only the contractual minimum), what "
    "it costs, and how far it is from what a fair planner would do with the same hours."
)

CASELOAD = "default"
PROVIDER_LABELS = {
    "cost_per_hour": ("Cost of an hour of support (£)", 1.0),
    "capacity_hours": ("Hours available per person, on average", 1.0),
    "minimum_hours": ("Contractual minimum hours for everyone", 0.5),
    "information_noise": ("Provider's uncertainty about each person's chances (logit sd)", 0.1),
    "mission_weight": ("Mission weight (0 = pure profit, 1 = planner)", 0.1),
}


def _provider_inputs(sim, sources: dict[str, str]) -> tuple[tuple[str, float], ...]:
    defaults = sim.ProviderSettings().to_dict()
    values = {}
    for key, default in defaults.items():
        label, step = PROVIDER_LABELS.get(key, (key.replace("_", " ").capitalize(), 0.1))
        kwargs = {"max_value": 1.0} if key == "mission_weight" else {}
        values[key] = float(
            st.number_input(
                label,
                min_value=0.0,
                value=float(default),
                step=step,
                help=sources.get(key),
                key=f"provider_{key}",
                **kwargs,
            )
        )
    sim.ProviderSettings(**values)  # validates (raises InputError naming the setting)
    return tuple(sorted(values.items()))


def _metrics(result, baseline, baseline_name: str) -> None:
    from pbr_fairness.reporting import headlines

    cols = st.columns(5)
    for col, h in zip(cols, headlines(result, baseline), strict=True):
        col.metric(
            h.label,
            h.text,
            delta=h.change,
            delta_color="inverse" if h.lower_is_better else "normal",
            help=f"Change against the baseline, {baseline_name}, under the same provider.",
            border=True,
        )


with ui.guard("The contract designer"):
    contracts = ui.library_part("pbr_fairness.contracts", "load_contract", "contract_to_yaml")
    sim = ui.library_part("pbr_fairness.simulation", "simulate_contract", "ProviderSettings")
    if contracts is None or sim is None:
        st.stop()
    from pbr_fairness import plots, reporting

    model_ok = cache.model_available()
    presets = cache.preset_names()
    usable = [n for n in presets if model_ok or cache.preset_contract(n).basis == "payment_group"]
    default_preset = "work_programme_2011" if "work_programme_2011" in usable else usable[0]

    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("1. The contract")
        starts = ["A preset", "My contract file (YAML)"]
        proposed = st.session_state.get("proposed_contract")
        if proposed is not None:
            starts.append("The fairer tariff's proposal")
        start = st.radio("Start from", starts, horizontal=True, key="designer_start")
        if start == "The fairer tariff's proposal":
            origin = "proposal"
            base = cache.contract(proposed, source="fairer tariff proposal")
        elif start == "A preset":
            origin = st.selectbox(
                "Preset contract",
                usable,
                index=usable.index(default_preset),
                key="designer_preset",
                help="Shipped contracts; every figure's source is on the About page.",
            )
            base = cache.preset_contract(origin)
        else:
            upload = st.file_uploader(
                "Contract file (YAML)",
                type=["yaml", "yml"],
                key="designer_upload",
                help="A contract in the format of the presets; download one below to start from.",
            )
            if upload is None:
                st.info("Upload a contract YAML file, or start from a preset.")
                st.stop()
            origin = upload.name
            base = cache.contract(upload.getvalue(), source=upload.name)
        if not model_ok and base.basis != "payment_group":
            st.error(
                f"This contract pays by {base.basis.replace('_', ' ')}, which needs the distance "
                "model; run `make prepare` to train it."
            )
            st.stop()
        st.caption(
            f"Tariff basis: **{base.basis.replace('_', ' ')}**. Edit any fee in the table; the "
            "results below follow at once."
        )
        edited = st.data_editor(
            reporting.tariff_table(base),
            key=f"tariffs-{origin}",
            hide_index=True,
            column_config=ui.TARIFF_COLUMNS,
            num_rows="fixed",
            width="stretch",
        )
        designed = reporting.contract_from_table(base, edited)

    with right:
        st.subheader("2. The provider")
        provider = _provider_inputs(sim, getattr(sim, "PROVIDER_SOURCES", {}))
        # The fairer-tariff page optimises for the provider described here.
        st.session_state["designer_provider"] = provider
        knows_options = ["truth", "model"] if model_ok else ["truth"]
        knows = st.radio(
            "What the provider knows of each person's chances",
            knows_options,
            format_func={"truth": "Their true chances", "model": "Only the model's prediction"}.get,
            horizontal=True,
            key="provider_knows",
            help="A provider that knows more than the commissioner can cream within any price "
            "band.",
        )
        st.subheader("3. Compare with")
        baseline_name = st.selectbox(
            "Baseline for the changes",
            usable,
            index=usable.index(default_preset),
            key="designer_baseline",
        )
        others = st.multiselect(
            "Also compare (one more preset: three contracts side by side)",
            [n for n in usable if n != baseline_name],
            max_selections=1,
            key="designer_compare",
        )

    designed_yaml = cache.contract_yaml(designed)
    label = "This contract" if designed.name == origin else f"This contract ({designed.name})"
    parsed = {label: designed, f"Baseline: {baseline_name}": cache.preset_contract(baseline_name)}
    configs: dict[str, str] = {
        label: designed_yaml,
        f"Baseline: {baseline_name}": cache.preset_yaml(baseline_name),
    }
    for name in others:
        configs[name] = cache.preset_yaml(name)
        parsed[name] = cache.preset_contract(name)
    with st.spinner("Simulating the provider's best response..."):
        results = {
            name: cache.simulate(CASELOAD, text, provider, knows, contract_obj=parsed[name])
            for name, text in configs.items()
        }
    result = results[label]
    baseline = results[f"Baseline: {baseline_name}"]

    st.divider()
    st.subheader("What the provider does under this contract")
    n_people = len(result.persons)
    st.caption(
        f"{n_people:,} synthetic people from the default caseload "
        f"({cache.default_caseload_source()})."
    )
    _metrics(result, baseline, baseline_name)

    tidy = reporting.comparison_frame(results)
    same_as_baseline = designed_yaml == configs[f"Baseline: {baseline_name}"]
    if same_as_baseline:
        st.caption(
            f"This contract is the same as the baseline ({baseline_name}): no changes shown."
        )
    hours = pd.concat(
        [
            reporting.hours_by_decile(r.persons).assign(contract=n)
            for n, r in results.items()
            if n == label or not same_as_baseline
        ],
        ignore_index=True,
    )
    views = [
        "Hours by distance",
        "Parked by group",
        "Outcomes by group",
        "Gaps by characteristic",
        "Side by side",
    ]
    view = st.segmented_control(
        "Show", views, default=views[0], key="designer_view", label_visibility="collapsed"
    )
    if view == "Hours by distance":
        st.plotly_chart(plots.hours_by_decile_figure(hours), key="fig_hours")
        st.caption(
            "Solid: the provider's hours; dashed: what a planner would give with the same total "
            "hours, weighting those furthest from work more (proportionate universalism)."
        )
    elif view == "Parked by group":
        st.plotly_chart(
            plots.parked_share_figure(tidy, group_labels=PAYMENT_GROUP_NAMES), key="fig_parked"
        )
    elif view == "Outcomes by group":
        st.plotly_chart(
            plots.outcome_with_without_support_figure(tidy, contract=label), key="fig_outcomes"
        )
    elif view == "Gaps by characteristic":
        st.plotly_chart(plots.gaps_figure(tidy), key="fig_gaps")
    elif view == "Side by side":
        st.dataframe(reporting.comparison_table(results), key="designer_compare_table")

    st.markdown("**Results by payment group** (this contract)")
    by_group = (
        tidy[(tidy["breakdown"] == "payment_group") & (tidy["contract"] == label)]
        .pivot_table(index="group", columns="measure", values="value", observed=True)
        .reindex(
            columns=["parked_share", "hours_per_person", "job_outcome_rate", "no_support_rate"]
        )
        .reset_index()
    )
    st.dataframe(
        by_group,
        hide_index=True,
        key="designer_by_group",
        column_config={
            "group": "Payment group",
            "parked_share": st.column_config.NumberColumn("Parked share", format="percent"),
            "hours_per_person": st.column_config.NumberColumn("Hours per person", format="%.1f"),
            "job_outcome_rate": st.column_config.NumberColumn("Job-outcome rate", format="percent"),
            "no_support_rate": st.column_config.NumberColumn(
                "Rate without support", format="percent"
            ),
        },
    )

    st.markdown("**Downloads**")
    d1, d2, d3 = st.columns(3)
    with d1:
        st.download_button(
            "Download the contract (YAML)",
            designed_yaml,
            file_name="contract.yaml",
            mime="application/x-yaml",
            on_click="ignore",
            key="download_contract",
        )
    with d2:
        st.download_button(
            "Download the results (CSV)",
            lambda: reporting.results_csv(results),
            file_name="results.csv",
            mime="text/csv",
            on_click="ignore",
            key="download_results",
        )
    with d3:
        st.download_button(
            "Download the report (HTML)",
            lambda: reporting.designer_report_html(
                results,
                contracts=parsed,
                baseline=f"Baseline: {baseline_name}",
                caseload_description=cache.default_caseload_source().replace("`", ""),
            ),
            file_name="contract_report.html",
            mime="text/html",
            on_click="ignore",
            key="download_report",
        )
