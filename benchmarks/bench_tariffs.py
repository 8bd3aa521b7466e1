"""Benchmark: the fairer-tariff optimiser on 200,000 and 50,000 people.

Times one full ``optimise_tariff`` call as the app and the command line make it: basis
``distance_band`` (10 bands), the provider knowing the model's prediction, with the reference
tariff search, the frontier (7 budgets, 70%-130%) and the two reporting simulations (baseline
and proposal). Targets (issue 5, point 8): 200,000 people <= 60 s; 50,000 <= 10 s. Also prints,
measured in the same run, the time of one exact provider best response (the simulator's fast
``evaluate``) on the same people, and how many such evaluations the optimisation is worth.

The caseload is generated before the clock starts (``make_caseload(n, rng=20110601,
providers=4)``); predictions are the shipped model's, or the ``true_p_observable`` stand-in
when no model is prepared.

Usage: ``python benchmarks/bench_tariffs.py [--sizes 200000,50000]``.
"""

from __future__ import annotations

import argparse
import time

TARGETS = {200_000: 60.0, 50_000: 10.0}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="200000,50000")
    args = ap.parse_args()

    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.contracts import load_contract
    from pbr_fairness.simulation import ProviderSettings, evaluate, prepare_population
    from pbr_fairness.tariffs import optimise_tariff, predicted_probability

    for n in (int(s) for s in args.sizes.split(",")):
        caseload = make_caseload(n, rng=20110601, providers=4)
        q = predicted_probability(caseload)
        t = time.perf_counter()
        res = optimise_tariff(
            caseload,
            "work_programme_2011",
            basis="distance_band",
            provider_knows="model",
            predicted=q,
            rng=20110601,
        )
        seconds = time.perf_counter() - t
        # reference measured in the same run: one exact best response of the provider
        provider = ProviderSettings()
        pop = prepare_population(caseload, provider, predicted=q, provider_knows="model")
        tariff = load_contract("work_programme_2011").tariff_per_person(caseload)
        t = time.perf_counter()
        reps = 5
        for _ in range(reps):
            evaluate(pop, tariff, provider)
        one = (time.perf_counter() - t) / reps
        target = TARGETS.get(n, 60.0 * n / 200_000)
        print(
            f"optimise_tariff n={n:>7,}: {seconds:6.1f} s  target <= {target:.0f} s  "
            f"ratio {seconds / target:.2f}  (one provider best response {one * 1000:.0f} ms: "
            f"the optimisation costs {seconds / one:,.0f} of them; worst parked share in the "
            f"lower half {res.baseline_measures['worst_parked_share_lower_half']:.3f} -> "
            f"{res.proposed_measures['worst_parked_share_lower_half']:.3f})"
        )


if __name__ == "__main__":
    main()
