"""Small display helpers shared by the pages: errors, formatted tables, help with a glossary link.

No computation lives here: only how things are shown. Labels, units and formats come from
:mod:`pbr_fairness.labels`, definitions from :mod:`pbr_fairness.glossary`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import streamlit as st

from pbr_fairness.errors import InputError
from pbr_fairness.glossary import anchor, glossary
from pbr_fairness.labels import SUPPRESSED, SUPPRESSED_LEGEND, group_label, heading, measure

__all__ = ["group_label", "guard", "help_text", "show_input_error", "table"]

log = logging.getLogger("pbr_fairness.app")

#: A cell that holds a figure (right-aligned in tables).
_FIGURE = re.compile(r"^(?:[-+<]?\s?£?[\d,.]+(?:m|%| points)?(?: \(.*\))?|–|\[c\]|no change)$")

#: The glossary page's address (see ``streamlit_app.py``).
GLOSSARY_PATH = "glossary"

#: How the columns of a tariff table are shown (and edited) on every page: short headers
#: with the unit, the full meaning in the help.
TARIFF_COLUMNS = {
    "label": st.column_config.TextColumn(
        "Group or band", disabled=True, width=250, help="Payment group, or band of predicted "
        "distance from work (band 1 = furthest from work)"
    ),
    "tariff": None,
    "attachment_fee": st.column_config.NumberColumn(
        "Attachment £", help="Attachment fee (£): paid when a person is referred", min_value=0.0,
        step=50.0, format="£%,.0f", width=114,
    ),
    "job_outcome_fee": st.column_config.NumberColumn(
        "Outcome £", help="Job-outcome fee (£): paid when a job outcome is reached",
        min_value=0.0, step=50.0, format="£%,.0f", width=114,
    ),
    "trigger_weeks": st.column_config.NumberColumn(
        "Trigger wks", help="Trigger (weeks): weeks in work before the job-outcome fee is paid",
        min_value=1.0, step=1.0, format="%.0f", width=114,
    ),
    "sustainment_fee": st.column_config.NumberColumn(
        "Sustain £", help="Sustainment fee (£): paid for each further 4 weeks in work",
        min_value=0.0, step=10.0, format="£%,.0f", width=114,
    ),
    "max_sustainment_payments": st.column_config.NumberColumn(
        "Most sust.", help="Most 4-weekly sustainment payments after one job outcome",
        min_value=0, step=1, format="%d", width=114,
    ),
}

#: Page-wide style: headline cards and table headers wrap instead of being cut off.
_CSS = """
<style>
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  font-size: clamp(1.35rem, 1.9vw, 2.1rem) !important; line-height: 1.2 !important;
}
[data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[data-testid="stTable"] th, [data-testid="stTable"] td {
  white-space: normal !important; overflow-wrap: anywhere; word-break: normal;
}
[data-testid="stTable"] th { vertical-align: bottom; }
</style>
"""


def style() -> None:
    """Add the page-wide style (call once per run, from the router)."""
    st.html(_CSS)


def _terms() -> set[str]:
    return {t.name for t in glossary()}


def glossary_link(term: str) -> str:
    """Return a Markdown link to a term's glossary entry (empty when there is none)."""
    if term not in _terms():
        return ""
    return f"[Glossary: {term.lower()}](/{GLOSSARY_PATH}#{anchor(term)})"


def help_text(key: str, extra: str = "") -> str:
    """Return a measure's help: its definition, what good looks like, and a glossary link."""
    m = measure(key)
    parts = [m.description]
    if m.good:
        parts.append(f"Good: {m.good}")
    if extra:
        parts.append(extra)
    link = glossary_link(m.term)
    if link:
        parts.append(link)
    return "  \n".join(p for p in parts if p)


def table(frame: pd.DataFrame, *, caption: str | None = None) -> None:
    """Show a formatted table (strings only) that wraps rather than cuts off its headers.

    Columns of figures are right-aligned; the first column (what each row is) and columns
    of words stay left-aligned.
    """
    figures = [c for c in frame.columns[1:] if frame[c].astype(str).map(_is_figure).all()]
    styled = frame.style.set_properties(subset=figures, **{"text-align": "right"})
    st.table(styled, hide_index=True)
    legend = []
    if frame.isin([SUPPRESSED]).to_numpy().any():
        legend.append(SUPPRESSED_LEGEND)
    if caption:
        legend.insert(0, caption)
    if legend:
        st.caption(" ".join(legend))


def _is_figure(text: str) -> bool:
    return bool(_FIGURE.match(text))


def problems_frame(error: InputError) -> pd.DataFrame:
    """Return the problems of an InputError as a table (row, column, problem), by row."""
    problems = sorted(
        error.problems, key=lambda p: (p.row is not None, p.row or 0, p.column or "")
    )
    return pd.DataFrame(
        {
            "Row": [str(p.row) if p.row is not None else "" for p in problems],
            "Column": [p.column or "" for p in problems],
            "Problem": [p.message for p in problems],
        }
    ).astype("string")


def show_input_error(error: InputError, *, what: str = "The input") -> None:
    """Show an InputError as a message and a table of its problems (sorted by row)."""
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


def column_heading(key: str) -> str:
    """Return a measure's table heading (label and unit)."""
    return heading(key)
