"""Auditor's caseload audit: observed against expected outcomes, parking, creaming, group gaps.

Public API
----------
audit_caseload
    Audit a person-level caseload; returns an :class:`AuditResult` with ``.summary()``,
    ``.to_json()``, ``.to_html()``, ``.write_csv()``, ``.tables`` and ``.provenance``.
make_audit_scenario
    Synthetic caseloads in which named providers park or cream (tests, benchmark, demo).
Statistics
    :func:`clopper_pearson`, :func:`oe_interval`, :func:`funnel_limits`,
    :func:`overdispersion`, :func:`concentration_index`, :func:`holm`,
    :func:`benjamini_hochberg`, :func:`parking_sample_size`, :func:`parking_power`,
    :func:`suppress_counts`.
"""

from __future__ import annotations

from pbr_fairness.audit.audit import AuditResult, audit_caseload, frame_sha256
from pbr_fairness.audit.creaming import (
    ConcentrationIndex,
    concentration_curve,
    concentration_index,
    concentration_index_sorted,
)
from pbr_fairness.audit.disclosure import Suppression, suppress_counts, suppress_long
from pbr_fairness.audit.fairness import outcome_gaps
from pbr_fairness.audit.multiple import adjust_pvalues, benjamini_hochberg, holm
from pbr_fairness.audit.parking import (
    decile_of,
    minimal_support_threshold,
    parked_share_by_decile,
    parked_share_test,
    slope_test,
    slope_tests,
)
from pbr_fairness.audit.power import parking_power, parking_sample_size
from pbr_fairness.audit.report import render_html, write_tables
from pbr_fairness.audit.scenarios import make_audit_scenario, scenario_roles
from pbr_fairness.audit.statistics import (
    FunnelLimits,
    Overdispersion,
    clopper_pearson,
    funnel_limits,
    funnel_position,
    oe_interval,
    overdispersion,
)

__all__ = [
    "AuditResult",
    "ConcentrationIndex",
    "FunnelLimits",
    "Overdispersion",
    "Suppression",
    "adjust_pvalues",
    "audit_caseload",
    "benjamini_hochberg",
    "clopper_pearson",
    "concentration_curve",
    "concentration_index",
    "concentration_index_sorted",
    "decile_of",
    "frame_sha256",
    "funnel_limits",
    "funnel_position",
    "holm",
    "make_audit_scenario",
    "minimal_support_threshold",
    "oe_interval",
    "outcome_gaps",
    "overdispersion",
    "parked_share_by_decile",
    "parked_share_test",
    "parking_power",
    "parking_sample_size",
    "render_html",
    "scenario_roles",
    "slope_test",
    "slope_tests",
    "suppress_counts",
    "suppress_long",
    "write_tables",
]
