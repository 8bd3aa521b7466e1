"""The core of the distance model: a calibrated LightGBM binary classifier for any table.

:class:`DistanceClassifier` is a plain scikit-learn classifier. It takes arrays and data
frames like any other (``validate_data``; missing values allowed, infinities refused) and
knows nothing of caseloads. ``fit``

1. starts the boosting from a main-effects logistic regression (:mod:`.linear`, LightGBM's
   ``init_score``) rather than from the overall rate;
2. grows LightGBM trees on top, with native categorical splits for categorical columns
   (by default the data frame's ``category`` columns) and missing values as LightGBM's
   missing;
3. fits a probability calibration (:mod:`.calibration`, Platt by default) on scores of rows
   the trees did not see: cross-fitted out-of-fold scores for small tables, a held-out part
   for large ones;
4. shifts the log-odds of each category of one categorical column (``offset``), and of
   everyone when there is none, so that the mean prediction matches the outcome rate on the
   training rows, shrunk towards no shift for categories with few outcomes.

The caseload-aware model (schema features, named bands, files) is
:class:`~pbr_fairness.distance.model.DistanceModel`, a thin layer over this one.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import Tags
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from pbr_fairness.distance.calibration import (
    CALIBRATION_METHODS,
    CalibrationMethod,
    Calibrator,
    fit_calibrator,
)
from pbr_fairness.distance.linear import LinearInit, fit_linear_init
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.maths import logit

__all__ = ["CROSS_FIT_BELOW", "DistanceClassifier"]

logger = logging.getLogger(__name__)

#: Tables smaller than this are calibrated by cross-fitting when ``cv="auto"``.
CROSS_FIT_BELOW = 20_000
#: Folds of ``cv="auto"`` on tables below :data:`CROSS_FIT_BELOW` rows.
_AUTO_FOLDS = 5

CategoricalFeatures = Literal["from_dtype"] | Sequence[int] | Sequence[str] | Sequence[bool] | None


def _is_frame(X: Any) -> bool:
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _learn_categories(col: pd.Series) -> NDArray[np.object_]:
    """Categories of a column: its dtype's when categorical, else its sorted distinct values."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return np.asarray(col.cat.categories, dtype=object)
    try:
        values = pd.Index(pd.unique(col.dropna().to_numpy(dtype=object)))
    except TypeError:  # an unhashable value, such as a list or a dict
        bad = next(v for v in col if not isinstance(v, Hashable))
        raise TypeError(
            f"categorical column {col.name!r}: argument must be a string or a number, not"
            f" {type(bad).__name__!r}"
        ) from None
    try:
        values = values.sort_values()
    except TypeError:  # values of mixed types: keep the order of first appearance
        pass
    return np.asarray(values, dtype=object)


def _category_codes(col: pd.Series, categories: NDArray[np.object_]) -> NDArray[np.float64]:
    """Codes of a column's values among ``categories``; ``NaN`` when missing or unseen."""
    known = pd.Index(categories)
    if isinstance(col.dtype, pd.CategoricalDtype) and known.equals(
        pd.Index(np.asarray(col.cat.categories, dtype=object))
    ):
        codes = col.cat.codes.to_numpy()
    else:
        codes = known.get_indexer(col.to_numpy(dtype=object))
    out = codes.astype(np.float64)
    out[codes < 0] = np.nan
    return out


def offset_codes(
    Xm: NDArray[np.float64], col: int | None, offsets: NDArray[np.float64]
) -> NDArray[np.int64]:
    """Per-row index into ``offsets``: the category code, the last entry when missing/unseen.

    Parameters
    ----------
    Xm : numpy.ndarray
        Encoded features.
    col : int or None
        Column holding the offset's category codes (``None``: one shift for everyone).
    offsets : numpy.ndarray
        One shift per category and a last one for missing or unseen values.

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> Xm = np.array([[0.0], [2.0], [np.nan], [7.0]])
    >>> offset_codes(Xm, 0, np.zeros(4)).tolist()
    [0, 2, 3, 3]
    """
    if col is None:
        return np.zeros(len(Xm), dtype=np.int64)
    k = len(offsets) - 1
    codes = Xm[:, col]
    idx = np.where(np.isnan(codes) | (codes >= k) | (codes < 0), k, codes)
    return np.nan_to_num(idx, nan=k).astype(np.int64)


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
    out: NDArray[np.float64] = np.where(count > 0, shift * weight, 0.0)
    return out


def _as_table(X: Any) -> pd.DataFrame | None:
    """Return a 2-D array-like as a data frame with numbered columns, or ``None``."""
    try:
        arr = np.asarray(X)
    except Exception:  # sparse matrices and other objects: validate_data explains
        return None
    return pd.DataFrame(arr) if arr.ndim == 2 else None


def _named_positions(items: list[Any], names: list[str], n_columns: int) -> list[int]:
    """Column positions of a boolean mask, or of a list of column names and positions."""
    if items and all(isinstance(v, bool | np.bool_) for v in items):
        if len(items) != n_columns:
            raise InputError(
                [Problem(f"categorical_features mask has {len(items)} entries for"
                         f" {n_columns} columns")]
            )
        return [j for j, v in enumerate(items) if v]
    out = []
    for v in items:
        if isinstance(v, str) and v in names:
            out.append(names.index(v))
        elif isinstance(v, int | np.integer) and not isinstance(v, bool) and 0 <= v < n_columns:
            out.append(int(v))
        else:
            raise InputError(
                [Problem(f"categorical feature {v!r} is not a column of X", column=str(v))]
            )
    return sorted(set(out))


@dataclass(frozen=True)
class _Fitted:
    """The start, trees and calibration fitted on one table, and how."""

    linear: LinearInit
    booster: lgb.Booster
    calibrator: Calibrator
    scheme: str


def _has_both(y: NDArray[np.float64]) -> bool:
    return bool(len(y)) and 0.0 < float(y.mean()) < 1.0


class DistanceClassifier(ClassifierMixin, BaseEstimator):
    """Calibrated LightGBM binary classifier boosted from a main-effects logistic regression.

    Parameters
    ----------
    categorical_features : "from_dtype", sequence or None, default "from_dtype"
        Which columns are categorical (LightGBM's native categorical splits; one coefficient
        per category in the linear start). ``"from_dtype"``: the ``category`` columns of a
        data frame (none for arrays); a sequence of column positions, names or a boolean
        mask: those columns, whose categories are their dtype's categories or else their
        distinct values; ``None``: none. At prediction, a categorical column's values are
        looked up among its training categories; values not seen in training are treated
        as missing.
    calibration : {"isotonic", "platt", "none"}, default "platt"
        Map from the boosted score to a probability, fitted on scores of rows the trees did
        not see. Log-loss boosting is already close to calibrated; isotonic regression on
        few outcomes in a tail flattens the chances there.
    cv : "auto", None or int, default "auto"
        ``None``: hold out ``calibration_fraction`` of the rows to calibrate (and to stop
        boosting early); an integer ``k >= 2``: calibrate on ``k``-fold out-of-fold scores
        and refit the trees on all rows; ``"auto"``: 5 folds below 20,000 rows, hold out
        otherwise. With fewer rows of a class than folds, as many folds as there are such
        rows; with one, the calibration is fitted on the training scores.
    calibration_fraction : float, default 0.2
        Share of rows held out when not cross-fitting.
    n_estimators : int, default 600
        Most boosting rounds; early stopping on held-out log-loss picks fewer.
    learning_rate : float, default 0.1
        Boosting learning rate.
    num_leaves : int, default 15
        Leaves per tree.
    max_depth : int, default 5
        Deepest tree (``-1``: no limit).
    min_child_samples : int, optional
        Fewest rows in a leaf. Default: ``n // 200`` clipped to ``[10, 200]``.
    early_stopping_rounds : int, default 30
        Rounds without improvement before boosting stops.
    offset : int, str or None, default None
        Categorical column (position or name) whose categories each get a final log-odds
        shift so that their mean prediction on the training rows equals their outcome rate
        (shrunk by ``E / (E + 20)``, ``E`` the category's outcomes). ``None``: one shift for
        everyone.
    linear_start : bool, default True
        Start the boosting from a main-effects logistic regression rather than the overall
        rate: boosting on log-loss otherwise under-fits small groups, whose gradients
        rarely win a split.
    n_jobs : int, optional
        LightGBM threads. Default: 1 (on a shared machine, OpenMP threads waiting for a busy
        core spin and slow fitting down several times).
    rng : numpy.random.Generator, int or None
        Source of randomness (splits, folds, booster seed).

    Attributes
    ----------
    classes_ : numpy.ndarray
        The two class labels; the second is the "positive" one of ``predict_proba[:, 1]``.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : numpy.ndarray
        Column names, when ``X`` was a data frame with text column names.
    is_categorical_ : numpy.ndarray of bool
        Which columns are categorical.
    categories_ : list
        Per column: its categories (code ``i`` is ``categories_[j][i]``), ``None`` if numeric.
    booster_ : lightgbm.Booster
        The trees; raw score = linear start + trees + shift (log-odds).
    linear_ : LinearInit
        The linear start.
    calibrator_ : Calibrator
        Raw score to probability map.
    offset_index_ : int or None
        Column whose categories carry a shift.
    offsets_ : numpy.ndarray
        Log-odds shift per category code of that column; the last entry is for missing or
        unseen values (the only entry without an offset column).
    offset_shares_ : numpy.ndarray
        Training share of each entry of ``offsets_``.
    calibration_scheme_ : str
        How the calibration was fitted (held out, cross-fitted or in-sample).
    best_iteration_ : int
        Number of boosting rounds kept.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 3))
    >>> y = (rng.random(400) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    >>> clf = DistanceClassifier(n_estimators=20, rng=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.classes_.tolist()
    [0, 1]

    Categorical columns of a data frame get native categorical splits:

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": X[:, 0], "group": pd.Categorical(rng.choice(["a", "b"], 400))})
    >>> clf = DistanceClassifier(n_estimators=20, offset="group", rng=0).fit(frame, y)
    >>> clf.is_categorical_.tolist(), clf.categories_[1].tolist()
    ([False, True], ['a', 'b'])
    """

    def __init__(
        self,
        *,
        categorical_features: CategoricalFeatures = "from_dtype",
        calibration: CalibrationMethod = "platt",
        cv: Literal["auto"] | int | None = "auto",
        calibration_fraction: float = 0.2,
        n_estimators: int = 600,
        learning_rate: float = 0.1,
        num_leaves: int = 15,
        max_depth: int = 5,
        min_child_samples: int | None = None,
        early_stopping_rounds: int = 30,
        offset: int | str | None = None,
        linear_start: bool = True,
        n_jobs: int | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.categorical_features = categorical_features
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
        """Binary classification only; missing values (``NaN``) allowed."""
        tags = super().__sklearn_tags__()
        assert tags.classifier_tags is not None
        tags.classifier_tags.multi_class = False
        tags.input_tags.allow_nan = True
        return tags

    # ------------------------------------------------------------------ settings
    def _parameter_problems(self) -> list[Problem]:
        """Return every problem of the settings (empty when they are valid)."""
        problems = []
        if self.calibration not in CALIBRATION_METHODS:
            problems.append(
                Problem(
                    f"calibration {self.calibration!r} is not one of "
                    f"{', '.join(CALIBRATION_METHODS)}",
                    column="calibration",
                )
            )
        cv = self.cv
        if not (cv in ("auto", None) or (isinstance(cv, int) and cv >= 2)):
            problems.append(Problem(f"cv must be 'auto', None or an integer >= 2, got {cv!r}"))
        if not 0.0 < float(self.calibration_fraction) < 1.0:
            problems.append(Problem("calibration_fraction must lie strictly between 0 and 1"))
        if int(self.n_estimators) < 1:
            problems.append(Problem("n_estimators must be at least 1"))
        return problems

    def _threads(self) -> int:
        return 1 if self.n_jobs is None else max(1, int(self.n_jobs))

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
            "num_threads": self._threads(),
            "seed": int(seed),
            "deterministic": True,
            "force_col_wise": True,
            "verbosity": -1,
        }

    # --------------------------------------------------------------------- input
    def _categorical_positions(self, X: Any, n_columns: int) -> list[int]:
        """Positions of the categorical columns named by ``categorical_features``."""
        spec = self.categorical_features
        if spec is None:
            return []
        if isinstance(spec, str):
            if spec != "from_dtype":
                raise InputError(
                    [Problem(f"categorical_features {spec!r} must be 'from_dtype', None or a"
                             " sequence of columns")]
                )
            if not _is_frame(X):
                return []
            return [j for j, dt in enumerate(X.dtypes) if isinstance(dt, pd.CategoricalDtype)]
        names = [str(c) for c in X.columns] if _is_frame(X) else []
        return _named_positions(list(spec), names, n_columns)

    def _with_codes(
        self, X: Any, *, reset: bool
    ) -> tuple[Any, list[NDArray[np.object_] | None] | None]:
        """Return ``X`` with categorical columns as float codes, and the categories used.

        Anything that is not a 2-D table is returned unchanged for ``validate_data`` to
        reject with its usual message.
        """
        spec = self.categorical_features
        if _is_frame(X):
            frame = X
        elif reset and (spec is None or isinstance(spec, str)):
            return X, None  # no categorical columns in an array unless named
        elif not reset and not np.any(self.is_categorical_):
            return X, None
        else:
            frame = _as_table(X)
            if frame is None:
                return X, None
        if 0 in frame.shape or (not reset and frame.shape[1] != self.n_features_in_):
            return X, None  # validate_data reports the empty table or the wrong width
        categories = self._training_categories(frame, X) if reset else list(self.categories_)
        if all(c is None for c in categories):
            return X, categories
        out = frame.copy(deep=False)
        for j, cats in enumerate(categories):
            if cats is not None:
                out.isetitem(j, _category_codes(frame.iloc[:, j], cats))
        return out, categories

    def _training_categories(self, frame: pd.DataFrame, X: Any) -> list[NDArray[np.object_] | None]:
        """Categories of each categorical column of the training table (``None``: numeric)."""
        categories: list[NDArray[np.object_] | None] = [None] * frame.shape[1]
        for j in self._categorical_positions(frame if _is_frame(X) else X, frame.shape[1]):
            categories[j] = _learn_categories(frame.iloc[:, j])
        return categories

    def _offset_column(self, is_categorical: NDArray[np.bool_]) -> int | None:
        """Position of the ``offset`` column, checked to be categorical."""
        name = self.offset
        if name is None:
            return None
        names = list(getattr(self, "feature_names_in_", []))
        if isinstance(name, str) and name in names:
            col = names.index(name)
        elif isinstance(name, int | np.integer) and 0 <= int(name) < len(is_categorical):
            col = int(name)
        else:
            col = -1
        if col < 0 or not is_categorical[col]:
            raise InputError(
                [Problem("offset must name a categorical feature of the model", column=str(name))]
            )
        return col

    # ------------------------------------------------------------------- fitting
    def _train(
        self,
        Xm: NDArray[np.float64],
        y: NDArray[np.float64],
        params: dict[str, Any],
        *,
        n_categories: Sequence[int | None],
        rounds: int,
        init: NDArray[np.float64],
        valid: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]] | None = None,
    ) -> lgb.Booster:
        names = [f"f{j}" for j in range(Xm.shape[1])]
        train = lgb.Dataset(
            Xm,
            label=y,
            init_score=init,
            feature_name=names,
            categorical_feature=[j for j, k in enumerate(n_categories) if k is not None],
            free_raw_data=True,
            params={"verbosity": -1},
        )
        callbacks: list[Any] = []
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

    def _start(
        self,
        Xm: NDArray[np.float64],
        y: NDArray[np.float64],
        gen: np.random.Generator,
        n_categories: Sequence[int | None],
    ) -> LinearInit:
        """Return the boosting's starting log-odds: main-effects regression or base rate."""
        if self.linear_start:
            return fit_linear_init(Xm, y, n_categories, rng=gen)
        base = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        params = tuple(
            {"median": 0.0, "mean": 0.0, "scale": 1.0, "coef": 0.0, "coef_missing": 0.0}
            if k is None
            else {"coefs": [0.0] * (k + 1)}
            for k in n_categories
        )
        return LinearInit(float(np.log(base / (1 - base))), params, (0.0,) * len(params))

    def _fit_holdout(
        self,
        Xm: NDArray[np.float64],
        target: NDArray[np.float64],
        params: dict[str, Any],
        n_categories: Sequence[int | None],
        gen: np.random.Generator,
        split: tuple[NDArray[np.intp], NDArray[np.intp]],
    ) -> _Fitted:
        """Start and trees on one part, early stopping and calibration on the other."""
        fit_idx, cal_idx = split
        linear = self._start(Xm[fit_idx], target[fit_idx], gen, n_categories)
        init = linear.score(Xm)
        booster = self._train(
            Xm[fit_idx], target[fit_idx], params, n_categories=n_categories,
            rounds=self.n_estimators, init=init[fit_idx],
            valid=(Xm[cal_idx], target[cal_idx], init[cal_idx]),
        )
        best = booster.best_iteration or booster.current_iteration()
        cal_scores = init[cal_idx] + booster.predict(
            Xm[cal_idx], raw_score=True, num_iteration=best
        )
        calibrator = fit_calibrator(cal_scores, target[cal_idx], self.calibration)
        if best < booster.current_iteration():
            booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
        return _Fitted(linear, booster, calibrator, f"holdout ({len(cal_idx)} rows)")

    def _fit_folds(
        self,
        Xm: NDArray[np.float64],
        target: NDArray[np.float64],
        params: dict[str, Any],
        n_categories: Sequence[int | None],
        gen: np.random.Generator,
        folds: int,
        seed: int,
    ) -> _Fitted:
        """Calibrate on out-of-fold scores; the start and the trees refitted on all rows.

        With fewer rows of a class than folds, as many folds as there are such rows; with one
        row of a class there is no score of it that the trees did not see, so the trees get
        one round and the calibration is fitted on the training scores.
        """
        folds = min(folds, int(np.bincount(target.astype(np.int64), minlength=2).min()))
        if folds < 2:
            linear = self._start(Xm, target, gen, n_categories)
            booster = self._train(Xm, target, params, n_categories=n_categories, rounds=1,
                                  init=linear.score(Xm))
            scores = linear.score(Xm) + booster.predict(Xm, raw_score=True)
            calibrator = fit_calibrator(scores, target, self.calibration)
            return _Fitted(linear, booster, calibrator, "in-sample (one row of a class)")
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        oof = np.empty(len(Xm))
        bests = []
        for fit_idx, cal_idx in splitter.split(Xm, target):
            init_k = self._start(Xm[fit_idx], target[fit_idx], gen, n_categories).score(Xm)
            b = self._train(
                Xm[fit_idx], target[fit_idx], params, n_categories=n_categories,
                rounds=self.n_estimators, init=init_k[fit_idx],
                valid=(Xm[cal_idx], target[cal_idx], init_k[cal_idx]),
            )
            best_k = b.best_iteration or b.current_iteration()
            bests.append(best_k)
            oof[cal_idx] = init_k[cal_idx] + b.predict(
                Xm[cal_idx], raw_score=True, num_iteration=best_k
            )
        best = max(1, round(float(np.mean(bests))))
        linear = self._start(Xm, target, gen, n_categories)
        booster = self._train(Xm, target, params, n_categories=n_categories, rounds=best,
                              init=linear.score(Xm))
        calibrator = fit_calibrator(oof, target, self.calibration)
        return _Fitted(linear, booster, calibrator, f"cross-fitted ({folds} folds)")

    def _binary_target(self, y: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.float64]]:
        """Return the two classes and ``y`` as 0/1 (1 = the second class)."""
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y", raise_unknown=True)
        if y_type != "binary":
            raise InputError(
                [Problem("Only binary classification is supported. The type of the target is"
                         f" {y_type}.", column="y")]
            )
        classes, y_index = np.unique(y, return_inverse=True)
        if len(classes) != 2:
            raise InputError(
                [Problem(f"y holds one class ({classes.tolist()!r}); binary classification"
                         " needs two", column="y")]
            )
        return classes, y_index.astype(np.float64)

    def fit(self, X: Any, y: Any) -> DistanceClassifier:
        """Fit the linear start, the trees, the calibration and the shifts.

        Parameters
        ----------
        X : array-like or pandas.DataFrame of shape (n_samples, n_features)
            Training rows; ``NaN`` marks a missing value.
        y : array-like of shape (n_samples,)
            Two class labels.

        Returns
        -------
        DistanceClassifier
            ``self``.

        Raises
        ------
        ValueError
            If ``X`` or ``y`` is malformed, ``y`` does not hold exactly two classes, or a
            setting is invalid (:class:`~pbr_fairness.errors.InputError`).
        """
        Xc, found = self._with_codes(X, reset=True)
        Xm, y = validate_data(self, Xc, y, dtype=np.float64, ensure_all_finite="allow-nan")
        classes, target = self._binary_target(y)
        problems = self._parameter_problems()
        if problems:
            raise InputError(problems)
        n = len(Xm)
        categories = found if found is not None else [None] * Xm.shape[1]
        n_categories = [None if c is None else len(c) for c in categories]
        is_categorical = np.array([c is not None for c in categories], dtype=bool)
        offset_col = self._offset_column(is_categorical)

        gen = np.random.default_rng(self.rng)
        seed = int(gen.integers(2**31 - 1))
        params = self._lgb_params(n, seed)
        cv = self.cv
        if cv == "auto":
            cv = _AUTO_FOLDS if n < CROSS_FIT_BELOW else None
        split = None
        if cv is None:
            order = gen.permutation(n)
            n_cal = max(10, round(n * float(self.calibration_fraction)))
            cal_idx, fit_idx = np.sort(order[:n_cal]), np.sort(order[n_cal:])
            if _has_both(target[fit_idx]) and _has_both(target[cal_idx]):
                split = (fit_idx, cal_idx)
        if split is not None:
            fitted = self._fit_holdout(Xm, target, params, n_categories, gen, split)
        else:  # cross-fit, also when too few rows of a class can be held out
            folds = _AUTO_FOLDS if cv is None else int(cv)
            fitted = self._fit_folds(Xm, target, params, n_categories, gen, folds, seed)
        raw_train = fitted.linear.score(Xm) + fitted.booster.predict(
            Xm, raw_score=True, num_threads=self._threads()
        )
        k = 1 if offset_col is None else (n_categories[offset_col] or 0) + 1
        idx = offset_codes(Xm, offset_col, np.zeros(k))
        self.classes_ = classes
        self.categories_ = categories
        self.is_categorical_ = is_categorical
        self.linear_ = fitted.linear
        self.booster_ = fitted.booster
        self.calibrator_ = fitted.calibrator
        self.offset_index_ = offset_col
        self.offsets_ = _group_shift(raw_train, target, idx, k, fitted.calibrator)
        self.offset_shares_ = np.bincount(idx, minlength=k) / n
        self.calibration_scheme_ = fitted.scheme
        self.best_iteration_ = int(fitted.booster.current_iteration())
        logger.debug(
            "fitted DistanceClassifier on %d rows, %d columns, %d trees, calibration %s %s",
            n, Xm.shape[1], self.best_iteration_, fitted.calibrator.method, fitted.scheme,
        )
        return self

    def _restore(
        self,
        *,
        feature_names: Sequence[str],
        categories: Sequence[Sequence[Any] | None],
        classes: NDArray[Any],
        booster: lgb.Booster,
        linear: LinearInit,
        calibrator: Calibrator,
        offset_index: int | None,
        offsets: NDArray[np.float64],
        offset_shares: NDArray[np.float64],
        calibration_scheme: str,
    ) -> DistanceClassifier:
        """Set the fitted state from stored parts (the model files) and return ``self``."""
        self.n_features_in_ = len(feature_names)
        self.feature_names_in_ = np.asarray(feature_names, dtype=object)
        self.classes_ = np.asarray(classes)
        self.categories_ = [None if c is None else np.asarray(c, dtype=object) for c in categories]
        self.is_categorical_ = np.array([c is not None for c in self.categories_], dtype=bool)
        self.booster_ = booster
        self.linear_ = linear
        self.calibrator_ = calibrator
        self.offset_index_ = offset_index
        self.offsets_ = np.asarray(offsets, dtype=np.float64)
        self.offset_shares_ = np.asarray(offset_shares, dtype=np.float64)
        self.calibration_scheme_ = calibration_scheme
        self.best_iteration_ = int(booster.current_iteration())
        return self

    # ---------------------------------------------------------------- prediction
    def _matrix(self, X: Any) -> NDArray[np.float64]:
        """Validate ``X`` against the fitted columns and return the encoded matrix."""
        Xc, _ = self._with_codes(X, reset=False)
        Xm: NDArray[np.float64] = validate_data(
            self, Xc, reset=False, dtype=np.float64, ensure_all_finite="allow-nan"
        )
        return Xm

    def _raw_score(self, Xm: NDArray[np.float64]) -> NDArray[np.float64]:
        """Log-odds before calibration of an encoded matrix: trees + linear start + shift."""
        raw = np.asarray(self.booster_.predict(Xm, raw_score=True, num_threads=self._threads()))
        out: NDArray[np.float64] = raw + self.linear_.score(Xm) + self.offsets_[
            offset_codes(Xm, self.offset_index_, self.offsets_)
        ]
        return out

    def _probability(self, Xm: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated probability of ``classes_[1]`` for an encoded matrix."""
        return self.calibrator_(self._raw_score(Xm))

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Return calibrated class probabilities.

        Parameters
        ----------
        X : array-like or pandas.DataFrame of shape (n_samples, n_features)
            Rows to predict, with the training columns.

        Returns
        -------
        numpy.ndarray of shape (n_samples, 2)
            Probabilities of ``classes_[0]`` and ``classes_[1]``.
        """
        check_is_fitted(self)
        p = self._probability(self._matrix(X))
        return np.column_stack([1.0 - p, p])

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Return the calibrated log-odds of ``classes_[1]`` (positive: predicted ``classes_[1]``).

        Parameters
        ----------
        X : array-like or pandas.DataFrame of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return logit(self._probability(self._matrix(X)))

    def predict(self, X: Any) -> NDArray[Any]:
        """Return ``classes_[1]`` where its probability is above one half, else ``classes_[0]``.

        Parameters
        ----------
        X : array-like or pandas.DataFrame of shape (n_samples, n_features)
            Rows to classify.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        p = self._probability(self._matrix(X))
        out: NDArray[Any] = self.classes_[(p > 0.5).astype(np.intp)]
        return out
