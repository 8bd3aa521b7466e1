"""The immutable result of a simulation: tidy table, per-person frame, JSON and text."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from pbr_fairness.engine.measures import MEASURES
from pbr_fairness.engine.provider import ProviderSettings
from pbr_fairness.simulation.gaps import characteristic_gaps

__all__ = ["INSTRUMENT_LABELS", "JSON_SECTIONS", "SimulationResult"]

#: How :meth:`SimulationResult.summary` names each instrument family.
INSTRUMENT_LABELS: dict[str, str] = {
    "attachment_by_year": "attachment fees by contract year",
    "delivery_fee": "delivery fees",
    "value_added": "value-added payments",
    "accelerator": "accelerator payments",
    "yardstick": "yardstick payments (net across primes)",
    "market_share_shift": "market-share shift (value to primes, not spend)",
    "cost_sharing": "cost-sharing of verified hours",
    "funded_hours": "funded hours",
}

#: Breakdown of the tidy table -> key of the JSON document.
JSON_SECTIONS: dict[str, str] = {
    "payment_group": "by_group",
    "decile_true_p0": "by_decile",
    "decile_predicted": "by_decile_predicted",
    "provider": "by_provider",
}


def _num(x: Any) -> float | None:
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """What a contract does to a caseload, with a given provider.

    Attributes
    ----------
    contract : str
        Contract name.
    mode : {"expected", "monte_carlo"}
    n : int
        Number of people.
    table : pandas.DataFrame
        Tidy: ``breakdown, group, measure, value, lower, upper`` (``lower``/``upper``: the 95%
        Monte Carlo interval; NaN in expected mode).
    persons : pandas.DataFrame
        One row per person: ``person_id, payment_group, hours, planner_hours,
        p_job_outcome, parked, expected_payment, p0, pmax, perceived_p0, outcome_value``
        (+ ``provider_id``, ``predicted`` when known).
    provider : ProviderSettings
    provenance : dict
        Package version, contract name/source/sha256, caseload sha256, seed, mode.
    monthly : pandas.DataFrame or None
        Monte Carlo only: ``month, payments, payments_lower, payments_upper, job_outcomes``.
    replications : int or None
    instrument_payments : dict of str to float
        Expected payment of each instrument family the contract uses (pounds, undiscounted;
        empty without instruments): ``attachment_by_year``, ``delivery_fee``,
        ``value_added``, ``accelerator``, ``yardstick``, ``market_share_shift`` (its value to
        the primes, not a government payment), ``cost_sharing``, ``funded_hours``. Every one
        but the market-share shift is in the government spend.
    """

    contract: str
    mode: str
    n: int
    table: pd.DataFrame
    persons: pd.DataFrame
    provider: ProviderSettings
    provenance: dict[str, Any]
    monthly: pd.DataFrame | None = None
    replications: int | None = None
    planner: dict[str, float] = field(default_factory=dict)
    instrument_payments: dict[str, float] = field(default_factory=dict)
    _gap_inputs: Any = field(default=None, repr=False)

    @cached_property
    def gaps(self) -> pd.DataFrame:
        """Gaps by protected characteristic from fairlearn's ``MetricFrame``.

        ``characteristic, measure, difference``: largest minus smallest group value
        (``MetricFrame.difference(method="between_groups")``) of the expected per-person
        quantities. Computed on first use (fairlearn takes a few seconds).
        """
        if self._gap_inputs is None:
            return pd.DataFrame(columns=["characteristic", "measure", "difference"])
        return characteristic_gaps(*self._gap_inputs)[0]

    # -- views ---------------------------------------------------------------------------
    @property
    def overall(self) -> dict[str, float]:
        """Measure -> value over everyone (Monte Carlo: the mean over replications)."""
        t = self.table[self.table["breakdown"] == "overall"]
        return {m: float(v) for m, v in zip(t["measure"], t["value"], strict=True)}

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy table (a copy): ``breakdown, group, measure, value, lower, upper``."""
        return self.table.copy()

    def by(self, breakdown: str) -> pd.DataFrame:
        """Return a wide table of one breakdown: one row per group, one column per measure."""
        t = self.table[self.table["breakdown"] == breakdown]
        if t.empty:
            available = ", ".join(dict.fromkeys(self.table["breakdown"]))
            raise KeyError(f"no breakdown {breakdown!r}; available: {available}")
        wide = t.pivot(index="group", columns="measure", values="value")
        order = list(dict.fromkeys(t["group"]))
        return wide.loc[order, [m for m in MEASURES if m in wide.columns]]

    def _section(self, breakdown: str, col: str = "value") -> dict[str, dict[str, float | None]]:
        t = self.table[self.table["breakdown"] == breakdown]
        out: dict[str, dict[str, float | None]] = {}
        for g, m, v in zip(t["group"], t["measure"], t[col], strict=True):
            out.setdefault(str(g), {})[str(m)] = _num(v)
        return out

    def to_dict(self, *, gaps: bool = True) -> dict[str, Any]:
        """Return the JSON document of the command line.

        Keys: ``contract, mode, n, overall, by_group, by_decile, by_provider,
        by_characteristic`` (each holding every measure of :data:`MEASURES`), plus
        ``by_decile_predicted`` when predictions were given, ``gaps_by_characteristic``,
        ``provider``, ``provenance`` and, in Monte Carlo mode, ``intervals`` and
        ``monthly``. ``gaps=False`` leaves out ``gaps_by_characteristic`` (fairlearn is slow).
        """
        doc: dict[str, Any] = {
            "contract": self.contract,
            "mode": self.mode,
            "n": self.n,
            "overall": {m: _num(v) for m, v in self.overall.items()},
        }
        if self.instrument_payments:
            doc["instruments"] = {k: _num(v) for k, v in self.instrument_payments.items()}
        present = set(self.table["breakdown"])
        for bd, key in JSON_SECTIONS.items():
            if bd in present or key != "by_decile_predicted":
                doc[key] = self._section(bd)
        chars = [
            b
            for b in dict.fromkeys(self.table["breakdown"])
            if b not in JSON_SECTIONS and b != "overall"
        ]
        doc["by_characteristic"] = {c: self._section(c) for c in chars}
        if gaps:
            table: dict[str, dict[str, float | None]] = {}
            g = self.gaps
            for c, m, v in zip(g["characteristic"], g["measure"], g["difference"], strict=True):
                table.setdefault(str(c), {})[str(m)] = _num(v)
            doc["gaps_by_characteristic"] = table
        if self.mode == "monte_carlo":
            intervals: dict[str, Any] = {}
            for bd in dict.fromkeys(self.table["breakdown"]):
                lo, hi = self._section(bd, "lower"), self._section(bd, "upper")
                intervals[bd] = {g: {m: [lo[g][m], hi[g][m]] for m in lo[g]} for g in lo}
            doc["intervals"] = intervals
            doc["replications"] = self.replications
            if self.monthly is not None:
                doc["monthly"] = {
                    c: [_num(v) for v in self.monthly[c]] for c in self.monthly.columns
                }
        doc["provider"] = self.provider.to_dict()
        doc["planner"] = dict(self.planner)
        doc["provenance"] = dict(self.provenance)
        return doc

    def summary(self) -> str:
        """Return a text summary: headline measures and the table by payment group."""
        o = self.overall
        lines = [
            f"Simulation of contract {self.contract!r} on {self.n:,} people ({self.mode}"
            + (f", {self.replications} replications" if self.replications else "")
            + ")",
            f"  job-outcome rate     {o['job_outcome_rate']:.3f}   (no support "
            f"{o['no_support_rate']:.3f})",
            f"  additional jobs      {o['additional_jobs']:.1f}   deadweight share "
            f"{o['deadweight_share']:.3f}",
            f"  government spend     {o['government_spend']:,.0f}   per additional job "
            f"{o['cost_per_additional_job']:,.0f}",
            f"  provider profit      {o['provider_profit']:,.0f}   hours per person "
            f"{o['hours_per_person']:.2f}",
            f"  parked share         {o['parked_share']:.3f}   creaming index "
            f"{o['creaming_index']:.3f}   planner gap {o['planner_gap']:.3f}",
        ]
        lines += self._instrument_lines()
        if "payment_group" in set(self.table["breakdown"]):
            wide = self.by("payment_group")
            cols = [
                "job_outcome_rate",
                "no_support_rate",
                "hours_per_person",
                "parked_share",
                "creaming_index",
                "cost_per_additional_job",
            ]
            lines.append("")
            lines.append(
                f"{'group':<8}{'outcome':>9}{'no supp':>9}{'hours':>8}{'parked':>8}"
                f"{'cream':>8}{'cost/add':>10}"
            )
            for g, row in wide[cols].iterrows():
                cpa = row["cost_per_additional_job"]
                lines.append(
                    f"{g!s:<8}{row['job_outcome_rate']:>9.3f}{row['no_support_rate']:>9.3f}"
                    f"{row['hours_per_person']:>8.2f}{row['parked_share']:>8.3f}"
                    f"{row['creaming_index']:>8.3f}"
                    + (f"{cpa:>10,.0f}" if np.isfinite(cpa) else f"{'-':>10}")
                )
        return "\n".join(lines)

    def _instrument_lines(self) -> list[str]:
        """One line per instrument family: its expected payment in pounds."""
        if not self.instrument_payments:
            return []
        year = self.provenance.get("referral_year", 1)
        labels = INSTRUMENT_LABELS | {
            "attachment_by_year": f"attachment fees, referral year {year}"
        }
        lines = ["  instruments (expected payments, undiscounted):"]
        for key, value in self.instrument_payments.items():
            pounds = f"{'-' if value < 0 else ''}£{abs(value):,.0f}"
            lines.append(f"    {labels.get(key, key):<48}{pounds:>14}")
        return lines

    def __repr__(self) -> str:
        return (
            f"SimulationResult(contract={self.contract!r}, mode={self.mode!r}, n={self.n}, "
            f"job_outcome_rate={self.overall['job_outcome_rate']:.4f})"
        )
