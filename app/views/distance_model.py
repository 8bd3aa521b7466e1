"""Placeholder page (filled in as its library part lands)."""

from __future__ import annotations

import streamlit as st

st.title("distance_model")
st.info("Coming soon.")
