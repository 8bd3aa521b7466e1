"""Accuracy report of the distance model: train 200,000 / test 100,000 synthetic, seeded.

Recreates the default model from its seed (``train_default_model``), prints the accuracy
tables (model, oracle ``true_p_observable``, full truth, logistic baseline), the targets of
issue 3, the predictive ratio by group, the fairness table and the global SHAP importance,
and writes them into the model card (``model_card.json`` / ``model_card.md``).

Usage::

    .venv/bin/python scripts/evaluate_distance_model.py [--out models/default]
        [--n 200000] [--n-test 100000] [--seed 20261128] [--n-boot 200]
"""

from __future__ import annotations

import argparse
import sys
import time

from pbr_fairness.distance.default import (
    DEFAULT_MODEL_DIR,
    DEFAULT_N_TEST,
    DEFAULT_N_TRAIN,
    DEFAULT_SEED,
    train_default_model,
)


def main(argv: list[str] | None = None) -> int:
    """Train, evaluate, print the tables and write the model card."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(DEFAULT_MODEL_DIR))
    parser.add_argument("--n", type=int, default=DEFAULT_N_TRAIN)
    parser.add_argument("--n-test", type=int, default=DEFAULT_N_TEST)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--n-boot", type=int, default=200)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    result = train_default_model(
        args.out, n=args.n, n_test=args.n_test, seed=args.seed, n_boot=args.n_boot
    )
    elapsed = time.perf_counter() - start
    print(f"# Distance model: train {args.n:,} / test {args.n_test:,}, seed {args.seed}")
    print()
    print(result.evaluation.summary())
    print("### Fairness (test caseload; single characteristics, intersections in the card)")
    print()
    print(result.fairness.summary(intersections=False))
    print("### Global importance (mean |SHAP|, percentage points)")
    print()
    for r in result.card["importance"]:
        print(f"- {r['feature']}: {r['importance']:.2f}")
    print()
    print(f"model and card written to {result.directory} in {elapsed:.0f} s (data generation,"
          " training, evaluation, bootstrap and SHAP)")
    print(f"all targets met: {'yes' if result.evaluation.passed else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
