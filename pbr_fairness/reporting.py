"""Tables and reports built from simulation results, for the app and for scripts.

Everything the contract designer shows beyond a single simulation lives here, so that a
script can reach it too: the tariff of a contract as an editable table and back, hours by
decile of distance (provider against planner), the headline figures with their changes
against a baseline, a side-by-side comparison of contracts, the results as CSV (formulas
neutralised) and a self-contained HTML report (no external requests).

The functions accept any simulation result with ``overall`` (a mapping of measure to value),
``persons`` (a frame with ``hours`` and ``planner_hours``), ``to_frame()`` (tidy: ``breakdown``,
``group``, ``measure``, ``value``) and ``provenance`` (a mapping), as
:class:`pbr_fairness.simulation.SimulationResult` provides.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pbr_fairness.errors import InputError, Problem

__all__ = [
    "HEADLINE_MEASURES",
    "TARIFF_COLUMNS",
    "Headline",
    "comparison_frame",
    "comparison_table",
    "contract_from_table",
    "contract_sources",
    "designer_report_html",
    "headlines",
    "hours_by_decile",
    "parameter_sources",
    "read_contract",
    "results_csv",
    "slim_result",
    "tariff_table",
]

#: Columns of an editable tariff table (one row per payment group or band).
TARIFF_COLUMNS: tuple[str, ...] = (
    "tariff",
    "attachment_fee",
    "job_outcome_fee",
    "trigger_weeks",
    "sustainment_fee",
    "max_sustainment_payments",
)

#: Headline measures of the designer, with their display kind and whether lower is better.
HEADLINE_MEASURES: dict[str, tuple[str, str, bool]] = {
    "job_outcome_rate": ("Job-outcome rate", "percent", False),
    "additional_jobs": ("Additional jobs", "number", False),
    "cost_per_additional_job": ("Cost per additional job", "money", True),
    "parked_share": ("Parked share", "percent", True),
    "government_spend": ("Government spend", "money", True),
}


# --------------------------------------------------------------------------- tariffs
def tariff_table(contract: Any) -> pd.DataFrame:
    """Return a contract's tariffs as a table with one row per payment group or band.

    Parameters
    ----------
    contract : pbr_fairness.contracts.Contract
        The contract.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARIFF_COLUMNS`; ``tariff`` is the payment group, the band label or
        ``"base"`` for a smooth tariff.
    """
    rows = [
        {
            "tariff": key,
            "attachment_fee": float(t.attachment_fee),
            "job_outcome_fee": float(t.job_outcome_fee),
            "trigger_weeks": float(t.trigger_weeks),
            "sustainment_fee": float(t.sustainment_fee),
            "max_sustainment_payments": int(t.max_sustainment_payments),
        }
        for key, t in contract.tariffs.items()
    ]
    return pd.DataFrame(rows, columns=list(TARIFF_COLUMNS))


def _table_problems(table: pd.DataFrame, keys: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    missing = [c for c in TARIFF_COLUMNS if c not in table.columns]
    if missing:
        return [
            Problem(f"missing column; needed: {', '.join(TARIFF_COLUMNS)}", column=c)
            for c in missing
        ]
    have = [str(t) for t in table["tariff"]]
    for k in keys:
        if k not in have:
            problems.append(Problem(f"no row for tariff {k!r}", column="tariff"))
    for k in have:
        if k not in keys:
            problems.append(
                Problem(f"unknown tariff {k!r}; allowed: {', '.join(keys)}", column="tariff")
            )
    for col in TARIFF_COLUMNS[1:]:
        values = pd.to_numeric(table[col], errors="coerce").to_numpy(dtype=float)
        for i in np.flatnonzero(~np.isfinite(values)):
            problems.append(
                Problem(f"{table[col].iloc[i]!r} is not a number", row=int(i) + 1, column=col)
            )
        bad = np.isfinite(values) & (values < 0 if col != "trigger_weeks" else values <= 0)
        for i in np.flatnonzero(bad):
            allowed = "> 0" if col == "trigger_weeks" else ">= 0"
            problems.append(
                Problem(
                    f"{values[i]:g} is not allowed (must be {allowed})", row=int(i) + 1, column=col
                )
            )
    return problems


def contract_from_table(contract: Any, table: pd.DataFrame, *, name: str | None = None) -> Any:
    """Return a copy of ``contract`` with the tariffs of an edited :func:`tariff_table`.

    Unchanged rows keep their references; changed rows are labelled estimates set by the user.

    Parameters
    ----------
    contract : pbr_fairness.contracts.Contract
        The contract the table was made from.
    table : pandas.DataFrame
        The edited table (same rows, edited numbers).
    name : str, optional
        Name of the new contract (default: the old name, suffixed "(edited)" when changed).

    Returns
    -------
    pbr_fairness.contracts.Contract

    Raises
    ------
    InputError
        Naming the row and column of every number that is missing, not a number or negative.
    """
    from pbr_fairness.contracts import Contract, Tariff
    from pbr_fairness.contracts.spec import ContractSpec

    current = contract.tariffs
    problems = _table_problems(table, list(current))
    if problems:
        raise InputError(problems, source="tariff table")
    changed: dict[str, Any] = {}
    for row in table.itertuples(index=False):
        key = str(row.tariff)
        new = Tariff(
            float(row.attachment_fee),
            float(row.job_outcome_fee),
            float(row.trigger_weeks),
            float(row.sustainment_fee),
            round(float(row.max_sustainment_payments)),
        )
        if new != current[key]:
            changed[key] = new
    if not changed:
        return contract if name is None else _renamed(contract, name)
    new_name = name or f"{contract.name} (edited)"
    reason = "edited in the contract designer"
    if contract.basis == "payment_group":
        return contract.with_groups(changed, name=new_name, reason=reason)
    data = contract.spec.model_dump()
    data["name"] = new_name
    if contract.basis == "distance_band":
        labels = list(current)
        for i, label in enumerate(labels):
            if label in changed:
                spec = changed[label].to_spec(reason=reason, label=data["bands"][i].get("label"))
                data["bands"][i].update(spec.model_dump(exclude={"label"}))
    else:
        if "base" in changed:
            data["smooth"]["base"] = changed["base"].to_spec(reason=reason).model_dump()
    return Contract(ContractSpec.model_validate(data))


def read_contract(data: bytes | str, *, source: str = "uploaded contract") -> Any:
    """Read and validate a contract from YAML text held in memory (e.g. an upload).

    Parameters
    ----------
    data : bytes or str
        The YAML text.
    source : str, default "uploaded contract"
        Name used in error messages (e.g. the uploaded file's name).

    Returns
    -------
    pbr_fairness.contracts.Contract

    Raises
    ------
    InputError
        If the text is not UTF-8, not YAML, or not a valid contract (naming every bad key).
    """
    import hashlib

    import yaml

    from pbr_fairness.contracts import Contract
    from pbr_fairness.contracts import contract as contract_module

    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(f"not UTF-8 text (byte {exc.start})")], source=source) from None
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError([Problem(f"not valid YAML: {exc}")], source=source) from None
    spec = contract_module._validate(parsed, source=source)
    return Contract(spec, source=source, sha256=hashlib.sha256(raw).hexdigest())


def _renamed(contract: Any, name: str) -> Any:
    from pbr_fairness.contracts import Contract
    from pbr_fairness.contracts.spec import ContractSpec

    data = contract.spec.model_dump()
    data["name"] = name
    return Contract(ContractSpec.model_validate(data))


# --------------------------------------------------------------------------- sources
_FIGURE_FIELDS = (
    "attachment_fee",
    "job_outcome_fee",
    "job_outcome_trigger_weeks",
    "sustainment_fee",
    "max_sustainment_payments",
)


def _figure_row(where: str, name: str, fig: Any) -> dict[str, Any]:
    refs = list(fig.reference or ())
    return {
        "tariff": where,
        "figure": name,
        "value": float(fig.value),
        "unit": str(fig.unit),
        "confidence": fig.confidence or ("U" if fig.estimate else ""),
        "source": "; ".join(r.title for r in refs)
        if refs
        else ("estimate: " + (fig.reason or "no reason given") if fig.estimate else ""),
        "links": " ".join(r.href for r in refs if r.href),
    }


def contract_sources(contract: Any) -> pd.DataFrame:
    """Return every figure of a contract with its unit, confidence label and source.

    Parameters
    ----------
    contract : pbr_fairness.contracts.Contract
        The contract.

    Returns
    -------
    pandas.DataFrame
        ``tariff``, ``figure``, ``value``, ``unit``, ``confidence``, ``source`` (reference
        titles, or ``"estimate: <reason>"``) and ``links``.
    """
    spec = contract.spec
    rows = []
    if spec.minimum_hours is not None:
        rows.append(_figure_row("contract", "minimum_hours", spec.minimum_hours))
    tariffs: list[tuple[str, Any]] = []
    if spec.groups is not None:
        tariffs = list(spec.groups.items())
    elif spec.bands is not None:
        tariffs = [(b.label or f"{b.min_distance:g}-{b.max_distance:g}", b) for b in spec.bands]
    elif spec.smooth is not None:
        tariffs = [("base", spec.smooth.base)]
        for name in ("reference_probability", "elasticity", "probability_floor", "max_factor"):
            rows.append(_figure_row("smooth", name, getattr(spec.smooth, name)))
    for where, t in tariffs:
        for name in _FIGURE_FIELDS:
            rows.append(_figure_row(where, name, getattr(t, name)))
    return pd.DataFrame(
        rows, columns=["tariff", "figure", "value", "unit", "confidence", "source", "links"]
    )


def _leaf_value(node: Mapping[str, Any]) -> str:
    if "value" in node:
        return str(node["value"])
    rest = {k: v for k, v in node.items() if k not in ("source", "estimate", "note")}
    text = ", ".join(f"{k}: {v}" for k, v in rest.items())
    return text if len(text) <= 120 else text[:117] + "..."


def parameter_sources(path: Any = None) -> pd.DataFrame:
    """Return each figure of a parameter file with its source or its reason as an estimate.

    Every mapping in the YAML file that holds a ``source`` or an ``estimate`` key is one row.

    Parameters
    ----------
    path : path-like, optional
        YAML parameter file (default: the synthetic generator's
        ``pbr_fairness/data/generator.yaml``).

    Returns
    -------
    pandas.DataFrame
        ``parameter`` (dotted path), ``value``, ``kind`` (``"source"`` or ``"estimate"``) and
        ``text`` (the source, or why the estimate was chosen).
    """
    from pathlib import Path

    import yaml

    if path is None:
        path = Path(__file__).parent / "data" / "generator.yaml"
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    rows: list[dict[str, str]] = []

    def walk(node: Any, where: str) -> None:
        if not isinstance(node, Mapping):
            return
        for kind in ("source", "estimate"):
            if kind in node:
                rows.append(
                    {
                        "parameter": where or "(file)",
                        "value": _leaf_value(node),
                        "kind": kind,
                        "text": " ".join(str(node[kind]).split()),
                    }
                )
        for key, child in node.items():
            if key not in ("source", "estimate", "note"):
                walk(child, f"{where}.{key}" if where else str(key))

    walk(data, "")
    return pd.DataFrame(rows, columns=["parameter", "value", "kind", "text"])


# --------------------------------------------------------------------------- results
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


#: Person-level columns the designer's charts and report need.
SLIM_COLUMNS: tuple[str, ...] = ("payment_group", "p0", "hours", "planner_hours", "parked")


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
    import dataclasses

    keep = [c for c in columns if c in result.persons.columns]
    changes: dict[str, Any] = {"persons": result.persons[keep].copy()}
    names = {f.name for f in dataclasses.fields(result)}
    if "_gap_inputs" in names:
        changes["_gap_inputs"] = None
    if "monthly" in names and getattr(result, "monthly", None) is not None:
        changes["monthly"] = result.monthly
    return dataclasses.replace(result, **changes)


@dataclass(frozen=True)
class Headline:
    """One headline figure of a simulation, with its change against a baseline.

    Attributes
    ----------
    measure : str
        Measure key.
    label : str
        Display label.
    kind : str
        ``"percent"``, ``"money"`` or ``"number"``.
    value : float
        The figure.
    delta : float or None
        Value minus the baseline's (``None`` without a baseline).
    lower_is_better : bool
        Whether a fall is an improvement (for colouring the change).
    """

    measure: str
    label: str
    kind: str
    value: float
    delta: float | None
    lower_is_better: bool


def headlines(result: Any, baseline: Any | None = None) -> list[Headline]:
    """Return the designer's headline figures, with changes against ``baseline``."""
    out = []
    for key, (label, kind, lower) in HEADLINE_MEASURES.items():
        value = float(result.overall[key])
        delta = None if baseline is None else value - float(baseline.overall[key])
        out.append(Headline(key, label, kind, value, delta, lower))
    return out


def comparison_table(results: Mapping[str, Any]) -> pd.DataFrame:
    """Overall measures of several contracts side by side (one column per contract)."""
    from pbr_fairness.plots import MEASURE_LABELS

    measures = list(dict.fromkeys(m for r in results.values() for m in r.overall))
    table = pd.DataFrame(
        {name: [float(r.overall.get(m, np.nan)) for m in measures] for name, r in results.items()},
        index=pd.Index([MEASURE_LABELS.get(m, m) for m in measures], name="measure"),
    )
    return table


def comparison_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """Tidy tables of several results stacked, with a ``contract`` column."""
    parts = []
    for name, r in results.items():
        f = r.to_frame().copy()
        f.insert(0, "contract", name)
        parts.append(f)
    return pd.concat(parts, ignore_index=True)


def results_csv(results: Mapping[str, Any]) -> bytes:
    """Return the tidy results of one or more contracts as CSV bytes, formulas neutralised."""
    from pbr_fairness.safety import neutralise_formulas

    frame = neutralise_formulas(comparison_frame(results))
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- report
_REPORT_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; color: #222; line-height: 1.45; padding: 0 1rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f3f6; }
.note { color: #555; font-size: 0.9rem; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.85rem; }
</style>
{{ plotly_js }}
</head><body>
<h1>{{ title }}</h1>
<p class="note">Made with pbr-fairness {{ version }} on {{ date }}. Results are from the
simulation model described in the project documentation, on the caseload named below; they
show what a profit-seeking provider would do under each contract, not what any real
provider did.</p>
<h2>Findings</h2>
<ul>{% for f in findings %}<li>{{ f }}</li>{% endfor %}</ul>
<h2>Contracts compared</h2>
{{ comparison_html }}
{% for fig in figures %}<div class="figure">{{ fig }}</div>{% endfor %}
<h2>Tariffs</h2>
{% for name, text in tariffs %}<h3>{{ name }}</h3><pre>{{ text }}</pre>{% endfor %}
<h2>Provenance</h2>
<table><tbody>{% for k, v in provenance %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}
</tbody></table>
</body></html>
"""


def _findings(results: Mapping[str, Any], baseline: str | None) -> list[str]:
    names = list(results)
    base = baseline if baseline in results else names[0]
    b = results[base].overall
    out = [
        f"{base}: job-outcome rate {100 * b['job_outcome_rate']:.1f}% "
        f"({100 * b['no_support_rate']:.1f}% would have found work without support); "
        f"{100 * b['parked_share']:.1f}% of people parked; cost per additional job "
        f"£{b['cost_per_additional_job']:,.0f}."
    ]
    for name in names:
        if name == base:
            continue
        r = results[name].overall
        d = {k: r[k] - b[k] for k in HEADLINE_MEASURES}
        out.append(
            f"{name} against {base}: parked share {100 * d['parked_share']:+.1f} points, "
            f"additional jobs {d['additional_jobs']:+,.0f}, spend £{d['government_spend']:+,.0f}, "
            f"cost per additional job £{d['cost_per_additional_job']:+,.0f}."
        )
    return out


def designer_report_html(
    results: Mapping[str, Any],
    *,
    contracts: Mapping[str, Any] | None = None,
    baseline: str | None = None,
    title: str = "Contract comparison",
    caseload_description: str = "",
) -> str:
    """Return a self-contained HTML report comparing simulated contracts.

    The report holds the findings in plain language, the comparison table, the charts
    (plotly, its JavaScript inlined: the file opens offline and makes no external request),
    the tariffs and the provenance. Every user-supplied text is escaped.

    Parameters
    ----------
    results : mapping of str to SimulationResult
        Results by contract name (the first, or ``baseline``, is the reference).
    contracts : mapping of str to Contract, optional
        The contracts, to print their tariffs.
    baseline : str, optional
        Name of the reference contract.
    title : str, default "Contract comparison"
        Report title.
    caseload_description : str, optional
        What the caseload was (shown in the provenance).

    Returns
    -------
    str
        The HTML document.
    """
    import jinja2
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    import pbr_fairness
    from pbr_fairness import plots

    if not results:
        raise ValueError("no results to report")
    tidy = comparison_frame(results)
    hours = pd.concat(
        [hours_by_decile(r.persons).assign(contract=n) for n, r in results.items()],
        ignore_index=True,
    )
    figures = [
        plots.hours_by_decile_figure(hours),
        plots.parked_share_figure(tidy),
        plots.outcome_with_without_support_figure(tidy, contract=baseline or next(iter(results))),
    ]
    try:
        figures.append(plots.gaps_figure(tidy))
    except ValueError:
        pass
    fig_html = [pio.to_html(f, include_plotlyjs=False, full_html=False) for f in figures]
    comparison = comparison_table(results)
    provenance: list[tuple[str, str]] = [("caseload", caseload_description or "not stated")]
    for name, r in results.items():
        for k, v in dict(getattr(r, "provenance", {}) or {}).items():
            provenance.append((f"{name}: {k}", str(v)))
    env = jinja2.Environment(autoescape=True)
    template = env.from_string(_REPORT_TEMPLATE)
    return template.render(
        title=title,
        version=getattr(pbr_fairness, "__version__", "unknown"),
        date=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        plotly_js=_markup(f'<script type="text/javascript">{get_plotlyjs()}</script>'),
        findings=_findings(results, baseline),
        comparison_html=_markup(
            comparison.to_html(
                float_format=lambda v: f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}", escape=True
            )
        ),
        figures=[_markup(h) for h in fig_html],
        tariffs=[(n, c.summary()) for n, c in (contracts or {}).items()],
        provenance=provenance,
    )


def _markup(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)
