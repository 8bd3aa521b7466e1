"""The immutable result of the optimiser: proposal, before/after, frontier, reference."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pbr_fairness.contracts import Contract, contract_to_yaml, save_contract
from pbr_fairness.simulation import MEASURES, SimulationResult
from pbr_fairness.tariffs.measures import EXTRA_MEASURES, TARGET_MEASURE
from pbr_fairness.tariffs.reference import ReferenceTariff

__all__ = ["BEFORE_AFTER_MEASURES", "TariffResult"]

#: Measures of the before/after table by payment group and decile (issue 5, point 4).
BEFORE_AFTER_MEASURES: tuple[str, ...] = (
    "government_spend",
    "additional_jobs",
    "cost_per_additional_job",
    "parked_share",
    "hours_per_person",
    "job_outcome_rate",
)

_GAP_MEASURES = ("job_outcome_rate", "parked_share", "hours_per_person")


def _num(x: Any) -> Any:
    if isinstance(x, bool | np.bool_):
        return bool(x)
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        x = float(x)
        return None if math.isnan(x) or math.isinf(x) else x
    return x


def _select(t: pd.DataFrame, breakdown: str) -> pd.DataFrame:
    rows = t[(t["breakdown"] == breakdown) & t["measure"].isin(BEFORE_AFTER_MEASURES)]
    return rows[["group", "measure", "value"]]


def _gap_table(res: SimulationResult) -> pd.DataFrame:
    """Largest minus smallest group value by protected characteristic (from the tidy table)."""
    t = res.table
    chars = [
        b
        for b in dict.fromkeys(t["breakdown"])
        if b in ("sex", "age_band", "disability", "ethnicity")
    ]
    rows = []
    for c in chars:
        sub = t[(t["breakdown"] == c) & t["measure"].isin(_GAP_MEASURES)]
        for m, g in sub.groupby("measure", sort=False):
            v = g["value"].dropna()
            rows.append({"characteristic": c, "measure": m, "difference": float(v.max() - v.min())})
    return pd.DataFrame(rows, columns=["characteristic", "measure", "difference"])


@dataclass(frozen=True, eq=False)
class TariffResult:
    """A proposed fairer tariff and the evidence for it.

    Attributes
    ----------
    proposed : Contract
        The proposed contract (``to_yaml()`` gives a file ``simulate`` loads unchanged).
    baseline : Contract
        The contract it is compared with.
    before, after : SimulationResult
        The simulator's full results for the baseline and the proposal (same caseload,
        provider, predictions and seed).
    headline : pandas.DataFrame
        Overall measures (rows) for ``baseline``, ``proposed`` and the reference tariffs
        (columns), including :data:`~pbr_fairness.tariffs.measures.EXTRA_MEASURES`.
    frontier : pandas.DataFrame
        Best fairness reachable by budget (see :func:`~pbr_fairness.tariffs.tariff_frontier`).
    reference : ReferenceTariff or None
        The best one-parameter reference tariff at the same budget, on the same basis.
    continuous_reference : ReferenceTariff or None
        The same with fees per person (``p_hat_i ** -beta``), for band and group bases.
    basis, objective, provider_knows : str
    budget : float
        Most expected spend allowed (pounds).
    caps_met : bool
        Whether every parked-share cap is met.
    minimax_parked_share : float
        Smallest worst parked share in the capped groups the search found reachable.
    parameters : dict
        Fee factors per cell, or the smooth schedule's parameters.
    constraints : dict
    notes : tuple of str
        What the optimiser had to give up, and why.
    provenance : dict
        Package version, caseload hash, seed, contract hashes.
    """

    proposed: Contract
    baseline: Contract
    before: SimulationResult
    after: SimulationResult
    headline: pd.DataFrame
    frontier: pd.DataFrame
    reference: ReferenceTariff | None
    basis: str
    objective: str
    provider_knows: str
    budget: float
    caps_met: bool
    minimax_parked_share: float
    parameters: dict[str, Any] = field(default_factory=dict)
    constraints: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)
    continuous_reference: ReferenceTariff | None = None

    # ------------------------------------------------------------------ views
    @property
    def proposed_measures(self) -> dict[str, float]:
        """Overall measures of the proposal."""
        return {k: float(v) for k, v in self.headline["proposed"].items()}

    @property
    def baseline_measures(self) -> dict[str, float]:
        """Overall measures of the baseline."""
        return {k: float(v) for k, v in self.headline["baseline"].items()}

    def before_after(self) -> pd.DataFrame:
        """Return the before/after table (issue 5, point 4).

        Spend, additional jobs, cost per additional job, parked share, hours per person and
        job-outcome rate overall, by payment group and by decile of true ``p0``; and the
        gaps (largest minus smallest group) in job-outcome rate, parked share and hours by
        sex, age band, disability and ethnicity. Columns: ``section, group, measure,
        baseline, proposed, change``.
        """
        frames = []
        for bd in ("overall", "payment_group", "decile_true_p0"):
            b = self.before.table
            a = self.after.table
            m = _select(b, bd).merge(
                _select(a, bd),
                on=["group", "measure"],
                suffixes=("_b", "_a"),
                sort=False,
            )
            frames.append(
                pd.DataFrame(
                    {
                        "section": bd,
                        "group": m["group"],
                        "measure": m["measure"],
                        "baseline": m["value_b"],
                        "proposed": m["value_a"],
                    }
                )
            )
        gb, ga = _gap_table(self.before), _gap_table(self.after)
        if not gb.empty:
            g = gb.merge(ga, on=["characteristic", "measure"], suffixes=("_b", "_a"))
            frames.append(
                pd.DataFrame(
                    {
                        "section": "gap_by_characteristic",
                        "group": g["characteristic"],
                        "measure": g["measure"],
                        "baseline": g["difference_b"],
                        "proposed": g["difference_a"],
                    }
                )
            )
        out = pd.concat(frames, ignore_index=True)
        out["change"] = out["proposed"] - out["baseline"]
        return out

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: ``contract, breakdown, group, measure, value`` (baseline and proposal)."""
        parts = []
        for name, res in (("baseline", self.before), ("proposed", self.after)):
            t = res.table[["breakdown", "group", "measure", "value"]].copy()
            t.insert(0, "contract", name)
            parts.append(t)
        extra = self.headline.loc[list(EXTRA_MEASURES)]
        for col in ("baseline", "proposed"):
            parts.append(
                pd.DataFrame(
                    {
                        "contract": col,
                        "breakdown": "overall",
                        "group": "all",
                        "measure": extra.index,
                        "value": extra[col].to_numpy(),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def targets(self) -> dict[str, Any]:
        """Return the issue's target checks for this run (point 6), each with its numbers."""
        b, p = self.baseline_measures, self.proposed_measures
        base_worst = b[TARGET_MEASURE]
        out: dict[str, Any] = {
            "baseline_worst_parked_share_lower_half": base_worst,
            "proposed_worst_parked_share_lower_half": p[TARGET_MEASURE],
            "reduction": (1 - p[TARGET_MEASURE] / base_worst) if base_worst > 0 else None,
            "equity_weighted_jobs_ratio": p["equity_weighted_additional_jobs"]
            / b["equity_weighted_additional_jobs"],
            "additional_jobs_ratio": p["additional_jobs"] / b["additional_jobs"],
            "spend_ratio": p["government_spend"] / b["government_spend"],
            "provider_profit": p["provider_profit"],
        }
        if self.reference is not None:
            r = self.reference.measures
            req = self.reference.best_equity_measures
            out.update(
                {
                    "reference_elasticity": self.reference.elasticity,
                    "reference_worst_parked_share_lower_half": r[TARGET_MEASURE],
                    "reference_equity_weighted_additional_jobs": r[
                        "equity_weighted_additional_jobs"
                    ],
                    "reference_best_equity_elasticity": self.reference.best_equity_elasticity,
                    "reference_best_equity_weighted_additional_jobs": req[
                        "equity_weighted_additional_jobs"
                    ],
                    "beats_reference_on_parking": p[TARGET_MEASURE] < r[TARGET_MEASURE],
                    "beats_reference_on_equity_jobs": p["equity_weighted_additional_jobs"]
                    > r["equity_weighted_additional_jobs"],
                    "beats_best_equity_reference_on_equity_jobs": p[
                        "equity_weighted_additional_jobs"
                    ]
                    > req["equity_weighted_additional_jobs"],
                }
            )
        if self.continuous_reference is not None:
            c = self.continuous_reference.measures
            out.update(
                {
                    "continuous_reference_elasticity": self.continuous_reference.elasticity,
                    "continuous_reference_worst_parked_share_lower_half": c[TARGET_MEASURE],
                    "continuous_reference_equity_weighted_additional_jobs": c[
                        "equity_weighted_additional_jobs"
                    ],
                    "beats_continuous_reference_on_parking": p[TARGET_MEASURE] < c[TARGET_MEASURE],
                    "beats_continuous_reference_on_equity_jobs": p[
                        "equity_weighted_additional_jobs"
                    ]
                    > c["equity_weighted_additional_jobs"],
                }
            )
        return out

    # ------------------------------------------------------------------ output
    def summary(self) -> str:
        """Text summary: headline measures before and after, and the target checks."""
        cols = [c for c in self.headline.columns]
        lines = [
            f"Fairer tariff ({self.basis}, objective {self.objective}, provider knows "
            f"{self.provider_knows}) against {self.baseline.name}; budget "
            f"{self.budget:,.0f}; parked-share caps {'met' if self.caps_met else 'NOT met'}",
            f"{'measure':<36}" + "".join(f"{c:>16}" for c in cols),
        ]
        for m, row in self.headline.iterrows():
            lines.append(f"{m!s:<36}" + "".join(f"{_fmt(row[c]):>16}" for c in cols))
        for n in self.notes:
            lines.append(f"note: {n}")
        return "\n".join(lines)

    def to_yaml(self) -> str:
        """Return the proposed contract as YAML."""
        return contract_to_yaml(self.proposed)

    def save(self, path: str | Path) -> Path:
        """Write the proposed contract as YAML; return the path."""
        return save_contract(self.proposed, path)

    def to_dict(self) -> dict[str, Any]:
        """JSON document of the ``optimise`` command.

        Keys: ``baseline`` and ``proposed`` (each in the ``simulate`` JSON format),
        ``reference`` (the best reference tariff, same format of headline measures),
        ``headline``, ``before_after``, ``frontier`` (list of rows), ``targets``,
        ``parameters``, ``constraints``, ``settings``, ``notes``, ``provenance``.
        """
        doc: dict[str, Any] = {
            "baseline": self.before.to_dict(gaps=False),
            "proposed": self.after.to_dict(gaps=False),
            "headline": {
                c: {str(m): _num(v) for m, v in self.headline[c].items()} for c in self.headline
            },
            "before_after": [
                {k: _num(v) for k, v in r.items()} for r in self.before_after().to_dict("records")
            ],
            "frontier": [
                {k: _num(v) for k, v in r.items()} for r in self.frontier.to_dict("records")
            ],
            "targets": {k: _num(v) for k, v in self.targets().items()},
            "parameters": {k: _jsonable(v) for k, v in self.parameters.items()},
            "constraints": {k: _jsonable(v) for k, v in self.constraints.items()},
            "settings": {
                "basis": self.basis,
                "objective": self.objective,
                "provider_knows": self.provider_knows,
                "budget": self.budget,
                "caps_met": self.caps_met,
                "minimax_parked_share": _num(self.minimax_parked_share),
            },
            "notes": list(self.notes),
            "provenance": {k: _jsonable(v) for k, v in self.provenance.items()},
        }
        for key, ref in (
            ("reference", self.reference),
            ("continuous_reference", self.continuous_reference),
        ):
            if ref is None:
                continue
            doc[key] = {
                "form": ref.form,
                "elasticity": ref.elasticity,
                "best_equity_elasticity": ref.best_equity_elasticity,
                "measures": {k: _num(v) for k, v in ref.measures.items()},
                "best_equity_measures": {k: _num(v) for k, v in ref.best_equity_measures.items()},
                "scan": [{k: _num(v) for k, v in r.items()} for r in ref.scan.to_dict("records")],
            }
        return doc

    def __repr__(self) -> str:
        p = self.proposed_measures
        return (
            f"TariffResult(basis={self.basis!r}, objective={self.objective!r}, "
            f"worst_parked_share_lower_half={p[TARGET_MEASURE]:.3f}, caps_met={self.caps_met})"
        )


def _fmt(v: Any) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4f}"


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return _num(v)


HEADLINE_MEASURES: tuple[str, ...] = (*MEASURES, *EXTRA_MEASURES)
