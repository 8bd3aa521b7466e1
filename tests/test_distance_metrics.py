"""Metrics of the distance model against slow, obviously correct references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from pbr_fairness.distance.bands import assign_bands, band_edges_from_quantiles
from pbr_fairness.distance.metrics import (
    bootstrap_metrics,
    brier_score,
    calibration_table,
    expected_calibration_error,
    predictive_ratio,
    roc_auc,
)


def _slow_auc(y, p, w):
    """Weighted Mann-Whitney by a double loop."""
    num = den = 0.0
    for i in range(len(y)):
        for j in range(len(y)):
            if y[i] == 1 and y[j] == 0:
                den += w[i] * w[j]
                num += w[i] * w[j] * (1.0 if p[i] > p[j] else 0.5 if p[i] == p[j] else 0.0)
    return num / den if den else np.nan


cases = st.integers(2, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n),
        st.lists(st.sampled_from([0.1, 0.2, 0.35, 0.5, 0.8]), min_size=n, max_size=n),
        st.lists(st.integers(0, 3), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(cases)
def test_weighted_bootstrap_kernel_matches_loops(case) -> None:
    y, p, w = (np.asarray(v, dtype=float) for v in case)
    flag = p < 0.3
    out = bootstrap_metrics(y, p, flag, weights=w[None, :])[0]
    ref_auc = _slow_auc(y, p, w)
    if np.isnan(ref_auc):
        assert np.isnan(out[0])
    else:
        assert out[0] == pytest.approx(ref_auc)
    if w.sum() > 0:
        assert out[1] == pytest.approx(np.sum(w * (p - y) ** 2) / w.sum())
        assert out[3] == pytest.approx(np.sum(w * flag) / w.sum())
    if np.sum(w * y) > 0:
        assert out[2] == pytest.approx(np.sum(w * p) / np.sum(w * y))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_auc_matches_sklearn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.random(200) < 0.3
    if y.all() or not y.any():
        return
    p = np.round(rng.random(200), 1)
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p))


def test_bootstrap_is_seeded_and_sensible() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(2_000) < 0.3).astype(float)
    p = np.clip(0.3 + 0.2 * (y - 0.3) + rng.normal(0, 0.1, 2_000), 0.01, 0.99)
    a = bootstrap_metrics(y, p, n_boot=300, rng=4)
    b = bootstrap_metrics(y, p, n_boot=300, rng=4)
    np.testing.assert_array_equal(a, b)
    lo, hi = np.percentile(a[:, 0], [2.5, 97.5])
    assert lo < roc_auc(y, p) < hi
    assert 0.005 < a[:, 0].std() < 0.05
    small_blocks = bootstrap_metrics(y, p, n_boot=300, rng=4, max_cells=10_000)
    np.testing.assert_allclose(small_blocks, a)


def test_simple_metrics() -> None:
    y = np.array([0, 1, 0, 1])
    assert brier_score(y, [0.5] * 4) == 0.25
    assert predictive_ratio(y, [0.25, 0.25, 0.25, 0.25]) == 0.5
    assert np.isnan(predictive_ratio([0, 0], [0.1, 0.2]))
    assert expected_calibration_error(y, [0.5] * 4, n_bins=2) == 0.0
    # a badly calibrated prediction has a large error, uniform bins too
    assert expected_calibration_error(y, [0.9] * 4) == pytest.approx(0.4)
    assert expected_calibration_error(y, [0.9] * 4, strategy="uniform") == pytest.approx(0.4)
    with pytest.raises(ValueError):
        expected_calibration_error(y, [0.5] * 4, strategy="magic")


def test_calibration_table() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(1_000)
    y = rng.random(1_000) < p
    t = calibration_table(y, p, groups=np.where(p < 0.5, "a", "b"), n_bins=5)
    assert set(t.columns) == {"group", "bin", "n", "predicted", "observed"}
    assert t.groupby("group")["n"].sum().sum() == 1_000
    assert (t["predicted"] - t["observed"]).abs().max() < 0.15


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=50), st.integers(1, 12))
def test_bands_partition_by_quantiles(values: list[float], k: int) -> None:
    q = np.quantile(np.asarray(values), np.linspace(0, 1, 1001))
    edges = band_edges_from_quantiles(q, k)
    bands = assign_bands(values, edges)
    assert bands.min() >= 1 and bands.max() <= k
    order = np.argsort(values)
    assert (np.diff(bands[order]) <= 0).all()  # band 1 = the largest distances
