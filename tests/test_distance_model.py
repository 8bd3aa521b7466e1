"""DistanceModel: estimator API, inputs it may use, missing values, storage, bands, accuracy."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.caseload.schema import FEATURE_COLUMNS, TRUTH_COLUMNS
from pbr_fairness.distance import (
    NAMED_BANDS,
    Calibrator,
    DistanceModel,
    evaluate_distance_model,
    fit_calibrator,
    predict_probability,
)
from pbr_fairness.distance.evaluation import AccuracyTargets
from pbr_fairness.errors import InputError

SMALL = {"n_estimators": 60, "rng": 3}


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return make_caseload(3_000, rng=11, providers=2)


@pytest.fixture(scope="module")
def small_model(small: pd.DataFrame) -> DistanceModel:
    return DistanceModel(**SMALL).fit(small, small["job_outcome"])


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_caseload(40_000, rng=101, providers=2), make_caseload(40_000, rng=202, providers=2)


@pytest.fixture(scope="module")
def big_model(split: tuple[pd.DataFrame, pd.DataFrame]) -> DistanceModel:
    train, _ = split
    return DistanceModel(rng=7).fit(train, "job_outcome")


# --------------------------------------------------------------------------- estimator API
def test_estimator_api(small: pd.DataFrame, small_model: DistanceModel) -> None:
    fresh = DistanceModel(n_estimators=10, calibration="isotonic")
    assert clone(fresh).get_params()["calibration"] == "isotonic"
    with pytest.raises(NotFittedError):
        fresh.predict_proba(small)
    proba = small_model.predict_proba(small)
    assert proba.shape == (len(small), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert ((proba > 0) & (proba < 1)).all()
    assert list(small_model.classes_) == [0, 1]
    assert small_model.n_features_in_ == len(small_model.feature_names_in_)
    np.testing.assert_allclose(small_model.predict_distance(small), proba[:, 0])
    np.testing.assert_allclose(predict_probability(small_model, small), proba[:, 1])
    assert set(small_model.predict(small)) <= {0, 1}


def test_default_features_are_referral_characteristics(small_model: DistanceModel) -> None:
    names = list(small_model.feature_names_in_)
    assert names == ["payment_group", *FEATURE_COLUMNS]
    assert not set(names) & {*TRUTH_COLUMNS, "support_hours", "provider_id", "job_outcome"}


def test_only_features_are_used(small: pd.DataFrame, small_model: DistanceModel) -> None:
    rng = np.random.default_rng(0)
    shuffled = small.copy()
    for col in [*TRUTH_COLUMNS, "job_outcome", "months_in_work_after_outcome",
                "support_hours", "provider_id", "person_id"]:
        shuffled[col] = rng.permutation(shuffled[col].to_numpy())
    before = small_model.predict_proba(small)[:, 1]
    np.testing.assert_array_equal(small_model.predict_proba(shuffled)[:, 1], before)
    # fitting on a table whose non-features are shuffled gives the same model
    refit = DistanceModel(**SMALL).fit(shuffled, small["job_outcome"].to_numpy())
    np.testing.assert_array_equal(refit.predict_proba(small)[:, 1], before)
    # but the features matter
    moved = small.copy()
    moved["months_unemployed"] = rng.permutation(moved["months_unemployed"].to_numpy())
    assert not np.array_equal(small_model.predict_proba(moved)[:, 1], before)


@pytest.mark.parametrize("column", ["true_p0", "support_hours", "provider_id", "job_outcome"])
def test_forbidden_features_rejected(small: pd.DataFrame, column: str) -> None:
    with pytest.raises(InputError, match=column):
        DistanceModel(features=["age", column], n_estimators=5).fit(small, "job_outcome")


def test_bad_targets(small: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="not 0/1"):
        DistanceModel(n_estimators=5).fit(small, small["age"])
    with pytest.raises(InputError, match="only one class"):
        DistanceModel(n_estimators=5).fit(small, np.zeros(len(small)))
    y = small["job_outcome"].astype(float).to_numpy().copy()
    y[5] = np.nan
    with pytest.raises(InputError, match="missing"):
        DistanceModel(n_estimators=5).fit(small, y)
    with pytest.raises(InputError, match="calibration"):
        DistanceModel(calibration="magic").fit(small, "job_outcome")


def test_missing_and_unseen_values(small: pd.DataFrame, small_model: DistanceModel) -> None:
    holes = small.copy()
    holes["months_unemployed"] = holes["months_unemployed"].astype(float)
    holes.loc[::3, "months_unemployed"] = np.nan
    holes["qualification"] = holes["qualification"].astype(object)
    holes.loc[::4, "qualification"] = None
    holes["region"] = holes["region"].astype(object)
    holes.loc[::5, "region"] = "Atlantis"  # unseen: treated as missing
    p = small_model.predict_proba(holes)[:, 1]
    assert np.isfinite(p).all()
    model = DistanceModel(**SMALL).fit(holes, small["job_outcome"])
    assert np.isfinite(model.predict_proba(holes)[:, 1]).all()
    # text input of the same values gives the same predictions as typed input
    text = small.astype(str)
    np.testing.assert_allclose(
        small_model.predict_proba(text)[:, 1], small_model.predict_proba(small)[:, 1]
    )
    with pytest.raises(InputError, match="months_unemployed"):
        small_model.predict_proba(small.drop(columns="months_unemployed"))


def test_save_load_round_trip(tmp_path, small: pd.DataFrame, small_model: DistanceModel) -> None:
    small_model.save(tmp_path / "m")
    names = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert names == ["calibration.json", "model.txt", "preprocessing.json"]
    for path in (tmp_path / "m").iterdir():
        path.read_text(encoding="utf-8")  # all text
    loaded = DistanceModel.load(tmp_path / "m")
    np.testing.assert_array_equal(
        loaded.predict_proba(small), small_model.predict_proba(small)
    )
    np.testing.assert_array_equal(loaded.predict_band(small), small_model.predict_band(small))


def test_loading_never_unpickles(tmp_path, small_model: DistanceModel) -> None:
    bad = tmp_path / "pickled"
    small_model.save(bad)
    for name in ("model.txt", "calibration.json", "preprocessing.json"):
        (bad / name).write_bytes(pickle.dumps({"evil": name}))
    with pytest.raises(InputError, match="pickles and other binary formats are never loaded"):
        DistanceModel.load(bad)
    # a pickled calibration beside a genuine model is refused too
    half = tmp_path / "half"
    small_model.save(half)
    (half / "calibration.json").write_bytes(pickle.dumps(small_model.calibrator_))
    with pytest.raises(InputError, match=r"calibration\.json"):
        DistanceModel.load(half)


def test_load_checks(tmp_path, small_model: DistanceModel) -> None:
    d = tmp_path / "m"
    small_model.save(d)
    text = (d / "model.txt").read_text(encoding="utf-8")
    (d / "model.txt").write_text(text.replace("leaf_value=", "leaf_value=1", 1), encoding="utf-8")
    with pytest.raises(InputError, match="checksum"):
        DistanceModel.load(d)
    (d / "model.txt").unlink()
    with pytest.raises(InputError, match=r"model\.txt is missing"):
        DistanceModel.load(d)
    with pytest.raises(InputError, match="does not exist"):
        DistanceModel.load(tmp_path / "nowhere")


def test_bands(small: pd.DataFrame, small_model: DistanceModel) -> None:
    d = small_model.predict_distance(small)
    bands = small_model.predict_band(small)
    assert bands.min() >= 1 and bands.max() <= 10
    order = np.argsort(d)
    assert (np.diff(bands[order]) <= 0).all()  # further from work, never a closer band
    assert d[bands == 1].min() >= d[bands == 10].max()  # band 1 = furthest from work
    shares = np.bincount(bands, minlength=11)[1:] / len(bands)
    assert np.abs(shares - 0.1).max() < 0.03  # deciles of the training distribution
    edges = small_model.band_edges(10)
    assert len(edges) == 9 and (np.diff(edges) >= 0).all()
    assert (d[bands == 1] > edges[-1]).all() and (d[bands == 10] <= edges[0]).all()
    names = small_model.predict_band_name(small)
    assert set(names) <= set(NAMED_BANDS)
    far = names == "furthest from work"
    assert d[far].min() >= d[~far].max() - 1e-12
    np.testing.assert_array_equal(far, small_model.predict_band(small, n_bands=5) == 1)
    table = small_model.named_band_table()
    np.testing.assert_allclose(table["probability_to"], 1 - table["distance_from"])
    assert list(table["band"]) == list(NAMED_BANDS)
    assert list(table["number"]) == [1, 2, 3, 4, 5]
    assert table["probability_to"].is_monotonic_increasing
    labels = small_model.band_labels(10)
    assert len(labels) == 10
    assert labels[0].startswith("Band 1 (furthest from work): chance below ")
    assert labels[-1].startswith("Band 10 (closest to work): chance ")
    assert labels[-1].endswith(" or more")
    p = 1 - d
    cut = 1 - edges[-1]  # the chance named in band 1's label
    assert labels[0].endswith(f"{cut:.0%}") or labels[0].endswith(f"{cut:.1%}") or labels[
        0
    ].endswith(f"{cut:.2%}")
    assert (p[bands == 1] < cut + 1e-12).all()


@pytest.mark.parametrize("method", ["isotonic", "platt", "none"])
def test_calibration_methods(small: pd.DataFrame, method: str) -> None:
    model = DistanceModel(n_estimators=30, calibration=method, rng=1).fit(small, "job_outcome")
    assert model.calibrator_.method == method
    cal = Calibrator.from_dict(model.calibrator_.to_dict())
    s = np.linspace(-4, 2, 50)
    np.testing.assert_array_equal(cal(s), model.calibrator_(s))
    p = model.predict_proba(small)[:, 1]
    assert abs(p.mean() - small["job_outcome"].mean()) < 0.02


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(-5, 5), min_size=5, max_size=60),
    st.integers(0, 2**31 - 1),
)
def test_isotonic_calibrator_is_monotone(scores: list[float], seed: int) -> None:
    s = np.asarray(scores)
    y = np.random.default_rng(seed).random(len(s)) < 1 / (1 + np.exp(-s))
    cal = fit_calibrator(s, y.astype(float), "isotonic")
    grid = np.linspace(-6, 6, 200)
    assert (np.diff(cal(grid)) >= -1e-12).all()
    assert ((cal(grid) > 0) & (cal(grid) < 1)).all()


def test_group_offsets_calibrate_payment_groups(small: pd.DataFrame) -> None:
    model = DistanceModel(**SMALL).fit(small, "job_outcome")
    p = model.predict_proba(small)[:, 1]
    frame = pd.DataFrame({"g": small["payment_group"].astype(str), "p": p,
                          "y": small["job_outcome"]})
    rates = frame.groupby("g").agg(p=("p", "mean"), y=("y", "mean"), n=("y", "size"),
                                   events=("y", "sum"))
    big = rates[rates.events >= 100]
    assert len(big) >= 2
    np.testing.assert_allclose(big.p, big.y, rtol=0.03)
    assert model.offset_feature_ == "payment_group"
    nooff = DistanceModel(offset=None, **SMALL).fit(small, "job_outcome")
    assert nooff.offset_feature_ is None and len(nooff.offsets_) == 1


def test_accuracy_against_the_truth(split, big_model: DistanceModel) -> None:
    """Issue 3 point 2 at a smaller scale (40,000 / 40,000), with tolerances for the size."""
    train, test = split
    ev = evaluate_distance_model(
        big_model, test, train=train, targets=AccuracyTargets(min_group_size=3_000)
    )
    m, o = ev.overall.loc["model"], ev.overall.loc["oracle"]
    assert m.auc >= 0.97 * o.auc
    assert m.brier <= 1.02 * o.brier
    assert m.ece <= o.ece + 0.01
    assert ev.overall.loc["full_truth", "auc"] > o.auc  # the truth with hours knows more
    assert "logistic_baseline" in ev.overall.index
    checked = ev.groups[ev.groups["checked"]]
    assert len(checked) >= 8
    assert checked["truth_ratio"].between(0.92, 1.08).all(), checked
    metrics = ev.metrics()
    assert {"auc", "brier", "ece", "oracle_auc"} <= set(metrics)
    assert "Predictive ratio" in ev.summary()
    tidy = ev.to_frame()
    assert {"table", "row", "metric", "value"} == set(tidy.columns)


def test_accuracy_check_can_fail(split) -> None:
    """A model of noise must fail the same checks."""
    train, test = split
    noise = train.copy()
    y = np.random.default_rng(5).random(len(noise)) < 0.27
    model = DistanceModel(n_estimators=20, rng=1).fit(noise, y.astype(int))
    ev = evaluate_distance_model(model, test, targets=AccuracyTargets(min_group_size=3_000))
    assert ev.overall.loc["model", "auc"] < 0.97 * ev.overall.loc["oracle", "auc"]
    assert not ev.passed
