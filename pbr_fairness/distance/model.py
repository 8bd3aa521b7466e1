"""The distance-from-employment model: calibrated LightGBM on characteristics known at referral.

:class:`DistanceModel` is a scikit-learn classifier. ``fit`` grows a LightGBM booster (native
categorical features, missing values as LightGBM's missing) and fits a probability
calibration on people the trees did not see: a held-out part of the training table for large
tables, cross-fitted out-of-fold scores for small ones. ``distance = 1 - probability``;
bands are cut on the training distribution of distance (:mod:`pbr_fairness.distance.bands`).

Saved models are a directory of text files: the LightGBM text model, and JSON for the
calibration, the feature description and the bands. Loading parses those files only; it never
unpickles anything, and checks the booster file against the checksum stored beside it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from pbr_fairness.distance.bands import (
    NAMED_BANDS,
    QUANTILE_LEVELS,
    assign_bands,
    band_edges_from_quantiles,
    named_bands,
)
from pbr_fairness.distance.calibration import CALIBRATION_METHODS, Calibrator, fit_calibrator
from pbr_fairness.distance.features import FeatureSpec, infer_feature_spec
from pbr_fairness.distance.linear import LinearInit, fit_linear_init
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

BOOSTER_FILE = "model.txt"
CALIBRATION_FILE = "calibration.json"
PREPROCESSING_FILE = "preprocessing.json"
FORMAT_VERSION = 2
#: Tables smaller than this are calibrated by cross-fitting when ``cv="auto"``.
_CROSS_FIT_BELOW = 20_000


def package_version() -> str:
    """Return the installed pbr-fairness version."""
    import pbr_fairness

    version = getattr(pbr_fairness, "__version__", None)
    if version:
        return str(version)
    try:
        from importlib.metadata import version as _v

        return _v("pbr-fairness")
    except Exception:  # pragma: no cover - not installed
        return "unknown"


def frame_hash(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """Return a SHA-256 of a table's values (row order matters, the index does not).

    Parameters
    ----------
    frame : pandas.DataFrame
        Table.
    columns : sequence of str, optional
        Columns to hash, in this order (default: all).

    Returns
    -------
    str
        ``"sha256:<hex>"``.
    """
    cols = list(columns) if columns is not None else list(frame.columns)
    h = hashlib.sha256()
    h.update(json.dumps(cols).encode())
    if len(frame):
        hashed = pd.util.hash_pandas_object(frame[cols], index=False)
        h.update(np.ascontiguousarray(hashed.to_numpy()).tobytes())
    return "sha256:" + h.hexdigest()


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


def _offset_codes(
    Xm: NDArray[np.float64], col: int | None, offsets: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Per-row index into ``offsets``: the category code, the last entry when missing/unseen."""
    if col is None:
        return np.zeros(len(Xm), dtype=np.int64)
    k = len(offsets) - 1
    codes = Xm[:, col]
    idx = np.where(np.isnan(codes) | (codes >= k) | (codes < 0), k, codes)
    return np.nan_to_num(idx, nan=k).astype(np.int64)


def _apply_offsets(
    Xm: NDArray[np.float64], col: int | None, offsets: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per-row offset: the category's entry, the last entry for missing or unseen."""
    return offsets[_offset_codes(Xm, col, offsets)]


def _group_shift(
    raw: NDArray[np.float64],
    y: NDArray[np.float64],
    idx: NDArray[np.int64],
    k: int,
    calibrator: Calibrator,
    *,
    prior_events: float = 20.0,
    bound: float = 3.0,
    steps: int = 40,
) -> NDArray[np.float64]:
    """Log-odds shift per group so each group's mean prediction equals its outcome rate.

    Calibration-in-the-large within each group (of the offset feature), found by bisection
    for all groups at once; the shift is shrunk by ``E / (E + prior_events)`` where ``E`` is
    the group's number of outcomes, so tiny groups keep the trees' estimate.
    """
    count = np.bincount(idx, minlength=k).astype(float)
    events = np.bincount(idx, y, minlength=k)
    lo = np.full(k, -bound)
    hi = np.full(k, bound)
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        pred = np.bincount(idx, calibrator(raw + mid[idx]), minlength=k)
        too_high = pred > events
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    shift = 0.5 * (lo + hi)
    weight = events / (events + prior_events)
    return np.where(count > 0, shift * weight, 0.0)


class DistanceModel(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM model of the chance of a job outcome from referral characteristics.

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
    >>> bool(np.all(model.predict_band(X) >= 1))
    True
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        *,
        calibration: Literal["isotonic", "platt", "none"] = "platt",
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

    # ------------------------------------------------------------------ fitting
    def _threads(self, n: int) -> int:
        if self.n_jobs is not None:
            return max(1, int(self.n_jobs))
        return 1

    def _check_params(self, n: int) -> None:
        problems = []
        if self.calibration not in CALIBRATION_METHODS:
            problems.append(
                Problem(
                    f"calibration {self.calibration!r} is not one of "
                    f"{', '.join(CALIBRATION_METHODS)}",
                    column="calibration",
                )
            )
        if not (self.cv in ("auto", None) or (isinstance(self.cv, int) and self.cv >= 2)):
            problems.append(Problem(f"cv must be 'auto', None or an integer >= 2, got {self.cv!r}"))
        if not 0.0 < float(self.calibration_fraction) < 1.0:
            problems.append(Problem("calibration_fraction must lie strictly between 0 and 1"))
        if int(self.n_estimators) < 1:
            problems.append(Problem("n_estimators must be at least 1"))
        if n < 20:
            problems.append(Problem(f"need at least 20 rows to train, got {n}"))
        if problems:
            raise InputError(problems)

    def _lgb_params(self, n: int, seed: int) -> dict[str, Any]:
        leaf = self.min_child_samples
        if leaf is None:
            leaf = int(np.clip(n // 200, 10, 200))
        return {
            "objective": "binary",
            "learning_rate": float(self.learning_rate),
            "num_leaves": int(self.num_leaves),
            "min_data_in_leaf": int(leaf),
            "min_data_per_group": int(min(100, max(5, leaf))),
            "max_depth": int(self.max_depth),
            "cat_smooth": 10.0,
            "lambda_l2": 1.0,
            "num_threads": self._threads(n),
            "seed": int(seed),
            "deterministic": True,
            "force_col_wise": True,
            "verbosity": -1,
        }

    def _train(
        self,
        Xm: NDArray[np.float64],
        y: NDArray[np.float64],
        params: dict[str, Any],
        *,
        rounds: int,
        init: NDArray[np.float64],
        valid: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]] | None = None,
    ) -> Any:
        import lightgbm as lgb

        spec: FeatureSpec = self._spec
        names = [f"f{j}" for j in range(Xm.shape[1])]
        train = lgb.Dataset(
            Xm,
            label=y,
            init_score=init,
            feature_name=names,
            categorical_feature=spec.categorical_indices,
            free_raw_data=True,
            params={"verbosity": -1},
        )
        callbacks = []
        valid_sets = None
        if valid is not None:
            valid_sets = [
                lgb.Dataset(
                    valid[0], label=valid[1], init_score=valid[2], reference=train,
                    params={"verbosity": -1},
                )
            ]
            callbacks.append(
                lgb.early_stopping(int(self.early_stopping_rounds), first_metric_only=True,
                                   verbose=False)
            )
        return lgb.train(
            {**params, "metric": "binary_logloss"},
            train,
            num_boost_round=int(rounds),
            valid_sets=valid_sets,
            callbacks=callbacks,
        )

    def fit(self, X: Any, y: Any, *, source: str | None = None) -> DistanceModel:
        """Grow the booster and fit the calibration.

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
        self._check_params(len(frame))
        spec = infer_feature_spec(frame, self.features, source=source)
        self._spec = spec
        Xm = spec.encode(frame, source=source)
        n = len(frame)
        gen = np.random.default_rng(self.rng)
        seed = int(gen.integers(2**31 - 1))
        params = self._lgb_params(n, seed)
        cv = self.cv
        if cv == "auto":
            cv = 5 if n < _CROSS_FIT_BELOW else None
        offset_col = self._offset_column(spec)
        if cv is None:
            import lightgbm as lgb

            order = gen.permutation(n)
            n_cal = max(10, round(n * float(self.calibration_fraction)))
            cal_idx, fit_idx = np.sort(order[:n_cal]), np.sort(order[n_cal:])
            linear = self._start(Xm[fit_idx], target[fit_idx], spec, gen)
            init = linear.score(Xm)
            booster = self._train(
                Xm[fit_idx], target[fit_idx], params, rounds=self.n_estimators,
                init=init[fit_idx], valid=(Xm[cal_idx], target[cal_idx], init[cal_idx]),
            )
            best = booster.best_iteration or booster.current_iteration()
            cal_scores = init[cal_idx] + booster.predict(
                Xm[cal_idx], raw_score=True, num_iteration=best
            )
            calibrator = fit_calibrator(cal_scores, target[cal_idx], self.calibration)
            if best < booster.current_iteration():
                booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
            self.calibration_scheme_ = f"holdout ({n_cal} rows)"
        else:
            from sklearn.model_selection import StratifiedKFold

            folds = StratifiedKFold(n_splits=int(cv), shuffle=True, random_state=seed)
            oof = np.empty(n)
            bests = []
            for fit_idx, cal_idx in folds.split(Xm, target):
                init_k = self._start(Xm[fit_idx], target[fit_idx], spec, gen).score(Xm)
                b = self._train(
                    Xm[fit_idx], target[fit_idx], params, rounds=self.n_estimators,
                    init=init_k[fit_idx], valid=(Xm[cal_idx], target[cal_idx], init_k[cal_idx]),
                )
                best_k = b.best_iteration or b.current_iteration()
                bests.append(best_k)
                oof[cal_idx] = init_k[cal_idx] + b.predict(
                    Xm[cal_idx], raw_score=True, num_iteration=best_k
                )
            best = max(1, round(float(np.mean(bests))))
            linear = self._start(Xm, target, spec, gen)
            init = linear.score(Xm)
            booster = self._train(Xm, target, params, rounds=best, init=init)
            calibrator = fit_calibrator(oof, target, self.calibration)
            self.calibration_scheme_ = f"cross-fitted ({int(cv)} folds)"
        raw_train = init + booster.predict(Xm, raw_score=True, num_threads=self._threads(n))
        offsets = np.zeros(
            1 if offset_col is None else len(spec.categories[spec.names[offset_col]]) + 1
        )
        shift = _group_shift(raw_train, target, _offset_codes(Xm, offset_col, offsets),
                             len(offsets), calibrator)
        offsets = shift
        self.linear_ = linear
        self.offset_feature_ = None if offset_col is None else spec.names[offset_col]
        self.offsets_ = offsets
        self.offset_shift_ = shift
        self.offset_shares_ = np.bincount(
            _offset_codes(Xm, offset_col, offsets), minlength=len(offsets)
        ) / n
        self.booster_ = booster
        self.calibrator_ = calibrator
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
        self.best_iteration_ = int(booster.current_iteration())
        p_train = calibrator(raw_train + _apply_offsets(Xm, offset_col, shift))
        self.distance_quantiles_ = np.quantile(1.0 - p_train, QUANTILE_LEVELS)
        del self._spec
        logger.info(
            "trained distance model on %d rows, %d features, %d trees, calibration %s %s",
            n, len(spec.names), self.best_iteration_, calibrator.method,
            self.calibration_scheme_,
        )
        return self

    # --------------------------------------------------------------- prediction
    def _encode(self, X: Any, source: str | None = None) -> NDArray[np.float64]:
        check_is_fitted(self, ["booster_", "calibrator_", "features_", "linear_"])
        return self.features_.encode(_as_frame(X), source=source)

    def _offset_index(self) -> int | None:
        name = getattr(self, "offset_feature_", None)
        return None if name is None else self.features_.names.index(name)

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Return the raw score: group offset plus trees (log-odds before calibration)."""
        Xm = self._encode(X)
        raw = np.asarray(
            self.booster_.predict(Xm, raw_score=True, num_threads=self._threads(len(Xm)))
        )
        return raw + self.linear_.score(Xm) + _apply_offsets(
            Xm, self._offset_index(), self.offsets_
        )

    def _start(
        self,
        Xm: NDArray[np.float64],
        y: NDArray[np.float64],
        spec: FeatureSpec,
        gen: np.random.Generator,
    ) -> LinearInit:
        """Return the boosting's starting log-odds: main-effects regression or base rate."""
        if self.linear_start:
            return fit_linear_init(Xm, y, spec, rng=gen)
        base = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        params = tuple(
            {"coefs": [0.0] * (len(spec.categories[name]) + 1)}
            if kind == "categorical"
            else {"median": 0.0, "mean": 0.0, "scale": 1.0, "coef": 0.0, "coef_missing": 0.0}
            for name, kind in zip(spec.names, spec.kinds, strict=True)
        )
        return LinearInit(float(np.log(base / (1 - base))), params, (0.0,) * len(params))

    def _offset_column(self, spec: FeatureSpec) -> int | None:
        name = self.offset
        if name == "auto":
            name = "payment_group" if "payment_group" in spec.names else None
        if name is None:
            return None
        if name not in spec.names or spec.kinds[spec.names.index(name)] != "categorical":
            raise InputError(
                [Problem("offset must name a categorical feature of the model", column=name)]
            )
        return spec.names.index(name)

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Return calibrated probabilities, shape ``(n, 2)``: no job outcome, job outcome."""
        raw = self.decision_function(X)
        p = self.calibrator_(raw)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> NDArray[np.int64]:
        """Return 1 where the chance of a job outcome is at least one half, else 0."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(np.int64)

    def predict_distance(self, X: Any) -> NDArray[np.float64]:
        """Return the distance from employment, ``1 - probability of a job outcome``."""
        return self.predict_proba(X)[:, 0]

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
        """Return each person's band ``1..n_bands`` (1 = closest to work).

        Bands are equal-share bands of the training distribution (deciles by default).
        """
        return assign_bands(self.predict_distance(X), self.band_edges(n_bands))

    def predict_band_name(self, X: Any) -> NDArray[np.object_]:
        """Return each person's named band (:data:`~pbr_fairness.distance.bands.NAMED_BANDS`)."""
        return named_bands(self.predict_band(X, n_bands=len(NAMED_BANDS)))

    def named_band_table(self) -> pd.DataFrame:
        """Return the named bands with their cut-points on distance and probability."""
        edges = self.band_edges(len(NAMED_BANDS))
        lo = np.r_[0.0, edges]
        hi = np.r_[edges, 1.0]
        return pd.DataFrame(
            {
                "band": list(NAMED_BANDS),
                "distance_from": lo,
                "distance_to": hi,
                "probability_from": 1.0 - hi,
                "probability_to": 1.0 - lo,
            }
        )

    # ----------------------------------------------------------------- storage
    def save(self, directory: str | Path) -> Path:
        """Write the model as text files into ``directory`` (created if needed).

        Files: ``model.txt`` (LightGBM text format), ``calibration.json`` and
        ``preprocessing.json`` (features, categories, band quantiles, checksum of
        ``model.txt``). Nothing is pickled.

        Returns
        -------
        pathlib.Path
            The directory.
        """
        check_is_fitted(self, ["booster_"])
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        text = self.booster_.model_to_string()
        (out / BOOSTER_FILE).write_text(text, encoding="utf-8")
        (out / CALIBRATION_FILE).write_text(
            json.dumps(self.calibrator_.to_dict(), indent=1) + "\n", encoding="utf-8"
        )
        pre = {
            "format": "pbr-fairness distance model",
            "format_version": FORMAT_VERSION,
            "package_version": package_version(),
            "features": self.features_.to_dict(),
            "distance_quantiles": [float(v) for v in self.distance_quantiles_],
            "named_bands": list(NAMED_BANDS),
            "n_train": int(self.n_train_),
            "base_rate": float(self.base_rate_),
            "training_hash": self.training_hash_,
            "calibration_scheme": getattr(self, "calibration_scheme_", ""),
            "linear": self.linear_.to_dict(),
            "offset_feature": self.offset_feature_,
            "offsets": [float(v) for v in self.offsets_],
            "offset_shares": [float(v) for v in self.offset_shares_],
            "params": {
                k: v for k, v in self.get_params().items()
                if k != "rng" and (v is None or isinstance(v, (int, float, str, list, tuple)))
            },
            "model_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        }
        (out / PREPROCESSING_FILE).write_text(json.dumps(pre, indent=1) + "\n", encoding="utf-8")
        return out

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
            the booster does not match its stored checksum.
        """
        import lightgbm as lgb

        d = Path(directory)
        src = str(d)
        if not d.is_dir():
            raise InputError([Problem("model directory does not exist")], source=src)
        missing = [
            f for f in (BOOSTER_FILE, CALIBRATION_FILE, PREPROCESSING_FILE)
            if not (d / f).is_file()
        ]
        if missing:
            raise InputError(
                [Problem(f"model file {f} is missing", column=f) for f in missing], source=src
            )

        def _json(name: str) -> dict[str, Any]:
            raw = (d / name).read_bytes()
            try:
                data = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise InputError(
                    [Problem("is not a JSON text file (pickles and other binary formats are"
                             " never loaded)", column=name)],
                    source=src,
                ) from None
            if not isinstance(data, dict):
                raise InputError([Problem("must hold a JSON object", column=name)], source=src)
            return data

        raw = (d / BOOSTER_FILE).read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if not text.startswith("tree\n") or "version=" not in text[:200]:
            raise InputError(
                [Problem("is not a LightGBM text model (pickles and other binary formats are"
                         " never loaded)", column=BOOSTER_FILE)],
                source=src,
            )
        pre = _json(PREPROCESSING_FILE)
        cal = _json(CALIBRATION_FILE)
        if pre.get("format_version") != FORMAT_VERSION:
            raise InputError(
                [Problem(f"format_version {pre.get('format_version')!r} is not supported"
                         f" (expected {FORMAT_VERSION})", column=PREPROCESSING_FILE)],
                source=src,
            )
        digest = hashlib.sha256(raw).hexdigest()
        if pre.get("model_sha256") != digest:
            raise InputError(
                [Problem("checksum does not match preprocessing.json (file changed or from"
                         " another model)", column=BOOSTER_FILE)],
                source=src,
            )
        spec = FeatureSpec.from_dict(pre.get("features", {}), source=src)
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
        params = {
            k: v for k, v in pre.get("params", {}).items() if k in cls._get_param_names()
        }
        if isinstance(params.get("features"), list):
            params["features"] = tuple(params["features"])
        model = cls(**params)
        model.booster_ = booster
        model.calibrator_ = calibrator
        model.offset_feature_ = None if offset_feature is None else str(offset_feature)
        model.offsets_ = offsets
        model.linear_ = LinearInit.from_dict(pre.get("linear", {}), spec, source=src)
        shares = np.asarray(pre.get("offset_shares", []), dtype=np.float64)
        model.offset_shares_ = (
            shares if shares.shape == offsets.shape else np.full(len(offsets), 1 / len(offsets))
        )
        model.features_ = spec
        model.feature_names_in_ = np.asarray(spec.names, dtype=object)
        model.n_features_in_ = len(spec.names)
        model.classes_ = np.array([0, 1])
        model.distance_quantiles_ = quantiles
        model.n_train_ = int(pre.get("n_train", 0))
        model.base_rate_ = float(pre.get("base_rate", np.nan))
        model.training_hash_ = str(pre.get("training_hash", ""))
        model.calibration_scheme_ = str(pre.get("calibration_scheme", ""))
        model.best_iteration_ = int(booster.current_iteration())
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
    return model.predict_proba(frame)[:, 1]

