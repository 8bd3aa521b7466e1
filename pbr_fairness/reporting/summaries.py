"""Result summaries: headline figures, comparisons of contracts, hours by decile, CSV.

The functions accept any simulation result with ``overall`` (a mapping of measure to value),
``persons`` (a frame with ``hours`` and ``planner_hours``), ``to_frame()`` (tidy: ``breakdown``,
``group``, ``measure``, ``value``) and ``provenance`` (a mapping), as
:class:`pbr_fairness.simulation.SimulationResult` provides. Labels, units and formats come
from :mod:`pbr_fairness.labels`.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pbr_fairness.labels import (
    breakdown_label,
    category_label,
    format_change,
    format_value,
    heading,
    measure,
)
from pbr_fairness.safety import neutralise_formulas

__all__ = [
    "HEADLINE_MEASURES",
    "SLIM_COLUMNS",
    "Headline",
    "before_after_display",
    "comparison_display",
    "comparison_frame",
    "comparison_table",
    "group_display",
    "headlines",
    "hours_by_decile",
    "results_csv",
    "slim_result",
]

#: Headline measures of the designer, in the order of its cards.
HEADLINE_MEASURES: tuple[str, ...] = (
    "job_outcome_rate",
    "additional_jobs",
    "cost_per_additional_job",
    "parked_share",
    "government_spend",
)

#: Person-level columns the designer's charts and report need.
SLIM_COLUMNS: tuple[str, ...] = ("payment_group", "p0", "hours", "planner_hours", "parked")


def hours_by_decile(
    persons: pd.DataFrame,
    *,
    by: str | None = None,
    n_deciles: int = 10,
) -> pd.DataFrame:
    """Mean provider and planner hours per person by decile of distance from work.

    Parameters
    ----------
    persons : pandas.DataFrame
        Person-level results with ``hours``, ``planner_hours`` and the ranking column.
    by : str, optional
        Column of the chance of a job without support to rank by (default: the first of
        ``p0``, ``true_p0``, ``predicted`` present).
    n_deciles : int, default 10
        Number of quantile groups.

    Returns
    -------
    pandas.DataFrame
        ``decile`` (1 = lowest chance, furthest from work), ``n``, ``provider_hours``,
        ``planner_hours``.

    Examples
    --------
    >>> persons = pd.DataFrame({"p0": [0.1, 0.2, 0.3, 0.4], "hours": [1.0, 2, 3, 4],
    ...                         "planner_hours": [4.0, 3, 2, 1]})
    >>> hours_by_decile(persons, n_deciles=2)["provider_hours"].tolist()
    [1.5, 3.5]
    """
    if by is None:
        by = next((c for c in ("p0", "true_p0", "predicted") if c in persons.columns), None)
        if by is None:
            raise ValueError("persons has no p0, true_p0 or predicted column to rank by")
    p = persons[by].to_numpy(dtype=float)
    n = p.size
    ranks = np.argsort(np.argsort(p, kind="stable"), kind="stable")
    decile = (ranks * n_deciles // max(n, 1)) + 1
    hours = persons["hours"].to_numpy(dtype=float)
    planner = persons["planner_hours"].to_numpy(dtype=float)
    counts = np.bincount(decile, minlength=n_deciles + 1)[1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        prov = np.bincount(decile, weights=hours, minlength=n_deciles + 1)[1:] / counts
        plan = np.bincount(decile, weights=planner, minlength=n_deciles + 1)[1:] / counts
    return pd.DataFrame(
        {
            "decile": np.arange(1, n_deciles + 1),
            "n": counts,
            "provider_hours": prov,
            "planner_hours": plan,
        }
    )


def slim_result(result: Any, columns: Sequence[str] = SLIM_COLUMNS) -> Any:
    """Return a copy of a simulation result keeping only a few person-level columns.

    The copy still has every measure (``overall``, ``to_frame()``, ``summary()``) and the
    provenance, but is far smaller to keep in a cache or to send between processes.

    Parameters
    ----------
    result : pbr_fairness.simulation.SimulationResult
        A full result.
    columns : sequence of str, optional
        Person-level columns to keep (those missing are skipped).

    Returns
    -------
    pbr_fairness.simulation.SimulationResult
    """
    keep = [c for c in columns if c in result.persons.columns]
    changes: dict[str, Any] = {"persons": result.persons[keep].copy()}
    names = {f.name for f in dataclasses.fields(result)}
    if "_gap_inputs" in names:
        changes["_gap_inputs"] = None
    return dataclasses.replace(result, **changes)


@dataclass(frozen=True)
class Headline:
    """One headline figure of a simulation, with its change against a baseline.

    Attributes
    ----------
    measure : str
        Measure key.
    label : str
        Label in words (from :mod:`pbr_fairness.labels`).
    value : float
        The figure.
    delta : float or None
        Value minus the baseline's (``None`` without a baseline).
    lower_is_better : bool
        Whether a fall is an improvement (for colouring the change).
    """

    measure: str
    label: str
    value: float
    delta: float | None
    lower_is_better: bool

    @property
    def text(self) -> str:
        """The figure formatted for a card (pounds in ``£6.0m`` form)."""
        return format_value(self.measure, self.value, compact=True)

    @property
    def change(self) -> str | None:
        """The change formatted (``"-8.1 points"``), or ``None`` when there is none."""
        if self.delta is None or abs(self.delta) <= 1e-12 * max(1.0, abs(self.value)):
            return None
        return format_change(self.measure, self.delta)


def headlines(result: Any, baseline: Any | None = None) -> list[Headline]:
    """Return the designer's headline figures, with changes against ``baseline``.

    Parameters
    ----------
    result : SimulationResult
    baseline : SimulationResult, optional

    Returns
    -------
    list of Headline
        One per :data:`HEADLINE_MEASURES`.
    """
    out = []
    for key in HEADLINE_MEASURES:
        m = measure(key)
        value = float(result.overall[key])
        delta = None if baseline is None else value - float(baseline.overall[key])
        out.append(Headline(key, m.label, value, delta, bool(m.lower_is_better)))
    return out


def comparison_table(results: Mapping[str, Any]) -> pd.DataFrame:
    """Overall measures of several contracts side by side (numbers; one column each).

    Returns
    -------
    pandas.DataFrame
        Index: measure keys (named ``measure``); columns: the results' names.
    """
    measures = list(dict.fromkeys(m for r in results.values() for m in r.overall))
    return pd.DataFrame(
        {name: [float(r.overall.get(m, np.nan)) for m in measures] for name, r in results.items()},
        index=pd.Index(measures, name="measure"),
    )


def comparison_display(
    results: Mapping[str, Any],
    *,
    reference: str | None = None,
    measures: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Overall measures side by side for people, with the change of each against one.

    Parameters
    ----------
    results : mapping of str to SimulationResult
        Results by name, in column order.
    reference : str, optional
        The result the changes are against (default: the first).
    measures : sequence of str, optional
        Measures (rows) to show, in order (default: every measure of the results).

    Returns
    -------
    pandas.DataFrame
        Strings: ``Measure`` (label with unit), one column per result, and one
        ``Change: <name>`` column per other result (shares in points).
    """
    table = comparison_table(results)
    if measures is not None:
        table = table.reindex([m for m in measures if m in table.index])
    names = list(results)
    ref = reference if reference in results else names[0]
    out: dict[str, list[str]] = {"Measure": [heading(m) for m in table.index]}
    for name in names:
        out[name] = [format_value(m, v) for m, v in table[name].items()]
    for name in names:
        if name == ref:
            continue
        out[f"Change: {name}"] = [
            format_change(m, table.at[m, name] - table.at[m, ref], compact=False) or "no change"
            for m in table.index
        ]
    return pd.DataFrame(out, dtype=object)


def group_display(
    frame: pd.DataFrame,
    *,
    breakdown: str,
    measures: Sequence[str],
    contract: str | None = None,
) -> pd.DataFrame:
    """One breakdown of a tidy result as a table for people: one row per group.

    Parameters
    ----------
    frame : pandas.DataFrame
        A tidy table (``breakdown, group, measure, value``; optionally ``contract``).
    breakdown : str
        The breakdown (``"payment_group"``, ``"decile_true_p0"``, ...).
    measures : sequence of str
        Measures (columns) to show, in order.
    contract : str, optional
        Keep only this contract's rows.

    Returns
    -------
    pandas.DataFrame
        Strings: the group in words (payment groups with names, deciles with direction),
        then one formatted column per measure, headed by its label and unit.
    """
    rows = frame[frame["breakdown"] == breakdown]
    if contract is not None and "contract" in rows.columns:
        rows = rows[rows["contract"] == contract]
    wide = rows.pivot_table(index="group", columns="measure", values="value", sort=False)
    order = list(dict.fromkeys(rows["group"]))
    wide = wide.reindex(index=order)
    out: dict[str, list[str]] = {
        breakdown_label(breakdown): [category_label(breakdown, g) for g in wide.index]
    }
    for m in measures:
        if m in wide.columns:
            out[heading(m)] = [format_value(m, v) for v in wide[m].tolist()]
    return pd.DataFrame(out, dtype=object)


def comparison_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """Tidy tables of several results stacked, with a ``contract`` column."""
    parts = []
    for name, r in results.items():
        f = r.to_frame().copy()
        f.insert(0, "contract", name)
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


def results_csv(results: Mapping[str, Any]) -> bytes:
    """Return the tidy results of one or more contracts as CSV bytes, formulas neutralised.

    Each row also carries the measure's ``label`` and ``unit`` (from
    :mod:`pbr_fairness.labels`), so that the file reads without this library.
    """
    frame = comparison_frame(results)
    keys = frame["measure"].astype(str)
    frame["label"] = keys.map(lambda k: measure(k).label)
    frame["unit"] = keys.map(lambda k: measure(k).unit)
    buf = io.StringIO()
    neutralise_formulas(frame).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


def before_after_display(frame: pd.DataFrame, section: str) -> pd.DataFrame:
    """One section of a before/after table for people (a fairer tariff's comparison).

    Parameters
    ----------
    frame : pandas.DataFrame
        ``section, group, measure, baseline, proposed, change`` (as
        :meth:`pbr_fairness.tariffs.TariffResult.before_after` returns).
    section : str
        ``"overall"``, ``"payment_group"``, ``"decile_true_p0"`` or
        ``"gap_by_characteristic"``.

    Returns
    -------
    pandas.DataFrame
        Strings: the group in words (not for ``overall``), the measure with its unit, the
        baseline's and the proposal's figures, and the change (shares in points).
    """
    rows = frame[frame["section"] == section]
    out: dict[str, list[str]] = {}
    if section != "overall":
        label = "Characteristic" if section == "gap_by_characteristic" else breakdown_label(
            section
        )
        out[label] = [category_label(section, g) for g in rows["group"]]
    keys = rows["measure"].astype(str).tolist()
    gap = section == "gap_by_characteristic"
    out["Measure"] = [
        heading(k).replace(" (%)", " gap (points)") if gap and measure(k).unit == "share"
        else heading(k) + (" gap" if gap else "")
        for k in keys
    ]

    def cell(k: str, v: Any) -> str:
        if gap and measure(k).unit == "share":
            return format_value(k, v, unit="points").lstrip("+")
        return format_value(k, v)

    out["Baseline"] = [cell(k, v) for k, v in zip(keys, rows["baseline"].tolist(), strict=True)]
    out["Proposed"] = [cell(k, v) for k, v in zip(keys, rows["proposed"].tolist(), strict=True)]
    out["Change"] = [
        format_change(k, v, compact=False) or "no change"
        for k, v in zip(keys, rows["change"].tolist(), strict=True)
    ]
    return pd.DataFrame(out, dtype=object)
