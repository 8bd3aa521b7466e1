"""The optimiser's search over instrument families: constraints, checks, ranking."""

from __future__ import annotations

import numpy as np
import pytest

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.errors import InputError
from pbr_fairness.tariffs.instrument_checks import CHECKS
from pbr_fairness.tariffs.instrument_designs import FAMILIES, Design, check_families
from pbr_fairness.tariffs.instrument_optimise import allocate_primes, optimise_instruments
from pbr_fairness.tariffs.instrument_search import (
    Candidate,
    InstrumentConstraints,
    best_amount,
    slack,
)
from pbr_fairness.tariffs.measures import TARGET_MEASURE


@pytest.fixture(scope="module")
def caseload():
    return make_caseload(4000, rng=5)


@pytest.fixture(scope="module")
def result(caseload):
    return optimise_instruments(
        caseload, families="yardstick,funded_hours,value_added",
        constraints=InstrumentConstraints(min_margin=0.25), replications=8,
    )


def test_family_lists_are_read_and_bad_names_named():
    assert check_families("all") == FAMILIES
    assert check_families(["yardstick", "yardstick"]) == ("yardstick",)
    with pytest.raises(InputError, match="'bogus'"):
        check_families("value_added,bogus")
    with pytest.raises(InputError, match="instruments"):
        check_families("")


def test_every_proposal_spends_the_budget_and_keeps_the_margin_floor(result):
    budget = result.baseline["government_spend"]
    for c in result.finalists().values():
        assert c.feasible
        assert c.measures["government_spend"] == pytest.approx(budget, rel=1e-9)
        assert c.topup >= 0
        assert c.measures["provider_margin"] >= 0.25 - 1e-9


def test_the_proposal_serves_the_lower_half_better_than_the_baseline(result):
    best = result.best.measures
    assert best[TARGET_MEASURE] < 0.5 * result.baseline[TARGET_MEASURE]
    assert best["equity_weighted_additional_jobs"] > result.baseline[
        "equity_weighted_additional_jobs"
    ]


def test_every_finalist_is_checked_and_the_report_shows_it(result):
    for c in result.finalists().values():
        assert set(c.checks) == set(CHECKS)
    shock = result.best.checks["demand_shock"]
    # a downturn the contract did not foresee: fewer additional jobs than in the central case
    assert shock["additional_jobs"] < result.best.measures["additional_jobs"]
    text = result.to_markdown()
    assert "yardstick" in text and "demand_shock" in text
    table = result.table()
    assert list(table.proposal[:1]) == ["baseline"]
    assert np.isfinite(table.revenue_cv).all()


def test_a_higher_margin_floor_never_parks_fewer(caseload):
    kw = dict(families="yardstick", replications=4)
    low = optimise_instruments(caseload, constraints=InstrumentConstraints(min_margin=0.2), **kw)
    high = optimise_instruments(
        caseload, constraints=InstrumentConstraints(min_margin="baseline"), **kw
    )
    assert high.margin_floor > low.margin_floor
    assert low.best.measures[TARGET_MEASURE] <= high.best.measures[TARGET_MEASURE] + 1e-12


class _LineScorer:
    """A stand-in scorer: parking falls and the margin falls linearly with the amount."""

    budget = 1000.0
    margin_floor = 0.3

    class population:
        n = 100

    def score(self, design):
        x = design.scale
        m = {TARGET_MEASURE: max(0.0, 0.8 - 0.2 * x), "provider_margin": 0.5 - 0.1 * x,
             "equity_weighted_additional_jobs": x}
        return Candidate(design, m, 5.0, m["provider_margin"] >= 0.3 - 1e-9, True, None)


def test_best_amount_stops_where_the_margin_floor_binds():
    # margin 0.5 - 0.1 x meets its floor 0.3 at x = 2: the largest feasible amount
    scorer = _LineScorer()
    best = best_amount(scorer, Design(scaled="fees").at(0.3), tolerance=1e-3)
    assert best.feasible
    assert best.design.scale == pytest.approx(2.0, rel=2e-3)
    assert slack(scorer, best) == pytest.approx(0.0, abs=1e-3)
    # started above the bound, it halves down to it
    again = best_amount(scorer, Design(scaled="fees").at(50.0), tolerance=1e-3)
    assert again.design.scale == pytest.approx(2.0, rel=2e-3)


def test_primes_are_allocated_at_random_only_when_the_caseload_has_one():
    one = make_caseload(900, rng=2)
    three = allocate_primes(one, 3, 0)
    assert three.provider_id.nunique() == 3
    counts = three.provider_id.value_counts()
    assert counts.min() > 250  # random allocation: about a third each
    two = make_caseload(900, rng=2, providers=2)
    assert allocate_primes(two, 3, 0) is two
    with pytest.raises(InputError, match="primes"):
        allocate_primes(one, 1, 0)


def test_bad_constraints_and_options_are_named():
    with pytest.raises(InputError, match="min_margin"):
        InstrumentConstraints(min_margin=2.0)
    with pytest.raises(InputError, match="max_revenue_cv"):
        InstrumentConstraints(max_revenue_cv=0.0)
    with pytest.raises(InputError, match="replications"):
        optimise_instruments(make_caseload(300, rng=1), families="yardstick", replications=1)
    # a provider given where the baseline goes, or a dict for the provider: named, no traceback
    from pbr_fairness.engine.provider import ProviderSettings

    with pytest.raises(InputError, match="baseline"):
        optimise_instruments(make_caseload(300, rng=1), ProviderSettings(),  # type: ignore[arg-type]
                             families="cost_sharing")
    with pytest.raises(InputError, match="provider"):
        optimise_instruments(make_caseload(300, rng=1), provider={"cost_per_hour": 20},  # type: ignore[arg-type]
                             families="cost_sharing")


def test_slack_is_negative_beyond_the_budget_or_below_the_floor():
    scorer = _LineScorer()
    m = {TARGET_MEASURE: 0.1, "provider_margin": 0.4, "equity_weighted_additional_jobs": 1.0}
    inside = Candidate(Design(), m, 5.0, True, True, None)
    over_budget = Candidate(Design(), m, -5.0, False, True, None)  # a negative top-up
    below = Candidate(Design(), {**m, "provider_margin": 0.25}, 5.0, False, True, None)
    assert slack(scorer, inside) == pytest.approx(min(5.0 / 10.0, 0.1))
    assert slack(scorer, over_budget) == pytest.approx(-0.5)
    assert slack(scorer, below) == pytest.approx(-0.05)


def test_a_search_on_a_sample_measures_the_finalists_on_everyone():
    cl = make_caseload(3000, rng=6)
    res = optimise_instruments(
        cl, families="funded_hours,cost_sharing", replications=4, search_people=1000,
        constraints=InstrumentConstraints(min_margin=0.25),
    )
    assert any("random sample of 1,000 of the 3,000" in n for n in res.notes)
    assert len(res.caseload) == 3000
    budget = res.baseline["government_spend"]
    for c in res.finalists().values():
        assert c.evaluation.hours.size == 3000  # measured on everyone
        assert c.measures["government_spend"] == pytest.approx(budget, rel=1e-9)
        assert c.measures["provider_margin"] >= 0.25 - 1e-9 or not c.feasible
    full = optimise_instruments(
        cl, families="funded_hours,cost_sharing", replications=4, search_people=None,
        constraints=InstrumentConstraints(min_margin=0.25),
    )
    # the sample's proposal is close to the one found on everyone
    assert res.best.measures[TARGET_MEASURE] <= full.best.measures[TARGET_MEASURE] + 0.05
    with pytest.raises(InputError, match="search_people"):
        optimise_instruments(cl, families="funded_hours", search_people=10)
