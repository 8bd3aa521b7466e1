"""Subcommand ``simulate``: a contract's effect on a caseload, with a provider's best response."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from pbr_fairness.cli._app import app
from pbr_fairness.cli._options import (
    CapacityHours,
    CostPerHour,
    DiscountRate,
    FixedCost,
    InformationNoise,
    JsonFile,
    MinimumHours,
    MissionWeight,
    PredictedColumn,
    ProviderFile,
    ProviderKnows,
    Quiet,
    collect,
    provider_settings,
)
from pbr_fairness.engine.prediction import as_provider_knows, needs_prediction
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.limits import MAX_REPLICATIONS, check_seed
from pbr_fairness.outputs import check_output, write_json

__all__ = ["simulate"]

log = logging.getLogger(__name__)

PERSON_COLUMNS = (
    "person_id",
    "payment_group",
    "hours",
    "p_job_outcome",
    "parked",
    "expected_payment",
)


def _read_caseload(path: Path) -> Any:
    from pbr_fairness.caseload.io import read_caseload

    return read_caseload(path)


def _predictions(frame: Any, model: Path | None, column: str | None) -> Any:
    import numpy as np

    if column is not None:
        if column not in frame.columns:
            raise InputError(
                [Problem("no such column in the caseload", column=column)],
                source="--predicted-column",
            )
        return frame[column].astype(float).to_numpy(dtype=float)
    if model is None:
        return None
    try:
        from pbr_fairness.distance.model import predict_probability
    except ImportError as exc:  # pragma: no cover
        raise InputError(
            [Problem(f"the distance model cannot be loaded: {exc}")], source="--model"
        ) from None
    return np.asarray(predict_probability(model, frame), dtype=float)


@app.command("simulate")
def simulate(
    caseload: Annotated[
        Path | None,
        typer.Option(
            "--caseload",
            help="Caseload CSV or Parquet file (with --scenario: default the prepared "
            "default caseload).",
        ),
    ] = None,
    scenario_file: Annotated[
        Path | None,
        typer.Option(
            "--scenario",
            help="Scenario file saved from the app: its contract, fees, provider and seed "
            "(options given here override it).",
        ),
    ] = None,
    contract: Annotated[
        str,
        typer.Option(
            "--contract",
            help="Preset name (work_programme_2011, work_programme_2014, flat, "
            "distance_bands_example, smooth_example, or one with instruments such as "
            "yardstick_primes; docs/contracts.md lists them) or a contract YAML file.",
        ),
    ] = "work_programme_2011",
    provider_file: ProviderFile = None,
    cost_per_hour: CostPerHour = None,
    capacity_hours: CapacityHours = None,
    minimum_hours: MinimumHours = None,
    information_noise: InformationNoise = None,
    mission_weight: MissionWeight = None,
    discount_rate: DiscountRate = None,
    fixed_cost: FixedCost = None,
    mode: Annotated[str, typer.Option(help="expected or monte_carlo.")] = "expected",
    replications: Annotated[int, typer.Option(help="Monte Carlo replications.")] = 100,
    seed: Annotated[
        int | None, typer.Option(help="Random seed (default 0, or the scenario's).")
    ] = None,
    provider_knows: ProviderKnows = "truth",
    model: Annotated[
        Path | None, typer.Option("--model", help="Distance model directory, for predictions.")
    ] = None,
    predicted_column: PredictedColumn = None,
    json_file: JsonFile = None,
    persons_file: Annotated[
        Path | None, typer.Option("--persons", help="Write per-person results as CSV.")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Simulate a provider's best response to a contract: who is parked, creamed, at what cost."""
    from pbr_fairness.contracts import load_contract
    from pbr_fairness.simulation import flat_contract, simulate_contract
    from pbr_fairness.simulation.simulate import as_mode

    problems = []
    if mode not in ("expected", "monte_carlo"):
        problems.append(Problem("must be expected or monte_carlo", column="--mode"))
    if provider_knows not in ("truth", "model", "posterior"):
        problems.append(Problem("must be truth, model or posterior", column="--provider-knows"))
    if not 2 <= replications <= MAX_REPLICATIONS:
        problems.append(Problem(f"must be a whole number from 2 to {MAX_REPLICATIONS:,}, got"
                                f" {replications}", column="--replications"))
    if model is not None and predicted_column is not None:
        problems.append(Problem("give --model or --predicted-column, not both",
                                column="--predicted-column"))
    if seed is not None:
        collect(problems, check_seed, seed, option="--seed")
    inputs = [caseload, scenario_file, provider_file, contract]
    collect(problems, check_output, json_file, option="--json", inputs=inputs,
            suffixes=(".json",))
    collect(problems, check_output, persons_file, option="--persons",
            inputs=[*inputs, json_file], suffixes=(".csv",))
    if scenario_file is not None:
        if problems:
            raise InputError(problems)
        _simulate_scenario(
            scenario_file,
            caseload,
            provider_file=provider_file,
            changes={
                "cost_per_hour": cost_per_hour,
                "capacity_hours": capacity_hours,
                "minimum_hours": minimum_hours,
                "information_noise": information_noise,
                "mission_weight": mission_weight,
                "discount_rate": discount_rate,
                "fixed_cost_per_person": fixed_cost,
            },
            seed=seed,
            model=model,
            predicted_column=predicted_column,
            json_file=json_file,
            persons_file=persons_file,
            quiet=quiet,
        )
        return
    if caseload is None:
        problems.append(Problem("give the caseload file", column="--caseload"))
    seed = 0 if seed is None else seed
    settings = collect(
        problems, provider_settings, provider_file,
        cost_per_hour=cost_per_hour,
        capacity_hours=capacity_hours,
        minimum_hours=minimum_hours,
        information_noise=information_noise,
        mission_weight=mission_weight,
        discount_rate=discount_rate,
        fixed_cost_per_person=fixed_cost,
    )
    # cheap checks first: the contract and the files, before the caseload is read
    con = None if contract == "flat" else collect(problems, load_contract, contract)
    if problems:
        raise InputError(problems)
    assert settings is not None and caseload is not None
    if not caseload.exists():
        raise FileNotFoundError(2, "No such file", str(caseload))
    needs = needs_prediction(con, provider_knows)
    if needs and model is None and predicted_column is None:
        raise InputError(
            [
                Problem(
                    "this needs predicted probabilities: give --model DIR or "
                    "--predicted-column NAME",
                    column="--model",
                )
            ]
        )
    frame = _read_caseload(caseload)
    predicted = _predictions(frame, model, predicted_column)
    if con is None:
        con = flat_contract(
            frame,
            settings,
            predicted=predicted,
            provider_knows=as_provider_knows(provider_knows),
            rng=seed,
        )
    res = simulate_contract(
        frame,
        con,
        settings,
        mode=as_mode(mode),
        predicted=predicted,
        provider_knows=as_provider_knows(provider_knows),
        replications=replications,
        rng=seed,
    )
    _write(res, caseload, json_file=json_file, persons_file=persons_file, quiet=quiet)


def _write(
    res: Any, caseload: Path, *, json_file: Path | None, persons_file: Path | None, quiet: bool
) -> None:
    if not quiet:
        typer.echo(res.summary())
    if json_file is not None:
        doc = res.to_dict()
        doc["provenance"]["caseload_file"] = str(caseload)
        write_json(json_file, doc)
    if persons_file is not None:
        from pbr_fairness.caseload.io import write_table

        write_table(res.persons.loc[:, list(PERSON_COLUMNS)], persons_file)


def _simulate_scenario(
    path: Path,
    caseload: Path | None,
    *,
    provider_file: Path | None,
    changes: dict[str, float | None],
    seed: int | None,
    model: Path | None,
    predicted_column: str | None,
    json_file: Path | None,
    persons_file: Path | None,
    quiet: bool,
) -> None:
    """``simulate --scenario FILE``: the scenario's current contract, fees and provider."""
    from pbr_fairness.prepare import default_caseload_path, default_model_dir
    from pbr_fairness.recipes import designer_runs, simulate_scenario
    from pbr_fairness.scenario import DEFAULT_RESPONSE, load_scenario

    scenario = load_scenario(path)
    if seed is not None:
        scenario = scenario.model_copy(update={"seed": int(seed)})
    run = designer_runs(scenario)[scenario.designer.current.name]
    settings = (provider_settings(provider_file, **changes) if provider_file
                else run.provider.replace(**changes))
    world = scenario.designer.response
    generated = caseload is None and world != DEFAULT_RESPONSE
    if generated:  # another world: the app's caseload for it, generated from its recipe
        from pbr_fairness.recipes.data import AppData

        data = AppData.from_environment()
        caseload = Path(f"generated:{data.caseload_id('default', world)}")
    elif caseload is None:
        caseload = default_caseload_path()
        if not caseload.is_file():
            raise InputError(
                [
                    Problem(
                        "the scenario uses the default caseload, which is not prepared: run "
                        "make prepare, or give --caseload FILE",
                        column="--caseload",
                    )
                ]
            )
    if not generated and not caseload.exists():
        raise FileNotFoundError(2, "No such file", str(caseload))
    if run.needs_prediction and model is None and predicted_column is None:
        shipped = default_model_dir()
        if not shipped.is_dir():
            raise InputError(
                [
                    Problem(
                        "this scenario needs predicted probabilities: give --model DIR or "
                        "--predicted-column NAME",
                        column="--model",
                    )
                ]
            )
        model = shipped
    frame = data.load_caseload("default", world) if generated else _read_caseload(caseload)
    predicted = _predictions(frame, model, predicted_column) if run.needs_prediction else None
    res = simulate_scenario(scenario, frame, predicted=predicted, provider=settings)
    res.provenance["scenario_file"] = str(path)
    _write(res, caseload, json_file=json_file, persons_file=persons_file, quiet=quiet)
