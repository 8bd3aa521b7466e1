"""Safety of what the product writes out: spreadsheet formulas, HTML and file names.

People's data and user-supplied text end up in CSV downloads, HTML reports and file names.
Three small functions make that safe:

- :func:`neutralise_formulas` stops a spreadsheet from running text cells as formulas
  ("CSV injection"): text starting with ``= + - @``, a tab or a carriage return gets a
  leading apostrophe. Numbers stored as numbers (including negative ones) are left alone.
- :func:`escape_html` escapes text for HTML, quotes included.
- :func:`safe_filename` turns any text into a harmless file name with no directory part.
"""

from __future__ import annotations

import html
import re
import unicodedata

import pandas as pd

__all__ = ["FORMULA_PREFIXES", "escape_html", "neutralise_formulas", "safe_filename"]

#: Characters that make a spreadsheet treat a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
# A plain number written as text ("-3", "+4.5", "-1e-3") is not a formula: leave it alone.
_PLAIN_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}


def _neutralise_text(value: str) -> str:
    if _FORMULA_START.match(value) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _neutralise_series(series: pd.Series) -> pd.Series:
    """Neutralise the text cells of one column; other values pass through unchanged."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories
        if cats.dtype.kind not in "OUT" and not pd.api.types.is_string_dtype(cats.dtype):
            return series
        new = [_neutralise_text(c) if isinstance(c, str) else c for c in cats]
        if list(new) == list(cats):
            return series
        # Categories stay unique: a prefixed value cannot equal an unprefixed one that
        # itself needs no prefix.
        return series.cat.rename_categories(new)
    if not (pd.api.types.is_object_dtype(series.dtype) or pd.api.types.is_string_dtype(series)):
        return series  # numbers, booleans and dates cannot hold formulas
    # ``.str`` methods give NA for non-text cells of an object column.
    starts = series.str.match(_FORMULA_START.pattern).fillna(False).astype(bool)
    if not starts.any():
        return series
    plain = series.str.match(_PLAIN_NUMBER.pattern).fillna(False).astype(bool)
    mask = starts & ~plain
    if not mask.any():
        return series
    out = series.astype(object)
    out[mask] = "'" + series[mask].astype(str)
    return out.astype(series.dtype) if pd.api.types.is_string_dtype(series.dtype) else out


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` that a spreadsheet cannot run as formulas.

    Every text cell (and column name) starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading apostrophe, so spreadsheet programs show it as text.
    Numeric columns are never changed, and neither is text that is a plain number such as
    ``"-3"`` or ``"+4.5"``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table about to be written to CSV.

    Returns
    -------
    pandas.DataFrame
        A new frame; ``frame`` itself is not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"note": ["=1+2", "ok", "-3"], "x": [-1.5, 2.0, 3.0]})
    >>> neutralise_formulas(df)["note"].tolist()
    ["'=1+2", 'ok', '-3']
    >>> neutralise_formulas(df)["x"].tolist()
    [-1.5, 2.0, 3.0]
    """
    out = frame.copy()
    for name in out.columns:
        out[name] = _neutralise_series(out[name])
    out.columns = [_neutralise_text(c) if isinstance(c, str) else c for c in out.columns]
    return out


def escape_html(text: object) -> str:
    """Escape text for safe inclusion in HTML, quotes included.

    Parameters
    ----------
    text : object
        Any value; it is converted with ``str`` first (``None`` becomes ``""``).

    Returns
    -------
    str
        The escaped text.

    Examples
    --------
    >>> escape_html('<b onclick="x">Tom & Jerry</b>')
    '&lt;b onclick=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/b&gt;'
    """
    return "" if text is None else html.escape(str(text), quote=True)


def safe_filename(name: object, *, default: str = "download", max_length: int = 100) -> str:
    """Turn any text into a safe file name with no directory part.

    Accents are folded to ASCII, anything other than letters, digits, ``.``, ``_`` and
    ``-`` becomes ``_``, leading dots and dashes are removed (no hidden files, no options),
    Windows' reserved device names get a prefix, and the result is at most ``max_length``
    characters long, keeping the extension.

    Parameters
    ----------
    name : object
        Proposed name, e.g. a contract name typed by a user or an uploaded file's name.
    default : str, default "download"
        Name returned when nothing usable is left.
    max_length : int, default 100
        Maximum length of the result.

    Returns
    -------
    str
        A file name safe on Linux, macOS and Windows.

    Examples
    --------
    >>> safe_filename("../../etc/passwd")
    'passwd'
    >>> safe_filename("Contract: fairer (v2).csv")
    'Contract_fairer_v2_.csv'
    """
    text = "" if name is None else str(name)
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = _UNSAFE_FILENAME_CHARS.sub("_", text)
    text = re.sub(r"_+", "_", text).lstrip(".-_ ")
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    if stem.lower() in _WINDOWS_RESERVED or text.lower() in _WINDOWS_RESERVED:
        text = "_" + text
    if len(text) > max_length:
        ext_part = ("." + ext)[: max(0, max_length // 4)] if dot else ""
        text = text[: max_length - len(ext_part)] + ext_part
    text = text.rstrip(". ")
    return text or default
