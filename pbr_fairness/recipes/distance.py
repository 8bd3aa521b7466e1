"""The distance-model page's recipe: how good the model is, in words, and whom it fails.

Everything the page shows is computed here from the library's public distance-model API:
the accuracy against the best possible (:func:`accuracy_table`, with each predictor named
in words), each accuracy check with its verdict (:func:`accuracy_checks`), calibration within
every group with a 95% interval and the groups that fail named (:func:`group_calibration`,
:func:`failing_groups`), the model's inputs with the protected characteristics marked
(:func:`model_inputs`), and the calibration curve by a characteristic.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pbr_fairness.caseload.schema import COLUMNS, PROTECTED_CHARACTERISTICS
from pbr_fairness.distance import (
    DistanceEvaluation,
    calibration_table,
    evaluate_distance_model,
    fairness_report,
    group_labels,
)
from pbr_fairness.labels import format_value

__all__ = [
    "CHARACTERISTICS",
    "PREDICTORS",
    "accuracy_checks",
    "accuracy_table",
    "calibration_by",
    "failing_groups",
    "fairness_table",
    "group_calibration",
    "model_evaluation",
    "model_inputs",
    "predicted_chances",
]

#: Groupings of the calibration view, in words.
CHARACTERISTICS: dict[str, str] = {
    "all": "Everyone",
    "payment_group": "Payment group",
    "sex": "Sex",
    "age_band": "Age band",
    "disability": "Disability",
    "ethnicity": "Ethnicity",
}

#: The predictors the model is compared with, in words.
PREDICTORS: dict[str, str] = {
    "model": "The model",
    "oracle": "Best possible from the same characteristics (the oracle)",
    "full_truth": "Knowing everything, even what is not recorded (not reachable)",
    "logistic_baseline": "A simple logistic regression",
}

_CHECK_WORDS: tuple[tuple[str, str], ...] = (
    ("AUC / oracle AUC", "Ranks people nearly as well as the best possible (AUC)"),
    ("Brier / oracle Brier", "Predicts nearly as accurately as the best possible (Brier score)"),
    ("ECE", "Predicted chances match observed rates overall (calibration error)"),
    ("worst group predictive ratio", "Calibrated within every group checked"),
    ("worst group ratio to truth", "Close to the true chances within every group"),
    ("groups where even the oracle", "Groups where even the best possible misses (noise)"),
)

_PROTECTED_INPUTS = {*PROTECTED_CHARACTERISTICS, "age"}
_DESCRIPTIONS = {c.name: c.description for c in COLUMNS}


def model_evaluation(model: Any, caseload: pd.DataFrame) -> DistanceEvaluation:
    """Score a model on held-out people against the truth and a logistic baseline."""
    return evaluate_distance_model(model, caseload)


def accuracy_table(evaluation: DistanceEvaluation) -> pd.DataFrame:
    """Return the overall accuracy of each predictor, with the predictor in words.

    Returns
    -------
    pandas.DataFrame
        ``predictor`` (in words), ``auc``, ``brier``, ``ece``, ``mean_predicted``,
        ``observed_rate``, ``n``.
    """
    overall = evaluation.overall.reset_index(names="predictor")
    overall["predictor"] = [PREDICTORS.get(str(p), str(p)) for p in overall["predictor"]]
    return overall


def accuracy_checks(evaluation: DistanceEvaluation) -> pd.DataFrame:
    """Each accuracy check in words with its value, its target and whether it passed.

    Returns
    -------
    pandas.DataFrame
        ``check`` (in words), ``detail`` (the library's criterion), ``value``, ``target``,
        ``passed``.
    """
    rows = []
    for r in evaluation.targets.to_dict("records"):
        criterion = str(r["criterion"])
        words = next((w for k, w in _CHECK_WORDS if criterion.startswith(k)), criterion)
        rows.append(
            {
                "check": words,
                "detail": criterion,
                "value": r["value"],
                "target": r["target"],
                "passed": bool(r["passed"]),
            }
        )
    return pd.DataFrame(rows, columns=["check", "detail", "value", "target", "passed"])


def group_calibration(evaluation: DistanceEvaluation) -> pd.DataFrame:
    """Calibration within every group: predicted / observed with its 95% interval.

    The interval is the evaluation's (from the observed count's exact interval); a group is
    miscalibrated beyond noise when it excludes 1.

    Returns
    -------
    pandas.DataFrame
        The evaluation's groups with ``ratio_low`` and ``ratio_high`` added.
    """
    g = evaluation.groups.copy()
    if "ratio_ci_low" in g.columns:  # the evaluation's exact interval
        g["ratio_low"], g["ratio_high"] = g["ratio_ci_low"], g["ratio_ci_high"]
        return g
    se = pd.to_numeric(g["noise_se"], errors="coerce").to_numpy(dtype=float)
    ratio = pd.to_numeric(g["predictive_ratio"], errors="coerce").to_numpy(dtype=float)
    g["ratio_low"] = np.maximum(ratio - 1.96 * se, 0.0)
    g["ratio_high"] = ratio + 1.96 * se
    return g


def failing_groups(evaluation: DistanceEvaluation) -> list[str]:
    """Name each checked group the model is not calibrated in, with its figures.

    Returns
    -------
    list of str
        E.g. ``"disability = yes: predicted / observed 1.08 (0.95 to 1.22), 1,163 people"``;
        empty when every checked group is within the target.
    """
    g = group_calibration(evaluation)
    bad = g[g["checked"].astype(bool) & ~g["within_target"].astype(bool)]
    out = []
    for r in bad.to_dict("records"):
        out.append(
            f"{r['characteristic'].replace('_', ' ')} = {r['group']}: predicted / observed "
            f"{format_value('predictive_ratio', r['predictive_ratio'])} "
            f"({format_value('predictive_ratio', r['ratio_low'])} to "
            f"{format_value('predictive_ratio', r['ratio_high'])}), "
            f"{format_value('n', r['n'])} people"
        )
    return out


def model_inputs(model: Any) -> pd.DataFrame:
    """List the model's inputs, marking the protected characteristics.

    Returns
    -------
    pandas.DataFrame
        ``input``, ``kind``, ``protected`` (bool), ``description``.
    """
    spec = getattr(model, "features_", None)
    names = list(getattr(spec, "names", ()) or getattr(model, "feature_names_in_", ()))
    kinds = list(getattr(spec, "kinds", ()) or ["" for _ in names])
    return pd.DataFrame(
        {
            "input": names,
            "kind": kinds,
            "protected": [n in _PROTECTED_INPUTS for n in names],
            "description": [_DESCRIPTIONS.get(n, "") for n in names],
        }
    )


def calibration_by(model: Any, caseload: pd.DataFrame, characteristic: str) -> pd.DataFrame:
    """Calibration table (predicted against observed, 10 bins) overall or by a grouping."""
    p = np.asarray(model.predict_proba(caseload)[:, 1], dtype=float)
    groups = None if characteristic == "all" else group_labels(caseload, characteristic)
    return calibration_table(caseload["job_outcome"], p, groups=groups, n_bins=10)


def fairness_table(model: Any, caseload: pd.DataFrame, *, rng: int = 20110601) -> pd.DataFrame:
    """Return the model's fairness metrics by characteristic with bootstrap intervals."""
    return fairness_report(model, caseload, rng=rng).display_table()


def predicted_chances(model: Any, caseload: pd.DataFrame) -> np.ndarray:
    """Return the model's predicted chance of a job outcome for each person."""
    return np.asarray(model.predict_proba(caseload)[:, 1], dtype=float)
