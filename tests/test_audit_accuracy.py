"""Accuracy of the audit on seeded synthetic caseloads (issue 6, point 6, at small scale).

Twenty caseloads of 6 providers x 500 people: one provider parks, one creams, four follow
the planner. The parking provider must be flagged for parking in at least 90% of them and
the neutral providers flagged (for anything) in at most 5%. The full-scale check (100
caseloads of 6 x 3,000) is ``benchmarks/bench_audit.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from pbr_fairness.audit import audit_caseload, make_audit_scenario

SEEDS = range(20)
CHARACTERISTICS = ["sex", "age", "age_band", "disability", "ethnicity"]


@pytest.fixture(scope="module")
def rates():
    parked, creamed, neutral_flags, neutral_n = 0, 0, 0, 0
    for seed in SEEDS:
        df = make_audit_scenario(500, 6, rng=np.random.default_rng([6, seed]))
        roles = df.attrs["roles"]
        # Characteristics are dropped only to keep the test fast: they do not enter the
        # parking and creaming tests.
        df = df.drop(columns=[c for c in CHARACTERISTICS if c in df.columns])
        result = audit_caseload(df, rng=seed)
        for p in result.providers:
            role = roles[p["provider_id"]]
            if role == "parking":
                parked += p["parking"]["flag"]
            elif role == "creaming":
                creamed += p["creaming"]["flag"]
            else:
                neutral_flags += p["flagged"]
                neutral_n += 1
    n = len(SEEDS)
    return {"parking": parked / n, "creaming": creamed / n, "neutral": neutral_flags / neutral_n}


@pytest.mark.slow
def test_parking_provider_is_detected(rates):
    assert rates["parking"] >= 0.9


@pytest.mark.slow
def test_neutral_providers_are_rarely_flagged(rates):
    assert rates["neutral"] <= 0.05


@pytest.mark.slow
def test_creaming_provider_is_detected(rates):
    assert rates["creaming"] >= 0.9


def test_scenario_roles_and_budgets():
    df = make_audit_scenario(300, 4, parking=("P2",), creaming=("P4",), rng=1)
    assert df.attrs["roles"] == {"P1": "planner", "P2": "parking", "P3": "planner",
                                 "P4": "creaming"}
    hours = df.groupby("provider_id", observed=True)["support_hours"]
    assert hours.mean()["P1"] == pytest.approx(8.0)
    assert hours.min()["P4"] >= 4.0 - 1e-9
    assert (df["support_hours"] >= 2.0 - 1e-9).all()
    assert set(df["job_outcome"].unique()) <= {0, 1}
    with pytest.raises(ValueError):
        make_audit_scenario(10, 2, parking=("P3",))
