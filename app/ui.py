"""Small display helpers shared by the pages: error messages, missing parts, downloads.

No computation lives here: only how things are shown.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING

import streamlit as st

from pbr_fairness.errors import InputError

if TYPE_CHECKING:  # pandas is imported when first needed: the Home page loads without it
    import pandas as pd

log = logging.getLogger("pbr_fairness.app")

#: How the columns of a tariff table are shown (and edited) on every page.
TARIFF_COLUMNS = {
    "tariff": st.column_config.TextColumn("Group or band", disabled=True),
    "attachment_fee": st.column_config.NumberColumn(
        "Attachment fee", help="Paid at referral", min_value=0.0, step=50.0, format="£%.0f"
    ),
    "job_outcome_fee": st.column_config.NumberColumn(
        "Job-outcome fee",
        help="Paid when a job outcome is reached",
        min_value=0.0,
        step=50.0,
        format="£%.0f",
    ),
    "trigger_weeks": st.column_config.NumberColumn(
        "Trigger (weeks)",
        help="Weeks in work before the job-outcome fee is paid",
        min_value=1.0,
        step=1.0,
        format="%.0f",
    ),
    "sustainment_fee": st.column_config.NumberColumn(
        "Sustainment fee / 4 weeks",
        help="Paid for each further 4 weeks in work",
        min_value=0.0,
        step=10.0,
        format="£%.0f",
    ),
    "max_sustainment_payments": st.column_config.NumberColumn(
        "Max sustainment payments", min_value=0, step=1, format="%d"
    ),
}


def problems_frame(error: InputError) -> pd.DataFrame:
    """Return the problems of an InputError as a table (row, column, problem)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "row": [p.row if p.row is not None else "" for p in error.problems],
            "column": [p.column or "" for p in error.problems],
            "problem": [p.message for p in error.problems],
        }
    ).astype({"row": "string", "column": "string", "problem": "string"})


def show_input_error(error: InputError, *, what: str = "The input") -> None:
    """Show an InputError as a message and a table of its problems."""
    source = f" ({error.source})" if error.source else ""
    n = len(error.problems)
    first = "; ".join(str(p) for p in error.problems[:3])
    more = f" (and {n - 3} more)" if n > 3 else ""
    st.error(
        f"{what}{source} cannot be used: {n} problem{'s' if n != 1 else ''} found: "
        f"{first}{more}. Fix {'them' if n != 1 else 'it'} and try again."
    )
    st.dataframe(problems_frame(error), hide_index=True, width="stretch")


@contextmanager
def guard(what: str = "This page") -> Iterator[None]:
    """Run a page body, showing any error as a message instead of a traceback."""
    try:
        yield
    except InputError as exc:
        show_input_error(exc)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        st.error(f"A file could not be read: {exc.strerror or exc}: {exc.filename}")
    except (ValueError, TypeError, KeyError) as exc:
        log.exception("%s failed", what)
        st.error(f"{what} could not finish: {exc}")
    except Exception as exc:  # never show a traceback to a user
        log.exception("%s failed", what)
        st.error(
            f"{what} stopped because of an unexpected error ({type(exc).__name__}). "
            "The details are in the server log."
        )


def library_part(module: str, *names: str) -> ModuleType | None:
    """Import a part of the library; say so on the page when it is not available yet."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        log.warning("library part %s missing: %s", module, exc)
        mod = None
    missing = [n for n in names if mod is None or not hasattr(mod, n)]
    if mod is None or missing:
        st.info(
            f"This page needs `{module}` ({', '.join(names)}), which is not available in this "
            "installation yet."
        )
        return None
    return mod


def fmt_number(value: float, kind: str = "number") -> str:
    """Format a headline figure for a metric card."""
    if value is None or value != value:  # None or NaN
        return "n/a"
    if kind == "percent":
        return f"{100 * value:.1f}%"
    if kind == "money":
        sign = "-" if value < 0 else ""
        if abs(value) >= 1e6:
            return f"{sign}£{abs(value) / 1e6:,.1f}m"
        return f"{sign}£{abs(value):,.0f}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
