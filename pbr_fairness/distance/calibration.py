"""Probability calibration stored as plain numbers (JSON), never as a pickled object.

Two maps from the booster's raw score (log-odds) to a calibrated probability:

- ``isotonic``: isotonic regression fitted on held-out (or cross-fitted) scores, stored as
  one knot per constant block (at the block's mean score) and evaluated by linear
  interpolation between knots, so the map is strictly increasing between the outermost
  knots and keeps the booster's ranking (no ties created by flat steps);
- ``platt``: ``sigmoid(a * score + b)``, a logistic regression on the score;
- ``none``: ``sigmoid(score)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.isotonic import isotonic_regression
from sklearn.linear_model import LogisticRegression

from pbr_fairness.errors import InputError, Problem
from pbr_fairness.maths import sigmoid

__all__ = ["CALIBRATION_METHODS", "CalibrationMethod", "Calibrator", "fit_calibrator"]

CalibrationMethod = Literal["isotonic", "platt", "none"]
CALIBRATION_METHODS: tuple[str, ...] = ("isotonic", "platt", "none")

_EPS = 1e-6


@dataclass(frozen=True)
class Calibrator:
    """A fitted map from raw score (log-odds) to probability.

    Parameters
    ----------
    method : {"isotonic", "platt", "none"}
        Kind of map.
    x : tuple of float
        Isotonic knots on the score scale (increasing); empty for other methods.
    y : tuple of float
        Isotonic probabilities at the knots (non-decreasing).
    a, b : float
        Platt slope and intercept.
    n_samples : int
        Number of scores the map was fitted on.
    """

    method: CalibrationMethod
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 1.0
    b: float = 0.0
    n_samples: int = 0

    def __call__(self, score: ArrayLike) -> NDArray[np.float64]:
        """Return calibrated probabilities for raw scores."""
        s = np.asarray(score, dtype=np.float64)
        if self.method == "isotonic":
            p = np.interp(s, np.asarray(self.x), np.asarray(self.y))
        elif self.method == "platt":
            p = sigmoid(self.a * s + self.b)
        else:
            p = sigmoid(s)
        return np.clip(p, _EPS, 1.0 - _EPS)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description."""
        return {
            "method": self.method,
            "x": [float(v) for v in self.x],
            "y": [float(v) for v in self.y],
            "a": float(self.a),
            "b": float(self.b),
            "n_samples": int(self.n_samples),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str | None = None) -> Calibrator:
        """Build from :meth:`to_dict` output, checking it.

        Raises
        ------
        InputError
            If the method is unknown or the knots are malformed.
        """
        try:
            method = str(data["method"])
            x = tuple(float(v) for v in data.get("x", ()))
            y = tuple(float(v) for v in data.get("y", ()))
            a = float(data.get("a", 1.0))
            b = float(data.get("b", 0.0))
            n = int(data.get("n_samples", 0))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                [Problem(f"malformed calibration ({exc!r})", column="calibration")], source=source
            ) from None
        problems = []
        if method not in CALIBRATION_METHODS:
            problems.append(
                Problem(f"method {method!r} is not one of {', '.join(CALIBRATION_METHODS)}")
            )
        if method == "isotonic":
            xs, ys = np.asarray(x), np.asarray(y)
            if len(xs) < 1 or len(xs) != len(ys):
                problems.append(Problem("isotonic knots x and y must be non-empty, same length"))
            elif np.any(np.diff(xs) < 0) or np.any(np.diff(ys) < 0):
                problems.append(Problem("isotonic knots must be non-decreasing"))
            elif np.any((ys < 0) | (ys > 1)) or not np.all(np.isfinite(xs)):
                problems.append(Problem("isotonic probabilities must lie in [0, 1]"))
        if problems:
            raise InputError(problems, source=source)
        return cls(method, x, y, a, b, n)  # type: ignore[arg-type]


def fit_calibrator(
    score: ArrayLike, y: ArrayLike, method: CalibrationMethod = "isotonic"
) -> Calibrator:
    """Fit a calibration map on held-out raw scores and outcomes.

    Parameters
    ----------
    score : array-like
        Raw booster scores (log-odds) of people not used to grow the trees.
    y : array-like
        Their 0/1 outcomes.
    method : {"isotonic", "platt", "none"}, default "isotonic"
        Kind of map.

    Returns
    -------
    Calibrator

    Examples
    --------
    >>> cal = fit_calibrator([-2.0, -1.0, 0.0, 1.0], [0, 0, 1, 1], "isotonic")
    >>> [round(float(p), 3) for p in cal([-2.0, -0.5, 1.0])]
    [0.0, 0.5, 1.0]
    """
    s = np.asarray(score, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    if method not in CALIBRATION_METHODS:
        raise ValueError(f"calibration {method!r} is not one of {', '.join(CALIBRATION_METHODS)}")
    if method == "none":
        return Calibrator("none", n_samples=len(s))
    if method == "platt":
        lr = LogisticRegression(C=1e6, solver="lbfgs", max_iter=1000)
        lr.fit(s.reshape(-1, 1), t.astype(int))
        return Calibrator(
            "platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]), n_samples=len(s)
        )
    # Pool tied scores, then fit pool-adjacent-violators on the ordered distinct scores.
    uniq, inverse = np.unique(s, return_inverse=True)
    counts = np.bincount(inverse).astype(float)
    means = np.bincount(inverse, t) / counts
    fitted = isotonic_regression(means, sample_weight=counts, y_min=0.0, y_max=1.0)
    # One knot per constant block of the fit, placed at the block's mean score, so that
    # interpolation between knots is strictly increasing and keeps the booster's ranking.
    starts = np.flatnonzero(np.r_[True, np.diff(fitted) != 0])
    weight = np.add.reduceat(counts, starts)
    knot_x = np.add.reduceat(uniq * counts, starts) / weight
    knot_y = fitted[starts]
    return Calibrator(
        "isotonic",
        x=tuple(float(v) for v in knot_x),
        y=tuple(float(v) for v in knot_y),
        n_samples=len(s),
    )
