"""Expected outcomes fitted on the audited caseload itself: a cross-fitted case-mix model.

Institutional performance comparison (hospital and school profiling; Spiegelhalter 2005,
*Funnel plots for comparing institutional performance*, Statistics in Medicine 24:1185-1202)
adjusts each unit's outcomes for the case mix estimated on the data being compared. The
audit does the same: a model of the job outcome on the characteristics people had at referral,
fitted on the audited caseload, with each person's expected chance predicted by a model that
did not see that person's outcome (K-fold cross-fitting, or leave-one-provider-out, so that a
provider's own results never set its own benchmark).

Support (hours, contacts or spend), the provider and the outcomes are never inputs of the
model: support is what the audit examines, and the provider is what it compares.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from pbr_fairness.caseload.schema import FEATURE_COLUMNS, OUTCOME_COLUMNS, TRUTH_COLUMNS
from pbr_fairness.distance.metrics import brier_score, expected_calibration_error, roc_auc
from pbr_fairness.errors import InputError, Problem, show_value
from pbr_fairness.maths import logit, sigmoid

__all__ = [
    "CASE_MIX_LEARNERS",
    "CASE_MIX_SPLITS",
    "FORBIDDEN_CASE_MIX",
    "CaseMixFit",
    "calibration_line",
    "case_mix_features",
    "fit_case_mix",
]

#: How out-of-sample predictions are made.
CASE_MIX_SPLITS: tuple[str, ...] = ("kfold", "provider")
#: Learners of the case-mix model.
CASE_MIX_LEARNERS: tuple[str, ...] = ("logistic", "lightgbm")
#: Columns that never enter the case-mix model (what is audited, compared or predicted).
FORBIDDEN_CASE_MIX: tuple[str, ...] = (
    "provider_id", "support_hours", "support_contacts", "support_spend", "expected_p",
    "person_id", *OUTCOME_COLUMNS, *TRUTH_COLUMNS,
)
#: Pre-referral columns of the schema used by default (with its characteristics).
_DEFAULT_EXTRA = ("payment_group", "age_band")
_MAX_CATEGORIES = 50
_SMALL = 20_000


@dataclass(frozen=True)
class CaseMixFit:
    """A cross-fitted case-mix model: out-of-sample expected chances and their quality.

    Attributes
    ----------
    expected : numpy.ndarray
        Each person's expected chance of a job outcome, from a model fitted without them.
    features : tuple of str
        Columns the model used.
    split : {"kfold", "provider"}
        K-fold, or leave-one-provider-out.
    folds : int
        Number of folds (providers, for leave-one-provider-out).
    learner : {"logistic", "lightgbm"}
        The model.
    auc, auc_se : float
        Out-of-sample area under the ROC curve and its Hanley-McNeil (1982) standard error.
    brier, ece : float
        Out-of-sample Brier score and expected calibration error (10 equal-count bins).
    calibration_intercept, calibration_slope : float
        Calibration in the large (intercept of ``logit P(y) = a + logit(p)``; 0 is
        calibrated) and the calibration slope (``b`` of ``logit P(y) = a + b logit(p)``; 1 is
        calibrated, below 1 means over-fitted).
    calibration : pandas.DataFrame
        ``decile, n, mean_expected, observed_rate`` over deciles of the expected chance.
    """

    expected: NDArray[np.float64] = field(repr=False)
    features: tuple[str, ...]
    split: str
    folds: int
    learner: str
    auc: float
    auc_se: float
    brier: float
    ece: float
    calibration_intercept: float
    calibration_slope: float
    calibration: pd.DataFrame = field(repr=False)

    def auc_interval(self, alpha: float = 0.05) -> tuple[float, float]:
        """Normal-approximation interval of the AUC, clipped to [0, 1]."""
        from scipy import stats

        z = float(stats.norm.ppf(1 - alpha / 2))
        return max(0.0, self.auc - z * self.auc_se), min(1.0, self.auc + z * self.auc_se)

    def to_dict(self, *, min_cell: int = 10) -> dict[str, Any]:
        """Plain dictionary for JSON.

        Deciles with fewer than ``min_cell`` people, or in which 0 or 1 people (or all but 0
        or 1) found work, are left out (the audit's disclosure rules).
        """
        low, high = self.auc_interval()
        n = self.calibration["n"].to_numpy()
        count = np.round(self.calibration["observed_rate"].to_numpy() * n)
        cal = self.calibration[(n >= min_cell) & (count > 1) & (count < n - 1)]
        return {
            "learner": self.learner, "split": self.split, "folds": int(self.folds),
            "features": list(self.features), "auc": self.auc, "auc_ci": [low, high],
            "brier": self.brier, "ece": self.ece,
            "calibration_intercept": self.calibration_intercept,
            "calibration_slope": self.calibration_slope,
            "calibration": cal.to_dict(orient="records"),
        }


def case_mix_features(frame: pd.DataFrame, extra: Sequence[str] | None = None) -> list[str]:
    """Return the columns of a case-mix model: the schema's characteristics present, plus ``extra``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The caseload.
    extra : sequence of str, optional
        Further columns the user names (real files carry their own characteristics).

    Returns
    -------
    list of str

    Raises
    ------
    InputError
        A named column is missing, or is one that must never enter the model (the provider,
        support, outcomes, expected chances, the synthetic truth, identifiers).

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [20, 30], "provider_id": ["A", "B"], "re75": [0, 1.5]})
    >>> case_mix_features(frame, ["re75"])
    ['age', 're75']
    """
    problems: list[Problem] = []
    names = [c for c in (*FEATURE_COLUMNS, *_DEFAULT_EXTRA) if c in frame.columns]
    if "age" in names and "age_band" in names:
        names.remove("age_band")
    for c in extra or ():
        if c in FORBIDDEN_CASE_MIX or c.startswith("true_"):
            problems.append(Problem(
                "cannot enter the case-mix model: support, the provider, outcomes, expected"
                " chances, identifiers and the synthetic truth never do", column=c))
        elif c not in frame.columns:
            problems.append(Problem(
                f"case-mix feature is not in the caseload (columns:"
                f" {', '.join(map(str, frame.columns[:30]))})", column=c))
        elif c not in names:
            names.append(c)
    if problems:
        raise InputError(problems)
    if not names:
        raise InputError([Problem(
            "the caseload has none of the characteristics a case-mix model needs (age, sex,"
            " disability, months_unemployed, qualification, ...); name its own with"
            " --case-mix-features a,b,c, or give expected chances (--expected-column)",
            column="case-mix features")])
    return names


def _design(frame: pd.DataFrame, names: Sequence[str]) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Split the features into numbers (booleans as 0/1) and categories."""
    data: dict[str, Any] = {}
    numeric, categorical = [], []
    for c in names:
        col = frame[c]
        if pd.api.types.is_bool_dtype(col):
            data[c] = col.astype("float64").to_numpy()
            numeric.append(c)
        elif pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
            values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, copy=True)
            values[~np.isfinite(values)] = np.nan
            data[c] = values
            numeric.append(c)
        else:
            data[c] = col.astype("string").fillna("(missing)").to_numpy(dtype=object)
            categorical.append(c)
    return pd.DataFrame(data, index=frame.index), numeric, categorical


def _encoder(numeric: list[str], categorical: list[str], x: pd.DataFrame) -> Any:
    """Return the design of the logistic case-mix model (unsupervised: never an outcome)."""
    parts: list[tuple[str, Any, list[str]]] = []
    if numeric:
        parts.append(("num", make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True), StandardScaler()), numeric))
        # Piecewise-constant terms (quintiles) beside the linear one: earnings, months out of
        # work and age rarely act linearly on the log-odds.
        wide = [c for c in numeric if x[c].nunique(dropna=True) > 10]
        if wide:
            parts.append(("bins", make_pipeline(
                SimpleImputer(strategy="median"),
                KBinsDiscretizer(n_bins=5, encode="onehot", strategy="quantile",
                                 quantile_method="averaged_inverted_cdf")), wide))
    if categorical:
        parts.append(("cat", OneHotEncoder(handle_unknown="ignore",
                                           max_categories=_MAX_CATEGORIES), categorical))
    return ColumnTransformer(parts)


def _regression(n_train: int) -> Any:
    """Return the logistic regression itself."""
    # Small caseloads: the penalty chosen by an inner 3-fold cross-validation (log loss), so
    # that weak signals are not over-fitted (a calibration slope well below 1); large ones:
    # a light fixed penalty (it no longer matters, and one fit is fast).
    if n_train < _SMALL:
        return LogisticRegressionCV(Cs=[0.01, 0.1, 1.0], cv=3, scoring="neg_log_loss",
                                    max_iter=300, tol=1e-6)
    return LogisticRegression(C=1.0, max_iter=300, tol=1e-5)


def _logistic(numeric: list[str], categorical: list[str], x: pd.DataFrame, n_train: int) -> Any:
    """Return the logistic case-mix model as one pipeline (design, then regression)."""
    return make_pipeline(_encoder(numeric, categorical, x), _regression(n_train))


def _lightgbm(numeric: list[str], categorical: list[str], seed: int) -> Any:
    from lightgbm import LGBMClassifier
    from sklearn.calibration import CalibratedClassifierCV

    parts: list[tuple[str, Any, list[str]]] = []
    if numeric:
        parts.append(("num", "passthrough", numeric))
    if categorical:
        parts.append(("cat", OneHotEncoder(handle_unknown="ignore",
                                           max_categories=_MAX_CATEGORIES), categorical))
    booster = LGBMClassifier(n_estimators=200, learning_rate=0.05, num_leaves=15,
                             min_child_samples=50, subsample=0.8, subsample_freq=1,
                             colsample_bytree=0.8, random_state=seed, n_jobs=1, verbose=-1)
    # Platt recalibration on held-out folds of the training part.
    return CalibratedClassifierCV(make_pipeline(ColumnTransformer(parts), booster),
                                  method="sigmoid", cv=3)


def fit_quietly(model: Any, x: Any, y: NDArray[np.float64]) -> Any:
    """Fit a scikit-learn model without its warnings about ties and convergence.

    BLAS runs on one thread: the fits are small matrix-vector products, where more threads
    only compete (on a busy 2-core machine a 2,400-person fit took ten times longer with
    them).
    """
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        warnings.simplefilter("ignore", category=UserWarning)  # quantile bins merged at ties
        warnings.simplefilter("ignore", category=FutureWarning)
        return model.fit(x, y)


def calibration_line(y: NDArray[np.float64], p: NDArray[np.float64]) -> tuple[float, float]:
    """Return the calibration intercept (in the large) and slope of predictions ``p``.

    The intercept ``a`` solves ``logit P(y) = a + logit(p)`` (an offset); the slope ``b`` is
    that of ``logit P(y) = c + b logit(p)``; both by Newton's method.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.05, 0.95, 20_000)
    >>> y = (rng.random(p.size) < p).astype(float)
    >>> a, b = calibration_line(y, p)
    >>> abs(a) < 0.05 and abs(b - 1) < 0.05
    True
    """
    lp = logit(np.clip(p, 1e-6, 1 - 1e-6))
    a = 0.0
    for _ in range(25):
        q = sigmoid(a + lp)
        step = float((y - q).sum() / max((q * (1 - q)).sum(), 1e-12))
        a += step
        if abs(step) < 1e-10:
            break
    beta = np.array([0.0, 1.0])
    x = np.column_stack([np.ones_like(lp), lp])
    for _ in range(25):
        q = sigmoid(x @ beta)
        w = q * (1 - q)
        hess = x.T @ (x * w[:, None])
        try:
            step_v = np.linalg.solve(hess, x.T @ (y - q))
        except np.linalg.LinAlgError:
            return a, float("nan")
        beta = beta + step_v
        if np.abs(step_v).max() < 1e-10:
            break
    return float(a), float(beta[1])


def _auc_se(auc: float, n1: int, n0: int) -> float:
    """Hanley and McNeil (1982) standard error of an AUC."""
    if not (n1 and n0) or not math.isfinite(auc):
        return float("nan")
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2)) / (n1 * n0)
    return float(math.sqrt(max(var, 0.0)))


def fit_case_mix(
    frame: pd.DataFrame,
    y: NDArray[np.float64],
    *,
    features: Sequence[str] | None = None,
    split: Literal["kfold", "provider"] = "kfold",
    folds: int = 5,
    learner: Literal["logistic", "lightgbm"] = "logistic",
    providers: NDArray[Any] | None = None,
    rng: np.random.Generator | int | None = None,
) -> CaseMixFit:
    """Fit a case-mix model on a caseload and predict each person out of sample.

    Parameters
    ----------
    frame : pandas.DataFrame
        The caseload (characteristics at referral).
    y : numpy.ndarray
        0/1 job outcomes.
    features : sequence of str, optional
        Further columns to use beside the schema's characteristics present
        (see :func:`case_mix_features`).
    split : {"kfold", "provider"}, default "kfold"
        K-fold cross-fitting (people assigned to folds at random), or leave-one-provider-out
        (each provider's people predicted by a model fitted on the other providers only).
    folds : int, default 5
        Number of folds for K-fold (2 to 20).
    learner : {"logistic", "lightgbm"}, default "logistic"
        Logistic regression (numbers linear and by quintile, categories one-hot; calibrated in
        the large by its own score equations; on fewer than 20,000 people its penalty is chosen
        by an inner cross-validation), or LightGBM with Platt recalibration.
    providers : numpy.ndarray, optional
        Provider of each person (needed for ``split="provider"``; never a feature).
    rng : numpy.random.Generator or int, optional
        Seed of the fold assignment (and LightGBM); default 0, so results repeat.

    Returns
    -------
    CaseMixFit

    Raises
    ------
    InputError
        Bad features, options, too few outcomes of either kind, or one provider only with
        leave-one-provider-out.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> frame = pd.DataFrame({"age": rng.integers(18, 65, 2_000),
    ...                       "months_unemployed": rng.exponential(12, 2_000)})
    >>> p = 1 / (1 + np.exp(-(0.5 - 0.08 * frame["months_unemployed"])))
    >>> y = (rng.random(2_000) < p).to_numpy().astype(float)
    >>> fit = fit_case_mix(frame, y, rng=2)
    >>> fit.features, fit.folds, round(fit.auc, 1)
    (('age', 'months_unemployed'), 5, 0.7)
    """
    problems: list[Problem] = []
    if split not in CASE_MIX_SPLITS:
        problems.append(Problem(f"must be kfold or provider, got {show_value(split)}",
                                column="case-mix split"))
    if learner not in CASE_MIX_LEARNERS:
        problems.append(Problem(f"must be logistic or lightgbm, got {show_value(learner)}",
                                column="case-mix learner"))
    if not isinstance(folds, int | np.integer) or isinstance(folds, bool) or not 2 <= folds <= 20:
        problems.append(Problem(f"must be a whole number from 2 to 20, got {show_value(folds)}",
                                column="case-mix folds"))
    if problems:
        raise InputError(problems)
    names = case_mix_features(frame, features)
    yy = np.asarray(y, dtype=float)
    n1 = int(yy.sum())
    n0 = int(yy.size - n1)
    if min(n1, n0) < 2 * folds:
        raise InputError([Problem(
            f"too few outcomes to fit a case-mix model ({n1} with a job outcome, {n0} without;"
            f" at least {2 * folds} of each are needed); give expected chances instead"
            " (--expected-column)", column="job_outcome")])
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(
        0 if rng is None else int(rng))
    seed = int(gen.integers(2**31 - 1))
    if split == "provider":
        if providers is None:
            raise InputError([Problem("leave-one-provider-out needs the providers",
                                      column="provider_id")])
        fold = pd.factorize(np.asarray(providers))[0]
        k = int(fold.max()) + 1
        if k < 2:
            raise InputError([Problem(
                "leave-one-provider-out needs at least two providers; use K-fold",
                column="case-mix split")])
    else:
        k = int(folds)
        fold = gen.permutation(yy.size) % k
    x, numeric, categorical = _design(frame, names)
    expected = np.empty(yy.size)
    base = float(yy.mean())
    # The logistic model's design is made once for everyone: it is unsupervised (medians,
    # quintiles, scales and categories of the characteristics, never an outcome).
    design: Any = None
    if learner == "logistic":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)  # quintiles merged at ties
            design = _encoder(numeric, categorical, x).fit_transform(x)
        if hasattr(design, "tocsr"):
            design = design.tocsr()
    for j in range(k):
        test = fold == j
        train = ~test
        y_train = yy[train]
        if y_train.min() == y_train.max():  # one class left: predict its rate
            expected[test] = base
            continue
        if learner == "logistic":
            model = fit_quietly(_regression(int(train.sum())), design[train], y_train)
            expected[test] = model.predict_proba(design[test])[:, 1]
        else:
            model = fit_quietly(_lightgbm(numeric, categorical, seed + j), x[train], y_train)
            expected[test] = model.predict_proba(x[test])[:, 1]
    expected = np.clip(expected, 1e-6, 1 - 1e-6)
    auc = roc_auc(yy, expected)
    a, b = calibration_line(yy, expected)
    order = np.argsort(expected, kind="stable")
    decile = np.empty(yy.size, dtype=np.int64)
    decile[order] = (np.arange(yy.size) * 10) // yy.size + 1
    count = np.bincount(decile, minlength=11)[1:]
    cal = pd.DataFrame({
        "decile": np.arange(1, 11), "n": count,
        "mean_expected": np.bincount(decile, expected, minlength=11)[1:] / np.maximum(count, 1),
        "observed_rate": np.bincount(decile, yy, minlength=11)[1:] / np.maximum(count, 1),
    })
    cal = cal[cal["n"] > 0].reset_index(drop=True)
    return CaseMixFit(
        expected=expected, features=tuple(names), split=split, folds=k, learner=learner,
        auc=auc, auc_se=_auc_se(auc, n1, n0), brier=brier_score(yy, expected),
        ece=expected_calibration_error(yy, expected), calibration_intercept=a,
        calibration_slope=b, calibration=cal,
    )
