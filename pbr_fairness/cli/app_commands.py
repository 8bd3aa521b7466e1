"""Subcommand ``app``: start the Streamlit app with the project's settings, telemetry off."""

from __future__ import annotations

import subprocess
from typing import Annotated

import typer

from pbr_fairness.appserver import app_script, streamlit_command, streamlit_environment
from pbr_fairness.cli._app import app
from pbr_fairness.errors import InputError, Problem, printable


@app.command("app")
def app_command(
    address: Annotated[
        str, typer.Option("--address", help="Address to listen on (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8501,
    print_command: Annotated[
        bool, typer.Option("--print-command", help="Print the command instead of running it.")
    ] = False,
) -> int:
    """Start the app, with Streamlit's usage statistics off wherever it is started from."""
    problems = []
    if not 1 <= port <= 65535:
        problems.append(Problem(f"must be from 1 to 65535, got {port}", column="--port"))
    if not address.strip() or not address.isprintable() or " " in address:
        problems.append(Problem("give a host name or address, e.g. 127.0.0.1", column="--address"))
    if not app_script().is_file():
        problems.append(Problem(f"the app is not in this installation ({app_script()}); run it"
                                " from the repository (make app)"))
    if problems:
        raise InputError(problems)
    cmd = streamlit_command(address=address, port=port)
    if print_command:
        typer.echo(printable(" ".join(cmd)))
        return 0
    try:
        return subprocess.call(cmd, env=streamlit_environment(), cwd=app_script().parent)
    except KeyboardInterrupt:  # pragma: no cover - Ctrl-C stops the server
        return 0
