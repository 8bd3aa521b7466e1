"""SHAP explanations: exact sums, plain sentences, group differences with intervals."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.distance import (
    DistanceModel,
    describe_contribution,
    explain,
    shap_group_differences,
)


@pytest.fixture(scope="module")
def setting() -> tuple[DistanceModel, pd.DataFrame]:
    data = make_caseload(4_000, rng=21, providers=2)
    model = DistanceModel(n_estimators=80, rng=2).fit(data, "job_outcome")
    return model, data.iloc[:600].reset_index(drop=True)


def test_shap_adds_up(setting) -> None:
    model, people = setting
    e = explain(model, people)
    p = model.predict_proba(people)[:, 1]
    # log-odds: base + sum of SHAP = the model's raw score (trees, linear start, shift)
    np.testing.assert_allclose(
        e.base_logodds + e.shap_logodds.sum(axis=1), model.decision_function(people),
        atol=1e-9,
    )
    # probability scale: base probability + points = the calibrated probability
    np.testing.assert_allclose(e.base_probability + e.shap_points.sum(axis=1), p, atol=1e-9)
    np.testing.assert_allclose(e.probability, p)
    # the trees' part equals LightGBM's own TreeSHAP (pred_contrib)
    Xm = model.features_.encode(people)
    contrib = model.booster_.predict(Xm, pred_contrib=True)[:, :-1]
    extra = model.linear_.terms(Xm) - np.asarray(model.linear_.term_means)
    tree_part = e.shap_logodds - extra
    j = model.features_.names.index("payment_group")
    keep = [i for i in range(len(model.features_.names)) if i != j]
    np.testing.assert_allclose(tree_part[:, keep], contrib[:, keep], atol=1e-9)


def test_importance_and_sentences(setting) -> None:
    model, people = setting
    e = explain(model, people)
    imp = e.global_importance()
    assert list(imp.columns) == ["feature", "importance", "importance_logodds"]
    assert (np.diff(imp["importance"]) <= 1e-12).all()
    assert imp.iloc[0]["feature"] in {"payment_group", "disability", "qualification"}
    top = e.top_contributions(0, k=5)
    assert len(top) == 5
    assert (np.diff(np.abs(top["points"])) <= 1e-12).all()
    lines = e.sentences(0)
    assert lines[0].startswith("Predicted chance of a job outcome: ")
    pattern = re.compile(r".+ (raises|lowers) the chance by \d+(\.\d)? points?\.$|.+ hardly")
    assert all(pattern.match(s) for s in lines[1:]), lines
    assert "| feature |" in e.summary()
    tidy = e.to_frame()
    assert len(tidy) == len(people) * len(model.features_.names)


def test_describe_contribution() -> None:
    assert describe_contribution("months_unemployed", 12, -0.04) == (
        "12 months out of work lowers the chance by 4 points."
    )
    assert describe_contribution("age", 55, 0.01) == "Age 55 raises the chance by 1 point."
    assert describe_contribution("payment_group", "PG7", -0.123).startswith(
        "Payment group PG7 (ESA ex-IB) lowers the chance by 12.3 points"
    )
    assert "not recorded" in describe_contribution("qualification", None, -0.02)
    assert describe_contribution("homeless", True, 0.0001).endswith("hardly changes the chance.")
    assert describe_contribution("educ", 12, 0.02) == "educ = 12 raises the chance by 2 points."


def test_group_differences(setting) -> None:
    model, people = setting
    e = explain(model, people)
    labels = np.where(people["disability"], "disabled", "not disabled")
    labels[:10] = "tiny"
    d = shap_group_differences(e, labels, reference="not disabled", n_boot=100, rng=3)
    dis = d[(d.group == "disabled") & (d.feature == "disability")].iloc[0]
    assert dis.difference < 0 and dis.upper < 0  # disability lowers the chance, clearly
    ok = d[d.status == "ok"]
    assert ((ok.lower <= ok.difference + 1e-12) & (ok.difference <= ok.upper + 1e-12)).all()
    tiny = d[d.group == "tiny"]
    assert (tiny.status == "insufficient data").all() and tiny.difference.isna().all()
    again = shap_group_differences(e, labels, reference="not disabled", n_boot=100, rng=3)
    pd.testing.assert_frame_equal(d, again)
    with pytest.raises(ValueError):
        shap_group_differences(e, labels[:-1])
