"""Plotly figure builders for simulation, tariff, audit and model results.

Each builder takes a tidy table (as made by a result's ``to_frame()`` or by
:mod:`pbr_fairness.reporting`) and returns a :class:`plotly.graph_objects.Figure`; the app
shows them and a script can save them (``fig.write_html(...)``). Builders compute nothing
beyond reshaping: the numbers come from the library's results.

The audit's figures are in :mod:`pbr_fairness.plots.audit` (imported on its own, so that
drawing a simulation does not load the audit's statistics).

Tidy simulation tables have the columns ``breakdown``, ``group``, ``measure``, ``value`` and
optionally ``lower``, ``upper`` (Monte Carlo intervals) and ``contract`` (when several
contracts are compared).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pbr_fairness.labels import MEASURES, category_label, format_value
from pbr_fairness.labels import label as measure_label

if TYPE_CHECKING:  # annotations only: plots draws results, it never runs the optimiser
    from pbr_fairness.tariffs import TariffResult

__all__ = [
    "COLOURS",
    "LAYOUT",
    "MEASURE_LABELS",
    "PERCENT_MEASURES",
    "SYMBOLS",
    "calibration_figure",
    "gaps_figure",
    "hours_by_decile_figure",
    "importance_figure",
    "measure_by_group_figure",
    "outcome_with_without_support_figure",
    "parked_share_figure",
    "tariff_frontier_figure",
]

#: Measures shown as percentages (their unit in :mod:`pbr_fairness.labels` is a share).
PERCENT_MEASURES: frozenset[str] = frozenset(k for k, m in MEASURES.items() if m.unit == "share")
#: Plain-language labels of the measures (from :data:`pbr_fairness.labels.MEASURES`).
MEASURE_LABELS: dict[str, str] = {k: m.heading for k, m in MEASURES.items()}
#: Colour-blind-safe colours (Okabe and Ito 2008), one per contract or provider in turn.
COLOURS: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)
#: Marker symbols, so that series differ in shape as well as colour.
SYMBOLS: tuple[str, ...] = ("circle", "square", "diamond", "triangle-up", "x", "cross")
#: The layout every figure shares (white template, legend under the x axis).
LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "margin": {"l": 60, "r": 20, "t": 60, "b": 120},
    # legend under the x axis, so that it never covers the title
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.22, "xanchor": "left", "x": 0},
    "font": {"size": 13},
}


def _label(measure: str) -> str:
    return measure_label(measure)


def _axis_label(breakdown: str, group: str, labels: dict[str, str] | None = None) -> str:
    if labels and group in labels:
        return f"{group}<br>{labels[group]}" if labels[group] != group else group
    text = category_label(breakdown, group)
    if breakdown == "payment_group" and text != group:
        return f"{group}<br>{text.removeprefix(group).strip()}"
    return text.replace(" (", "<br>(")


def _select(frame: pd.DataFrame, breakdown: str, measure: str) -> pd.DataFrame:
    rows = frame[(frame["breakdown"] == breakdown) & (frame["measure"] == measure)]
    if rows.empty:
        raise ValueError(
            f"no rows for breakdown {breakdown!r} and measure {measure!r}; breakdowns present: "
            f"{sorted(frame['breakdown'].astype(str).unique())}"
        )
    return rows


def _contracts(frame: pd.DataFrame) -> list[str | None]:
    if "contract" in frame.columns:
        return list(dict.fromkeys(frame["contract"].astype(str)))
    return [None]


def _error_y(rows: pd.DataFrame, scale: float) -> dict | None:
    if {"lower", "upper"} <= set(rows.columns) and rows["lower"].notna().any():
        return {
            "type": "data",
            "symmetric": False,
            "array": (rows["upper"] - rows["value"]).to_numpy(dtype=float) * scale,
            "arrayminus": (rows["value"] - rows["lower"]).to_numpy(dtype=float) * scale,
        }
    return None


def measure_by_group_figure(
    frame: pd.DataFrame,
    measure: str,
    breakdown: str = "payment_group",
    *,
    title: str | None = None,
    group_labels: dict[str, str] | None = None,
) -> go.Figure:
    """Bar chart of one measure by the groups of one breakdown (one bar colour per contract).

    Parameters
    ----------
    frame : pandas.DataFrame
        Tidy simulation table (``breakdown``, ``group``, ``measure``, ``value``; optionally
        ``contract``, ``lower``, ``upper``).
    measure : str
        Measure to plot.
    breakdown : str, default "payment_group"
        Breakdown whose groups form the x axis.
    title : str, optional
        Figure title (default: the measure's label by the breakdown).
    group_labels : dict, optional
        Display labels for groups (default: payment groups with their names, other groups
        as :func:`pbr_fairness.labels.category_label` writes them).

    Returns
    -------
    plotly.graph_objects.Figure
    """
    rows = _select(frame, breakdown, measure)
    pct = measure in PERCENT_MEASURES
    scale = 100.0 if pct else 1.0
    fig = go.Figure()
    for i, contract in enumerate(_contracts(rows)):
        part = rows if contract is None else rows[rows["contract"].astype(str) == contract]
        groups = part["group"].astype(str)
        x = [_axis_label(breakdown, g, group_labels) for g in groups]
        fig.add_bar(
            x=x,
            y=part["value"].to_numpy(dtype=float) * scale,
            name=contract or _label(measure),
            marker_color=COLOURS[i % len(COLOURS)],
            error_y=_error_y(part, scale),
            hovertemplate="%{x}: %{y:.1f}"
            + ("%" if pct else "")
            + "<extra>%{fullData.name}</extra>",
        )
    fig.update_layout(
        title=title or f"{_label(measure)} by {breakdown.replace('_', ' ')}",
        barmode="group",
        yaxis_title=_label(measure) + (" (%)" if pct else ""),
        showlegend=len(_contracts(rows)) > 1,
        **LAYOUT,
    )
    return fig


def parked_share_figure(
    frame: pd.DataFrame, *, group_labels: dict[str, str] | None = None
) -> go.Figure:
    """Parked share (people given only the minimum of service) by payment group."""
    return measure_by_group_figure(
        frame,
        "parked_share",
        "payment_group",
        title="Parked share by payment group (given only the minimum of service)",
        group_labels=group_labels,
    )


def outcome_with_without_support_figure(
    frame: pd.DataFrame, contract: str | None = None
) -> go.Figure:
    """Job-outcome rate with the provider's support and without any, by payment group."""
    if contract is not None and "contract" in frame.columns:
        frame = frame[frame["contract"].astype(str) == contract]
    with_support = _select(frame, "payment_group", "job_outcome_rate")
    without = _select(frame, "payment_group", "no_support_rate")
    fig = go.Figure()
    fig.add_bar(
        x=without["group"].astype(str),
        y=100 * without["value"].to_numpy(dtype=float),
        name="Without support",
        marker_color="#b0b0b0",
    )
    fig.add_bar(
        x=with_support["group"].astype(str),
        y=100 * with_support["value"].to_numpy(dtype=float),
        name="With the provider's support",
        marker_color=COLOURS[0],
        error_y=_error_y(with_support, 100.0),
    )
    fig.update_layout(
        title="Job-outcome rate with and without support, by payment group",
        barmode="group",
        yaxis_title="Job-outcome rate (%)",
        **LAYOUT,
    )
    return fig


def hours_by_decile_figure(table: pd.DataFrame) -> go.Figure:
    """Hours per person by decile of distance: the provider's against the planner's.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`pbr_fairness.reporting.hours_by_decile`: ``decile`` (1 = furthest from
        work), ``provider_hours``, ``planner_hours`` and optionally ``contract``.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    contracts = _contracts(table)
    for i, contract in enumerate(contracts):
        part = table if contract is None else table[table["contract"].astype(str) == contract]
        prefix = f"{contract}: " if contract and len(contracts) > 1 else ""
        colour = COLOURS[i % len(COLOURS)]
        fig.add_scatter(
            x=part["decile"],
            y=part["provider_hours"],
            mode="lines+markers",
            name=f"{prefix}provider" if prefix else "Provider",
            legendgroup=str(contract),
            line={"color": colour, "width": 3},
            marker={"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 8},
        )
        fig.add_scatter(
            x=part["decile"],
            y=part["planner_hours"],
            mode="lines",
            name=f"{prefix}planner" if prefix else "Planner (same total hours)",
            legendgroup=str(contract),
            line={"color": colour, "dash": "dash"},
        )
    fig.update_layout(
        title="Hours per person by decile of distance from work",
        xaxis={
            "title": "Decile of the chance of a job without support (1 = furthest from work)",
            "dtick": 1,
        },
        yaxis_title="Hours per person",
        **LAYOUT,
    )
    return fig


def gaps_figure(
    frame: pd.DataFrame,
    measure: str = "job_outcome_rate",
    characteristics: Sequence[str] = ("sex", "age_band", "disability", "ethnicity"),
) -> go.Figure:
    """Plot a measure by category of each protected characteristic (the gaps between groups).

    One bar per category, grouped by characteristic on a two-level axis (one bar colour per
    contract when several are compared).
    """
    rows = frame[(frame["measure"] == measure) & frame["breakdown"].isin(list(characteristics))]
    if rows.empty:
        raise ValueError(f"no protected-characteristic rows for measure {measure!r}")
    order = {c: i for i, c in enumerate(characteristics)}
    rows = rows.assign(_o=rows["breakdown"].map(order)).sort_values("_o", kind="stable")
    pct = measure in PERCENT_MEASURES
    scale = 100.0 if pct else 1.0
    contracts = _contracts(rows)
    fig = go.Figure()
    for i, contract in enumerate(contracts):
        part = rows if contract is None else rows[rows["contract"].astype(str) == contract]
        x = [
            [str(b).replace("_", " ").capitalize() for b in part["breakdown"]],
            [str(g) for g in part["group"]],
        ]
        fig.add_bar(
            x=x,
            y=part["value"].to_numpy(dtype=float) * scale,
            name=contract or _label(measure),
            marker_color=COLOURS[i % len(COLOURS)],
            error_y=_error_y(part, scale),
        )
    fig.update_layout(
        title=f"{_label(measure)} by protected characteristic",
        barmode="group",
        yaxis_title=_label(measure) + (" (%)" if pct else ""),
        showlegend=len(contracts) > 1,
        **LAYOUT,
    )
    return fig


def tariff_frontier_figure(result: TariffResult) -> go.Figure:
    """Draw the fairer-tariff frontier: the lowest worst parked share at each budget.

    The x axis is the budget in per cent of the baseline's expected spend, with the pounds
    beneath; the y axis the worst parked share (any payment group or decile) in per cent.
    The baseline, the proposal and the parked-share cap (when one was set) are marked.

    Parameters
    ----------
    result : pbr_fairness.tariffs.TariffResult

    Returns
    -------
    plotly.graph_objects.Figure
    """
    b, p = result.baseline_measures, result.proposed_measures
    base_spend = b["government_spend"]
    f = result.frontier
    fig = go.Figure()
    if len(f):
        x = 100 * f["budget_share"].to_numpy(dtype=float)
        y = 100 * f["worst_parked_share"].to_numpy(dtype=float)
        pounds = [format_value("budget", v, compact=True) for v in f["budget"]]
        fig.add_scatter(
            x=x,
            y=y,
            mode="lines+markers",
            name="Lowest worst parked share reachable",
            line={"color": COLOURS[0], "width": 3},
            customdata=pounds,
            hovertemplate="Budget %{x:.0f}% (%{customdata}): worst parked share %{y:.1f}%"
            "<extra></extra>",
        )
        tickvals = list(x)
        ticktext = [f"{v:.0f}%<br>{m}" for v, m in zip(x, pounds, strict=True)]
    else:
        tickvals, ticktext = [], []
    fig.add_scatter(
        x=[100.0],
        y=[100 * b["worst_parked_share"]],
        mode="markers",
        name=f"Baseline ({result.baseline.name})",
        marker={"color": COLOURS[1], "size": 14, "symbol": "x"},
    )
    fig.add_scatter(
        x=[100 * p["government_spend"] / base_spend],
        y=[100 * p["worst_parked_share"]],
        mode="markers",
        name="Proposed tariff",
        marker={"color": COLOURS[2], "size": 15, "symbol": "star"},
    )
    cap = result.constraints.get("max_parked_share")
    if cap is not None:
        fig.add_hline(
            y=100 * float(cap),
            line={"color": COLOURS[4], "dash": "dot", "width": 1.5},
            annotation_text=f"cap {100 * float(cap):.0f}%",
            annotation_position="top left",
        )
    fig.update_layout(
        title="Frontier: the worst parked share reachable at each budget",
        xaxis={
            "title": "Budget (% of the baseline's expected spend, and pounds)",
            "tickvals": tickvals,
            "ticktext": ticktext,
        },
        yaxis={"title": "Worst parked share in any group or decile (%)", "rangemode": "tozero"},
        **LAYOUT,
    )
    return fig


def calibration_figure(
    table: pd.DataFrame,
    *,
    predicted: str = "predicted",
    observed: str = "observed",
    group: str | None = "group",
) -> go.Figure:
    """Calibration: mean observed against mean predicted probability, per group."""
    fig = go.Figure()
    top = (
        float(np.nanmax(table[[predicted, observed]].to_numpy(dtype=float))) if len(table) else 1.0
    )
    fig.add_scatter(
        x=[0, top],
        y=[0, top],
        mode="lines",
        name="Perfect calibration",
        line={"color": "#999999", "dash": "dot"},
    )
    groups = (
        [None]
        if group is None or group not in table.columns
        else list(dict.fromkeys(table[group].astype(str)))
    )
    for i, g in enumerate(groups):
        part = table if g is None else table[table[group].astype(str) == g]
        fig.add_scatter(
            x=part[predicted],
            y=part[observed],
            mode="lines+markers",
            name=g or "All",
            line={"color": COLOURS[i % len(COLOURS)]},
        )
    fig.update_layout(
        title="Calibration",
        xaxis_title="Mean predicted probability",
        yaxis_title="Observed rate",
        **LAYOUT,
    )
    return fig


def importance_figure(
    table: pd.DataFrame, *, feature: str = "feature", value: str = "importance", top: int = 15
) -> go.Figure:
    """Horizontal bars of global feature importance (e.g. mean |SHAP|), largest on top."""
    rows = table.sort_values(value, ascending=False).head(top).iloc[::-1]
    fig = go.Figure()
    fig.add_bar(
        x=rows[value], y=rows[feature].astype(str), orientation="h", marker_color=COLOURS[0]
    )
    fig.update_layout(
        title="What the model relies on (mean |SHAP|)",
        xaxis_title="Mean absolute contribution (percentage points of the chance)",
        **LAYOUT,
    )
    return fig
