"""Options shared by several subcommands (one definition, one help text)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "CapacityHours",
    "CostPerHour",
    "InformationNoise",
    "JsonFile",
    "MinimumHours",
    "MissionWeight",
    "PredictedColumn",
    "ProviderFile",
    "ProviderKnows",
    "Quiet",
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
ProviderKnows = Annotated[
    str, typer.Option(help="truth (noisy true p0) or model (the model's prediction).")
]
PredictedColumn = Annotated[
    str | None,
    typer.Option(help="Caseload column holding predicted probabilities (instead of --model)."),
]
JsonFile = Annotated[Path | None, typer.Option("--json", help="Write the results as JSON.")]
Quiet = Annotated[bool, typer.Option("--quiet", help="Do not print the summary.")]
