"""The contract designer's recipe: from a scenario to the simulations it shows.

A scenario's designer state names the current variant, a baseline and up to two compared
variants; :func:`designer_runs` resolves each to a contract, provider settings and what the
provider knows. :func:`simulate_run` simulates one on a caseload, asking the engine's one
rule (:func:`pbr_fairness.engine.needs_prediction`), and the contract whether an instrument
prices on a probability (:func:`contract_needs_prediction`), whether it needs the model's
prediction;
:func:`population_key` says which runs can share a prepared population (a fee change
re-uses it). :func:`simulate_scenario` is the whole recipe for a script or the command line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.contracts import Contract
from pbr_fairness.engine import needs_prediction
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.reporting.summaries import slim_result
from pbr_fairness.scenario import (
    Scenario,
    Variant,
    baseline_variant,
    find_variant,
    provider_settings,
    resolve_contract,
)
from pbr_fairness.simulation import (
    Population,
    ProviderSettings,
    SimulationResult,
    prepare_population,
    simulate_contract,
)

__all__ = [
    "BASELINE_PREFIX",
    "DesignerRun",
    "contract_needs_prediction",
    "designer_runs",
    "population_key",
    "prepare_run_population",
    "simulate_run",
    "simulate_scenario",
]

#: How the baseline is named among the designer's results.
BASELINE_PREFIX = "Baseline: "

Predict = Callable[[], NDArray[np.float64]]


def contract_needs_prediction(contract: Contract | None, provider_knows: str = "truth") -> bool:
    """Whether simulating a contract needs the model's predicted probabilities.

    The engine's one rule (:func:`~pbr_fairness.engine.needs_prediction`: the contract's
    whole terms, instruments included, and what the provider knows).

    Examples
    --------
    >>> from pbr_fairness.contracts import load_contract
    >>> contract_needs_prediction(load_contract("funded_hours_by_need"))
    True
    >>> contract_needs_prediction(load_contract("yardstick_primes"))
    False
    """
    return needs_prediction(contract, provider_knows)


@dataclass(frozen=True)
class DesignerRun:
    """One variant ready to simulate.

    Attributes
    ----------
    name : str
        How the run is called in cards, tables and legends.
    variant : Variant
        The scenario's variant it comes from.
    contract : Contract
    provider : ProviderSettings
    provider_knows : str
        ``"truth"`` or ``"model"``.
    """

    name: str
    variant: Variant
    contract: Contract
    provider: ProviderSettings
    provider_knows: str

    @property
    def needs_prediction(self) -> bool:
        """Whether the model's prediction is needed (:func:`contract_needs_prediction`)."""
        return contract_needs_prediction(self.contract, self.provider_knows)


def _run(name: str, variant: Variant, where: str) -> DesignerRun:
    return DesignerRun(
        name=name,
        variant=variant,
        contract=resolve_contract(variant.contract, where=f"{where}.contract"),
        provider=provider_settings(variant, where=f"{where}.provider"),
        provider_knows=variant.provider_knows,
    )


def designer_runs(scenario: Scenario) -> dict[str, DesignerRun]:
    """Return the designer's runs: the current variant, the baseline, then those compared.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    dict of str to DesignerRun
        Keyed by display name: the current variant's name first, then
        ``"Baseline: <name>"``, then each compared variant.

    Raises
    ------
    InputError
        When the baseline or a compared name is neither a saved variant nor a preset.

    Examples
    --------
    >>> list(designer_runs(Scenario()))
    ['This scenario', 'Baseline: work_programme_2011']
    """
    d = scenario.designer
    runs = {d.current.name: _run(d.current.name, d.current, "designer.current")}
    base_name = BASELINE_PREFIX + d.baseline
    runs[base_name] = _run(base_name, baseline_variant(scenario), "designer.baseline")
    problems = []
    for i, name in enumerate(d.compare):
        found = find_variant(scenario, name)
        if found is None:
            problems.append(
                Problem(f"no saved variant or preset called {name!r}",
                        column=f"designer.compare[{i}]")
            )
            continue
        if name not in runs:
            runs[name] = _run(name, found, f"designer.compare[{i}]")
    if problems:
        raise InputError(problems, source="scenario")
    return runs


def population_key(run: DesignerRun) -> tuple[float, str, bool]:
    """Return what a prepared population depends on: ``(noise, knowledge, prediction)``.

    Runs with the same key share one :func:`prepare_run_population` (a fee change, a new
    cost per hour or capacity re-uses it).
    """
    return (float(run.provider.information_noise), run.provider_knows, run.needs_prediction)


def prepare_run_population(
    caseload: pd.DataFrame,
    run: DesignerRun,
    *,
    predicted: NDArray[np.float64] | None,
    seed: int,
) -> Population:
    """Prepare the caseload's arrays for a run (independent of the contract's fees)."""
    return prepare_population(
        caseload,
        ProviderSettings(information_noise=run.provider.information_noise),
        predicted=predicted if run.needs_prediction else None,
        provider_knows=run.provider_knows,  # type: ignore[arg-type]
        rng=seed,
    )


def _check_prediction(run: DesignerRun, predicted: NDArray[np.float64] | None) -> None:
    if run.needs_prediction and predicted is None:
        what = (
            f"the contract pays by {run.contract.basis.replace('_', ' ')}"
            if run.provider_knows != "model"
            else "the provider acts on the model's prediction"
        )
        raise InputError(
            [Problem(f"{run.name}: {what}, which needs the distance model's predictions")],
            source="scenario",
        )


def simulate_run(
    caseload: pd.DataFrame,
    run: DesignerRun,
    *,
    predicted: NDArray[np.float64] | None = None,
    population: Population | None = None,
    mode: str = "expected",
    seed: int = 20110601,
    slim: bool = True,
) -> SimulationResult:
    """Simulate one designer run on a caseload.

    Parameters
    ----------
    caseload : pandas.DataFrame
    run : DesignerRun
    predicted : numpy.ndarray, optional
        The model's predicted probabilities (needed when ``run.needs_prediction``).
    population : Population, optional
        A population prepared by :func:`prepare_run_population` for the same
        :func:`population_key` (saves the preparation).
    mode : {"expected", "monte_carlo"}
    seed : int
    slim : bool, default True
        Keep only the person-level columns the designer shows.

    Returns
    -------
    SimulationResult

    Raises
    ------
    InputError
        When a needed prediction is missing, or the contract or provider cannot be used.
    """
    _check_prediction(run, predicted)
    result = simulate_contract(
        caseload,
        run.contract,
        run.provider,
        mode=mode,  # type: ignore[arg-type]
        predicted=predicted if run.needs_prediction else None,
        provider_knows=run.provider_knows,  # type: ignore[arg-type]
        rng=seed,
        population=population,
    )
    return slim_result(result) if slim else result


def simulate_scenario(
    scenario: Scenario,
    caseload: pd.DataFrame,
    *,
    predicted: NDArray[np.float64] | None = None,
    provider: ProviderSettings | None = None,
    slim: bool = False,
) -> SimulationResult:
    """Simulate a scenario's current variant: what ``simulate --scenario FILE`` runs.

    Parameters
    ----------
    scenario : Scenario
    caseload : pandas.DataFrame
    predicted : numpy.ndarray, optional
        Needed when the contract is priced on the prediction or the provider acts on it.
    provider : ProviderSettings, optional
        Replaces the scenario's provider settings (the command line's options).
    slim : bool, default False

    Returns
    -------
    SimulationResult
    """
    run = designer_runs(scenario)[scenario.designer.current.name]
    if provider is not None:
        run = DesignerRun(run.name, run.variant, run.contract, provider, run.provider_knows)
    return simulate_run(
        caseload, run, predicted=predicted, mode=scenario.mode, seed=scenario.seed, slim=slim
    )
