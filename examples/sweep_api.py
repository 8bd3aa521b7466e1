"""Run the small example sweep from Python and compare contracts across seeds.

    python examples/sweep_api.py [OUT_DIR]

Runs ``examples/sweep_small.yaml`` on two local processes (or resumes it if OUT_DIR already
holds its results), then prints the mean parked share of ESA claimants (PG6, PG7) and its 95%
interval across seeds for each base contract and level of provider information.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from pbr_fairness.sweep import load_spec, run_sweep

HERE = Path(__file__).resolve().parent


def main(out_dir: Path) -> None:
    spec = load_spec(HERE / "sweep_small.yaml")
    run = run_sweep(spec, out_dir / "results.parquet", jobs=2, progress=False)
    print(run.summary())
    agg = run.aggregated
    esa = agg[
        (agg["breakdown"] == "payment_group")
        & agg["group"].isin(["PG6", "PG7"])
        & (agg["measure"] == "parked_share")
    ]
    table = (
        esa.groupby(["contract", "provider.information_noise", "group"])[
            ["mean", "ci_lower", "ci_upper"]
        ]
        .mean()
        .round(3)
    )
    print("\nParked share of ESA claimants (mean over the fee draws; 95% interval over seeds):")
    print(table.to_string())


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
