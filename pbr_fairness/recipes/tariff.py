"""The fairer-tariff page's recipe: the search's set-up and an honest account of its result.

:func:`tariff_constraints` turns the page's settings (a scenario's
:class:`~pbr_fairness.scenario.TariffState`) into the optimiser's constraints;
:func:`optimise_for_state` runs the search the way the page does (the designer's provider,
the model's prediction when there is a model); :func:`tariff_checks` says for every limit
whether the proposal meets it, with the figures, so that the page's status, its warning and
its headline cards all show the same numbers. :func:`optimise_instruments_for_state` runs the
search over instrument families the same way (:func:`search_caseload` says on which people),
and :data:`MARGIN_NOTE` says why the baseline's margin is a floor nothing reaches the targets
at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.contracts import Contract, load_contract
from pbr_fairness.labels import format_value
from pbr_fairness.scenario import InstrumentSearchState, TariffState
from pbr_fairness.simulation import ProviderSettings
from pbr_fairness.tariffs import TariffConstraints, TariffResult, optimise_tariff
from pbr_fairness.tariffs.instrument_optimise import InstrumentResult, optimise_instruments
from pbr_fairness.tariffs.instrument_search import InstrumentConstraints

__all__ = [
    "MARGIN_NOTE",
    "SEARCH_REPLICATIONS",
    "TARIFF_SEED",
    "TariffCheck",
    "instrument_constraints",
    "optimise_for_state",
    "optimise_instruments_for_state",
    "search_caseload",
    "tariff_checks",
    "tariff_constraints",
]

#: ``progress(fraction, message)``, called as the search advances.
Progress = Callable[[float, str], None]
#: Seed of the page's search (the provider's information noise).
TARIFF_SEED = 20110601
_TOLERANCE = 1e-9
#: Monte Carlo replications of the page's revenue-risk check (the library's default is 40).
SEARCH_REPLICATIONS = 20
#: Why the baseline's margin is a hard floor (docs/calibration.md: the model's provider
#: margin is 42.4% against a published thin margin of at most about 25%).
MARGIN_NOTE = (
    "At the baseline's own margin (about 42% on the default caseload) no proposal reaches the "
    "targets: at equal spend, a provider that keeps that margin has no room to buy more "
    "support. Published figures put real providers' margins at about 25% at most (a figure "
    "held out of the calibration), so a floor of 25% or below is the realistic test."
)


def tariff_constraints(state: TariffState) -> TariffConstraints:
    """Return the optimiser's constraints for the page's settings.

    Examples
    --------
    >>> c = tariff_constraints(TariffState(budget_percent=90, max_parked_percent=0))
    >>> c.budget_share, c.max_parked_share, c.max_fee_ratio
    (0.9, 0.0, None)
    """
    return TariffConstraints(
        budget_share=state.budget_percent / 100.0,
        min_profit=float(state.min_profit),
        max_parked_share=state.max_parked_percent / 100.0,
        monotone=bool(state.monotone),
        max_fee_ratio=float(state.max_fee_ratio) or None,
    )


def optimise_for_state(
    caseload: pd.DataFrame,
    state: TariffState,
    provider: ProviderSettings,
    *,
    predicted: NDArray[np.float64] | None = None,
    baseline: Contract | None = None,
    progress: Progress | None = None,
) -> TariffResult:
    """Run the fairer-tariff search as the page does.

    Parameters
    ----------
    caseload : pandas.DataFrame
        A synthetic caseload (the truth columns are needed).
    state : TariffState
        The page's settings.
    provider : ProviderSettings
        The provider (the one set in the contract designer).
    predicted : numpy.ndarray, optional
        The model's prediction; without it, bases and knowledge that need it are refused
        and no reference tariff is searched.
    baseline : Contract, optional
        The baseline (default: the preset ``state.baseline``).
    progress : callable, optional
        ``progress(fraction, message)``.

    Returns
    -------
    TariffResult
    """
    return optimise_tariff(
        caseload,
        baseline if baseline is not None else load_contract(state.baseline),
        provider,
        basis=state.basis,
        objective=state.objective,
        constraints=tariff_constraints(state),
        provider_knows=state.provider_knows,
        predicted=predicted,
        with_reference=predicted is not None,
        rng=TARIFF_SEED,
        progress=progress,
    )


@dataclass(frozen=True)
class TariffCheck:
    """One limit of the search and whether the proposal meets it.

    Attributes
    ----------
    limit : str
        The limit in words ("Government spend within the budget").
    met : bool
    detail : str
        The figures ("£5.9m against a budget of £6.0m").
    """

    limit: str
    met: bool
    detail: str


def tariff_checks(result: TariffResult) -> list[TariffCheck]:
    """Say for every limit of the search whether the proposal meets it, with the figures.

    The worst parked share is the proposal's own (the headline's figure), never the best
    the search reached with another tariff.

    Parameters
    ----------
    result : TariffResult

    Returns
    -------
    list of TariffCheck
        Budget, provider profit, the parked-share cap, and the floors on additional and
        equity-weighted jobs when set.
    """
    p, b = result.proposed_measures, result.baseline_measures
    c = result.constraints
    out = []
    spend = p["government_spend"]
    out.append(
        TariffCheck(
            "Government spend within the budget",
            spend <= result.budget * (1 + _TOLERANCE),
            f"{format_value('government_spend', spend, compact=True)} against a budget of "
            f"{format_value('budget', result.budget, compact=True)} "
            f"({format_value('budget_share', result.budget / b['government_spend'])} of the "
            "baseline's)",
        )
    )
    profit, floor = p["provider_profit"], float(c.get("min_profit") or 0.0)
    out.append(
        TariffCheck(
            "Provider profit at least the smallest allowed",
            profit >= floor - _TOLERANCE * max(1.0, abs(floor)),
            f"{format_value('provider_profit', profit, compact=True)} against "
            f"{format_value('provider_profit', floor, compact=True)}",
        )
    )
    cap = c.get("max_parked_share")
    if cap is not None:
        worst = p["worst_parked_share"]
        out.append(
            TariffCheck(
                "Parked share in every payment group and decile at most the cap",
                worst <= float(cap) + _TOLERANCE,
                f"worst {format_value('worst_parked_share', worst)} against a cap of "
                f"{format_value('worst_parked_share', float(cap))}",
            )
        )
    for key, measure, words in (
        ("min_additional_jobs_share", "additional_jobs", "Additional jobs"),
        ("min_equity_jobs_share", "equity_weighted_additional_jobs", "Equity-weighted jobs"),
    ):
        share = c.get(key)
        if share is None or not b.get(measure):
            continue
        ratio = p[measure] / b[measure]
        out.append(
            TariffCheck(
                f"{words} at least {format_value('budget_share', float(share))} of the "
                "baseline's",
                ratio >= float(share) - 1e-6,
                f"{format_value('budget_share', ratio)} of the baseline's",
            )
        )
    return out


def search_caseload(caseload: pd.DataFrame, people: int, *, seed: int = TARIFF_SEED
                    ) -> pd.DataFrame:
    """Return the people the instrument search runs on: a seeded random sample, or everyone.

    Examples
    --------
    >>> from pbr_fairness.caseload.generator import make_caseload
    >>> cl = make_caseload(3000, rng=1, providers=2)
    >>> len(search_caseload(cl, 1000)), len(search_caseload(cl, 5000))
    (1000, 3000)
    """
    if len(caseload) <= people:
        return caseload
    return caseload.sample(n=int(people), random_state=seed).reset_index(drop=True)


def instrument_constraints(state: InstrumentSearchState) -> InstrumentConstraints:
    """Return the instrument search's constraints for the page's settings.

    Examples
    --------
    >>> instrument_constraints(InstrumentSearchState()).min_margin
    'baseline'
    >>> instrument_constraints(InstrumentSearchState(min_margin_percent=25)).min_margin
    0.25
    """
    m = state.min_margin_percent
    return InstrumentConstraints(min_margin="baseline" if m is None else m / 100.0)


def optimise_instruments_for_state(
    caseload: pd.DataFrame,
    state: TariffState,
    provider: ProviderSettings,
    *,
    baseline: Contract | None = None,
    replications: int = SEARCH_REPLICATIONS,
    progress: Progress | None = None,
) -> InstrumentResult:
    """Run the search over instrument families as the fairer-tariff page does.

    Parameters
    ----------
    caseload : pandas.DataFrame
        A synthetic caseload (the truth columns are needed); the search runs on
        ``state.instruments.people`` of them (:func:`search_caseload`).
    state : TariffState
        The page's settings (``state.instruments`` and the baseline).
    provider : ProviderSettings
        The provider (the one set in the contract designer).
    baseline : Contract, optional
        The baseline (default: the preset ``state.baseline``).
    replications : int, default SEARCH_REPLICATIONS
        Monte Carlo replications for the revenue risk.
    progress : callable, optional
        ``progress(fraction, message)``.

    Returns
    -------
    InstrumentResult

    Examples
    --------
    >>> from pbr_fairness.caseload.generator import make_caseload
    >>> s = TariffState(search="instruments",
    ...                 instruments=InstrumentSearchState(families=("yardstick",)))
    >>> r = optimise_instruments_for_state(make_caseload(2000, rng=1, providers=3), s,
    ...                                    ProviderSettings(), replications=4)
    >>> r.families, list(r.per_family)
    (('yardstick',), ['yardstick'])
    """
    inst = state.instruments
    return optimise_instruments(
        search_caseload(caseload, inst.people),
        baseline if baseline is not None else load_contract(state.baseline),
        provider,
        families=list(inst.families),
        provider_knows=inst.provider_knows,
        constraints=instrument_constraints(inst),
        robust=inst.robust,
        replications=replications,
        rng=TARIFF_SEED,
        progress=progress,
    )
