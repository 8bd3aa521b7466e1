"""Benchmark: reading and validating a 1,000,000-row caseload CSV, clean and with bad rows.

The issue asks that a large bad file stays fast (vectorised checks, capped messages); the
target here is ours: read + validate + convert 1,000,000 rows in <= 20 s and <= 2 GB peak
memory. The file is made from a 10,000-person synthetic caseload repeated 100 times with
fresh person ids, so its values are realistic; the bad variant has a wrong type in 1 row in
3 (age), an unknown category in 1 in 7 (sex) and a duplicate person_id in 1 in 5.
Each case runs in a fresh subprocess so that its peak resident memory is its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET_SECONDS = 20.0
TARGET_GB = 2.0
N = 1_000_000

MAKE = r"""
import sys
import numpy as np, pandas as pd
from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.caseload.io import write_caseload
base = make_caseload(10_000, rng=1, providers=4)
big = pd.concat([base] * (%d // len(base)), ignore_index=True)
big["person_id"] = np.char.add("C", np.arange(len(big)).astype(str))
write_caseload(big, sys.argv[1])
raw = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
raw.loc[::3, "age"] = "abc"
raw.loc[::7, "sex"] = "Q"
raw.loc[::5, "person_id"] = "dup"
raw.to_csv(sys.argv[2], index=False)
"""

CHILD = r"""
import json, resource, sys, time
from pbr_fairness.caseload.io import read_caseload
from pbr_fairness.errors import InputError
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
try:
    frame = read_caseload(sys.argv[1])
    rows, problems = len(frame), 0
except InputError as exc:
    rows, problems = None, len(exc.problems)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_gb": peak / 2**20, "import_gb": base / 2**20,
                  "rows": rows, "problems": problems}))
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        good, bad = Path(tmp) / "good.csv", Path(tmp) / "bad.csv"
        subprocess.run([sys.executable, "-c", MAKE % N, good, bad], check=True)
        size_mb = good.stat().st_size / 2**20
        for label, path in (("clean", good), ("bad", bad)):
            out = subprocess.run(
                [sys.executable, "-c", CHILD, path], capture_output=True, text=True, check=True
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            what = f"{r['rows']:,} rows typed" if r["rows"] else f"{r['problems']} messages kept"
            print(
                f"read + validate {N:,} rows ({size_mb:.0f} MB CSV, {label}: {what}): "
                f"{r['seconds']:.2f} s (target {TARGET_SECONDS:.0f} s, "
                f"ratio {r['seconds'] / TARGET_SECONDS:.2f})"
            )
            print(
                f"  peak resident memory: {r['peak_gb']:.2f} GB including "
                f"{r['import_gb']:.2f} GB of imports "
                f"(target {TARGET_GB:.0f} GB, ratio {r['peak_gb'] / TARGET_GB:.2f})"
            )


if __name__ == "__main__":
    main()
