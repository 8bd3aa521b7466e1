"""Responsiveness of the Streamlit app (issue 7 point 8), measured with Streamlit's AppTest.

On a 50,000-person default caseload:

- first page load (a fresh process with Streamlit loaded, as in a started server, and cold
  caches: the app's own imports, the router and the Home page) <= 5 s; the contract
  designer's first load (generating the caseload and simulating) is also printed;
- the designer's re-run after one fee change with a warm cache <= 1 s (the median over
  several different fees, each a cache miss for the simulation), and the page's one
  library call (``simulate_contract`` on the same caseload) timed alone as the reference.

Run: ``.venv/bin/python benchmarks/bench_app.py`` (part of ``make bench``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

N_PEOPLE = 50_000
os.environ["PBR_FAIRNESS_APP_CASELOAD_N"] = str(N_PEOPLE)
ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app" / "streamlit_app.py")
TARGET_FIRST_LOAD = 5.0
TARGET_RERUN = 1.0
EDITOR_KEY = "tariffs-work_programme_2011"


def _line(name: str, measured: float, target: float | None) -> None:
    if target is None:
        print(f"{name:<58} {measured:7.2f} s")
    else:
        ok = "PASS" if measured <= target else "FAIL"
        print(f"{name:<58} {measured:7.2f} s  target <= {target:.1f} s  ratio "
              f"{measured / target:5.2f}  {ok}")


def main() -> int:
    t0 = time.perf_counter()
    from streamlit.testing.v1 import AppTest  # the test harness (imports streamlit itself)

    harness = time.perf_counter() - t0
    t0 = time.perf_counter()
    at = AppTest.from_file(APP, default_timeout=600)
    at.run()
    first_load = time.perf_counter() - t0
    assert not at.exception, at.exception

    t = time.perf_counter()
    at.switch_page("views/contract_designer.py").run()
    designer_first = time.perf_counter() - t
    assert not at.exception and not at.error, [e.value for e in at.error]

    fees = at.data_editor[0].value.set_index("tariff")
    row = list(fees.index).index("PG7")
    base_fee = float(fees.loc["PG7", "job_outcome_fee"])
    times = []
    for i in range(1, 6):
        at.session_state[EDITOR_KEY] = {
            "edited_rows": {row: {"job_outcome_fee": base_fee + 250.0 * i}},
            "added_rows": [],
            "deleted_rows": [],
        }
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
        assert not at.exception and not at.error, [e.value for e in at.error]
    rerun = statistics.median(times)

    # the page's one library call alone, on the same caseload
    sys.path.insert(0, str(ROOT / "app"))
    from pbr_fairness.caseload.generator import make_caseload
    from pbr_fairness.contracts import load_contract
    from pbr_fairness.simulation import ProviderSettings, simulate_contract

    caseload = make_caseload(N_PEOPLE, rng=20110601, providers=4)
    contract = load_contract("work_programme_2011")
    calls = []
    for _ in range(3):
        t = time.perf_counter()
        simulate_contract(caseload, contract, ProviderSettings(), rng=20110601)
        calls.append(time.perf_counter() - t)

    print(f"pbr-fairness app responsiveness on a {N_PEOPLE:,}-person caseload")
    _line("first page load (fresh process, Home; streamlit loaded)", first_load, TARGET_FIRST_LOAD)
    _line("  (importing streamlit and the AppTest harness before it)", harness, None)
    _line("designer first load (generate caseload + simulate)", designer_first, None)
    _line("designer re-run after one fee change (warm cache, median)", rerun, TARGET_RERUN)
    print(f"{'  re-runs':<58} " + ", ".join(f"{x:.2f}" for x in times))
    _line("reference: simulate_contract alone (median of 3)", statistics.median(calls), None)
    ok = first_load <= TARGET_FIRST_LOAD and rerun <= TARGET_RERUN
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
