"""Subcommand ``audit``: audit a provider caseload and write a publishable report."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from pbr_fairness.cli._app import app
from pbr_fairness.errors import InputError, Problem, show_value
from pbr_fairness.limits import MAX_HOURS, check_seed
from pbr_fairness.outputs import check_output, check_output_dir


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


#: Tables of an audit, written by ``--csv-dir`` as ``audit_<name>.csv``.
TABLES = ("providers", "provider_payment_group", "parking", "creaming", "parking_by_decile",
          "provider_decile_outcomes", "fairness", "case_mix_calibration", "within_area",
          "within_area_tests", "within_area_deciles")
_EXPECTED = ("cross-fit", "model", "column")
_SPLITS = ("kfold", "provider")
_LEARNERS = ("logistic", "lightgbm")
_UNITS = ("hours", "contacts", "spend")


@app.command("audit")
def audit_command(
    caseload: Annotated[
        Path, typer.Option("--caseload", "-c", help="Caseload file (.csv or .parquet).")
    ],
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the self-contained HTML report here.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the JSON findings here.")
    ] = None,
    csv_dir: Annotated[
        Path | None, typer.Option("--csv-dir", help="Write every table as CSV into this folder.")
    ] = None,
    map_options: Annotated[
        list[str] | None,
        typer.Option("--map", "-m", help="Rename a column: SOURCE=TARGET (repeatable)."),
    ] = None,
    map_file: Annotated[
        Path | None, typer.Option("--map-file", help="YAML file of 'source: target' lines.")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Distance-model directory (with --expected model; default:"
                     " the shipped model, trained on synthetic people)."),
    ] = None,
    expected_from: Annotated[
        str | None,
        typer.Option("--expected", help="Expected outcomes from: cross-fit (a case-mix model"
                     " fitted on this caseload, out of sample; the default when there is no"
                     " expected_p column and no --model), model or column."),
    ] = None,
    case_mix_features: Annotated[
        str | None,
        typer.Option("--case-mix-features", help="Further columns of the caseload for the"
                     " case-mix model, comma-separated (support, outcomes and the provider"
                     " never enter it)."),
    ] = None,
    case_mix_split: Annotated[
        str, typer.Option("--case-mix-split", help="kfold, or provider (leave one provider"
                          " out).")
    ] = "kfold",
    case_mix_folds: Annotated[
        int, typer.Option("--case-mix-folds", help="Folds of K-fold cross-fitting (2-20).")
    ] = 5,
    case_mix_learner: Annotated[
        str, typer.Option("--case-mix-learner", help="logistic or lightgbm.")
    ] = "logistic",
    support_unit: Annotated[
        str, typer.Option("--support-unit", help="Unit of the support column: hours, contacts"
                          " or spend (column support_<unit>, else support_hours).")
    ] = "hours",
    expected_column: Annotated[
        str | None,
        typer.Option("--expected-column", help="Column of expected probabilities to use."),
    ] = None,
    payment_groups: Annotated[
        str | None,
        typer.Option("--payment-groups", help="Payment groups of the contract, comma-separated."),
    ] = None,
    min_cell: Annotated[
        int, typer.Option("--min-cell", help="Suppress cells with fewer people than this.")
    ] = 10,
    alpha: Annotated[float, typer.Option("--alpha", help="Level of every test.")] = 0.05,
    correction: Annotated[
        str, typer.Option("--correction", help="Multiple-comparison control: holm, bh or none.")
    ] = "holm",
    minimal_hours: Annotated[
        float | None,
        typer.Option("--minimal-hours", "--minimal-support",
                     help="Support (in --support-unit) at or below which it is minimal."),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed recorded in the report.")] = None,
) -> int:
    """Audit a caseload for parking, creaming and outcome gaps; write HTML, JSON and CSV."""
    # Options and paths are checked before the (slow) scientific imports.
    if report is None and json_out is None and csv_dir is None:
        raise InputError(["give at least one output: --report FILE, --json FILE or --csv-dir DIR"],
                         "audit")
    problems = []
    if not 1 <= min_cell <= 10_000:
        problems.append(Problem(f"must be a whole number from 1 to 10000, got {min_cell}",
                                column="--min-cell"))
    if not 0 < alpha < 1:
        problems.append(Problem(f"must be between 0 and 1, got {show_value(alpha)}",
                                column="--alpha"))
    if correction not in ("holm", "bh", "none"):
        problems.append(Problem(f"must be holm, bh or none, got {show_value(correction)}",
                                column="--correction"))
    top = MAX_HOURS if support_unit != "spend" else 1e7
    if minimal_hours is not None and not 0 <= minimal_hours <= top:  # also NaN
        problems.append(Problem(f"must be a number from 0 to {top:g} (in {support_unit}), got"
                                f" {show_value(minimal_hours)}", column="--minimal-hours"))
    if model is not None and expected_column is not None:
        problems.append(Problem("give --model or --expected-column, not both",
                                column="--expected-column"))
    for option, value, allowed in (
        ("--expected", expected_from, _EXPECTED), ("--case-mix-split", case_mix_split, _SPLITS),
        ("--case-mix-learner", case_mix_learner, _LEARNERS),
        ("--support-unit", support_unit, _UNITS),
    ):
        if value is not None and value not in allowed:
            problems.append(Problem(f"must be {', '.join(allowed[:-1])} or {allowed[-1]}, got"
                                    f" {show_value(value)}", column=option))
    if not 2 <= case_mix_folds <= 20:
        problems.append(Problem(f"must be a whole number from 2 to 20, got {case_mix_folds}",
                                column="--case-mix-folds"))
    if expected_from == "cross-fit" and (model is not None or expected_column is not None):
        problems.append(Problem("--expected cross-fit fits the case mix on the caseload: give"
                                " no --model or --expected-column with it", column="--expected"))
    if expected_from == "model" and expected_column is not None:
        problems.append(Problem("--expected model and --expected-column exclude each other",
                                column="--expected"))
    if expected_from == "column" and model is not None:
        problems.append(Problem("--expected column and --model exclude each other",
                                column="--expected"))
    features = None
    if case_mix_features is not None:
        features = [f.strip() for f in case_mix_features.split(",") if f.strip()]
        if not features:
            problems.append(Problem("give at least one column name", column="--case-mix-features"))
    if problems:
        raise InputError(problems)
    if seed is not None:
        check_seed(seed, option="--seed")
    inputs = [caseload, map_file]
    check_output(report, option="--report", inputs=inputs, suffixes=(".html", ".htm"))
    check_output(json_out, option="--json", inputs=[*inputs, report], suffixes=(".json",))
    check_output_dir(csv_dir, option="--csv-dir", inputs=[*inputs, report, json_out],
                     names=[f"audit_{t}.csv" for t in (*TABLES, "columns")])
    if not caseload.is_file():
        raise InputError(["file does not exist"], str(caseload))
    from pbr_fairness.audit import audit_caseload
    from pbr_fairness.caseload.io import read_caseload
    from pbr_fairness.caseload.mapping import load_map_file, parse_map_options

    mapping: dict[str, str] = {}
    if map_file is not None:
        mapping.update(load_map_file(map_file))
    mapping.update(parse_map_options(map_options))
    groups = None
    if payment_groups is not None:
        groups = [g.strip() for g in payment_groups.split(",") if g.strip()]
        if not groups:
            raise InputError(["give at least one payment group"], "--payment-groups")
    frame = read_caseload(
        caseload,
        mapping=mapping or None,
        payment_groups=groups,
        required=("provider_id", "job_outcome"),
    )
    result = audit_caseload(
        frame,
        model=model,
        expected_column=expected_column,
        expected_from=expected_from or "auto",  # type: ignore[arg-type]
        case_mix_features=features,
        case_mix_split=case_mix_split,  # type: ignore[arg-type]
        case_mix_folds=case_mix_folds,
        case_mix_learner=case_mix_learner,  # type: ignore[arg-type]
        support_unit=support_unit,  # type: ignore[arg-type]
        min_cell=min_cell,
        alpha=alpha,
        correction=correction,  # type: ignore[arg-type]
        minimal_hours=minimal_hours,
        rng=seed,
        source_sha256=_sha256(caseload),
        source_name=caseload.name,
    )
    if report is not None:
        result.to_html(report)
    if json_out is not None:
        result.to_json(json_out)
    if csv_dir is not None:
        result.write_csv(csv_dir)
    for warning in result.warnings:
        typer.echo(f"Warning: {warning}", err=True)
    flagged = result.flagged
    people = result.provenance["n_people"]
    typer.echo(
        f"Audited {'fewer than ' + str(min_cell) if people is None else f'{people:,}'} people at "
        f"{result.provenance['n_providers']} providers; flagged: "
        + (", ".join(flagged) if flagged else "none")
    )
    for path, what in ((report, "report"), (json_out, "JSON"), (csv_dir, "CSV tables")):
        if path is not None:
            typer.echo(f"{what}: {path}")
    return 0
