"""``optimise_tariff``: a budget-neutral fairer tariff, its before/after, frontier and reference."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from pbr_fairness.contracts import Contract
from pbr_fairness.engine.prediction import ProviderKnows
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.limits import check_rng
from pbr_fairness.simulation import PlannerSettings, ProviderSettings, simulate_contract
from pbr_fairness.tariffs.constraints import OBJECTIVES, TariffConstraints
from pbr_fairness.tariffs.frontier import FRONTIER_SHARES, tariff_frontier
from pbr_fairness.tariffs.instrument_optimise import InstrumentResult, optimise_instruments
from pbr_fairness.tariffs.instrument_search import InstrumentConstraints
from pbr_fairness.tariffs.measures import TARGET_MEASURE
from pbr_fairness.tariffs.prediction import (
    PricingFeatures,
    PricingPredictor,
    check_pricing_features,
)
from pbr_fairness.tariffs.reference import ReferenceTariff, reference_tariff
from pbr_fairness.tariffs.result import HEADLINE_MEASURES, TariffResult
from pbr_fairness.tariffs.setup import (
    STRUCTURES,
    Progress,
    TariffProblem,
    prepare_problem,
    with_structure,
)
from pbr_fairness.tariffs.solution import Solution
from pbr_fairness.tariffs.solve import solve
from pbr_fairness.version import package_version

__all__ = ["optimise_tariff"]

log = logging.getLogger(__name__)

Objective = Literal["equity_weighted_jobs", "planner_gap"]


@overload
def optimise_tariff(
    caseload: pd.DataFrame,
    baseline: Contract | str = "work_programme_2011",
    provider: ProviderSettings | None = None,
    *,
    basis: Literal["payment_group", "distance_band", "smooth"] = "distance_band",
    objective: Objective = "equity_weighted_jobs",
    budget: float | None = None,
    constraints: TariffConstraints | None = None,
    n_bands: int = 10,
    provider_knows: ProviderKnows = "truth",
    predicted: Any = None,
    model: Any = None,
    pricing_features: PricingFeatures = "lawful",
    planner: PlannerSettings | None = None,
    rng: np.random.Generator | int | None = 0,
    frontier_shares: Sequence[float] | None = FRONTIER_SHARES,
    with_reference: bool = True,
    beat_reference: bool = True,
    structure: str = "search",
    name: str = ...,
    progress: Progress | None = ...,
    instruments: None = ...,
    robust: bool = ...,
    min_margin: float | str | None = ...,
    primes: int = ...,
    replications: int = ...,
) -> TariffResult: ...


@overload
def optimise_tariff(
    caseload: pd.DataFrame,
    baseline: Contract | str = "work_programme_2011",
    provider: ProviderSettings | None = None,
    *,
    basis: Literal["payment_group", "distance_band", "smooth"] = "distance_band",
    objective: Objective = "equity_weighted_jobs",
    budget: float | None = None,
    constraints: TariffConstraints | None = None,
    n_bands: int = 10,
    provider_knows: ProviderKnows = "truth",
    predicted: Any = None,
    model: Any = None,
    pricing_features: PricingFeatures = "lawful",
    planner: PlannerSettings | None = None,
    rng: np.random.Generator | int | None = 0,
    frontier_shares: Sequence[float] | None = FRONTIER_SHARES,
    with_reference: bool = True,
    beat_reference: bool = True,
    structure: str = "search",
    name: str = ...,
    progress: Progress | None = ...,
    instruments: str | Sequence[str],
    robust: bool = ...,
    min_margin: float | str | None = ...,
    primes: int = ...,
    replications: int = ...,
) -> InstrumentResult: ...


def optimise_tariff(
    caseload: pd.DataFrame,
    baseline: Contract | str = "work_programme_2011",
    provider: ProviderSettings | None = None,
    *,
    basis: Literal["payment_group", "distance_band", "smooth"] = "distance_band",
    objective: Objective = "equity_weighted_jobs",
    budget: float | None = None,
    constraints: TariffConstraints | None = None,
    n_bands: int = 10,
    provider_knows: ProviderKnows = "truth",
    predicted: Any = None,
    model: Any = None,
    pricing_features: PricingFeatures = "lawful",
    planner: PlannerSettings | None = None,
    rng: np.random.Generator | int | None = 0,
    frontier_shares: Sequence[float] | None = FRONTIER_SHARES,
    with_reference: bool = True,
    beat_reference: bool = True,
    structure: str = "search",
    name: str = "fairer_tariff",
    progress: Progress | None = None,
    instruments: str | Sequence[str] | None = None,
    robust: bool = False,
    min_margin: float | str | None = "baseline",
    primes: int = 3,
    replications: int = 40,
) -> TariffResult | InstrumentResult:
    """Propose a tariff whose provider best response serves those furthest from work.

    The proposal pays outcome fees (job outcome and sustainment, in the baseline's
    proportions) times a factor per payment group, per band of predicted distance, or as a
    smooth function of the predicted probability. The factors are searched with the
    provider's closed-form best response in the loop: first the parked-share caps (cheapest
    fees that keep every capped group within the cap, or the smallest worst parked share
    reachable), then the objective with the rest of the budget. Attachment fees are 0 unless
    needed for the provider's profit margin: they buy no effort.

    Parameters
    ----------
    caseload : pandas.DataFrame
        A caseload with the truth columns (a synthetic caseload,
        :func:`~pbr_fairness.caseload.generator.make_caseload`).
    baseline : Contract or str, default "work_programme_2011"
        The contract to improve on (preset name, YAML path or contract).
    provider : ProviderSettings, optional
        The provider (default settings).
    basis : {"payment_group", "distance_band", "smooth"}, default "distance_band"
        What fees may depend on.
    objective : {"equity_weighted_jobs", "planner_gap"}, default "equity_weighted_jobs"
        Most equity-weighted additional jobs, or the provider's hours closest to the
        planner's. Every measure is reported either way.
    budget : float, optional
        Most expected government spend (pounds); default the baseline's spend on the same
        caseload (``constraints.budget`` / ``budget_share`` otherwise).
    constraints : TariffConstraints, optional
        Caps and floors (default :class:`TariffConstraints` ()).
    n_bands : int, default 10
        Bands of equal size of predicted probability (``distance_band``).
    provider_knows : {"truth", "model"}, default "truth"
        What the provider's estimate of each person's ``p0`` is based on.
    predicted : array-like, optional
        Predicted probabilities; default from ``model`` or the shipped pricing model
        (:func:`~pbr_fairness.tariffs.predicted_probability`).
    model : DistanceModel or path, optional
        The distance model (under ``"lawful"`` it must not read sex or ethnicity).
    pricing_features : {"lawful", "all"}, default "lawful"
        Price on the pricing model, without sex and ethnicity (``models/pricing``), or opt
        in to the full model (``models/default``) with a warning naming the Equality Act
        2010, s.13. Ignored when ``predicted`` is given.
    planner : PlannerSettings, optional
        The planner's equity weights.
    rng : numpy.random.Generator or int, default 0
        Seed for the provider's information noise.
    frontier_shares : sequence of float or None
        Budgets of the frontier as shares of the baseline's spend (``None``: no frontier).
    with_reference : bool, default True
        Also search the one-parameter reference tariff (needs predictions).
    structure : {"search", "baseline", "job_outcome"}, default "search"
        Outcome-fee structure: the baseline's job-outcome and sustainment fees in proportion,
        or job-outcome fees only (same expected value); ``"search"`` tries both and keeps
        the better (beats the reference, meets the caps, least parking, most equity-weighted
        jobs). The reference tariff uses the same structure as the proposal.
    beat_reference : bool, default True
        First look for a tariff at least as good as the reference on both the worst parked
        share and equity-weighted additional jobs (falls back to the plain constraints when
        the basis cannot).
    name : str, default "fairer_tariff"
        Name of the proposed contract.
    progress : callable, optional
        ``progress(fraction, message)`` as the work advances.
    instruments : "all", str or sequence of str, optional
        Search contract instruments too (value-added payments, accelerators, yardsticks,
        cost-sharing, funded hours, fees on an assessment: ``"all"`` or some of
        :data:`~pbr_fairness.tariffs.instrument_designs.FAMILIES`) with
        :func:`~pbr_fairness.tariffs.instrument_optimise.optimise_instruments`; the result
        is then an :class:`~pbr_fairness.tariffs.instrument_optimise.InstrumentResult`.
        ``basis``, ``objective``, the caps of ``constraints``, the frontier and the reference
        tariff do not apply to that search; ``budget`` does.
    robust : bool, default False
        With ``instruments``: rank proposals on their worst case over the robustness checks.
    min_margin : float, "baseline" or None, default "baseline"
        With ``instruments``: the least provider margin (``"baseline"``: the baseline's).
    primes : int, default 3
        With ``instruments``: primes a single-provider caseload is allocated between.
    replications : int, default 40
        With ``instruments``: Monte Carlo replications for the revenue risk.

    Returns
    -------
    TariffResult or InstrumentResult

    Raises
    ------
    InputError
        For a bad basis, objective, constraint, caseload or contract.

    Examples
    --------
    >>> from pbr_fairness.caseload.generator import make_caseload
    >>> cl = make_caseload(3000, rng=1, providers=2)
    >>> res = optimise_tariff(cl, basis="payment_group", frontier_shares=None,
    ...                       with_reference=False)
    >>> res.proposed.basis
    'payment_group'
    >>> bool(res.proposed_measures["government_spend"]
    ...      <= res.baseline_measures["government_spend"] * (1 + 1e-9))
    True
    """
    _check_options(objective, structure, pricing_features)
    check_rng(rng)
    if instruments is not None:
        return optimise_instruments(
            caseload, baseline, provider, families=instruments, provider_knows=provider_knows,
            predicted=predicted if predicted is not None
            else PricingPredictor(model, pricing_features).predict_proba(caseload)[:, 1],
            planner=planner,
            constraints=InstrumentConstraints(budget=budget, min_margin=min_margin),
            robust=robust, primes=primes, n_bands=n_bands, replications=replications,
            rng=rng, progress=progress,
        )
    if not isinstance(caseload, pd.DataFrame) or len(caseload) == 0:
        raise InputError([Problem("the caseload has no rows" if isinstance(caseload, pd.DataFrame)
                                  else "the caseload must be a table (pandas.DataFrame)",
                                  column="caseload")])
    cons = constraints or TariffConstraints()
    if budget is not None:
        cons = TariffConstraints(**{**cons.__dict__, "budget": float(budget)})

    def step(fraction: float, message: str) -> None:
        log.info("%3.0f%% %s", 100 * fraction, message)
        if progress is not None:
            progress(float(min(max(fraction, 0.0), 1.0)), message)

    step(0.0, "preparing the caseload and the baseline")
    prob = prepare_problem(
        caseload,
        baseline,
        provider,
        basis=basis,
        n_bands=n_bands,
        provider_knows=provider_knows,
        predicted=predicted,
        model=PricingPredictor(model, pricing_features),
        planner=planner,
        rng=rng,
        capped=cons.capped,
    )
    budget_gbp = cons.budget_for(prob.baseline_spend)
    candidates = _search_structures(
        prob, structure, budget_gbp, cons, objective, name, with_reference, beat_reference, step
    )
    prob, ref, sol = min(candidates, key=_rank)
    comparison = {
        p_s.structure: {
            TARGET_MEASURE: s_.measures[TARGET_MEASURE],
            "equity_weighted_additional_jobs": s_.measures["equity_weighted_additional_jobs"],
            "beats_reference": s_.parameters.get("goal", 0) == 0 and r_ is not None,
        }
        for p_s, r_, s_ in candidates
    }
    ref_cont = None
    if with_reference and prob.predicted is not None and basis != "smooth":
        ref_cont = reference_tariff(prob, budget_gbp, form="continuous")
    notes = _notes(prob, ref, sol, cons, len(candidates) > 1, beat_reference)
    frontier = pd.DataFrame()
    if frontier_shares:
        step(0.45, "tracing the frontier")

        def sub(fraction: float, message: str) -> None:
            step(0.45 + 0.35 * fraction, message)

        frontier = tariff_frontier(prob, cons, objective, shares=frontier_shares, progress=sub)
    step(0.8, "simulating the baseline and the proposal")
    before, after = (
        simulate_contract(
            caseload,
            c,
            prob.provider,
            predicted=prob.predicted,
            provider_knows=provider_knows,
            planner=prob.planner,
            rng=prob.seed,
        )
        for c in (prob.baseline, sol.contract)
    )
    cols = {"baseline": prob.baseline_measures, "proposed": sol.measures}
    if ref is not None:
        cols["reference"] = ref.measures
    if ref_cont is not None:
        cols["continuous_reference"] = ref_cont.measures
    headline = pd.DataFrame(cols).loc[list(HEADLINE_MEASURES)]
    provenance = {
        "package_version": package_version(),
        "caseload_sha256": prob.pop.caseload_sha256,
        "baseline": prob.baseline.name,
        "baseline_sha256": prob.baseline.sha256,
        "proposed_sha256": sol.contract.sha256,
        "seed": prob.seed,
        "n": prob.n,
        "n_bands": len(prob.cell_labels) if basis == "distance_band" else None,
        "predictions": "given"
        if predicted is not None
        else ("model" if prob.predicted is not None else None),
        "pricing_features": pricing_features
        if predicted is None and prob.predicted is not None
        else None,
        "provider": prob.provider.to_dict(),
        "planner": prob.planner.to_dict(),
    }
    step(1.0, "done")
    return TariffResult(
        proposed=sol.contract,
        baseline=prob.baseline,
        before=before,
        after=after,
        headline=headline,
        frontier=frontier,
        reference=ref,
        continuous_reference=ref_cont,
        basis=basis,
        objective=objective,
        provider_knows=provider_knows,
        budget=budget_gbp,
        caps_met=bool(sol.feasible),
        minimax_parked_share=float(sol.minimax_parked_share),
        parameters={
            **sol.parameters,
            "structure": prob.structure,
            "structure_comparison": comparison,
        },
        constraints=cons.to_dict(),
        notes=tuple(notes),
        provenance=provenance,
    )


Candidate = tuple[TariffProblem, ReferenceTariff | None, Solution]


def _check_options(objective: str, structure: str, pricing_features: str) -> None:
    problems = []
    try:
        check_pricing_features(pricing_features)
    except InputError as exc:
        problems += exc.problems
    if objective not in OBJECTIVES:
        problems.append(
            Problem(
                f"must be one of {', '.join(OBJECTIVES)}, got {objective!r}", column="objective"
            )
        )
    if structure not in (*STRUCTURES, "search"):
        problems.append(
            Problem(f"must be one of {', '.join(STRUCTURES)} or search", column="structure")
        )
    if problems:
        raise InputError(problems, source="optimise_tariff")


def _search_structures(
    prob: TariffProblem,
    structure: str,
    budget: float,
    cons: TariffConstraints,
    objective: str,
    name: str,
    with_reference: bool,
    beat_reference: bool,
    step: Callable[[float, str], None],
) -> list[Candidate]:
    """Solve the problem for each outcome-fee structure tried (with its reference tariff)."""
    tried = list(STRUCTURES) if structure == "search" else [structure]
    candidates: list[Candidate] = []
    for i, s in enumerate(tried):
        p_s = with_structure(prob, s)
        ref = None
        if with_reference and p_s.predicted is not None:
            step(0.05 + 0.2 * i / len(tried), f"reference tariff ({s} fee structure)")
            ref = reference_tariff(p_s, budget)
        step(0.05 + 0.2 * (i + 0.5) / len(tried), f"searching fees ({s} fee structure)")
        sol = solve(
            p_s,
            budget,
            cons,
            objective,
            name=name,
            reference=None if ref is None or not beat_reference else ref.measures,
        )
        candidates.append((p_s, ref, sol))
    return candidates


def _rank(c: Candidate) -> tuple[Any, ...]:
    """Order candidates: goal reached first, caps met, worst priority parked share, jobs."""
    _, _, sol = c
    m = sol.measures
    return (
        sol.parameters.get("goal", 0),
        not sol.feasible,
        round(m[TARGET_MEASURE], 3),
        -m["equity_weighted_additional_jobs"],
    )


def _notes(
    prob: TariffProblem,
    ref: ReferenceTariff | None,
    sol: Solution,
    cons: TariffConstraints,
    several: bool,
    beat_reference: bool,
) -> list[str]:
    """Say what the user should know about the proposal, in words."""
    notes = list(sol.notes)
    if several:
        notes.append(
            f"outcome-fee structure {prob.structure!r} chosen"
            + (
                " (job-outcome fees only: sustainment fees pay less for people who leave work "
                "sooner, who are mostly those furthest from work)"
                if prob.structure == "job_outcome"
                else ""
            )
        )
    if ref is not None and beat_reference and sol.parameters.get("goal", 0) != 0:
        notes.append(
            "no tariff on this basis found that beats the reference tariff on both the worst "
            "parked share and equity-weighted additional jobs: the proposal meets the other "
            "constraints"
        )
    if not sol.feasible and cons.max_parked_share is not None:
        notes.append(
            f"no tariff on this basis within the budget keeps every capped group's parked share "
            f"<= {cons.max_parked_share:.0%}: the smallest worst parked share reached is "
            f"{sol.measures['worst_parked_share']:.1%}"
        )
    return notes
