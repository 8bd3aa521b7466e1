"""Synthetic audit scenarios: caseloads where it is known which provider parks and which creams.

People and their truth come from :func:`pbr_fairness.caseload.generator.make_caseload`
(providers assigned at random, as the Work Programme randomised claimants between primes).
Support hours are then re-assigned per provider with the engine's exact closed-form allocation
:func:`pbr_fairness.engine.allocate_hours`, and job outcomes drawn from the engine's response
curve :func:`pbr_fairness.engine.response`:

* **planner** (the neutral providers): hours maximise equity-weighted additional jobs with
  weights ``w_i = ((1 - p0_i) / mean(1 - p0))^eta`` (proportionate universalism, see
  docs/simulation.md),
  within a budget of ``hours_per_person`` hours per person and the contractual minimum;
* **parking**: a profit maximiser paid a flat ``parking_fee`` per job outcome at
  ``cost_per_hour``: where the fee times the marginal gain of the first hour does not cover
  its cost, the person gets only the minimum (those far from work, whose response is small);
* **creaming**: the same budget as the planner, everyone given at least ``creaming_floor``
  hours, and the rest concentrated on those closest to work (weights ``(p0_i / mean p0)^power``).

The expected probability the auditor would use is ``expected_p``: the synthetic truth's
``true_p_observable`` (the best prediction from the characteristics), or a distance model's
prediction if the caller replaces it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from pbr_fairness.caseload import schema
from pbr_fairness.caseload.generator import historic_tariff, make_caseload, months_in_work
from pbr_fairness.engine.capacity import allocate_hours
from pbr_fairness.engine.curve import response
from pbr_fairness.engine.planner import PlannerSettings, planner_weights

__all__ = ["ROLES", "make_audit_scenario", "scenario_roles"]

#: Behaviours a scenario provider can follow.
ROLES: tuple[str, ...] = ("planner", "parking", "creaming")


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def scenario_roles(
    providers: int = 6, *, parking: Sequence[str] = ("P3",), creaming: Sequence[str] = ("P5",)
) -> dict[str, str]:
    """Role of each provider ``P1..PK`` in a scenario (``planner`` unless named)."""
    roles = {f"P{j + 1}": "planner" for j in range(providers)}
    for name in parking:
        if name not in roles:
            raise ValueError(f"parking provider {name!r} is not one of P1..P{providers}")
        roles[name] = "parking"
    for name in creaming:
        if name not in roles:
            raise ValueError(f"creaming provider {name!r} is not one of P1..P{providers}")
        if roles[name] == "parking":
            raise ValueError(f"provider {name!r} cannot both park and cream")
        roles[name] = "creaming"
    return roles


def make_audit_scenario(
    n_per_provider: int = 3000,
    providers: int = 6,
    *,
    parking: Sequence[str] = ("P3",),
    creaming: Sequence[str] = ("P5",),
    hours_per_person: float = 8.0,
    minimum_hours: float = 2.0,
    parking_fee: float = 2700.0,
    cost_per_hour: float = 20.0,
    creaming_floor: float = 4.0,
    creaming_power: float = 2.0,
    eta: float = 1.0,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Generate a caseload in which named providers park or cream and the rest follow the planner.

    Parameters
    ----------
    n_per_provider : int, default 3000
        Average people per provider (people are assigned to providers at random).
    providers : int, default 6
        Number of providers ``P1..PK``.
    parking, creaming : sequence of str, default ("P3",) and ("P5",)
        Providers that park and that cream; the others follow the planner.
    hours_per_person : float, default 8
        Budget of the planner and creaming providers, in hours per person.
    minimum_hours : float, default 2
        Contractual minimum of hours for everyone.
    parking_fee : float, default 2700
        Flat fee per job outcome (pounds) the parking provider maximises profit on: about the
        expected value of a JSA 25+ job outcome under the Work Programme's year-1
        tariff (the 1,200 GBP job-outcome fee plus expected sustainment payments, D): at this
        price the profit maximiser parks most of those furthest from work, whose hours buy
        little (the evidence response of the generator).
    cost_per_hour : float, default 20
        The parking provider's cost of an hour (pounds).
    creaming_floor : float, default 4
        Hours everyone at the creaming provider gets before the rest goes to the closest.
    creaming_power : float, default 2
        Steepness of the creaming weights ``(p0 / mean p0)^power``.
    eta : float, default 1
        Equity exponent of the planner's weights.
    rng : numpy.random.Generator or int, optional
        Random generator or seed.

    Returns
    -------
    pandas.DataFrame
        Every schema column, plus ``expected_p`` (the truth's ``true_p_observable``) and
        ``scenario_role``; ``frame.attrs["roles"]`` maps provider to role.

    Examples
    --------
    >>> df = make_audit_scenario(200, 3, parking=("P1",), creaming=("P2",), rng=0)
    >>> df.attrs["roles"]
    {'P1': 'parking', 'P2': 'creaming', 'P3': 'planner'}
    """
    if n_per_provider < 1 or providers < 1:
        raise ValueError("n_per_provider and providers must be positive")
    if hours_per_person < max(minimum_hours, creaming_floor if creaming else 0.0):
        raise ValueError("hours_per_person must cover the minimum (and the creaming floor)")
    roles = scenario_roles(providers, parking=parking, creaming=creaming)
    gen = _rng(rng)
    frame = make_caseload(int(n_per_provider) * int(providers), rng=gen, providers=int(providers))
    p0 = frame["true_p0"].to_numpy(dtype=float)
    pmax = frame["true_pmax"].to_numpy(dtype=float)
    k = frame["true_k"].to_numpy(dtype=float)
    gain = pmax - p0
    provider = frame["provider_id"].astype(str).to_numpy()
    hours = np.empty(len(frame))
    for name, role in roles.items():
        sel = provider == name
        n = int(sel.sum())
        if n == 0:
            continue
        if role == "planner":
            w = planner_weights(p0[sel], PlannerSettings(1.0, eta))
            alloc = allocate_hours(
                w, gain[sel], k[sel], cost=0.0, capacity=hours_per_person * n,
                minimum=minimum_hours,
            )
        elif role == "parking":
            alloc = allocate_hours(
                np.full(n, parking_fee), gain[sel], k[sel], cost=cost_per_hour,
                capacity=hours_per_person * n, minimum=minimum_hours,
            )
        else:
            w = (p0[sel] / np.mean(p0[sel])) ** creaming_power
            alloc = allocate_hours(
                w, gain[sel], k[sel], cost=0.0, capacity=hours_per_person * n,
                minimum=max(minimum_hours, creaming_floor),
            )
        hours[sel] = alloc.hours
    p = response(hours, p0, pmax, k)
    outcome = gen.random(len(frame)) < p
    h = frame["true_exit_hazard"].to_numpy(dtype=float)
    groups = pd.Categorical(frame["payment_group"], categories=list(schema.PAYMENT_GROUPS))
    trigger = historic_tariff(np.asarray(groups.codes))["trigger_weeks"]
    months = months_in_work(outcome, h, trigger, 24.0, gen)
    frame["support_hours"] = np.round(hours, 6)
    frame["job_outcome"] = outcome.astype(np.int8)
    frame["months_in_work_after_outcome"] = np.round(months, 3)
    frame["expected_p"] = frame["true_p_observable"].to_numpy(dtype=float)
    frame["scenario_role"] = pd.Categorical(
        [roles[x] for x in provider], categories=list(ROLES)
    )
    frame.attrs["roles"] = dict(roles)
    return frame
