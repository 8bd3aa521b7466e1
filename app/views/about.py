"""About: where every figure comes from, and the distance model's card."""

from __future__ import annotations

import cache
import pandas as pd
import streamlit as st
import ui

from pbr_fairness.contracts import PRESETS
from pbr_fairness.reporting import contract_sources
from pbr_fairness.simulation import (
    PLANNER_SOURCES,
    PROVIDER_SOURCES,
    PlannerSettings,
    ProviderSettings,
)

st.title("About: where every number comes from")
st.markdown(
    "Every figure the app uses from the outside world (a tariff, an outcome rate, a cost) lives in "
    "a parameter file with its source beside it, or is labelled an **estimate** with the reason it "
    "was chosen. Confidence labels: **P** primary source (DWP, NAO, Parliament), **S** secondary "
    "source quoting official data, **D** derived by arithmetic from P/S figures, **R** from the "
    "literature (a range to check), **U** unverified estimate."
)

LINKS = st.column_config.LinkColumn("Link", help="Where the figure was read", width="medium")
COLUMNS = {
    "tariff": st.column_config.TextColumn("Group or band"),
    "figure": st.column_config.TextColumn("Figure"),
    "value": st.column_config.NumberColumn("Value", format="%,.2f"),
    "unit": st.column_config.TextColumn("Unit"),
    "confidence": st.column_config.TextColumn("Confidence"),
    "source": st.column_config.TextColumn("Source", width="large"),
}

with ui.guard("The contract sources"):
    st.header("Contract tariffs")
    for name in PRESETS:
        contract = cache.preset(name)
        with st.expander(f"Preset `{name}`: {contract.spec.description}", expanded=False):
            table = contract_sources(contract)
            first_link = table["links"].str.split(" ").str[0]
            st.dataframe(
                table.assign(links=first_link),
                hide_index=True,
                column_config={**COLUMNS, "links": LINKS},
            )

with ui.guard("The provider settings"):
    st.header("Provider and planner defaults")
    defaults = ProviderSettings().to_dict()
    st.dataframe(
        pd.DataFrame(
            {
                "setting": [k.replace("_", " ").capitalize() for k in defaults],
                "default": list(defaults.values()),
                "source": [PROVIDER_SOURCES.get(k, "") for k in defaults],
            }
        ),
        hide_index=True,
        column_config={"source": st.column_config.TextColumn("Source", width="large")},
    )
    pdefaults = PlannerSettings().to_dict()
    st.dataframe(
        pd.DataFrame(
            {
                "planner setting": [k.replace("_", " ").capitalize() for k in pdefaults],
                "default": list(pdefaults.values()),
                "source": [PLANNER_SOURCES.get(k, "") for k in pdefaults],
            }
        ),
        hide_index=True,
        column_config={"source": st.column_config.TextColumn("Source", width="large")},
    )

with ui.guard("The generator parameters"):
    st.header("The synthetic caseload")
    st.markdown(
        f"The default caseload is {cache.data().caseload_source()}. Its generator's parameters "
        "are in `pbr_fairness/data/generator.yaml`; each is listed here with its source or the "
        "reason it is an estimate."
    )
    st.dataframe(
        cache.generator_sources(),
        hide_index=True,
        column_config={"text": st.column_config.TextColumn("source or reason", width="large")},
    )

with ui.guard("The model card"):
    st.header("The distance model's card")
    card = cache.data().model_card_markdown()
    if card is not None and "band 1 = closest" in card:
        st.caption(
            "This card was written when the model was trained and numbers its bands from the "
            "closest to work; everywhere else in the app band 1 and decile 1 are the furthest "
            "from work."
        )
    if card is not None:
        st.markdown(card)
    elif cache.data().model_available():
        st.info(f"The model in `{cache.data().model_folder}` has no model card.")
    else:
        st.info("The default model is not prepared yet: run `make prepare` to train it.")

st.header("Privacy")
st.markdown(
    "Uploaded files are read from memory and never written to disk; they are gone when your "
    "session ends. Reports escape every text you upload, CSV downloads neutralise spreadsheet "
    "formulas, and the audit report suppresses small cells. The app sends no usage statistics."
)
