"""Tables, sentences and reports built from contracts and simulation results.

Each module does one thing:

- :mod:`~pbr_fairness.reporting.contract_tables`: a contract's tariffs as an editable
  table and back, with labels for people (payment-group names, bands from the furthest);
- :mod:`~pbr_fairness.reporting.contract_text`: a contract read from YAML held in memory
  (an upload), plain numbers accepted as labelled estimates;
- :mod:`~pbr_fairness.reporting.sources`: where every figure comes from;
- :mod:`~pbr_fairness.reporting.summaries`: headline figures, comparisons, hours by
  decile, CSV;
- :mod:`~pbr_fairness.reporting.sentences`: one-sentence summaries of a change and the
  structural changes of a proposal, in plain words;
- :mod:`~pbr_fairness.reporting.html_report`: the designer's self-contained HTML report.

>>> from pbr_fairness.reporting import tariff_table
>>> from pbr_fairness.contracts import load_contract
>>> tariff_table(load_contract("work_programme_2011")).shape
(9, 6)
"""

from __future__ import annotations

from pbr_fairness.reporting.contract_tables import (
    TARIFF_COLUMNS,
    contract_from_table,
    renamed,
    tariff_labels,
    tariff_table,
    with_tariffs,
)
from pbr_fairness.reporting.contract_text import FIGURE_UNITS, fill_plain_figures, read_contract
from pbr_fairness.reporting.html_report import designer_report_html, tariff_display
from pbr_fairness.reporting.sentences import (
    PROVIDER_WORDS,
    change_sentence,
    contract_changes,
    provider_changes,
    setting_text,
    structural_changes,
)
from pbr_fairness.reporting.sources import contract_sources, parameter_sources
from pbr_fairness.reporting.summaries import (
    HEADLINE_MEASURES,
    SLIM_COLUMNS,
    Headline,
    before_after_display,
    comparison_display,
    comparison_frame,
    comparison_table,
    group_display,
    headlines,
    hours_by_decile,
    results_csv,
    slim_result,
)

__all__ = [
    "FIGURE_UNITS",
    "HEADLINE_MEASURES",
    "PROVIDER_WORDS",
    "SLIM_COLUMNS",
    "TARIFF_COLUMNS",
    "Headline",
    "before_after_display",
    "change_sentence",
    "comparison_display",
    "comparison_frame",
    "comparison_table",
    "contract_changes",
    "contract_from_table",
    "contract_sources",
    "designer_report_html",
    "fill_plain_figures",
    "group_display",
    "headlines",
    "hours_by_decile",
    "parameter_sources",
    "provider_changes",
    "read_contract",
    "renamed",
    "results_csv",
    "setting_text",
    "slim_result",
    "structural_changes",
    "tariff_display",
    "tariff_labels",
    "tariff_table",
    "with_tariffs",
]
