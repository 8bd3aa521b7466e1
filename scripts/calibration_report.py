"""Print the tables of docs/calibration.md and draw its figure of the response scenarios.

For each response scenario: the fitted table (the calibration's targets against the model),
the held-out table (figures the fit never saw), the Work Programme table by payment group
(outcome rate, hours, spend per participant, parked share) and the gain and hours by decile of
``p0``; and two figures, ``docs/images/response_gain.svg`` (the gain the planner's hours buy)
and ``docs/images/response_hours.svg`` (the provider's hours), by decile, for every scenario.

    python scripts/calibration_report.py [--n 200000] [--fit-n 400000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from pbr_fairness.audit.svg import Chart, Series, palette
from pbr_fairness.caseload.calibration import calibrate
from pbr_fairness.caseload.generator import (
    RESPONSE_SCENARIOS,
    historic_provider,
    make_caseload,
    with_response,
)
from pbr_fairness.caseload.parameters import load_generator_parameters
from pbr_fairness.engine.curve import response
from pbr_fairness.simulation import simulate_contract
from pbr_fairness.simulation.heldout import heldout_table

ROOT = Path(__file__).resolve().parents[1]


def markdown(frame: pd.DataFrame, index: bool = True) -> str:
    """Render a table as GitHub markdown (numbers as they are)."""
    t = frame.reset_index() if index else frame
    head = "| " + " | ".join(map(str, t.columns)) + " |"
    rule = "|" + "---|" * len(t.columns)
    rows = ["| " + " | ".join(f"{v:,.4g}" if isinstance(v, float) else str(v) for v in r) + " |"
            for r in t.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def parameter_table(params: dict) -> pd.DataFrame:
    """Every parameter of the response, the provider and the targets: value, kind, source."""
    rows = []
    name = params["response"]["scenario"]
    sections = [
        (f"response ({name})", params["response"]["scenarios"][name]),
        ("provider (historic regime)", params["historic_regime"]),
        ("latent index", {"unobserved_sd": params["latent_index"]["unobserved_sd"]}),
        ("exit hazard", {"base": params["exit_hazard"]["base"]}),
        ("fitted targets", params["targets"]),
    ]
    for section, entries in sections:
        for key, entry in entries.items():
            if not isinstance(entry, dict) or "value" not in entry:
                continue
            if section == "fitted targets":
                kind = "fitted target"
            elif "fitted" in entry:
                kind = "fitted"
            elif "source" in entry:
                kind = "sourced"
            else:
                kind = "assumed (estimate)"
            text = entry.get("fitted") or entry.get("source") or entry.get("estimate") or ""
            rng = entry.get("range")
            rows.append({
                "part": section, "parameter": key, "value": entry["value"],
                "plausible range": "" if rng is None else f"{rng[0]:g} to {rng[1]:g}",
                "kind": kind, "source or reason": text,
            })
    return pd.DataFrame(rows)


def by_decile(caseload: pd.DataFrame, res) -> pd.DataFrame:
    """Mean gain, hours and parking by decile of true p0."""
    per = res.persons
    dec = pd.qcut(per["p0"].rank(method="first"), 10, labels=[f"D{i}" for i in range(1, 11)])
    k = caseload["true_k"].to_numpy()
    planner_gain = response(per["planner_hours"], per["p0"], per["pmax"], k) - per["p0"]
    frame = pd.DataFrame(
        {
            "decile": dec,
            "p0": per["p0"],
            "most support can add (points)": 100 * (per["pmax"] - per["p0"]),
            "gain at the planner's hours (points)": 100 * planner_gain,
            "gain at the provider's hours (points)": 100 * (per["p_job_outcome"] - per["p0"]),
            "provider hours": per["hours"],
            "planner hours": per["planner_hours"],
            "parked": per["parked"].astype(float),
        }
    )
    return frame.groupby("decile", observed=True).mean()


def main() -> None:
    """Print every table and write the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--fit-n", type=int, default=400_000)
    args = ap.parse_args()
    pd.set_option("display.width", 200)
    params = load_generator_parameters()
    print("## parameters\n")
    print(markdown(parameter_table(params), index=False))
    charts = {
        "gain at the planner's hours (points)": Chart(
            "Gain the planner's hours buy, by decile of p0", "decile of p0 (1 = furthest)",
            "points"),
        "provider hours": Chart(
            "Provider's support hours under work_programme_2011", "decile of p0", "hours"),
    }
    for i, name in enumerate(RESPONSE_SCENARIOS):
        p = with_response(params, name)
        fit = calibrate(p, n=args.fit_n)
        print(f"\n## {name}: contact hours {fit.contact_hours:.2f}, ESA spend "
              f"{fit.spend_esa:.0f}, JSA spend {fit.spend_jsa:.0f}, capacity binds "
              f"{fit.capacity_binds}\n")
        print(markdown(fit.table.drop(columns=["source"]), index=False))
        held = heldout_table(p, n=args.n)
        print()
        print(markdown(held.drop(columns=["source", "label"]), index=False))
        cl = make_caseload(args.n, rng=1, providers=4, params=p, observable=False)
        res = simulate_contract(cl, "work_programme_2011", historic_provider(p))
        g = res.by("payment_group")[
            ["job_outcome_rate", "hours_per_person", "provider_cost_per_person",
             "parked_share", "government_spend"]
        ]
        print()
        print(markdown(g))
        o = res.overall
        print(f"\noverall: outcome {o['job_outcome_rate']:.3f}, no support "
              f"{o['no_support_rate']:.3f}, deadweight {o['deadweight_share']:.3f}, margin "
              f"{o['provider_margin']:.3f}, revenue {o['provider_revenue']:,.0f}, cost "
              f"{o['provider_cost']:,.0f}, hours {o['hours_per_person']:.2f}, parked "
              f"{o['parked_share']:.3f}, cost per additional job "
              f"{o['cost_per_additional_job']:,.0f}")
        d = by_decile(cl, res)
        print()
        print(markdown(d))
        low, high = d.iloc[:5], d.iloc[5:]
        ratio = (low["gain at the planner's hours (points)"].mean()
                 / high["gain at the planner's hours (points)"].mean())
        print(f"\nlower-half / upper-half gain at the planner's hours: {ratio:.3f}")
        x = np.arange(1, 11, dtype=float)
        for col, chart in charts.items():
            chart.add(Series(x, d[col].to_numpy(), label=name, colour=palette(i)))
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    for stem, chart in zip(("response_gain", "response_hours"), charts.values(), strict=True):
        svg = str(chart.render()).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
        (out / f"{stem}.svg").write_text(svg, encoding="utf-8")
        print(f"wrote {out / stem}.svg")

if __name__ == "__main__":
    main()
