"""Distance model: how good the shipped model is, what it relies on, and whom it fails."""

from __future__ import annotations

import cache
import streamlit as st
import ui

from pbr_fairness.caseload.schema import PROTECTED_CHARACTERISTICS

st.title("Distance model")
st.markdown(
    "Each person's **distance from employment** is one minus the model's predicted chance of a "
    "job outcome, from what is known at referral only (never outcomes, hours or provider). "
    "Fairer tariffs and audits rest on it, so it must be accurate, calibrated within every "
    "group, explained, and open about its errors."
)
st.caption(
    "Scores below are on held-out synthetic people (a seed the model was not trained on), "
    "where the truth is known: the *oracle* is the best any model of these characteristics "
    "could do."
)

CHARACTERISTICS = {"all": "Everyone", "payment_group": "Payment group"} | {
    c: c.replace("_", " ").capitalize() for c in PROTECTED_CHARACTERISTICS
}

with ui.guard("The distance-model page"):
    dist = ui.library_part("pbr_fairness.distance", "DistanceModel")
    if dist is None:
        st.stop()
    if not cache.model_available():
        st.info("The default model is not prepared yet: run `make prepare` to train it.")
        st.stop()
    from pbr_fairness import plots

    st.subheader("How good is the model")
    evaluation = cache.model_evaluation()
    overall = evaluation.overall
    cols = st.columns(4)
    model_row = overall.loc["model"]
    cols[0].metric(
        "AUC",
        f"{model_row['auc']:.3f}",
        help="Chance that a person who found work "
        "was ranked above one who did not (0.5 = guessing).",
        border=True,
    )
    if "oracle" in overall.index:
        ratio = model_row["auc"] / overall.loc["oracle", "auc"]
        cols[1].metric(
            "AUC / best possible",
            f"{100 * ratio:.1f}%",
            help="Against the AUC of the true probability given the same characteristics.",
            border=True,
        )
    cols[2].metric(
        "Brier score",
        f"{model_row['brier']:.4f}",
        help="Mean squared error of the probabilities (lower is better).",
        border=True,
    )
    cols[3].metric(
        "Calibration error",
        f"{model_row['ece']:.4f}",
        help="Expected calibration error: how far predicted chances are from observed rates.",
        border=True,
    )
    st.dataframe(
        overall.reset_index(names="predictor"),
        hide_index=True,
        column_config={
            "auc": st.column_config.NumberColumn("AUC", format="%.4f"),
            "brier": st.column_config.NumberColumn("Brier", format="%.5f"),
            "ece": st.column_config.NumberColumn("ECE", format="%.4f"),
            "mean_predicted": st.column_config.NumberColumn("Mean predicted", format="%.4f"),
            "observed_rate": st.column_config.NumberColumn("Observed", format="%.4f"),
            "n": st.column_config.NumberColumn("People", format="%d"),
        },
    )

    st.subheader("Calibration by group")
    by = st.selectbox(
        "Group by",
        list(CHARACTERISTICS),
        format_func=CHARACTERISTICS.get,
        key="distance_by",
        help="A tariff priced on the model is fair to a group only if the model is calibrated "
        "within it.",
    )
    st.plotly_chart(plots.calibration_figure(cache.calibration_by(by)), key="distance_calibration")
    groups = evaluation.groups
    st.dataframe(
        groups,
        hide_index=True,
        column_config={
            "predictive_ratio": st.column_config.NumberColumn(
                "Predicted / observed", format="%.3f"
            ),
            "oracle_ratio": st.column_config.NumberColumn("Oracle ratio", format="%.3f"),
            "observed_rate": st.column_config.NumberColumn("Observed", format="%.4f"),
            "mean_predicted": st.column_config.NumberColumn("Predicted", format="%.4f"),
        },
    )

    st.subheader("What the model relies on")
    importance = cache.shap_importance()
    if importance is None:
        st.info("SHAP explanations are not available in this installation yet.")
    else:
        st.plotly_chart(plots.importance_figure(importance), key="distance_importance")

    st.subheader("Why this person?")
    test = cache.evaluation_caseload()
    st.caption(
        "Pick a (synthetic) person to see the five characteristics that move their "
        "predicted chance most, in percentage points."
    )
    row = st.number_input(
        "Person (row of the held-out caseload)",
        min_value=1,
        max_value=min(len(test), cache.EXPLAINED_PEOPLE),
        value=1,
        step=1,
        key="distance_person",
    )
    sentences = cache.person_explanation(int(row) - 1)
    if sentences is None:
        st.info("Per-person explanations are not available in this installation yet.")
    else:
        person = test.iloc[int(row) - 1]
        st.caption(
            f"Person {int(row)}: {person.get('payment_group', '')}, age {person.get('age', '')}, "
            f"{person.get('months_unemployed', '')} months out of work."
        )
        st.markdown(f"**{sentences[0]}**")
        st.markdown("\n".join(f"- {s}" for s in sentences[1:]))

    card = cache.model_card()
    if card is not None:
        with st.expander("Model card (JSON)"):
            st.json(card, expanded=False)

with ui.guard("The fairness report"):
    if cache.model_available():
        st.subheader("Fairness across groups")
        fairness = cache.fairness_table()
        if fairness is None:
            st.info("The fairness report is not available in this installation yet.")
        else:
            st.caption(
                "Each metric with its bootstrap 95% interval; groups too small to judge show "
                "'insufficient data'."
            )
            st.dataframe(fairness, hide_index=True, key="distance_fairness")
