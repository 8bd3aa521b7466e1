"""Errors raised for a user's mistakes: bad files, bad tables, bad settings.

Every problem names where it is (file, row, column or key) and what is allowed, and a
table's problems are reported all at once. The command line turns an :class:`InputError`
into a message and exit code 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["InputError", "Problem"]


@dataclass(frozen=True)
class Problem:
    """One problem found in a user's input.

    Parameters
    ----------
    message : str
        What is wrong and what is allowed.
    row : int, optional
        1-based data row (the header is row 0), when the problem is in one row.
    column : str, optional
        Column (or key) the problem is in.
    """

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class InputError(ValueError):
    """A user's input cannot be used; holds every problem found.

    Parameters
    ----------
    problems : iterable of Problem or str
        The problems found.
    source : str, optional
        The file or object the problems are in, named in the message.
    """

    def __init__(self, problems: Iterable[Problem | str], source: str | None = None) -> None:
        self.problems: list[Problem] = [
            p if isinstance(p, Problem) else Problem(str(p)) for p in problems
        ]
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            text = f"{head}{self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            text = f"{head}{len(self.problems)} problems found:\n{lines}"
        super().__init__(text)
