"""The linear start of the boosting: a main-effects logistic regression, stored as numbers.

Gradient boosting on log-loss learns small effects of small groups slowly (their gradients
rarely win a split) and early stopping halts it before it has: groups far from work with
few members (ESA ex-IB, some ethnic groups) end up over- or under-predicted. Starting the
boosting from a main-effects logistic regression (LightGBM's ``init_score``) gives every
category its own log-odds from the first round; the trees then learn the curvature and the
interactions. The regression is an additive function of the features, so its SHAP values
are exact: ``term_j(x) - mean_j``.

Numbers and booleans enter standardised, missing values at the training median plus a
missing indicator; every category (and "missing") gets its own coefficient.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

from pbr_fairness.errors import InputError, Problem

__all__ = ["LinearInit", "fit_linear_init"]

_MAX_ROWS = 100_000


@dataclass(frozen=True)
class LinearInit:
    """A fitted main-effects logistic regression on the encoded features.

    Parameters
    ----------
    intercept : float
        Intercept (log-odds).
    params : tuple of dict
        Per feature: numbers/booleans ``{"median", "mean", "scale", "coef", "coef_missing"}``;
        categories ``{"coefs": [...]}`` with one entry per category code and a last entry for
        missing or unseen values.
    term_means : tuple of float
        Training mean of each feature's term (the SHAP reference).
    """

    intercept: float
    params: tuple[dict[str, Any], ...]
    term_means: tuple[float, ...]

    def _term(self, j: int, x: NDArray[np.float64]) -> NDArray[np.float64]:
        p = self.params[j]
        if "coefs" in p:
            coefs = np.asarray(p["coefs"], dtype=np.float64)
            k = len(coefs) - 1
            codes = np.nan_to_num(x, nan=k).astype(np.intp)
            np.clip(codes, 0, k, out=codes)
            return coefs[codes]
        slope = p["coef"] / p["scale"]
        out = np.nan_to_num(x, nan=p["median"])
        out *= slope
        out += -slope * p["mean"]
        if p["coef_missing"]:
            out += p["coef_missing"] * np.isnan(x)
        return out

    def terms(self, Xm: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return each feature's contribution to the log-odds, shape ``(n, n_features)``."""
        cols = np.ascontiguousarray(Xm.T)
        return np.column_stack([self._term(j, cols[j]) for j in range(len(self.params))])

    def score(self, Xm: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return the regression's log-odds."""
        cols = np.ascontiguousarray(Xm.T)
        total = np.full(len(Xm), self.intercept)
        for j in range(len(self.params)):
            total += self._term(j, cols[j])
        return total

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description."""
        return {
            "intercept": float(self.intercept),
            "params": [dict(p) for p in self.params],
            "term_means": [float(v) for v in self.term_means],
        }

    @classmethod
    def from_dict(
        cls,
        data: dict[str, Any],
        n_categories: Sequence[int | None],
        *,
        source: str | None = None,
    ) -> LinearInit:
        """Build from :meth:`to_dict` output, checking it against the features.

        Parameters
        ----------
        data : dict
            Output of :meth:`to_dict`.
        n_categories : sequence of int or None
            Per feature: its number of categories, or ``None`` for a number or boolean.
        source : str, optional
            Name of the file, used in error messages.

        Raises
        ------
        InputError
            If the description does not fit the features.
        """
        try:
            intercept = float(data["intercept"])
            params = tuple(dict(p) for p in data["params"])
            means = tuple(float(v) for v in data["term_means"])
            ok = len(params) == len(n_categories) == len(means)
            for k, p in zip(n_categories, params, strict=False):
                if k is not None:
                    p["coefs"] = [float(v) for v in p["coefs"]]
                    ok = ok and len(p["coefs"]) == k + 1
                else:
                    for key in ("median", "mean", "scale", "coef", "coef_missing"):
                        p[key] = float(p[key])
                    ok = ok and p["scale"] > 0
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                [Problem(f"malformed linear start ({exc!r})", column="linear")], source=source
            ) from None
        if not ok:
            raise InputError(
                [Problem("linear start does not match the features", column="linear")],
                source=source,
            )
        return cls(intercept, params, means)


def fit_linear_init(
    Xm: NDArray[np.float64],
    y: NDArray[np.float64],
    n_categories: Sequence[int | None],
    *,
    rng: np.random.Generator | int | None = None,
    C: float = 1.0,
) -> LinearInit:
    """Fit the main-effects logistic regression on encoded features.

    Parameters
    ----------
    Xm : numpy.ndarray
        Encoded features: numbers, or category codes ``0..k-1`` (``NaN``: missing).
    y : numpy.ndarray
        0/1 outcomes.
    n_categories : sequence of int or None
        Per column of ``Xm``: its number of categories ``k``, or ``None`` for a number or
        boolean.
    rng : numpy.random.Generator, int or None
        Picks at most 100,000 rows when there are more.
    C : float, default 1.0
        Inverse L2 penalty on standardised inputs.

    Returns
    -------
    LinearInit
    """
    n = len(Xm)
    rows = np.arange(n)
    if n > _MAX_ROWS:
        rows = np.sort(np.random.default_rng(rng).choice(n, _MAX_ROWS, replace=False))
    X = Xm[rows]
    blocks: list[NDArray[np.float64]] = []
    layout: list[tuple[str, int, dict[str, Any]]] = []
    for j, k in enumerate(n_categories):
        x = X[:, j]
        miss = np.isnan(x)
        if k is not None:
            codes = np.where(miss | (x < 0) | (x >= k), k, np.nan_to_num(x, nan=k)).astype(int)
            onehot = np.zeros((len(x), k + 1))
            onehot[np.arange(len(x)), codes] = 1.0
            blocks.append(onehot)
            layout.append(("cat", k + 1, {}))
        else:
            median = float(np.nanmedian(x)) if (~miss).any() else 0.0
            v = np.where(miss, median, x)
            mean = float(v.mean())
            scale = float(v.std()) or 1.0
            blocks.append(np.column_stack([(v - mean) / scale, miss.astype(float)]))
            layout.append(("num", 2, {"median": median, "mean": mean, "scale": scale}))
    design = np.hstack(blocks)
    lr = LogisticRegression(C=C, max_iter=1000)
    lr.fit(design, y[rows].astype(int))
    coef = lr.coef_[0]
    params: list[dict[str, Any]] = []
    at = 0
    for kind, width, meta in layout:
        c = coef[at : at + width]
        at += width
        if kind == "cat":
            params.append({"coefs": [float(v) for v in c]})
        else:
            params.append({**meta, "coef": float(c[0]), "coef_missing": float(c[1])})
    fitted = LinearInit(float(lr.intercept_[0]), tuple(params), (0.0,) * len(params))
    means = fitted.terms(Xm).mean(axis=0)
    return LinearInit(fitted.intercept, fitted.params, tuple(float(v) for v in means))
