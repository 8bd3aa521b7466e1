"""Aggregation of sweep results across seed replicates."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ID_COLUMNS", "VALUE_COLUMNS", "aggregate_seeds", "parameter_columns"]

#: Columns of a sweep's tidy output that are not parameters.
ID_COLUMNS: tuple[str, ...] = ("scenario_id", "design_id", "design_index", "seed_index")
VALUE_COLUMNS: tuple[str, ...] = ("breakdown", "group", "measure", "value", "lower", "upper")


def parameter_columns(frame: pd.DataFrame) -> list[str]:
    """Return the parameter columns of a sweep's tidy output, in order."""
    fixed = set(ID_COLUMNS) | set(VALUE_COLUMNS)
    return [c for c in frame.columns if c not in fixed]


def aggregate_seeds(frame: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Mean and intervals of every measure across seed replicates.

    Parameters
    ----------
    frame : pandas.DataFrame
        A sweep's tidy output (one row per scenario x breakdown x group x measure).
    level : float, default 0.95
        Coverage of the intervals.

    Returns
    -------
    pandas.DataFrame
        One row per design point x breakdown x group x measure with the parameters and
        ``n_seeds``, ``mean``, ``std`` (across seeds, ``ddof=1``), ``ci_lower``/``ci_upper``
        (Student-t interval of the mean; NaN with one seed) and ``lower``/``upper`` (the
        ``(1-level)/2`` and ``(1+level)/2`` quantiles of the seed values: where one run falls).

    Examples
    --------
    >>> f = pd.DataFrame({"scenario_id": ["a", "b"], "design_id": ["d", "d"],
    ...     "design_index": [0, 0], "seed_index": [0, 1], "x": [1.0, 1.0],
    ...     "breakdown": "overall", "group": "all", "measure": "m", "value": [1.0, 3.0],
    ...     "lower": np.nan, "upper": np.nan})
    >>> aggregate_seeds(f)[["mean", "n_seeds"]].to_dict("records")
    [{'mean': 2.0, 'n_seeds': 2}]
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if frame.empty:
        return pd.DataFrame()
    from scipy.special import stdtrit  # Student-t quantile; lighter than scipy.stats

    keys = ["design_id", "design_index", *parameter_columns(frame), "breakdown", "group", "measure"]
    g = frame.groupby(keys, sort=False, dropna=False, observed=True)["value"]
    alpha = 1.0 - level
    out = g.agg(n_seeds="count", mean="mean", std="std").reset_index()
    q = g.quantile([alpha / 2, 1 - alpha / 2]).unstack()
    q.columns = ["lower", "upper"]
    out = out.merge(q.reset_index(), on=keys, how="left")
    n = out["n_seeds"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        tcrit = np.where(n > 1, stdtrit(np.maximum(n - 1, 1), 1 - alpha / 2), np.nan)
        half = tcrit * out["std"].to_numpy() / np.sqrt(n)
    out["ci_lower"] = out["mean"] - half
    out["ci_upper"] = out["mean"] + half
    out["n_seeds"] = out["n_seeds"].astype("int64")
    cols = [*keys, "n_seeds", "mean", "std", "ci_lower", "ci_upper", "lower", "upper"]
    return (
        out[cols]
        .sort_values(["design_index", "breakdown", "group", "measure"])
        .reset_index(drop=True)
    )
