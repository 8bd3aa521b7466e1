"""The set-up contract, checked statically: Makefile, .ci/run and README."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from pbr_fairness.caseload.validation import schema_markdown

ROOT = Path(__file__).resolve().parent.parent


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def make_targets(text: str) -> dict[str, str]:
    """Map each Makefile target to its dependency line and recipe."""
    targets: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z$()_./-]+):(?!=)(.*)$", line)
        if match:
            current = match.group(1)
            targets[current] = match.group(2) + "\n"
        elif current and line.startswith("\t"):
            targets[current] += line + "\n"
        elif line.strip() and not line.startswith("#"):
            current = None
    return targets


def test_makefile_has_the_targets():
    targets = make_targets(read("Makefile"))
    for name in ("app", "test", "bench", "lint", "prepare", "clean"):
        assert name in targets, name
    assert re.search(r"^\.PHONY:.*\bapp\b.*\btest\b", read("Makefile"), re.M)


def test_make_creates_the_venv_when_missing():
    text = read("Makefile")
    targets = make_targets(text)
    stamp = next(t for t in targets if "STAMP" in t)
    assert "pyproject.toml" in targets[stamp]  # rebuilt when dependencies change
    recipe = targets[stamp]
    assert "-m venv" in recipe
    assert "pip install" in recipe and "uv" in recipe
    assert 'uv pip install --python $(BIN)/python -e ".[dev]"' in recipe
    # Falls back to plain pip when uv fails.
    assert re.search(r"\|\|\s*\$\(BIN\)/python -m pip install .*-e \"\.\[dev\]\"", recipe)
    for name in ("app", "test", "bench", "lint", "prepare"):
        assert "$(STAMP)" in targets[name], name


def test_make_test_app_prepare_bench_lint_recipes():
    targets = make_targets(read("Makefile"))
    assert "pytest" in targets["test"]
    # Browser tests run on their own after the parallel run; "none collected" is not a failure.
    assert '-m "not browser"' in targets["test"]
    assert "-m browser" in targets["test"] and "[ $$? -eq 5 ]" in targets["test"]
    assert "python -m pbr_fairness.prepare" in targets["prepare"]
    assert "prepare" in targets["app"].splitlines()[0]
    assert "pbr-fairness app --address 127.0.0.1" in targets["app"]
    assert "benchmarks/bench_*.py" in targets["bench"]
    assert "ruff check" in targets["lint"]


def test_make_dry_run_parses():
    result = subprocess.run(
        ["make", "-n", "test", "app", "bench", "lint", "prepare", "clean"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "pytest" in result.stdout


def test_ci_run_installs_chromium_then_runs_make_test():
    path = ROOT / ".ci" / "run"
    text = path.read_text(encoding="utf-8")
    assert os.access(path, os.X_OK)
    assert text.startswith("#!/usr/bin/env bash") or text.startswith("#!/bin/bash")
    assert "set -euo pipefail" in text
    assert "/usr/bin/chromium" in text
    update = text.index("apt-get update")
    install = text.index("apt-get install")
    assert update < install
    assert re.search(r"apt-get install -y --no-install-recommends .*chromium", text)
    assert "DEBIAN_FRONTEND=noninteractive" in text
    assert "sudo" not in text
    assert text.rstrip().splitlines()[-1].strip() == "make test"
    assert text.index("make test") > install


def test_ci_run_is_valid_bash():
    result = subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")], capture_output=True)
    assert result.returncode == 0, result.stderr


def test_readme_opens_with_the_two_commands():
    text = read("README.md")
    first_block = re.search(r"```(?:bash|sh)?\n(.*?)```", text, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert [c for c in commands if c] == ["make app", "make test"]
    # Nothing but the title and one sentence comes before them.
    before = text[: first_block.start()]
    assert before.count("\n## ") == 0 and len(before) < 300


@pytest.mark.parametrize(
    "heading",
    ["## What it is", "## Who it is for", "## Command line", "## Python API",
     "## The caseload schema", "## Where every number comes from"],
)
def test_readme_sections(heading):
    assert heading in read("README.md")


def test_readme_schema_table_matches_the_schema():
    text = read("README.md")
    match = re.search(r"<!-- schema-table:start.*?-->\n(.*?)<!-- schema-table:end -->", text, re.S)
    assert match is not None, "README lacks the schema-table markers"
    assert match.group(1) == schema_markdown(), (
        "README schema table is stale; regenerate it with "
        "pbr_fairness.caseload.schema_markdown()"
    )


def test_readme_claims_only_commands_that_exist_or_are_marked_coming():
    from pbr_fairness.cli import app

    registered = {c.name for c in app.registered_commands}
    text = read("README.md")
    section = text[text.index("## Command line") : text.index("## Python API")]
    rows = re.findall(r"^\| `([a-z-]+)` \| (.*) \|$", section, re.M)
    assert rows
    for name, what in rows:
        assert name in registered or "(coming)" in what, name
    for name in ("validate", "synth"):
        assert name in registered


def test_readme_parameter_files_exist():
    text = read("README.md")
    section = text[text.index("## Where every number comes from") :]
    for path in re.findall(r"`((?:pbr_fairness|data)/[^`*]+)`", section):
        assert (ROOT / path).exists(), path
    assert list((ROOT / "pbr_fairness" / "contracts" / "presets").glob("*.yaml"))


def test_generated_default_caseload_is_git_ignored():
    assert "/data/synthetic/default_caseload.parquet" in read(".gitignore")


def test_prepare_defaults_makes_what_is_missing_once(tmp_path, monkeypatch):
    import pandas as pd

    import pbr_fairness.distance as distance
    from pbr_fairness.prepare import prepare_defaults

    calls: list[Path] = []

    def fake_train(out_dir):
        calls.append(Path(out_dir))
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / "model.txt").write_text("tree")

    monkeypatch.setattr(distance, "train_default_model", fake_train, raising=False)
    monkeypatch.setattr(distance, "train_pricing_model", fake_train, raising=False)
    first = prepare_defaults(tmp_path, n=300, seed=1, providers=2)
    assert first.created == ("caseload", "model", "pricing model")
    assert first.caseload == tmp_path / "data" / "synthetic" / "default_caseload.parquet"
    frame = pd.read_parquet(first.caseload)
    assert len(frame) == 300 and frame["provider_id"].nunique() == 2
    assert calls == [tmp_path / "models" / "default", tmp_path / "models" / "pricing"]
    assert first.pricing_model_dir == tmp_path / "models" / "pricing"
    second = prepare_defaults(tmp_path, n=300, seed=1, providers=2)
    assert second.created == () and len(calls) == 2
    assert "nothing" in second.summary()


def test_prepare_defaults_without_a_trainer_only_notes_it(tmp_path, monkeypatch):
    import pbr_fairness.distance as distance
    from pbr_fairness.prepare import prepare_defaults

    monkeypatch.delattr(distance, "train_default_model", raising=False)
    monkeypatch.delattr(distance, "train_pricing_model", raising=False)
    result = prepare_defaults(tmp_path, n=100, seed=2)
    assert result.created == ("caseload",)
    assert any("train_default_model" in note for note in result.notes)
    assert any("train_pricing_model" in note for note in result.notes)
