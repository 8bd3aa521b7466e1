"""Distance from employment: a calibrated LightGBM model of the chance of a job outcome.

Public API
----------
DistanceClassifier
    The core: a scikit-learn binary classifier for any array or table (LightGBM boosted
    from a main-effects logistic regression, calibrated, with shrunk per-category shifts);
    passes scikit-learn's estimator checks.
DistanceModel
    The caseload-aware layer over it (schema features, ``predict_distance``,
    ``predict_band``, ``predict_band_name``, ``band_labels``), saved as text files
    (``save``/``load``, :mod:`~pbr_fairness.distance.storage`), never pickled.
band_label, band_table
    Bands labelled with their range of predicted chance; band 1 is furthest from work.
predict_probability
    Calibrated probabilities from a model or a model directory.
load_default_model, train_default_model
    The shipped model in ``models/default`` (loaded once per process) and its recipe.
load_pricing_model, train_pricing_model, PRICING_EXCLUDED
    The model tariffs are priced on (``models/pricing``): the same recipe without sex and
    ethnicity (Equality Act 2010, s.13).
evaluate_distance_model
    Accuracy against the synthetic truth and a logistic baseline.
explain, shap_group_differences
    SHAP explanations in percentage points and plain sentences.
fairness_report
    fairlearn ``MetricFrame`` over protected characteristics with bootstrap intervals.
"""

from __future__ import annotations

from pbr_fairness.distance.bands import (
    NAMED_BANDS,
    assign_bands,
    band_edges_from_quantiles,
    band_label,
    band_table,
    named_bands,
)
from pbr_fairness.distance.calibration import Calibrator, fit_calibrator
from pbr_fairness.distance.card import build_model_card, render_model_card, write_model_card
from pbr_fairness.distance.classifier import DistanceClassifier
from pbr_fairness.distance.default import (
    DEFAULT_MODEL_DIR,
    DEFAULT_SEED,
    DefaultModelResult,
    default_model_dir,
    load_default_model,
    train_default_model,
)
from pbr_fairness.distance.evaluation import (
    AccuracyTargets,
    DistanceEvaluation,
    evaluate_distance_model,
    fit_logistic_baseline,
)
from pbr_fairness.distance.explanations import (
    Explanation,
    describe_contribution,
    explain,
    shap_group_differences,
)
from pbr_fairness.distance.fairness import INSUFFICIENT, FairnessReport, fairness_report
from pbr_fairness.distance.features import DEFAULT_FEATURES, FeatureSpec, infer_feature_spec
from pbr_fairness.distance.groups import group_labels
from pbr_fairness.distance.metrics import (
    bootstrap_metrics,
    brier_score,
    calibration_table,
    expected_calibration_error,
    predictive_ratio,
    roc_auc,
)
from pbr_fairness.distance.model import DistanceModel, predict_probability
from pbr_fairness.distance.pricing import (
    PRICING_EXCLUDED,
    PRICING_MODEL_DIR,
    PRICING_MODEL_FEATURES,
    excluded_inputs,
    load_pricing_model,
    train_pricing_model,
)
from pbr_fairness.distance.provenance import frame_hash

__all__ = [
    "DEFAULT_FEATURES",
    "DEFAULT_MODEL_DIR",
    "DEFAULT_SEED",
    "INSUFFICIENT",
    "NAMED_BANDS",
    "PRICING_EXCLUDED",
    "PRICING_MODEL_DIR",
    "PRICING_MODEL_FEATURES",
    "AccuracyTargets",
    "Calibrator",
    "DefaultModelResult",
    "DistanceClassifier",
    "DistanceEvaluation",
    "DistanceModel",
    "Explanation",
    "FairnessReport",
    "FeatureSpec",
    "assign_bands",
    "band_edges_from_quantiles",
    "band_label",
    "band_table",
    "bootstrap_metrics",
    "brier_score",
    "build_model_card",
    "calibration_table",
    "default_model_dir",
    "describe_contribution",
    "evaluate_distance_model",
    "excluded_inputs",
    "expected_calibration_error",
    "explain",
    "fairness_report",
    "fit_calibrator",
    "fit_logistic_baseline",
    "frame_hash",
    "group_labels",
    "infer_feature_spec",
    "load_default_model",
    "load_pricing_model",
    "named_bands",
    "predict_probability",
    "predictive_ratio",
    "render_model_card",
    "roc_auc",
    "shap_group_differences",
    "train_default_model",
    "train_pricing_model",
    "write_model_card",
]
