"""Check a caseload against the schema and convert it to proper types.

:func:`validate_caseload` reports *every* problem of a table at once, each naming its row
(1-based data row; the header is row 0) and column, for example
``row 17, column age: -3 is below 16``. :func:`coerce_caseload` converts a table of text
(as read from a CSV file) or of loose types to the schema's types. Both work column by column
on whole arrays, so a file of a million rows is checked in seconds; at most
``max_per_column`` messages are kept per column, followed by an ``... and N more`` line.

Types after conversion (see :func:`schema_dtype`): ``person_id`` is text; categorical
columns are :class:`pandas.Categorical` with the schema's categories (``provider_id`` with
its own values in natural order: P2 before P10); yes/no columns are ``bool`` (``boolean``
when values are missing), 0/1 outcomes ``int8`` (``Int8``), whole numbers ``int64``
(``Int64``) and measurements ``float64``: the same types as
:func:`~pbr_fairness.caseload.generator.make_caseload` produces.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pbr_fairness.caseload.mapping import suggest_mapping
from pbr_fairness.caseload.schema import COLUMNS, PAYMENT_GROUPS, ColumnSpec
from pbr_fairness.errors import Problem

__all__ = [
    "BOOL_FALSE",
    "BOOL_TRUE",
    "DEFAULT_REQUIRED",
    "MISSING_TOKENS",
    "coerce_caseload",
    "schema_dtype",
    "schema_markdown",
    "validate_caseload",
]

logger = logging.getLogger(__name__)

#: Columns every caseload must have, unless a caller asks for others.
DEFAULT_REQUIRED: tuple[str, ...] = ("person_id", "payment_group")
#: Text read as a missing value (compared after stripping spaces, case-insensitively).
MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "n/a", "nan", "null", "none", "<na>"})
#: Text read as *true* in a yes/no column (case-insensitive).
BOOL_TRUE: frozenset[str] = frozenset({"true", "t", "yes", "y", "1", "1.0"})
#: Text read as *false* in a yes/no column (case-insensitive).
BOOL_FALSE: frozenset[str] = frozenset({"false", "f", "no", "n", "0", "0.0"})

_SPECS = {c.name: c for c in COLUMNS}
_MAX_VALUE_CHARS = 40
_MAX_TOKEN_BYTES = 16


def schema_dtype(spec: ColumnSpec, *, has_missing: bool = False) -> str:
    """Name the pandas dtype a schema column has after conversion.

    Parameters
    ----------
    spec : ColumnSpec
        The column.
    has_missing : bool, default False
        Whether the column holds missing values (which need a nullable dtype).

    Returns
    -------
    str
        ``"str"``, ``"category"``, ``"bool"``/``"boolean"``, ``"int64"``/``"Int64"`` or
        ``"float64"``.
    """
    if spec.kind == "id":
        return "str"
    if spec.kind in ("category", "str"):
        return "category"
    if spec.kind == "bool":
        return "boolean" if has_missing else "bool"
    if spec.kind == "binary":
        return "Int8" if has_missing else "int8"
    if spec.kind == "int":
        return "Int64" if has_missing else "int64"
    return "float64"


def _show(value: object) -> str:
    """Render a cell's value for a message, shortened and quoted when it is text."""
    if isinstance(value, str):
        text = value if len(value) <= _MAX_VALUE_CHARS else value[: _MAX_VALUE_CHARS - 3] + "..."
        return repr(text)
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return str(value)


def _bound(x: float) -> str:
    return f"{x:g}"


@dataclass
class _Issues:
    """Problems of one column: row positions per kind of problem, rendered lazily."""

    column: str
    kinds: list[tuple[np.ndarray, Callable[[int], str]]] = field(default_factory=list)

    def add(self, mask: np.ndarray | pd.Series, render: Callable[[int], str]) -> None:
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if positions.size:
            self.kinds.append((positions, render))

    def problems(self, cap: int) -> list[Problem]:
        if not self.kinds:
            return []
        positions = np.concatenate([p for p, _ in self.kinds])
        kind_ids = np.concatenate([np.full(p.size, i) for i, (p, _) in enumerate(self.kinds)])
        order = np.lexsort((kind_ids, positions))[:cap]
        col = self.column
        out = [
            Problem(self.kinds[kind_ids[j]][1](int(positions[j])), int(positions[j]) + 1, col)
            for j in order
        ]
        rest = positions.size - len(out)
        if rest > 0:
            out.append(
                Problem(f"... and {rest} more in column {self.column}", None, self.column,
                        count=rest)
            )
        return out


def _arrow_text(series: pd.Series) -> pa.ChunkedArray | pa.Array | None:
    """Return a column of text as a pyarrow string array, or None if it is not all text."""
    if not _is_textual(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return None
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    return arr if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) else None


def _is_textual(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(
        series.dtype
    )


def _missing_mask(series: pd.Series, keep: frozenset[str] = frozenset()) -> np.ndarray:
    missing = series.isna().to_numpy(dtype=bool, copy=True)
    tokens = sorted(MISSING_TOKENS - keep)
    if not _is_textual(series) or isinstance(series.dtype, pd.CategoricalDtype):
        return missing
    arr = _arrow_text(series)
    if arr is not None:
        # Only short cells can be a missing-value token: look at those alone.
        short = pc.fill_null(pc.less_equal(pc.binary_length(arr), _MAX_TOKEN_BYTES), False)
        idx = np.flatnonzero(short.to_numpy(zero_copy_only=False))
        if idx.size:
            sub = arr if idx.size == len(arr) else arr.take(pa.array(idx))
            hit = pc.is_in(
                pc.utf8_lower(pc.utf8_trim_whitespace(sub)), value_set=pa.array(tokens)
            )
            missing[idx[pc.fill_null(hit, False).to_numpy(zero_copy_only=False)]] = True
        return missing
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    token = np.array([str(u).strip().lower() in tokens for u in uniques], dtype=bool)
    if token.any():
        missing |= (codes >= 0) & token[np.maximum(codes, 0)]
    return missing


def _parse_numbers(series: pd.Series, missing: np.ndarray) -> np.ndarray:
    """Parse a text column as floats; cells that are not numbers become NaN."""
    arr = _arrow_text(series)
    if arr is not None:
        arr = pc.if_else(pa.array(missing), pa.scalar(None, arr.type), arr)
        for attempt in (arr, pc.utf8_trim_whitespace(arr)):
            try:
                return pc.cast(attempt, pa.float64()).to_numpy(zero_copy_only=False)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                continue
    text = series.astype("str").str.strip().where(~missing)
    return pd.to_numeric(text, errors="coerce").astype(float).to_numpy()


def _map_uniques(
    series: pd.Series, missing: np.ndarray, lookup: Callable[[object], object]
) -> tuple[np.ndarray, np.ndarray, object]:
    """Apply ``lookup`` to each distinct value; return (codes, mapped uniques, uniques).

    ``lookup`` returns ``_BAD`` for values it does not accept.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    codes = np.where(missing, -1, codes)
    mapped = np.array([lookup(u) for u in uniques], dtype=object)
    return codes, mapped, uniques


_BAD = object()


def _bool_lookup(value: object) -> object:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer | float | np.floating):
        return bool(value) if value in (0, 1) else _BAD
    text = str(value).strip().lower()
    if text in BOOL_TRUE:
        return True
    if text in BOOL_FALSE:
        return False
    return _BAD


def _check_numeric(
    series: pd.Series, spec: ColumnSpec, missing: np.ndarray, issues: _Issues
) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype):
        values = series.astype(float).to_numpy()
        raw_text = None
    elif pd.api.types.is_numeric_dtype(series.dtype):
        values = pd.to_numeric(series, errors="coerce").astype(float).to_numpy()
        raw_text = None
    else:
        raw_text = True
        values = _parse_numbers(series, missing)

    def shown(i: int) -> str:
        if raw_text is not None:
            return str(series.iloc[i]).strip()
        return _show(series.iloc[i])

    not_number = ~missing & np.isnan(values)
    issues.add(not_number, lambda i: f"{_show(str(series.iloc[i]).strip())} is not a number")
    finite = np.isfinite(values)
    issues.add(~missing & ~not_number & ~finite, lambda i: f"{shown(i)} is not a finite number")
    ok = ~missing & finite
    valid = ok.copy()
    if spec.kind == "int":
        fraction = ok & (values != np.round(values))
        issues.add(fraction, lambda i: f"{shown(i)} is not a whole number")
        valid &= ~fraction
    if spec.minimum is not None:
        low = spec.minimum
        below = ok & (values < low)
        issues.add(below, lambda i: f"{shown(i)} is below {_bound(low)}")
        valid &= ~below
    if spec.maximum is not None:
        high = spec.maximum
        above = ok & (values > high)
        issues.add(above, lambda i: f"{shown(i)} is above {_bound(high)}")
        valid &= ~above
    ok = valid
    clean = np.where(ok, values, np.nan)
    has_missing = bool(np.isnan(clean).any())
    if spec.kind == "int":
        whole = np.where(np.isfinite(clean), np.round(clean), np.nan)
        if has_missing:
            return pd.Series(pd.array(whole, dtype="Float64"), index=series.index).astype(
                "Int64"
            )
        return pd.Series(whole.astype(np.int64), index=series.index)
    return pd.Series(clean, index=series.index, dtype="float64")


def _check_bool(
    series: pd.Series, spec: ColumnSpec, missing: np.ndarray, issues: _Issues
) -> pd.Series:
    if pd.api.types.is_bool_dtype(series.dtype) and not missing.any():
        return series.astype(bool)
    codes, mapped, _ = _map_uniques(series, missing, _bool_lookup)
    bad_u = np.array([m is _BAD for m in mapped], dtype=bool)
    bad = (codes >= 0) & bad_u[np.maximum(codes, 0)] if len(mapped) else np.zeros(len(codes), bool)
    if spec.kind == "binary":
        issues.add(bad, lambda i: f"{_show(series.iloc[i])} is not 0 or 1")
    else:
        issues.add(
            bad,
            lambda i: f"{_show(series.iloc[i])} is not a yes/no value "
            "(allowed: true/false, yes/no, 1/0, Y/N)",
        )
    truth = np.array([m is True for m in mapped], dtype=bool)
    value = truth[np.maximum(codes, 0)] if len(mapped) else np.zeros(len(codes), bool)
    absent = (codes < 0) | bad
    if spec.kind == "binary":
        if absent.any():
            arr = pd.array(np.where(value, 1, 0), dtype="Int8")
            arr[absent] = pd.NA
            return pd.Series(arr, index=series.index)
        return pd.Series(value.astype(np.int8), index=series.index)
    if absent.any():
        arr = pd.array(value, dtype="boolean")
        arr[absent] = pd.NA
        return pd.Series(arr, index=series.index)
    return pd.Series(value, index=series.index, dtype=bool)


def _check_category(
    series: pd.Series,
    spec: ColumnSpec,
    categories: Sequence[str],
    missing: np.ndarray,
    issues: _Issues,
) -> pd.Series:
    exact = {c: c for c in categories}
    folded = {c.strip().casefold(): c for c in categories}

    def lookup(value: object) -> object:
        if isinstance(value, float | np.floating) and float(value).is_integer():
            value = int(value)
        text = str(value).strip()
        return exact.get(text, folded.get(text.casefold(), _BAD))

    codes, mapped, _ = _map_uniques(series, missing, lookup)
    bad_u = np.array([m is _BAD for m in mapped], dtype=bool)
    bad = (codes >= 0) & bad_u[np.maximum(codes, 0)] if len(mapped) else np.zeros(len(codes), bool)
    if spec.name == "payment_group":
        allowed = ", ".join(categories)

        def render(i: int) -> str:
            return (
                f"{_show(series.iloc[i])} is not a payment group of this contract "
                f"(allowed: {allowed}; a contract with other groups must name them, "
                "e.g. --payment-groups)"
            )
    else:
        allowed = ", ".join(categories)

        def render(i: int) -> str:
            return f"{_show(series.iloc[i])} is not one of {allowed}"

    issues.add(bad, render)
    index = {c: j for j, c in enumerate(categories)}
    code_of_unique = np.array(
        [-1 if m is _BAD else index[m] for m in mapped], dtype=np.int64
    )
    new_codes = np.where(codes >= 0, code_of_unique[np.maximum(codes, 0)], -1) if len(
        mapped
    ) else np.full(len(codes), -1)
    return pd.Series(
        pd.Categorical.from_codes(new_codes, categories=list(categories)), index=series.index
    )


def _check_text(series: pd.Series, missing: np.ndarray) -> pd.Series:
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=float)
        whole = np.isfinite(values) & (values == np.round(values))
        if whole[~np.isnan(values)].all():
            text = pd.Series(values, index=series.index).astype("Int64").astype("str")
        else:
            text = series.astype("str")
    else:
        text = series.astype("str").str.strip()
    return text.where(~missing)


def _natural_key(text: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _as_category(text: pd.Series) -> pd.Series:
    """Make a text column categorical, categories in natural order (P2 before P10)."""
    values = sorted(text.dropna().unique(), key=lambda v: _natural_key(str(v)))
    return text.astype(pd.CategoricalDtype(categories=values))


def _duplicates(ids: pd.Series, issues: _Issues) -> None:
    codes, _ = pd.factorize(ids, use_na_sentinel=True)
    present = codes >= 0
    if not present.any():
        return
    _, first = np.unique(codes[present], return_index=True)
    first = np.flatnonzero(present)[first]  # position of each id's first occurrence
    dup_later = present.copy()
    dup_later[first] = False
    if not dup_later.any():
        return
    first_of_code = np.empty(first.size, dtype=np.int64)
    first_of_code[codes[first]] = first

    def render(i: int) -> str:
        return (
            f"duplicate person_id {_show(ids.iloc[i])} "
            f"(also in row {int(first_of_code[codes[i]]) + 1})"
        )

    issues.add(dup_later, render)


def _missing_column_message(name: str, columns: Sequence[str]) -> str:
    hint = ""
    for source, target in suggest_mapping(columns).items():
        if target == name:
            hint = f"; did you mean {source!r}? map it with --map '{source}={name}'"
            break
    return f"missing required column {name!r}{hint}"


def _constant(message: str) -> Callable[[int], str]:
    """Return a message renderer that gives the same text for every row."""

    def render(_row: int) -> str:
        return message

    return render


def _inspect(
    frame: pd.DataFrame,
    *,
    payment_groups: Sequence[str] | None,
    required: Iterable[str],
    max_per_column: int,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Convert ``frame`` to schema types and collect every problem found on the way."""
    required = tuple(required)
    unknown = [r for r in required if r not in _SPECS]
    if unknown:
        raise ValueError(f"required names columns outside the schema: {unknown}")
    groups = tuple(PAYMENT_GROUPS if payment_groups is None else payment_groups)
    if not groups:
        raise ValueError("payment_groups must name at least one group")
    problems: list[Problem] = []
    columns = [str(c) for c in frame.columns]
    for name in required:
        if name not in frame.columns:
            problems.append(Problem(_missing_column_message(name, columns), None, name))
    if len(frame) == 0:
        problems.append(Problem("the table has no rows of data"))
    out = frame.copy()
    for name in frame.columns:
        spec = _SPECS.get(name)
        if spec is None:
            continue
        series = frame[name]
        if isinstance(series, pd.DataFrame):  # same name twice
            problems.append(Problem(f"column {name!r} appears more than once", None, name))
            continue
        series = series.reset_index(drop=True)
        cats = groups if name == "payment_group" else (spec.categories or ())
        # A category such as qualification "none" is a value, not a missing one.
        missing = _missing_mask(series, frozenset(c.casefold() for c in cats))
        issues = _Issues(name)
        if name in required:
            issues.add(missing, _constant(f"missing value ({name} is required)"))
        if spec.kind in ("int", "float"):
            converted = _check_numeric(series, spec, missing, issues)
        elif spec.kind in ("bool", "binary"):
            converted = _check_bool(series, spec, missing, issues)
        elif spec.kind == "category":
            converted = _check_category(series, spec, cats, missing, issues)
        else:
            converted = _check_text(series, missing)
            if name == "person_id":
                _duplicates(converted, issues)
            else:
                converted = _as_category(converted)
        converted.index = frame.index
        out[name] = converted
        problems.extend(issues.problems(max_per_column))
    return out, problems


def validate_caseload(
    frame: pd.DataFrame,
    *,
    payment_groups: Sequence[str] | None = None,
    required: Iterable[str] = DEFAULT_REQUIRED,
    max_per_column: int = 100,
) -> list[Problem]:
    """Report every problem of a caseload table at once.

    Checks, for each schema column present: missing values in required columns, wrong
    types (``"abc"`` in a numeric column), values out of range, unknown categories,
    unknown payment groups and duplicate ``person_id`` (naming both rows); and that every
    required column is there. Columns outside the schema are ignored.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, as text (read from CSV) or already typed.
    payment_groups : sequence of str, optional
        Payment groups the contract defines (default: PG1..PG9).
    required : iterable of str, default ("person_id", "payment_group")
        Columns that must be present and complete.
    max_per_column : int, default 100
        Messages kept per column; the rest are counted in one ``... and N more`` line.

    Returns
    -------
    list of Problem
        Empty when the table is valid. Rows are 1-based data rows (the header is row 0).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"person_id": ["a", "b"], "payment_group": ["PG1", "PG2"],
    ...                    "age": ["30", "-3"]})
    >>> [str(p) for p in validate_caseload(df)]
    ['row 2, column age: -3 is below 16']
    """
    _, problems = _inspect(
        frame, payment_groups=payment_groups, required=required, max_per_column=max_per_column
    )
    return problems


def coerce_caseload(
    frame: pd.DataFrame,
    *,
    payment_groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Convert a caseload's schema columns to the schema's types.

    Values that are not valid (wrong type, out of range, unknown category) become missing;
    use :func:`validate_caseload` first to
    find them. Columns outside the schema are kept unchanged.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, as text (read from CSV) or loosely typed.
    payment_groups : sequence of str, optional
        Categories of ``payment_group`` (default: PG1..PG9).

    Returns
    -------
    pandas.DataFrame
        A converted copy, columns in their original order.
    """
    out, problems = _inspect(frame, payment_groups=payment_groups, required=(), max_per_column=0)
    if problems:
        logger.debug("coerce_caseload: %d problems ignored", len(problems))
    return out


def _allowed_text(spec: ColumnSpec) -> str:
    if spec.name == "payment_group":
        return f"{PAYMENT_GROUPS[0]}..{PAYMENT_GROUPS[-1]} (a contract may define others)"
    if spec.categories:
        return ", ".join(spec.categories)
    if spec.kind == "bool":
        return "true/false, yes/no, 1/0, Y/N"
    if spec.kind == "binary":
        return "0 or 1"
    if spec.kind in ("int", "float"):
        lo, hi = spec.minimum, spec.maximum
        if lo is not None and hi is not None:
            return f"{_bound(lo)} to {_bound(hi)}"
        if lo is not None:
            return f">= {_bound(lo)}"
        if hi is not None:
            return f"<= {_bound(hi)}"
        return "any number"
    if spec.kind == "id":
        return "any text, unique"
    return "any text"


def schema_markdown() -> str:
    """Render the caseload schema as a Markdown table (used in the README).

    Returns
    -------
    str
        One header row, one separator row and one row per column of
        :data:`~pbr_fairness.caseload.schema.COLUMNS`, newline-terminated.
    """
    lines = [
        "| column | type | required | allowed values | description |",
        "|---|---|---|---|---|",
    ]
    for spec in COLUMNS:
        required = "yes" if spec.required else "no"
        lines.append(
            f"| `{spec.name}` | {spec.kind} | {required} | {_allowed_text(spec)} "
            f"| {spec.description} |"
        )
    return "\n".join(lines) + "\n"
