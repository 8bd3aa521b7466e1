"""The app's recipes: how each page sets up its one library call, as plain functions.

The Streamlit app (``app/``) only caches what these return and draws it; a script or a test
reaches the same numbers without Streamlit:

- :mod:`~pbr_fairness.recipes.data`: which caseload, sample, held-out people and model;
- :mod:`~pbr_fairness.recipes.designer`: a scenario's runs and their simulation (the
  engine's rule says when a prediction is needed);
- :mod:`~pbr_fairness.recipes.tariff`: the fairer-tariff search's set-up and an honest
  check of every limit;
- :mod:`~pbr_fairness.recipes.audit`: reading an upload with its columns and values matched,
  and the audit, in the app's words;
- :mod:`~pbr_fairness.recipes.distance`: the model page's accuracy, group calibration and
  inputs, in words;
- :mod:`~pbr_fairness.recipes.prepared`: results prepared on disk by ``make prepare``,
  keyed by their inputs;
- :mod:`~pbr_fairness.recipes.response`: the worlds (response scenarios) the designer tests
  contracts in, in plain words, and the size of another world's caseload;
- :mod:`~pbr_fairness.recipes.uncertainty`: how sure the designer's headline figures are
  (90% ranges over the estimated parameters, each draw recalibrated).

The package imports only what the designer needs (the audit, model and tariff recipes are
imported from their modules), so that the designer's first page appears quickly.
"""

from __future__ import annotations

from pbr_fairness.recipes.data import AppData
from pbr_fairness.recipes.designer import (
    BASELINE_PREFIX,
    DesignerRun,
    contract_needs_prediction,
    designer_runs,
    population_key,
    prepare_run_population,
    simulate_run,
    simulate_scenario,
)
from pbr_fairness.recipes.prepared import find_prepared, prepare_results

__all__ = [
    "BASELINE_PREFIX",
    "AppData",
    "DesignerRun",
    "contract_needs_prediction",
    "designer_runs",
    "find_prepared",
    "population_key",
    "prepare_results",
    "prepare_run_population",
    "simulate_run",
    "simulate_scenario",
]
