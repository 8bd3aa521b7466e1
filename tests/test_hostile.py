"""Every command against a matrix of hostile option values: exit code 2 or 0, never a traceback.

Each command starts from a small valid invocation; every option that takes a value is then
given each hostile value in turn (negative, zero, NaN, infinite, huge, the wrong type, empty,
terminal escape codes; for files: missing, a folder, an input as the output, a wrong
extension), and a list of conflicting combinations is run too. Through the entry function
:func:`pbr_fairness.cli.main` in process (a subprocess per case would take minutes).

The counts (cases, exit 2, exit 0, tracebacks) are printed by ``test_matrix_counts`` (run
``pytest -s``) and kept in ``MATRIX`` for the report.
"""

from __future__ import annotations

import collections
import inspect
import typing
from pathlib import Path

import pytest
import typer
import yaml

from pbr_fairness.cli import app, main

#: Values that are never valid for a number of people, hours, pounds, a share or a seed
#: (NaN, infinite, huge as a float and as a whole number, the wrong type).
ALWAYS_BAD = ["nan", "inf", "1e308", "abc", str(10**30)]
#: Values valid for some options (a seed of 0, a minimum of 0 hours, a profit of -1 pounds).
MAYBE = ["-1", "0"]
TEXT = ["", "bogus", "\x1b[31mred"]
MODEL = str(Path(__file__).resolve().parents[1] / "models" / "default")
MATRIX: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.caseload.io import write_caseload

    d = tmp_path_factory.mktemp("hostile")
    caseload = d / "caseload.csv"
    write_caseload(make_caseload(240, rng=3, providers=2), caseload)
    spec = d / "spec.yaml"
    spec.write_text(yaml.safe_dump({"caseload": {"n": 100}, "seeds": 1,
                                    "breakdowns": ["overall"]}))
    (d / "folder").mkdir()
    return {"dir": d, "caseload": caseload, "spec": spec}


def base_invocations(f: dict[str, Path]) -> dict[str, list[str]]:
    d, c = f["dir"], str(f["caseload"])
    return {
        "validate": ["validate", "--caseload", c],
        "synth": ["synth", "--n", "50", "--out", str(d / "s.csv"), "--seed", "1"],
        "train": ["train", "--data", c, "--out", str(d / "model"), "--n-boot", "10",
                  "--seed", "1"],
        "predict": ["predict", "--data", c, "--out", str(d / "p.csv")],
        "simulate": ["simulate", "--caseload", c, "--quiet"],
        "optimise": ["optimise", "--caseload", c, "--out", str(d / "t.yaml"), "--basis",
                     "payment_group", "--no-frontier", "--no-reference", "--quiet"],
        "audit": ["audit", "--caseload", c, "--json", str(d / "a.json"), "--expected-column",
                  "true_p_observable"],
        "sweep": ["sweep", str(f["spec"]), "--out", str(d / "o.parquet"), "--jobs", "1",
                  "--no-progress", "--overwrite"],
        "national": ["national", "--n", "2000", "--chunk-size", "1000", "--no-progress"],
        "app": ["app", "--print-command"],
        "uncertainty": ["uncertainty", "--draws", "2", "--n", "500", "--jobs", "1"],
    }


def _options(command: str) -> list[tuple[str, type]]:
    cmd = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    out = []
    for p in cmd.params:
        ann = p.type_descriptor.annotation
        if not p.opts or not p.opts[0].startswith("--") or ann is bool:
            continue
        if typing.get_origin(ann) is list:
            continue
        out.append((p.opts[0], ann))
    return out


def _with(args: list[str], option: str, value: str) -> list[str]:
    out = list(args)
    if option in out:
        out[out.index(option) + 1] = value
    else:
        out += [option, value]
    return out


def _run(capsys, args: list[str]) -> tuple[int | None, str]:
    try:
        code = main(args)
    except BaseException as exc:
        capsys.readouterr()
        return None, f"{type(exc).__name__}: {exc}"
    out, err = capsys.readouterr()
    return code, out + err


#: Options that name a folder: an (empty) existing folder is a valid value.
FOLDERS = {("audit", "--csv-dir"), ("train", "--out")}


def _cases(f: dict[str, Path]) -> list[tuple[str, list[str], set[int]]]:
    d = f["dir"]
    cases = []
    for command, args in base_invocations(f).items():
        for option, ann in _options(command):
            if ann in (int, float):
                values = [(v, {2}) for v in ALWAYS_BAD] + [(v, {0, 2}) for v in MAYBE]
            elif ann is Path:
                folder = {0, 2} if (command, option) in FOLDERS else {2}
                # Typer reads "" as Path("."): the current folder, valid where a folder is.
                values = [("", folder), (str(d / "folder"), folder),
                          (str(d / "missing" / "x.csv"), {0, 2}), (str(f["caseload"]), {0, 2})]
            else:
                values = [(v, {0, 2}) for v in TEXT]
            for value, ok in values:
                cases.append((f"{command} {option}={value!r}", _with(args, option, value), ok))
    c = str(f["caseload"])
    conflicts = [
        ("optimise --budget with --budget-share",
         [*_with(base_invocations(f)["optimise"], "--budget", "1000000"), "--budget-share",
          "0.9"]),
        ("optimise --predicted-column with --model",
         base_invocations(f)["optimise"] + ["--predicted-column", "true_p0", "--model", MODEL]),
        ("simulate --predicted-column with --model",
         base_invocations(f)["simulate"] + ["--predicted-column", "true_p0", "--model", MODEL]),
        ("audit --model with --expected-column",
         base_invocations(f)["audit"] + ["--model", MODEL]),
        ("predict --out .xlsx", ["predict", "--data", c, "--out", str(d / "p.xlsx")]),
        ("simulate --persons .xlsx", base_invocations(f)["simulate"] + ["--persons",
                                                                        str(d / "x.xlsx")]),
        ("simulate --json .csv", base_invocations(f)["simulate"] + ["--json", str(d / "x.csv")]),
        ("audit --report .csv", ["audit", "--caseload", c, "--report", str(d / "r.csv"),
                                 "--expected-column", "true_p_observable"]),
        ("national --out .xlsx", base_invocations(f)["national"] + ["--out",
                                                                    str(d / "n.xlsx")]),
        ("train --n with --data", base_invocations(f)["train"] + ["--n", "500"]),
        ("predict --out = --data", ["predict", "--data", c, "--out", c]),
        ("simulate --persons = --caseload", base_invocations(f)["simulate"]
         + ["--persons", c]),
        ("audit --json = --caseload", ["audit", "--caseload", c, "--json", c]),
        ("validate --json = --caseload", ["validate", "--caseload", c, "--json", c]),
        ("sweep --scheduler not a url", ["sweep", str(f["spec"]), "--out", str(d / "o.parquet"),
                                         "--backend", "dask", "--scheduler", "not a url"]),
    ]
    cases += [(name, args, {2}) for name, args in conflicts]
    return cases


def test_every_base_invocation_works(files, capsys, monkeypatch):
    # The matrix changes one option of a working command: each must work as it stands.
    monkeypatch.chdir(files["dir"])
    for command, args in base_invocations(files).items():
        code, text = _run(capsys, args)
        assert code == 0, f"{command}: {text[-500:]}"


def test_hostile_matrix(files, capsys, monkeypatch):
    import shutil

    monkeypatch.chdir(files["dir"])  # a stray "." output lands in the test's folder
    failures = []
    before = files["caseload"].read_bytes()
    for name, args, allowed in _cases(files):
        shutil.rmtree(files["dir"] / "folder", ignore_errors=True)
        (files["dir"] / "folder").mkdir()
        code, text = _run(capsys, args)
        MATRIX["cases"] += 1
        if code is None or "Traceback" in text:
            MATRIX["tracebacks"] += 1
            failures.append(f"{name}: traceback {text[-300:]}")
            continue
        MATRIX[f"exit {code}"] += 1
        if code not in allowed:
            failures.append(f"{name}: exit {code} (allowed {sorted(allowed)}): {text[-200:]}")
        elif "np.float64(" in text or "\x1b" in text:
            failures.append(f"{name}: raw value in the message: {text[-200:]!r}")
        if files["caseload"].read_bytes() != before:
            # An input must never be overwritten; these commands read no caseload.
            if args[0] not in ("synth", "national", "uncertainty", "app"):
                failures.append(f"{name}: the input caseload was overwritten")
            files["caseload"].write_bytes(before)
    assert not failures, f"{len(failures)} of {MATRIX['cases']} cases:\n" + "\n".join(failures)


def test_matrix_counts():
    # Run after the matrix (same module, in order): the counts for the report.
    if MATRIX["cases"]:
        print("\nhostile matrix:", dict(MATRIX))
        assert MATRIX["tracebacks"] == 0


def test_every_command_is_in_the_matrix(files):
    commands = set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert commands <= set(base_invocations(files)), commands
    assert inspect.isfunction(main)
