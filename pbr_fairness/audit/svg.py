"""Small inline-SVG charts for the self-contained audit report.

The report must open offline and make no request at all, so figures are drawn as inline SVG
(no JavaScript, no fonts, no namespace URL). Every label is escaped; every figure is drawn
from aggregated numbers (one mark per provider or per provider x decile, never per person).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from markupsafe import Markup, escape

__all__ = ["Chart", "Series"]

#: Colour-blind-safe colours (Okabe and Ito 2008), the app's palette too.
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000")


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if not np.isfinite([lo, hi]).all() or hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    mag = 10 ** np.floor(np.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = np.ceil(lo / step) * step
    return [float(v) for v in np.arange(start, hi + step * 1e-9, step)]


@dataclass
class Series:
    """One series of a chart: a line, points, or points with error bars."""

    x: Sequence[float]
    y: Sequence[float]
    label: str = ""
    kind: str = "line"  # "line", "points", "errorbar"
    colour: str = "#1b6ca8"
    dashed: bool = False
    low: Sequence[float] | None = None
    high: Sequence[float] | None = None
    point_labels: Sequence[str] | None = None
    width: float = 1.5


@dataclass
class Chart:
    """A simple x-y chart rendered to an inline ``<svg>`` element."""

    title: str
    x_label: str
    y_label: str
    series: list[Series] = field(default_factory=list)
    width: int = 640
    height: int = 360
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    x_ticks: Sequence[float] | None = None
    x_tick_labels: Sequence[str] | None = None
    reference_y: float | None = None

    def add(self, series: Series) -> Chart:
        """Append a series; returns the chart."""
        self.series.append(series)
        return self

    def _range(self, axis: str) -> tuple[float, float]:
        given = self.x_range if axis == "x" else self.y_range
        if given is not None:
            return given
        vals: list[float] = []
        for s in self.series:
            vals += list(np.asarray(s.x if axis == "x" else s.y, dtype=float))
            if axis == "y" and s.low is not None and s.high is not None:
                vals += list(np.asarray(s.low, dtype=float)) + list(np.asarray(s.high, dtype=float))
        if axis == "y" and self.reference_y is not None:
            vals.append(self.reference_y)
        v = np.asarray(vals, dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            return 0.0, 1.0
        lo, hi = float(v.min()), float(v.max())
        pad = 0.05 * (hi - lo) if hi > lo else 0.5
        return lo - pad, hi + pad

    def render(self) -> Markup:
        """Return the chart as escaped, self-contained SVG markup."""
        left, right, top, bottom = 64, 16, 34, 48
        w, h = self.width, self.height
        pw, ph = w - left - right, h - top - bottom
        x0, x1 = self._range("x")
        y0, y1 = self._range("y")

        def sx(v: float) -> float:
            return left + (v - x0) / (x1 - x0) * pw

        def sy(v: float) -> float:
            return top + (1 - (v - y0) / (y1 - y0)) * ph

        out = [
            f'<svg role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}"'
            f' aria-label="{escape(self.title)}">',
            f"<title>{escape(self.title)}</title>",
            f'<text x="{w / 2}" y="18" text-anchor="middle" font-size="14"'
            f' font-weight="bold">{escape(self.title)}</text>',
            f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none"'
            ' stroke="#999"/>',
        ]
        xt = list(self.x_ticks) if self.x_ticks is not None else _ticks(x0, x1)
        xl = list(self.x_tick_labels) if self.x_tick_labels is not None else [
            f"{v:g}" for v in xt]
        for v, lab in zip(xt, xl, strict=False):
            if x0 <= v <= x1:
                out.append(f'<line x1="{_fmt(sx(v))}" x2="{_fmt(sx(v))}" y1="{top + ph}"'
                           f' y2="{top + ph + 4}" stroke="#666"/>')
                out.append(f'<text x="{_fmt(sx(v))}" y="{top + ph + 16}" font-size="11"'
                           f' text-anchor="middle">{escape(lab)}</text>')
        for v in _ticks(y0, y1):
            if y0 <= v <= y1:
                out.append(f'<line x1="{left - 4}" x2="{left + pw}" y1="{_fmt(sy(v))}"'
                           f' y2="{_fmt(sy(v))}" stroke="#eee"/>')
                out.append(f'<text x="{left - 6}" y="{_fmt(sy(v) + 4)}" font-size="11"'
                           f' text-anchor="end">{v + 0.0:g}</text>')
        out.append(f'<text x="{left + pw / 2}" y="{h - 8}" font-size="12"'
                   f' text-anchor="middle">{escape(self.x_label)}</text>')
        out.append(f'<text transform="translate(14 {top + ph / 2}) rotate(-90)" font-size="12"'
                   f' text-anchor="middle">{escape(self.y_label)}</text>')
        if self.reference_y is not None and y0 <= self.reference_y <= y1:
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{_fmt(sy(self.reference_y))}"'
                       f' y2="{_fmt(sy(self.reference_y))}" stroke="#333"'
                       ' stroke-dasharray="2 2"/>')
        legend = []
        for s in self.series:
            xs = np.asarray(s.x, dtype=float)
            ys = np.asarray(s.y, dtype=float)
            ok = np.isfinite(xs) & np.isfinite(ys)
            dash = ' stroke-dasharray="6 3"' if s.dashed else ""
            colour = escape(s.colour)
            if s.kind == "line":
                # Break the line at missing (suppressed) points.
                segs, cur = [], []
                for a, b, good in zip(xs, ys, ok, strict=True):
                    if good:
                        cur.append(f"{_fmt(sx(a))},{_fmt(sy(b))}")
                    elif cur:
                        segs.append(cur)
                        cur = []
                if cur:
                    segs.append(cur)
                for seg in segs:
                    out.append(f'<polyline points="{" ".join(seg)}" fill="none"'
                               f' stroke="{colour}" stroke-width="{s.width}"{dash}>'
                               f"<title>{escape(s.label)}</title></polyline>")
            else:
                for i in np.flatnonzero(ok).tolist():
                    cx, cy = sx(xs[i]), sy(ys[i])
                    name = s.point_labels[i] if s.point_labels is not None else s.label
                    if s.kind == "errorbar" and s.low is not None and s.high is not None:
                        lo, hi = float(s.low[i]), float(s.high[i])
                        if np.isfinite([lo, hi]).all():
                            out.append(f'<line x1="{_fmt(cx)}" x2="{_fmt(cx)}"'
                                       f' y1="{_fmt(sy(lo))}" y2="{_fmt(sy(hi))}"'
                                       f' stroke="{colour}"/>')
                    out.append(f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="4"'
                               f' fill="{colour}"><title>{escape(name)}: {ys[i]:.3g}</title>'
                               "</circle>")
                    if s.point_labels is not None:
                        out.append(f'<text x="{_fmt(cx + 6)}" y="{_fmt(cy - 6)}"'
                                   f' font-size="10">{escape(name)}</text>')
            if s.label:
                legend.append((s.label, colour, s.dashed))
        for i, (lab, colour, dashed) in enumerate(legend[:12]):
            ly = top + 12 + 14 * i
            dash = ' stroke-dasharray="6 3"' if dashed else ""
            out.append(f'<line x1="{left + pw - 150}" x2="{left + pw - 130}" y1="{ly}"'
                       f' y2="{ly}" stroke="{colour}" stroke-width="2"{dash}/>')
            out.append(f'<text x="{left + pw - 126}" y="{ly + 4}" font-size="10">'
                       f"{escape(lab)}</text>")
        out.append("</svg>")
        return Markup("\n".join(out))


def palette(i: int) -> str:
    """Return the i-th colour of the report palette."""
    return _PALETTE[i % len(_PALETTE)]
