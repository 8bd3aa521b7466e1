"""Audit statistics against slow, obviously correct references and known values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from pbr_fairness.audit import (
    benjamini_hochberg,
    clopper_pearson,
    concentration_index,
    funnel_limits,
    holm,
    oe_interval,
    overdispersion,
    parked_share_test,
    parking_power,
    parking_sample_size,
    slope_test,
)

# --------------------------------------------------------------------------- intervals


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 60), st.integers(1, 60))
def test_clopper_pearson_matches_binomial_tail_inversion(x, extra):
    n = x + extra - 1 if x + extra - 1 >= x else x
    n = max(n, 1)
    x = min(x, n)
    lo, hi = clopper_pearson(x, n, 0.05)
    # The upper limit is where P(X <= x) = 2.5%; the lower where P(X >= x) = 2.5%.
    if x < n:
        assert stats.binom.cdf(x, n, float(hi)) == pytest.approx(0.025, abs=1e-6)
    else:
        assert float(hi) == 1.0
    if x > 0:
        assert stats.binom.sf(x - 1, n, float(lo)) == pytest.approx(0.025, abs=1e-6)
    else:
        assert float(lo) == 0.0


def test_oe_interval_is_exact_poisson_scaled_by_expected():
    lo, hi = oe_interval([0, 10, 57], [4.0, 10.0, 50.0])
    # Inverting the Poisson tails by root finding.
    for o, e, a, b in zip([0, 10, 57], [4.0, 10.0, 50.0], lo, hi, strict=True):
        up = optimize.brentq(lambda m, o=o: stats.poisson.cdf(o, m) - 0.025, 1e-9, 500)
        assert b == pytest.approx(up / e, rel=1e-6)
        if o > 0:
            dn = optimize.brentq(lambda m, o=o: stats.poisson.sf(o - 1, m) - 0.025, 1e-9, 500)
            assert a == pytest.approx(dn / e, rel=1e-6)
        else:
            assert a == 0.0


# --------------------------------------------------------------------------- funnels


def _funnel_reference(o, e, z):
    """Plain-loop transcription of FunnelPlotR's SHMI method (od_adjustment.R)."""
    ys = [np.log(oi / ei) for oi, ei in zip(o, e, strict=True)]
    ss = [1 / np.sqrt(ei) for ei in e]
    zs = [np.sqrt(ei) * np.log(oi / ei) for oi, ei in zip(o, e, strict=True)]
    lo, hi = np.quantile(zs, [0.1, 0.9])
    zw = [min(max(v, lo), hi) for v in zs]
    n = len(zs)
    phi = sum(v * v for v in zw) / n
    w = [1 / s**2 for s in ss]
    if n * phi < n - 1:
        tau2 = 0.0
    else:
        tau2 = max(0.0, (n * phi - (n - 1)) / (sum(w) - sum(x * x for x in w) / sum(w)))
    upper = [np.exp(z * np.sqrt(s * s + tau2)) for s in ss]
    return phi, tau2, upper, ys


def test_funnel_matches_reference_with_overdispersion():
    rng = np.random.default_rng(4)
    e = rng.uniform(50, 500, 30)
    o = rng.poisson(e * np.exp(rng.normal(0, 0.3, 30))) + 1
    f = funnel_limits(o, e, method="ratio")
    phi, tau2, upper, _ = _funnel_reference(o, e, 3.090232)
    assert f.dispersion.phi == pytest.approx(phi)
    assert f.dispersion.tau2 == pytest.approx(tau2)
    assert f.dispersion.applied and tau2 > 0
    np.testing.assert_allclose(f.upper998, upper)


def test_funnel_without_overdispersion_keeps_poisson_limits():
    e = np.array([100.0, 200.0, 300.0, 400.0])
    o = e.copy()  # exactly as expected: phi = 0
    f = funnel_limits(o, e)
    assert f.dispersion.tau2 == 0.0 and not f.dispersion.applied
    np.testing.assert_allclose(f.upper95, np.exp(1.959964 / np.sqrt(e)))


def test_proportion_funnel_uses_arcsine_around_pooled_rate():
    n = np.array([100.0, 400.0, 900.0])
    o = np.array([30.0, 120.0, 270.0])
    f = funnel_limits(o, n, method="proportion")
    assert f.target == pytest.approx(0.3)
    np.testing.assert_allclose(
        f.upper95, np.sin(np.arcsin(np.sqrt(0.3)) + 1.959964 / (2 * np.sqrt(n))) ** 2
    )


def test_overdispersion_winsorises_outliers():
    z = np.array([0.1, -0.2, 0.3, 0.0, 50.0, -0.1, 0.2, 0.1, -0.3, 0.0])
    d = overdispersion(z, np.full(10, 0.1))
    top = np.quantile(z, 0.9)
    assert d.phi < 50.0**2 / 10  # the outlier was pulled in
    assert d.phi == pytest.approx(np.mean(np.clip(z, np.quantile(z, 0.1), top) ** 2))


# --------------------------------------------------------------------------- multiple testing


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_holm_and_bh_match_slow_definitions(p):
    p = np.array(p)
    m = p.size
    order = np.argsort(p, kind="stable")
    holm_ref = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        holm_ref[i] = running
    bh_ref = np.empty(m)
    for i in range(m):
        bh_ref[i] = min(min(1.0, p[j] * m / (np.sum(p <= p[j]))) for j in range(m) if p[j] >= p[i])
    np.testing.assert_allclose(holm(p), holm_ref)
    np.testing.assert_allclose(benjamini_hochberg(p), bh_ref)
    assert np.all(benjamini_hochberg(p) <= holm(p) + 1e-12)


def test_nan_pvalues_stay_nan_and_do_not_count():
    adj = holm([0.01, np.nan, 0.02])
    assert np.isnan(adj[1])
    assert adj[0] == pytest.approx(0.02) and adj[2] == pytest.approx(0.02)


# --------------------------------------------------------------------------- concentration index


def _ci_reference(h, p):
    n = len(h)
    ranks = stats.rankdata(p) / n - 0.5 / n
    mu = sum(h) / n
    return 2 * sum((hi - mu) * (ri - ranks.mean()) for hi, ri in zip(h, ranks, strict=True)) / (
        n * mu
    )


def test_concentration_index_matches_covariance_formula_and_bootstrap():
    rng = np.random.default_rng(1)
    p = rng.random(800)
    h = rng.gamma(2.0, 1.0, 800) * (1 + 2 * p)
    c = concentration_index(h, p)
    assert c.index == pytest.approx(_ci_reference(h, p))
    assert c.index > 0
    boot = [concentration_index(h[i], p[i]).index for i in rng.integers(0, 800, (200, 800))]
    assert c.se == pytest.approx(np.std(boot), rel=0.3)


def test_concentration_index_sign_and_bounds():
    p = np.linspace(0, 1, 50)
    assert concentration_index(np.ones(50), p).index == pytest.approx(0.0, abs=1e-12)
    assert concentration_index(p, p).index > 0
    assert concentration_index(1 - p, p).index < 0
    assert -1 <= concentration_index(np.r_[np.zeros(49), 1.0], p).index <= 1


# --------------------------------------------------------------------------- parking tests


def test_slope_test_detects_steeper_provider_and_not_an_equal_one():
    rng = np.random.default_rng(2)
    n = 4000
    p = rng.random(n)
    prov = rng.random(n) < 0.25
    h_equal = 5 + 3 * p + rng.normal(0, 1, n)
    h_steep = h_equal + prov * 4 * p
    assert slope_test(h_steep, p, prov).p_value < 1e-6
    t = slope_test(h_equal, p, prov)
    assert t.p_value > 0.001
    lo, hi = t.interval()
    assert lo < 0 < hi


def test_slope_test_hc1_matches_statsmodels_style_sandwich():
    rng = np.random.default_rng(3)
    n = 300
    p = rng.random(n)
    d = rng.random(n) < 0.4
    h = 2 + p + d * 0.5 * p + rng.normal(0, 1 + p, n)
    x = np.column_stack([np.ones(n), p, d, d * p])
    beta, *_ = np.linalg.lstsq(x, h, rcond=None)
    e = h - x @ beta
    bread = np.linalg.inv(x.T @ x)
    cov = bread @ (x.T * e**2) @ x @ bread * n / (n - 4)
    t = slope_test(h, p, d)
    assert t.difference == pytest.approx(beta[3])
    assert t.se == pytest.approx(np.sqrt(cov[3, 3]))


def test_parked_share_test_one_sided():
    rng = np.random.default_rng(5)
    n = 6000
    dec = rng.integers(1, 11, n)
    prov = rng.random(n) < 0.2
    parked = rng.random(n) < np.where(prov & (dec <= 3), 0.5, 0.3)
    t = parked_share_test(parked, dec, prov, far_deciles=3)
    assert t.difference == pytest.approx(0.2, abs=0.06)
    assert t.p_value < 1e-6
    assert parked_share_test(parked, dec, ~prov, far_deciles=3).p_value > 0.5


def test_sample_size_and_power_agree_and_simulate():
    n = parking_sample_size(0.3, 0.1, alpha=0.05, power=0.8)
    assert parking_power(n, 0.3, 0.1, alpha=0.05) >= 0.8
    assert parking_power(n * 0.8, 0.3, 0.1, alpha=0.05) < 0.8
    # Simulated power of the one-sided test with the others' share known.
    rng = np.random.default_rng(6)
    x = rng.binomial(n, 0.4, 4000) / n
    z = (x - 0.3) / np.sqrt(0.3 * 0.7 / n)
    assert np.mean(z > stats.norm.ppf(0.95)) == pytest.approx(0.8, abs=0.03)
    # Half of the caseload in the tested deciles doubles the caseload needed.
    assert parking_sample_size(0.3, 0.1, fraction=0.5) == pytest.approx(2 * n, abs=2)
    with pytest.raises(ValueError):
        parking_sample_size(0.95, 0.1)


def test_concentration_index_with_tied_ranks_matches_average_ranks():
    rng = np.random.default_rng(8)
    p = np.round(rng.random(500), 1)  # many ties, as from a banded or isotonic model
    h = rng.gamma(2.0, 1.0, 500) + 3 * p
    assert concentration_index(h, p).index == pytest.approx(_ci_reference(h, p))
    # Order within ties does not matter.
    perm = rng.permutation(500)
    assert concentration_index(h[perm], p[perm]).index == pytest.approx(
        concentration_index(h, p).index
    )
