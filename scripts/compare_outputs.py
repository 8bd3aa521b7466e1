"""Compare the CLI's outputs of two revisions of pbr-fairness on fixed seeds.

Each revision is exported with ``git worktree`` into a temporary folder and run with this
environment's Python (its dependencies), with the revision's own ``pbr_fairness`` first on
``PYTHONPATH``. The same commands run for both: ``synth``, ``simulate`` (expected and Monte
Carlo, several provider settings, a band contract with the shipped model), ``optimise``,
``audit``, ``sweep`` and ``national``. Every JSON output, every Parquet/CSV table and the
synthetic caseload are compared value by value; volatile fields (times, dates, versions,
paths) are left out. The report lists, per output, whether it is identical and else the
largest absolute and relative difference.

Usage::

    python scripts/compare_outputs.py --before 28a6d85 --after HEAD
    python scripts/compare_outputs.py --before 28a6d85 --after WORKTREE   # uncommitted tree

Exit code 0 when every output is identical (to ``--rtol``, default 0: bit for bit), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

#: Keys whose values change from run to run or between revisions by design.
VOLATILE = {
    "package_version",
    "created",
    "date",
    "timestamp",
    "seconds",
    "elapsed_seconds",
    "wall_seconds",
    "source",
    "contract_source",
    "path",
    "out",
    "summary",
    "spec_path",
    "report",
    "input_path",
    "generated_at",
    "started",
    "finished",
}

SWEEP_SPEC = """
name: compare
seed: 20261128
seeds: 2
caseload: {n: 3000, providers: 2, seed: 20110601}
contract: work_programme_2011
provider: {cost_per_hour: 20.0}
mode: expected
breakdowns: [overall, payment_group, provider, disability]
parameters:
  grid:
    contract: [work_programme_2011, work_programme_2014, flat]
    provider.information_noise: [0.0, 0.5]
  latin_hypercube:
    n: 3
    ranges:
      contract.groups.PG6.job_outcome_fee: [1000, 8000]
      contract.groups.PG7.job_outcome_fee: [1000, 8000]
"""


def commands(out: Path, model: Path) -> list[tuple[str, list[str]]]:
    """Return the named CLI invocations (arguments after ``pbr-fairness``)."""
    cl = str(out / "caseload.csv")
    return [
        (
            "synth",
            ["synth", "--n", "6000", "--seed", "7", "--providers", "3",
             "--out", str(out / "synth.csv")],
        ),
        (
            "simulate_wp2011",
            ["simulate", "--caseload", cl, "--json", str(out / "simulate_wp2011.json"),
             "--persons", str(out / "simulate_wp2011_persons.csv"), "--quiet"],
        ),
        (
            "simulate_noise_mission",
            ["simulate", "--caseload", cl, "--contract", "work_programme_2014",
             "--information-noise", "0.6", "--mission-weight", "0.3", "--capacity-hours", "3",
             "--seed", "11", "--json", str(out / "simulate_noise_mission.json"), "--quiet"],
        ),
        (
            "simulate_flat",
            ["simulate", "--caseload", cl, "--contract", "flat",
             "--json", str(out / "simulate_flat.json"), "--quiet"],
        ),
        (
            "simulate_bands_model",
            ["simulate", "--caseload", cl, "--contract", "distance_bands_example",
             "--model", str(model), "--provider-knows", "model",
             "--json", str(out / "simulate_bands_model.json"), "--quiet"],
        ),
        (
            "simulate_montecarlo",
            ["simulate", "--caseload", cl, "--mode", "monte_carlo", "--replications", "20",
             "--seed", "3", "--json", str(out / "simulate_montecarlo.json"), "--quiet"],
        ),
        (
            "optimise_bands",
            ["optimise", "--caseload", cl, "--out", str(out / "optimise_bands.yaml"),
             "--model", str(model), "--provider-knows", "model", "--no-frontier",
             "--json", str(out / "optimise_bands.json"), "--quiet"],
        ),
        (
            "optimise_groups",
            ["optimise", "--caseload", cl, "--out", str(out / "optimise_groups.yaml"),
             "--basis", "payment_group", "--no-frontier", "--no-reference",
             "--json", str(out / "optimise_groups.json"), "--quiet"],
        ),
        (
            "audit",
            ["audit", "--caseload", cl, "--json", str(out / "audit.json"),
             "--csv-dir", str(out / "audit_tables"), "--seed", "1"],
        ),
        (
            "sweep",
            ["sweep", str(out / "sweep.yaml"), "--out", str(out / "sweep.parquet"),
             "--jobs", "1", "--no-progress", "--json", str(out / "sweep.json")],
        ),
        (
            "national",
            ["national", "--n", "120000", "--chunk-size", "50000", "--providers", "3",
             "--information-noise", "0.3", "--capacity-hours", "4", "--seed", "5",
             "--no-progress", "--json", str(out / "national.json"),
             "--out", str(out / "national.csv")],
        ),
    ]


def run_revision(tree: Path, out: Path, caseload: Path | None = None) -> dict[str, int]:
    """Run every command with the package of ``tree``; return exit codes by name.

    The commands after ``synth`` read ``caseload`` (the first revision's synthetic caseload,
    so that both revisions simulate the same people) or, without it, this revision's own.
    """
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.yaml").write_text(SWEEP_SPEC, encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    codes: dict[str, int] = {}
    for name, args in commands(out, tree / "models" / "default"):
        if name != "synth" and not (out / "caseload.csv").exists():
            shutil.copyfile(caseload or out / "synth.csv", out / "caseload.csv")
        proc = subprocess.run(
            [sys.executable, "-m", "pbr_fairness", *args],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        codes[name] = proc.returncode
        (out / f"{name}.stdout").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    return codes


#: Replaced in string values by :func:`_flatten` (the run's own folders).
RUN_FOLDERS: list[str] = []


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    if isinstance(obj, str):
        for folder in RUN_FOLDERS:
            obj = obj.replace(folder, "<run>")
    if isinstance(obj, dict):
        for key, val in obj.items():
            if str(key) in VOLATILE:
                continue
            flat.update(_flatten(val, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(obj, list):
        for i, val in enumerate(obj):
            flat.update(_flatten(val, f"{prefix}[{i}]"))
    else:
        flat[prefix] = obj
    return flat


def _diff_values(a: Any, b: Any) -> tuple[float, float] | None:
    """Absolute and relative difference of two leaves; None when equal."""
    if isinstance(a, bool) or isinstance(b, bool) or not (
        isinstance(a, int | float) and isinstance(b, int | float)
    ):
        return None if a == b else (math.inf, math.inf)
    if (isinstance(a, float) and math.isnan(a)) and (isinstance(b, float) and math.isnan(b)):
        return None
    if a == b:
        return None
    d = abs(float(a) - float(b))
    scale = max(abs(float(a)), abs(float(b)))
    return d, (d / scale if scale else math.inf)


def compare_json(a: Path, b: Path) -> dict[str, Any]:
    """Compare two JSON files leaf by leaf."""
    fa, fb = (_flatten(json.loads(p.read_text(encoding="utf-8"))) for p in (a, b))
    keys = set(fa) | set(fb)
    missing = sorted(k for k in keys if (k in fa) != (k in fb))
    worst_abs = worst_rel = 0.0
    n_diff = 0
    where = ""
    for k in keys - set(missing):
        d = _diff_values(fa[k], fb[k])
        if d is None:
            continue
        n_diff += 1
        if d[1] > worst_rel or (d[1] == worst_rel and d[0] > worst_abs):
            worst_abs, worst_rel, where = d[0], d[1], k
    return {"leaves": len(keys), "differ": n_diff, "missing": missing[:5],
            "max_abs": worst_abs, "max_rel": worst_rel, "worst": where}


def _read_table(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def compare_table(a: Path, b: Path) -> dict[str, Any]:
    """Compare two tables column by column (numeric columns by value)."""
    ta, tb = _read_table(a), _read_table(b)
    for t in (ta, tb):
        for col in [c for c in t.columns if c in VOLATILE or c.endswith("_seconds")]:
            t.drop(columns=col, inplace=True)
    if list(ta.columns) != list(tb.columns) or len(ta) != len(tb):
        return {"differ": -1, "note": f"shape {ta.shape} vs {tb.shape}", "max_abs": math.inf,
                "max_rel": math.inf, "worst": "shape"}
    worst_abs = worst_rel = 0.0
    n_diff = 0
    where = ""
    for col in ta.columns:
        x, y = ta[col], tb[col]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            xa, ya = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            both_nan = np.isnan(xa) & np.isnan(ya)
            d = np.where(both_nan, 0.0, np.abs(xa - ya))
            d = np.where(np.isnan(d), np.inf, d)
            n_diff += int(np.count_nonzero(d))
            scale = np.maximum(np.abs(xa), np.abs(ya))
            with np.errstate(divide="ignore", invalid="ignore"):
                rel = np.where(d > 0, d / np.where(scale > 0, scale, 1.0), 0.0)
            if rel.size and rel.max() > worst_rel:
                worst_rel, worst_abs, where = float(rel.max()), float(d.max()), col
        else:
            xs = x.astype(object).where(x.notna(), "<NA>").map(str)
            ys = y.astype(object).where(y.notna(), "<NA>").map(str)
            neq = (xs != ys).to_numpy()
            if neq.any():
                n_diff += int(neq.sum())
                worst_abs = worst_rel = math.inf
                where = col
    return {"rows": len(ta), "differ": n_diff, "max_abs": worst_abs, "max_rel": worst_rel,
            "worst": where}


def compare_dirs(before: Path, after: Path) -> list[dict[str, Any]]:
    """Compare every JSON, CSV and Parquet output of two runs."""
    rows = []
    files = sorted(
        p.relative_to(before)
        for p in before.rglob("*")
        if p.suffix in (".json", ".csv", ".parquet", ".yaml") and p.is_file()
        and p.name != "sweep.yaml"
    )
    for rel in files:
        a, b = before / rel, after / rel
        if not b.exists():
            rows.append({"output": str(rel), "differ": -1, "note": "missing after"})
            continue
        if rel.suffix == ".yaml":
            same = a.read_bytes() == b.read_bytes()
            res = {"differ": 0 if same else -1, "max_abs": 0.0 if same else math.inf,
                   "max_rel": 0.0 if same else math.inf, "note": "" if same else "text differs"}
        elif rel.suffix == ".json":
            res = compare_json(a, b)
        else:
            res = compare_table(a, b)
        rows.append({"output": str(rel), **res})
    return rows


def export(rev: str, dest: Path) -> Path:
    """Check out ``rev`` into ``dest`` (``WORKTREE``: copy the working tree as it is)."""
    if rev == "WORKTREE":
        shutil.copytree(
            ROOT, dest, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.pyc",
                                                      "tests", ".hypothesis", "artifacts")
        )
        return dest
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(dest), rev],
                   check=True, capture_output=True)
    return dest


def main(argv: list[str] | None = None) -> int:
    """Run both revisions and print the comparison."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="git revision (or WORKTREE)")
    ap.add_argument("--after", default="WORKTREE", help="git revision (or WORKTREE)")
    ap.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for 'same'")
    ap.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="pbr-compare-"))
    RUN_FOLDERS.extend(str(work / d) for d in ("before", "after", "tree_before", "tree_after"))
    trees = []
    try:
        results = {}
        for label, rev in (("before", args.before), ("after", args.after)):
            tree = export(rev, work / f"tree_{label}")
            trees.append((rev, tree))
            first = None if label == "before" else work / "before" / "synth.csv"
            codes = run_revision(tree, work / label, first)
            results[label] = codes
            print(f"{label} ({rev}): exit codes {codes}", flush=True)
        rows = compare_dirs(work / "before", work / "after")
        same = True
        print(f"\n{'output':44} {'differ':>7} {'max abs':>11} {'max rel':>11}  worst")
        for r in rows:
            ok = r["differ"] == 0 or (r["differ"] > 0 and r["max_rel"] <= args.rtol)
            same &= ok
            print(f"{r['output']:44} {r['differ']:>7} {r.get('max_abs', 0):>11.3g} "
                  f"{r.get('max_rel', 0):>11.3g}  {r.get('worst', '')}{r.get('note', '')}")
        same &= results["before"] == results["after"]
        print("\nidentical" if same else "\nDIFFERENT")
        if args.keep:
            shutil.copytree(work, args.keep, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("tree_*"))
        return 0 if same else 1
    finally:
        for rev, tree in trees:
            if rev != "WORKTREE":
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(tree)], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
