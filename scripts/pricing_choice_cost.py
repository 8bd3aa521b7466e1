"""What pricing tariffs without sex and ethnicity costs in parking, on the default caseload.

Usage::

    .venv/bin/python scripts/pricing_choice_cost.py             # 200,000 people (a few minutes)
    .venv/bin/python scripts/pricing_choice_cost.py --n 50000   # quicker look
    .venv/bin/python scripts/pricing_choice_cost.py --json pricing_cost.json

For each of ``provider_knows`` model and truth, :func:`pbr_fairness.tariffs.pricing.
pricing_choice_cost` runs ``optimise_tariff`` twice on ``make_caseload(n, rng=20110601,
providers=4)`` (baseline ``work_programme_2011`` at its own spend, basis ``distance_band``,
10 bands, default provider and constraints, seed 20110601): once priced on the pricing model
(``models/pricing``: no sex, no ethnicity), once on the full model (``models/default``). It
prints the worst parked share of the lower half, equity-weighted additional jobs, additional
jobs and spend of each, the difference, the parked shares by sex and ethnicity, and the two
models' accuracy from their cards. The full-model runs are the opt-in; their warning is
expected here and is shown once.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

from pbr_fairness.caseload.generator import make_caseload
from pbr_fairness.distance import DEFAULT_MODEL_DIR, PRICING_MODEL_DIR
from pbr_fairness.engine.prediction import ProviderKnows
from pbr_fairness.tariffs.prediction import PricingFeaturesWarning
from pbr_fairness.tariffs.pricing import pricing_choice_cost

CASES: tuple[ProviderKnows, ...] = ("model", "truth")


def _accuracy(directory: Path) -> dict[str, Any]:
    card = json.loads((directory / "model_card.json").read_text(encoding="utf-8"))
    rows = {r["predictor"]: r for r in card["accuracy"]["overall"]}
    return {
        "features": card["features"]["names"],
        "auc": rows["model"]["auc"],
        "brier": rows["model"]["brier"],
        "ece": rows["model"]["ece"],
        "oracle_auc": rows["oracle"]["auc"],
        "oracle_brier": rows["oracle"]["brier"],
        "n_test": card["training"].get("n_test"),
    }


def main(argv: list[str] | None = None) -> int:  # noqa: D103
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=20110601)
    ap.add_argument("--json", default=None, help="Write both cases' tables here.")
    args = ap.parse_args(argv)

    caseload = make_caseload(args.n, rng=args.seed, providers=4)
    print(f"caseload: make_caseload({args.n}, rng={args.seed}, providers=4)")
    accuracy = {"lawful": _accuracy(PRICING_MODEL_DIR), "all": _accuracy(DEFAULT_MODEL_DIR)}
    print("\n| model | inputs left out | AUC | Brier | ECE | oracle AUC | oracle Brier |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, label, directory in (
        ("lawful", "sex, ethnicity", PRICING_MODEL_DIR),
        ("all", "none", DEFAULT_MODEL_DIR),
    ):
        a = accuracy[name]
        print(
            f"| {directory.name} | {label} | {a['auc']:.4f} | {a['brier']:.5f} | {a['ece']:.4f}"
            f" | {a['oracle_auc']:.4f} | {a['oracle_brier']:.5f} |"
        )
    report: dict[str, Any] = {"n": args.n, "seed": args.seed, "accuracy": accuracy}
    shown = False
    for knows in CASES:
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PricingFeaturesWarning)
            cost = pricing_choice_cost(
                caseload,
                "work_programme_2011",
                provider_knows=knows,
                basis="distance_band",
                rng=args.seed,
            )
        if caught and not shown:
            print(f"\n(expected) warning: {caught[0].message}")
            shown = True
        print(f"\n=== provider knows {knows}  [{time.perf_counter() - t0:.0f} s]\n")
        print(cost.summary())
        report[knows] = cost.to_dict()
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=float), encoding="utf-8")
        print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
