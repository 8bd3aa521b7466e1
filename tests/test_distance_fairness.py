"""Fairness report: MetricFrame groups and intersections, bootstrap intervals, small groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.distance import INSUFFICIENT, DistanceModel, fairness_report


@pytest.fixture(scope="module")
def setting() -> tuple[DistanceModel, pd.DataFrame]:
    train = make_caseload(4_000, rng=31, providers=2)
    test = make_caseload(3_000, rng=32, providers=2)
    return DistanceModel(n_estimators=40, rng=1).fit(train, "job_outcome"), test


@pytest.fixture(scope="module")
def report(setting):
    model, test = setting
    return fairness_report(model, test, n_boot=60, min_group_size=150, rng=5)


def test_groups_and_intersections(report, setting) -> None:
    t = report.to_frame()
    assert {"characteristic", "group", "n", "metric", "value", "lower", "upper", "status"} == set(
        t.columns
    )
    singles = {"sex", "age_band", "disability", "ethnicity"}
    assert singles <= set(t.characteristic)
    assert "sex x disability" in set(t.characteristic)
    assert sum(" x " in c for c in set(t.characteristic)) == 6
    assert set(t.metric) == {"auc", "brier", "predictive_ratio", "furthest_band_share"}
    # group sizes add up to everyone for each single characteristic
    n_by = t[t.metric == "auc"].groupby("characteristic")["n"].sum()
    for c in singles:
        assert n_by[c] == len(setting[1])


def test_values_match_direct_computation(report, setting) -> None:
    model, test = setting
    p = model.predict_proba(test)[:, 1]
    y = test["job_outcome"].to_numpy()
    m = (test["sex"] == "F").to_numpy()
    t = report.to_frame()
    row = t[(t.characteristic == "sex") & (t.group == "F")].set_index("metric")
    assert row.loc["auc", "value"] == pytest.approx(roc_auc_score(y[m], p[m]))
    assert row.loc["predictive_ratio", "value"] == pytest.approx(p[m].sum() / y[m].sum())
    assert row.loc["brier", "value"] == pytest.approx(np.mean((p[m] - y[m]) ** 2))
    cut = 1 - model.band_edges(5)[-1]
    assert row.loc["furthest_band_share", "value"] == pytest.approx(np.mean(p[m] < cut))
    assert report.overall["furthest_band_share"] == pytest.approx(np.mean(p < cut))


def test_intervals_and_small_groups(report) -> None:
    t = report.to_frame()
    ok = t[t.status == "ok"]
    assert len(ok) > 0
    assert ((ok.lower <= ok.value + 1e-12) & (ok.value <= ok.upper + 1e-12)).all()
    assert (ok.upper - ok.lower > 0).all()
    small = t[t.n < 150]
    assert len(small) > 0  # sex X and many intersections are small
    assert (small.status == INSUFFICIENT).all() and small.value.isna().all()
    wide = report.display_table()
    assert (wide.loc[wide.n < 150, "auc"] == INSUFFICIENT).all()
    text = report.summary()
    assert INSUFFICIENT in text and "| sex | F |" in text


def test_seeded(setting, report) -> None:
    model, test = setting
    again = fairness_report(model, test, n_boot=60, min_group_size=150, rng=5)
    pd.testing.assert_frame_equal(again.to_frame(), report.to_frame())
    other = fairness_report(model, test, n_boot=60, min_group_size=150, rng=6,
                            intersections=False)
    assert not any(" x " in c for c in set(other.to_frame().characteristic))


def test_probabilities_instead_of_model(setting) -> None:
    _, test = setting
    r = fairness_report(None, test, probability=test["true_p_observable"], n_boot=20, rng=0,
                        intersections=False)
    assert r.overall["auc"] == pytest.approx(
        roc_auc_score(test["job_outcome"], test["true_p_observable"])
    )
