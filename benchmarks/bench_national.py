"""Benchmark: the 10,000,000-person national simulation, time and peak memory.

Runs ``simulate_national`` in a fresh subprocess (so the peak resident memory,
``resource.getrusage(RUSAGE_SELF).ru_maxrss``, is that of the run alone) and prints the wall
time, the peak memory, the target (<= 4 GB) and the ratio. Also prints the Python-heap peak
seen by ``tracemalloc`` on a smaller run (numpy reports its buffers to tracemalloc), and the
time of a one-piece ``simulate_contract``-equivalent on 1,000,000 people as a reference.

Usage: ``python benchmarks/bench_national.py [--n 10000000] [--chunk-size 250000]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

TARGET_GB = 4.0

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    from pbr_fairness.simulation.national import simulate_national
    n, chunk, providers = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    res = simulate_national(n, chunk_size=chunk, providers=providers, rng=20261128)
    seconds = time.perf_counter() - t
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_gb": peak_kb / 1024**2,
                      "import_gb": base / 1024**2, "overall": res.overall,
                      "chunks": res.n_chunks}))
    """
)

TRACE = textwrap.dedent(
    """
    import json, sys, time, tracemalloc
    from pbr_fairness.simulation.national import simulate_national
    n, chunk = int(sys.argv[1]), int(sys.argv[2])
    tracemalloc.start()
    simulate_national(n, chunk_size=chunk, rng=1)
    cur, peak = tracemalloc.get_traced_memory()
    print(json.dumps({"traced_peak_gb": peak / 1024**3}))
    """
)

ONE_PIECE = textwrap.dedent(
    """
    import json, sys, time
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.contracts import load_contract
    from pbr_fairness.simulation import ProviderSettings, evaluate, prepare_population
    n = int(sys.argv[1])
    t = time.perf_counter()
    cl = make_caseload(n, rng=1, observable=False)
    c = load_contract("work_programme_2011")
    p = ProviderSettings()
    pop = prepare_population(cl, p)
    evaluate(pop, c.tariff_per_person(cl), p, minimum_hours=c.minimum_hours)
    print(json.dumps({"seconds": time.perf_counter() - t}))
    """
)


def _run(code: str, *args: object) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--chunk-size", type=int, default=250_000)
    parser.add_argument("--providers", type=int, default=1)
    args = parser.parse_args()

    ref = _run(ONE_PIECE, 1_000_000)
    print(
        f"reference: one-piece generate + prepare + evaluate, 1,000,000 people: "
        f"{ref['seconds']:.1f} s"
    )
    traced = _run(TRACE, 1_000_000, args.chunk_size)
    print(
        f"tracemalloc peak, 1,000,000 people in chunks of {args.chunk_size:,}: "
        f"{traced['traced_peak_gb']:.2f} GB"
    )
    res = _run(CHILD, args.n, args.chunk_size, args.providers)
    print(
        f"national run: {args.n:,} people, {res['chunks']} chunks of {args.chunk_size:,}, "
        f"{args.providers} provider(s)"
    )
    print(
        f"time: {res['seconds']:.1f} s ({res['seconds'] / args.n * 1e6:.2f} us per person; "
        f"{res['seconds'] / (ref['seconds'] * args.n / 1_000_000):.2f} x the one-piece rate)"
    )
    verdict = "OK" if res["peak_gb"] <= TARGET_GB else "FAIL"
    print(
        f"peak memory (ru_maxrss): {res['peak_gb']:.2f} GB (after imports "
        f"{res['import_gb']:.2f} GB); target <= {TARGET_GB:.1f} GB; "
        f"ratio {res['peak_gb'] / TARGET_GB:.2f} -> {verdict}"
    )
    o = res["overall"]
    print(
        f"job outcome rate {o['job_outcome_rate']:.4f}, parked share {o['parked_share']:.4f}, "
        f"creaming index {o['creaming_index']:.4f}"
    )


if __name__ == "__main__":
    main()
