"""Benchmark: calibrating the default caseload (issue 12: <= 60 s).

Times ``calibrate()`` from a cold start (intercepts at zero, the fitting caseload drawn anew)
for every response scenario on the default fitting caseload (400,000 people: intercepts and
contact hours, and the disability factor where a scenario needs it), and prints each time with
its ratio to the target and to one simulation of the same caseload under work_programme_2011
measured in the same run.
"""

from __future__ import annotations

import time

from pbr_fairness.caseload.calibration import calibrate
from pbr_fairness.caseload.generator import RESPONSE_SCENARIOS, historic_provider, make_caseload
from pbr_fairness.caseload.parameters import load_generator_parameters
from pbr_fairness.simulation import simulate_contract

TARGET_SECONDS = 60.0
N = 400_000


def main() -> None:
    params = load_generator_parameters()
    cl = make_caseload(N, rng=1, providers=4, observable=False)
    t = time.perf_counter()
    simulate_contract(cl, "work_programme_2011", historic_provider(params))
    one = time.perf_counter() - t
    print(f"one simulation of {N:,} people: {one:.2f} s")
    for name in RESPONSE_SCENARIOS:
        t = time.perf_counter()
        fit = calibrate(params, response=name, n=N, warm_start=False)
        s = time.perf_counter() - t
        print(
            f"calibrate {name} on {N:,} people: {s:.1f} s (target {TARGET_SECONDS:.0f} s, ratio "
            f"{s / TARGET_SECONDS:.2f}; {s / one:.1f} simulations); contact hours "
            f"{fit.contact_hours:.2f}"
        )


if __name__ == "__main__":
    main()
