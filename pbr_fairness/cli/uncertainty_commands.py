"""Subcommand ``uncertainty``: headline results with 90% intervals over the estimates' ranges."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pbr_fairness.cli._app import app
from pbr_fairness.cli._options import collect
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.limits import check_count, check_seed, max_jobs
from pbr_fairness.outputs import check_output, write_json

RESPONSES = ("evidence", "gain_falls", "gain_rises")


@app.command("uncertainty")
def uncertainty_command(
    draws: Annotated[int, typer.Option(help="Latin-hypercube draws (each recalibrated).")] = 200,
    n: Annotated[int, typer.Option("--n", help="People per draw.")] = 50_000,
    seed: Annotated[int, typer.Option(help="Seed of the draws and caseloads.")] = 20261201,
    response: Annotated[
        str | None, typer.Option(help="Response scenario: evidence, gain_falls or gain_rises.")
    ] = None,
    baseline: Annotated[
        str, typer.Option(help="Baseline contract: preset name or YAML file.")
    ] = "work_programme_2011",
    proposal: Annotated[
        Path | None, typer.Option(help="A proposed tariff (YAML): adds its intervals.")
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Distance model directory (band tariffs).")
    ] = None,
    backend: Annotated[str, typer.Option(help="local (processes) or dask.")] = "local",
    jobs: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of an existing Dask scheduler.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the result as JSON.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the interval table as CSV.")
    ] = None,
) -> None:
    """Report 90% intervals of the headline measures over the estimated parameters' ranges."""
    problems = []
    if response is not None and response not in RESPONSES:
        problems.append(Problem(f"must be one of {', '.join(RESPONSES)}", column="--response"))
    if backend not in ("local", "dask"):
        problems.append(Problem("must be local or dask", column="--backend"))
    if not 1 <= jobs <= 64:
        problems.append(Problem(f"must be 1..64, got {jobs}", column="--jobs"))
    if scheduler is not None and backend != "dask":
        problems.append(Problem("--scheduler needs --backend dask", column="--scheduler"))
    collect(problems, check_count, jobs, maximum=max_jobs(), option="--jobs",
            what="worker processes", way_round="for more, run on a Dask cluster")
    collect(problems, check_seed, seed, option="--seed")
    inputs = [baseline, proposal, model]
    collect(problems, check_output, json_out, option="--json", inputs=inputs,
            suffixes=(".json",), create_parent=True)
    collect(problems, check_output, out, option="--out", inputs=[*inputs, json_out],
            suffixes=(".csv",), create_parent=True)
    if problems:
        raise InputError(problems)
    if scheduler is not None:
        from pbr_fairness.sweep.backend import check_scheduler

        check_scheduler(scheduler)
    if model is not None:  # a model given is checked even where the tariffs need none
        from pbr_fairness.distance import DistanceModel

        DistanceModel.load(model)
    from pbr_fairness.contracts import load_contract
    from pbr_fairness.sweep.uncertainty import parameter_uncertainty

    res = parameter_uncertainty(
        draws=draws,
        n=n,
        seed=seed,
        response=response,
        baseline=baseline,
        proposal=None if proposal is None else load_contract(proposal),
        model=None if model is None else str(model),
        backend=backend,  # type: ignore[arg-type]
        jobs=jobs,
        scheduler=scheduler,
    )
    table = res.table
    off = res.to_dict()["draws_off_target"]
    typer.echo(
        f"{draws} draws of {len(res.parameters)} estimated parameters, each recalibrated "
        f"({res.seconds:.0f} s; {off} could not reproduce the fitted targets and are left out): "
        "point value and 90% interval"
    )
    for row in table.itertuples(index=False):
        typer.echo(f"  {row.measure:48} {row.point:>12,.3f}  [{row.lower:,.3f}, {row.upper:,.3f}]")
    if json_out is not None:
        write_json(json_out, res.to_dict())
    if out is not None:
        from pbr_fairness.caseload.io import write_table

        write_table(table, out)
