"""Distance from employment: a calibrated LightGBM model of the chance of a job outcome.

Public API
----------
DistanceModel
    scikit-learn classifier (``fit``, ``predict_proba``, ``predict_distance``,
    ``predict_band``), saved as text files (``save``/``load``), never pickled.
predict_probability
    Calibrated probabilities from a model or a model directory.
"""

from __future__ import annotations

from pbr_fairness.distance.bands import NAMED_BANDS, assign_bands, band_edges_from_quantiles
from pbr_fairness.distance.calibration import Calibrator, fit_calibrator
from pbr_fairness.distance.features import DEFAULT_FEATURES, FeatureSpec, infer_feature_spec
from pbr_fairness.distance.model import DistanceModel, frame_hash, predict_probability

__all__ = [
    "DEFAULT_FEATURES",
    "NAMED_BANDS",
    "Calibrator",
    "DistanceModel",
    "FeatureSpec",
    "assign_bands",
    "band_edges_from_quantiles",
    "fit_calibrator",
    "frame_hash",
    "infer_feature_spec",
    "predict_probability",
]
