"""How long the contract designer takes to show its results, on a cold and on a warm server.

Runs the app's router in process with Streamlit's AppTest on the real default data
(``make prepare``: the 200,000-person caseload, the model and the prepared results), so it
measures the server's work (imports, reading the prepared result or simulating, building the
page), not the browser's drawing. Three measurements, each in a fresh Python process for the
cold ones:

- cold, prepared: a new server's first designer run, with ``data/prepared/`` in place;
- cold, not prepared: the same with the prepared results hidden (the simulation runs);
- warm: a second session on the same server.

Run with ``python benchmarks/bench_app_first_paint.py`` (``make bench`` runs it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app" / "streamlit_app.py"
PREPARED = ROOT / "data" / "prepared"

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=600)
at.switch_page("views/contract_designer.py").run()
cold = time.perf_counter() - t0
assert not at.exception, [e.value for e in at.exception]
assert len(at.metric) == 5
t1 = time.perf_counter()
again = AppTest.from_file(sys.argv[1], default_timeout=600)
again.switch_page("views/contract_designer.py").run()
warm = time.perf_counter() - t1
print(json.dumps({"cold": cold, "warm": warm}))
"""


def _run() -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PBR_FAIRNESS_APP_")}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(APP)],
        cwd=ROOT, env=env, capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    """Print the three timings (seconds)."""
    if not (ROOT / "data" / "synthetic" / "default_caseload.parquet").is_file():
        print("needs the default caseload: run make prepare")
        return 0
    prepared = _run()
    hidden = None
    if PREPARED.is_dir():
        with tempfile.TemporaryDirectory() as tmp:
            keep = Path(tmp) / "prepared"
            shutil.move(str(PREPARED), keep)
            try:
                hidden = _run()
            finally:
                shutil.move(str(keep), PREPARED)
    print(f"designer, cold server, prepared results: {prepared['cold']:5.1f} s")
    if hidden is not None:
        print(f"designer, cold server, not prepared:     {hidden['cold']:5.1f} s")
    print(f"designer, warm server (second session):  {prepared['warm']:5.1f} s")
    print(f"(cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
