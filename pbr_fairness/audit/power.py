"""Sample size and power for detecting parking.

The parking test compares the share of people on minimal support among those furthest from
work (the bottom deciles of expected probability) in one provider with the same share in all
other providers pooled: a one-sided two-proportion z-test with unequal group sizes. With
``kappa = n_others / n_provider`` the provider needs (Fleiss; Chow, Shao and Wang 2008)::

    n = (z_a sqrt(pbar qbar (1 + 1/kappa)) + z_b sqrt(p1 q1 + p2 q2 / kappa))^2 / (p1 - p2)^2

people in those deciles, where ``pbar = (p1 + kappa p2) / (1 + kappa)``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["parking_power", "parking_sample_size"]


def parking_sample_size(
    share_others: float,
    effect: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = float("inf"),
    fraction: float = 1.0,
) -> int:
    """People a provider needs for a one-sided test to detect a given parking effect.

    Parameters
    ----------
    share_others : float
        Share on minimal support among the far-from-work in the other providers (``p2``).
    effect : float
        Excess share on minimal support to detect (``p1 - p2 > 0``).
    alpha : float, default 0.05
        One-sided significance level (divide it by the number of tests for a Bonferroni-safe
        statement under multiple-comparison control).
    power : float, default 0.8
        Wanted power.
    ratio : float, default inf
        ``n_others / n_provider``; ``inf`` treats the others' share as known.
    fraction : float, default 1
        Share of the provider's caseload that falls in the tested deciles; the result is the
        whole caseload needed, ``ceil(n_deciles / fraction)``.

    Returns
    -------
    int
        Number of people needed (at least 1).

    Examples
    --------
    >>> parking_sample_size(0.2, 0.1, ratio=1.0)
    231
    """
    p2 = float(share_others)
    p1 = p2 + float(effect)
    if not (0.0 <= p2 < 1.0 and 0.0 < p1 <= 1.0 and effect > 0):
        raise ValueError(
            f"need 0 <= share_others < share_others + effect <= 1 and effect > 0; "
            f"got share_others={share_others!r}, effect={effect!r}"
        )
    if not (0 < alpha < 1 and 0 < power < 1 and 0 < fraction <= 1 and ratio > 0):
        raise ValueError("alpha and power must be in (0, 1), fraction in (0, 1], ratio > 0")
    za = stats.norm.ppf(1 - alpha)
    zb = stats.norm.ppf(power)
    inv = 0.0 if math.isinf(ratio) else 1.0 / ratio
    pbar = p2 if math.isinf(ratio) else (p1 + ratio * p2) / (1 + ratio)
    top = za * math.sqrt(pbar * (1 - pbar) * (1 + inv)) + zb * math.sqrt(
        p1 * (1 - p1) + p2 * (1 - p2) * inv
    )
    n = (top / (p1 - p2)) ** 2
    return max(1, math.ceil(math.ceil(n) / fraction))


def parking_power(
    n_provider: float,
    share_others: float,
    effect: float,
    *,
    alpha: float = 0.05,
    ratio: float = float("inf"),
) -> float:
    """Power of the one-sided two-proportion test with ``n_provider`` people in the deciles.

    Examples
    --------
    >>> round(parking_power(231, 0.2, 0.1, ratio=1.0), 2)
    0.8
    """
    p2 = float(share_others)
    p1 = min(p2 + float(effect), 1.0)
    n1 = float(n_provider)
    if n1 <= 0:
        return 0.0
    inv = 0.0 if math.isinf(ratio) else 1.0 / ratio
    pbar = p2 if math.isinf(ratio) else (p1 + ratio * p2) / (1 + ratio)
    se0 = math.sqrt(pbar * (1 - pbar) * (1 + inv) / n1)
    se1 = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2) * inv) / n1)
    if se1 == 0:
        return 1.0 if p1 > p2 else 0.0
    za = stats.norm.ppf(1 - alpha)
    return float(np.clip(stats.norm.cdf(((p1 - p2) - za * se0) / se1), 0.0, 1.0))
