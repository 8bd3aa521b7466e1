"""Fitted versus held out: the calibration never reads the held-out figures, which are reported.

The fitting code (pbr_fairness/caseload/calibration.py) may tune to the targets of
generator.yaml only; the held-out figures live in data/heldout.yaml and are computed by
pbr_fairness/simulation/heldout.py beside the published values, misses included.
"""

from __future__ import annotations

import ast
import builtins
import io
from pathlib import Path

import numpy as np
import pytest

import pbr_fairness.caseload.calibration as calibration
from pbr_fairness.caseload.calibration import calibrate
from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.simulation.heldout import heldout_figures, heldout_table

HELDOUT = "heldout.yaml"


def test_the_calibration_code_never_names_the_held_out_file():
    source = Path(calibration.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    strings = [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and id(n) not in docstrings
    ]
    assert not any(isinstance(s, str) and "heldout.yaml" in s for s in strings)
    imported = [
        n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
    ]
    assert not any("heldout" in m for m in imported)


def test_the_calibration_opens_no_held_out_file(monkeypatch):
    opened: list[str] = []
    real_open, real_read = builtins.open, Path.read_text

    def spy_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_read(self, *args, **kwargs):
        opened.append(str(self))
        return real_read(self, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(Path, "read_text", spy_read)
    monkeypatch.setattr(io, "open", spy_open)
    fit = calibrate(n=20_000, tol=1e-3)
    assert fit.spend_esa == pytest.approx(630.0, rel=1e-6)
    assert not any(HELDOUT in f for f in opened), opened


def test_the_held_out_figures_carry_their_sources():
    figures = heldout_figures()
    assert {"spend_per_esa_at_bid", "five_sustainment_share", "government_spend_per_esa",
            "esa_without_outcome", "no_support_pg2", "no_support_pg6", "deadweight_share",
            "provider_margin"} <= set(figures)
    for key, fig in figures.items():
        assert fig["source"] and fig["label"] and fig["model"], key


@pytest.fixture(scope="module")
def table():
    return heldout_table(n=20_000, seed=3).set_index("figure")


def test_the_held_out_table_reports_every_figure_honestly(table):
    assert set(table.columns) >= {"published", "model", "error", "within", "source"}
    assert table["model"].notna().all()
    # the no-support rates are what the caseload says (computed, not looked up)
    cl = make_caseload(20_000, rng=3, providers=4, observable=False)
    pg2 = cl.loc[cl.payment_group == "PG2", "true_p0"].mean()
    assert table.loc["no_support_pg2", "model"] == pytest.approx(pg2)
    # an error is model minus published; within says whether the figure is met
    row = table.loc["esa_without_outcome"]
    assert row["error"] == pytest.approx(row["model"] - row["published"])
    dw = table.loc["deadweight_share", "model"]
    assert table.loc["deadweight_share", "within"] == bool(0.75 <= dw <= 0.90)
    # spend at the bidders' expectations: the provider plans more when it expects more
    assert table.loc["spend_per_esa_at_bid", "model"] > 630.0 - 1e-6
    assert np.isfinite(table.loc["provider_margin", "model"])
