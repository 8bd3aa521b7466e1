"""Fit the generator's group intercepts to the Work Programme's published outcome rates.

Run ``python -m pbr_fairness.caseload.calibration`` to refit and rewrite the ``calibrated``
section of ``pbr_fairness/data/generator.yaml``; it prints the table of targets against what
the generator achieves (and the oracle AUC of ``true_p_observable``) on a fresh seeded caseload.
"""

from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from pbr_fairness.caseload import schema
from pbr_fairness.caseload.generator import (
    _characteristics,
    _latent_index,
    _truth,
    historic_tariff,
    make_caseload,
)
from pbr_fairness.caseload.parameters import (
    DEFAULT_PARAMETER_FILE,
    load_generator_parameters,
    value,
)
from pbr_fairness.engine.capacity import allocate_hours
from pbr_fairness.engine.curve import response
from pbr_fairness.engine.value import outcome_value

__all__ = ["calibrate_intercepts", "calibration_table", "write_intercepts"]

logger = logging.getLogger(__name__)

#: Seed of the caseload the intercepts are fitted on (not the one they are checked on).
FIT_SEED = 20110601


def _group_outcome(
    shift: float,
    base: np.ndarray,
    u: np.ndarray,
    z_d: np.ndarray,
    z_k: np.ndarray,
    disability: np.ndarray,
    homeless: np.ndarray,
    tariff: dict[str, np.ndarray],
    params: dict[str, Any],
) -> float:
    p0, pmax, k, h = _truth(base + shift, u, z_d, z_k, disability, homeless, params)
    v = outcome_value(tariff, h)
    regime = params["historic_regime"]
    alloc = allocate_hours(
        v,
        pmax - p0,
        k,
        cost=value(regime["cost_per_hour"]),
        capacity=None,
        minimum=value(regime["minimum_hours"]),
    )
    return float(response(alloc.hours, p0, pmax, k).mean())


def calibrate_intercepts(
    params: dict[str, Any] | None = None, *, n: int = 400_000, seed: int = FIT_SEED
) -> dict[str, float]:
    """Find each payment group's intercept so that its job-outcome rate hits its target.

    Parameters
    ----------
    params : dict, optional
        Generator parameters (default: the shipped file).
    n : int, default 400000
        Size of the fitting caseload.
    seed : int
        Seed of the fitting caseload.

    Returns
    -------
    dict
        Intercept per payment group.

    Notes
    -----
    The historic provider's capacity does not bind at the defaults (its profit-maximising
    hours are far below it), so groups decouple and each intercept is a one-dimensional root.
    """
    params = params or load_generator_parameters()
    params.setdefault("calibrated", {"intercepts": dict.fromkeys(schema.PAYMENT_GROUPS, 0.0)})
    params["calibrated"]["intercepts"] = dict.fromkeys(schema.PAYMENT_GROUPS, 0.0)
    rng = np.random.default_rng(seed)
    cols, g = _characteristics(n, rng, params)
    base = _latent_index(cols, params)
    u, z_d, z_k = rng.standard_normal((3, n))
    tariff = historic_tariff(g, params["historic_regime"]["tariff"])
    out: dict[str, float] = {}
    for code, name in enumerate(schema.PAYMENT_GROUPS):
        sel = g == code
        target = value(params["targets"][name])
        args = (
            base[sel],
            u[sel],
            z_d[sel],
            z_k[sel],
            cols["disability"][sel],
            cols["homeless"][sel],
            {key: arr[sel] for key, arr in tariff.items()},
            params,
        )
        out[name] = float(
            brentq(lambda c, a=args, t=target: _group_outcome(c, *a) - t, -8.0, 8.0, xtol=1e-6)
        )
        logger.info("%s: intercept %.4f for target %.3f", name, out[name], target)
    return out


def calibration_table(frame: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
    """Targets against what a caseload achieves, by payment group.

    Parameters
    ----------
    frame : pandas.DataFrame
        A synthetic caseload (with ``true_*`` columns).
    params : dict, optional
        Generator parameters holding the targets.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, n, share, target_outcome_rate, outcome_rate, expected_outcome_rate,
        target_no_support_rate, no_support_rate``.
    """
    params = params or load_generator_parameters()
    targets = params["targets"]
    p = response(frame["support_hours"], frame["true_p0"], frame["true_pmax"], frame["true_k"])
    data = frame.assign(_p=p)
    rows = []
    for name in [*schema.PAYMENT_GROUPS, "ALL"]:
        part = data if name == "ALL" else data[data["payment_group"] == name]
        ns = targets.get("no_support", {}).get(name)
        rows.append(
            {
                "group": name,
                "n": len(part),
                "share": len(part) / len(data),
                "target_outcome_rate": value(targets[name]),
                "outcome_rate": float(part["job_outcome"].mean()),
                "expected_outcome_rate": float(part["_p"].mean()),
                "target_no_support_rate": value(ns) if ns is not None else np.nan,
                "no_support_rate": float(part["true_p0"].mean()),
            }
        )
    return pd.DataFrame(rows)


def write_intercepts(
    intercepts: dict[str, float], path: str | Path = DEFAULT_PARAMETER_FILE
) -> None:
    """Rewrite the ``intercepts:`` line of a generator parameter file in place."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    body = ", ".join(f"{k}: {v:.4f}" for k, v in intercepts.items())
    new, count = re.subn(r"(?m)^  intercepts: \{.*\}$", f"  intercepts: {{{body}}}", text)
    if count != 1:
        raise ValueError(f"{path}: expected one 'intercepts:' line under 'calibrated'")
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Refit the intercepts, write them, and print the calibration table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=400_000, help="size of the fitting caseload")
    parser.add_argument("--check-n", type=int, default=200_000, help="size of the check caseload")
    parser.add_argument("--dry-run", action="store_true", help="do not rewrite the parameter file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    intercepts = calibrate_intercepts(n=args.n)
    params = load_generator_parameters()
    params["calibrated"]["intercepts"] = intercepts
    if not args.dry_run:
        write_intercepts(intercepts)
    frame = make_caseload(args.check_n, rng=1, providers=4, params=params)
    table = calibration_table(frame, params)
    from sklearn.metrics import roc_auc_score

    pd.set_option("display.width", 160)
    print(table.round(4).to_string(index=False))
    auc = roc_auc_score(frame["job_outcome"], frame["true_p_observable"])
    print(f"oracle AUC (true_p_observable): {auc:.4f}")


if __name__ == "__main__":  # pragma: no cover
    main()
