"""The audit page's recipe: read an upload, match its columns and values, audit it.

An auditor's file rarely matches the schema: columns have other names (matched with
:func:`pbr_fairness.caseload.suggest_mapping`) and categories other spellings ("female"
where the schema says ``F``). :func:`mapping_status` says which required columns are still
unmatched; :func:`unmatched_values` lists the values of categorical columns the schema does
not know, each with a suggested recoding (:func:`suggest_value`); :func:`read_upload` reads
the bytes with the mapping and the recoding applied (in memory: nothing is written to disk);
:func:`audit_upload` runs the audit. :func:`in_app_words` rewrites messages that name
command-line options into the words of the app.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pbr_fairness.audit import AuditResult, audit_caseload, make_audit_scenario
from pbr_fairness.audit.audit import REQUIRED_COLUMNS as AUDIT_REQUIRED
from pbr_fairness.caseload import apply_mapping, read_caseload, read_table
from pbr_fairness.caseload.schema import COLUMNS, TRUTH_COLUMNS
from pbr_fairness.errors import InputError, Problem

__all__ = [
    "AUDIT_SEED",
    "CATEGORIES",
    "DEMO_SCENARIO",
    "EXPECTED_COLUMN",
    "REQUIRED",
    "MappingStatus",
    "audit_upload",
    "in_app_words",
    "mapping_status",
    "parking_demo_csv",
    "read_upload",
    "recode_values",
    "suggest_value",
    "unmatched_values",
    "upload_columns",
]

#: Seed of the audit's bootstrap intervals in the app.
AUDIT_SEED = 20110601
#: Column holding expected probabilities when the user brings their own.
EXPECTED_COLUMN = "expected_p"
#: Columns an audit cannot do without: the caseload's identity and the audit's own.
REQUIRED: tuple[str, ...] = tuple(
    dict.fromkeys([*(c.name for c in COLUMNS if c.required), *AUDIT_REQUIRED])
)
#: The audit page's demonstration: synthetic providers of which P3 parks and P5 creams.
DEMO_SCENARIO: dict[str, int] = {"n_per_provider": 2000, "providers": 6, "rng": 2011}
#: Allowed values of each categorical schema column.
CATEGORIES: dict[str, tuple[str, ...]] = {
    c.name: c.categories for c in COLUMNS if c.kind == "category" and c.categories
}

#: Common spellings of the schema's categories (after lower-casing and trimming).
_SPELLINGS: dict[str, dict[str, str]] = {
    "sex": {
        "female": "F", "woman": "F", "women": "F", "f": "F", "girl": "F",
        "male": "M", "man": "M", "men": "M", "m": "M", "boy": "M",
        "other": "X", "x": "X", "non-binary": "X", "nonbinary": "X", "non binary": "X",
        "not stated": "X", "prefer not to say": "X", "unknown": "X", "another": "X",
    },
    "qualification": {
        "no qualifications": "none", "no qualification": "none", "nvq1": "gcse",
        "gcses": "gcse", "o level": "gcse", "a levels": "a_level", "a-level": "a_level",
        "a level": "a_level", "a-levels": "a_level", "nvq3": "a_level",
        "degree or higher": "degree",
        "graduate": "degree", "university": "degree", "bachelor": "degree",
    },
    "benefit": {
        "jobseeker's allowance": "JSA", "jobseekers allowance": "JSA",
        "employment and support allowance": "ESA", "incapacity benefit": "IB",
        "income support": "IS",
    },
}


def parking_demo_csv() -> bytes:
    """Return a synthetic caseload (CSV) in which P3 parks and P5 creams."""
    d = DEMO_SCENARIO
    frame = make_audit_scenario(
        n_per_provider=d["n_per_provider"], providers=d["providers"], rng=d["rng"]
    )
    keep = [c for c in frame.columns if c not in TRUTH_COLUMNS or c == "true_p_observable"]
    return frame[keep].to_csv(index=False).encode("utf-8")


def _fold(value: object) -> str:
    return " ".join(str(value).strip().casefold().split())


def suggest_value(column: str, value: object) -> str | None:
    """Suggest the schema category a value of a categorical column stands for.

    Known spellings first ("female" -> ``F``), then a category that the value starts
    with ("White British" -> ``White``), then ``PG`` + a number for payment groups.

    Examples
    --------
    >>> suggest_value("sex", "Female"), suggest_value("ethnicity", "Asian or Asian British")
    ('F', 'Asian')
    >>> suggest_value("payment_group", "7"), suggest_value("sex", "??") is None
    ('PG7', True)
    """
    allowed = CATEGORIES.get(column)
    if not allowed:
        return None
    text = _fold(value)
    for c in allowed:
        if text == c.casefold():
            return c
    known = _SPELLINGS.get(column, {}).get(text)
    if known is not None:
        return known
    if column == "payment_group":
        m = re.fullmatch(r"(?:pg|group|payment group)?\s*0*([1-9])", text)
        if m and f"PG{m.group(1)}" in allowed:
            return f"PG{m.group(1)}"
    norm = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    for c in allowed:
        if norm == c.casefold():
            return c
    starts = [c for c in allowed if text.startswith(c.casefold()) and len(c) > 1]
    if len(starts) == 1:
        return starts[0]
    return None


@dataclass(frozen=True)
class MappingStatus:
    """Which columns the audit needs and whether each is matched yet.

    Attributes
    ----------
    matched : dict of str to str
        Schema column -> the upload's column it comes from.
    missing : tuple of str
        Required schema columns no column is matched to.
    optional_missing : tuple of str
        Columns the audit uses when present (support hours: the parking tests).
    """

    matched: dict[str, str]
    missing: tuple[str, ...]
    optional_missing: tuple[str, ...]

    @property
    def ready(self) -> bool:
        """Whether every required column is matched."""
        return not self.missing


def mapping_status(columns: Sequence[str], mapping: Mapping[str, str]) -> MappingStatus:
    """Say which required columns are matched, given a ``{source: target}`` mapping.

    A column already named as the schema names it matches itself unless it is mapped away.

    Examples
    --------
    >>> s = mapping_status(["client", "pg", "outcome"], {"client": "person_id",
    ...                    "pg": "payment_group", "outcome": "job_outcome"})
    >>> s.missing, s.ready
    (('provider_id',), False)
    """
    matched: dict[str, str] = {}
    for c in columns:
        if c in REQUIRED or c in CATEGORIES or c == "support_hours":
            if c not in mapping:
                matched.setdefault(c, c)
    for src, dst in mapping.items():
        matched[dst] = src
    missing = tuple(c for c in REQUIRED if c not in matched)
    optional = tuple(c for c in ("support_hours",) if c not in matched)
    return MappingStatus(matched, missing, optional)


def upload_columns(data: bytes, name: str) -> list[str]:
    """Return the column names of an uploaded table without validating it."""
    return [str(c) for c in read_table(data, name=name).columns]


def _mapped(
    data: bytes, name: str, mapping: Mapping[str, str], dropped: Sequence[str]
) -> pd.DataFrame:
    frame = read_table(data, name=name)
    if dropped:
        frame = frame.drop(columns=list(dropped), errors="ignore")
    try:
        return apply_mapping(frame, dict(mapping) or None)
    except InputError as exc:
        raise InputError(exc.problems, source=f"{name} (column matching)") from None


def unmatched_values(
    data: bytes,
    name: str,
    mapping: Mapping[str, str] | None = None,
    dropped: Sequence[str] = (),
) -> pd.DataFrame:
    """List the values of categorical columns that the schema does not know.

    Returns
    -------
    pandas.DataFrame
        ``column``, ``value``, ``people`` (how many rows hold it) and ``suggested`` (a
        category, or ``None``), sorted by column and most frequent value first.
    """
    frame = _mapped(data, name, dict(mapping or {}), dropped)
    rows: list[dict[str, Any]] = []
    for column, allowed in CATEGORIES.items():
        if column not in frame.columns:
            continue
        values = frame[column].dropna()
        counts = values.astype(str).str.strip().value_counts(sort=True)
        folded = {c.casefold() for c in allowed}
        for value, n in counts.items():
            if str(value) in allowed or _fold(value) in folded or str(value) == "":
                continue
            rows.append(
                {
                    "column": column,
                    "value": str(value),
                    "people": int(n),
                    "suggested": suggest_value(column, value),
                }
            )
    return pd.DataFrame(rows, columns=["column", "value", "people", "suggested"])


def recode_values(frame: pd.DataFrame, recodes: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """Return a copy with values of some columns replaced (``{column: {value: new}}``)."""
    if not recodes:
        return frame
    out = frame.copy()
    for column, table in recodes.items():
        if column in out.columns and table:
            as_text = out[column].astype("string").str.strip()
            lookup = dict(table)
            replaced = as_text.map(lambda v, t=lookup: t.get(v, v) if isinstance(v, str) else v)
            out[column] = replaced.where(out[column].notna(), out[column])
    return out


def read_upload(
    data: bytes,
    name: str,
    mapping: Mapping[str, str] | None = None,
    dropped: Sequence[str] = (),
    recodes: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """Read and validate an uploaded caseload from its bytes (never written to disk).

    Parameters
    ----------
    data : bytes
        The uploaded file's content.
    name : str
        The uploaded file's name (tells CSV from Parquet; named in messages).
    mapping : mapping of str to str
        Source column to schema column.
    dropped : sequence of str
        Columns the user chose to leave out.
    recodes : mapping of str to mapping of str to str
        Values to replace in schema columns, after matching.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputError
        Every problem of the file, in the app's words (see :func:`in_app_words`).
    """
    try:
        frame = _mapped(data, name, dict(mapping or {}), dropped)
        frame = recode_values(frame, dict(recodes or {}))
        return read_caseload(frame, name=name)
    except InputError as exc:
        raise in_app_words(exc) from None


def audit_upload(
    frame: pd.DataFrame,
    *,
    model: Any = None,
    expected_column: str | None = None,
    expected_from: str = "auto",
    min_cell: int = 10,
    alpha: float = 0.05,
    correction: str = "holm",
    source_sha256: str | None = None,
    source_name: str | None = None,
) -> AuditResult:
    """Audit a read caseload as the page does.

    Expected outcomes come from a column, a model, or (``expected_from="cross-fit"``, the
    page's default) a case-mix model fitted on the caseload itself.

    Raises
    ------
    InputError
        For a caseload the audit cannot use, in the app's words.
    """
    try:
        return audit_caseload(
            frame,
            model=None if expected_column or expected_from == "cross-fit" else model,
            expected_column=expected_column,
            expected_from=expected_from,  # type: ignore[arg-type]
            min_cell=min_cell,
            alpha=alpha,
            correction=correction,  # type: ignore[arg-type]
            rng=AUDIT_SEED,
            source_sha256=source_sha256,
            source_name=source_name,
        )
    except InputError as exc:
        raise in_app_words(exc) from None


_CLI_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"map it with --map '[^']*'"), "match it in the table of columns above"),
    (re.compile(r"a contract with other groups must name them, e\.g\. --payment-groups"),
     "recode it to one of these in the table of values above"),
    (re.compile(r"--map\b[^;,)]*"), "the table of columns above"),
    (re.compile(r"--[a-z][a-z-]+"), "the options above"),
)


def in_app_words(error: InputError) -> InputError:
    """Rewrite an error's problems in the app's words (no command-line options), by row.

    Examples
    --------
    >>> e = InputError([Problem("missing required column 'sex'; did you mean 'Gender'? map "
    ...                         "it with --map 'Gender=sex'")])
    >>> str(in_app_words(e))
    "missing required column 'sex'; did you mean 'Gender'? match it in the table of columns above"
    >>> e = InputError([Problem("required column is missing", column="provider_id")])
    >>> in_app_words(e).problems[0].message
    'required column is missing: match one of your columns to provider_id in the table above'
    """
    problems = []
    for p in error.problems:
        message = p.message
        for pattern, words in _CLI_HINTS:
            message = pattern.sub(words, message)
        if message == "required column is missing" and p.column:
            message = (
                f"required column is missing: match one of your columns to {p.column} in the "
                "table above"
            )
        problems.append(Problem(message, row=p.row, column=p.column))
    problems.sort(key=lambda q: (q.row is not None, q.row or 0, q.column or ""))
    return InputError(problems, source=error.source)
