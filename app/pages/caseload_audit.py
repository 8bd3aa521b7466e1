"""Placeholder page (filled in as its library part lands)."""

from __future__ import annotations

import streamlit as st

st.title("caseload_audit")
st.info("Coming soon.")
