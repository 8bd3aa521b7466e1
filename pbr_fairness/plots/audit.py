"""Plotly figures of an audit: the funnel plot, parking by decile, the creaming index.

Each builder takes an :class:`~pbr_fairness.audit.AuditResult` and returns a figure, or
``None`` when the audit holds no data for it. Colours are the colour-blind-safe palette of
:mod:`pbr_fairness.plots`; every provider keeps its own colour, and flagged providers are
drawn thicker and named as flagged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from pbr_fairness.audit.statistics import Z_95, Z_998
from pbr_fairness.plots import COLOURS, LAYOUT, SYMBOLS

__all__ = ["audit_figures", "creaming_figure", "funnel_figure", "parking_by_decile_figure"]


def funnel_figure(result: Any) -> go.Figure | None:
    """Funnel plot of observed / expected job outcomes by provider, from an audit result.

    The 95% and 99.8% limits are ``exp(+-z * sqrt(1 / E + tau^2))`` around 1 (log method,
    Spiegelhalter 2005) with the audit's overdispersion ``tau^2``; flagged providers are
    highlighted. Returns ``None`` when the audit holds no funnel data.
    """
    data = getattr(result, "plots", {}).get("funnel", {})
    units = [u for u in data.get("units", []) if u.get("expected") and u.get("oe") is not None]
    if not units:
        return None
    e = np.array([u["expected"] for u in units], dtype=float)
    oe = np.array([u["oe"] for u in units], dtype=float)
    tau2 = float(data.get("tau2", 0.0) or 0.0)
    grid = np.linspace(max(e.min() * 0.5, 0.5), e.max() * 1.15, 120)
    fig = go.Figure()
    for z, name, dash in ((Z_95, "95% limits", "dash"), (Z_998, "99.8% limits", "solid")):
        sd = np.sqrt(1.0 / grid + tau2)
        for sign, show in ((1.0, True), (-1.0, False)):
            fig.add_scatter(
                x=grid,
                y=np.exp(sign * z * sd),
                mode="lines",
                name=name,
                showlegend=show,
                legendgroup=name,
                line={"color": "#777777", "dash": dash, "width": 1},
                hoverinfo="skip",
            )
    flagged = np.array([bool(u.get("flagged")) for u in units])
    names = np.array([str(u["provider_id"]) for u in units], dtype=object)
    for sel, colour, label in (
        (~flagged, COLOURS[0], "Provider"),
        (flagged, COLOURS[1], "Flagged provider"),
    ):
        if sel.any():
            fig.add_scatter(
                x=e[sel],
                y=oe[sel],
                mode="markers+text",
                text=names[sel],
                textposition="top center",
                name=label,
                marker={"color": colour, "size": 11},
                hovertemplate="%{text}: O/E %{y:.2f}, expected %{x:.0f}<extra></extra>",
            )
    fig.add_hline(y=1.0, line={"color": "#333333", "width": 1})
    fig.update_layout(
        title="Funnel plot: observed / expected job outcomes by provider",
        xaxis_title="Expected job outcomes (case-mix adjusted)",
        yaxis_title="Observed / expected",
        **LAYOUT,
    )
    return fig


def parking_by_decile_figure(result: Any) -> go.Figure | None:
    """Share on minimal support by decile of expected probability, one line per provider."""
    table = getattr(result, "tables", {}).get("parking_by_decile")
    if table is None or table.empty:
        return None
    flagged = {p["provider_id"] for p in result.providers if p["parking"]["flag"]}
    fig = go.Figure()
    for i, (name, rows) in enumerate(table.groupby("provider_id", sort=True)):
        share = pd.to_numeric(rows["parked_share"], errors="coerce").to_numpy(dtype=float)
        is_flagged = name in flagged
        fig.add_scatter(
            x=rows["decile"],
            y=100 * share,
            mode="lines+markers",
            name=f"{name} (parking)" if is_flagged else str(name),
            line={
                "color": COLOURS[i % len(COLOURS)],
                "width": 4 if is_flagged else 2,
                "dash": "solid" if is_flagged or not flagged else "dot",
            },
            marker={"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 9 if is_flagged else 6},
        )
    fig.update_layout(
        title="Share on minimal support by decile of expected probability",
        xaxis={"title": "Decile of expected probability (1 = furthest from work)", "dtick": 1},
        yaxis={"title": "Share on minimal support (%)", "range": [0, 100]},
        **LAYOUT,
    )
    return fig


def creaming_figure(result: Any) -> go.Figure | None:
    """Creaming (concentration) index of hours by provider with its interval."""
    rows = [p for p in getattr(result, "providers", []) if p["creaming"]["index"] is not None]
    if not rows:
        return None
    names = [str(p["provider_id"]) for p in rows]
    index = np.array([p["creaming"]["index"] for p in rows], dtype=float)
    ci = np.array([p["creaming"]["ci"] or [np.nan, np.nan] for p in rows], dtype=float)
    flagged = [bool(p["creaming"]["flag"]) for p in rows]
    fig = go.Figure()
    fig.add_scatter(
        x=index,
        y=names,
        mode="markers",
        name="Creaming index",
        marker={"color": [COLOURS[1] if f else COLOURS[0] for f in flagged], "size": 11},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": ci[:, 1] - index,
            "arrayminus": index - ci[:, 0],
        },
    )
    fig.add_vline(x=0.0, line={"color": "#333333", "width": 1})
    fig.update_layout(
        title="Creaming index of support hours (> 0: hours go to those closest to work)",
        xaxis_title="Concentration index of hours ranked by expected probability",
        showlegend=False,
        **LAYOUT,
    )
    return fig


def audit_figures(result: Any) -> dict[str, go.Figure | None]:
    """Return the audit's figures: ``funnel``, ``Parking`` and ``Creaming``."""
    return {
        "funnel": funnel_figure(result),
        "Parking": parking_by_decile_figure(result),
        "Creaming": creaming_figure(result),
    }
