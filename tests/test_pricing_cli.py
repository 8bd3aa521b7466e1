"""``pbr-fairness optimise --pricing-features lawful|all`` through the real entry point.

The tests call the entry point of ``pbr-fairness`` and ``python -m pbr_fairness``,
:func:`pbr_fairness.cli.main`, in this process (a new process costs seconds of imports on the
shared machine; ``tests/test_tariffs_cli.py`` runs ``optimise`` in one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.cli import main
from pbr_fairness.distance import DistanceModel


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys):
    def _run(*args: str) -> Run:
        code = main(list(args))
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return _run


@pytest.fixture(scope="module")
def caseload_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cl") / "caseload.csv"
    make_caseload(1500, rng=12, providers=2).to_csv(path, index=False)
    return path


def _args(caseload_csv: Path, tmp_path: Path, *extra: str) -> list[str]:
    return [
        "optimise",
        "--caseload",
        str(caseload_csv),
        "--basis",
        "distance_band",
        "--no-frontier",
        "--no-reference",
        "--structure",
        "baseline",
        "--out",
        str(tmp_path / "tariff.yaml"),
        "--json",
        str(tmp_path / "result.json"),
        "--quiet",
        *extra,
    ]


def test_default_prices_lawfully_without_a_warning(run, caseload_csv: Path, tmp_path: Path) -> None:
    res = run(*_args(caseload_csv, tmp_path))
    assert res.returncode == 0, res.stderr
    assert "Equality Act" not in res.stderr
    doc = json.loads((tmp_path / "result.json").read_text())
    assert doc["provenance"]["pricing_features"] == "lawful"


def test_opt_in_prints_the_warning(run, caseload_csv: Path, tmp_path: Path) -> None:
    res = run(*_args(caseload_csv, tmp_path, "--pricing-features", "all"))
    assert res.returncode == 0, res.stderr
    assert "warning: tariffs priced on the full model" in res.stderr
    assert "Equality Act 2010, s.13" in res.stderr
    assert "Equality Act" not in res.stdout
    doc = json.loads((tmp_path / "result.json").read_text())
    assert doc["provenance"]["pricing_features"] == "all"


def test_bad_value_exits_2_without_a_traceback(run, caseload_csv: Path, tmp_path: Path) -> None:
    res = run(*_args(caseload_csv, tmp_path, "--pricing-features", "everything"))
    assert res.returncode == 2
    assert "--pricing-features" in res.stderr and "lawful or all" in res.stderr
    assert "Traceback" not in res.stderr


def test_a_model_with_sex_needs_the_opt_in(run, caseload_csv: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "with_sex"
    cl = make_caseload(800, rng=3, providers=1)
    DistanceModel(["age", "sex"], n_estimators=10, rng=0).fit(cl, "job_outcome").save(model_dir)
    res = run(*_args(caseload_csv, tmp_path, "--model", str(model_dir)))
    assert res.returncode == 2
    assert "reads sex" in res.stderr and "--pricing-features all" in res.stderr
    assert "Traceback" not in res.stderr
