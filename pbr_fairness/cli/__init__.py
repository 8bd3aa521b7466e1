"""The ``pbr-fairness`` command line.

Each subcommand lives in a module of this package named after what it works on, parses its
options and calls one library function. User mistakes (:class:`~pbr_fairness.errors.InputError`,
missing files) become a one-paragraph message on standard error and exit code 2.
"""

from __future__ import annotations

import sys

from pbr_fairness.cli._app import app
from pbr_fairness.errors import InputError, printable

# Subcommand modules register themselves on ``app`` when imported.
from pbr_fairness.cli import caseload_commands  # noqa: F401  isort: skip
from pbr_fairness.cli import model_commands  # noqa: F401  isort: skip
from pbr_fairness.cli import audit_commands  # noqa: F401  isort: skip
from pbr_fairness.cli import simulation_commands  # noqa: F401  isort: skip
from pbr_fairness.cli import sweep_commands  # noqa: F401  isort: skip
from pbr_fairness.cli import tariff_commands  # noqa: F401  isort: skip
from pbr_fairness.cli import uncertainty_commands  # noqa: F401  isort: skip
from pbr_fairness.cli import app_commands  # noqa: F401  isort: skip

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 for a user's mistake.
    """
    try:
        result = app(args=argv, standalone_mode=False)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file that is missing, a folder, no permission, a full disk
        where = f": {exc.filename}" if exc.filename else ""
        print(printable(f"error: {exc.strerror or exc}{where}"), file=sys.stderr)
        return 2
    except SystemExit as exc:  # raised by Typer for --help and usage errors
        return int(exc.code or 0)
    except Exception as exc:  # click usage errors and friends
        import click

        # Typer >= 0.29 vendors its own copy of click (``typer._click``), whose exceptions
        # are not click's: accept both.
        click_errors: tuple[type[BaseException], ...] = (click.exceptions.ClickException,)
        aborts: tuple[type[BaseException], ...] = (click.exceptions.Abort,)
        import typer

        aborts += (typer.Abort,)
        try:
            from typer._click import exceptions as typer_click

            click_errors += (typer_click.ClickException,)
        except ImportError:  # pragma: no cover - older Typer uses click itself
            pass
        if isinstance(exc, click_errors):
            exc.show()  # type: ignore[attr-defined]
            return 2
        if isinstance(exc, aborts):
            return 1
        raise
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
