"""Bands: one direction (band 1 = furthest from work), each labelled with its range of chance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pbr_fairness.distance import NAMED_BANDS, band_label, band_table, named_bands
from pbr_fairness.distance.bands import assign_bands, band_edges_from_quantiles


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=2, max_size=60), st.integers(1, 12))
def test_table_ranges_hold_the_people_of_each_band(values: list[float], k: int) -> None:
    d = np.asarray(values)
    edges = band_edges_from_quantiles(np.quantile(d, np.linspace(0, 1, 1001)), k)
    bands = assign_bands(d, edges)
    table = band_table(edges).set_index("band")
    assert list(table.index) == list(range(1, k + 1))
    lo = table.loc[bands, "probability_from"].to_numpy()
    hi = table.loc[bands, "probability_to"].to_numpy()
    p = 1 - d
    assert (lo <= p + 1e-12).all()
    assert ((p < hi) | (hi == 1.0) | np.isclose(p, hi)).all()
    assert (np.diff(table["probability_to"].to_numpy()) >= 0).all()  # band 1 lowest chance
    assert (table["distance_to"] >= table["distance_from"]).all()


def test_labels() -> None:
    edges = [0.5570, 0.6025, 0.6429, 0.6796, 0.7161, 0.7552, 0.7960, 0.8381, 0.8850]
    labels = list(band_table(edges)["label"])
    assert labels[0] == "Band 1 (furthest from work): chance below 12%"
    assert labels[1] == "Band 2: chance 12% to 16%"
    assert labels[-1] == "Band 10 (closest to work): chance 44% or more"
    assert labels == [band_label(b, edges) for b in range(1, 11)]
    # cut-points too close for whole per cent get a decimal
    assert band_label(1, [0.5, 0.502]) == "Band 1 (furthest from work): chance below 49.8%"
    assert band_label(2, [0.5, 0.502]) == "Band 2: chance 49.8% to 50.0%"
    assert band_label(1, []) == "Band 1: any chance"
    assert band_label(3, [0.6, 0.8], name="mine") == "Band 3 (mine): chance 40% or more"
    named = band_table([0.6, 0.7, 0.8, 0.9], NAMED_BANDS)
    assert named["label"][0] == "Band 1 (furthest from work): chance below 10%"
    assert named["label"][2] == "Band 3 (middle distance): chance 20% to 30%"
    assert list(named_bands([1, 2, 3, 4, 5])) == list(NAMED_BANDS)
    assert NAMED_BANDS[0] == "furthest from work"
    with pytest.raises(ValueError, match=r"1\.\.3"):
        band_label(4, [0.6, 0.8])
    with pytest.raises(ValueError, match="names"):
        band_table([0.5], ["only one"])
