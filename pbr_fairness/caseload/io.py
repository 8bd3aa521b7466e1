"""Read and write caseloads: CSV and Parquet, from paths or in-memory uploads.

:func:`read_table` reads a file as it is and raises :class:`~pbr_fairness.errors.InputError`
for problems with the file itself: missing, empty, wrong format (an Excel workbook or other
binary file named ``.csv``), wrong delimiter (semicolons or tabs), text that is not UTF-8
(naming the row and byte). CSV cells are read as text so that the validator can name the
exact value that is wrong. :func:`read_caseload` adds the column mapping, validation and the
conversion to the schema's types. Nothing is ever unpickled: Parquet goes through pyarrow,
CSV through pandas' C parser.

:func:`write_table` and :func:`write_caseload` write by extension (``.csv`` or
``.parquet``); CSV cells that a spreadsheet would run as formulas are neutralised.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Literal

import pandas as pd

from pbr_fairness.caseload.mapping import apply_mapping
from pbr_fairness.caseload.schema import COLUMNS
from pbr_fairness.caseload.validation import DEFAULT_REQUIRED, _inspect
from pbr_fairness.errors import InputError, Problem, show_value
from pbr_fairness.limits import check_table_file
from pbr_fairness.outputs import atomic_path
from pbr_fairness.safety import neutralise_formulas

__all__ = [
    "TableFormat",
    "read_caseload",
    "read_person_table",
    "read_table",
    "table_format",
    "write_caseload",
    "write_table",
]

logger = logging.getLogger(__name__)

TableFormat = Literal["csv", "parquet"]
Source = str | os.PathLike[str] | bytes | bytearray | memoryview | IO[bytes] | IO[str]

_CSV_EXTENSIONS = {".csv", ".txt"}
_PARQUET_EXTENSIONS = {".parquet", ".pq"}
_SNIFF_BYTES = 65536
_SAVE_AS_CSV = "save it as CSV (in Excel: File > Save As > 'CSV UTF-8 (Comma delimited)')"
_OTHER_FORMATS = {
    ".xlsx": f"an Excel workbook; {_SAVE_AS_CSV}",
    ".xlsm": f"an Excel workbook; {_SAVE_AS_CSV}",
    ".xls": f"an old Excel workbook; {_SAVE_AS_CSV}",
    ".ods": f"an OpenDocument spreadsheet; {_SAVE_AS_CSV}",
    ".json": "JSON; save the table as CSV or Parquet",
    ".pkl": "a Python pickle, which is never loaded (it can run code); save as CSV or Parquet",
    ".pickle": "a Python pickle, which is never loaded (it can run code); save as CSV or Parquet",
    ".feather": "Feather/Arrow; save the table as Parquet",
    ".dta": "a Stata file; save the table as CSV or Parquet",
    ".sav": "an SPSS file; save the table as CSV or Parquet",
}


def table_format(path: str | os.PathLike[str]) -> TableFormat:
    """Return the table format a file name asks for, by its extension.

    Parameters
    ----------
    path : str or path-like
        File name ending in ``.csv`` or ``.parquet`` (also ``.txt``, ``.pq``).

    Returns
    -------
    {"csv", "parquet"}

    Raises
    ------
    InputError
        For any other extension.
    """
    suffix = Path(path).suffix.lower()
    if suffix in _CSV_EXTENSIONS:
        return "csv"
    if suffix in _PARQUET_EXTENSIONS:
        return "parquet"
    raise InputError(
        [f"cannot tell the format from the extension {suffix or '(none)'!r}; use .csv or .parquet"],
        source=str(path),
    )


def _load_bytes(source: Source, name: str | None) -> tuple[bytes, str]:
    """Get the raw bytes of a source and a name to show in messages."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), name or "upload"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        label = name or str(path)
        if not path.exists():
            raise InputError([f"file not found: {path}"], source=label)
        if path.is_dir():
            raise InputError([f"{path} is a directory, not a file"], source=label)
        try:
            with path.open("rb") as fh:
                head = fh.read(4)
            check_table_file(path.stat().st_size, source=label, parquet=head == b"PAR1")
            return path.read_bytes(), label
        except PermissionError:
            raise InputError([f"no permission to read {path}"], source=label) from None
    if hasattr(source, "read"):
        label = name or str(getattr(source, "name", "upload"))
        if hasattr(source, "seek"):
            try:
                source.seek(0)
            except (OSError, ValueError):
                pass
        data = source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        return bytes(data), label
    raise TypeError(
        f"source must be a path, bytes or a file-like object, not {type(source).__name__}"
    )


def _sniff_binary(head: bytes) -> str | None:
    """Describe a binary format recognised from the first bytes, or None for text."""
    if head.startswith(b"PK\x03\x04"):
        return f"an Excel workbook or zip archive, not CSV; {_SAVE_AS_CSV}"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return f"an old Excel (.xls) or other Office file, not CSV; {_SAVE_AS_CSV}"
    if head[:1] == b"\x80" and head[1:2] in {bytes([v]) for v in range(2, 6)}:
        return "a Python pickle, which is never loaded (it can run code); save as CSV or Parquet"
    if head.startswith(b"\x1f\x8b"):
        return "gzip-compressed; decompress it first"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text; save it as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)')"
    if head.startswith(b"%PDF"):
        return "a PDF document, not a table"
    return None


_LEADING_BLANKS = re.compile(r"[\r\n]+")
_NON_BLANK = re.compile(r"[^\r\n]")
#: Largest part of a file parsed as CSV to name the row of a bad byte (beyond it: lines).
_ROW_SCAN_BYTES = 64 * 2**20


def _row_of(data: bytes, offset: int) -> int:
    """Return the data row (0 = the header) that holds byte ``offset``.

    Rows are CSV records, so a quoted value that spans lines counts once; blank lines are
    not rows (the reader skips them).
    """
    prefix = data[:offset]
    if prefix.startswith(b"\xef\xbb\xbf"):
        prefix = prefix[3:]
    if b'"' not in prefix or len(prefix) > _ROW_SCAN_BYTES:
        lines = prefix.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        return sum(1 for x in lines[:-1] if x.strip())
    text = prefix.decode("utf-8", errors="replace")
    records = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    complete = text.endswith(("\n", "\r")) or not text
    return len(records) if complete else len(records) - 1


def _nul_problem(data: bytes, label: str) -> InputError | None:
    """Return the problem of a NUL byte in a text file, naming where it is, or None."""
    at = data.find(b"\x00", 0, _SNIFF_BYTES)
    if at < 0:
        return None
    row = _row_of(data, at)
    where = "in the header" if row <= 0 else f"in row {row}"
    return InputError(
        [Problem(f"a NUL byte (0x00) at byte offset {at} ({where}): this is a binary file or a"
                 " damaged one, not CSV text", row=row if row > 0 else None)],
        source=label,
    )


def _decode(data: bytes, label: str) -> str:
    """Decode UTF-8 (with or without a byte-order mark), naming where it fails."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(data) - len(body))
        line = _row_of(data, offset)
        bad = data[offset : offset + 1].hex().upper()
        where = "in the header" if line <= 0 else f"in row {line}"
        raise InputError(
            [
                Problem(
                    f"not UTF-8 text: byte 0x{bad} at byte offset {offset} ({where}); "
                    "save the file as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)')",
                    row=line if line > 0 else None,
                )
            ],
            source=label,
        ) from None


def _check_delimiter(header: str, label: str) -> None:
    commas = header.count(",")
    for sep, word in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
        count = header.count(sep)
        if count and count > commas:
            raise InputError(
                [
                    f"the file looks {word}-separated (the header has {count} {word}s and "
                    f"{commas} commas); save it as comma-separated CSV (in Excel: "
                    "'CSV UTF-8 (Comma delimited)'; in LibreOffice tick 'Field delimiter: ,')"
                ],
                source=label,
            )


def _check_header(header: str, label: str) -> list[str]:
    """Check the header's names (none empty, none twice) and return them."""
    try:
        names = next(csv.reader([header]))
    except (csv.Error, StopIteration):  # pragma: no cover - csv.reader is lenient
        names = header.split(",")
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        name = raw.strip()
        if not name:
            problems.append(Problem(f"header cell {i} is empty: every column needs a name"))
        elif name in seen:
            problems.append(
                Problem(
                    f"column name appears twice in the header (positions {seen[name]} and {i})",
                    column=name,
                )
            )
        else:
            seen[name] = i
    if problems:
        raise InputError(problems, source=label)
    return [n.strip() for n in names]


def _parse_error(text: str, label: str) -> InputError:
    """Name the line a CSV parse fails at, using pandas' parser, which reports it."""
    try:
        pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, engine="c")
    except (pd.errors.ParserError, ValueError) as exc:
        message = str(exc).strip()
        match = re.search(r"line (\d+)", message)
        row = int(match.group(1)) - 1 if match else None
        return InputError([Problem(f"cannot read as CSV: {message}", row=row)], source=label)
    return InputError(["cannot read as CSV"], source=label)  # pragma: no cover


def _read_csv_text(data: bytes, text: str, label: str) -> pd.DataFrame:
    """Parse CSV (already checked to be UTF-8) into a frame of text cells."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if not text or text.isspace():
        raise InputError(["the file is empty"], source=label)
    body: bytes | memoryview = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if "\n" not in text and "\r" in text:  # classic Mac line endings (CR only)
        text = text.replace("\r", "\n")
        body = text.encode("utf-8")
    # Blank lines before the header are skipped (however many there are).
    blank = _LEADING_BLANKS.match(text)
    start = blank.end() if blank else 0
    end = text.find("\n", start)
    header = text[start : end if end >= 0 else len(text)].rstrip("\r")
    _check_delimiter(header, label)
    names = _check_header(header, label)
    keys = [f"c{i}" for i in range(len(names))]
    if end < 0 or not _NON_BLANK.search(text, end + 1):  # a header and no rows
        return pa.table({k: pa.array([], pa.string()) for k in keys}).to_pandas().set_axis(
            names, axis=1)
    body = memoryview(body)[start:]
    try:
        # pyarrow's reader is several times faster than pandas' on large files; every cell
        # is read as text so that the validator sees exactly what the file holds.
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pacsv.ReadOptions(column_names=keys, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(keys, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise _parse_error(text, label) from None
    frame = table.to_pandas()
    frame.columns = names
    return frame


def _read_parquet_bytes(data: bytes, label: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError([f"not a readable Parquet file: {exc}"], source=label) from None
    nested = [f.name for f in table.schema if pa.types.is_nested(f.type)]
    if nested:
        raise InputError(
            [Problem(f"holds lists or records ({table.schema.field(c).type}); every caseload"
                     " column must hold one value per person", column=c) for c in nested],
            source=label,
        )
    frame = table.to_pandas()
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index(drop=True)
    return frame


def read_table(
    source: Source | pd.DataFrame, *, name: str | None = None, format: TableFormat | None = None
) -> pd.DataFrame:
    """Read a CSV or Parquet table as it is, checking only the file itself.

    The format comes from ``format``, else the extension of the path or ``name``, else
    the first bytes (Parquet files start with ``PAR1``). CSV cells are read as text.

    Parameters
    ----------
    source : path, bytes, file-like or DataFrame
        The table. Uploads (bytes or file-like objects) use ``name`` for their format and
        in messages. A DataFrame is returned unchanged.
    name : str, optional
        File name of an upload, e.g. ``"caseload.csv"``.
    format : {"csv", "parquet"}, optional
        Force a format.

    Returns
    -------
    pandas.DataFrame
        The table with its original column names (CSV: every cell as text).

    Raises
    ------
    InputError
        When the file is missing, empty, not UTF-8, in another format (e.g. Excel), has
        another delimiter than commas, repeats a column name or cannot be parsed.
    """
    if isinstance(source, pd.DataFrame):
        return source
    data, label = _load_bytes(source, name)
    if not data:
        raise InputError(["the file is empty (0 bytes)"], source=label)
    suffix = Path(name or label).suffix.lower()
    if suffix in _OTHER_FORMATS and format is None and not data.startswith(b"PAR1"):
        raise InputError([f"this is {_OTHER_FORMATS[suffix]}"], source=label)
    head = data[:_SNIFF_BYTES]
    if format is None:
        if head.startswith(b"PAR1"):
            format = "parquet"
            if suffix in _CSV_EXTENSIONS:
                logger.warning("%s: named %s but holds Parquet; read as Parquet", label, suffix)
        elif suffix in _PARQUET_EXTENSIONS:
            raise InputError(
                ["named .parquet but is not a Parquet file (it does not start with 'PAR1')"],
                source=label,
            )
        else:
            format = "csv"
    if format == "parquet":
        return _read_parquet_bytes(data, label)
    binary = _sniff_binary(head)
    if binary:
        raise InputError([f"this is {binary}"], source=label)
    nul = _nul_problem(data, label)
    if nul is not None:
        raise nul
    return _read_csv_text(data, _decode(data, label), label)


def read_caseload(
    source: Source | pd.DataFrame,
    *,
    mapping: Mapping[str, str] | None = None,
    payment_groups: Sequence[str] | None = None,
    required: Iterable[str] = DEFAULT_REQUIRED,
    validate: bool = True,
    name: str | None = None,
) -> pd.DataFrame:
    r"""Read a caseload from CSV or Parquet, map its columns, validate it and type it.

    Parameters
    ----------
    source : path, bytes, file-like or DataFrame
        The caseload file or an in-memory upload (give ``name`` so that its format and
        messages are right).
    mapping : mapping of str to str, optional
        ``{source column: schema column}`` renames applied first (see
        :mod:`pbr_fairness.caseload.mapping`).
    payment_groups : sequence of str, optional
        Payment groups the contract defines (default: PG1..PG9).
    required : iterable of str, default ("person_id", "payment_group")
        Columns that must be present and complete.
    validate : bool, default True
        Raise :class:`~pbr_fairness.errors.InputError` listing every problem. When False,
        values that are not valid become missing instead.
    name : str, optional
        File name of an upload.

    Returns
    -------
    pandas.DataFrame
        The caseload with schema columns converted to the schema's types (see
        :func:`~pbr_fairness.caseload.validation.schema_dtype`); other columns unchanged.

    Raises
    ------
    InputError
        For problems with the file, the mapping or (when ``validate``) the values.

    Examples
    --------
    >>> frame = read_caseload(b"person_id,payment_group,age\nA1,PG1,19\n", name="x.csv")
    >>> frame.dtypes["age"], frame.loc[0, "payment_group"]
    (dtype('int64'), 'PG1')
    """
    if isinstance(payment_groups, str) or (
        payment_groups is not None and not all(isinstance(g, str) for g in payment_groups)
    ):
        raise InputError([Problem(
            f"payment_groups must be a list of group names such as ['PG1', 'PG2'], not"
            f" {show_value(payment_groups)}", column="payment_groups")])
    raw = read_table(source, name=name)
    label = name or (str(source) if isinstance(source, str | os.PathLike) else "caseload")
    try:
        raw = apply_mapping(raw, mapping)
    except InputError as exc:
        raise InputError(exc.problems, source=f"{label} (column mapping)") from None
    typed, problems = _inspect(
        raw,
        payment_groups=payment_groups,
        required=required if validate else (),
        max_per_column=100 if validate else 0,
    )
    if validate and problems:
        raise InputError(problems, source=label)
    return typed


def read_person_table(
    source: Source | pd.DataFrame,
    *,
    mapping: Mapping[str, str] | None = None,
    payment_groups: Sequence[str] | None = None,
    name: str | None = None,
) -> pd.DataFrame:
    r"""Read any person-level table with the same checks as :func:`read_caseload`.

    For the distance model on a user's own table (``train --target``, ``predict``): no column
    is required, a mapping may name any column, the schema's columns the table holds are
    checked (every problem at once, as ``validate`` reports them) and typed, and other columns
    whose every cell is a number (or blank) become numbers.

    Parameters
    ----------
    source : path, bytes, file-like or DataFrame
        The table.
    mapping : mapping of str to str, optional
        ``{source column: new name}`` renames applied first.
    payment_groups : sequence of str, optional
        Payment groups allowed (default PG1..PG9).
    name : str, optional
        File name of an upload.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputError
        For problems with the file, the mapping or the schema columns' values.

    Examples
    --------
    >>> t = read_person_table(b"age,educ\n30,12\n41,\n", name="x.csv")
    >>> t.dtypes["age"], t["educ"].tolist()
    (dtype('int64'), [12.0, nan])
    """
    raw = read_table(source, name=name)
    label = name or (str(source) if isinstance(source, str | os.PathLike) else "table")
    if mapping:
        targets = tuple(dict.fromkeys([*(c.name for c in COLUMNS), *mapping.values()]))
        try:
            raw = apply_mapping(raw, mapping, targets=targets)
        except InputError as exc:
            raise InputError(exc.problems, source=f"{label} (column mapping)") from None
    typed, problems = _inspect(raw, payment_groups=payment_groups, required=(),
                               max_per_column=100)
    if problems:
        raise InputError(problems, source=label)
    schema = {c.name for c in COLUMNS}
    typed = typed.copy()
    for col in typed.columns:
        if col in schema:
            continue
        series = typed[col]
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
            series.dtype
        ):
            continue
        text = series.astype("string").str.strip()
        blank = text.isna() | (text == "")
        numbers = pd.to_numeric(text.where(~blank, None), errors="coerce")
        if (numbers.notna() | blank.fillna(True)).all() and numbers.notna().any():
            typed[col] = numbers.astype(float)
    return typed


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table as CSV or Parquet, chosen by the extension of ``path``.

    CSV cells that a spreadsheet would run as formulas are neutralised
    (:func:`~pbr_fairness.safety.neutralise_formulas`). Parent folders are created.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    path : str or path-like
        Destination ending in ``.csv`` or ``.parquet``.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        For an extension other than ``.csv``/``.txt``/``.parquet``/``.pq``.
    """
    path = Path(path)
    fmt = table_format(path)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            neutralise_formulas(frame).to_csv(tmp, index=False, lineterminator="\n")
        else:
            frame.to_parquet(tmp, index=False)
    logger.info("wrote %d rows to %s", len(frame), path)
    return path


def write_caseload(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a caseload as CSV or Parquet, schema columns first in schema order.

    Parameters
    ----------
    frame : pandas.DataFrame
        The caseload.
    path : str or path-like
        Destination ending in ``.csv`` or ``.parquet``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    schema = [c.name for c in COLUMNS if c.name in frame.columns]
    rest = [c for c in frame.columns if c not in set(schema)]
    return write_table(frame[schema + rest], path)
