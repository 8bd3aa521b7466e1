"""Benchmark of the audit with a cross-fitted case-mix model at scale (issue 16).

500,000 people at 20 providers (two parkers, one creamer; synthetic, with the truth columns
dropped so that the caseload looks real). Timed in the same run:

- the reference: the audit with a given column of expected chances (``expected_p``);
- the audit whose expected chances come from a case-mix model fitted on the caseload itself,
  5-fold cross-fitted (``expected_from="cross-fit"``, the default without ``expected_p``).

Target: the cross-fitted audit <= 90 s on 2 cores. Prints both times, the ratio of the
cross-fitted audit to the target and to the reference, the case-mix model's AUC and
calibration, and the providers flagged by each.

Usage: ``python benchmarks/bench_audit_casemix.py [--people 500000] [--providers 20]``.
"""

from __future__ import annotations

import argparse
import time

from pbr_fairness.audit import audit_caseload, make_audit_scenario

TARGET_S = 90.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--providers", type=int, default=20)
    args = parser.parse_args()
    t0 = time.perf_counter()
    df = make_audit_scenario(args.people // args.providers, args.providers,
                             parking=("P3", "P11"), creaming=("P5",), rng=20110601)
    df = df.drop(columns=[c for c in df.columns if c.startswith("true_")] + ["scenario_role"])
    print(f"{len(df):,} rows, {args.providers} providers (generation"
          f" {time.perf_counter() - t0:.1f} s, not timed)")

    t1 = time.perf_counter()
    given = audit_caseload(df, expected_column="expected_p", rng=1)
    reference = time.perf_counter() - t1
    print(f"reference: audit with a given expected_p column: {reference:.1f} s;"
          f" flagged {', '.join(given.flagged) or 'none'}")

    t2 = time.perf_counter()
    fitted = audit_caseload(df.drop(columns=["expected_p"]), expected_from="cross-fit", rng=1)
    cross = time.perf_counter() - t2
    cm = fitted.expected["case_mix"]
    print(f"audit with a cross-fitted case-mix model ({cm['folds']}-fold, {cm['learner']},"
          f" {len(cm['features'])} characteristics): {cross:.1f} s; target <= {TARGET_S:.0f} s;"
          f" ratio to target {cross / TARGET_S:.2f}; ratio to the reference"
          f" {cross / reference:.2f}")
    print(f"  case-mix AUC {cm['auc']:.3f}, calibration intercept"
          f" {cm['calibration_intercept']:+.4f}, slope {cm['calibration_slope']:.3f};"
          f" flagged {', '.join(fitted.flagged) or 'none'} (parking P3, P11; creaming P5)")


if __name__ == "__main__":
    main()
