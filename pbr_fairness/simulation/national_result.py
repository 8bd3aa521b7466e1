"""The result of a national-size (chunked) simulation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["NationalResult"]


@dataclass(frozen=True)
class NationalResult:
    """Measures of a contract on a caseload simulated in chunks.

    Attributes
    ----------
    n : int
        People.
    n_chunks : int
        Chunks they were processed in.
    overall : dict of str to float
        Every measure over everyone.
    frame : pandas.DataFrame
        Tidy measures: ``breakdown, group, measure, value``.
    marginal_cost : tuple of float
        ``c + lam`` of each provider.
    capacity_binds : tuple of bool
        Whether each provider used all its capacity.
    minimum_hours : float
        The minimum of service used.
    seconds : float
        Wall time.
    provenance : dict
        Package version, contract name and sha256, seed entropy, chunk size.
    """

    n: int
    n_chunks: int
    overall: dict[str, float]
    frame: pd.DataFrame = field(repr=False)
    marginal_cost: tuple[float, ...]
    capacity_binds: tuple[bool, ...]
    minimum_hours: float
    seconds: float
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy measures (``breakdown, group, measure, value``)."""
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict: overall measures, by group, provenance."""
        by: dict[str, dict[str, dict[str, float | None]]] = {}
        for row in self.frame.itertuples(index=False):
            if row.breakdown == "overall":
                continue
            by.setdefault(row.breakdown, {}).setdefault(row.group, {})[row.measure] = (
                None if pd.isna(row.value) else float(row.value)
            )
        return {
            "n": self.n,
            "n_chunks": self.n_chunks,
            "overall": {k: (None if np.isnan(v) else v) for k, v in self.overall.items()},
            "by_group": by,
            "marginal_cost": list(self.marginal_cost),
            "capacity_binds": list(self.capacity_binds),
            "minimum_hours": self.minimum_hours,
            "seconds": round(self.seconds, 3),
            "provenance": self.provenance,
        }

    def summary(self) -> str:
        """Describe the result in a few lines of text."""
        o = self.overall
        lines = [
            f"National simulation: {self.n:,} people in {self.n_chunks} chunks "
            f"({self.seconds:.1f} s), contract {self.provenance.get('contract', '?')}",
            f"job outcome rate {o['job_outcome_rate']:.3f} (no support {o['no_support_rate']:.3f}),"
            f" additional jobs {o['additional_jobs']:,.0f}",
            f"government spend £{o['government_spend']:,.0f}, cost per additional job "
            f"£{o['cost_per_additional_job']:,.0f}",
            f"parked share {o['parked_share']:.3f}, creaming index {o['creaming_index']:.3f}, "
            f"planner gap {o['planner_gap']:.3f}",
        ]
        return "\n".join(lines)
