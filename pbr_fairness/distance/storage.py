"""The distance model's file format: a directory of text files, never a pickle.

A model directory holds

- ``model.txt``: the trees in LightGBM's text format;
- ``calibration.json``: the calibration map (:class:`~.calibration.Calibrator`);
- ``preprocessing.json``: the features, their kinds and categories
  (:class:`~.features.FeatureSpec`), the linear start (:class:`~.linear.LinearInit`), the
  shifts per category of the offset feature, 1,001 quantiles of the training distance (the
  bands), provenance and the SHA-256 of ``model.txt``.

:func:`read_model_files` parses those files only: it never unpickles anything, refuses
files that are not the expected text or JSON, and checks ``model.txt`` against its stored
checksum. :func:`write_model_files` writes them. Both work on :class:`ModelFiles`, the parsed
contents, so that this module knows nothing of the estimator classes built from them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from pbr_fairness.distance.bands import NAMED_BANDS
from pbr_fairness.distance.calibration import Calibrator
from pbr_fairness.distance.features import FeatureSpec
from pbr_fairness.distance.linear import LinearInit
from pbr_fairness.distance.provenance import package_version
from pbr_fairness.errors import InputError, Problem

__all__ = [
    "BOOSTER_FILE",
    "CALIBRATION_FILE",
    "FORMAT_VERSION",
    "MODEL_FILES",
    "PREPROCESSING_FILE",
    "ModelFiles",
    "read_model_files",
    "write_model_files",
]

BOOSTER_FILE = "model.txt"
CALIBRATION_FILE = "calibration.json"
PREPROCESSING_FILE = "preprocessing.json"
#: The files of a model directory, in the order they are checked.
MODEL_FILES: tuple[str, ...] = (BOOSTER_FILE, CALIBRATION_FILE, PREPROCESSING_FILE)
FORMAT_VERSION = 2
_NOT_TEXT = "(pickles and other binary formats are never loaded)"


@dataclass(frozen=True)
class ModelFiles:
    """The parsed contents of a model directory.

    Attributes
    ----------
    booster : lightgbm.Booster
        The trees.
    calibrator : Calibrator
        Raw score to probability map.
    features : FeatureSpec
        Input columns, kinds and categories.
    linear : LinearInit
        The boosting's linear start.
    offset_feature : str or None
        Feature whose categories carry a log-odds shift.
    offsets : numpy.ndarray
        Shift per category code of ``offset_feature``, the last for missing or unseen.
    offset_shares : numpy.ndarray
        Training share of each entry of ``offsets``.
    distance_quantiles : numpy.ndarray
        Training distance at :data:`~pbr_fairness.distance.bands.QUANTILE_LEVELS`.
    n_train : int
        Training rows.
    base_rate : float
        Training outcome rate.
    training_hash : str
        Hash of the training features and target.
    calibration_scheme : str
        How the calibration was fitted.
    params : dict
        Settings of the model (numbers, text and ``None`` only).
    """

    booster: lgb.Booster
    calibrator: Calibrator
    features: FeatureSpec
    linear: LinearInit
    offset_feature: str | None
    offsets: NDArray[np.float64]
    offset_shares: NDArray[np.float64]
    distance_quantiles: NDArray[np.float64]
    n_train: int
    base_rate: float
    training_hash: str
    calibration_scheme: str
    params: dict[str, Any]


def write_model_files(files: ModelFiles, directory: str | Path) -> Path:
    """Write a model as text files into ``directory`` (created if needed).

    Parameters
    ----------
    files : ModelFiles
        What to write.
    directory : str or pathlib.Path
        Model directory.

    Returns
    -------
    pathlib.Path
        The directory.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    text = files.booster.model_to_string()
    (out / BOOSTER_FILE).write_text(text, encoding="utf-8")
    (out / CALIBRATION_FILE).write_text(
        json.dumps(files.calibrator.to_dict(), indent=1) + "\n", encoding="utf-8"
    )
    pre = {
        "format": "pbr-fairness distance model",
        "format_version": FORMAT_VERSION,
        "package_version": package_version(),
        "features": files.features.to_dict(),
        "distance_quantiles": [float(v) for v in files.distance_quantiles],
        "named_bands": list(NAMED_BANDS),
        "n_train": int(files.n_train),
        "base_rate": float(files.base_rate),
        "training_hash": files.training_hash,
        "calibration_scheme": files.calibration_scheme,
        "linear": files.linear.to_dict(),
        "offset_feature": files.offset_feature,
        "offsets": [float(v) for v in files.offsets],
        "offset_shares": [float(v) for v in files.offset_shares],
        "params": files.params,
        "model_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    (out / PREPROCESSING_FILE).write_text(json.dumps(pre, indent=1) + "\n", encoding="utf-8")
    return out


def _read_json(d: Path, name: str) -> dict[str, Any]:
    raw = (d / name).read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(
            [Problem(f"is not a JSON text file {_NOT_TEXT}", column=name)], source=str(d)
        ) from None
    if not isinstance(data, dict):
        raise InputError([Problem("must hold a JSON object", column=name)], source=str(d))
    return data


def _read_booster_text(d: Path) -> tuple[str, bytes]:
    raw = (d / BOOSTER_FILE).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if not text.startswith("tree\n") or "version=" not in text[:200]:
        raise InputError(
            [Problem(f"is not a LightGBM text model {_NOT_TEXT}", column=BOOSTER_FILE)],
            source=str(d),
        )
    return text, raw


def _check_offsets(
    pre: dict[str, Any], spec: FeatureSpec, src: str
) -> tuple[str | None, NDArray[np.float64], NDArray[np.float64]]:
    """Return the offset feature, its shifts and their shares, checked against the features."""
    offset_feature = pre.get("offset_feature")
    offsets = np.asarray(pre.get("offsets", []), dtype=np.float64)
    expected = (
        1 if offset_feature is None
        else len(spec.categories.get(str(offset_feature), ())) + 1
    )
    if (
        offset_feature is not None and offset_feature not in spec.categories
    ) or offsets.shape != (expected,) or not np.all(np.isfinite(offsets)):
        raise InputError(
            [Problem(f"offsets must be {expected} finite numbers for offset_feature"
                     f" {offset_feature!r}", column=PREPROCESSING_FILE)],
            source=src,
        )
    shares = np.asarray(pre.get("offset_shares", []), dtype=np.float64)
    if shares.shape != offsets.shape:
        shares = np.full(len(offsets), 1 / len(offsets))
    return (None if offset_feature is None else str(offset_feature)), offsets, shares


def read_model_files(directory: str | Path) -> ModelFiles:
    """Read and check a model directory written by :func:`write_model_files`.

    Never unpickles anything.

    Parameters
    ----------
    directory : str or pathlib.Path
        Model directory.

    Returns
    -------
    ModelFiles

    Raises
    ------
    InputError
        If a file is missing, is not the expected text/JSON (for example a pickle), or the
        booster does not match its stored checksum or the feature description.
    """
    d = Path(directory)
    src = str(d)
    if not d.is_dir():
        raise InputError([Problem("model directory does not exist")], source=src)
    missing = [f for f in MODEL_FILES if not (d / f).is_file()]
    if missing:
        raise InputError(
            [Problem(f"model file {f} is missing", column=f) for f in missing], source=src
        )
    text, raw = _read_booster_text(d)
    pre = _read_json(d, PREPROCESSING_FILE)
    cal = _read_json(d, CALIBRATION_FILE)
    if pre.get("format_version") != FORMAT_VERSION:
        raise InputError(
            [Problem(f"format_version {pre.get('format_version')!r} is not supported"
                     f" (expected {FORMAT_VERSION})", column=PREPROCESSING_FILE)],
            source=src,
        )
    if pre.get("model_sha256") != hashlib.sha256(raw).hexdigest():
        raise InputError(
            [Problem("checksum does not match preprocessing.json (file changed or from"
                     " another model)", column=BOOSTER_FILE)],
            source=src,
        )
    spec = FeatureSpec.from_dict(pre.get("features", {}), source=f"{src}/{PREPROCESSING_FILE}")
    calibrator = Calibrator.from_dict(cal, source=src)
    try:
        booster = lgb.Booster(model_str=text)
    except Exception as exc:  # LightGBMError on a malformed text model
        raise InputError(
            [Problem(f"LightGBM could not read it: {exc}", column=BOOSTER_FILE)], source=src
        ) from None
    if booster.num_feature() != len(spec.names):
        raise InputError(
            [Problem(f"booster has {booster.num_feature()} features, the description"
                     f" {len(spec.names)}", column=BOOSTER_FILE)],
            source=src,
        )
    quantiles = np.asarray(pre.get("distance_quantiles", []), dtype=np.float64)
    if quantiles.ndim != 1 or len(quantiles) < 2 or np.any(np.diff(quantiles) < 0):
        raise InputError(
            [Problem("distance_quantiles must be a non-decreasing list",
                     column=PREPROCESSING_FILE)],
            source=src,
        )
    offset_feature, offsets, shares = _check_offsets(pre, spec, src)
    params = pre.get("params", {})
    return ModelFiles(
        booster=booster,
        calibrator=calibrator,
        features=spec,
        linear=LinearInit.from_dict(pre.get("linear", {}), spec.n_categories, source=src),
        offset_feature=offset_feature,
        offsets=offsets,
        offset_shares=shares,
        distance_quantiles=quantiles,
        n_train=int(pre.get("n_train", 0)),
        base_rate=float(pre.get("base_rate", np.nan)),
        training_hash=str(pre.get("training_hash", "")),
        calibration_scheme=str(pre.get("calibration_scheme", "")),
        params=dict(params) if isinstance(params, dict) else {},
    )
