"""pbr-fairness: the Streamlit app (router over the pages in ``app/pages``).

Run with ``make app`` or ``streamlit run app/streamlit_app.py``. Every page is widgets, a plain
configuration, one call of the :mod:`pbr_fairness` library, and rendering.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent
if str(APP_DIR) not in sys.path:  # pages import the app's helpers (cache, ui) by name
    sys.path.insert(0, str(APP_DIR))

import streamlit as st  # noqa: E402

st.set_page_config(
    page_title="pbr-fairness",
    page_icon=":material/balance:",
    layout="wide",
    initial_sidebar_state="expanded",
)

PAGES = [
    st.Page("views/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("views/contract_designer.py", title="Contract designer", icon=":material/tune:"),
    st.Page("views/fairer_tariff.py", title="Fairer tariff", icon=":material/balance:"),
    st.Page("views/caseload_audit.py", title="Caseload audit", icon=":material/fact_check:"),
    st.Page("views/distance_model.py", title="Distance model", icon=":material/insights:"),
    st.Page("views/about.py", title="About", icon=":material/info:"),
]

navigation = st.navigation(PAGES)
st.sidebar.caption(
    "pbr-fairness: what a payment-by-results contract does to the people it should serve."
)
navigation.run()
