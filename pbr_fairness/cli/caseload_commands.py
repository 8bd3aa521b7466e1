"""Subcommands on caseloads: ``validate`` and ``synth``."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from pbr_fairness.cli._app import app
from pbr_fairness.errors import InputError, Problem, count_problems, printable
from pbr_fairness.limits import MAX_PROVIDERS, check_count, check_people, check_seed
from pbr_fairness.outputs import check_output, write_json

#: Extensions of table files (CSV or Parquet).
TABLE_SUFFIXES = (".csv", ".txt", ".parquet", ".pq")

logger = logging.getLogger(__name__)


def _problem_dict(problem: Problem) -> dict[str, Any]:
    return {"row": problem.row, "column": problem.column, "message": problem.message}


def _write_json(path: Path | None, payload: dict[str, Any]) -> None:
    if path is not None:
        write_json(path, payload)


def _parse_groups(text: str | None) -> list[str] | None:
    if text is None:
        return None
    groups = [g.strip() for g in text.split(",") if g.strip()]
    if not groups:
        raise InputError(["give at least one payment group, e.g. PG1,PG2"], "--payment-groups")
    dupes = sorted({g for g in groups if groups.count(g) > 1})
    if dupes:
        raise InputError([f"payment groups named twice: {', '.join(dupes)}"], "--payment-groups")
    return groups


@app.command("validate")
def validate_command(
    caseload: Annotated[
        Path, typer.Option("--caseload", "-c", help="Caseload file (.csv or .parquet).")
    ],
    map_options: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            "-m",
            help="Rename a column: SOURCE=TARGET (repeatable), e.g. --map client_id=person_id.",
        ),
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--map-file", help="YAML file of 'source: target' lines.")
    ] = None,
    payment_groups: Annotated[
        str | None,
        typer.Option(
            "--payment-groups",
            help="Payment groups the contract defines, comma-separated (default PG1..PG9).",
        ),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the result as JSON to this file.")
    ] = None,
) -> int:
    """Check a caseload file and print every problem (exit code 2 when there are any)."""
    from pbr_fairness.caseload.io import read_table
    from pbr_fairness.caseload.mapping import apply_mapping, load_map_file, parse_map_options
    from pbr_fairness.caseload.validation import coerce_caseload, validate_caseload

    label = str(caseload)
    check_output(json_out, option="--json", inputs=[caseload, map_file], suffixes=(".json",),
                 create_parent=True)
    try:
        groups = _parse_groups(payment_groups)
        mapping: dict[str, str] = {}
        if map_file is not None:
            mapping.update(load_map_file(map_file))
        mapping.update(parse_map_options(map_options))
        raw = read_table(caseload)
        raw = apply_mapping(raw, mapping)
        problems = validate_caseload(raw, payment_groups=groups)
    except InputError as exc:
        _write_json(
            json_out,
            {
                "ok": False,
                "file": label,
                "problems": [
                    {**_problem_dict(p), "source": exc.source} for p in exc.problems
                ],
            },
        )
        raise
    if problems:
        _write_json(
            json_out,
            {"ok": False, "file": label, "problems": [_problem_dict(p) for p in problems]},
        )
        total = count_problems(problems)
        typer.echo(printable(f"{label}: {total:,} problem{'s' if total != 1 else ''} found:"))
        for problem in problems:
            typer.echo(f"  - {printable(str(problem))}")
        return 2
    frame = coerce_caseload(raw, payment_groups=groups)
    counts: dict[str, int] = {
        "people": len(frame),
        "payment_groups": int(frame["payment_group"].nunique()),
    }
    parts = [f"{counts['people']} people", f"{counts['payment_groups']} payment groups"]
    if "provider_id" in frame.columns:
        counts["providers"] = int(frame["provider_id"].nunique())
        parts.append(f"{counts['providers']} providers")
    _write_json(json_out, {"ok": True, "file": label, "counts": counts, "problems": []})
    typer.echo("OK: " + ", ".join(parts))
    return 0


@app.command("synth")
def synth_command(
    n: Annotated[int, typer.Option("--n", min=1, help="Number of people (at least 1).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file (.csv or .parquet).")],
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, help="Random seed (same seed, same file). Default: random."),
    ] = None,
    providers: Annotated[
        int, typer.Option("--providers", min=1, help="Number of providers (P1..PK).")
    ] = 1,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write a summary as JSON to this file.")
    ] = None,
    response: Annotated[
        str | None,
        typer.Option(
            "--response",
            help="How support moves each person's chances: evidence (the default: the lower "
            "half gains at least 80% of what the upper half gains, at more hours per point), "
            "gain_falls or gain_rises (with distance from work); each recalibrated to the "
            "same targets (docs/calibration.md).",
        ),
    ] = None,
) -> int:
    """Generate a synthetic caseload calibrated to the Work Programme and write it to a file."""
    import numpy as np

    from pbr_fairness.caseload.io import table_format, write_caseload

    table_format(out)  # reject an unknown extension before generating anything
    check_output(out, option="--out", suffixes=TABLE_SUFFIXES, create_parent=True)
    check_output(json_out, option="--json", inputs=[out], suffixes=(".json",),
                 create_parent=True)
    if seed is not None:
        check_seed(seed, option="--seed")
    check_count(providers, maximum=MAX_PROVIDERS, option="--providers", what="providers",
                way_round="use fewer providers")
    check_people(n, option="--n")
    if response is not None:
        from pbr_fairness.caseload.parameters import load_generator_parameters

        known = sorted(load_generator_parameters()["response"]["scenarios"])
        if response not in known:
            raise InputError([Problem(f"unknown response scenario {response!r}; known: "
                                      f"{', '.join(known)}", column="--response")])
    if seed is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    try:
        from pbr_fairness.caseload.generator import make_caseload
    except ImportError:  # pragma: no cover - the generator ships with the package
        raise InputError(["the synthetic generator is not installed"], "synth") from None
    frame = make_caseload(n, rng=seed, providers=providers, response=response)
    write_caseload(frame, out)
    summary = {
        "file": str(out),
        "people": len(frame),
        "seed": seed,
        "providers": providers,
        "response": response or "evidence",
        "job_outcome_rate": float(frame["job_outcome"].mean()),
        "payment_groups": {
            str(k): int(v) for k, v in frame["payment_group"].value_counts(sort=False).items()
        },
    }
    _write_json(json_out, summary)
    typer.echo(f"wrote {len(frame)} people ({providers} providers, seed {seed}) to {out}")
    return 0
