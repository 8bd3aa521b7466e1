"""Options shared by several subcommands (one definition, one help text)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from pbr_fairness.errors import InputError, Problem

T = TypeVar("T")


def collect(
    problems: list[Problem], build: Callable[..., T], *args: Any, **kwargs: Any
) -> T | None:
    """Call ``build``; on an InputError add its problems to ``problems`` and return None.

    So that a command reports every bad option, setting and file at once.
    """
    try:
        return build(*args, **kwargs)
    except InputError as exc:
        for p in exc.problems:
            where = f"{exc.source}: " if exc.source and exc.source not in str(p) else ""
            problems.append(Problem(f"{where}{p.message}" if where else p.message,
                                    row=p.row, column=p.column))
        return None


def provider_settings(path: Path | None, **overrides: float | None) -> Any:
    """Build provider settings from an optional YAML file and the command line's overrides."""
    from pbr_fairness.simulation import ProviderSettings, load_provider_settings

    problems: list[Problem] = []
    base = collect(problems, load_provider_settings, path) if path else ProviderSettings()
    if base is None:
        raise InputError(problems)
    return base.replace(**overrides)

__all__ = [
    "CapacityHours",
    "CostPerHour",
    "DiscountRate",
    "FixedCost",
    "InformationNoise",
    "JsonFile",
    "MinimumHours",
    "MissionWeight",
    "PredictedColumn",
    "ProviderFile",
    "ProviderKnows",
    "Quiet",
    "collect",
    "provider_settings",
]

ProviderFile = Annotated[
    Path | None,
    typer.Option("--provider", help="Provider settings YAML (keys as the options below)."),
]
CostPerHour = Annotated[
    float | None,
    typer.Option(help="Cost of an hour of support, pounds (default 20, estimate)."),
]
CapacityHours = Annotated[
    float | None,
    typer.Option(help="Average hours available per person (default 30, estimate)."),
]
MinimumHours = Annotated[
    float | None,
    typer.Option(help="Minimum hours of service per person (default 1, estimate)."),
]
InformationNoise = Annotated[
    float | None,
    typer.Option(help="SD of the logit noise in the provider's estimate of p0 (default 0)."),
]
MissionWeight = Annotated[
    float | None, typer.Option(help="0 = pure profit, 1 = the planner's values (default 0).")
]
DiscountRate = Annotated[
    float | None,
    typer.Option(help="Provider's annual discount rate on payments that arrive later "
                 "(default 0.08, estimate; 0 switches discounting off)."),
]
FixedCost = Annotated[
    float | None,
    typer.Option("--fixed-cost", help="Provider's fixed cost per participant, GBP (premises, "
                 "management, IT; default 150, estimate)."),
]
ProviderKnows = Annotated[
    str, typer.Option(help="truth (noisy true p0), model (the model's prediction) or "
                      "posterior (a noisy signal after the first meeting, acted on as its "
                      "posterior expectation).")
]
PredictedColumn = Annotated[
    str | None,
    typer.Option(help="Caseload column holding predicted probabilities (instead of --model)."),
]
JsonFile = Annotated[Path | None, typer.Option("--json", help="Write the results as JSON.")]
Quiet = Annotated[bool, typer.Option("--quiet", help="Do not print the summary.")]
