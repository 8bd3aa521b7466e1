"""Every user mistake found by attacking the commands: exit code 2 and a message, no traceback.

Each case of issue 15 (point 3) through the real entry function, :func:`pbr_fairness.cli.main`
(in process, as the CLI tests do; one case through ``python -m pbr_fairness``), and the Python
API's mistakes raising :class:`~pbr_fairness.errors.InputError`.
"""

from __future__ import annotations

import errno
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pbr_fairness.cli import main
from pbr_fairness.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *args: object) -> tuple[int | None, str]:
    try:
        code = main([str(a) for a in args])
    except BaseException as exc:
        out, err = capsys.readouterr()
        return None, f"{out}{err}{type(exc).__name__}: {exc}"
    out, err = capsys.readouterr()
    return code, out + err


def refused(capsys, *args: object, needle: str = "") -> str:
    code, text = run(capsys, *args)
    assert code == 2, text
    assert "Traceback" not in text and "np.float64(" not in text
    assert needle.lower() in text.lower(), text
    return text


@pytest.fixture(scope="module")
def caseload(tmp_path_factory) -> Path:
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.caseload.io import write_caseload

    path = tmp_path_factory.mktemp("mistakes") / "c.csv"
    frame = make_caseload(300, rng=2, providers=3)
    write_caseload(frame, path)
    return path


def test_audit_refuses_support_hours_of_1e308_and_validate_too(capsys, caseload, tmp_path):
    df = pd.read_csv(caseload)
    df.loc[3, "support_hours"] = 1e308
    bad = tmp_path / "hours.csv"
    df.to_csv(bad, index=False)
    refused(capsys, "audit", "--caseload", bad, "--json", tmp_path / "a.json",
            "--expected-column", "true_p_observable", needle="support_hours")
    text = refused(capsys, "validate", "--caseload", bad, needle="support_hours")
    assert "row 4" in text and "above" in text


@pytest.mark.parametrize("command", ["simulate", "optimise", "national", "synth", "audit",
                                     "train"])
def test_a_negative_seed_is_refused(capsys, caseload, tmp_path, command):
    args = {
        "simulate": ["--caseload", caseload, "--quiet"],
        "optimise": ["--caseload", caseload, "--out", tmp_path / "t.yaml", "--quiet"],
        "national": ["--n", 1000, "--no-progress"],
        "synth": ["--n", 10, "--out", tmp_path / "s.csv"],
        "audit": ["--caseload", caseload, "--json", tmp_path / "a.json"],
        "train": ["--data", caseload, "--out", tmp_path / "m"],
    }[command]
    refused(capsys, command, *args, "--seed", -1, needle="seed")


def test_audit_json_onto_a_full_disk_leaves_no_file(capsys, caseload, tmp_path, monkeypatch):
    from pbr_fairness import outputs

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outputs, "_write_temporary", full)
    out = tmp_path / "a.json"
    refused(capsys, "audit", "--caseload", caseload, "--json", out, "--expected-column",
            "true_p_observable", needle="No space left")
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_audit_json_onto_dev_full_through_the_real_entry_point(caseload, tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    proc = subprocess.run(
        [sys.executable, "-m", "pbr_fairness", "validate", "--caseload", str(caseload),
         "--json", "/dev/full"], capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "space" in proc.stderr.lower()


def test_train_out_an_existing_file_is_refused_before_training(capsys, caseload, tmp_path):
    existing = tmp_path / "model.txt"
    existing.write_text("keep me")
    refused(capsys, "train", "--data", caseload, "--out", existing, needle="--out")
    assert existing.read_text() == "keep me"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p.update(distance_quantiles=["a", "b"]),
        lambda p: p["features"].update(names="age"),
        lambda p: p["features"].update(kinds=[1, 2, 3]),
        lambda p: p.update(offsets="x"),
        lambda p: p["features"].pop("categories", None),
    ],
)
def test_a_tampered_preprocessing_json_is_refused(capsys, caseload, tmp_path, tamper):
    model = tmp_path / "model"
    shutil.copytree(ROOT / "models" / "default", model)
    pre = json.loads((model / "preprocessing.json").read_text())
    tamper(pre)
    (model / "preprocessing.json").write_text(json.dumps(pre))
    refused(capsys, "predict", "--data", caseload, "--out", tmp_path / "p.csv", "--model",
            model, needle="preprocessing.json")
    from pbr_fairness.distance import DistanceModel

    with pytest.raises(InputError):
        DistanceModel.load(model).predict_proba(pd.read_csv(caseload))


@pytest.mark.parametrize("kind", ["list", "struct"])
def test_parquet_nested_columns_are_refused_naming_the_column(capsys, tmp_path, kind):
    values = [[1, 2], [3]] if kind == "list" else [{"a": 1}, {"a": 2}]
    table = pa.table({"person_id": ["a", "b"], "payment_group": ["PG1", "PG2"],
                      "age": pa.array(values)})
    path = tmp_path / "nested.parquet"
    pq.write_table(table, path)
    refused(capsys, "validate", "--caseload", path, needle="age")


@pytest.mark.parametrize("address", ["not a url", "tcp://127.0.0.1:1"])
def test_sweep_with_a_bad_dask_scheduler_is_refused(capsys, tmp_path, address):
    spec = tmp_path / "s.yaml"
    spec.write_text("caseload: {n: 100}\nbreakdowns: [overall]\n")
    refused(capsys, "sweep", spec, "--out", tmp_path / "o.parquet", "--backend", "dask",
            "--scheduler", address, "--no-progress", needle="--scheduler")


def test_api_mistakes_raise_input_errors(caseload):
    from pbr_fairness.caseload.io import read_caseload
    from pbr_fairness.contracts import load_contract
    from pbr_fairness.simulation import simulate_contract
    from pbr_fairness.tariffs import optimise_tariff

    frame = read_caseload(caseload)
    base = load_contract("work_programme_2011")
    with pytest.raises(InputError, match=r"no rows|empty"):
        optimise_tariff(frame.iloc[:0], base, basis="payment_group")
    with pytest.raises(InputError, match=r"seed|rng"):
        simulate_contract(frame, base, rng=-1)
    with pytest.raises(InputError, match=r"seed|rng"):
        optimise_tariff(frame, base, basis="payment_group", rng=-1)
    # A mapping of settings is read as ProviderSettings (and checked); anything else is refused.
    with pytest.raises(InputError, match="cost_per_hour"):
        simulate_contract(frame, base, provider={"cost_per_hour": -20})  # type: ignore[arg-type]
    with pytest.raises(InputError, match="provider"):
        simulate_contract(frame, base, provider="fast")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="payment_groups"):
        read_caseload(caseload, payment_groups="PG1")  # type: ignore[arg-type]
    assert np.isfinite(simulate_contract(frame, base, rng=1).overall["government_spend"])


def test_the_target_is_never_a_feature(capsys, caseload, tmp_path):
    import json as _json

    out = tmp_path / "m"
    code, text = run(capsys, "train", "--data", caseload, "--target", "age", "--positive", 30,
                     "--out", out, "--n-boot", 10, "--json", tmp_path / "m.json")
    assert code in (0, 2), text
    if code == 0:  # trained without age: no leak, so nothing like a perfect AUC
        pre = _json.loads((out / "preprocessing.json").read_text())
        assert "age" not in pre["features"]["names"]
        assert _json.loads((tmp_path / "m.json").read_text())["auc"] < 0.99
    refused(capsys, "train", "--data", caseload, "--target", "age", "--positive", 30,
            "--features", "age,sex", "--out", tmp_path / "m2", needle="cannot also be a feature")


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1e308"])
def test_audit_minimal_hours_must_be_a_number_of_hours(capsys, caseload, tmp_path, value):
    refused(capsys, "audit", "--caseload", caseload, "--json", tmp_path / "a.json",
            "--expected-column", "true_p_observable", "--minimal-hours", value,
            needle="--minimal-hours")


def test_problem_counts_are_true_counts(capsys, tmp_path):
    n = 3000
    rows = "\n".join(f"C{i},PG1,{-i}" for i in range(n))
    path = tmp_path / "ages.csv"
    path.write_text("person_id,payment_group,age\n" + rows + "\n")
    code, text = run(capsys, "validate", "--caseload", path)
    assert code == 2 and f"{n:,} problems found" in text, text[:300]  # every age is below 16
    from pbr_fairness.caseload.io import read_caseload

    with pytest.raises(InputError) as err:
        read_caseload(path)
    assert err.value.total == n and f"{n:,} problems found" in str(err.value)
    assert len(err.value.problems) == 101  # 100 shown, one line for the rest
