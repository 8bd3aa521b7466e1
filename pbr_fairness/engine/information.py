"""What the provider knows: its estimate of each person's chances.

The provider acts on its own estimate of ``p0``: the truth, the truth seen through logit noise
(``information_noise``), a model's prediction, or (``provider_knows="posterior"``) the
posterior expectation after a noisy first meeting. Whatever it is based on, the provider keeps
each person's log-odds shift ``delta_i = logit(pmax_i) - logit(p0_i)``, so its perceived gain
is ``sigmoid(lp + delta) - sigmoid(lp)`` at its estimated log-odds ``lp``.

**Posterior expectation** (:func:`posterior_chances`). Before the meeting the provider has a
prior ``L_i ~ N(mu_i, s_i^2)`` for the log-odds ``L_i = logit(p0_i)``, calibrated on its past
caseloads (a regression of ``L`` on the referral's predicted log-odds, or the payment group's
mean and spread). The meeting gives a signal ``x_i = L_i + N(0, tau^2)``. The provider acts on
the posterior ``L_i | x_i ~ N(m_i, v_i)``, ``v_i = 1 / (1 / s_i^2 + 1 / tau^2)``, ``m_i = v_i
(mu_i / s_i^2 + x_i / tau^2)``: its perceived ``p0`` is ``E[sigmoid(L)]`` and its perceived
gain ``E[sigmoid(L + delta) - sigmoid(L)]`` under the posterior (Gauss-Hermite quadrature), not
the signal taken at face value. With ``tau -> 0`` it knows the truth; with ``tau -> inf`` it
acts on its prior.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pbr_fairness.maths import sigmoid

__all__ = ["perceived_chances", "posterior_chances", "prior_from_prediction"]

#: Gauss-Hermite nodes (probabilists') for expectations under a normal posterior.
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(24)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def perceived_chances(
    log_odds: NDArray[np.float64],
    delta: NDArray[np.float64],
    *,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the provider's estimate of each person's ``p0`` and of the gain support buys.

    Parameters
    ----------
    log_odds : numpy.ndarray
        What the estimate is based on, on the log-odds scale (``logit(p0)`` or the logit of a
        model's prediction).
    delta : numpy.ndarray
        Each person's shift ``logit(pmax) - logit(p0)``.
    noise : float, default 0
        Standard deviation of the provider's logit noise; one draw of ``rng.normal(0, noise,
        n)`` is added when positive.
    rng : numpy.random.Generator, optional
        Needed when ``noise > 0``.

    Returns
    -------
    perceived_p0, perceived_gain : numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> p, g = perceived_chances(np.array([0.0]), np.array([np.log(3.0)]))
    >>> float(p[0]), round(float(g[0]), 3)
    (0.5, 0.25)
    """
    lp = log_odds
    if noise > 0:
        if rng is None:
            raise ValueError("a random generator is needed for information noise")
        lp = log_odds + rng.normal(0.0, noise, log_odds.size)
    perceived = sigmoid(lp)
    return perceived, sigmoid(lp + delta) - perceived


def prior_from_prediction(
    log_odds: NDArray[np.float64], predicted_log_odds: NDArray[np.float64]
) -> tuple[NDArray[np.float64], float]:
    """Return a provider's prior for each person: the line of ``L`` on the prediction.

    The provider has seen many past participants and how their chances compared with the
    referral's prediction; its prior mean is ``a + b * predicted_log_odds`` and its prior
    spread the residual standard deviation.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=20_000); truth = 0.5 + 0.8 * x + rng.normal(0, 0.6, x.size)
    >>> mean, sd = prior_from_prediction(truth, x)
    >>> round(sd, 1)
    0.6
    """
    x = np.asarray(predicted_log_odds, dtype=np.float64)
    y = np.asarray(log_odds, dtype=np.float64)
    b, a = np.polyfit(x, y, 1)
    mean = a + b * x
    sd = float(np.sqrt(np.mean((y - mean) ** 2)))
    return mean, max(sd, 1e-6)


def posterior_chances(
    log_odds: NDArray[np.float64],
    delta: NDArray[np.float64],
    *,
    prior_mean: NDArray[np.float64],
    prior_sd: NDArray[np.float64] | float,
    signal_noise: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the provider's posterior expectation of each ``p0`` and of the gain support buys.

    Parameters
    ----------
    log_odds : numpy.ndarray
        The true ``logit(p0)``: the signal is drawn around it.
    delta : numpy.ndarray
        Each person's shift ``logit(pmax) - logit(p0)``.
    prior_mean, prior_sd : numpy.ndarray or float
        The provider's prior for ``logit(p0)`` (:func:`prior_from_prediction`).
    signal_noise : float
        ``tau``: standard deviation of the first meeting's signal on the log-odds scale
        (``> 0``).
    rng : numpy.random.Generator
        Draws the signal.

    Returns
    -------
    perceived_p0, perceived_gain : numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> p, g = posterior_chances(np.zeros(2), np.full(2, 1.0), prior_mean=np.zeros(2),
    ...                          prior_sd=1.0, signal_noise=1e-6,
    ...                          rng=np.random.default_rng(0))
    >>> [round(float(x), 4) for x in p]
    [0.5, 0.5]
    """
    if not signal_noise > 0:
        raise ValueError(f"signal_noise must be positive, got {signal_noise!r}")
    y = np.asarray(log_odds, dtype=np.float64)
    signal = y + rng.normal(0.0, signal_noise, y.size)
    s2 = np.broadcast_to(np.asarray(prior_sd, dtype=np.float64) ** 2, y.shape)
    t2 = signal_noise**2
    var = 1.0 / (1.0 / s2 + 1.0 / t2)
    mean = var * (np.asarray(prior_mean, dtype=np.float64) / s2 + signal / t2)
    sd = np.sqrt(var)
    p0 = np.zeros(y.size)
    pmax = np.zeros(y.size)
    for node, weight in zip(_NODES, _WEIGHTS, strict=True):
        lp = mean + sd * node
        p0 += weight * sigmoid(lp)
        pmax += weight * sigmoid(lp + delta)
    return p0, pmax - p0
