"""Benchmark: the parameter-uncertainty run, 200 draws x 50,000 people (issue 12: <= 120 s).

Each draw is recalibrated (intercepts and contact hours) and simulated; the draws run on the
sweep machinery with two local worker processes. Prints the time, its ratio to the target and
to one simulation of 50,000 people measured in the same run, and the intervals.
"""

from __future__ import annotations

import time

import pandas as pd

from pbr_fairness.caseload.generator import historic_provider, make_caseload
from pbr_fairness.caseload.parameters import load_generator_parameters
from pbr_fairness.simulation import simulate_contract
from pbr_fairness.sweep.uncertainty import parameter_uncertainty

TARGET_SECONDS = 120.0
DRAWS, N, JOBS = 200, 50_000, 2


def main() -> None:
    params = load_generator_parameters()
    cl = make_caseload(N, rng=1, providers=4, observable=False)
    simulate_contract(cl, "work_programme_2011", historic_provider(params))  # warm
    t = time.perf_counter()
    simulate_contract(cl, "work_programme_2011", historic_provider(params))
    one = time.perf_counter() - t
    res = parameter_uncertainty(draws=DRAWS, n=N, jobs=JOBS)
    s = res.seconds
    print(
        f"uncertainty: {DRAWS} draws x {N:,} people on {JOBS} processes: {s:.1f} s (target "
        f"{TARGET_SECONDS:.0f} s, ratio {s / TARGET_SECONDS:.2f}); one simulation of {N:,} "
        f"people {one:.3f} s, ratio {s / one:.0f}"
    )
    doc = res.to_dict()
    print(f"draws off the fitted targets (left out of the intervals): {doc['draws_off_target']}; "
          f"failed: {doc['failed_draws']}")
    pd.set_option("display.width", 160)
    print(res.table.round(3).to_string(index=False))


if __name__ == "__main__":
    main()
