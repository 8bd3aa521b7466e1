"""Publishable outputs of an audit: a self-contained HTML report and CSV tables.

The HTML is rendered by jinja2 with autoescaping on, from ``templates/report.html.j2``
(package data). Figures are inline SVG built from aggregated numbers, so the file opens
offline and makes no request. CSV files pass through
:func:`pbr_fairness.safety.neutralise_formulas` so that no cell starting with ``=``, ``+``,
``-``, ``@`` or a control character runs as a spreadsheet formula.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Protocol

import jinja2
import numpy as np
import pandas as pd

from pbr_fairness.audit.statistics import Z_95, Z_998
from pbr_fairness.audit.svg import Chart, Series, palette
from pbr_fairness.errors import InputError
from pbr_fairness.labels import (
    SUPPRESSED,
    SUPPRESSED_LEGEND,
    column_descriptions,
    decile_label,
    format_value,
    heading,
)
from pbr_fairness.outputs import write_text
from pbr_fairness.safety import neutralise_formulas

__all__ = ["AuditOutputs", "render_html", "write_tables"]


class AuditOutputs(Protocol):
    """What the report reads of an audit (:class:`~pbr_fairness.audit.AuditResult` has it).

    A protocol rather than the result class itself, so that the report does not import the
    audit that calls it (no import cycle between the modules of the package).
    """

    @property
    def providers(self) -> list[dict[str, Any]]:
        """Per-provider findings."""

    @property
    def findings(self) -> list[str]:
        """Plain-language findings."""

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the audit."""

    @property
    def provenance(self) -> dict[str, Any]:
        """Provenance of the audit."""

    @property
    def plots(self) -> dict[str, Any]:
        """Aggregated data behind the figures."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    # Text columns hold user text (provider names, groups); numbers stay numbers.
    frame = frame.copy()
    for c in frame.columns:
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]):
            frame[c] = frame[c].map(lambda v: v if v is None or v is pd.NA else str(v))
    safe = neutralise_formulas(frame)
    # Column names are user text too (for example payment-group labels in a wide table).
    safe.columns = ["'" + c if c.startswith(_FORMULA_START) else c for c in map(str, safe.columns)]
    return safe


def write_tables(result: AuditOutputs, directory: str | Path) -> list[Path]:
    """Write every table of an audit as ``audit_<name>.csv`` into ``directory`` (created).

    Beside them, ``audit_columns.csv`` describes every column of every file (heading, unit
    and meaning, from :mod:`pbr_fairness.labels`).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError([f"cannot make the folder: {exc.strerror or exc}"], str(out)) from None
    paths = []
    described = []
    for name, table in result.tables.items():
        path = out / f"audit_{name}.csv"
        write_text(path, _neutralise(table).to_csv(index=False))
        paths.append(path)
        columns = column_descriptions([str(c) for c in table.columns], table=name)
        described.append(columns.assign(file=path.name)[["file", *columns.columns]])
    if described:  # what each column of each file holds, from pbr_fairness.labels
        path = out / "audit_columns.csv"
        write_text(path, _neutralise(pd.concat(described, ignore_index=True)).to_csv(index=False))
        paths.append(path)
    return paths


def _fmt(value: Any, digits: int = 3, percent: bool = False) -> str:
    if value is None or value is pd.NA:
        return SUPPRESSED
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "–"
    if percent:
        return f"{100 * v:.1f}%"
    if abs(v) >= 1000 and float(v).is_integer():
        return f"{int(v):,}"
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v)}"
    if v != 0 and abs(v) < 10 ** (-digits):
        return f"{v:.1e}"
    return f"{v:.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}f}"


def _funnel_chart(result: AuditOutputs) -> Chart | None:
    f = result.plots.get("funnel", {})
    units = f.get("units", [])
    if not units:
        return None
    e = np.array([u["expected"] for u in units], dtype=float)
    oe = np.array([u["oe"] for u in units], dtype=float)
    tau2 = float(f.get("tau2", 0.0))
    grid = np.linspace(max(e.min() * 0.5, 0.5), e.max() * 1.15, 80)
    chart = Chart("Funnel plot: observed / expected job outcomes by provider",
                  "Expected job outcomes (case-mix adjusted)", "Observed / expected",
                  reference_y=1.0)
    for z, lab, dashed in ((Z_95, "95% limits", True), (Z_998, "99.8% limits", False)):
        sd = np.sqrt(1 / grid + tau2)
        chart.add(Series(grid.tolist(), np.exp(z * sd).tolist(), label=lab, colour="#555",
                         dashed=dashed, width=1))
        chart.add(Series(grid.tolist(), np.exp(-z * sd).tolist(), colour="#555", dashed=dashed,
                         width=1))
    flagged = np.array([u["flagged"] for u in units], dtype=bool)
    names = [str(u["provider_id"]) for u in units]
    for sel, colour, lab in ((~flagged, palette(0), "provider"),
                             (flagged, palette(1), "flagged provider")):
        if sel.any():
            chart.add(Series(e[sel], oe[sel], label=lab, kind="points", colour=colour,
                             point_labels=[n for n, s in zip(names, sel, strict=True) if s]))
    return chart


def _parking_chart(result: AuditOutputs) -> Chart | None:
    t = result.tables.get("parking_by_decile")
    if t is None or t.empty:
        return None
    flagged = {p["provider_id"] for p in result.providers if p["parking"]["flag"]}
    chart = Chart("Share on minimal support by decile of expected probability",
                  "Decile of expected probability (1 = furthest from work)",
                  "Share on minimal support", y_range=(0.0, 1.0),
                  x_ticks=list(range(1, 11)))
    # every provider its own colour; a flagged one is drawn thicker and named as parking
    for i, (name, g) in enumerate(t.groupby("provider_id", sort=True)):
        share = pd.to_numeric(g["parked_share"], errors="coerce").to_numpy(dtype=float)
        is_flagged = name in flagged
        chart.add(Series(g["decile"], share, label=f"{name} (parking)" if is_flagged else str(name),
                         colour=palette(i), width=3.0 if is_flagged else 1.5))
    return chart


def _forest(result: AuditOutputs, key: str, title: str, y_label: str,
            reference: float | None) -> Chart | None:
    rows = [p for p in result.providers
            if (p["creaming"]["index"] if key == "creaming" else p["oe_ratio"]) is not None]
    if not rows:
        return None
    names = [str(p["provider_id"]) for p in rows]
    if key == "creaming":
        y = [p[key]["index"] for p in rows]
        lo = [p[key]["ci"][0] for p in rows]
        hi = [p[key]["ci"][1] for p in rows]
        flag = [p[key]["flag"] for p in rows]
    else:
        y = [p["oe_ratio"] for p in rows]
        lo = [p["oe_ci"][0] for p in rows]
        hi = [p["oe_ci"][1] for p in rows]
        flag = [p["flagged"] for p in rows]
    x = np.arange(1, len(rows) + 1, dtype=float)
    chart = Chart(title, "Provider", y_label, x_range=(0.3, len(rows) + 0.7),
                  x_ticks=list(x), x_tick_labels=names if len(names) <= 24 else [""] * len(x),
                  reference_y=reference)
    f = np.array(flag, dtype=bool)
    for sel, colour in ((~f, palette(0)), (f, palette(1))):
        if sel.any():
            chart.add(Series(x[sel], np.array(y)[sel], kind="errorbar", colour=colour,
                             low=np.array(lo)[sel], high=np.array(hi)[sel],
                             point_labels=[n for n, s in zip(names, sel, strict=True) if s]))
    return chart


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    return frame.to_dict(orient="records")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("pbr_fairness.audit", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["pct"] = lambda v: _fmt(v, percent=True)
    # the labels and formats of pbr_fairness.labels, shared with the app
    env.filters["pvalue"] = lambda v: SUPPRESSED if v is None or v is pd.NA else format_value(
        "p_value", v
    )
    env.filters["heading"] = heading
    env.filters["decile"] = decile_label
    env.globals["suppressed"] = SUPPRESSED
    env.globals["suppressed_legend"] = SUPPRESSED_LEGEND
    return env


def render_html(result: AuditOutputs) -> str:
    """Render the self-contained HTML report of an audit.

    Parameters
    ----------
    result : AuditOutputs

    Returns
    -------
    str
        HTML with every user-supplied text escaped and no external reference.
    """
    figures = []
    for chart in (
        _funnel_chart(result),
        _forest(result, "oe", "Observed / expected job outcomes with exact 95% intervals",
                "Observed / expected", 1.0),
        _parking_chart(result),
        _forest(result, "creaming", "Concentration index of support hours (95% intervals)",
                "Concentration index", 0.0),
    ):
        if chart is not None:
            figures.append(chart.render())
    decile = result.tables.get("parking_by_decile")
    decile_wide = None
    if decile is not None and not decile.empty:
        decile_wide = decile.pivot(index="provider_id", columns="decile", values="parked_share")
    oe_decile = result.tables.get("provider_decile_outcomes")
    oe_decile_wide = None
    if oe_decile is not None and not oe_decile.empty:
        oe_decile_wide = oe_decile.pivot(index="provider_id", columns="decile", values="oe_ratio")
    fairness = result.tables.get("fairness")
    expected = getattr(result, "expected", None) or {"source": result.provenance.get(
        "expected_source", ""), "warnings": [], "case_mix": None}
    within = getattr(result, "within_area", None) or {}
    within_tests = _records(result.tables.get("within_area_tests"))
    within_dec = result.tables.get("within_area_deciles")
    within_dec_wide = None
    if within_dec is not None and not within_dec.empty:
        within_dec_wide = within_dec.pivot(index="provider_id", columns="decile",
                                           values="support_mean")
    unit = {"hours": "hours", "contacts": "contacts", "spend": "pounds"}.get(
        result.provenance.get("parameters", {}).get("support_unit") or "hours", "hours")
    template = _environment().get_template("report.html.j2")
    return template.render(
        result=result,
        findings=result.findings,
        providers=result.providers,
        figures=figures,
        parking=_records(result.tables.get("parking")),
        creaming=_records(result.tables.get("creaming")),
        payment_groups=_records(result.tables.get("provider_payment_group")),
        decile_wide=decile_wide,
        oe_decile_wide=oe_decile_wide,
        fairness=_records(fairness),
        provenance=result.provenance,
        parameters=result.provenance.get("parameters", {}),
        expected=expected,
        case_mix=expected.get("case_mix"),
        calibration=_records(result.tables.get("case_mix_calibration")),
        within_area=within,
        within_tests=within_tests,
        within_has_support=bool(within_tests) and "parked_share" in within_tests[0],
        within_deciles_wide=within_dec_wide,
        support_unit=unit,
    )
