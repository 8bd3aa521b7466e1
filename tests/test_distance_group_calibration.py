"""Issue 16, point 5: group calibration judged by the predictive ratio's 95% interval.

A fixed range (0.95-1.05) is broken by outcome sampling noise alone in groups of 100-300
outcomes; a group is now flagged only when the interval excludes 1 (and, with the synthetic
truth, when the ratio to ``true_p_observable`` lies outside the band outcome noise gives).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pbr_fairness.distance.evaluation import AccuracyTargets, _group_criteria, _group_row


def _row(y, p, truth=None):
    return _group_row("sex", "F", y, p, truth, None, AccuracyTargets())


def test_sampling_noise_alone_does_not_flag_a_calibrated_group():
    rng = np.random.default_rng(0)
    flagged_old = flagged_new = 0
    for _ in range(200):
        truth = np.full(1_000, 0.2)  # about 200 outcomes
        y = (rng.random(truth.size) < truth).astype(float)
        r = _row(y, truth, truth)
        flagged_new += r["flagged"]
        flagged_old += not 0.95 <= r["predictive_ratio"] <= 1.05
        assert r["ratio_ci_low"] < r["predictive_ratio"] < r["ratio_ci_high"]
        assert not r["truth_flagged"]  # the truth itself is never flagged against itself
    assert flagged_old > 80  # the old fixed range flagged about half of perfect groups
    assert flagged_new <= 20  # about 5%: what a 95% interval should give


def test_a_miscalibrated_group_is_flagged_against_outcomes_and_truth():
    rng = np.random.default_rng(1)
    truth = rng.uniform(0.1, 0.4, 5_000)
    y = (rng.random(truth.size) < truth).astype(float)
    r = _row(y, truth * 1.15, truth)
    assert r["flagged"] and r["truth_flagged"] and not r["within_target"]
    assert r["truth_noise_low"] < 1 < r["truth_noise_high"]


def test_criteria_allow_the_flags_chance_gives():
    rows = [{"characteristic": "g", "group": str(i), "flagged": i < 2, "truth_flagged": False,
             "oracle_ratio": 1.0, "predictive_ratio": 1.0, "ratio_ci_low": 0.9,
             "ratio_ci_high": 1.1} for i in range(23)]
    crit = _group_criteria(pd.DataFrame(rows), AccuracyTargets(), with_oracle=True)
    assert crit[0][3] is True and "g=0, g=1" in crit[0][0]  # 2 of 23: within chance (<= 3)
    rows = [dict(r, flagged=int(r["group"]) < 6) for r in rows]
    assert _group_criteria(pd.DataFrame(rows), AccuracyTargets(), with_oracle=False)[0][3] is False
