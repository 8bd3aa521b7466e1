"""The designer's self-contained HTML report: findings, comparison, charts, tariffs.

Tables are formatted from :mod:`pbr_fairness.labels` (the same labels, units and formats
as the app), findings are the plain-language sentences of
:mod:`pbr_fairness.reporting.sentences`, and plotly's JavaScript is inlined, so the file
opens offline and makes no external request. Every user-supplied text is escaped.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import jinja2
import pandas as pd
import plotly.io as pio
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from pbr_fairness import __version__, plots
from pbr_fairness.contracts import Contract
from pbr_fairness.labels import MEASURES, format_value, heading
from pbr_fairness.reporting.contract_tables import tariff_labels, tariff_table
from pbr_fairness.reporting.sentences import change_sentence
from pbr_fairness.reporting.summaries import comparison_display, comparison_frame, hours_by_decile

__all__ = ["designer_report_html"]

_REPORT_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; color: #222; line-height: 1.45; padding: 0 1rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: right;
         overflow-wrap: anywhere; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f3f6; }
.note { color: #555; font-size: 0.9rem; }
dt { font-weight: 600; margin-top: 0.4rem; }
@media print { .figure { break-inside: avoid; } table { font-size: 0.8rem; } }
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
{{ table(comparison) }}
{% for fig in figures %}<div class="figure">{{ fig }}</div>{% endfor %}
<h2>Tariffs</h2>
{% for name, t in tariffs %}<h3>{{ name }}</h3>{{ table(t) }}{% endfor %}
<h2>Terms used</h2>
<dl>{% for name, text in terms %}<dt>{{ name }}</dt><dd>{{ text }}</dd>{% endfor %}</dl>
<h2>Provenance</h2>
<table><tbody>{% for k, v in provenance %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}
</tbody></table>
</body></html>
"""

_TABLE_TEMPLATE = """<table><thead><tr>{% for c in frame.columns %}<th>{{ c }}</th>{% endfor %}
</tr></thead><tbody>{% for row in frame.itertuples(index=False) %}<tr>
{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>"""

_TARIFF_FIELDS = (
    "attachment_fee",
    "job_outcome_fee",
    "trigger_weeks",
    "sustainment_fee",
    "max_sustainment_payments",
)


def tariff_display(contract: Contract) -> pd.DataFrame:
    """Return a contract's tariffs for people: group names, bands from the furthest, pounds.

    Returns
    -------
    pandas.DataFrame
        Strings: ``Group or band`` then the five fees, headed with their units.
    """
    table = tariff_table(contract, furthest_first=True)
    names = tariff_labels(contract)
    out: dict[str, list[str]] = {"Group or band": [names[k] for k in table["tariff"]]}
    for f in _TARIFF_FIELDS:
        out[heading(f)] = [format_value(f, v) for v in table[f].tolist()]
    return pd.DataFrame(out, dtype=object)


def _findings(
    results: Mapping[str, Any],
    baseline: str,
    contracts: Mapping[str, Contract],
) -> list[str]:
    base = results[baseline]
    b = base.overall
    out = [
        f"{baseline}: job-outcome rate {format_value('job_outcome_rate', b['job_outcome_rate'])} "
        f"({format_value('no_support_rate', b['no_support_rate'])} would have found work "
        f"without support); {format_value('parked_share', b['parked_share'])} of people parked; "
        "cost per additional job "
        f"{format_value('cost_per_additional_job', b['cost_per_additional_job'])}."
    ]
    for name, res in results.items():
        if name == baseline:
            continue
        sentence = change_sentence(
            res,
            base,
            contract=contracts.get(name),
            baseline_contract=contracts.get(baseline),
            provider=getattr(getattr(res, "provider", None), "to_dict", dict)(),
            baseline_provider=getattr(getattr(base, "provider", None), "to_dict", dict)(),
            baseline_name=baseline,
        )
        out.append(f"{name} against {baseline}: {sentence}")
    return out


def designer_report_html(
    results: Mapping[str, Any],
    *,
    contracts: Mapping[str, Contract] | None = None,
    baseline: str | None = None,
    title: str = "Contract comparison",
    caseload_description: str = "",
) -> str:
    """Return a self-contained HTML report comparing simulated contracts.

    The report holds the findings in plain language, the comparison table (with the change
    of each contract against the baseline), the charts, the tariffs, the terms used and the
    provenance.

    Parameters
    ----------
    results : mapping of str to SimulationResult
        Results by contract name (the first, or ``baseline``, is the reference).
    contracts : mapping of str to Contract, optional
        The contracts, to print their tariffs and name the changed fees.
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
    if not results:
        raise ValueError("no results to report")
    base: str = baseline if baseline is not None and baseline in results else next(iter(results))
    contracts = dict(contracts or {})
    tidy = comparison_frame(results)
    hours = pd.concat(
        [hours_by_decile(r.persons).assign(contract=n) for n, r in results.items()],
        ignore_index=True,
    )
    figures = [
        plots.hours_by_decile_figure(hours),
        plots.parked_share_figure(tidy),
        plots.outcome_with_without_support_figure(tidy, contract=base),
    ]
    try:
        figures.append(plots.gaps_figure(tidy))
    except ValueError:
        pass
    fig_html = [pio.to_html(f, include_plotlyjs=False, full_html=False) for f in figures]
    ordered: dict[str, Any] = {base: results[base]}
    ordered.update({k: v for k, v in results.items() if k != base})
    comparison = comparison_display(ordered, reference=base)
    provenance: list[tuple[str, str]] = [("caseload", caseload_description or "not stated")]
    for name, r in results.items():
        for k, v in dict(getattr(r, "provenance", {}) or {}).items():
            provenance.append((f"{name}: {k}", str(v)))
    env = jinja2.Environment(autoescape=True)
    table_template = env.from_string(_TABLE_TEMPLATE)

    def table(frame: pd.DataFrame) -> Markup:
        return Markup(table_template.render(frame=frame))

    measures = [m for m in dict.fromkeys(tidy["measure"]) if m in MEASURES]
    terms = [(MEASURES[m].label, MEASURES[m].description) for m in measures]
    return env.from_string(_REPORT_TEMPLATE).render(
        title=title,
        version=__version__,
        date=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        plotly_js=Markup(f'<script type="text/javascript">{get_plotlyjs()}</script>'),
        findings=_findings(results, base, contracts),
        comparison=comparison,
        table=table,
        figures=[Markup(h) for h in fig_html],
        tariffs=[(n, tariff_display(c)) for n, c in contracts.items()],
        terms=terms,
        provenance=provenance,
    )
