"""The sidebar's scenario panel: the address to share, the scenario file, start again."""

from __future__ import annotations

import state
import streamlit as st

from pbr_fairness.errors import InputError
from pbr_fairness.scenario import Scenario, read_scenario, scenario_to_yaml


def _open_file() -> None:
    upload = st.session_state.get("scenario_upload")
    if upload is None:
        return
    try:
        scenario = read_scenario(upload.getvalue(), source=upload.name)
    except InputError as exc:
        st.session_state["scenario_problem"] = str(exc)
        return
    st.session_state.pop("scenario_problem", None)
    st.session_state["scenario_notice"] = f"Opened {upload.name}."
    state.replace(scenario)


def _start_again() -> None:
    st.session_state.pop("scenario_problem", None)
    state.replace(Scenario())


def scenario_panel() -> None:
    """Show the scenario panel at the foot of the sidebar (on every page)."""
    holder = state.box()
    with st.sidebar:
        st.caption(
            "pbr-fairness: what a payment-by-results contract does to the people it should "
            "serve."
        )
        st.markdown("**Your scenario**")
        st.caption(
            "Everything you set is kept as you move between pages and in the address: copy "
            "the address to share it or come back to it."
        )
        st.download_button(
            "Save the scenario (YAML)",
            lambda: scenario_to_yaml(holder.get("scenario", Scenario())),
            file_name="scenario.yaml",
            mime="application/x-yaml",
            on_click="ignore",
            key="scenario_download",
            width="stretch",
            help="Open it again here, or run it from the command line: "
            "`pbr-fairness simulate --scenario scenario.yaml`.",
        )
        st.file_uploader(
            "Open a scenario file", type=["yaml", "yml"], key="scenario_upload",
            on_change=_open_file,
        )
        st.button("Start again", on_click=_start_again, key="scenario_reset", type="tertiary")
        problem = st.session_state.get("scenario_problem")
        if problem:
            st.warning(f"The scenario could not be opened: {problem}")
        notice = st.session_state.pop("scenario_notice", None)
        if notice:
            st.success(notice)
