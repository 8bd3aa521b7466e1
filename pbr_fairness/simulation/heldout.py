"""Held-out validation: published figures the calibration never sees, against the model.

The figures and their sources are in ``pbr_fairness/data/heldout.yaml``; the fitting code
(:mod:`pbr_fairness.caseload.calibration`) never reads that file (a test fails if it does).
:func:`heldout_table` generates a caseload from the calibrated generator, simulates the
historic regime with the engine (the historic provider of the parameter file under
``work_programme_2011``) and computes each figure the way its source defines it. Misses are
reported, not hidden: they tell users how far to trust the model.

Run ``python -m pbr_fairness.simulation.heldout [--response NAME]`` to print the table.
"""

from __future__ import annotations

import argparse
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml
from numpy.typing import NDArray
from scipy.optimize import brentq

from pbr_fairness.caseload.generator import (
    RESPONSE_SCENARIOS,
    historic_provider,
    make_caseload,
    with_response,
)
from pbr_fairness.caseload.parameters import load_generator_parameters
from pbr_fairness.contracts import load_contract
from pbr_fairness.engine.curve import response_from_gain
from pbr_fairness.engine.evaluation import Evaluation, evaluate
from pbr_fairness.engine.information import perceived_chances
from pbr_fairness.engine.population import Population
from pbr_fairness.engine.value import GREEN_BOOK_RATE
from pbr_fairness.maths import logit
from pbr_fairness.simulation.population import prepare_population

__all__ = ["ESA_GROUPS", "HELDOUT_FILE", "heldout_figures", "heldout_table"]

HELDOUT_FILE = "heldout.yaml"
ESA_GROUPS: tuple[str, ...] = ("PG5", "PG6", "PG7")
JSA_GROUPS: tuple[str, ...] = ("PG1", "PG2", "PG3", "PG4", "PG9")


@lru_cache(maxsize=1)
def _figures_text() -> str:
    return (resources.files("pbr_fairness") / "data" / HELDOUT_FILE).read_text("utf-8")


def heldout_figures() -> dict[str, dict[str, Any]]:
    """Return the held-out figures (``figures`` of ``pbr_fairness/data/heldout.yaml``)."""
    figures: dict[str, dict[str, Any]] = yaml.safe_load(_figures_text())["figures"]
    return figures


def _plan_at_bid(
    pop: Population,
    tariff: dict[str, NDArray[np.float64]],
    provider: Any,
    groups: NDArray[np.object_],
    figures: dict[str, dict[str, Any]],
) -> Evaluation:
    """Plan the provider's hours as if it believed the bidders' expected outcome rates."""
    delta = logit(pop.pmax) - logit(pop.p0)
    lp0 = logit(pop.p0)
    shifts = np.zeros(pop.n)

    def plan(shift: NDArray[np.float64]) -> tuple[Evaluation, NDArray[np.float64]]:
        perceived_p0, perceived_gain = perceived_chances(lp0 + shift, delta)
        believed = Population(
            **{
                **pop.__dict__,
                "perceived_p0": perceived_p0,
                "perceived_gain": np.maximum(perceived_gain, 0.0),
                "cache": {},
            }
        )
        ev = evaluate(believed, tariff, provider, with_planner=False)
        # the outcome rate the provider expects from its own plan
        expected = response_from_gain(
            ev.hours, perceived_p0, np.maximum(perceived_gain, 0.0), pop.k
        )
        return ev, expected

    for key, group, members in (
        ("bid_rate_jsa25", "PG2", JSA_GROUPS),
        ("bid_rate_esa_new", "PG6", ESA_GROUPS),
    ):
        target = float(figures[key]["value"])
        sel = groups == group

        def gap(s: float, sel: NDArray[np.bool_] = sel, target: float = target) -> float:
            trial = shifts.copy()
            trial[sel] = s
            return float(plan(trial)[1][sel].mean()) - target

        s_g = float(brentq(gap, -3.0, 6.0, xtol=1e-4))
        shifts[np.isin(groups, members)] = s_g
    return plan(shifts)[0]


def heldout_table(
    params: dict[str, Any] | None = None,
    *,
    response: str | None = None,
    n: int = 200_000,
    seed: int = 1,
) -> pd.DataFrame:
    """Every held-out figure against what the calibrated model computes.

    Parameters
    ----------
    params : dict, optional
        Generator parameters (default: the shipped, calibrated file).
    response : str, optional
        The response scenario (default: the file's).
    n : int, default 200000
        Size of the check caseload.
    seed : int, default 1
        Its seed (not the fitting caseload's).

    Returns
    -------
    pandas.DataFrame
        ``figure, label, published, model, error, within, independent, source``: ``error`` is
        model minus published (for a range, the distance to it), ``within`` whether the model
        meets it, ``independent`` whether no parameter was ever chosen with it in mind.
    """
    params = with_response(params or load_generator_parameters(), response)
    figures = heldout_figures()
    caseload = make_caseload(n, rng=seed, providers=4, params=params, observable=False)
    provider = historic_provider(params)
    contract = load_contract(params["historic_regime"]["tariff"])
    tariff = contract.tariff_per_person(caseload)
    pop = prepare_population(caseload, provider)
    ev = evaluate(pop, tariff, provider, window_months=contract.window_months)
    groups = np.asarray(caseload["payment_group"].astype(str))
    esa, pg2, pg6 = np.isin(groups, ESA_GROUPS), groups == "PG2", groups == "PG6"
    bid = _plan_at_bid(pop, tariff, provider, groups, figures)
    five = np.asarray(tariff["M"]) >= 5
    model = {
        "spend_per_esa_at_bid": float(provider.cost_per_person(bid.hours)[esa].mean()),
        "five_sustainment_share": float(
            (ev.p * (1 - pop.h) ** 5)[five].sum() / ev.p[five].sum()
        ),
        "government_spend_per_esa": float(ev.payment[esa].mean()),
        "esa_without_outcome": float(1 - ev.p[esa].mean()),
        "no_support_pg2": float(pop.p0[pg2].mean()),
        "no_support_pg6": float(pop.p0[pg6].mean()),
        "deadweight_share": ev.overall["deadweight_share"],
        "provider_margin": ev.overall["provider_margin"],
    }
    rows = []
    for key, m in model.items():
        fig = figures[key]
        published = fig["value"]
        compare = fig.get("compare", "near")
        if compare == "range":
            lo, hi = (float(x) for x in published)
            error = 0.0 if lo <= m <= hi else (m - lo if m < lo else m - hi)
            within = lo <= m <= hi
            shown: Any = f"{lo:g}-{hi:g}"
        else:
            error = m - float(published)
            shown = float(published)
            if compare == "at_least":
                within = m >= float(published)
            elif compare == "at_most":
                within = m <= float(published)
            else:
                within = abs(error) <= 0.1 * abs(float(published))
        rows.append(
            {
                "figure": key,
                "label": fig["label"],
                "published": shown,
                "model": m,
                "error": error,
                "within": bool(within),
                "independent": bool(fig.get("independent", True)),
                "source": fig["source"],
            }
        )
    out = pd.DataFrame(rows)
    out.attrs["green_book_rate"] = GREEN_BOOK_RATE
    out.attrs["response"] = params["response"]["scenario"]
    return out


def main(argv: list[str] | None = None) -> None:
    """Print the held-out table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--response", choices=RESPONSE_SCENARIOS)
    parser.add_argument("--n", type=int, default=200_000)
    args = parser.parse_args(argv)
    table = heldout_table(response=args.response, n=args.n)
    pd.set_option("display.width", 200)
    print(table.drop(columns=["source"]).round(4).to_string(index=False))


if __name__ == "__main__":  # pragma: no cover
    main()
