"""Speed of the distance model (issue 3 point 8).

On a 200,000-person synthetic training caseload (seeded):

- training (``DistanceModel().fit``: linear start, boosting with early stopping on a held-out
  fifth, Platt calibration, group shifts, training quantiles) <= 60 s on 2 cores;
- prediction (``predict_proba`` on 200,000 people, from the data frame: encoding, linear start,
  trees, calibration) >= 200,000 rows/s; best of three runs. The booster's own ``predict`` on
  the encoded matrix is timed alone as the reference.

Run: ``.venv/bin/python benchmarks/bench_distance.py`` (part of ``make bench``).
"""

from __future__ import annotations

import sys
import time

import numpy as np

N = 200_000
TARGET_FIT = 60.0
TARGET_ROWS_PER_S = 200_000.0


def main() -> int:
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.distance import DistanceModel

    train = make_caseload(N, rng=20261128, providers=4, observable=False)
    people = make_caseload(N, rng=20261129, providers=4, observable=False)

    t0 = time.perf_counter()
    model = DistanceModel(rng=0).fit(train, "job_outcome")
    fit_s = time.perf_counter() - t0

    predict_s = []
    for _ in range(3):
        t0 = time.perf_counter()
        p = model.predict_proba(people)[:, 1]
        predict_s.append(time.perf_counter() - t0)
    best = min(predict_s)
    rate = N / best
    Xm = model.features_.encode(people)
    booster_s = []
    for _ in range(3):
        t0 = time.perf_counter()
        model.booster_.predict(Xm, raw_score=True, num_threads=1)
        booster_s.append(time.perf_counter() - t0)
    assert np.isfinite(p).all()

    ok_fit = fit_s <= TARGET_FIT
    ok_rate = rate >= TARGET_ROWS_PER_S
    print(f"distance model, {N:,} rows, {model.best_iteration_} trees")
    print(f"{'training time':<44} {fit_s:9.2f} s       target <= {TARGET_FIT:.0f} s"
          f"        ratio {fit_s / TARGET_FIT:5.2f}  {'PASS' if ok_fit else 'FAIL'}")
    print(f"{'prediction rate (predict_proba, best of 3)':<44} {rate:9,.0f} rows/s  target >= "
          f"{TARGET_ROWS_PER_S:,.0f} rows/s  ratio {rate / TARGET_ROWS_PER_S:5.2f}  "
          f"{'PASS' if ok_rate else 'FAIL'}")
    print(f"{'reference: booster.predict alone (best of 3)':<44} "
          f"{N / min(booster_s):9,.0f} rows/s")
    return 0 if ok_fit and ok_rate else 1


if __name__ == "__main__":
    sys.exit(main())
