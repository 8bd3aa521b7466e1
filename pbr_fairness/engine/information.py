"""What the provider knows: its estimate of each person's chances.

The provider acts on its own estimate of ``p0``: the truth, the truth seen through logit noise
(``information_noise``), or a model's prediction. Whatever it is based on, the provider keeps
each person's log-odds shift ``delta_i = logit(pmax_i) - logit(p0_i)``, so its perceived gain
is ``sigmoid(lp + delta) - sigmoid(lp)`` at its estimated log-odds ``lp``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from pbr_fairness.maths import sigmoid

__all__ = ["perceived_chances"]


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
