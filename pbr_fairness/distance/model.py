"""The distance-from-employment model: the caseload-aware layer over :class:`DistanceClassifier`.

:class:`DistanceModel` is what the rest of the package uses. It reads a caseload (or any
table), picks the model's features (by default ``payment_group`` and the schema's
characteristics known at referral), encodes them (:class:`~.features.FeatureSpec`: schema
kinds and category order, text such as ``"yes"``/``"no"``, unseen categories as missing),
and hands the typed table to the generic core,
:class:`~pbr_fairness.distance.classifier.DistanceClassifier`: LightGBM boosted from a
main-effects logistic regression, Platt-calibrated, with shrunk log-odds shifts per payment
group. On top it gives the distance (``1 - probability``), the bands of the training
distribution (:mod:`pbr_fairness.distance.bands`; band 1 = furthest from work) and the
inputs of the model card.

Saved models are a directory of text files (:mod:`pbr_fairness.distance.storage`): loading
never unpickles anything.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import Tags
from sklearn.utils.validation import check_is_fitted

from pbr_fairness.distance.bands import (
    NAMED_BANDS,
    QUANTILE_LEVELS,
    assign_bands,
    band_edges_from_quantiles,
    band_table,
    named_bands,
)
from pbr_fairness.distance.calibration import CalibrationMethod, Calibrator
from pbr_fairness.distance.classifier import DistanceClassifier
from pbr_fairness.distance.features import FeatureSpec, infer_feature_spec
from pbr_fairness.distance.linear import LinearInit
from pbr_fairness.distance.provenance import frame_hash, package_version
from pbr_fairness.distance.storage import (
    BOOSTER_FILE,
    CALIBRATION_FILE,
    FORMAT_VERSION,
    PREPROCESSING_FILE,
    ModelFiles,
    read_model_files,
    write_model_files,
)
from pbr_fairness.errors import InputError, Problem

__all__ = [
    "BOOSTER_FILE",
    "CALIBRATION_FILE",
    "FORMAT_VERSION",
    "PREPROCESSING_FILE",
    "DistanceModel",
    "frame_hash",
    "package_version",
    "predict_probability",
]

logger = logging.getLogger(__name__)

#: Fewest rows :meth:`DistanceModel.fit` trains on.
MIN_TRAINING_ROWS = 20


def _as_frame(X: Any) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise InputError([Problem(f"X must be a table (2-D), got shape {arr.shape}")])
    return pd.DataFrame(arr, columns=[f"x{j}" for j in range(arr.shape[1])])


def _as_target(y: Any, frame: pd.DataFrame, source: str | None) -> NDArray[np.float64]:
    name = "target"
    if isinstance(y, str):
        if y not in frame.columns:
            raise InputError([Problem("target column is missing", column=y)], source=source)
        name, y = y, frame[y]
    s = pd.Series(np.asarray(y) if not isinstance(y, pd.Series) else y.to_numpy())
    if len(s) != len(frame):
        raise InputError(
            [Problem(f"target has {len(s)} values for {len(frame)} rows", column=name)],
            source=source,
        )
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        t = s.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        text = s.astype("string").str.strip().str.lower()
        t = np.full(len(s), np.nan)
        t[text.isin({"1", "true", "yes", "y", "1.0"}).to_numpy(dtype=bool, na_value=False)] = 1
        t[text.isin({"0", "false", "no", "n", "0.0"}).to_numpy(dtype=bool, na_value=False)] = 0
        unreadable = np.isnan(t) & s.notna().to_numpy()
        t[unreadable] = -1.0
    bad = ~np.isnan(t) & (t != 0.0) & (t != 1.0)
    problems = []
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        problems.append(
            Problem(
                f"{int(bad.sum())} target value(s) are not 0/1 (first: {s.iloc[row - 1]!r})",
                row=row,
                column=name,
            )
        )
    if np.isnan(t).any():
        row = int(np.flatnonzero(np.isnan(t))[0]) + 1
        problems.append(
            Problem(f"{int(np.isnan(t).sum())} target value(s) are missing", row=row, column=name)
        )
    if not problems and len(np.unique(t)) < 2:
        problems.append(Problem("target holds only one class; need both 0 and 1", column=name))
    if problems:
        raise InputError(problems, source=source)
    return t



class DistanceModel(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM model of the chance of a job outcome from referral characteristics.

    A thin, caseload-aware layer over
    :class:`~pbr_fairness.distance.classifier.DistanceClassifier` (the scikit-learn
    estimator that takes any array or table): it chooses and encodes the features, shifts
    each payment group, and adds distances, bands and storage.

    Parameters
    ----------
    features : sequence of str, optional
        Input columns. Default: ``payment_group`` and the schema's characteristics known at
        referral (:data:`pbr_fairness.caseload.schema.FEATURE_COLUMNS`) present in ``X``.
        These are the only columns the model reads.
    calibration : {"isotonic", "platt", "none"}, default "platt"
        Map from the booster's score to a probability (:mod:`.calibration`), fitted on
        scores of people the trees did not see. Platt scaling is the default: log-loss
        boosting is already close to calibrated, and isotonic regression, fitted on few
        outcomes in the low tail, flattens the chances of the groups furthest from work.
        After it, each category of ``offset`` gets a shift of its log-odds so that its
        mean prediction on the training table equals its outcome rate (shrunk for groups
        with few outcomes).
    cv : "auto", None or int, default "auto"
        ``None``: hold out ``calibration_fraction`` of the table to calibrate (and to stop
        boosting early); an integer ``k >= 2``: cross-fit, calibrating on ``k``-fold
        out-of-fold scores and refitting the booster on all rows; ``"auto"``: cross-fit with
        5 folds below 20,000 rows, hold out otherwise.
    calibration_fraction : float, default 0.2
        Share of rows held out when not cross-fitting.
    n_estimators : int, default 600
        Most boosting rounds; early stopping on held-out log-loss picks fewer.
    learning_rate : float, default 0.1
        Boosting learning rate.
    num_leaves : int, default 15
        Leaves per tree.
    max_depth : int, default 5
        Deepest tree (``-1``: no limit). Shallow trees predict faster, and the synthetic
        outcome needs no deep interactions.
    min_child_samples : int, optional
        Fewest people in a leaf. Default: ``n // 200`` clipped to ``[10, 200]``.
    early_stopping_rounds : int, default 30
        Rounds without improvement before boosting stops.
    offset : str or None, default "auto"
        Categorical feature whose categories each get a final log-odds shift so that their
        mean prediction on the training table equals their outcome rate (shrunk for
        categories with few outcomes); ``"auto"`` uses ``payment_group`` when it is a
        feature (tariffs are priced per payment group).
    linear_start : bool, default True
        Start the boosting from a main-effects logistic regression
        (:mod:`~pbr_fairness.distance.linear`; LightGBM's ``init_score``) rather than the
        overall rate. Boosting on log-loss otherwise under-fits small groups far from work,
        whose gradients rarely win a split.
    n_jobs : int, optional
        Threads used by LightGBM. Default: 1. On a shared machine OpenMP threads that wait
        for a core spin: with other work running, two threads made fitting 200,000 rows
        4-5 times slower than one (measured on the project's 2-core machine).
    rng : numpy.random.Generator, int or None
        Source of randomness (splits, folds, booster seed).

    Attributes
    ----------
    classifier_ : DistanceClassifier
        The fitted core, trained on the encoded features.
    features_ : FeatureSpec
        Input columns, kinds and categories.
    feature_names_in_ : numpy.ndarray
        Names of the input columns.
    n_features_in_ : int
        Number of input columns.
    classes_ : numpy.ndarray
        ``[0, 1]``.
    booster_ : lightgbm.Booster
        The trees; raw score = linear start + trees + group shift (log-odds).
    linear_ : LinearInit
        The linear start.
    offset_feature_ : str or None
        Feature whose categories carry a shift.
    offsets_ : numpy.ndarray
        Log-odds shift per category code of ``offset_feature_``; the last entry is for
        missing or unseen values.
    offset_shares_ : numpy.ndarray
        Training share of each entry of ``offsets_`` (the SHAP reference for the offset).
    calibrator_ : Calibrator
        Score to probability map.
    calibration_scheme_ : str
        How the calibration was fitted (held out or cross-fitted).
    best_iteration_ : int
        Number of trees.
    distance_quantiles_ : numpy.ndarray
        Training distance at :data:`~pbr_fairness.distance.bands.QUANTILE_LEVELS`.
    n_train_ : int
        Rows used.
    training_hash_ : str
        Hash of the features and target used.
    base_rate_ : float
        Training outcome rate.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"age": rng.integers(16, 70, 600), "sex": rng.choice(["F", "M"], 600)})
    >>> y = (rng.random(600) < 0.6 - X["age"] / 140).astype(int)
    >>> model = DistanceModel(n_estimators=50, rng=0).fit(X, y)
    >>> model.predict_proba(X).shape
    (600, 2)
    >>> bands = model.predict_band(X)  # band 1 = furthest from work
    >>> bool(model.predict_distance(X)[bands == 1].min() >= model.band_edges(10)[-1])
    True
    >>> model.band_labels(5)[0].startswith("Band 1 (furthest from work): chance below")
    True
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        *,
        calibration: CalibrationMethod = "platt",
        cv: Literal["auto"] | int | None = "auto",
        calibration_fraction: float = 0.2,
        n_estimators: int = 600,
        learning_rate: float = 0.1,
        num_leaves: int = 15,
        max_depth: int = 5,
        min_child_samples: int | None = None,
        early_stopping_rounds: int = 30,
        offset: str | None = "auto",
        linear_start: bool = True,
        n_jobs: int | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.features = features
        self.calibration = calibration
        self.cv = cv
        self.calibration_fraction = calibration_fraction
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_child_samples = min_child_samples
        self.early_stopping_rounds = early_stopping_rounds
        self.offset = offset
        self.linear_start = linear_start
        self.n_jobs = n_jobs
        self.rng = rng

    def __sklearn_tags__(self) -> Tags:
        """Binary classification only; missing values allowed."""
        tags = super().__sklearn_tags__()
        assert tags.classifier_tags is not None
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        return tags

    # ------------------------------------------------------------------ the core
    def _classifier(self, offset: str | None) -> DistanceClassifier:
        """Return the unfitted core with this model's settings."""
        return DistanceClassifier(
            categorical_features="from_dtype",
            calibration=self.calibration,
            cv=self.cv,
            calibration_fraction=self.calibration_fraction,
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            max_depth=self.max_depth,
            min_child_samples=self.min_child_samples,
            early_stopping_rounds=self.early_stopping_rounds,
            offset=offset,
            linear_start=self.linear_start,
            n_jobs=self.n_jobs,
            rng=self.rng,
        )

    def _offset_name(self, spec: FeatureSpec) -> str | None:
        if self.offset == "auto":
            return "payment_group" if "payment_group" in spec.names else None
        return self.offset

    @property
    def booster_(self) -> Any:
        """The trees (``lightgbm.Booster``) of the fitted core."""
        return self.classifier_.booster_

    @property
    def linear_(self) -> LinearInit:
        """The boosting's linear start."""
        return self.classifier_.linear_

    @property
    def calibrator_(self) -> Calibrator:
        """Raw score to probability map."""
        return self.classifier_.calibrator_

    @property
    def offsets_(self) -> NDArray[np.float64]:
        """Log-odds shift per category code of :attr:`offset_feature_`, last for missing."""
        return self.classifier_.offsets_

    @property
    def offset_shares_(self) -> NDArray[np.float64]:
        """Training share of each entry of :attr:`offsets_`."""
        return self.classifier_.offset_shares_

    @property
    def offset_feature_(self) -> str | None:
        """Feature whose categories carry a log-odds shift, or ``None``."""
        col = self.classifier_.offset_index_
        return None if col is None else self.features_.names[col]

    @property
    def calibration_scheme_(self) -> str:
        """How the calibration was fitted (held out or cross-fitted)."""
        return str(self.classifier_.calibration_scheme_)

    @property
    def best_iteration_(self) -> int:
        """Number of trees."""
        return int(self.classifier_.best_iteration_)

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Any, y: Any, *, source: str | None = None) -> DistanceModel:
        """Choose and encode the features, then fit the core classifier on them.

        Parameters
        ----------
        X : pandas.DataFrame
            Training table; only the feature columns are read.
        y : array-like or str
            0/1 job outcomes (``True/False`` and ``yes/no`` are accepted), or the name of a
            column of ``X`` holding them.
        source : str, optional
            Name of the table, used in error messages.

        Returns
        -------
        DistanceModel
            ``self``.

        Raises
        ------
        InputError
            If features or target are missing or malformed, or settings are invalid.
        """
        frame = _as_frame(X)
        target = _as_target(y, frame, source)
        n = len(frame)
        problems = self._classifier(None)._parameter_problems()
        if n < MIN_TRAINING_ROWS:
            problems.append(Problem(f"need at least {MIN_TRAINING_ROWS} rows to train, got {n}"))
        if problems:
            raise InputError(problems)
        spec = infer_feature_spec(frame, self.features, source=source,
                                  target=y if isinstance(y, str) else None)
        Xm = spec.encode(frame, source=source)
        core = self._classifier(self._offset_name(spec))
        core.fit(spec.to_frame(Xm), target.astype(np.int64))
        self.classifier_ = core
        self.features_ = spec
        self.feature_names_in_ = np.asarray(spec.names, dtype=object)
        self.n_features_in_ = len(spec.names)
        self.classes_ = np.array([0, 1])
        self.n_train_ = n
        self.base_rate_ = float(target.mean())
        self.training_hash_ = frame_hash(
            pd.concat([frame[list(spec.names)], pd.Series(target, name="__target__",
                                                          index=frame.index)], axis=1)
        )
        p_train = core._probability(Xm)
        self.distance_quantiles_ = np.quantile(1.0 - p_train, QUANTILE_LEVELS)
        logger.info(
            "trained distance model on %d rows, %d features, %d trees, calibration %s %s",
            n, len(spec.names), self.best_iteration_, core.calibrator_.method,
            core.calibration_scheme_,
        )
        return self

    # --------------------------------------------------------------- prediction
    def _encode(self, X: Any, source: str | None = None) -> NDArray[np.float64]:
        check_is_fitted(self, ["classifier_", "features_"])
        return self.features_.encode(_as_frame(X), source=source)

    def _offset_index(self) -> int | None:
        index: int | None = self.classifier_.offset_index_
        return index

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Return the raw score: group offset plus trees (log-odds before calibration)."""
        Xm = self._encode(X)
        return self.classifier_._raw_score(Xm)

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Return calibrated probabilities, shape ``(n, 2)``: no job outcome, job outcome."""
        Xm = self._encode(X)
        p = self.classifier_._probability(Xm)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> NDArray[np.int64]:
        """Return 1 where the chance of a job outcome is at least one half, else 0."""
        out: NDArray[np.int64] = (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)
        return out

    def predict_distance(self, X: Any) -> NDArray[np.float64]:
        """Return the distance from employment, ``1 - probability of a job outcome``."""
        out: NDArray[np.float64] = self.predict_proba(X)[:, 0]
        return out

    # -------------------------------------------------------------------- bands
    def band_edges(self, n_bands: int = 10) -> NDArray[np.float64]:
        """Return the interior cut-points (on distance) of ``n_bands`` equal-share bands.

        Parameters
        ----------
        n_bands : int, default 10
            Number of bands; each holds ``1 / n_bands`` of the training population.

        Returns
        -------
        numpy.ndarray
            ``n_bands - 1`` non-decreasing distances; see
            :func:`~pbr_fairness.distance.bands.band_edges_from_quantiles`.
        """
        check_is_fitted(self, ["distance_quantiles_"])
        return band_edges_from_quantiles(self.distance_quantiles_, n_bands)

    def predict_band(self, X: Any, n_bands: int = 10) -> NDArray[np.int64]:
        """Return each person's band ``1..n_bands`` (1 = furthest from work).

        Bands are equal-share bands of the training distribution (deciles by default).
        """
        return assign_bands(self.predict_distance(X), self.band_edges(n_bands))

    def predict_band_name(self, X: Any) -> NDArray[np.object_]:
        """Return each person's named band (:data:`~pbr_fairness.distance.bands.NAMED_BANDS`)."""
        return named_bands(self.predict_band(X, n_bands=len(NAMED_BANDS)))

    def band_table(self, n_bands: int = 10) -> pd.DataFrame:
        """Return the ``n_bands`` bands with their labels and ranges of chance and distance.

        See :func:`~pbr_fairness.distance.bands.band_table`; band 1 is furthest from work.
        """
        return band_table(self.band_edges(n_bands))

    def band_labels(self, n_bands: int = 10) -> tuple[str, ...]:
        """Return a label per band, e.g. "Band 1 (furthest from work): chance below 12%"."""
        return tuple(self.band_table(n_bands)["label"])

    def named_band_table(self) -> pd.DataFrame:
        """Return the named bands (furthest from work first) with labels and cut-points.

        Columns: ``band`` (name), ``number`` (1 = furthest from work), ``label``,
        ``distance_from``, ``distance_to``, ``probability_from``, ``probability_to``.
        """
        t = band_table(self.band_edges(len(NAMED_BANDS)), NAMED_BANDS)
        return pd.DataFrame(
            {
                "band": list(NAMED_BANDS),
                "number": t["band"].to_numpy(),
                "label": t["label"].to_numpy(),
                "distance_from": t["distance_from"].to_numpy(),
                "distance_to": t["distance_to"].to_numpy(),
                "probability_from": t["probability_from"].to_numpy(),
                "probability_to": t["probability_to"].to_numpy(),
            }
        )

    # ----------------------------------------------------------------- storage
    def _storable_params(self) -> dict[str, Any]:
        return {
            k: v for k, v in self.get_params().items()
            if k != "rng" and (v is None or isinstance(v, (int, float, str, list, tuple)))
        }

    def save(self, directory: str | Path) -> Path:
        """Write the model as text files into ``directory`` (created if needed).

        Files: ``model.txt`` (LightGBM text format), ``calibration.json`` and
        ``preprocessing.json`` (features, categories, band quantiles, checksum of
        ``model.txt``); see :mod:`pbr_fairness.distance.storage`. Nothing is pickled.

        Returns
        -------
        pathlib.Path
            The directory.
        """
        check_is_fitted(self, ["classifier_"])
        files = ModelFiles(
            booster=self.booster_,
            calibrator=self.calibrator_,
            features=self.features_,
            linear=self.linear_,
            offset_feature=self.offset_feature_,
            offsets=self.offsets_,
            offset_shares=self.offset_shares_,
            distance_quantiles=self.distance_quantiles_,
            n_train=self.n_train_,
            base_rate=self.base_rate_,
            training_hash=self.training_hash_,
            calibration_scheme=self.calibration_scheme_,
            params=self._storable_params(),
        )
        return write_model_files(files, directory)

    @classmethod
    def load(cls, directory: str | Path) -> DistanceModel:
        """Read a model written by :meth:`save`. Never unpickles anything.

        Parameters
        ----------
        directory : str or pathlib.Path
            Model directory.

        Returns
        -------
        DistanceModel

        Raises
        ------
        InputError
            If a file is missing, is not the expected text/JSON (for example a pickle), or
            the booster does not match its stored checksum, or a description file was edited
            so that the model cannot be used (checked by predicting one made-up person).
        """
        try:
            model = cls._load_files(directory)
            spec = model.features_
            row = {
                name: (0.0 if kind == "numeric" else False if kind == "boolean"
                       else (spec.categories.get(name) or ("",))[0])
                for name, kind in zip(spec.names, spec.kinds, strict=True)
            }
            probability = model.predict_proba(pd.DataFrame([row]))
            if probability.shape != (1, 2) or not np.all(np.isfinite(probability)):
                raise ValueError("a made-up person gets no probability")
        except InputError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError) as exc:
            raise InputError(
                [Problem(f"the model files are damaged or were edited ({exc}); train the model"
                         " again (pbr-fairness train) or restore the directory",
                         column=PREPROCESSING_FILE)],
                source=str(directory),
            ) from None
        return model

    @classmethod
    def _load_files(cls, directory: str | Path) -> DistanceModel:
        """Build the model from the files of its directory (see :meth:`load`)."""
        files = read_model_files(directory)
        names = cls._get_param_names()
        params = {k: v for k, v in files.params.items() if k in names}
        if isinstance(params.get("features"), list):
            params["features"] = tuple(params["features"])
        model = cls(**params)
        spec = files.features
        offset = files.offset_feature
        model.classifier_ = model._classifier(offset)._restore(
            feature_names=spec.names,
            categories=[
                None if kind != "categorical" else spec.categories[name]
                for name, kind in zip(spec.names, spec.kinds, strict=True)
            ],
            classes=np.array([0, 1]),
            booster=files.booster,
            linear=files.linear,
            calibrator=files.calibrator,
            offset_index=None if offset is None else spec.names.index(offset),
            offsets=files.offsets,
            offset_shares=files.offset_shares,
            calibration_scheme=files.calibration_scheme,
        )
        model.features_ = spec
        model.feature_names_in_ = np.asarray(spec.names, dtype=object)
        model.n_features_in_ = len(spec.names)
        model.classes_ = np.array([0, 1])
        model.distance_quantiles_ = files.distance_quantiles
        model.n_train_ = files.n_train
        model.base_rate_ = files.base_rate
        model.training_hash_ = files.training_hash
        return model


def predict_probability(model: DistanceModel | str | Path, frame: pd.DataFrame) -> NDArray[
    np.float64
]:
    """Return each person's calibrated chance of a job outcome.

    Parameters
    ----------
    model : DistanceModel or path
        A fitted model, or a directory written by :meth:`DistanceModel.save`.
    frame : pandas.DataFrame
        People, with the model's feature columns (others are ignored).

    Returns
    -------
    numpy.ndarray
        Probabilities in ``(0, 1)``, one per row.
    """
    if not isinstance(model, DistanceModel):
        model = DistanceModel.load(model)
    out: NDArray[np.float64] = model.predict_proba(frame)[:, 1]
    return out
