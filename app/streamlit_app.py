"""pbr-fairness: the Streamlit app (router over the pages in ``app/views``).

Run with ``make app`` or ``streamlit run app/streamlit_app.py``. Every page is widgets, the
session's scenario, one call of the :mod:`pbr_fairness` library, and rendering. The sidebar
keeps the scenario: it is in the address (copy it to share), and can be saved as a file and
opened again.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
if str(APP_DIR) not in sys.path:  # pages import the app's helpers (cache, state, ui) by name
    sys.path.insert(0, str(APP_DIR))

import streamlit as st  # noqa: E402

st.set_page_config(
    page_title="pbr-fairness",
    page_icon=":material/balance:",
    layout="wide",
    initial_sidebar_state="expanded",
)

import sidebar  # noqa: E402
import state  # noqa: E402
import ui  # noqa: E402

PAGES = [
    st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("views/contract_designer.py", title="Contract designer", icon=":material/tune:"),
    st.Page("views/fairer_tariff.py", title="Fairer tariff", icon=":material/balance:"),
    st.Page("views/caseload_audit.py", title="Caseload audit", icon=":material/fact_check:"),
    st.Page("views/distance_model.py", title="Distance model", icon=":material/insights:"),
    st.Page("views/glossary.py", title="Glossary", icon=":material/menu_book:",
            url_path=ui.GLOSSARY_PATH),
    st.Page("views/about.py", title="About", icon=":material/info:"),
]

navigation = st.navigation(PAGES)
ui.style()
state.current()  # the scenario of the address, on a new session
state.sync()
sidebar.scenario_panel()
navigation.run()
