"""Outcome gaps by protected characteristic within each provider, observed against expected.

Built on fairlearn's :class:`~fairlearn.metrics.MetricFrame`: for every characteristic (sex,
age band, disability, ethnicity) the metrics are disaggregated by the characteristic with the
provider as a control feature, and once more over the whole caseload. For each cell:

* ``observed_rate`` with its exact (Clopper-Pearson) interval and ``expected_rate`` (mean of the
  case-mix probabilities);
* ``difference`` = observed minus expected rate, with the interval of the observed rate shifted
  by the expected rate (the model's expectation is a fixed benchmark);
* ``p_below``: one-sided p-value that outcomes are below expected, from
  ``z = (O - E) / sqrt(sum p (1 - p))`` (the variance of ``O`` if the model is right);
* ``gap``: the cell's observed-minus-expected difference less the provider's overall one,
  so that a provider whose outcomes are low for everyone does not show a group gap.

The p-values of all cells are adjusted together (Holm or Benjamini-Hochberg).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from scipy import stats

from pbr_fairness.audit.disclosure import suppress_grid
from pbr_fairness.audit.multiple import adjust_pvalues
from pbr_fairness.audit.statistics import clopper_pearson
from pbr_fairness.caseload.schema import (
    AGE_BANDS,
    ETHNICITIES,
    PROTECTED_CHARACTERISTICS,
    SEXES,
    age_band,
)

__all__ = ["ALL_PROVIDERS", "characteristic_columns", "outcome_gaps"]

#: Label of the rows that cover the whole caseload.
ALL_PROVIDERS = "All providers"
#: Label of missing values of a characteristic.
UNKNOWN = "unknown"
#: Groups of each characteristic, all of them published (with "unknown") whatever the data
#: hold, so that a table's rows never say which groups a small provider's people are in.
CHARACTERISTIC_GROUPS: dict[str, tuple[str, ...]] = {
    "sex": SEXES,
    "age_band": AGE_BANDS,
    "disability": ("no", "yes"),
    "ethnicity": ETHNICITIES,
}
_SEP = "\x1f"


def _sums(y_true, y_pred, count, variance):
    """Return people, observed, expected and variance summed over a group's cells."""
    return (float(np.sum(count)), float(np.sum(y_true)), float(np.sum(y_pred)),
            float(np.sum(variance)))


_FIELDS = ("n", "observed", "expected", "variance")


def _metric_frame(cells: pd.DataFrame, control: bool) -> pd.DataFrame:
    """Disaggregate pre-summed cells with fairlearn's MetricFrame.

    Each row of ``cells`` already sums the people of one (provider, group) cell, so the
    metric adds up the sums: the same numbers as MetricFrame on person-level rows, without
    its per-row overhead on large caseloads. One metric returns the four sums together, so
    that MetricFrame calls it once per group.
    """
    mf = MetricFrame(
        metrics={"sums": _sums},
        y_true=cells["observed"].to_numpy(dtype=float),
        y_pred=cells["expected"].to_numpy(dtype=float),
        sensitive_features=cells["group"].rename("group"),
        control_features=cells["provider_id"].rename("provider_id") if control else None,
        sample_params={
            "sums": {
                "count": cells["n"].to_numpy(dtype=float),
                "variance": cells["variance"].to_numpy(dtype=float),
            }
        },
    )
    by = mf.by_group.dropna()
    values = np.array(by["sums"].tolist(), dtype=float).reshape(-1, 4)
    out = by.index.to_frame(index=False)
    for i, name in enumerate(_FIELDS):
        out[name] = values[:, i]
    return out


def characteristic_columns(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Return the protected characteristics present in a caseload, as string series.

    ``age_band`` is derived from ``age`` when only the latter is present; missing values
    become ``"unknown"``.
    """
    out: dict[str, pd.Series] = {}
    for name in PROTECTED_CHARACTERISTICS:
        if name in frame.columns:
            col = frame[name]
        elif name == "age_band" and "age" in frame.columns:
            col = pd.Series(age_band(frame["age"].to_numpy(dtype=float)), index=frame.index)
        else:
            continue
        if name == "disability":
            col = col.map({True: "yes", False: "no"})
        out[name] = col.astype("string").fillna(UNKNOWN).astype(str)
    return out


def _groups(name: str, values: pd.Series) -> list[str]:
    """Every group of a characteristic: the schema's, "unknown", then any others seen."""
    known = [*CHARACTERISTIC_GROUPS.get(name, ()), UNKNOWN]
    return known + sorted(set(values.unique()) - set(known))


def outcome_gaps(
    frame: pd.DataFrame,
    observed: np.ndarray,
    expected: np.ndarray,
    *,
    alpha: float = 0.05,
    correction: str = "holm",
    min_cell: int = 10,
    hidden_providers: tuple[str, ...] | list[str] = (),
    providers: tuple[str, ...] | list[str] | None = None,
) -> pd.DataFrame:
    """Observed-minus-expected outcome rates by characteristic, within each provider.

    Parameters
    ----------
    frame : pandas.DataFrame
        The caseload (``provider_id`` and the characteristics).
    observed : numpy.ndarray
        Job outcomes (0/1).
    expected : numpy.ndarray
        Case-mix expected probabilities.
    alpha : float, default 0.05
        Level for the intervals and the flags.
    correction : {"holm", "bh", "none"}, default "holm"
        Multiple-comparison correction across every cell.
    min_cell : int, default 10
        Cells with fewer people are suppressed (with secondary suppression across the
        provider x category table and its totals).
    hidden_providers : sequence of str, default ()
        Providers suppressed in the provider table: all their cells are suppressed too
        (there are always at least two, so the category totals stay protected).
    providers : sequence of str, optional
        Every provider, in the order of the rows (default: the providers of ``frame``,
        sorted). The table is a full grid: every provider with every group of every
        characteristic, empty cells holding ``n = 0``.

    Returns
    -------
    pandas.DataFrame
        Long table: ``characteristic, provider_id, group, n, observed_rate,
        observed_ci_low, observed_ci_high, expected_rate, difference, difference_ci_low,
        difference_ci_high, gap, p_below, p_below_adjusted, below_expected, suppressed``.
    """
    y = np.asarray(observed, dtype=float)
    p = np.asarray(expected, dtype=float)
    provider = frame["provider_id"].astype(str).to_numpy()
    # Provider-level observed-minus-expected, to express group gaps relative to it.
    prov = pd.DataFrame({"provider_id": provider, "y": y, "p": p}).groupby("provider_id")
    overall = (prov["y"].mean() - prov["p"].mean()).to_dict()
    overall[ALL_PROVIDERS] = float(y.mean() - p.mean())
    rows = sorted(set(provider)) if providers is None else [str(p) for p in providers]
    cell_parts = []
    group_lists: dict[str, list[str]] = {}
    for name, col in characteristic_columns(frame).items():
        group_lists[name] = _groups(name, col)
        cells = (
            pd.DataFrame({"provider_id": provider, "group": col.to_numpy(), "y": y, "p": p,
                          "v": p * (1 - p)})
            .groupby(["provider_id", "group"], sort=True)
            .agg(n=("y", "size"), observed=("y", "sum"), expected=("p", "sum"),
                 variance=("v", "sum"))
            .reset_index()
        )
        cells.insert(0, "characteristic", name)
        cell_parts.append(cells)
    parts = []
    if cell_parts:
        cells = pd.concat(cell_parts, ignore_index=True)
        totals = (
            cells.groupby(["characteristic", "group"], sort=False)[
                ["n", "observed", "expected", "variance"]].sum().reset_index()
        )
        totals.insert(1, "provider_id", ALL_PROVIDERS)
        both = pd.concat([cells, totals], ignore_index=True)
        # One MetricFrame over every characteristic: the sensitive feature is the pair
        # (characteristic, group) joined into one label, the provider is the control feature.
        both["group"] = both["characteristic"] + _SEP + both["group"].astype(str)
        result = _metric_frame(both, control=True)
        split = result["group"].str.split(_SEP, n=1, expand=True, regex=False)
        result["characteristic"], result["group"] = split[0], split[1]
        result = result[result["n"] > 0]
    for name in [c["characteristic"].iloc[0] for c in cell_parts]:
        found = result[result["characteristic"] == name].drop(columns="characteristic")
        full = pd.MultiIndex.from_product([[*rows, ALL_PROVIDERS], group_lists[name]],
                                          names=["provider_id", "group"])
        table = found.set_index(["provider_id", "group"]).reindex(full, fill_value=0.0)
        table = table.reset_index()
        within = table[table["provider_id"] != ALL_PROVIDERS]
        # Disclosure control: provider x group counts with provider totals and the
        # all-provider row as the column totals; outcome counts 0/1 or n-0/n-1 protected.
        sup = suppress_grid(within, row="provider_id", column="group",
                            attributes=("observed",), min_cell=min_cell,
                            hidden_rows=list(hidden_providers))
        is_total = (table["provider_id"] == ALL_PROVIDERS).to_numpy()
        mask = np.zeros(len(table), dtype=bool)
        mask[~is_total] = sup.mask
        mask[is_total] = [sup.column_total_hidden(g) for g in table.loc[is_total, "group"]]
        table["suppressed"] = mask | table["provider_id"].isin(list(hidden_providers)).to_numpy()
        table.insert(0, "characteristic", name)
        parts.append(table)
    if not parts:
        return pd.DataFrame(
            columns=[
                "characteristic", "provider_id", "group", "n", "observed_rate",
                "observed_ci_low", "observed_ci_high", "expected_rate", "difference",
                "difference_ci_low", "difference_ci_high", "gap", "p_below",
                "p_below_adjusted", "below_expected", "suppressed",
            ]
        )
    t = pd.concat(parts, ignore_index=True)
    n = t["n"].to_numpy(dtype=float)
    o = t["observed"].to_numpy(dtype=float)
    e = t["expected"].to_numpy(dtype=float)
    lo, hi = clopper_pearson(o, n, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate, exp_rate = o / n, e / n
    var = t["variance"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (o - e) / np.sqrt(var), np.nan)
    p_below = stats.norm.cdf(z)
    p_below = np.where(t["suppressed"].to_numpy(), np.nan, p_below)
    adjusted = adjust_pvalues(p_below, correction)  # type: ignore[arg-type]
    out = pd.DataFrame(
        {
            "characteristic": t["characteristic"].astype(str),
            "provider_id": t["provider_id"].astype(str),
            "group": t["group"].astype(str),
            "n": n,
            "observed_rate": rate,
            "observed_ci_low": lo,
            "observed_ci_high": hi,
            "expected_rate": exp_rate,
            "difference": rate - exp_rate,
            "difference_ci_low": lo - exp_rate,
            "difference_ci_high": hi - exp_rate,
            "gap": rate - exp_rate - t["provider_id"].map(overall).to_numpy(dtype=float),
            "p_below": p_below,
            "p_below_adjusted": adjusted,
            "below_expected": np.nan_to_num(adjusted, nan=1.0) <= alpha,
            "suppressed": t["suppressed"].to_numpy(dtype=bool),
        }
    )
    stat_cols = [c for c in out.columns if c not in ("characteristic", "provider_id", "group")]
    stat_cols.remove("suppressed")
    out["n"] = out["n"].astype("Float64")
    out["below_expected"] = out["below_expected"].astype("boolean")
    for c in stat_cols:
        out.loc[out["suppressed"], c] = None
    out["n"] = out["n"].astype("Int64")
    return out
