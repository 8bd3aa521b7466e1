"""Providers compared directly within areas of random allocation: no model needed.

In the Work Programme people were allocated to the prime providers of their contract area at
random, which let the evaluation compare primes like for like (NIESR 2016, *Work Programme
evaluation: operation of the commissioning model, finance and programme delivery*, DWP
research report; 26 comparisons of primes within their contract areas). When a caseload marks
the area within which allocation was random (``allocation_area``), the people of every
provider in an area are alike in expectation, so their outcome rates, shares on minimal support
and support by decile of case mix can be compared directly: the comparison needs no model of
expected outcomes at all (a ranking by expected chance is used only to describe support by
decile; any ranking fixed at referral keeps the comparison fair).

Tests are permutation tests of the allocation itself: provider labels are re-drawn within each
area, keeping each area's providers' sizes. For outcome and minimal-support counts the whole
permutation distribution of a provider-by-area table is a multivariate hypergeometric draw per
area (numpy's ``Generator.multivariate_hypergeometric``), so thousands of permutations cost no
more than a few tables; for mean support the permutation distribution's exact mean and variance
give a normal approximation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

__all__ = ["WithinArea", "compare_within_areas", "stratified_difference"]


@dataclass(frozen=True)
class WithinArea:
    """Providers compared within areas of random allocation (before disclosure control).

    Attributes
    ----------
    grid : pandas.DataFrame
        Full grid provider x area: ``n, observed, observed_rate`` and, with support,
        ``parked, parked_share, support_mean``.
    tests : pandas.DataFrame
        One row per provider: its outcome rate and the rate of the other providers in the same
        areas (weighted by its people per area), their difference and permutation p-values
        (``outcome_p_lower``: worse than the others; ``outcome_p_two_sided``); with support the
        same for the share on minimal support (``parked_p_higher``) and mean support
        (``support_p_two_sided``).
    deciles : pandas.DataFrame or None
        Provider x decile of expected chance: ``n, support_mean`` and
        ``support_mean_same_areas`` (the other providers' mean support in the same areas and
        decile, weighted by the provider's people per area).
    permutations : int
        Permutations behind the count tests.
    """

    grid: pd.DataFrame
    tests: pd.DataFrame
    deciles: pd.DataFrame | None
    permutations: int


def stratified_difference(
    count: NDArray[np.float64], n: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Return each row's rate minus the other rows' rate in the same columns, weighted.

    ``count`` and ``n`` have shape ``(..., J, A)`` (J providers, A areas); the result, of shape
    ``(..., J)``, is ``sum_a n_ja (r_ja - r_-j,a) / sum_a n_ja`` over the areas where the
    provider and some other provider both have people.

    Examples
    --------
    >>> n = np.array([[10.0, 10.0], [10.0, 30.0]])
    >>> count = np.array([[5.0, 2.0], [5.0, 6.0]])
    >>> stratified_difference(count, n).round(3).tolist()
    [0.0, 0.0]
    """
    n_area = n.sum(axis=-2, keepdims=True)
    c_area = count.sum(axis=-2, keepdims=True)
    others = n_area - n
    valid = (n > 0) & (others > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where(valid, count - n * (c_area - count) / np.where(others > 0, others, 1.0),
                        0.0)
        weight = np.where(valid, n, 0.0).sum(axis=-1)
        return np.where(weight > 0, diff.sum(axis=-1) / np.where(weight > 0, weight, 1.0),
                        np.nan)


def _rate_of_others(count: NDArray[np.float64], n: NDArray[np.float64]) -> NDArray[np.float64]:
    """Other providers' rate in the same areas, weighted by the provider's people per area."""
    n_area = n.sum(axis=0, keepdims=True)
    c_area = count.sum(axis=0, keepdims=True)
    others = n_area - n
    valid = (n > 0) & (others > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(valid, (c_area - count) / np.where(others > 0, others, 1.0), 0.0)
        weight = np.where(valid, n, 0.0).sum(axis=1)
        return np.where(weight > 0, (rate * n * valid).sum(axis=1) / np.where(weight > 0, weight,
                                                                              1.0), np.nan)


def _permutation_p(
    count: NDArray[np.float64], n: NDArray[np.float64], permutations: int,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Observed statistic and one-sided (lower, higher) permutation p-values per provider."""
    observed = stratified_difference(count, n)
    j, a = n.shape
    draws = np.zeros((permutations, j, a))
    n_int = n.astype(np.int64)
    for k in range(a):  # one multivariate hypergeometric per area (areas, not people)
        total = int(count[:, k].sum())
        if total == 0 or n_int[:, k].sum() == 0:
            continue
        draws[:, :, k] = rng.multivariate_hypergeometric(n_int[:, k], total, size=permutations)
    null = stratified_difference(draws, n[None, :, :])
    tol = 1e-12
    lower = (1 + (null <= observed[None, :] + tol).sum(axis=0)) / (permutations + 1)
    higher = (1 + (null >= observed[None, :] - tol).sum(axis=0)) / (permutations + 1)
    bad = ~np.isfinite(observed)
    lower[bad] = np.nan
    higher[bad] = np.nan
    return observed, lower, higher


def compare_within_areas(
    area: NDArray[Any],
    provider_codes: NDArray[np.int64],
    labels: list[str],
    y: NDArray[np.float64],
    *,
    parked: NDArray[np.bool_] | None = None,
    support: NDArray[np.float64] | None = None,
    decile: NDArray[np.int64] | None = None,
    permutations: int = 9_999,
    rng: np.random.Generator | int | None = None,
) -> WithinArea:
    """Compare providers within areas of random allocation, with permutation tests.

    Parameters
    ----------
    area : numpy.ndarray
        Allocation area of each person.
    provider_codes : numpy.ndarray of int
        Provider of each person as an index into ``labels``.
    labels : list of str
        Provider names.
    y : numpy.ndarray
        0/1 job outcomes.
    parked : numpy.ndarray of bool, optional
        Whether each person had only minimal support.
    support : numpy.ndarray, optional
        Support received (hours, contacts or spend).
    decile : numpy.ndarray of int, optional
        Decile (1-10) of expected chance, to describe support by decile.
    permutations : int, default 9999
        Permutations of the count tests.
    rng : numpy.random.Generator or int, optional
        Seed of the permutations (default 0).

    Returns
    -------
    WithinArea

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> area = np.repeat(["A", "B"], 400)
    >>> prov = rng.integers(0, 2, 800)
    >>> y = (rng.random(800) < np.where(prov == 1, 0.2, 0.4)).astype(float)
    >>> w = compare_within_areas(area, prov, ["P1", "P2"], y, permutations=999, rng=1)
    >>> p = w.tests["outcome_p_lower"]
    >>> bool(p[1] < 0.01), bool(p[0] > 0.5)
    (True, True)
    """
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(
        0 if rng is None else int(rng))
    area_codes, areas = pd.factorize(pd.Series(area).astype(str), sort=True)
    j, a = len(labels), len(areas)
    cell = provider_codes * a + area_codes

    def table(weights: NDArray[np.float64] | None) -> NDArray[np.float64]:
        return np.bincount(cell, weights, minlength=j * a).reshape(j, a).astype(float)

    n = table(None)
    outcomes = table(y)
    o_diff, o_low, o_high = _permutation_p(outcomes, n, permutations, gen)
    n_j = n.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tests = pd.DataFrame({
            "provider_id": labels,
            "n": n_j.astype(np.int64),
            "areas": (n > 0).sum(axis=1),
            "outcome_rate": outcomes.sum(axis=1) / n_j,
            "outcome_rate_same_areas": _rate_of_others(outcomes, n),
            "outcome_difference": o_diff,
            "outcome_p_lower": o_low,
            "outcome_p_two_sided": np.minimum(1.0, 2 * np.minimum(o_low, o_high)),
        })
        grid = pd.DataFrame({
            "provider_id": np.repeat(labels, a),
            "allocation_area": np.tile(np.asarray(areas, dtype=object), j),
            "n": n.ravel().astype(np.int64),
            "observed": outcomes.ravel(),
            "observed_rate": (outcomes / n).ravel(),
        })
    deciles = None
    if parked is not None and support is not None:
        p_count = table(parked.astype(float))
        p_diff, _, p_high = _permutation_p(p_count, n, permutations, gen)
        s_sum = table(support)
        s_sq = table(support**2)
        n_area = n.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_area = s_sum.sum(axis=0) / n_area
            var_area = s_sq.sum(axis=0) / n_area - mean_area**2
            stat = (s_sum - n * mean_area[None, :]).sum(axis=1)
            var = (n * (n_area[None, :] - n) / np.maximum(n_area[None, :] - 1, 1)
                   * np.maximum(var_area, 0.0)[None, :]).sum(axis=1)
            z = stat / np.sqrt(var)
            tests["parked_share"] = p_count.sum(axis=1) / n_j
            tests["parked_share_same_areas"] = _rate_of_others(p_count, n)
            tests["parked_difference"] = p_diff
            tests["parked_p_higher"] = p_high
            tests["support_mean"] = s_sum.sum(axis=1) / n_j
            tests["support_mean_same_areas"] = _rate_of_others(s_sum, n)
            tests["support_difference"] = stratified_difference(s_sum, n)
            tests["support_p_two_sided"] = np.where(var > 0, 2 * stats.norm.sf(np.abs(z)),
                                                    np.nan)
            grid["parked"] = p_count.ravel()
            grid["parked_share"] = (p_count / n).ravel()
            grid["support_mean"] = (s_sum / n).ravel()
        if decile is not None:
            deciles = _support_by_decile(cell, decile, support, j, a, labels)
    return WithinArea(grid, tests, deciles, int(permutations))


def _support_by_decile(
    cell: NDArray[np.int64], decile: NDArray[np.int64], support: NDArray[np.float64],
    j: int, a: int, labels: list[str],
) -> pd.DataFrame:
    """Mean support by provider x decile, and the others' in the same areas and decile."""
    key = cell * 10 + (np.asarray(decile, dtype=np.int64) - 1)
    size = j * a * 10
    n = np.bincount(key, minlength=size).reshape(j, a, 10).astype(float)
    s = np.bincount(key, support, minlength=size).reshape(j, a, 10)
    n_ad, s_ad = n.sum(axis=0, keepdims=True), s.sum(axis=0, keepdims=True)
    others = n_ad - n
    valid = (n > 0) & (others > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        other_mean = np.where(valid, (s_ad - s) / np.where(others > 0, others, 1.0), 0.0)
        weight = np.where(valid, n, 0.0).sum(axis=1)
        same = np.where(weight > 0, (other_mean * n * valid).sum(axis=1)
                        / np.where(weight > 0, weight, 1.0), np.nan)
        n_jd = n.sum(axis=1)
        mean = s.sum(axis=1) / n_jd
    return pd.DataFrame({
        "provider_id": np.repeat(labels, 10),
        "decile": np.tile(np.arange(1, 11), j),
        "n": n_jd.ravel().astype(np.int64),
        "support_mean": mean.ravel(),
        "support_mean_same_areas": same.ravel(),
    })
