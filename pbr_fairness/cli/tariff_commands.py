"""Subcommand ``optimise``: propose a fairer tariff at no more spend than a baseline contract."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Annotated, Any, cast

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
from pbr_fairness.engine.prediction import needs_prediction
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.limits import check_seed
from pbr_fairness.outputs import check_output, write_json

#: Most bands of predicted probability in a distance-band tariff.
MAX_BANDS = 100

__all__ = ["optimise"]

log = logging.getLogger(__name__)


def _predicted(
    frame: Any, model: Path | None, column: str | None, needed: bool, pricing_features: str
) -> Any:
    if column is not None:
        if column not in frame.columns:
            raise InputError(
                [Problem("no such column in the caseload", column=column)],
                source="--predicted-column",
            )
        return frame[column].to_numpy(dtype=float)
    if not needed and model is None:
        return None
    from pbr_fairness.tariffs.prediction import PricingFeaturesWarning, predicted_probability

    if model is not None and not model.is_dir():
        raise InputError([Problem("not a model directory", column=str(model))], source="--model")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PricingFeaturesWarning)
        predicted = predicted_probability(
            frame, model, pricing_features=pricing_features  # type: ignore[arg-type]
        )
    for w in caught:
        if issubclass(w.category, PricingFeaturesWarning):
            typer.echo(f"warning: {w.message}", err=True)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return predicted


@app.command("optimise")
def optimise(
    caseload: Annotated[Path, typer.Option("--caseload", help="Caseload CSV or Parquet file.")],
    out: Annotated[Path, typer.Option("--out", help="Write the proposed tariff (YAML) here.")],
    baseline: Annotated[
        str,
        typer.Option("--baseline", help="Baseline contract: preset name or YAML file."),
    ] = "work_programme_2011",
    basis: Annotated[
        str, typer.Option(help="payment_group, distance_band or smooth.")
    ] = "distance_band",
    objective: Annotated[
        str, typer.Option(help="equity_weighted_jobs or planner_gap.")
    ] = "equity_weighted_jobs",
    n_bands: Annotated[int, typer.Option(help="Bands of predicted probability.")] = 10,
    structure: Annotated[
        str,
        typer.Option(
            help="Outcome-fee structure: search, baseline (job outcome + sustainment in the "
            "baseline's proportions) or job_outcome (job-outcome fees only)."
        ),
    ] = "search",
    budget: Annotated[
        float | None,
        typer.Option(help="Most expected government spend, GBP (default: the baseline's)."),
    ] = None,
    budget_share: Annotated[
        float | None,
        typer.Option(help="Budget as a share of the baseline's spend (default 1; not with"
                     " --budget)."),
    ] = None,
    max_parked_share: Annotated[
        float, typer.Option(help="Cap on the parked share in any decile or payment group.")
    ] = 0.05,
    min_profit: Annotated[float, typer.Option(help="Least provider profit, GBP.")] = 0.0,
    monotone: Annotated[
        bool, typer.Option("--monotone", help="Fees never fall as distance from work rises.")
    ] = False,
    max_fee_ratio: Annotated[
        float | None, typer.Option(help="Cap on highest / lowest outcome-fee factor.")
    ] = None,
    provider_file: ProviderFile = None,
    cost_per_hour: CostPerHour = None,
    capacity_hours: CapacityHours = None,
    minimum_hours: MinimumHours = None,
    information_noise: InformationNoise = None,
    mission_weight: MissionWeight = None,
    discount_rate: DiscountRate = None,
    fixed_cost: FixedCost = None,
    provider_knows: ProviderKnows = "truth",
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Distance model directory (default models/default)."),
    ] = None,
    predicted_column: PredictedColumn = None,
    pricing_features: Annotated[
        str,
        typer.Option(
            "--pricing-features",
            help="lawful: price on models/pricing, without sex and ethnicity (the default); "
            "all: opt in to the full model (direct discrimination, Equality Act 2010 s.13: "
            "for measuring what the choice costs, with a warning).",
        ),
    ] = "lawful",
    seed: Annotated[int, typer.Option(help="Random seed (provider information noise).")] = 0,
    frontier: Annotated[
        bool, typer.Option("--frontier/--no-frontier", help="Trace the frontier (70%-130%).")
    ] = True,
    reference: Annotated[
        bool,
        typer.Option("--reference/--no-reference", help="Search the p_hat^-beta reference tariff."),
    ] = True,
    name: Annotated[str, typer.Option(help="Name of the proposed contract.")] = "fairer_tariff",
    instruments: Annotated[
        str | None,
        typer.Option(
            "--instruments",
            help="Search contract instruments too: all, or a comma-separated list of "
            "value_added, accelerator, yardstick, cost_sharing, funded_hours, assessment "
            "(docs/instruments.md). The proposal is then a contract with an instruments "
            "section; --basis, --objective, the caps, the frontier and the reference tariff "
            "do not apply.",
        ),
    ] = None,
    robust: Annotated[
        bool,
        typer.Option("--robust", help="With --instruments: rank proposals on their worst case "
                     "over the checks (demand shock, benchmark 1 point off, provider "
                     "information)."),
    ] = False,
    min_margin: Annotated[
        str,
        typer.Option(help="With --instruments: least provider margin, a share (0.25) or "
                     "'baseline' (the baseline's margin) or 'none'."),
    ] = "baseline",
    primes: Annotated[
        int, typer.Option(help="With --instruments: primes a one-provider caseload is split "
                          "between at random (a yardstick needs two or more).")
    ] = 3,
    replications: Annotated[
        int, typer.Option(help="With --instruments: Monte Carlo replications for the "
                          "provider's revenue risk.")
    ] = 40,
    json_file: JsonFile = None,
    quiet: Quiet = False,
) -> None:
    """Propose a fairer tariff: the provider's best response serves those furthest from work."""
    from pbr_fairness.caseload.io import read_caseload
    from pbr_fairness.contracts import load_contract
    from pbr_fairness.tariffs import BASES, OBJECTIVES, TariffConstraints, optimise_tariff

    problems = []
    if basis not in BASES:
        problems.append(Problem(f"must be one of {', '.join(BASES)}", column="--basis"))
    if objective not in OBJECTIVES:
        problems.append(Problem(f"must be one of {', '.join(OBJECTIVES)}", column="--objective"))
    if provider_knows not in ("truth", "model", "posterior"):
        problems.append(Problem("must be truth, model or posterior", column="--provider-knows"))
    margin = collect(problems, _min_margin, min_margin)
    families = None
    if instruments is not None:
        from pbr_fairness.tariffs.instrument_designs import check_families

        families = collect(problems, check_families, instruments)
        if budget_share is not None:
            problems.append(Problem("give --budget with --instruments (the search spends the "
                                    "baseline's budget by default)", column="--budget-share"))
    if not 2 <= replications <= 1000:
        problems.append(Problem(f"must be a whole number 2..1000, got {replications}",
                                column="--replications"))
    if not 2 <= primes <= 10:
        problems.append(Problem(f"must be a whole number 2..10, got {primes}",
                                column="--primes"))
    if pricing_features not in ("lawful", "all"):
        problems.append(Problem("must be lawful or all", column="--pricing-features"))
    if budget is not None and budget_share is not None:
        problems.append(Problem("give --budget or --budget-share, not both",
                                column="--budget-share"))
    if model is not None and predicted_column is not None:
        problems.append(Problem("give --model or --predicted-column, not both",
                                column="--predicted-column"))
    if not 2 <= n_bands <= MAX_BANDS:
        problems.append(Problem(f"must be a whole number from 2 to {MAX_BANDS}, got {n_bands}",
                                column="--n-bands"))
    if not name.strip() or not name.isprintable() or len(name) > 200:
        problems.append(Problem("give a name of printable characters (at most 200)",
                                column="--name"))
    collect(problems, check_seed, seed, option="--seed")
    inputs = [caseload, provider_file, baseline, model]
    collect(problems, check_output, out, option="--out", inputs=inputs,
            suffixes=(".yaml", ".yml"))
    collect(problems, check_output, json_file, option="--json", inputs=[*inputs, out],
            suffixes=(".json",))
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
    cons = collect(
        problems, TariffConstraints,
        budget=budget,
        budget_share=1.0 if budget_share is None else budget_share,
        min_profit=min_profit,
        max_parked_share=max_parked_share,
        monotone=monotone,
        max_fee_ratio=max_fee_ratio,
    )
    base = collect(problems, load_contract, baseline)
    if problems:
        raise InputError(problems)
    assert base is not None
    frame = read_caseload(caseload)
    if families is not None:
        predicted = _predicted(frame, model, predicted_column, True, pricing_features)
        _optimise_instruments(
            frame, base, settings, families, provider_knows, predicted, cons, margin, robust,
            primes, n_bands, replications, seed, name, out, json_file, quiet, caseload,
        )
        return
    needed = needs_prediction([basis, base], provider_knows)
    predicted = _predicted(frame, model, predicted_column, needed, pricing_features)
    res = optimise_tariff(
        frame,
        base,
        settings,
        basis=cast(Any, basis),
        objective=cast(Any, objective),
        constraints=cons,
        n_bands=n_bands,
        structure=structure,
        provider_knows=cast(Any, provider_knows),
        predicted=predicted,
        rng=seed,
        frontier_shares=None if not frontier else (0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3),
        with_reference=reference and predicted is not None,
        name=name,
    )
    res.save(out)
    if not quiet:
        typer.echo(res.summary())
        typer.echo(f"proposed tariff written to {out}")
    if json_file is not None:
        doc = res.to_dict()
        doc["provenance"]["caseload_file"] = str(caseload)
        doc["provenance"]["tariff_file"] = str(out)
        if predicted_column is None and predicted is not None:
            doc["provenance"]["pricing_features"] = pricing_features
        write_json(json_file, doc)


def _min_margin(value: str) -> float | str | None:
    text = value.strip().lower()
    if text in ("baseline", "none"):
        return None if text == "none" else "baseline"
    try:
        x = float(text)
    except ValueError:
        x = float("nan")
    if not -1 < x < 1:
        raise InputError(
            [Problem(f"must be a share in (-1, 1), 'baseline' or 'none', got {value!r}",
                     column="--min-margin")]
        )
    return x


def _optimise_instruments(
    frame: Any, base: Any, settings: Any, families: Any, provider_knows: str, predicted: Any,
    cons: Any, margin: Any, robust: bool, primes: int, n_bands: int, replications: int,
    seed: int, name: str, out: Path, json_file: Path | None, quiet: bool, caseload: Path,
) -> None:
    """Run the instrument search and write its proposal, report and JSON."""
    from pbr_fairness.tariffs import optimise_tariff
    from pbr_fairness.tariffs.instrument_designs import FAMILY_LABELS
    from pbr_fairness.tariffs.measures import TARGET_MEASURE

    def progress(fraction: float, message: str) -> None:
        if not quiet:
            typer.echo(f"[{fraction:4.0%}] {message}", err=True)

    res = optimise_tariff(
        frame, base, settings, instruments=families, robust=robust, min_margin=margin,
        primes=primes, replications=replications, n_bands=n_bands,
        provider_knows=cast(Any, provider_knows),
        predicted=predicted, budget=cons.budget, rng=seed, progress=progress,
    )
    key = res.writable()
    res.save(out, key, name=name)
    if not quiet:
        typer.echo(res.to_markdown())
        written = "the best proposal" if key == "best" else (
            f"the best proposal a contract file can hold ({FAMILY_LABELS.get(key, key)}); "
            "the best overall prices fees on an independent assessment, which the contract "
            "language cannot write yet"
        )
        typer.echo(f"{written} written to {out}")
    if json_file is not None:
        table = res.table()
        checks = res.checks_table()
        doc = {
            "settings": {
                "families": list(res.families), "provider_knows": res.provider_knows,
                "robust": res.robust, "margin_floor": res.margin_floor,
                "primes": primes, "replications": replications, "seed": seed,
            },
            "proposals": table.to_dict("records"),
            "checks": checks.to_dict("records"),
            "target_measure": TARGET_MEASURE,
            "written": key,
            "notes": res.notes,
            "evaluations": res.evaluations,
            "seconds": res.seconds,
            "provenance": {"caseload_file": str(caseload), "tariff_file": str(out)},
        }
        write_json(json_file, doc)
