"""Distance model: how good the shipped model is, in words, what it uses, and whom it fails."""

from __future__ import annotations

import cache
import pandas as pd
import state
import streamlit as st
import ui

from pbr_fairness import plots
from pbr_fairness.labels import format_table, format_value
from pbr_fairness.recipes import distance as recipe

st.title("Distance model")
st.markdown(
    "Each person's **distance from employment** is one minus the model's predicted chance of a "
    "job outcome, from what is known at referral only (never outcomes, hours or provider). "
    "Fairer tariffs and audits rest on it, so it must be accurate, calibrated within every "
    "group, explained, and open about its errors."
)
st.caption(
    "Scores below are on held-out synthetic people (a seed the model was not trained on), "
    "where the truth is known: the *best possible* (the oracle) is the best any model of these "
    "characteristics could do. " + ui.glossary_link("Oracle")
)


def _metric(col, key: str, value: float, text: str, good: str) -> None:
    col.metric(ui.column_heading(key).split(" (")[0], text, border=True,
               help=ui.help_text(key, good))


with ui.guard("The distance-model page"):
    scn = state.current()
    if not cache.data().model_available():
        st.info("The default model is not prepared yet: run `make prepare` to train it.")
        st.stop()
    model = cache.model()
    evaluation = cache.model_evaluation()
    overall = evaluation.overall
    row = overall.loc["model"]
    oracle_auc = overall.loc["oracle", "auc"] if "oracle" in overall.index else float("nan")

    st.subheader("How good is the model")
    checks = recipe.accuracy_checks(evaluation)
    failed = checks[~checks["passed"]]
    passed_n, n = int(checks["passed"].sum()), len(checks)
    if len(failed):
        st.warning(
            f"The model passes {passed_n} of its {n} accuracy checks on these people. It misses: "
            + "; ".join(f"{c.lower()} ({d}: {format_value('value', v)}, target {t})"
                        for c, d, v, t in failed[["check", "detail", "value", "target"]]
                        .itertuples(index=False))
            + ".",
            icon=":material/warning:",
        )
    else:
        st.success(f"The model passes all {n} of its accuracy checks on these people.",
                   icon=":material/check:")
    card_checks = (cache.data().model_card() or {}).get("accuracy", {}).get("targets") or []
    if card_checks:
        missed = [str(c.get("criterion")) for c in card_checks if not c.get("passed", True)]
        test_n = (cache.data().model_card() or {}).get("metrics", {}).get("n_test")
        where = f"the {test_n:,} test people of its model card" if test_n else "its model card"
        st.caption(
            f"On {where}, written when it was trained, it passed "
            f"{len(card_checks) - len(missed)} of {len(card_checks)} checks"
            + (f"; it missed: {'; '.join(missed)}." if missed else ".")
        )
    cols = st.columns(4)
    _metric(cols[0], "auc", row["auc"], f"{row['auc']:.3f}",
            f"The best possible here is {oracle_auc:.3f}.")
    if pd.notna(oracle_auc):
        cols[1].metric(
            "AUC / best possible", format_value("parked_share", row["auc"] / oracle_auc),
            border=True,
            help="The model's AUC as a share of the best possible from the same "
            "characteristics. Good: 98% or more. " + ui.glossary_link("Oracle"),
        )
    _metric(cols[2], "brier", row["brier"], f"{row['brier']:.4f}",
            "Lower is better; compare with the best possible in the table.")
    _metric(cols[3], "ece", row["ece"], format_value("ece", row["ece"]),
            "Good: under 1%.")
    st.markdown(
        f"In words: shown two people of whom one found work, the model ranks that one higher "
        f"{format_value('parked_share', row['auc'])} of the time (guessing: 50%; the best "
        f"possible from these characteristics: {format_value('parked_share', oracle_auc)}). "
        f"Its predicted chances are, on average, {format_value('ece', row['ece'])} away from "
        "the rates observed."
    )
    with st.expander("Every accuracy check and predictor"):
        ui.table(pd.DataFrame({
            "Check": checks["check"],
            "Value": [format_value("value", v) for v in checks["value"]],
            "Target": checks["target"].astype(str),
            "Passed": ["yes" if p else "no" for p in checks["passed"]],
        }))
        ui.table(format_table(recipe.accuracy_table(evaluation),
                              columns=["predictor", "auc", "brier", "ece", "mean_predicted",
                                       "observed_rate", "n"]))

    st.subheader("Calibration within groups")
    st.markdown(
        "A tariff priced on the model pays a group fairly only if the model is calibrated "
        "within it: **predicted / observed** near 1. Each ratio is shown with its 95% interval "
        "from outcome sampling; groups are checked when they hold enough people. "
        + ui.glossary_link("Predictive ratio")
    )
    failing = recipe.failing_groups(evaluation)
    if failing:
        st.warning(
            f"The model is not calibrated in {len(failing)} checked group"
            f"{'s' if len(failing) != 1 else ''}: " + "; ".join(failing) + ". A tariff priced "
            "on it would over- or under-pay these groups.",
            icon=":material/warning:",
        )
    else:
        st.success("The model is calibrated within every checked group.",
                   icon=":material/check:")
    groups = recipe.group_calibration(evaluation)
    shown = pd.DataFrame({
        "Characteristic": groups["characteristic"].str.replace("_", " ").str.capitalize(),
        "Group": groups["group"].astype(str),
        "People": [format_value("n", v) for v in groups["n"]],
        "Observed": [format_value("observed_rate", v) for v in groups["observed_rate"]],
        "Predicted": [format_value("mean_predicted", v) for v in groups["mean_predicted"]],
        "Predicted / observed (95% interval)": [
            f"{v:.2f} ({lo:.2f} to {hi:.2f})"
            for v, lo, hi in zip(groups["predictive_ratio"], groups["ratio_low"],
                                 groups["ratio_high"], strict=True)
        ],
        "Checked": ["yes" if c else "too few people" for c in groups["checked"]],
        "Interval includes 1": ["yes" if w else "no" for w in groups["within_target"]],
    })
    checked = groups["checked"].astype(bool).to_numpy()
    ui.table(shown[checked], caption="Groups large enough to be checked.")
    with st.expander(f"Every group ({len(shown)}), including those too small to check"):
        ui.table(shown)
    by_options = list(recipe.CHARACTERISTICS)
    state.seed("distance_by", scn.distance.by)
    by = st.selectbox(
        "Calibration curve by", by_options, format_func=recipe.CHARACTERISTICS.get,
        key="distance_by",
    )
    st.plotly_chart(plots.calibration_figure(cache.calibration_by(by)), key="distance_calibration")

    st.subheader("What the model uses")
    inputs = recipe.model_inputs(model)
    protected = [i for i, p in zip(inputs["input"], inputs["protected"], strict=True) if p]
    st.markdown(
        f"The model predicts from {len(inputs)} characteristics known at referral. "
        + (f"**{len(protected)} of them are protected characteristics: "
           f"{', '.join(protected)}.** " if protected else "")
        + "Using them makes predictions more accurate for each group; pricing a contract on "
        "them may be direct discrimination (Equality Act 2010, s.13), so fairer tariffs leave "
        "sex and ethnicity out of the price by default. " + ui.glossary_link(
            "Protected characteristic")
    )
    ui.table(pd.DataFrame({
        "Input": inputs["input"],
        "Protected characteristic": ["yes" if p else "" for p in inputs["protected"]],
        "What it is": inputs["description"],
    }))
    importance = cache.explanation().global_importance()
    st.plotly_chart(plots.importance_figure(importance), key="distance_importance")

    st.subheader("Why this person?")
    test = cache.evaluation_caseload()
    st.caption(
        "Pick a (synthetic) person to see the five characteristics that move their "
        "predicted chance most, in percentage points."
    )
    state.seed("distance_person", min(scn.distance.person, cache.EXPLAINED_PEOPLE))
    person = st.number_input(
        "Person (row of the held-out caseload)", min_value=1,
        max_value=min(len(test), cache.EXPLAINED_PEOPLE), step=1, key="distance_person",
    )
    state.update(scn.model_copy(update={"distance": scn.distance.model_copy(
        update={"by": by, "person": int(person)})}))
    sentences = list(cache.explanation().sentences(int(person) - 1, 5))
    p = test.iloc[int(person) - 1]
    st.caption(
        f"Person {int(person)}: {ui.group_label(str(p.get('payment_group', '')))}, age "
        f"{p.get('age', '')}, {p.get('months_unemployed', '')} months out of work."
    )
    st.markdown(f"**{sentences[0]}**")
    st.markdown("\n".join(f"- {s}" for s in sentences[1:]))

    card = cache.data().model_card()
    if card is not None:
        with st.expander("Model card (JSON)"):
            st.json(card, expanded=False)

with ui.guard("The fairness report"):
    if cache.data().model_available():
        st.subheader("Fairness across groups")
        st.caption(
            "Each metric with its bootstrap 95% interval; groups too small to judge show "
            "'insufficient data'. Share in the furthest band: the share of the group the model "
            "places among the fifth furthest from work."
        )
        fairness = cache.fairness_table().rename(columns={
            "characteristic": "Characteristic", "group": "Group", "n": "People", "auc": "AUC",
            "brier": "Brier score", "predictive_ratio": "Predicted / observed",
            "furthest_band_share": "Share in the furthest band",
        })
        ui.table(fairness.astype(str))
