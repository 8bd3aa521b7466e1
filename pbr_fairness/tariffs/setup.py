"""One optimisation problem prepared once: population, baseline, cells, kernel, budget."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.contracts import Contract, load_contract
from pbr_fairness.engine.factors import Kernel, person_response
from pbr_fairness.engine.prediction import as_provider_knows, needs_prediction
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.simulation import (
    Evaluation,
    PlannerSettings,
    Population,
    ProviderSettings,
    evaluate,
    prepare_population,
)
from pbr_fairness.tariffs.measures import tariff_measures
from pbr_fairness.tariffs.prediction import predicted_probability
from pbr_fairness.tariffs.proposal import BaseTariff, band_edges

__all__ = [
    "BASES",
    "STRUCTURES",
    "Basis",
    "Progress",
    "TariffProblem",
    "as_smooth",
    "prepare_problem",
    "with_structure",
]

#: Outcome-fee structures: the baseline's job-outcome and sustainment fees in proportion, or
#: the same expected value per job outcome paid as a job-outcome fee alone.
STRUCTURES: tuple[str, ...] = ("baseline", "job_outcome")

log = logging.getLogger(__name__)

Basis = Literal["payment_group", "distance_band", "smooth"]
#: Tariff bases the optimiser can set fees on.
BASES: tuple[str, ...] = ("payment_group", "distance_band", "smooth")

#: ``progress(fraction, message)``: called as the work advances (the app's progress bar).
Progress = Callable[[float, str], None]


def _seed(rng: np.random.Generator | int | None) -> int | None:
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**31 - 1))
    return None if rng is None else int(rng)


def _base_of(tariff: dict[str, NDArray[np.float64]], index: NDArray[np.intp] | None) -> BaseTariff:
    sel = (lambda a: a) if index is None else (lambda a: a[index])
    return BaseTariff(
        float(np.mean(sel(tariff["J"]))),
        float(np.mean(sel(tariff["S"]))),
        round(float(np.mean(sel(tariff["M"])))),
        float(np.median(sel(tariff["trigger_weeks"]))),
    )


@dataclass(eq=False)
class TariffProblem:
    """Everything one optimisation needs, prepared once (internal)."""

    caseload: pd.DataFrame
    pop: Population
    provider: ProviderSettings
    planner: PlannerSettings
    baseline: Contract
    baseline_tariff: dict[str, NDArray[np.float64]]
    baseline_eval: Evaluation
    baseline_measures: dict[str, float]
    predicted: NDArray[np.float64] | None
    basis: str
    provider_knows: str
    seed: int | None
    minimum: float
    capped: tuple[str, ...]
    # cells (payment groups or bands); the smooth basis has one base for everyone
    cell: NDArray[np.intp]
    cell_labels: tuple[str, ...]
    cell_bases: tuple[BaseTariff, ...]
    edges: NDArray[np.float64] | None
    kernel: Kernel
    structure: str = "baseline"
    cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of people."""
        return self.pop.n

    @property
    def baseline_spend(self) -> float:
        """Expected government spend under the baseline contract."""
        return float(self.baseline_measures["government_spend"])

    def tariff_arrays(
        self, factor: NDArray[np.float64], attachment: float
    ) -> dict[str, NDArray[np.float64]]:
        """Per-person tariff arrays for per-person outcome-fee factors."""
        j = np.array([b.job_outcome_fee for b in self.cell_bases])[self.cell]
        s = np.array([b.sustainment_fee for b in self.cell_bases])[self.cell]
        m = np.array([b.max_sustainment_payments for b in self.cell_bases], dtype=float)[self.cell]
        t = np.array([b.trigger_weeks for b in self.cell_bases])[self.cell]
        return {
            "A": np.full(self.n, float(attachment)),
            "J": j * factor,
            "S": s * factor,
            "M": m,
            "trigger_weeks": t,
        }

    def evaluate_contract(self, contract: Contract, *, with_planner: bool = True) -> Evaluation:
        """Compute the provider's exact best response to a contract (the simulator's fast path)."""
        tariff = contract.tariff_per_person(self.caseload, self.predicted)
        return evaluate(
            self.pop,
            tariff,
            self.provider,
            minimum_hours=contract.minimum_hours,
            with_planner=with_planner,
            window_months=contract.window_months,
        )

    def measures(self, ev: Evaluation) -> dict[str, float]:
        """Headline measures of an evaluation."""
        return tariff_measures(
            self.pop,
            ev,
            social_value_per_job=self.planner.social_value_per_job,
            capped=self.capped,
        )

    def outcome_spend(self, factor: NDArray[np.float64], kernel: Kernel | None = None) -> float:
        """Return expected outcome payments (no attachment fees) under per-person factors."""
        _, _, pay = person_response(kernel or self.kernel, factor)
        return float(pay.sum())


def prepare_problem(
    caseload: pd.DataFrame,
    baseline: Contract | str,
    provider: ProviderSettings | None,
    *,
    basis: str,
    n_bands: int,
    provider_knows: str,
    predicted: Any,
    model: Any,
    planner: PlannerSettings | None,
    rng: np.random.Generator | int | None,
    capped: tuple[str, ...],
) -> TariffProblem:
    """Prepare an optimisation problem (see :func:`pbr_fairness.tariffs.optimise_tariff`)."""
    problems = []
    if basis not in BASES:
        problems.append(
            Problem(f"must be one of {', '.join(BASES)}, got {basis!r}", column="basis")
        )
    try:
        knows = as_provider_knows(provider_knows)
    except InputError as exc:
        problems += exc.problems
    if not isinstance(n_bands, int | np.integer) or not 2 <= n_bands <= 200:
        problems.append(
            Problem(f"must be a whole number 2..200, got {n_bands!r}", column="n_bands")
        )
    if problems:
        raise InputError(problems, source="optimise_tariff")
    provider = provider or ProviderSettings()
    planner = planner or PlannerSettings()
    base = load_contract(baseline) if isinstance(baseline, str) else baseline
    need_q = needs_prediction([basis, base], provider_knows)
    q = None
    if predicted is not None:
        q = np.asarray(predicted, dtype=float)
    elif need_q:
        q = predicted_probability(caseload, model)
    seed = _seed(rng)
    pop = prepare_population(
        caseload, provider, predicted=q, provider_knows=knows, planner=planner, rng=seed
    )
    tb = base.tariff_per_person(caseload, q)
    minimum = provider.minimum_hours if base.minimum_hours is None else float(base.minimum_hours)
    ev = evaluate(pop, tb, provider, minimum_hours=minimum, window_months=base.window_months)

    edges = None
    if basis == "payment_group":
        bd = pop.breakdowns["payment_group"]
        cell = bd.codes.astype(np.intp)
        labels = bd.labels
        bases = tuple(_base_of(tb, np.flatnonzero(cell == c)) for c in range(len(labels)))
    elif basis == "distance_band":
        assert q is not None
        edges = band_edges(q, int(n_bands))
        cell = np.searchsorted(edges[1:-1], 1.0 - q, side="right").astype(np.intp)
        labels = tuple(f"band {i + 1}" for i in range(edges.size - 1))
        one = _base_of(tb, None)
        bases = (one,) * len(labels)
    else:
        cell = np.zeros(pop.n, dtype=np.intp)
        labels = ("base",)
        bases = (_base_of(tb, None),)
    u, u_spend = _unit_values(bases, cell, pop.h, provider, base.window_months)
    kernel = Kernel(
        u=u,
        u_spend=u_spend,
        g=pop.perceived_gain,
        k=pop.k,
        p0=pop.p0,
        gain=pop.gain,
        w=pop.weights,
        wn=pop.weights / planner.social_value_per_job,
        mu=np.full(pop.n, provider.cost_per_hour),
        minimum=minimum,
        mission=provider.mission_weight,
    )
    prob = TariffProblem(
        caseload=caseload,
        pop=pop,
        provider=provider,
        planner=planner,
        baseline=base,
        baseline_tariff=tb,
        baseline_eval=ev,
        baseline_measures={},
        predicted=q,
        basis=basis,
        provider_knows=provider_knows,
        seed=seed,
        minimum=minimum,
        capped=tuple(c for c in capped if c in pop.breakdowns),
        cell=cell,
        cell_labels=tuple(labels),
        cell_bases=bases,
        edges=edges,
        kernel=kernel,
    )
    prob.baseline_measures = prob.measures(ev)
    return prob


def _unit_values(
    bases: Sequence[BaseTariff],
    cell: NDArray[np.intp],
    exit_hazard: NDArray[np.float64],
    provider: ProviderSettings,
    window_months: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Outcome value per unit factor: to the provider (discounted) and to the government."""
    spend = np.empty(cell.size)
    for c, b in enumerate(bases):
        idx = cell == c
        spend[idx] = b.unit_value(exit_hazard[idx])
    if provider.discount_rate == 0:
        return spend, None
    u = np.empty(cell.size)
    for c, b in enumerate(bases):
        idx = cell == c
        u[idx] = b.unit_value(
            exit_hazard[idx], discount_rate=provider.discount_rate, window_months=window_months
        )
    return u, spend


def with_structure(prob: TariffProblem, structure: str) -> TariffProblem:
    """Return the problem with another outcome-fee structure (see :data:`STRUCTURES`).

    ``"job_outcome"`` pays each cell's average expected outcome value under the baseline
    structure as a job-outcome fee, with no sustainment fees: the expected outcome payment no
    longer falls with a person's exit hazard, which is highest for those furthest from work.
    """
    if structure not in STRUCTURES:
        raise InputError(
            [Problem(f"must be one of {', '.join(STRUCTURES)}", column="structure")],
            source="optimise_tariff",
        )
    if structure == prob.structure:
        return prob
    if structure == "baseline":
        raise ValueError("prepare the problem again for the baseline structure")
    bases = []
    spend_unit = prob.kernel.spend_unit
    common = float(spend_unit.mean())
    for c, b in enumerate(prob.cell_bases):
        idx = prob.cell == c
        # payment groups keep their own level; bands share one base (they differ by factor)
        value = common
        if prob.basis == "payment_group" and idx.any():
            value = float(spend_unit[idx].mean())
        bases.append(BaseTariff(value, 0.0, 0, b.trigger_weeks))
    u, u_spend = _unit_values(
        bases, prob.cell, prob.pop.h, prob.provider, prob.baseline.window_months
    )
    kernel = replace(prob.kernel, u=u, u_spend=u_spend)
    return replace(prob, cell_bases=tuple(bases), kernel=kernel, structure=structure, cache={})


def as_smooth(prob: TariffProblem) -> TariffProblem:
    """Return the problem on the ``smooth`` basis (one base tariff), same fee structure."""
    if prob.basis == "smooth":
        return prob
    if prob.structure == "job_outcome":
        trigger = float(np.median([b.trigger_weeks for b in prob.cell_bases]))
        base = BaseTariff(float(prob.kernel.spend_unit.mean()), 0.0, 0, trigger)
    else:
        base = _base_of(prob.baseline_tariff, None)
    cell = np.zeros(prob.n, dtype=np.intp)
    u, u_spend = _unit_values(
        (base,), cell, prob.pop.h, prob.provider, prob.baseline.window_months
    )
    kernel = replace(prob.kernel, u=u, u_spend=u_spend)
    return replace(
        prob,
        basis="smooth",
        cell=np.zeros(prob.n, dtype=np.intp),
        cell_labels=("base",),
        cell_bases=(base,),
        edges=None,
        kernel=kernel,
        cache={},
    )
