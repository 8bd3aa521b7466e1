"""Scenario sweeps: thousands of contract designs, provider behaviours and seeds.

Read a spec (:func:`load_spec`), expand it into scenarios (:func:`expand_scenarios`: a grid
times random or Latin-hypercube samples, times seed replicates from
``numpy.random.SeedSequence.spawn``), run them on local processes or a Dask cluster
(:func:`run_sweep`), and get a tidy Parquet table (one row per scenario x breakdown x group x
measure) that resumes where an interrupted run stopped, plus the mean and 95% intervals
across seeds (:func:`aggregate_seeds`).
"""

from __future__ import annotations

from pbr_fairness.sweep.aggregate import aggregate_seeds, parameter_columns
from pbr_fairness.sweep.runner import BACKENDS, SweepRun, run_sweep, summary_path
from pbr_fairness.sweep.spec import (
    BREAKDOWNS,
    CaseloadSpec,
    ParametersSpec,
    RangeSpec,
    SampleSpec,
    Scenario,
    SweepSpec,
    expand_scenarios,
    load_spec,
    replicate_seeds,
)
from pbr_fairness.sweep.store import ResultStore
from pbr_fairness.sweep.worker import apply_contract_overrides, evaluate_scenario

__all__ = [
    "BACKENDS",
    "BREAKDOWNS",
    "CaseloadSpec",
    "ParametersSpec",
    "RangeSpec",
    "ResultStore",
    "SampleSpec",
    "Scenario",
    "SweepRun",
    "SweepSpec",
    "aggregate_seeds",
    "apply_contract_overrides",
    "evaluate_scenario",
    "expand_scenarios",
    "load_spec",
    "parameter_columns",
    "replicate_seeds",
    "run_sweep",
    "summary_path",
]
