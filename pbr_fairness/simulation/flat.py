"""The ``flat`` preset: one tariff for everyone at the same expected spend as a baseline.

Computed on a given caseload and provider: the flat tariff takes the caseload's average
attachment fee, job-outcome fee, sustainment fee, number of sustainment payments and trigger
under the baseline contract (``work_programme_2011`` by default), then scales its outcome
fees (job outcome and sustainment together) by the factor at which the provider's best
response costs the government exactly what the baseline costs (a bracketed root search).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import brentq

from pbr_fairness.contracts import Contract, Tariff, load_contract
from pbr_fairness.engine.evaluation import evaluate
from pbr_fairness.engine.prediction import ProviderKnows
from pbr_fairness.engine.provider import ProviderSettings
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.simulation.population import prepare_population

__all__ = ["flat_contract"]


def flat_contract(
    caseload: Any,
    provider: Any = None,
    *,
    baseline: Contract | str = "work_programme_2011",
    predicted: Any = None,
    provider_knows: ProviderKnows = "truth",
    rng: np.random.Generator | int | None = 0,
) -> Contract:
    """One tariff for every payment group at the same expected spend as ``baseline``.

    Parameters
    ----------
    caseload : pandas.DataFrame
        A caseload with the truth columns (synthetic).
    provider : ProviderSettings, optional
        The provider whose best response sets the spend (default settings if omitted).
    baseline : Contract or str, default "work_programme_2011"
        The contract whose expected government spend the flat tariff matches.
    predicted : array-like, optional
        Predictions, when the baseline's basis or ``provider_knows`` needs them.
    provider_knows : {"truth", "model"}, default "truth"
    rng : numpy.random.Generator or int, optional
        For the provider's information noise (if any).

    Returns
    -------
    Contract
        Basis ``payment_group``, the same tariff for every group of the caseload, named
        ``flat``.
    """
    provider = provider or ProviderSettings()
    base = load_contract(baseline) if isinstance(baseline, str) else baseline
    pop = prepare_population(
        caseload, provider, predicted=predicted, provider_knows=provider_knows, rng=rng
    )
    tb = base.tariff_per_person(caseload, predicted)
    window = base.window_months
    target = evaluate(
        pop, tb, provider, minimum_hours=base.minimum_hours, with_planner=False,
        window_months=window,
    ).overall["government_spend"]
    a, j, s = (float(np.mean(tb[k])) for k in ("A", "J", "S"))
    m = round(float(np.mean(tb["M"])))
    trigger = float(np.median(tb["trigger_weeks"]))
    n = pop.n

    def arrays(scale: float) -> dict[str, np.ndarray]:
        return {
            "A": np.full(n, a),
            "J": np.full(n, j * scale),
            "S": np.full(n, s * scale),
            "M": np.full(n, float(m)),
            "trigger_weeks": np.full(n, trigger),
        }

    def gap(scale: float) -> float:
        ev = evaluate(
            pop,
            arrays(scale),
            provider,
            minimum_hours=base.minimum_hours,
            with_planner=False,
            window_months=window,
        )
        return ev.overall["government_spend"] - target

    hi = 2.0
    while gap(hi) < 0 and hi < 1e4:
        hi *= 2.0
    if gap(0.0) > 0 or gap(hi) < 0:
        raise InputError(
            [
                Problem(
                    "no flat tariff reaches the baseline's spend on this caseload",
                    column="contract",
                )
            ]
        )
    scale = brentq(gap, 0.0, hi, xtol=1e-10, rtol=1e-12)
    groups = sorted(set(np.asarray(caseload["payment_group"]).astype(str)))
    tariff = Tariff(a, round(j * scale, 2), trigger, round(s * scale, 2), m)
    reason = (
        f"flat tariff computed on a caseload of {n} people: the caseload's mean "
        f"{base.name} fees with outcome fees scaled by {scale:.4f} to match its expected "
        "government spend under the provider's best response"
    )
    return Contract.from_tariffs(
        "flat",
        dict.fromkeys(groups, tariff),
        description=(
            f"One tariff for every payment group at the same expected spend as {base.name}."
        ),
        minimum_hours=base.minimum_hours,
        window_months=base.window_months,
        reason=reason,
    )
