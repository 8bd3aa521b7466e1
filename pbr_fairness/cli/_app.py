"""The Typer application that every ``pbr-fairness`` subcommand registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="pbr-fairness",
    help="What a payment-by-results employment contract does to the people it should serve.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
