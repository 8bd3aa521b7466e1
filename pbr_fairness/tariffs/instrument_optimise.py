"""Propose a contract built from instrument families: the search, its checks and its report.

:func:`optimise_instruments` (reached through :func:`pbr_fairness.tariffs.optimise_tariff`
with ``instruments=[...]`` and ``pbr-fairness optimise --instruments``) searches the families
of :mod:`pbr_fairness.tariffs.instrument_designs` at equal expected spend
(:mod:`pbr_fairness.tariffs.instrument_search`), re-evaluates the best of each family and the
best combination under the robustness checks (:mod:`pbr_fairness.tariffs.instrument_checks`)
and measures the provider's revenue risk by Monte Carlo.

A yardstick needs two or more primes in each area. When the caseload has one provider, the
search allocates its people at random between ``primes`` primes (as the Work Programme
allocated referrals between the primes of a contract package area), seeded, for every
evaluation including the baseline's.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.contracts import Contract, load_contract, save_contract
from pbr_fairness.engine.prediction import ProviderKnows, as_provider_knows
from pbr_fairness.engine.provider import ProviderSettings
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.simulation import PlannerSettings, evaluate, prepare_population
from pbr_fairness.tariffs.instrument_checks import (
    CHECKS,
    SPEND_BAND,
    RevenueRisk,
    prepare_checks,
    revenue_risk,
    run_checks,
)
from pbr_fairness.tariffs.instrument_contract import WRITABLE_FAMILIES, design_contract
from pbr_fairness.tariffs.instrument_designs import (
    FAMILY_LABELS,
    DesignSpace,
    check_families,
)
from pbr_fairness.tariffs.instrument_search import (
    Candidate,
    InstrumentConstraints,
    Scorer,
    families_in,
    search_families,
)
from pbr_fairness.tariffs.measures import TARGET_MEASURE, tariff_measures
from pbr_fairness.tariffs.prediction import predicted_probability

__all__ = ["InstrumentResult", "allocate_primes", "optimise_instruments"]

#: Most primes an area may be split between.
MAX_PRIMES = 10
#: Proposals per family checked for revenue risk (Monte Carlo) before scaling one back.
MAX_RISK_CHECKS = 3


def allocate_primes(
    caseload: pd.DataFrame, primes: int, rng: np.random.Generator | int | None
) -> pd.DataFrame:
    """Return the caseload with its people allocated at random between ``primes`` primes.

    A caseload that already has two or more providers in ``provider_id`` is returned as it is
    (the caseload says how people were allocated).

    Examples
    --------
    >>> from pbr_fairness.caseload.generator import make_caseload
    >>> sorted(allocate_primes(make_caseload(300, rng=1), 3, 0).provider_id.unique())
    ['P1', 'P2', 'P3']
    """
    if "provider_id" in caseload and caseload["provider_id"].nunique() >= 2:
        return caseload
    if not isinstance(primes, int | np.integer) or not 2 <= primes <= MAX_PRIMES:
        raise InputError(
            [Problem(f"must be a whole number 2..{MAX_PRIMES}, got {primes!r}", column="primes")]
        )
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    out = caseload.copy()
    labels = np.array([f"P{i + 1}" for i in range(int(primes))])
    out["provider_id"] = labels[gen.integers(0, int(primes), len(out))]
    return out


@dataclass(eq=False)
class InstrumentResult:
    """What the instrument search found, beside the baseline, with its checks.

    Attributes
    ----------
    families : tuple of str
        The families the search could use.
    per_family : dict of str to Candidate
        The best proposal of each family on its own.
    best : Candidate
        The best proposal found (one family or a combination).
    baseline : dict of str to float
        The baseline's measures on the same people.
    baseline_risk : RevenueRisk
        The baseline primes' revenue risk (Monte Carlo).
    risk : dict of str to RevenueRisk
        The same for each finalist (keyed by family, and ``"best"``).
    margin_floor : float or None
        The provider margin the proposals had to keep.
    provider_knows : str
    robust : bool
        Whether proposals were ranked on their worst case over the checks.
    evaluations : int
        Provider best responses computed.
    seconds : float
        Wall time of the search.
    notes : list of str
    """

    families: tuple[str, ...]
    per_family: dict[str, Candidate]
    best: Candidate
    baseline: dict[str, float]
    baseline_risk: RevenueRisk
    risk: dict[str, RevenueRisk]
    margin_floor: float | None
    provider_knows: str
    robust: bool
    evaluations: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    #: What the proposals are laid out on, and the contract they improve on (for writing a
    #: proposal as a contract file).
    space: DesignSpace | None = field(default=None, repr=False)
    baseline_contract: Contract | None = field(default=None, repr=False)
    #: The caseload as the search saw it (people allocated between primes when it had one).
    caseload: pd.DataFrame | None = field(default=None, repr=False)
    #: The baseline the checks are measured against (the sample's, when the search ran on a
    #: sample; else the baseline's).
    check_baseline: dict[str, float] | None = field(default=None, repr=False)

    def proposal(self, key: str = "best", *, name: str = "instrument_proposal") -> Contract:
        """Return a finalist (``"best"`` or a family) as a contract (:func:`design_contract`).

        Raises
        ------
        InputError
            For an unknown key, or a proposal the contract language cannot hold (fees on an
            independent assessment).
        """
        found = self.finalists()
        if key not in found:
            raise InputError(
                [Problem(f"no proposal {key!r}; choose from {', '.join(found)}",
                         column="proposal")]
            )
        if self.space is None or self.baseline_contract is None:
            raise InputError([Problem("this result keeps no design space to write from")])
        c = found[key]
        return design_contract(
            c.design, self.space, self.baseline_contract, topup=c.topup, name=name
        )

    def writable(self) -> str:
        """Return the best finalist that a contract file can hold (``"best"`` when it can)."""
        order = sorted(self.finalists().items(), key=lambda kv: kv[1].rank(self.robust))
        for key, c in order:
            if set(families_in(c.design)) <= set(WRITABLE_FAMILIES):
                return key
        raise InputError(
            [Problem("no proposal can be written as a contract file", column="instruments")]
        )

    def save(self, path: Any, key: str | None = None, *, name: str = "instrument_proposal") -> Any:
        """Write a finalist (default: the best one a contract file can hold) as YAML."""
        return save_contract(self.proposal(key or self.writable(), name=name), path)

    def finalists(self) -> dict[str, Candidate]:
        """Return the best of each family and the best overall (``"best"``)."""
        return {**self.per_family, "best": self.best}

    def table(self) -> pd.DataFrame:
        """One row per finalist and the baseline: spend, jobs, equity jobs, margin, risk."""
        b = self.baseline
        rows = [
            {
                "proposal": "baseline",
                "design": "the baseline contract",
                "worst_parked_lower_half": b[TARGET_MEASURE],
                "government_spend": b["government_spend"],
                "additional_jobs": b["additional_jobs"],
                "additional_jobs_ratio": 1.0,
                "equity_weighted_jobs_ratio": 1.0,
                "provider_margin": b["provider_margin"],
                "revenue_cv": self.baseline_risk.cv,
                "revenue_sd_ratio": 1.0,
                "feasible": True,
                "meets_floors": True,
            }
        ]
        for key, c in self.finalists().items():
            m = c.measures
            risk = self.risk.get(key)
            sd = float("nan") if risk is None else risk.sd
            cv = float("nan") if risk is None else risk.cv
            rows.append(
                {
                    "proposal": key,
                    "design": c.design.label(),
                    "worst_parked_lower_half": m[TARGET_MEASURE],
                    "government_spend": m["government_spend"],
                    "additional_jobs": m["additional_jobs"],
                    "additional_jobs_ratio": m["additional_jobs"] / b["additional_jobs"],
                    "equity_weighted_jobs_ratio": m["equity_weighted_additional_jobs"]
                    / b["equity_weighted_additional_jobs"],
                    "provider_margin": m["provider_margin"],
                    "revenue_cv": cv,
                    "revenue_sd_ratio": sd / self.baseline_risk.sd
                    if self.baseline_risk.sd > 0
                    else float("nan"),
                    "feasible": c.feasible,
                    "meets_floors": c.meets_floors,
                }
            )
        return pd.DataFrame(rows)

    def checks_table(self) -> pd.DataFrame:
        """Every finalist under every check: worst parked, spend ratio, jobs, equity jobs."""
        rows = []
        b = self.check_baseline or self.baseline
        for key, c in self.finalists().items():
            for name in CHECKS:
                m = c.checks.get(name)
                if m is None:
                    continue
                rows.append(
                    {
                        "proposal": key,
                        "check": name,
                        "worst_parked_lower_half": m[TARGET_MEASURE],
                        "spend_ratio": m["spend_ratio"],
                        "additional_jobs_ratio": m["additional_jobs"] / b["additional_jobs"],
                        "equity_weighted_jobs_ratio": m["equity_weighted_additional_jobs"]
                        / b["equity_weighted_additional_jobs"],
                        "provider_margin": m["provider_margin"],
                    }
                )
        return pd.DataFrame(rows)

    def to_markdown(self) -> str:
        """Return the results and the checks as Markdown tables, with the notes."""
        t = self.table()
        lines = [
            f"Provider knows: {self.provider_knows}; margin floor "
            + ("none" if self.margin_floor is None else f"{self.margin_floor:.1%}")
            + ("; ranked on the worst case over the checks" if self.robust else ""),
            "",
            "| proposal | design | worst parked, lower half | spend | additional jobs (x) "
            "| equity-weighted jobs (x) | margin | revenue SD / revenue (x baseline) |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in t.itertuples():
            flag = "" if r.feasible and r.meets_floors else " (misses a floor)"
            lines.append(
                f"| {r.proposal}{flag} | {r.design} | {r.worst_parked_lower_half:.1%} "
                f"| £{r.government_spend / 1e6:,.2f}m | {r.additional_jobs:,.0f} "
                f"({r.additional_jobs_ratio:.2f}) | {r.equity_weighted_jobs_ratio:.2f} "
                f"| {r.provider_margin:.1%} | {r.revenue_cv:.2%} ({r.revenue_sd_ratio:.2f}) |"
            )
        c = self.checks_table()
        if not c.empty:
            lines += [
                "",
                "| proposal | check | worst parked, lower half | spend / budget "
                "| equity-weighted jobs (x) | margin |",
                "|---|---|---:|---:|---:|---:|",
            ]
            for r in c.itertuples():
                lines.append(
                    f"| {r.proposal} | {r.check} | {r.worst_parked_lower_half:.1%} "
                    f"| {r.spend_ratio:.2f} | {r.equity_weighted_jobs_ratio:.2f} "
                    f"| {r.provider_margin:.1%} |"
                )
        if self.notes:
            lines += ["", *[f"- {n}" for n in self.notes]]
        return "\n".join(lines)


def optimise_instruments(
    caseload: pd.DataFrame,
    baseline: Contract | str = "work_programme_2011",
    provider: ProviderSettings | None = None,
    *,
    families: str | Sequence[str] = "all",
    provider_knows: ProviderKnows = "truth",
    predicted: Any = None,
    planner: PlannerSettings | None = None,
    constraints: InstrumentConstraints | None = None,
    robust: bool = False,
    primes: int = 3,
    n_bands: int = 10,
    assessment_noise: float = 0.75,
    replications: int = 40,
    rng: np.random.Generator | int | None = 0,
    progress: Callable[[float, str], None] | None = None,
    search_people: int | None = 15_000,
) -> InstrumentResult:
    """Search instrument families for a contract that serves those furthest from work.

    Parameters
    ----------
    caseload : pandas.DataFrame
        A caseload with the truth columns (a synthetic caseload).
    baseline : Contract or str, default "work_programme_2011"
    provider : ProviderSettings, optional
    families : "all", str or sequence of str
        Instrument families the proposal may use
        (:data:`~pbr_fairness.tariffs.instrument_designs.FAMILIES`).
    provider_knows : {"truth", "model", "posterior"}, default "truth"
    predicted : array-like, optional
        The commissioner's pricing probability; default the lawful pricing model's
        (:func:`~pbr_fairness.tariffs.predicted_probability`).
    planner : PlannerSettings, optional
    constraints : InstrumentConstraints, optional
    robust : bool, default False
        Rank proposals on their worst case over the robustness checks.
    primes : int, default 3
        Primes to allocate a one-provider caseload between (for yardsticks).
    n_bands : int, default 10
    assessment_noise : float, default 0.75
        Standard deviation on the log-odds of the independent assessment (an estimate: the
        value the first prototype tried, ``shared/reference/instruments.md``).
    replications : int, default 40
        Monte Carlo replications for the revenue risk.
    rng : numpy.random.Generator or int, default 0
    progress : callable, optional
        ``progress(fraction, message)``.
    search_people : int or None, default 15,000
        Search, check and measure revenue risk on a random sample of this many people when
        the caseload is larger (seeded); the finalists are then measured on everyone, the
        budget spent exactly on everyone (``None``: search on everyone). On the default
        50,000-person caseload the sample's best proposal differs from the whole caseload's
        by less than the search's own tolerance (``docs/instruments.md``).

    Returns
    -------
    InstrumentResult

    Examples
    --------
    >>> from pbr_fairness.caseload.generator import make_caseload
    >>> res = optimise_instruments(make_caseload(2000, rng=3), families="cost_sharing",
    ...                            replications=5)
    >>> res.best.measures["government_spend"] <= res.baseline["government_spend"] * 1.000001
    True
    """
    started = time.perf_counter()
    fams = check_families(families)
    knows = as_provider_knows(provider_knows)
    constraints = constraints or InstrumentConstraints()
    _check_options(n_bands, replications, assessment_noise, search_people)
    seed = int(rng.integers(0, 2**31 - 1)) if isinstance(rng, np.random.Generator) else rng
    provider = provider or ProviderSettings()
    planner = planner or PlannerSettings()
    if "yardstick" in fams:
        caseload = allocate_primes(caseload, primes, seed)
    base = load_contract(baseline) if isinstance(baseline, str | Path) else baseline
    if not isinstance(base, Contract):
        raise InputError(
            [Problem(f"must be a contract, a preset name or a YAML path, got "
                     f"{type(baseline).__name__}", column="baseline")],
            source="optimise_instruments",
        )
    if not isinstance(provider, ProviderSettings):
        raise InputError(
            [Problem(f"must be ProviderSettings, got {type(provider).__name__}",
                     column="provider")],
            source="optimise_instruments",
        )
    q = (
        np.asarray(predicted, dtype=float)
        if predicted is not None
        else np.asarray(predicted_probability(caseload), dtype=float)
    )
    full, q_full = caseload, q
    sample = len(caseload) if search_people is None else int(search_people)
    sampled = len(caseload) > sample
    if sampled:
        pick = np.sort(np.random.default_rng(seed).choice(len(caseload), sample, replace=False))
        caseload, q = caseload.iloc[pick].reset_index(drop=True), q[pick]
    world = _World(base, provider, planner, knows, constraints, int(n_bands),
                   float(assessment_noise), seed, len(full))
    scorer, ev0, tb = world.scorer(caseload, q)
    worlds = prepare_checks(
        caseload, scorer, predicted=q, provider=provider, planner=planner, central=knows,
        seed=seed,
    )

    def checks(c: Candidate) -> None:
        run_checks(scorer, worlds, c)

    ranked_by_family, ranked = search_families(
        scorer, fams, robust_checks=checks if robust else None, progress=progress
    )
    mc: dict[str, Any] = {
        "window_months": base.window_months,
        "replications": int(replications),
        "provider_discount_rate": provider.discount_rate,
    }
    # a prime's revenue is a sum over its people: its CV falls as 1/sqrt(people), so the
    # sample's CV is scaled to the whole caseload's before it meets the cap
    screen = _RiskScreen(scorer, mc, seed, constraints.max_revenue_cv,
                         math.sqrt(len(caseload) / len(full)), checks, robust)
    per_family = {
        fam: screen.first_within_cap(cands, FAMILY_LABELS[fam])
        for fam, cands in ranked_by_family.items()
    }
    best = screen.first_within_cap(ranked, "best")
    for c in [*per_family.values(), best]:
        if not c.checks:
            checks(c)
        screen.within_cap(c)
    notes = screen.notes + _notes(best, scorer.margin_floor)
    risk = {key: screen.risk(c) for key, c in {**per_family, "best": best}.items()}
    base_risk = revenue_risk(scorer.population, ev0, tb, 0.0,
                             rng=np.random.default_rng(seed), **mc)
    evaluations, check_baseline, out_scorer = scorer.evaluations, scorer.baseline, scorer
    if sampled:
        whole, whole_ev0, whole_tb = world.scorer(full, q_full)
        per_family, best, risk = _on_everyone(whole, per_family, best, seed, mc)
        notes.append(
            f"searched and checked on a random sample of {sample:,} of the "
            f"{len(full):,} people; the proposals' measures and revenue risk are on everyone"
        )
        if not (best.feasible and best.meets_floors):
            notes.append("on everyone, the best proposal misses a floor it met on the sample")
        evaluations += whole.evaluations
        base_risk = revenue_risk(whole.population, whole_ev0, whole_tb, 0.0,
                                 rng=np.random.default_rng(seed), **mc)
        out_scorer, caseload = whole, full
    space, m0, floor = out_scorer.space, out_scorer.baseline, out_scorer.margin_floor
    return InstrumentResult(
        families=fams,
        per_family=per_family,
        best=best,
        baseline=m0,
        baseline_risk=base_risk,
        risk=risk,
        margin_floor=floor,
        provider_knows=knows,
        robust=bool(robust),
        evaluations=evaluations,
        seconds=time.perf_counter() - started,
        notes=notes,
        space=space,
        baseline_contract=base,
        caseload=caseload,
        check_baseline=check_baseline,
    )


def _check_options(
    n_bands: Any, replications: Any, assessment_noise: Any, search_people: Any
) -> None:
    problems = []
    if not isinstance(n_bands, int | np.integer) or not 2 <= n_bands <= 50:
        problems.append(Problem(f"must be a whole number 2..50, got {n_bands!r}",
                                column="n_bands"))
    if not isinstance(replications, int | np.integer) or not 2 <= replications <= 1000:
        problems.append(Problem(f"must be a whole number 2..1000, got {replications!r}",
                                column="replications"))
    if not (isinstance(assessment_noise, int | float) and 0 < assessment_noise <= 5):
        problems.append(Problem(f"must be in (0, 5], got {assessment_noise!r}",
                                column="assessment_noise"))
    if search_people is not None and not (
        isinstance(search_people, int | np.integer) and 1_000 <= search_people <= 1_000_000
    ):
        problems.append(Problem(f"must be None or a whole number 1,000..1,000,000, got "
                                f"{search_people!r}", column="search_people"))
    if problems:
        raise InputError(problems, source="optimise_instruments")


@dataclass(eq=False)
class _World:
    """Builds the search's scorer on some of the caseload's people (a sample or everyone)."""

    base: Contract
    provider: ProviderSettings
    planner: PlannerSettings
    knows: str
    constraints: InstrumentConstraints
    n_bands: int
    assessment_noise: float
    seed: Any
    people: int

    def scorer(
        self, frame: pd.DataFrame, q: NDArray[np.float64]
    ) -> tuple[Scorer, Any, dict[str, NDArray[np.float64]]]:
        """Return the scorer on ``frame``, the baseline's evaluation and its tariff."""
        base, provider, cons = self.base, self.provider, self.constraints
        pop = prepare_population(
            frame, provider, predicted=q, provider_knows=self.knows,  # type: ignore[arg-type]
            planner=self.planner, rng=self.seed,
        )
        tb = base.tariff_per_person(frame, q)
        minimum = (
            provider.minimum_hours if base.minimum_hours is None else float(base.minimum_hours)
        )
        ev0 = evaluate(pop, tb, provider, minimum_hours=minimum,
                       window_months=base.window_months, with_planner=False)
        m0 = tariff_measures(pop, ev0, social_value_per_job=self.planner.social_value_per_job)
        budget = m0["government_spend"]
        if cons.budget is not None:  # a budget for everyone, shared out over a sample
            budget = cons.budget * len(frame) / self.people
        floor: float | None = (
            float(m0["provider_margin"]) if cons.min_margin == "baseline"
            else None if cons.min_margin is None else float(cons.min_margin)
        )
        space = DesignSpace.build(pop, tb, q, n_bands=self.n_bands,
                                  assessment_noise=self.assessment_noise, rng=self.seed)
        scorer = Scorer(
            pop, space, provider, minimum, base.window_months,
            self.planner.social_value_per_job, float(budget), floor, m0, cons,
        )
        return scorer, ev0, tb


@dataclass(eq=False)
class _RiskScreen:
    """The revenue-risk cap: each candidate's risk measured once, the best within the cap."""

    scorer: Scorer
    mc: dict[str, Any]
    seed: Any
    cap: float | None
    cv_scale: float
    checks: Callable[[Candidate], None]
    robust: bool
    notes: list[str] = field(default_factory=list)
    risks: dict[int, RevenueRisk] = field(default_factory=dict)

    def risk(self, c: Candidate) -> RevenueRisk:
        """Return (and keep) a candidate's revenue risk (Monte Carlo)."""
        if id(c) not in self.risks:
            pop = self.scorer.population
            tariff, _inst = self.scorer.space.arrays(c.design, pop)
            self.risks[id(c)] = revenue_risk(
                pop, c.evaluation, tariff, c.topup, rng=np.random.default_rng(self.seed),
                **self.mc,
            )
        return self.risks[id(c)]

    def within_cap(self, c: Candidate) -> bool:
        """Whether the candidate's revenue CV (scaled to everyone) is within the cap."""
        return self.cap is None or self.risk(c).cv * self.cv_scale <= self.cap

    def first_within_cap(self, cands: Sequence[Candidate], label: str) -> Candidate:
        """Return the best candidate within the cap, or the best scaled back until it is."""
        for c in cands[:MAX_RISK_CHECKS]:
            if self.within_cap(c):
                return c
        top = cands[0]
        lo, hi, kept = 0.0, top.design.scale, None
        for _ in range(6):  # scale the best back until its revenue risk is within the cap
            mid = 0.5 * (lo + hi)
            c = self.scorer.score(top.design.at(mid))
            if self.within_cap(c):
                lo, kept = mid, c
            else:
                hi = mid
        self.notes.append(
            f"{label}: every proposal's revenue SD exceeded {self.cap:.0%} of a prime's "
            "revenue; " + ("its best was scaled back to keep within it" if kept
                           else "shown unscaled")
        )
        out = kept or top
        if self.robust or kept is not None:
            self.checks(out)
        return out


def _notes(best: Candidate, floor: float | None) -> list[str]:
    notes = []
    if not (best.feasible and best.meets_floors):
        notes.append(
            "no proposal met every floor (margin, jobs and equity-weighted jobs); the one shown "
            "comes closest"
        )
    notes.append(
        "best proposal uses: " + ", ".join(FAMILY_LABELS[f] for f in families_in(best.design))
        + f"; attachment top-up £{best.topup:,.0f} per person"
    )
    shock = best.checks.get("demand_shock")
    if shock is not None:
        lo_band, hi_band = SPEND_BAND
        notes.append(
            f"under the demand shock spend is {shock['spend_ratio']:.2f}x the budget "
            f"({'within' if shock['spend_in_band'] else 'outside'} {lo_band:g}-{hi_band:g}x) "
            f"and the worst lower-half parked share {shock[TARGET_MEASURE]:.1%}"
        )
    if floor is not None and math.isfinite(floor):
        notes.append(f"margin floor {floor:.1%}")
    return notes


def _on_everyone(
    whole: Scorer,
    per_family: dict[str, Candidate],
    best: Candidate,
    seed: Any,
    mc: dict[str, Any],
) -> tuple[dict[str, Candidate], Candidate, dict[str, RevenueRisk]]:
    """Measure the sample's finalists on everyone, the budget spent exactly on everyone.

    The checks stay those of the sample; the revenue risk is measured on everyone. When the
    margin floor moved a little, the scaled amount is stepped back to it.
    """
    rescored: dict[str, Candidate] = {}
    risk: dict[str, RevenueRisk] = {}
    for key, c in {**per_family, "best": best}.items():
        r = whole.score(c.design)
        for cut in (0.02, 0.05, 0.1, 0.2, 0.4):
            if r.feasible or not c.feasible:
                break
            r = whole.score(c.design.at(c.design.scale * (1.0 - cut)))
        r.checks = c.checks
        rescored[key] = r
        risk[key] = revenue_risk(
            whole.population, r.evaluation, whole.space.arrays(r.design, whole.population)[0],
            r.topup, rng=np.random.default_rng(seed), **mc,
        )
    best = rescored.pop("best")
    return rescored, best, risk
