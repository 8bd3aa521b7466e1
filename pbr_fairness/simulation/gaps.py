"""Outcome and hours gaps between groups of a protected characteristic, with fairlearn.

:func:`characteristic_gaps` disaggregates every measure of
:data:`pbr_fairness.engine.measures.MEASURES` by each protected characteristic with fairlearn's
``MetricFrame`` (the same measure code as every other breakdown, on index arrays).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from pbr_fairness.engine.evaluation import Evaluation
from pbr_fairness.engine.measures import MEASURES, group_sums, measures_from_sums
from pbr_fairness.engine.population import Population, fractional_rank

__all__ = ["characteristic_gaps"]


def _metric_functions(pop: Population, ev: Evaluation) -> dict[str, Callable[[Any, Any], float]]:
    """One function per measure on index arrays, for fairlearn's MetricFrame."""

    def measure(name: str) -> Callable[[Any, Any], float]:
        def f(idx: Any, _unused: Any) -> float:
            i = np.asarray(idx, dtype=np.int64)
            arrays = {k: v[i] for k, v in ev.person_arrays(pop.p0).items()}
            sums = group_sums(
                None,
                1,
                arrays,
                parked=ev.parked[i],
                rank=fractional_rank(pop.p0[i]),
                planner_hours=None if ev.planner_hours is None else ev.planner_hours[i],
            )
            return float(measures_from_sums(sums)[name][0])

        f.__name__ = name
        return f

    return {m: measure(m) for m in MEASURES}


def characteristic_gaps(
    pop: Population, ev: Evaluation
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Group values and gaps by protected characteristic with fairlearn's ``MetricFrame``.

    Returns
    -------
    gaps : pandas.DataFrame
        ``characteristic, measure, difference`` (largest minus smallest group value).
    by_group : dict of str to pandas.DataFrame
        ``MetricFrame.by_group`` of each characteristic (groups x measures).
    """
    from fairlearn.metrics import MetricFrame

    metrics = _metric_functions(pop, ev)
    idx = np.arange(pop.n)
    rows: list[dict[str, Any]] = []
    by_group: dict[str, pd.DataFrame] = {}
    for c, values in pop.characteristics.items():
        feature = pd.Series(values, name=c, dtype=object).fillna("missing").astype(str)
        mf = MetricFrame(metrics=metrics, y_true=idx, y_pred=idx, sensitive_features=feature)
        by_group[c] = mf.by_group
        diff = mf.difference(method="between_groups")
        rows += [
            {"characteristic": c, "measure": m, "difference": float(diff[m])} for m in MEASURES
        ]
    gaps = pd.DataFrame(rows, columns=["characteristic", "measure", "difference"])
    return gaps, by_group
