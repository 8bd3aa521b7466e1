"""DistanceClassifier, the distance model's core, passes scikit-learn's estimator checks.

Two settings, small and fast (few trees) but covering every code path: the defaults
(5-fold cross-fitting, the linear start, Platt calibration, one shift for everyone), and a
held-out calibration with isotonic regression, no linear start and a categorical column
carrying the shifts.

No check is marked as expected to fail: every check that applies passes. One is skipped by
scikit-learn itself: ``check_array_api_input`` runs only when the environment variable
``SCIPY_ARRAY_API=1`` is set before SciPy is imported (it passes then, too).
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from pbr_fairness.distance import DistanceClassifier

ESTIMATORS = [
    DistanceClassifier(n_estimators=8, rng=0),
    DistanceClassifier(
        n_estimators=8,
        categorical_features=[0],
        cv=None,
        calibration="isotonic",
        linear_start=False,
        offset=0,
        rng=0,
    ),
]


def expected_failed_checks(estimator: DistanceClassifier) -> dict[str, str]:
    """Checks that cannot apply, with the reason (none: every applicable check passes)."""
    return {}


@parametrize_with_checks(
    ESTIMATORS, expected_failed_checks=expected_failed_checks, xfail_strict=True
)
def test_sklearn_estimator_checks(estimator, check) -> None:
    check(estimator)
