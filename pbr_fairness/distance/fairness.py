"""Fairness report of the distance model across protected characteristics.

Built on fairlearn's :class:`~fairlearn.metrics.MetricFrame`: for each characteristic (sex,
age band, disability, ethnicity) and each pair of them (their intersections), the metrics
below are disaggregated by group, each with a bootstrap 95% percentile interval
(people resampled within the group; :func:`pbr_fairness.distance.metrics.bootstrap_metrics`):

- ``auc``: how well the model ranks people within the group;
- ``brier``: mean squared error of the probability;
- ``predictive_ratio``: mean predicted / mean observed (1 = calibrated in the large;
  ``> 1`` the model expects more job outcomes than the group had);
- ``furthest_band_share``: share placed in the furthest named band
  ("furthest from work"; the training population's bottom fifth).

Groups with fewer than ``min_group_size`` people (or, for AUC and the predictive ratio, no
outcome or no non-outcome) show ``"insufficient data"``, not a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.caseload import schema
from pbr_fairness.distance.bands import NAMED_BANDS
from pbr_fairness.distance.groups import available_characteristics, group_labels
from pbr_fairness.distance.metrics import BOOTSTRAP_METRICS, bootstrap_metrics
from pbr_fairness.distance.model import DistanceModel, _as_target
from pbr_fairness.distance.provenance import frame_hash, package_version

__all__ = ["FAIRNESS_METRICS", "INSUFFICIENT", "FairnessReport", "fairness_report"]

#: Metrics of the fairness report, in order.
FAIRNESS_METRICS: tuple[str, ...] = ("auc", "brier", "predictive_ratio", "furthest_band_share")
#: What a cell shows when its group is too small.
INSUFFICIENT = "insufficient data"


def _auc(y: NDArray[np.float64], p: NDArray[np.float64]) -> float:
    return float(bootstrap_metrics(y, p, weights=np.ones((1, len(y))))[0, 0])


def _pr(y: NDArray[np.float64], p: NDArray[np.float64]) -> float:
    s = float(np.sum(y))
    return float(np.sum(p) / s) if s > 0 else float("nan")


def _brier(y: NDArray[np.float64], p: NDArray[np.float64]) -> float:
    return float(np.mean((np.asarray(p) - np.asarray(y)) ** 2))


def _group_metrics(
    y: NDArray[np.float64], p: NDArray[np.float64], flag: NDArray[np.float64]
) -> dict[str, float]:
    """Every metric of one group (a MetricFrame metric returning a dict)."""
    y, p, flag = (np.asarray(a, dtype=np.float64) for a in (y, p, flag))
    return {
        "auc": _auc(y, p),
        "brier": _brier(y, p),
        "predictive_ratio": _pr(y, p),
        "furthest_band_share": float(np.mean(flag)),
        "n": float(len(y)),
    }


@dataclass(frozen=True)
class FairnessReport:
    """Group metrics with bootstrap intervals over protected characteristics.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy: ``characteristic`` (e.g. ``"sex"`` or ``"sex x disability"``), ``group``
        (e.g. ``"F"`` or ``"F / yes"``), ``n``, ``metric``, ``value``, ``lower``, ``upper``
        and ``status`` (``"ok"`` or ``"insufficient data"``; then the numbers are NaN).
    overall : dict
        The metrics over everyone.
    settings : dict
        ``min_group_size``, ``n_boot``, seed, furthest-band cut-point.
    provenance : dict
        Package version, data hash, model training hash.
    """

    table: pd.DataFrame
    overall: dict[str, float]
    settings: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy table (a copy)."""
        return self.table.copy()

    def display_table(self, *, intersections: bool = True) -> pd.DataFrame:
        """Wide table for people: one row per group, ``value [lower, upper]`` per metric.

        Too-small groups read ``"insufficient data"``.
        """
        t = self.table
        if not intersections:
            t = t[~t["characteristic"].str.contains(" x ")]

        def cell(r: pd.Series) -> str:
            if r.status != "ok":
                return INSUFFICIENT
            digits = 4 if r.metric == "brier" else 3
            return f"{r.value:.{digits}f} [{r.lower:.{digits}f}, {r.upper:.{digits}f}]"

        cells = t.assign(cell=t.apply(cell, axis=1))
        wide = cells.pivot_table(
            index=["characteristic", "group", "n"], columns="metric", values="cell",
            aggfunc="first", sort=False,
        ).reset_index()
        wide.columns.name = None
        return wide[["characteristic", "group", "n", *FAIRNESS_METRICS]]

    def summary(self, *, intersections: bool = True) -> str:
        """Markdown table (value and 95% interval; "insufficient data" for small groups)."""
        wide = self.display_table(intersections=intersections)
        head = ["characteristic", "group", "n", "AUC", "Brier", "predictive ratio",
                "share furthest band"]
        lines = [
            f"Bootstrap 95% intervals ({self.settings.get('n_boot')} replicates); groups under"
            f" {self.settings.get('min_group_size')} people: {INSUFFICIENT}.",
            "",
            "| " + " | ".join(head) + " |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        o = self.overall
        lines.append(
            f"| all | all | {int(o['n']):,} | {o['auc']:.3f} | {o['brier']:.4f} | "
            f"{o['predictive_ratio']:.3f} | {o['furthest_band_share']:.3f} |"
        )
        for _, r in wide.iterrows():
            cells = [str(r[m]) for m in FAIRNESS_METRICS]
            lines.append(f"| {r.characteristic} | {r.group} | {int(r.n):,} | "
                         + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


def fairness_report(
    model: DistanceModel | None,
    frame: pd.DataFrame,
    *,
    target: str = "job_outcome",
    probability: Any = None,
    characteristics: Sequence[str] = schema.PROTECTED_CHARACTERISTICS,
    intersections: bool = True,
    min_group_size: int = 100,
    n_boot: int = 200,
    rng: np.random.Generator | int | None = None,
) -> FairnessReport:
    """Disaggregate the model's accuracy and calibration over protected characteristics.

    Parameters
    ----------
    model : DistanceModel or None
        Fitted model (gives the probabilities and the furthest-band cut-point).
    frame : pandas.DataFrame
        People with the model's features, the outcome and the characteristics.
    target : str, default "job_outcome"
        Outcome column.
    probability : array-like, optional
        Probabilities to use instead of ``model.predict_proba(frame)[:, 1]``; the
        furthest band is then the bottom fifth of these.
    characteristics : sequence of str
        Characteristics to disaggregate by (``age_band`` is derived from ``age``).
    intersections : bool, default True
        Also every pair of characteristics.
    min_group_size : int, default 100
        Smaller groups show "insufficient data".
    n_boot : int, default 200
        Bootstrap replicates per group.
    rng : numpy.random.Generator, int or None
        Source of randomness (seeded: same seed, same intervals).

    Returns
    -------
    FairnessReport
    """
    from fairlearn.metrics import MetricFrame

    y = _as_target(target, frame, "fairness table")
    if probability is None:
        if model is None:
            raise ValueError("give a model or probabilities")
        p = model.predict_proba(frame)[:, 1]
        cut = float(1.0 - model.band_edges(len(NAMED_BANDS))[-1])
    else:
        p = np.asarray(probability, dtype=np.float64)
        cut = float(np.quantile(p, 1.0 / len(NAMED_BANDS)))
    far = p < cut if probability is None else p <= cut
    gen = np.random.default_rng(rng)
    names = available_characteristics(frame, tuple(characteristics))
    labels = {name: group_labels(frame, name) for name in names}
    sets: list[tuple[str, ...]] = [(n,) for n in names]
    if intersections:
        sets += list(combinations(names, 2))

    far_f = far.astype(np.float64)
    rows = []
    for combo in sets:
        cols = {c: labels[c].to_numpy(dtype=object) for c in combo}
        # One metric returning every number: fairlearn's per-call overhead is per element.
        mf = MetricFrame(
            metrics={"metrics": _group_metrics},
            y_true=y,
            y_pred=p,
            sensitive_features=pd.DataFrame(cols),
            sample_params={"metrics": {"flag": far_f}},
        )
        by = mf.by_group
        key_arr = cols[combo[0]].astype(str)
        for c in combo[1:]:
            key_arr = np.char.add(np.char.add(key_arr, " / "), cols[c].astype(str))
        for key in by.index:
            tup = key if isinstance(key, tuple) else (key,)
            label = " / ".join(str(k) for k in tup)
            values = by.loc[key, "metrics"]
            if not isinstance(values, dict):  # an empty intersection (fairlearn gives NaN)
                continue
            n = int(values["n"])
            m = key_arr == label
            yy, pp, ff = y[m], p[m], far_f[m]
            both = 0 < yy.sum() < len(yy)
            small = n < min_group_size
            boot = None if small else bootstrap_metrics(yy, pp, ff, n_boot=n_boot, rng=gen)
            point = values
            for metric in FAIRNESS_METRICS:
                j = BOOTSTRAP_METRICS.index(metric if metric != "furthest_band_share"
                                            else "flag_share")
                bad = small or (metric == "auc" and not both) or (
                    metric == "predictive_ratio" and yy.sum() == 0
                )
                if bad:
                    rows.append((" x ".join(combo), label, n, metric, np.nan, np.nan, np.nan,
                                 INSUFFICIENT))
                    continue
                assert boot is not None  # not small: bootstrapped above
                lo, hi = np.nanpercentile(boot[:, j], [2.5, 97.5])
                rows.append((" x ".join(combo), label, n, metric, point[metric], float(lo),
                             float(hi), "ok"))
    table = pd.DataFrame(
        rows,
        columns=["characteristic", "group", "n", "metric", "value", "lower", "upper", "status"],
    )
    overall = {
        "auc": _auc(y, p),
        "brier": _brier(y, p),
        "predictive_ratio": _pr(y, p),
        "furthest_band_share": float(far.mean()),
        "n": float(len(y)),
    }
    return FairnessReport(
        table=table,
        overall=overall,
        settings={
            "min_group_size": int(min_group_size),
            "n_boot": int(n_boot),
            "furthest_band_probability_below": cut,
            "characteristics": list(names),
            "intersections": bool(intersections),
        },
        provenance={
            "package_version": package_version(),
            "data_hash": frame_hash(frame),
            "model_training_hash": getattr(model, "training_hash_", "") if model else "",
            "rng": rng if isinstance(rng, int | None) else "Generator",
        },
    )
