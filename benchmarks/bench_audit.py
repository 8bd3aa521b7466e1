"""Benchmark of the caseload audit (issue 6, points 6 and 8).

1. Accuracy: 100 seeded synthetic caseloads of 6 providers x 3,000 people in which one
   provider parks, one creams and four follow the planner
   (:func:`pbr_fairness.audit.make_audit_scenario`). Targets: the parking provider flagged in
   >= 90% of caseloads, neutral providers flagged (for anything) in <= 5%.
2. Scale: 500,000 people at 20 providers, the whole audit plus HTML, JSON and CSV, <= 60 s;
   the HTML report <= 10 MB.

Usage: ``python benchmarks/bench_audit.py [--caseloads 100] [--people 500000]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from pbr_fairness.audit import audit_caseload, make_audit_scenario

CHARACTERISTICS = ["sex", "age", "age_band", "disability", "ethnicity"]


def accuracy(caseloads: int, per_provider: int, **scenario: object) -> dict[str, float]:
    parked = creamed = neutral = neutral_n = 0
    started = time.perf_counter()
    for seed in range(caseloads):
        df = make_audit_scenario(
            per_provider, 6, rng=np.random.default_rng([2026, seed]), **scenario
        )
        roles = df.attrs["roles"]
        # Characteristics do not enter the parking and creaming tests; dropping them skips
        # the fairness tables and keeps the 100-caseload run short.
        df = df.drop(columns=[c for c in CHARACTERISTICS if c in df.columns])
        result = audit_caseload(df, rng=seed)
        for p in result.providers:
            role = roles[p["provider_id"]]
            if role == "parking":
                parked += p["parking"]["flag"]
            elif role == "creaming":
                creamed += p["creaming"]["flag"]
            else:
                neutral += p["flagged"]
                neutral_n += 1
    return {
        "parking": parked / caseloads,
        "creaming": creamed / caseloads,
        "neutral": neutral / max(neutral_n, 1),
        "seconds": time.perf_counter() - started,
    }


def scale(people: int, providers: int) -> dict[str, float]:
    t0 = time.perf_counter()
    df = make_audit_scenario(
        people // providers, providers, parking=("P3", "P11"), creaming=("P5",), rng=20110601
    )
    df = df.drop(columns=[c for c in df.columns if c.startswith("true_")] + ["scenario_role"])
    generated = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t1 = time.perf_counter()
        result = audit_caseload(df, rng=1)
        audited = time.perf_counter() - t1
        html_path = Path(tmp) / "report.html"
        result.to_html(html_path)
        result.to_json(Path(tmp) / "report.json")
        result.write_csv(Path(tmp) / "csv")
        total = time.perf_counter() - t1
        size = html_path.stat().st_size
    return {
        "rows": len(df),
        "generate_s": generated,
        "audit_s": audited,
        "total_s": total,
        "html_mb": size / 1e6,
        "flagged": ",".join(result.flagged),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--caseloads", type=int, default=100)
    parser.add_argument("--per-provider", type=int, default=3000)
    parser.add_argument("--people", type=int, default=500_000)
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--sensitivity", type=int, default=20,
                        help="caseloads per setting of the sensitivity runs (0 to skip)")
    args = parser.parse_args()

    s = scale(args.people, args.providers)
    print(f"scale: {s['rows']:,} rows, {args.providers} providers "
          f"(generation {s['generate_s']:.1f} s, not timed)")
    print(f"  audit + HTML + JSON + CSV: {s['total_s']:.1f} s (audit alone {s['audit_s']:.1f} s)"
          f"; target <= 60 s; ratio {s['total_s'] / 60:.2f}")
    print(f"  HTML report: {s['html_mb']:.2f} MB; target <= 10 MB; ratio {s['html_mb'] / 10:.3f}")
    print(f"  flagged: {s['flagged']} (parking P3, P11; creaming P5)")

    if args.caseloads <= 0:
        return
    a = accuracy(args.caseloads, args.per_provider)
    print(f"accuracy: {args.caseloads} caseloads of 6 x {args.per_provider:,} "
          f"({a['seconds']:.0f} s)")
    print(f"  parking provider flagged for parking: {a['parking']:.1%}; target >= 90%; "
          f"ratio {a['parking'] / 0.9:.2f}")
    print(f"  neutral providers flagged: {a['neutral']:.2%}; target <= 5%; "
          f"ratio {a['neutral'] / 0.05:.2f}")
    print(f"  creaming provider flagged for creaming: {a['creaming']:.1%}")

    if args.sensitivity:
        n = args.sensitivity
        null = accuracy(n, args.per_provider, parking=(), creaming=())
        print(f"null: {n} caseloads of 6 planner providers: providers flagged "
              f"{null['neutral']:.2%} (Holm at 5% per caseload bounds this well below 5%)")
        for fee in (3500.0, 4500.0, 6000.0):
            r = accuracy(n, args.per_provider, parking_fee=fee)
            print(f"subtler parking (flat fee {fee:,.0f} GBP): parking provider flagged "
                  f"{r['parking']:.0%}, neutral {r['neutral']:.2%}")


if __name__ == "__main__":
    main()
