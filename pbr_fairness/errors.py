"""Errors raised for a user's mistakes: bad files, bad tables, bad settings.

Every problem names where it is (file, row, column or key) and what is allowed, and a
table's problems are reported all at once. The command line turns an :class:`InputError`
into a message and exit code 2, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["InputError", "LimitError", "Problem", "count_problems", "printable", "show_value"]


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
    count : int, default 1
        How many problems this entry stands for (an ``... and 1,599,900 more`` line).
    """

    message: str
    row: int | None = None
    column: str | None = None
    count: int = 1

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            kind = "option" if self.column.startswith("-") else "column"
            where.append(f"{kind} {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


def count_problems(problems: Iterable[Problem]) -> int:
    """Return how many problems a list stands for (see :attr:`Problem.count`).

    Examples
    --------
    >>> count_problems([Problem("a"), Problem("... and 9 more", count=9)])
    10
    """
    return sum(max(int(p.count), 0) for p in problems)


def show_value(value: object, *, width: int = 40) -> str:
    r"""Render a user's value for a message: numbers plainly, text quoted and shortened.

    numpy scalars print as plain numbers (``nan``, not ``np.float64(nan)``), and control
    characters (terminal escape codes) are shown escaped, never sent to the terminal.

    Parameters
    ----------
    value : object
        The value.
    width : int, default 40
        Longest text shown.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> print(show_value(np.float64("nan")), show_value(np.int64(3)), show_value("a\x1b[31m"))
    nan 3 'a\x1b[31m'

    """
    if isinstance(value, bool) or value is None:
        return str(value)
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        try:
            value = value.item()  # numpy scalar -> Python scalar
        except (TypeError, ValueError):
            pass
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    text = value if isinstance(value, str) else str(value)
    if len(text) > width:
        text = text[: width - 3] + "..."
    return repr(text) if isinstance(value, str) else _printable(text)


def printable(text: str) -> str:
    r"""Return ``text`` with control characters escaped (terminal codes are never sent raw).

    Examples
    --------
    >>> print(printable("red" + chr(27) + "[31m"))
    red\x1b[31m
    """
    return "".join(c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in text)


_printable = printable


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
        head = f"{_printable(source)}: " if source else ""
        if len(self.problems) == 1 and self.total == 1:
            text = f"{head}{_printable(str(self.problems[0]))}"
        else:
            lines = "\n".join(f"  - {_printable(str(p))}" for p in self.problems)
            text = f"{head}{self.total:,} problems found:\n{lines}"
        super().__init__(text)

    @property
    def total(self) -> int:
        """The true number of problems (``... and N more`` lines stand for N)."""
        return count_problems(self.problems)


class LimitError(InputError):
    """A request for more work than a documented limit allows (see :mod:`pbr_fairness.limits`).

    The message holds the estimate and the way round (smaller pieces, ``national``, Dask).
    """
