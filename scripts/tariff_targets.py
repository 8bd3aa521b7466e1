"""Print the issue-5 point-6 target tables on the default synthetic caseload.

Usage::

    .venv/bin/python scripts/tariff_targets.py            # 200,000 people (a few minutes)
    .venv/bin/python scripts/tariff_targets.py --n 50000  # quicker look
    .venv/bin/python scripts/tariff_targets.py --json targets.json
    .venv/bin/python scripts/tariff_targets.py --pricing-features all   # the full model

Predictions: the pricing model (``models/pricing``, no sex or ethnicity), or with
``--pricing-features all`` the full model ``models/default`` (the opt-in, which warns), as
``docs/tariffs.md``'s results table was measured.

Both provider_knows cases ("model": the provider knows no more than the model's prediction;
"truth": it knows each person's true p0), bases distance_band (10 bands, and 20 / 50 bands and
smooth to show how much they recover) and payment_group, each against work_programme_2011 at
the baseline's spend, with the default provider; plus the frontier of the main runs and the
before/after tables.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import pandas as pd

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.tariffs import (
    TARGET_MEASURE,
    optimise_tariff,
    predicted_probability,
    tariff_robustness,
)
from pbr_fairness.tariffs.prediction import DEFAULT_MODEL_DIR, PRICING_MODEL_DIR

#: (provider_knows, basis, n_bands, reduction needed, ceiling) per run; None: no target.
Run = tuple[str, str, int, float | None, float | None]
RUNS: tuple[Run, ...] = (
    ("model", "distance_band", 10, 0.90, 0.08),
    ("model", "payment_group", 10, None, None),
    ("model", "smooth", 10, None, None),
    ("truth", "distance_band", 10, 0.80, 0.15),
    ("truth", "distance_band", 20, None, None),
    ("truth", "distance_band", 50, None, None),
    ("truth", "smooth", 10, None, None),
    ("truth", "payment_group", 10, None, None),
)


def _checks(t: dict, need: float | None, ceiling: float | None) -> dict[str, bool | None]:
    out: dict[str, bool | None] = {
        "reduction": None if need is None else t["reduction"] >= need,
        "ceiling": None
        if ceiling is None
        else t["proposed_worst_parked_share_lower_half"] <= ceiling,
        "beats_reference_parking": t.get("beats_reference_on_parking"),
        "beats_reference_equity_jobs": t.get("beats_reference_on_equity_jobs"),
        "equity_jobs_ge_baseline": t["equity_weighted_jobs_ratio"] >= 1.0,
        "additional_jobs_ge_90pc": t["additional_jobs_ratio"] >= 0.9,
        "spend_le_baseline_plus_half_pc": t["spend_ratio"] <= 1.005,
        "profit_ge_0": t["provider_profit"] >= 0,
    }
    return out


def main(argv: list[str] | None = None) -> int:  # noqa: D103
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=20110601)
    ap.add_argument("--json", default=None, help="Write every run's targets and tables here.")
    ap.add_argument("--runs", default=None, help="Comma-separated run numbers (1-based).")
    ap.add_argument("--pricing-features", choices=("lawful", "all"), default="lawful")
    args = ap.parse_args(argv)
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)
    pd.set_option("display.max_rows", 200)

    t0 = time.perf_counter()
    caseload = make_caseload(args.n, rng=args.seed, providers=4)
    model_dir = PRICING_MODEL_DIR if args.pricing_features == "lawful" else DEFAULT_MODEL_DIR
    have_model = (model_dir / "model.txt").is_file()
    predicted = predicted_probability(caseload, pricing_features=args.pricing_features)
    print(
        f"caseload: make_caseload({args.n}, rng={args.seed}, providers=4); predictions: "
        + (
            f"shipped model {model_dir.parent.name}/{model_dir.name}"
            if have_model
            else "true_p_observable (stand-in: no model)"
        )
    )
    chosen = RUNS
    if args.runs:
        chosen = tuple(RUNS[int(i) - 1] for i in args.runs.split(","))
    report = []
    for knows, basis, bands, need, ceiling in chosen:
        t = time.perf_counter()
        res = optimise_tariff(
            caseload,
            "work_programme_2011",
            basis=basis,  # type: ignore[arg-type]
            provider_knows=knows,  # type: ignore[arg-type]
            n_bands=bands,
            predicted=predicted,
            rng=args.seed,
            frontier_shares=None
            if (basis, bands) not in (("distance_band", 10), ("payment_group", 10))
            else (0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3),
        )
        secs = time.perf_counter() - t
        label = f"provider knows {knows}, basis {basis}" + (
            f" ({bands} bands)" if basis == "distance_band" else ""
        )
        tg = res.targets()
        checks = _checks(tg, need, ceiling)
        print(f"\n=== {label}  [{secs:.0f} s]")
        print(res.summary())
        print("targets:")
        for k, v in tg.items():
            print(f"  {k:<55} {v:.4f}" if isinstance(v, float) else f"  {k:<55} {v}")
        print("checks:", {k: v for k, v in checks.items() if v is not None})
        if not res.frontier.empty:
            print("frontier:")
            print(
                res.frontier[
                    [
                        "budget_share",
                        "worst_parked_share",
                        "worst_parked_share_lower_half",
                        "equity_weighted_additional_jobs",
                        "additional_jobs",
                        "caps_met",
                    ]
                ].to_string(index=False, float_format=lambda x: f"{x:.4f}")
            )
        if (basis, bands) in (("distance_band", 10), ("payment_group", 10)):
            ba = res.before_after()
            ba = ba[
                ba["measure"].isin(["parked_share", "hours_per_person"])
                | (ba["section"] == "overall")
            ]
            print("before/after:")
            print(ba.to_string(index=False, float_format=lambda x: f"{x:.4f}"))
        robustness = None
        if (basis, bands) == ("distance_band", 10):
            rob = tariff_robustness(
                caseload,
                res.proposed,
                predicted=predicted,
                replications=50,
                monte_carlo_people=20_000,
                provider_knows=knows,  # type: ignore[arg-type]
                rng=args.seed,
            )
            print(rob.summary())
            robustness = rob.to_dict()
        report.append(
            {
                "robustness": robustness,
                "provider_knows": knows,
                "basis": basis,
                "n_bands": bands if basis == "distance_band" else None,
                "seconds": secs,
                "targets": tg,
                "checks": checks,
                "headline": res.headline.to_dict(),
                "frontier": res.frontier.to_dict("records"),
                "parameters": res.parameters,
                "notes": list(res.notes),
            }
        )
        sys.stdout.flush()
    print(f"\ntotal {time.perf_counter() - t0:.0f} s; target measure: {TARGET_MEASURE}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
