"""Group labels for disaggregated metrics: protected characteristics and payment groups.

``age_band`` is derived from ``age`` when a table has no ``age_band`` column; booleans
read ``"yes"``/``"no"``; missing values read ``"missing"`` (a group in its own right, so
nobody silently drops out of a fairness table).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pbr_fairness.caseload import schema
from pbr_fairness.errors import InputError, Problem

__all__ = ["MISSING_LABEL", "available_characteristics", "group_labels"]

MISSING_LABEL = "missing"


def available_characteristics(frame: pd.DataFrame, names: tuple[str, ...]) -> list[str]:
    """Return the characteristics of ``names`` that ``frame`` holds (``age_band`` via ``age``)."""
    out = []
    for name in names:
        if name in frame.columns or (name == "age_band" and "age" in frame.columns):
            out.append(name)
    return out


def group_labels(frame: pd.DataFrame, name: str) -> pd.Series:
    """Return each row's group under characteristic ``name`` as text.

    Parameters
    ----------
    frame : pandas.DataFrame
        People.
    name : str
        A column, or ``"age_band"`` (derived from ``age`` when absent).

    Returns
    -------
    pandas.Series of str
        Labels, ``"missing"`` where the value is missing.

    Raises
    ------
    InputError
        If the column is not in the table.

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [20, 40], "disability": [True, None]})
    >>> group_labels(frame, "age_band").tolist()
    ['16-24', '35-49']
    >>> group_labels(frame, "disability").tolist()
    ['yes', 'missing']
    """
    if name in frame.columns:
        col = frame[name]
    elif name == "age_band" and "age" in frame.columns:
        age = pd.to_numeric(frame["age"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        col = pd.Series(schema.age_band(age), index=frame.index)
    else:
        raise InputError([Problem("column is missing; cannot form groups", column=name)])
    if pd.api.types.is_bool_dtype(col.dtype) or (
        name in schema.FEATURE_COLUMNS and schema.column(name).kind == "bool"
    ):
        text = col.map({True: "yes", False: "no"}).astype("object")
        other = text.isna() & col.notna()
        text[other] = col[other].astype(str)
    else:
        text = col.astype("object").where(col.notna(), None)
        text = text.map(lambda v: v if v is None else str(v))
    return text.fillna(MISSING_LABEL).astype(str)
