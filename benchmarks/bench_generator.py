"""Benchmark: generating 1,000,000 synthetic people (issue 2: <= 15 s and <= 2 GB peak memory).

Runs the generator in a fresh subprocess so that the peak resident memory it reports is the
generator's own. Prints the time, the peak memory and the ratio of each to its target.
"""

from __future__ import annotations

import json
import subprocess
import sys

TARGET_SECONDS = 15.0
TARGET_GB = 2.0
N = 1_000_000

CHILD = r"""
import json, resource, time
import numpy as np
from pbr_fairness.caseload.generator import make_caseload
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
df = make_caseload(%d, rng=1, providers=4)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_gb": peak / 2**20, "import_gb": base / 2**20,
                  "rows": len(df)}))
"""


def main() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD % N], capture_output=True, text=True, check=True
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"generate {r['rows']:,} people: {r['seconds']:.2f} s (target {TARGET_SECONDS:.0f} s, "
        f"ratio {r['seconds'] / TARGET_SECONDS:.2f})"
    )
    print(
        f"peak resident memory: {r['peak_gb']:.2f} GB including {r['import_gb']:.2f} GB of imports "
        f"(target {TARGET_GB:.0f} GB, ratio {r['peak_gb'] / TARGET_GB:.2f})"
    )


if __name__ == "__main__":
    main()
