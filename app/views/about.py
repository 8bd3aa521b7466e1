"""About: where every figure comes from, and the distance model's card."""

from __future__ import annotations

import cache
import pandas as pd
import streamlit as st
import ui

st.title("About: where every number comes from")
st.markdown(
    "Every figure the app uses from the outside world (a tariff, an outcome rate, a cost) lives in "
    "a parameter file with its source beside it, or is labelled an **estimate** with the reason it "
    "was chosen. Confidence labels: **P** primary source (DWP, NAO, Parliament), **S** secondary "
    "source quoting official data, **D** derived by arithmetic from P/S figures, **R** from the "
    "literature (a range to check), **U** unverified estimate."
)

LINKS = st.column_config.LinkColumn("links", help="Where the figure was read", width="medium")

with ui.guard("The contract sources"):
    st.header("Contract tariffs")
    contracts = ui.library_part("pbr_fairness.contracts", "load_contract", "PRESETS")
    reporting = ui.library_part("pbr_fairness.reporting", "contract_sources")
    if contracts is not None and reporting is not None:
        for name in cache.preset_names():
            contract = contracts.load_contract(name)
            with st.expander(f"Preset `{name}`: {contract.spec.description}", expanded=False):
                table = reporting.contract_sources(contract)
                first_link = table["links"].str.split(" ").str[0]
                st.dataframe(
                    table.assign(links=first_link),
                    hide_index=True,
                    column_config={"links": LINKS},
                )

with ui.guard("The provider settings"):
    st.header("Provider and planner defaults")
    sim = ui.library_part("pbr_fairness.simulation", "ProviderSettings")
    if sim is not None:
        defaults = sim.ProviderSettings().to_dict()
        sources = getattr(sim, "PROVIDER_SOURCES", {})
        st.dataframe(
            pd.DataFrame(
                {
                    "setting": list(defaults),
                    "default": list(defaults.values()),
                    "source": [sources.get(k, "") for k in defaults],
                }
            ),
            hide_index=True,
        )
        planner = getattr(sim, "PlannerSettings", None)
        planner_sources = getattr(sim, "PLANNER_SOURCES", {})
        if planner is not None:
            pdefaults = planner().to_dict()
            st.dataframe(
                pd.DataFrame(
                    {
                        "planner setting": list(pdefaults),
                        "default": list(pdefaults.values()),
                        "source": [planner_sources.get(k, "") for k in pdefaults],
                    }
                ),
                hide_index=True,
            )

with ui.guard("The generator parameters"):
    st.header("The synthetic caseload")
    st.markdown(
        f"The default caseload is {cache.default_caseload_source()}. Its generator's parameters "
        "are in `pbr_fairness/data/generator.yaml`; each is listed here with its source or the "
        "reason it is an estimate."
    )
    reporting = ui.library_part("pbr_fairness.reporting", "parameter_sources")
    if reporting is not None:
        st.dataframe(
            cache.generator_sources(),
            hide_index=True,
            column_config={"text": st.column_config.TextColumn("source or reason", width="large")},
        )

with ui.guard("The model card"):
    st.header("The distance model's card")
    card = cache.model_card_markdown()
    if card is not None:
        st.markdown(card)
    elif cache.model_available():
        st.info(f"The model in `{cache.model_dir()}` has no model card.")
    else:
        st.info("The default model is not prepared yet: run `make prepare` to train it.")

st.header("Privacy")
st.markdown(
    "Uploaded files are read from memory and never written to disk; they are gone when your "
    "session ends. Reports escape every text you upload, CSV downloads neutralise spreadsheet "
    "formulas, and the audit report suppresses small cells. The app sends no usage statistics."
)
