"""The optimiser's search over instrument families (issue 13, point 5).

For each family the search tries a few shapes (:data:`SHAPES`); for each shape it finds the
largest amount (rate, or fee factor) that keeps every constraint, by doubling and then
bisection, with the provider's best response (:func:`pbr_fairness.engine.evaluation.
evaluate`) in the loop. Any budget left over is paid as an attachment fee, which buys no effort
but keeps the spend equal to the budget, so every proposal spends exactly the budget in
expectation. A proposal is feasible when:

- its expected spend is within the budget (attachment fees never below zero);
- the provider's margin is at least the floor (default: the baseline's margin);
- equity-weighted additional jobs are at least ``min_equity_jobs_share`` and additional
  jobs at least ``min_additional_jobs_share`` of the baseline's (else it ranks below those
  that are);
- no cohort is paid less than nothing (value-added payments are floored at 0 per cohort);
- every fee and rate per outcome is at most :data:`~pbr_fairness.tariffs.instrument_designs.
  MAX_FEE_PER_OUTCOME`;
- the standard deviation of each prime's revenue over Monte Carlo replications is at most
  ``max_revenue_cv`` of its expected revenue (checked on the finalists in rank order; when
  none of a family's keeps it, its best is scaled back until it does).

Proposals rank by the worst parked share over deciles 1-5 of true ``p0`` (the lower half),
then by equity-weighted additional jobs. The best family is then paired with each other one,
and the best three combined, each searched the same way (the other families at half their own
best amounts, or with their own hours and shares). With ``robust=True``
proposals rank by their worst case over the robustness checks
(:mod:`pbr_fairness.tariffs.instrument_checks`) instead of the central case.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pbr_fairness.engine.evaluation import Evaluation, evaluate
from pbr_fairness.engine.population import Population
from pbr_fairness.engine.provider import ProviderSettings
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.tariffs.instrument_designs import FAMILIES, Design, DesignSpace
from pbr_fairness.tariffs.measures import TARGET_MEASURE, tariff_measures

__all__ = [
    "SHAPES",
    "Candidate",
    "InstrumentConstraints",
    "Scorer",
    "best_amount",
    "search_families",
]

#: Shapes tried per family: the fixed parameters of each design; the amount is searched.
SHAPES: dict[str, tuple[Design, ...]] = {
    "value_added": tuple(
        Design(0.0, {"value_added": {"amount": 2000.0, "shape": a}}, "value_added")
        for a in (0.5, 1.0)
    ),
    "accelerator": tuple(
        Design(0.0, {"accelerator": {"amount": 2000.0, "shape": a, "level": 0.1}}, "accelerator")
        for a in (0.5, 1.0)
    ),
    "yardstick": tuple(
        Design(0.0, {"yardstick": {"amount": 4000.0, "shape": a}}, "yardstick")
        for a in (1.0, 1.5)
    ),
    "cost_sharing": tuple(
        Design(1.0, {"cost_sharing": {"amount": alpha, "bands": 5}}, "fees")
        for alpha in (0.8, 0.95)
    ),
    "funded_hours": tuple(
        Design(1.0, {"funded_hours": {"amount": h, "bands": b}}, "fees")
        for h, b in ((3.0, 3), (10.0, 5))
    ),
    "assessment": tuple(
        Design(1.0, {"assessment": {"amount": a}}, "fees") for a in (1.0, 1.5)
    ),
}


@dataclass(frozen=True)
class InstrumentConstraints:
    """What an instrument proposal must respect.

    Parameters
    ----------
    budget : float, optional
        Expected government spend (pounds); default the baseline's.
    min_margin : float, "baseline" or None, default "baseline"
        Least provider margin (profit over revenue); ``"baseline"``: the baseline's margin on
        the same caseload; ``None``: no floor beyond a profit of at least zero.
    min_equity_jobs_share : float, default 1.2
        Equity-weighted additional jobs at least this share of the baseline's.
    min_additional_jobs_share : float, default 1.0
        Additional jobs at least this share of the baseline's.
    max_revenue_cv : float or None, default 0.05
        Standard deviation of each prime's revenue over Monte Carlo replications at most this
        share of its expected revenue. A design choice, not a published figure: a prime with a
        margin of 25% can absorb a shortfall of two standard deviations (10% of revenue) and
        stay in profit.
    """

    budget: float | None = None
    min_margin: float | str | None = "baseline"
    min_equity_jobs_share: float = 1.2
    min_additional_jobs_share: float = 1.0
    max_revenue_cv: float | None = 0.05

    def __post_init__(self) -> None:
        problems = []
        if self.budget is not None and not (
            isinstance(self.budget, int | float) and math.isfinite(self.budget) and self.budget > 0
        ):
            problems.append(Problem(f"must be a positive number, got {self.budget!r}",
                                    column="budget"))
        m = self.min_margin
        if not (m is None or m == "baseline" or (isinstance(m, int | float) and -1 < m < 1)):
            problems.append(
                Problem(f"must be 'baseline', None or a number in (-1, 1), got {m!r}",
                        column="min_margin")
            )
        for key in ("min_equity_jobs_share", "min_additional_jobs_share"):
            v = getattr(self, key)
            if not (isinstance(v, int | float) and 0 <= v <= 10):
                problems.append(Problem(f"must be in [0, 10], got {v!r}", column=key))
        r = self.max_revenue_cv
        if r is not None and not (isinstance(r, int | float) and 0 < r <= 1):
            problems.append(
                Problem(f"must be in (0, 1] or None, got {r!r}", column="max_revenue_cv")
            )
        if problems:
            raise InputError(problems, source="instrument constraints")


@dataclass(eq=False)
class Candidate:
    """One design at one amount, evaluated, with its attachment top-up.

    Attributes
    ----------
    design : Design
    measures : dict of str to float
        Every measure, with the attachment top-up included in spend, revenue and margin.
    topup : float
        Attachment fee per person added to spend the budget (pounds).
    feasible : bool
        Within the budget and at or above the margin floor.
    meets_floors : bool
        At or above the job floors.
    evaluation : Evaluation
    checks : dict
        Robustness checks, when computed: name -> measures.
    """

    design: Design
    measures: dict[str, float]
    topup: float
    feasible: bool
    meets_floors: bool
    evaluation: Evaluation
    checks: dict[str, dict[str, float]] = field(default_factory=dict)

    def rank(self, robust: bool = False) -> tuple[Any, ...]:
        """Sort key: floors met first, then least parking, then most equity-weighted jobs."""
        parked = self.measures[TARGET_MEASURE]
        ewj = self.measures["equity_weighted_additional_jobs"]
        if robust and self.checks:
            parked = max(parked, *(c[TARGET_MEASURE] for c in self.checks.values()))
            ewj = min(ewj, *(c["equity_weighted_additional_jobs"] for c in self.checks.values()))
            spend_ok = all(c.get("spend_in_band", 1.0) >= 1.0 for c in self.checks.values())
            return (not self.feasible, not self.meets_floors, not spend_ok, parked, -ewj)
        return (not self.feasible, not self.meets_floors, parked, -ewj)


@dataclass(eq=False)
class Scorer:
    """Evaluates designs on one population against the baseline (internal to the search)."""

    population: Population
    space: DesignSpace
    provider: ProviderSettings
    minimum: float
    window_months: int
    social_value_per_job: float
    budget: float
    margin_floor: float | None
    baseline: dict[str, float]
    constraints: InstrumentConstraints
    evaluations: int = 0

    def score(
        self,
        design: Design,
        population: Population | None = None,
        *,
        space: DesignSpace | None = None,
        topup: float | None = None,
    ) -> Candidate:
        """Evaluate ``design`` and top it up to the budget.

        ``population`` and ``space`` replace the search's (a robustness check); ``topup``
        fixes the attachment top-up (the contract's, set when it was let) instead of
        spending the budget exactly.
        """
        pop = population or self.population
        tariff, inst = (space or self.space).arrays(design, pop)
        ev = evaluate(
            pop,
            tariff,
            self.provider,
            minimum_hours=self.minimum,
            with_planner=False,
            window_months=self.window_months,
            instruments=inst,
        )
        self.evaluations += 1
        m = tariff_measures(pop, ev, social_value_per_job=self.social_value_per_job)
        n = pop.n
        if topup is None:
            topup = (self.budget - m["government_spend"]) / n
        m = with_topup(m, topup, n)
        floor = -math.inf if self.margin_floor is None else self.margin_floor
        feasible = topup >= -1e-9 and m["provider_margin"] >= floor - 1e-9
        base = self.baseline
        meets = (
            m["equity_weighted_additional_jobs"]
            >= self.constraints.min_equity_jobs_share * base["equity_weighted_additional_jobs"]
            - 1e-9
            and m["additional_jobs"]
            >= self.constraints.min_additional_jobs_share * base["additional_jobs"] - 1e-9
        )
        return Candidate(design, m, float(topup), bool(feasible), bool(meets), ev)


def with_topup(measures: dict[str, float], topup: float, n: int) -> dict[str, float]:
    """Add an attachment fee of ``topup`` per person to spend, revenue, profit and margin.

    Examples
    --------
    >>> m = {"government_spend": 900.0, "government_spend_discounted": 880.0,
    ...      "provider_revenue": 850.0, "provider_cost": 600.0, "provider_profit": 250.0,
    ...      "provider_margin": 250 / 850}
    >>> round(with_topup(m, 1.0, 100)["provider_margin"], 4)
    0.3684
    """
    out = dict(measures)
    extra = topup * n
    for key in ("government_spend", "government_spend_discounted", "provider_revenue"):
        if key in out:
            out[key] = out[key] + extra
    out["provider_profit"] = out["provider_revenue"] - out["provider_cost"]
    rev = out["provider_revenue"]
    out["provider_margin"] = out["provider_profit"] / rev if rev > 0 else float("nan")
    out["attachment_topup"] = float(topup)
    return out


def slack(scorer: Scorer, c: Candidate) -> float:
    """How far a candidate is inside its budget and margin floor (negative: outside).

    The smaller of the attachment top-up as a share of the budget per person and the margin
    above the floor.
    """
    per_person = scorer.budget / scorer.population.n
    room = c.topup / per_person
    if scorer.margin_floor is not None:
        room = min(room, c.measures["provider_margin"] - scorer.margin_floor)
    return float(room)


def best_amount(
    scorer: Scorer,
    design: Design,
    *,
    tolerance: float = 0.01,
    rank: Callable[[Candidate], tuple[Any, ...]] | None = None,
) -> Candidate:
    """Find the largest feasible amount of ``design``'s scaled part.

    Parking falls as the amount rises while spend and the provider's cost rise, so the best
    feasible amount is where the budget or the margin floor starts to bind: bracketed by
    doubling (or halving), then found by the Illinois method on :func:`slack` to
    ``tolerance`` of the amount. The candidates met on the way are kept and the best by
    ``rank`` returned (the feasible one nearest the bound, as a rule).
    """
    rank = rank or (lambda c: c.rank())
    seen: list[Candidate] = []

    def at(x: float) -> tuple[Candidate, float]:
        c = scorer.score(design.at(x))
        seen.append(c)
        return c, slack(scorer, c)

    x = max(design.scale, 1e-6)
    _c, f = at(x)
    lo = hi = None
    for _ in range(12):
        if f >= 0:
            lo = (x, f)
            if hi is not None:
                break
            x *= 2.0
        else:
            hi = (x, f)
            if lo is not None:
                break
            x /= 2.0
        if x > 1e7 or x < 1e-6:
            break
        _c, f = at(x)
    if lo is not None and hi is not None:
        (a, fa), (b, fb) = lo, hi
        side = 0
        for _ in range(12):
            if abs(b - a) <= tolerance * max(abs(a), abs(b)):
                break
            x = (a * fb - b * fa) / (fb - fa) if fb != fa else 0.5 * (a + b)
            if not min(a, b) < x < max(a, b):
                x = 0.5 * (a + b)
            _c, f = at(x)
            if f >= 0:
                a, fa = x, f
                if side == 1:
                    fb *= 0.5  # Illinois: halve the stale end so the bracket keeps shrinking
                side = 1
            else:
                b, fb = x, f
                if side == -1:
                    fa *= 0.5
                side = -1
    return min(seen, key=rank)


def combine(designs: Sequence[Candidate], share: float = 0.5) -> Design:
    """Return the first design with the others' families at ``share`` of their amounts."""
    first = designs[0].design
    fams = {k: dict(v) for k, v in first.families.items()}
    for other in designs[1:]:
        for fam, params in other.design.families.items():
            p = dict(params)
            if other.design.scaled == fam:
                p["amount"] = share * other.design.scale
            fams[fam] = p
    return Design(first.fee_factor, fams, first.scaled)


def search_families(
    scorer: Scorer,
    families: Sequence[str],
    *,
    robust_checks: Callable[[Candidate], None] | None = None,
    combinations: bool = True,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[dict[str, list[Candidate]], list[Candidate]]:
    """Search each family on its own, then combinations of the best.

    Returns
    -------
    per_family : dict of str to list of Candidate
        Each family's proposals (one per shape), best first.
    ranked : list of Candidate
        Every proposal, single families and combinations, best first.
    """
    robust = robust_checks is not None

    def rank(c: Candidate) -> tuple[Any, ...]:
        return c.rank(robust)

    per_family: dict[str, list[Candidate]] = {}
    everything: list[Candidate] = []
    steps = len(families) + (len(families) if combinations and len(families) > 1 else 0)
    done = 0
    for fam in families:
        if progress:
            progress(done / steps, f"searching {fam}")
        found = [best_amount(scorer, d) for d in SHAPES[fam]]
        if robust_checks is not None:
            for c in found:
                robust_checks(c)
        per_family[fam] = sorted(found, key=rank)
        everything += found
        done += 1
    pool = sorted((v[0] for v in per_family.values()), key=rank)
    if combinations and len(pool) > 1:
        # the best family with each other one, and the best three together
        groups = [[pool[0], other] for other in pool[1:]]
        if len(pool) >= 3:
            groups.append(list(pool[:3]))
        for group in groups:
            if progress:
                progress(done / steps, "searching combinations")
            c = best_amount(scorer, combine(group))
            if robust_checks is not None:
                robust_checks(c)
            everything.append(c)
        done = steps
    if progress:
        progress(1.0, "instrument search done")
    return per_family, sorted(everything, key=rank)


def families_in(design: Design) -> tuple[str, ...]:
    """Return the families a design uses, in :data:`FAMILIES` order."""
    return tuple(f for f in FAMILIES if f in design.families)


def person_parked_lower_half(pop: Population, ev: Evaluation) -> NDArray[np.float64]:
    """Parked share per decile of true ``p0`` (for reports)."""
    bd = pop.breakdowns["decile_true_p0"]
    n = np.bincount(bd.codes, minlength=len(bd.labels)).astype(float)
    k = np.bincount(bd.codes, weights=ev.parked.astype(float), minlength=len(bd.labels))
    out: NDArray[np.float64] = k / np.maximum(n, 1.0)
    return out
