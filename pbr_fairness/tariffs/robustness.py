"""How much of a proposed tariff's gain survives what the optimiser did not see.

Three stresses (issue 5, point 5), each comparing the proposal with the baseline on the same
people:

- **fees on predicted distance**: the fees of a band or smooth tariff are paid on the model's
  prediction while the true probabilities drive outcomes (always so in the simulator); give
  ``predicted`` from another model to see the effect of its errors;
- **provider information noise**: the provider's estimate of each person's ``p0`` carries
  logit noise of standard deviation ``sigma`` (levels ``noise_levels``), so it parks people
  it misjudges;
- **Monte Carlo**: realised job outcomes, exits and payments month by month
  (:func:`pbr_fairness.simulation.simulate_months`), so realised spend and additional jobs
  carry sampling uncertainty; reports the 95% range and how often the proposal's realised
  spend exceeds the budget.

``gain_survived`` is the gain (baseline minus proposal in the worst parked share of the lower
half; proposal minus baseline in equity-weighted additional jobs) under the stress, as a share
of the gain in the setting the tariff was optimised for (noise 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pbr_fairness.contracts import Contract, load_contract
from pbr_fairness.engine.prediction import ProviderKnows, needs_prediction
from pbr_fairness.simulation import (
    PlannerSettings,
    ProviderSettings,
    evaluate,
    prepare_population,
    simulate_months,
)
from pbr_fairness.tariffs.measures import TARGET_MEASURE, tariff_measures
from pbr_fairness.tariffs.prediction import predicted_probability

__all__ = ["NOISE_LEVELS", "TariffRobustness", "tariff_robustness"]

#: Standard deviations of the provider's logit noise tried by default.
NOISE_LEVELS: tuple[float, ...] = (0.0, 0.25, 0.5, 1.0)

_COLUMNS = (
    "information_noise",
    "contract",
    TARGET_MEASURE,
    "worst_parked_share",
    "equity_weighted_additional_jobs",
    "additional_jobs",
    "government_spend",
    "provider_profit",
)


@dataclass(frozen=True, eq=False)
class TariffRobustness:
    """Robustness of a proposal.

    Attributes
    ----------
    noise : pandas.DataFrame
        One row per scenario (what the provider knows: ``model``, or ``truth`` with each noise
        level) and contract (``baseline``/``proposed``) with the headline measures; plus
        ``gain_parking``, ``gain_equity_jobs`` and their ``*_survived`` share of the gain in
        the scenario the tariff was optimised for (``optimised_for``) on ``proposed`` rows.
    monte_carlo : pandas.DataFrame or None
        Realised additional jobs and spend per contract: mean, 2.5% and 97.5% points, and
        ``p_over_budget`` (share of replications with realised spend above ``budget``).
    budget : float
    """

    noise: pd.DataFrame
    monte_carlo: pd.DataFrame | None
    budget: float

    def to_frame(self) -> pd.DataFrame:
        """Return the noise table (tidy enough to plot)."""
        return self.noise.copy()

    def summary(self) -> str:
        """Return a text summary of how much of the gain survives."""
        p = self.noise[self.noise["contract"] == "proposed"]
        lines = ["Robustness of the proposal (gain survived vs. noise 0):"]
        for _, r in p.iterrows():
            lines.append(
                f"  provider knows {r['scenario']}: worst parked (lower half) "
                f"{r[TARGET_MEASURE]:.3f}, parking gain survived {r['gain_parking_survived']:.0%}, "
                f"equity-weighted jobs gain survived {r['gain_equity_jobs_survived']:.0%}"
            )
        if self.monte_carlo is not None:
            for _, r in self.monte_carlo.iterrows():
                lines.append(
                    f"  Monte Carlo {r['contract']}: additional jobs "
                    f"{r['additional_jobs_mean']:.1f} "
                    f"[{r['additional_jobs_lower']:.1f}, {r['additional_jobs_upper']:.1f}], spend "
                    f"over budget in {r['p_over_budget']:.0%} of replications"
                )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""

        def rec(df: pd.DataFrame | None) -> list[dict[str, Any]] | None:
            if df is None:
                return None
            return [
                {
                    k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                    for k, v in r.items()
                }
                for r in df.to_dict("records")
            ]

        return {
            "budget": self.budget,
            "noise": rec(self.noise),
            "monte_carlo": rec(self.monte_carlo),
        }


def tariff_robustness(
    caseload: pd.DataFrame,
    proposed: Contract | str,
    baseline: Contract | str = "work_programme_2011",
    provider: ProviderSettings | None = None,
    *,
    predicted: Any = None,
    budget: float | None = None,
    noise_levels: Sequence[float] = NOISE_LEVELS,
    replications: int = 50,
    monte_carlo_people: int | None = 20_000,
    provider_knows: ProviderKnows = "truth",
    planner: PlannerSettings | None = None,
    rng: int = 0,
) -> TariffRobustness:
    """Evaluate a proposal against the baseline under information noise and in Monte Carlo.

    Parameters
    ----------
    caseload : pandas.DataFrame
        A caseload with the truth columns.
    proposed, baseline : Contract or str
        The contracts (preset names or YAML paths allowed).
    provider : ProviderSettings, optional
        Its ``information_noise`` is replaced by each of ``noise_levels``.
    predicted : array-like, optional
        Predicted probabilities the fees are paid on (default: the shipped model or the
        stand-in, :func:`~pbr_fairness.tariffs.predicted_probability`).
    budget : float, optional
        Budget for ``p_over_budget`` (default the baseline's expected spend at noise 0).
    noise_levels : sequence of float
        Standard deviations of the provider's logit noise.
    replications : int, default 50
        Monte Carlo replications (0: no Monte Carlo).
    monte_carlo_people : int or None, default 20000
        Monte Carlo on a random subsample of this many people (``None``: everyone); spend
        and jobs are scaled up to the whole caseload.
    provider_knows : {"truth", "model"}, default "truth"
        What the provider knew when the tariff was optimised: the scenario whose gain is
        100%. The table always has the ``model`` scenario (when there are predictions) and
        ``truth`` at each noise level (the provider knowing more than the model).
    planner : PlannerSettings, optional
    rng : int, default 0
        Seed of the noise and of the Monte Carlo draws (the same draws for both contracts).

    Returns
    -------
    TariffRobustness
    """
    provider = provider or ProviderSettings()
    planner = planner or PlannerSettings()
    base = load_contract(baseline) if isinstance(baseline, str) else baseline
    prop = load_contract(proposed) if isinstance(proposed, str) else proposed
    q = None
    if predicted is not None:
        q = np.asarray(predicted, dtype=float)
    elif needs_prediction([base, prop]):
        q = predicted_probability(caseload)
    tariffs = {
        "baseline": (base, base.tariff_per_person(caseload, q)),
        "proposed": (prop, prop.tariff_per_person(caseload, q)),
    }
    knows_setting = provider_knows
    scenarios: list[tuple[str, ProviderKnows, float]] = []
    if q is not None:
        scenarios.append(("model", "model", 0.0))
    scenarios += [(f"truth, noise {sg:g}", "truth", float(sg)) for sg in noise_levels]
    ref_name = (
        "model"
        if knows_setting == "model" and q is not None
        else f"truth, noise {provider.information_noise:g}"
    )
    if ref_name not in [sc[0] for sc in scenarios]:
        scenarios.append((ref_name, "truth", float(provider.information_noise)))
    rows = []
    for label, knows, sigma in scenarios:
        settings = provider.replace(information_noise=sigma)
        pop = prepare_population(
            caseload, settings, predicted=q, provider_knows=knows, planner=planner, rng=rng
        )
        for name, (con, tariff) in tariffs.items():
            ev = evaluate(
                pop,
                tariff,
                settings,
                minimum_hours=con.minimum_hours,
                window_months=con.window_months,
            )
            m = tariff_measures(pop, ev, social_value_per_job=planner.social_value_per_job)
            rows.append(
                {
                    "scenario": label,
                    "provider_knows": knows,
                    "information_noise": sigma,
                    "contract": name,
                    **m,
                }
            )
    table = pd.DataFrame(rows)
    keep = ["scenario", "provider_knows"] + [c for c in _COLUMNS if c in table.columns]
    keep += [c for c in table.columns if c not in keep]
    table = table[keep]
    b = table[table["contract"] == "baseline"].set_index("scenario")
    p = table[table["contract"] == "proposed"].set_index("scenario")
    gain_park = b[TARGET_MEASURE] - p[TARGET_MEASURE]
    gain_eq = p["equity_weighted_additional_jobs"] - b["equity_weighted_additional_jobs"]
    for col in (
        "gain_parking",
        "gain_equity_jobs",
        "gain_parking_survived",
        "gain_equity_jobs_survived",
    ):
        table[col] = np.nan
    is_p = table["contract"] == "proposed"
    sc = table.loc[is_p, "scenario"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table.loc[is_p, "gain_parking"] = gain_park.loc[sc].to_numpy()
        table.loc[is_p, "gain_equity_jobs"] = gain_eq.loc[sc].to_numpy()
        table.loc[is_p, "gain_parking_survived"] = (
            gain_park.loc[sc] / gain_park.loc[ref_name]
        ).to_numpy()
        table.loc[is_p, "gain_equity_jobs_survived"] = (
            gain_eq.loc[sc] / gain_eq.loc[ref_name]
        ).to_numpy()
    table["optimised_for"] = table["scenario"] == ref_name
    if budget is None:
        budget = float(b.loc[ref_name, "government_spend"])

    mc = None
    if replications and replications >= 2:
        mc = _monte_carlo(
            caseload,
            tariffs,
            provider,
            q,
            planner,
            rng,
            replications,
            monte_carlo_people,
            budget,
            knows_setting if q is not None else "truth",
        )
    return TariffRobustness(table, mc, float(budget))


def _monte_carlo(
    caseload: pd.DataFrame,
    tariffs: dict[str, tuple[Contract, dict[str, np.ndarray]]],
    provider: ProviderSettings,
    q: np.ndarray | None,
    planner: PlannerSettings,
    rng: int,
    replications: int,
    people: int | None,
    budget: float,
    provider_knows: ProviderKnows,
) -> pd.DataFrame:
    n = len(caseload)
    idx = np.arange(n)
    if people is not None and people < n:
        idx = np.sort(np.random.default_rng(rng).choice(n, people, replace=False))
    weight = n / idx.size
    pop_all = prepare_population(
        caseload, provider, predicted=q, provider_knows=provider_knows, planner=planner, rng=rng
    )
    rows = []
    for name, (con, tariff) in tariffs.items():
        # hours from the whole caseload (capacity is shared), draws on the subsample
        ev_all = evaluate(
            pop_all,
            tariff,
            provider,
            minimum_hours=con.minimum_hours,
            window_months=con.window_months,
        )
        pop = pop_all.take(idx)
        ev = ev_all.take(idx)
        draws = simulate_months(
            pop,
            ev,
            {k: v[idx] for k, v in tariff.items()},
            window_months=con.window_months,
            replications=int(replications),
            rng=np.random.default_rng(rng),
            breakdowns={"overall": (None, 1, pop.rank_p0)},
            provider_discount_rate=provider.discount_rate,
        )
        add = draws.measures["overall"]["additional_jobs"][:, 0] * weight
        spend = draws.measures["overall"]["government_spend"][:, 0] * weight
        rows.append(
            {
                "contract": name,
                "replications": int(replications),
                "people": int(idx.size),
                "additional_jobs_mean": float(add.mean()),
                "additional_jobs_lower": float(np.percentile(add, 2.5)),
                "additional_jobs_upper": float(np.percentile(add, 97.5)),
                "government_spend_mean": float(spend.mean()),
                "government_spend_lower": float(np.percentile(spend, 2.5)),
                "government_spend_upper": float(np.percentile(spend, 97.5)),
                "p_over_budget": float(np.mean(spend > budget)),
            }
        )
    return pd.DataFrame(rows)
