"""Why the model places a person where it does: SHAP values in plain words.

SHAP values come from ``shap.TreeExplainer`` in its *tree-path-dependent* mode, which needs
no background data and so works with LightGBM's native categorical splits (the
interventional mode with background data fails on them: shap issue #5132). They are exact
on the log-odds scale of the trees; the model's group offset (an additive function of one
feature) gets its exact SHAP value, ``offset(x) - E[offset]``, added to that feature.

To speak in probabilities, each person's log-odds contributions are rescaled so that they
add up to the person's calibrated probability minus the probability at the reference score:
``points_j = phi_j * (p(x) - p(base)) / (f(x) - base)``. The shares of the contributions
are those of SHAP; the sum is exact on the probability scale.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from pbr_fairness.caseload import schema
from pbr_fairness.distance.classifier import offset_codes
from pbr_fairness.distance.metrics import _resample_counts
from pbr_fairness.distance.model import DistanceModel, _as_frame
from pbr_fairness.distance.provenance import package_version

__all__ = ["Explanation", "describe_contribution", "explain", "shap_group_differences"]


def _yes_no(yes: str, no: str) -> Callable[[Any], str]:
    def phrase(v: Any) -> str:
        text = str(v).strip().lower()
        return yes if text in ("true", "1", "1.0", "yes") else no

    return phrase


_QUALIFICATIONS = {
    "none": "Having no qualifications",
    "gcse": "GCSEs as highest qualification",
    "a_level": "A levels as highest qualification",
    "degree": "Having a degree",
}
_SEXES = {"F": "Being female", "M": "Being male", "X": "Sex recorded as X"}

#: How a feature's value is put into words.
PHRASES: dict[str, Callable[[Any], str]] = {
    "payment_group": lambda v: (
        f"Payment group {v} ({schema.PAYMENT_GROUP_NAMES[str(v)]})"
        if str(v) in schema.PAYMENT_GROUP_NAMES
        else f"Payment group {v}"
    ),
    "age": lambda v: f"Age {float(v):g}",
    "sex": lambda v: _SEXES.get(str(v), f"Sex {v}"),
    "disability": _yes_no("Having a disability", "Having no recorded disability"),
    "ethnicity": lambda v: f"Ethnic group {v}",
    "months_unemployed": lambda v: f"{float(v):g} months out of work",
    "qualification": lambda v: _QUALIFICATIONS.get(str(v), f"Qualification {v}"),
    "region": lambda v: f"Living in {v}",
    "local_unemployment_rate": lambda v: f"A local unemployment rate of {float(v):.1%}",
    "lone_parent": _yes_no("Being a lone parent", "Not being a lone parent"),
    "carer": _yes_no("Being a carer", "Not being a carer"),
    "homeless": _yes_no("Being homeless or insecurely housed", "Having settled housing"),
    "criminal_record": _yes_no("Having a criminal record", "Having no criminal record"),
    "english_language_need": _yes_no(
        "Needing support with English", "Not needing support with English"
    ),
    "benefit": lambda v: f"Claiming {v}",
}


def _points(x: float) -> str:
    text = f"{abs(x) * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text} point" + ("" if text == "1" else "s")


def describe_contribution(feature: str, value: Any, points: float) -> str:
    """Put one contribution into a plain sentence.

    Parameters
    ----------
    feature : str
        Feature name.
    value : object
        The person's value (``None``/NaN when missing).
    points : float
        Contribution on the probability scale (0.04 = 4 percentage points).

    Returns
    -------
    str

    Examples
    --------
    >>> describe_contribution("months_unemployed", 12, -0.04)
    '12 months out of work lowers the chance by 4 points.'
    >>> describe_contribution("disability", True, 0.012)
    'Having a disability raises the chance by 1.2 points.'
    """
    missing = value is None or (isinstance(value, float) and np.isnan(value)) or (
        value is pd.NA
    )
    if missing:
        subject = f"{feature.replace('_', ' ').capitalize()} not recorded"
    elif feature in PHRASES:
        try:
            subject = PHRASES[feature](value)
        except (TypeError, ValueError):
            subject = f"{feature} = {value}"
    else:
        subject = f"{feature} = {value}"
    if abs(points) < 0.0005:
        return f"{subject} hardly changes the chance."
    verb = "raises" if points > 0 else "lowers"
    return f"{subject} {verb} the chance by {_points(points)}."


@dataclass(frozen=True)
class Explanation:
    """SHAP explanation of a model's predictions for a set of people.

    Attributes
    ----------
    features : tuple of str
        Feature names (columns of the SHAP arrays).
    values : pandas.DataFrame
        The people's feature values as given.
    shap_logodds : numpy.ndarray of shape (n, n_features)
        Contributions on the log-odds scale (exact SHAP values).
    shap_points : numpy.ndarray of shape (n, n_features)
        Contributions on the probability scale (fractions; 0.04 = 4 points).
    base_logodds : float
        Reference score (expected raw score over the training population).
    base_probability : float
        Calibrated probability at the reference score.
    probability : numpy.ndarray
        Each person's calibrated probability.
    provenance : dict
        Package version and model training hash.
    """

    features: tuple[str, ...]
    values: pd.DataFrame
    shap_logodds: NDArray[np.float64]
    shap_points: NDArray[np.float64]
    base_logodds: float
    base_probability: float
    probability: NDArray[np.float64]
    provenance: dict[str, Any] = field(default_factory=dict)

    def global_importance(self) -> pd.DataFrame:
        """Mean absolute SHAP value per feature, largest first.

        Returns
        -------
        pandas.DataFrame
            ``feature``, ``importance`` (mean |points|, in percentage points) and
            ``importance_logodds``.
        """
        table = pd.DataFrame(
            {
                "feature": list(self.features),
                "importance": np.abs(self.shap_points).mean(axis=0) * 100.0,
                "importance_logodds": np.abs(self.shap_logodds).mean(axis=0),
            }
        )
        return table.sort_values("importance", ascending=False, kind="stable").reset_index(
            drop=True
        )

    def top_contributions(self, row: int, k: int = 5) -> pd.DataFrame:
        """Return the ``k`` largest contributions (by size) for one person.

        Parameters
        ----------
        row : int
            Position of the person (0-based).
        k : int, default 5
            Number of contributions.

        Returns
        -------
        pandas.DataFrame
            ``feature``, ``value``, ``points`` (percentage points), ``logodds``, ``sentence``.
        """
        pts = self.shap_points[row]
        order = np.argsort(-np.abs(pts), kind="stable")[:k]
        vals = self.values.iloc[row]
        rows = []
        for j in order:
            name = self.features[j]
            v = vals[name]
            v = None if pd.isna(v) else v
            rows.append(
                {
                    "feature": name,
                    "value": v,
                    "points": float(pts[j]) * 100.0,
                    "logodds": float(self.shap_logodds[row, j]),
                    "sentence": describe_contribution(name, v, float(pts[j])),
                }
            )
        return pd.DataFrame(rows)

    def sentences(self, row: int, k: int = 5) -> list[str]:
        """Plain-language sentences for one person: the chance, then the top ``k`` reasons."""
        head = (
            f"Predicted chance of a job outcome: {self.probability[row]:.0%} "
            f"(reference {self.base_probability:.0%})."
        )
        return [head, *self.top_contributions(row, k)["sentence"].tolist()]

    def to_frame(self) -> pd.DataFrame:
        """Tidy table: ``row``, ``feature``, ``shap_logodds``, ``shap_points``."""
        n, f = self.shap_points.shape
        return pd.DataFrame(
            {
                "row": np.repeat(np.arange(n), f),
                "feature": np.tile(np.asarray(self.features, dtype=object), n),
                "shap_logodds": self.shap_logodds.ravel(),
                "shap_points": self.shap_points.ravel() * 100.0,
            }
        )

    def summary(self) -> str:
        """Global importance as Markdown."""
        lines = [
            f"Mean |SHAP| over {len(self.probability):,} people (percentage points of the"
            " chance of a job outcome)",
            "",
            "| feature | mean abs. contribution (points) | log-odds |",
            "|---|---:|---:|",
        ]
        for _, r in self.global_importance().iterrows():
            lines.append(f"| {r.feature} | {r.importance:.2f} | {r.importance_logodds:.3f} |")
        return "\n".join(lines) + "\n"


def explain(model: DistanceModel, X: pd.DataFrame) -> Explanation:
    """Explain a fitted model's predictions with SHAP (TreeExplainer, tree-path-dependent).

    Parameters
    ----------
    model : DistanceModel
        Fitted model.
    X : pandas.DataFrame
        People to explain (the model's feature columns; others are ignored).

    Returns
    -------
    Explanation
    """
    import shap

    frame = _as_frame(X)
    Xm = model._encode(frame)
    spec = model.features_
    with warnings.catch_warnings():
        # shap warns about LightGBM models in a way that does not apply here
        warnings.simplefilter("ignore")
        explainer = shap.TreeExplainer(model.booster_, feature_perturbation="tree_path_dependent")
        phi = np.asarray(explainer.shap_values(Xm), dtype=np.float64)
        base = float(np.ravel(explainer.expected_value)[-1])
    if phi.ndim == 3:  # some shap versions return one array per class
        phi = phi[..., -1]
    col = model._offset_index()
    offsets = model.offsets_
    mean_offset = float(np.dot(model.offset_shares_, offsets))
    off = offsets[offset_codes(Xm, col, offsets)]
    phi = phi.copy()
    if col is not None:
        phi[:, col] += off - mean_offset
    base += mean_offset
    # The linear start is additive: each term's exact SHAP value is term - training mean.
    linear = model.linear_
    phi += linear.terms(Xm) - np.asarray(linear.term_means)[None, :]
    base += linear.intercept + float(np.sum(linear.term_means))
    score = base + phi.sum(axis=1)
    p = model.calibrator_(score)
    p_base = float(model.calibrator_(np.array([base]))[0])
    gap = score - base
    h = 1e-4
    slope = float((model.calibrator_(np.array([base + h]))[0]
                   - model.calibrator_(np.array([base - h]))[0]) / (2 * h))
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(np.abs(gap) > 1e-9, (p - p_base) / gap, slope)
    points = phi * scale[:, None]
    return Explanation(
        features=tuple(spec.names),
        values=frame[list(spec.names)].reset_index(drop=True),
        shap_logodds=phi,
        shap_points=points,
        base_logodds=base,
        base_probability=p_base,
        probability=p,
        provenance={
            "package_version": package_version(),
            "model_training_hash": getattr(model, "training_hash_", ""),
            "method": "shap.TreeExplainer, feature_perturbation='tree_path_dependent'",
        },
    )


def shap_group_differences(
    explanation: Explanation,
    groups: Any,
    *,
    reference: str | None = None,
    n_boot: int = 200,
    rng: np.random.Generator | int | None = None,
    min_group_size: int = 30,
) -> pd.DataFrame:
    """Differences in mean SHAP (points) between each group and a reference group.

    Parameters
    ----------
    explanation : Explanation
        SHAP values of the people.
    groups : array-like
        Group label per person (same order as the explanation).
    reference : str, optional
        Reference group (default: the largest).
    n_boot : int, default 200
        Bootstrap replicates; people are resampled within each group.
    rng : numpy.random.Generator, int or None
        Source of randomness.
    min_group_size : int, default 30
        Smaller groups get a row with ``status = "insufficient data"`` and no numbers.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``reference``, ``feature``, ``n``, ``mean_group``, ``mean_reference``,
        ``difference``, ``lower``, ``upper`` (95% percentile interval; percentage points)
        and ``status``.
    """
    labels = pd.Series(np.asarray(groups, dtype=object)).astype(str).to_numpy()
    if len(labels) != len(explanation.probability):
        raise ValueError("groups must have one label per explained person")
    gen = np.random.default_rng(rng)
    uniq, counts = np.unique(labels, return_counts=True)
    if reference is None:
        reference = str(uniq[np.argmax(counts)])
    if reference not in set(uniq):
        raise ValueError(f"reference group {reference!r} is not among {list(uniq)}")
    pts = explanation.shap_points * 100.0
    feats = list(explanation.features)

    def boot_means(rows: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        m = len(rows)
        return rows.mean(axis=0), _resample_counts(m, n_boot, gen) @ rows / m

    ref_rows = pts[labels == reference]
    ref_mean, ref_boot = boot_means(ref_rows)
    out = []
    for g, n in zip(uniq, counts, strict=True):
        if g == reference:
            continue
        if n < min_group_size or len(ref_rows) < min_group_size:
            for j, f in enumerate(feats):
                out.append({"group": g, "reference": reference, "feature": f, "n": int(n),
                            "mean_group": np.nan, "mean_reference": ref_mean[j],
                            "difference": np.nan, "lower": np.nan, "upper": np.nan,
                            "status": "insufficient data"})
            continue
        mean_g, boot_g = boot_means(pts[labels == g])
        diff_boot = boot_g - ref_boot
        lo, hi = np.percentile(diff_boot, [2.5, 97.5], axis=0)
        for j, f in enumerate(feats):
            out.append({"group": g, "reference": reference, "feature": f, "n": int(n),
                        "mean_group": mean_g[j], "mean_reference": ref_mean[j],
                        "difference": mean_g[j] - ref_mean[j], "lower": lo[j], "upper": hi[j],
                        "status": "ok"})
    return pd.DataFrame(out)
