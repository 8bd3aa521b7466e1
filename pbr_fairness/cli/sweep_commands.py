"""Subcommands for researchers at scale: ``sweep`` and ``national``."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from pbr_fairness.cli._app import app
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.limits import (
    MAX_NATIONAL_PEOPLE,
    check_count,
    check_people,
    check_seed,
    max_jobs,
)
from pbr_fairness.outputs import check_output, write_json

logger = logging.getLogger(__name__)


def _write_json(path: Path, data: dict) -> None:
    write_json(path, data)


@app.command("sweep")
def sweep_command(
    spec: Path = typer.Argument(..., help="Sweep spec (YAML); see examples/sweep_small.yaml."),
    out: Path = typer.Option(
        ..., "--out", help="Parquet file of tidy results (resumed if it exists)."
    ),
    backend: str = typer.Option("local", "--backend", help="local (processes) or dask."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Address of an existing Dask scheduler (with --backend dask)."
    ),
    jobs: int | None = typer.Option(
        None, "--jobs", help="Worker processes (default: all cores; 1 runs in this process)."
    ),
    summary: Path | None = typer.Option(
        None,
        "--summary",
        help="Parquet file of means and 95% intervals across seeds "
        "(default: <out stem>.summary.parquet).",
    ),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Discard existing results instead of resuming."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    json_out: Path | None = typer.Option(
        None, "--json", help="Write a JSON description of the run."
    ),
) -> None:
    """Run a scenario sweep and write one row per scenario x measure x group to Parquet."""
    if backend not in ("local", "dask"):
        raise InputError(
            [Problem(f"{backend!r} is not a backend; use local or dask", column="--backend")]
        )
    if jobs is not None and jobs < 1:
        raise InputError([Problem(f"must be at least 1, got {jobs}", column="--jobs")])
    if jobs is not None:
        check_count(jobs, maximum=max_jobs(), option="--jobs", what="worker processes",
                    way_round="for more, run on a Dask cluster (--backend dask --scheduler"
                    " ADDRESS)")
    if scheduler is not None and backend != "dask":
        raise InputError([Problem("--scheduler needs --backend dask", column="--scheduler")])
    check_output(out, option="--out", inputs=[spec], suffixes=(".parquet",), create_parent=True)
    check_output(summary, option="--summary", inputs=[spec, out], suffixes=(".parquet",),
                 create_parent=True)
    check_output(json_out, option="--json", inputs=[spec, out, summary], suffixes=(".json",),
                 create_parent=True)
    from pbr_fairness.sweep import load_spec, run_sweep
    from pbr_fairness.sweep.backend import check_scheduler

    if scheduler is not None:
        check_scheduler(scheduler)
    parsed = load_spec(spec)
    if parsed.caseload.path is not None:
        for option, path in (("--out", out), ("--summary", summary), ("--json", json_out)):
            check_output(path, option=option, inputs=[parsed.caseload.path], create_parent=True)
    try:
        run = run_sweep(
            parsed,
            out,
            backend=backend,  # type: ignore[arg-type]
            jobs=jobs,
            scheduler=scheduler,
            summary_out=summary,
            overwrite=overwrite,
            progress=progress,
        )
    except ImportError as exc:
        raise InputError([Problem(str(exc), column="--backend")]) from None
    typer.echo(run.summary())
    if json_out is not None:
        _write_json(json_out, run.to_dict())


@app.command("national")
def national_command(
    n: int = typer.Option(10_000_000, "--n", help="People in the national caseload."),
    contract: str = typer.Option(
        "work_programme_2011", "--contract", help="Preset name or contract YAML file."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the caseload and provider noise."),
    providers: int = typer.Option(1, "--providers", help="Providers (each with its capacity)."),
    chunk_size: int = typer.Option(250_000, "--chunk-size", help="People per chunk."),
    cost_per_hour: float | None = typer.Option(None, "--cost-per-hour"),
    capacity_hours: float | None = typer.Option(None, "--capacity-hours"),
    minimum_hours: float | None = typer.Option(None, "--minimum-hours"),
    information_noise: float | None = typer.Option(None, "--information-noise"),
    mission_weight: float | None = typer.Option(None, "--mission-weight"),
    discount_rate: float | None = typer.Option(
        None, "--discount-rate", help="Provider's annual discount rate (0: none)."
    ),
    fixed_cost: float | None = typer.Option(
        None, "--fixed-cost", help="Provider's fixed cost per participant, GBP."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the tidy measures (CSV or Parquet by extension)."
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
    json_out: Path | None = typer.Option(None, "--json", help="Write the result as JSON."),
) -> None:
    """Simulate a contract on a national-size synthetic caseload, in chunks of bounded memory."""
    if n < 1:
        raise InputError([Problem(f"must be a positive number of people, got {n}", column="--n")])
    if chunk_size < 1:
        raise InputError([Problem(f"must be positive, got {chunk_size}", column="--chunk-size")])
    if providers < 1:
        raise InputError([Problem(f"must be positive, got {providers}", column="--providers")])
    check_count(n, maximum=MAX_NATIONAL_PEOPLE, option="--n", what="people",
                way_round="run several seeds of smaller national caseloads, or a sweep on a"
                " Dask cluster")
    check_count(chunk_size, maximum=MAX_NATIONAL_PEOPLE, option="--chunk-size",
                what="people per chunk", way_round="a chunk of 250,000 is the default")
    check_people(min(chunk_size, n), option="--chunk-size", way_round="Give a smaller"
                 " --chunk-size.")
    check_seed(seed, option="--seed")
    inputs = [contract]
    check_output(out, option="--out", inputs=inputs, suffixes=(".csv", ".parquet"),
                 create_parent=True)
    check_output(json_out, option="--json", inputs=[*inputs, out], suffixes=(".json",),
                 create_parent=True)
    from pbr_fairness.simulation import ProviderSettings
    from pbr_fairness.simulation.national import simulate_national

    settings = ProviderSettings().replace(
        cost_per_hour=cost_per_hour,
        capacity_hours=capacity_hours,
        minimum_hours=minimum_hours,
        information_noise=information_noise,
        mission_weight=mission_weight,
        discount_rate=discount_rate,
        fixed_cost_per_person=fixed_cost,
    )
    res = simulate_national(
        n,
        contract,
        settings,
        providers=providers,
        chunk_size=chunk_size,
        rng=seed,
        progress=progress,
    )
    typer.echo(res.summary())
    if out is not None:
        from pbr_fairness.caseload.io import write_table

        write_table(res.to_frame(), out)
    if json_out is not None:
        _write_json(json_out, res.to_dict())
