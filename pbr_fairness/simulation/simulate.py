"""``simulate_contract``: a contract, a caseload and a provider in; a reported result out."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.contracts import Contract, load_contract
from pbr_fairness.contracts.terms import ContractTerms
from pbr_fairness.engine.evaluation import breakdown_measures, evaluate
from pbr_fairness.engine.measures import MEASURES
from pbr_fairness.engine.montecarlo import simulate_months
from pbr_fairness.engine.planner import PlannerSettings
from pbr_fairness.engine.population import Population, fractional_rank
from pbr_fairness.engine.prediction import ProviderKnows
from pbr_fairness.engine.provider import ProviderSettings
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.limits import MAX_PERSON_REPLICATIONS, MAX_REPLICATIONS, check_count, check_rng
from pbr_fairness.simulation.flat import flat_contract
from pbr_fairness.simulation.gaps import characteristic_gaps
from pbr_fairness.simulation.instrument_families import payments_by_family
from pbr_fairness.simulation.population import BREAKDOWNS, prepare_population
from pbr_fairness.simulation.result import SimulationResult
from pbr_fairness.version import package_version

__all__ = ["MODES", "Mode", "as_mode", "characteristic_gaps", "simulate_contract"]

#: Expected values, or monthly Monte Carlo realisations.
Mode = Literal["expected", "monte_carlo"]
MODES: tuple[str, ...] = get_args(Mode)


def as_mode(value: object) -> Mode:
    """Check a simulation mode (from a file, a form or an option) and return it typed.

    Examples
    --------
    >>> as_mode("monte_carlo")
    'monte_carlo'
    """
    if value not in MODES:
        raise InputError(
            [Problem(f"mode must be 'expected' or 'monte_carlo', got {value!r}", column="mode")]
        )
    return cast(Mode, value)


def _seed_of(rng: Any) -> Any:
    if rng is None:
        return None
    if isinstance(rng, int | np.integer):
        return int(rng)
    seq = getattr(getattr(rng, "bit_generator", None), "seed_seq", None)
    entropy = getattr(seq, "entropy", None)
    if entropy is None:
        return "generator"
    spawn = tuple(getattr(seq, "spawn_key", ()))
    return {"entropy": int(entropy), "spawn_key": list(spawn)} if spawn else int(entropy)


def _breakdown_inputs(pop: Population) -> dict[str, tuple[NDArray[np.int64] | None, int, NDArray]]:
    out: dict[str, tuple[NDArray[np.int64] | None, int, NDArray]] = {
        "overall": (None, 1, pop.rank_p0)
    }
    x_order = np.argsort(pop.p0, kind="stable")
    for name in BREAKDOWNS[1:]:
        bd = pop.breakdowns.get(name)
        if bd is None:
            continue
        rank = fractional_rank(pop.p0, bd.codes, x_order=x_order)
        out[name] = (bd.codes, len(bd.labels), rank)
    return out


def _labels(pop: Population, name: str) -> tuple[str, ...]:
    return ("all",) if name == "overall" else pop.breakdowns[name].labels


def simulate_contract(
    caseload: pd.DataFrame,
    contract: Any,
    provider: ProviderSettings | None = None,
    *,
    mode: Mode = "expected",
    predicted: ArrayLike | None = None,
    provider_knows: ProviderKnows = "truth",
    replications: int = 100,
    rng: np.random.Generator | int | None = None,
    planner: PlannerSettings | None = None,
    population: Population | None = None,
) -> SimulationResult:
    """Simulate a provider's best response to a contract on a caseload.

    Parameters
    ----------
    caseload : pandas.DataFrame
        A caseload with the truth columns (``true_p0``, ``true_pmax``, ``true_k``,
        ``true_exit_hazard``), e.g. from
        :func:`~pbr_fairness.caseload.generator.make_caseload`.
    contract : Contract or str
        A contract, or a preset name / YAML path for
        :func:`~pbr_fairness.contracts.load_contract` (``"flat"`` is computed on the
        caseload).
    provider : ProviderSettings, optional
        Default :class:`ProviderSettings` ().
    mode : {"expected", "monte_carlo"}, default "expected"
        Expected values, or ``replications`` monthly realisations with 95% intervals.
    predicted : array-like, optional
        Model prediction of each person's probability of a job outcome: needed by
        band and smooth tariffs and by ``provider_knows="model"``; adds the
        ``decile_predicted`` breakdown.
    provider_knows : {"truth", "model"}, default "truth"
        What the provider's estimate of ``p0`` is based on.
    replications : int, default 100
        Monte Carlo replications.
    rng : numpy.random.Generator or int, optional
        Seed or generator for the information noise, the commissioner's assessment (a
        contract with ``instruments.priced_on: assessment`` on a caseload without an
        ``assessment`` column) and the Monte Carlo draws, in that order.
    planner : PlannerSettings, optional
        The planner's equity weights.
    population : Population, optional
        The caseload already turned into arrays by :func:`prepare_population` with the same
        ``provider`` noise, ``predicted``, ``provider_knows``, ``planner`` and seed. Skips that
        step, which does not depend on the contract (the app and sweeps re-use it across
        contracts); ``rng`` then drives only the Monte Carlo draws.

    Returns
    -------
    SimulationResult
        With a contract's ``instruments`` (:meth:`~pbr_fairness.contracts.Contract.terms`),
        the provider responds to them too; their expected payments by family are in
        ``instrument_payments`` (and in the government spend and the provider's revenue).

    Raises
    ------
    InputError
        For a bad mode, contract, caseload or settings.

    Examples
    --------
    >>> from pbr_fairness.caseload.generator import make_caseload
    >>> res = simulate_contract(make_caseload(500, rng=0), "work_programme_2011", rng=0)
    >>> sorted(res.overall) == sorted(MEASURES)
    True
    """
    mode = as_mode(mode)
    check_rng(rng)
    if isinstance(provider, Mapping):
        provider = ProviderSettings.from_dict(dict(provider))
    if provider is not None and not isinstance(provider, ProviderSettings):
        raise InputError([Problem(
            f"must be ProviderSettings (or a mapping of its settings), not"
            f" {type(provider).__name__}", column="provider")])
    if not isinstance(caseload, pd.DataFrame):
        raise InputError([Problem(f"must be a table (pandas.DataFrame), not"
                                  f" {type(caseload).__name__}", column="caseload")])
    if mode == "monte_carlo" and (
        not isinstance(replications, int | np.integer) or replications < 2
    ):
        raise InputError(
            [Problem("replications must be a whole number >= 2", column="replications")]
        )
    if mode == "monte_carlo":
        check_count(int(replications), maximum=MAX_REPLICATIONS, option="replications",
                    what="replications", way_round="use fewer, or run seeds of a sweep (Dask)")
        check_count(int(replications) * len(caseload), maximum=MAX_PERSON_REPLICATIONS,
                    option="replications", what="people x replications",
                    way_round="use fewer replications or a smaller caseload, or run seeds of"
                    " a sweep (Dask)")
    provider = provider or ProviderSettings()
    planner = planner or PlannerSettings()
    seed = _seed_of(rng)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if isinstance(contract, str) and contract == "flat":
        contract = flat_contract(
            caseload, provider, predicted=predicted, provider_knows=provider_knows
        )
    elif not isinstance(contract, Contract):
        contract = load_contract(contract)

    if population is None:
        pop = prepare_population(
            caseload,
            provider,
            predicted=predicted,
            provider_knows=provider_knows,
            planner=planner,
            rng=gen,
        )
    elif population.n != len(caseload):
        raise InputError(
            [
                Problem(
                    f"the prepared population has {population.n} people but the caseload "
                    f"has {len(caseload)}",
                    column="population",
                )
            ]
        )
    else:
        pop = population
    terms = contract.terms(caseload, predicted, rng=gen)
    tariff = terms.tariff
    if terms.instruments is not None:
        _check_primes(terms, pop, contract.source)
    ev = evaluate(
        pop,
        tariff,
        provider,
        minimum_hours=contract.minimum_hours,
        window_months=contract.window_months,
        instruments=terms.instruments,
    )
    inputs = _breakdown_inputs(pop)

    rows: list[pd.DataFrame] = []
    monthly = None
    if mode == "expected":
        for name, (codes, g, rank) in inputs.items():
            ms = breakdown_measures(pop, ev, codes, g, rank)
            rows.append(_tidy(name, _labels(pop, name), ms, None, None))
    else:
        draws = simulate_months(
            pop,
            ev,
            tariff,
            window_months=contract.window_months,
            replications=int(replications),
            rng=gen,
            breakdowns=inputs,
            provider_discount_rate=provider.discount_rate,
        )
        for name, ms in draws.measures.items():
            with np.errstate(all="ignore"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean = {m: np.nanmean(a, axis=0) for m, a in ms.items()}
                    lo = {m: np.nanpercentile(a, 2.5, axis=0) for m, a in ms.items()}
                    hi = {m: np.nanpercentile(a, 97.5, axis=0) for m, a in ms.items()}
            rows.append(_tidy(name, _labels(pop, name), mean, lo, hi))
        pay = draws.monthly_payments
        monthly = pd.DataFrame(
            {
                "month": np.arange(pay.shape[1]),
                "payments": pay.mean(axis=0),
                "payments_lower": np.percentile(pay, 2.5, axis=0),
                "payments_upper": np.percentile(pay, 97.5, axis=0),
                "job_outcomes": draws.monthly_outcomes.mean(axis=0),
            }
        )
    table = pd.concat(rows, ignore_index=True)

    persons = pd.DataFrame(
        {
            "person_id": pop.person_id,
            "payment_group": pop.payment_group,
            "hours": ev.hours,
            "planner_hours": ev.planner_hours,
            "p_job_outcome": ev.p,
            "parked": ev.parked,
            "expected_payment": ev.payment,
            "p0": pop.p0,
            "pmax": pop.pmax,
            "perceived_p0": pop.perceived_p0,
            "outcome_value": ev.value,
            "provider_revenue": ev.revenue,
            "provider_cost": ev.cost,
        }
    )
    if "provider" in pop.breakdowns:
        bd = pop.breakdowns["provider"]
        persons.insert(2, "provider_id", np.asarray(bd.labels, dtype=object)[bd.codes])
    if pop.predicted is not None:
        persons["predicted"] = pop.predicted
    if ev.instrument_payment is not None:
        persons["instrument_payment"] = ev.instrument_payment
    if ev.reimbursement is not None:
        persons["reimbursement"] = ev.reimbursement
    if terms.priced_on == "assessment" and terms.probability is not None:
        persons["assessment"] = terms.probability

    provenance = {
        "package_version": package_version(),
        "contract": contract.name,
        "contract_source": contract.source,
        "contract_sha256": contract.sha256,
        "caseload_sha256": pop.caseload_sha256,
        "seed": seed,
        "mode": mode,
        "provider_knows": provider_knows,
        "minimum_hours": ev.minimum,
    }
    if terms.families:
        provenance |= {
            "instruments": list(terms.families),
            "priced_on": terms.priced_on,
            "referral_year": terms.referral_year,
        }
    return SimulationResult(
        contract=contract.name,
        mode=mode,
        n=pop.n,
        table=table,
        persons=persons,
        provider=provider,
        provenance=provenance,
        monthly=monthly,
        replications=int(replications) if mode == "monte_carlo" else None,
        planner=planner.to_dict(),
        instrument_payments=payments_by_family(pop, ev, terms, provider.cost_per_hour),
        _gap_inputs=(pop, ev),
    )


def _check_primes(terms: ContractTerms, pop: Population, source: str) -> None:
    """Check that a yardstick has primes to compare: the caseload needs at least two."""
    inst = terms.instruments
    if inst is not None and inst.has_yardstick and len(pop.provider_index) < 2:
        raise InputError(
            [
                Problem(
                    "compares each prime with the others in its cell: the caseload needs at "
                    "least two primes (provider_id)",
                    column="instruments.yardstick",
                )
            ],
            source=source,
        )


def _tidy(
    name: str,
    labels: tuple[str, ...],
    values: dict[str, NDArray[np.float64]],
    lower: dict[str, NDArray[np.float64]] | None,
    upper: dict[str, NDArray[np.float64]] | None,
) -> pd.DataFrame:
    """Rows ``breakdown, group, measure, value, lower, upper``: group by group, in order."""
    g, m = len(labels), len(MEASURES)

    def grid(d: dict[str, NDArray[np.float64]] | None) -> NDArray[np.float64]:
        if d is None:
            return np.full(g * m, np.nan)
        return np.column_stack([np.asarray(d[k], dtype=float).reshape(g) for k in MEASURES]).ravel()

    return pd.DataFrame(
        {
            "breakdown": np.full(g * m, name, dtype=object),
            "group": np.repeat(np.asarray(labels, dtype=object), m),
            "measure": np.tile(np.asarray(MEASURES, dtype=object), g),
            "value": grid(values),
            "lower": grid(lower),
            "upper": grid(upper),
        }
    )
