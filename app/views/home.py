"""Home: what the app is, who it is for, a three-step guide, the default data and model."""

from __future__ import annotations

import cache
import streamlit as st
import ui

st.title("pbr-fairness")
st.markdown(
    "**What a payment-by-results contract does to the people it is meant to serve, "
    "and how to pay more fairly.**"
)

with ui.guard("The home page"):
    st.markdown(
        """
In an outcome-payment ("payment-by-results") employment programme, providers are paid when
the people they support find and keep work. When the price of an *expected* outcome differs
between people, a provider that follows the money gives most help to those closest to work
(**creaming**) and only the contractual minimum to those furthest from it (**parking**).
That is what happened in the UK Work Programme (2011-2017).

This app simulates a provider's best response to a contract, shows who is parked and creamed,
what it costs and how far it is from what a fair planner would do with the same hours, proposes
fairer tariffs at the same budget, and audits a real provider caseload for evidence of parking.
"""
    )

    left, right = st.columns(2)
    with left:
        st.subheader("Who it is for")
        st.markdown(
            """
- **Commissioners** who design contracts: test a tariff, see who is left behind, compare
  contracts, ask for a fairer tariff at the same spend.
- **Auditors** who check a provider's real caseload: upload it, get evidence of parking and
  creaming with honest uncertainty, and a report that is safe to publish.
- **Researchers**: everything here is also a Python library and a command line
  (`pbr-fairness --help`).
"""
        )
    with right:
        st.subheader("Three steps")
        st.markdown(
            """
1. **Design a contract** in the *Contract designer*: start from the Work Programme preset,
   change a fee, and watch the parked share and the cost per additional job move.
2. **Ask for a fairer tariff** on the *Fairer tariff* page: same budget, no group written off;
   open the proposal in the designer to compare it with the original.
3. **Audit a caseload** on the *Caseload audit* page: upload a CSV or Parquet file (or try the
   sample), match its columns and values, and download the HTML report.

Everything you set is kept as you move between pages and in the page's address: copy the
address to share a scenario, or save it as a file from the sidebar. Words you do not know are
in the *Glossary*.
"""
        )

    st.subheader("The default data and model")
    model_text = (
        "the shipped model in `models/default/` (a calibrated LightGBM classifier; its model "
        "card is on the *Distance model* and *About* pages)"
        if cache.data().model_available()
        else "not prepared yet: run `make prepare` to train it (`models/default/`)"
    )
    st.markdown(
        f"""
- **Default caseload** for the designer and the optimiser: {cache.data().caseload_source()}.
  It is *synthetic*: people and their chances are drawn from a generator calibrated to the
  Work Programme's published outcome rates (see *About*). No real person is in it.
- **Sample caseload** for the audit: `data/synthetic/sample_caseload.csv` (2,000 synthetic
  people, 4 providers).
- **Distance model** (each person's predicted chance of a job outcome from what is known at
  referral): {model_text}.
"""
    )
    st.info(
        "Your uploads stay in memory for your session only: nothing you upload is written to disk.",
        icon=":material/lock:",
    )
