"""Glossary: every term the app uses, in plain words, with what good looks like."""

from __future__ import annotations

import streamlit as st
import ui

from pbr_fairness.glossary import glossary

st.title("Glossary")
st.markdown(
    "The words the app uses, in plain language. Every **?** help on the other pages links "
    "to its entry here. Distance from work always runs one way: **band 1 and decile 1 are "
    "the furthest from work** (the lowest chance of a job)."
)

with ui.guard("The glossary"):
    terms = glossary()
    letters = sorted({t.name[0].upper() for t in terms})
    st.caption(" · ".join(letters))
    for t in terms:
        st.subheader(t.name, anchor=t.anchor, divider=False)
        st.markdown(t.definition + (f"  \n**Good:** {t.good}" if t.good else ""))
