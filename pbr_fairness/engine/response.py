"""Each provider's best response: hours for its own people within its own capacity.

A caseload may be split between several providers; each maximises its own profit over its own
people, with capacity ``capacity_hours`` per person it serves, so each has its own capacity
multiplier. :func:`respond_by_provider` runs the one capacity search
(:func:`~pbr_fairness.engine.capacity.allocate_hours_chunked`) provider by provider, for
people held in one array or in many chunks (national-size runs), and scatters the hours back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.engine.capacity import allocate_hours_chunked, allocate_hours_heterogeneous

__all__ = ["ProviderResponse", "respond_by_provider"]


@dataclass(frozen=True)
class ProviderResponse:
    """Hours per chunk and each provider's marginal cost of an hour.

    Attributes
    ----------
    hours : list of numpy.ndarray
        Hours per person, one array per chunk.
    marginal_cost : numpy.ndarray
        ``c + lam`` of each provider (NaN for a provider with nobody, or when the cost of an
        hour differs between its people).
    capacity_binds : numpy.ndarray of bool
        Whether each provider used all its capacity.
    multiplier : numpy.ndarray
        ``lam`` of each provider.
    """

    hours: list[NDArray[np.float64]]
    marginal_cost: NDArray[np.float64]
    capacity_binds: NDArray[np.bool_]
    multiplier: NDArray[np.float64] | None = None


def respond_by_provider(
    values: Sequence[NDArray[np.float64]],
    gains: Sequence[NDArray[np.float64]],
    ks: Sequence[NDArray[np.float64]],
    index: Sequence[Sequence[NDArray[np.intp] | None]],
    *,
    cost: float,
    capacity_hours: float,
    minimum: float,
    costs: Sequence[NDArray[np.float64]] | None = None,
    minimums: Sequence[NDArray[np.float64]] | None = None,
) -> ProviderResponse:
    """Every provider's profit-maximising hours, each within its own capacity.

    Parameters
    ----------
    values : sequence of numpy.ndarray
        Per chunk: what a job outcome of each person is worth to their provider (the outcome
        value, blended with the planner's weight by a provider's mission).
    gains : sequence of numpy.ndarray
        Per chunk: ``pmax - p0`` as the provider perceives it.
    ks : sequence of numpy.ndarray
        Per chunk: responsiveness per hour.
    index : sequence of sequence of numpy.ndarray or None
        ``index[j][c]``: the people of provider ``j`` in chunk ``c`` (``None``: everyone in
        the chunk).
    cost : float
        Cost of an hour.
    capacity_hours : float
        Hours per person served: provider ``j``'s capacity is ``capacity_hours * n_j``.
    minimum : float
        Minimum hours per person.
    costs, minimums : sequence of numpy.ndarray, optional
        Per chunk: each person's own cost of an hour (cost-sharing) and minimum (funded
        hours). Then provider ``j``'s capacity is ``capacity_hours * n_j`` plus its people's
        minimum hours above ``minimum`` (funded hours are staffed by their funding).

    Returns
    -------
    ProviderResponse

    Examples
    --------
    >>> import numpy as np
    >>> r = respond_by_provider([np.array([1000.0, 1000.0])], [np.array([0.2, 0.2])],
    ...                         [np.array([0.1, 0.1])], [[np.array([0])], [np.array([1])]],
    ...                         cost=5.0, capacity_hours=5.0, minimum=1.0)
    >>> r.hours[0].round(3).tolist(), r.capacity_binds.tolist()
    ([5.0, 5.0], [True, True])
    """
    n_prov = len(index)
    mu = np.empty(n_prov)
    lam = np.zeros(n_prov)
    binds = np.zeros(n_prov, dtype=bool)
    general = costs is not None or minimums is not None
    whole = n_prov == 1 and all(s is None for s in index[0])
    out: list[NDArray[np.float64]] = (
        [] if whole else [np.empty(np.shape(v)[0] if np.ndim(v) else 0) for v in values]
    )
    for j, sel in enumerate(index):

        def pick(a: NDArray[np.float64], s: NDArray[np.intp] | None) -> NDArray[np.float64]:
            return a if s is None else a[s]

        vals = [pick(v, s) for v, s in zip(values, sel, strict=True)]
        n_j = sum(v.size for v in vals)
        if n_j == 0:
            mu[j], binds[j] = np.nan, False
            continue
        g_j = [pick(g, s) for g, s in zip(gains, sel, strict=True)]
        k_j = [pick(k, s) for k, s in zip(ks, sel, strict=True)]
        if general:
            c_all: Sequence[ArrayLike] = costs if costs is not None else [cost] * len(values)
            m_all: Sequence[ArrayLike] = (
                minimums if minimums is not None else [minimum] * len(values)
            )
            c_j = [
                pick(np.broadcast_to(np.asarray(x, dtype=float), np.shape(v)), s)
                for x, v, s in zip(c_all, values, sel, strict=True)
            ]
            m_j = [
                pick(np.broadcast_to(np.asarray(x, dtype=float), np.shape(v)), s)
                for x, v, s in zip(m_all, values, sel, strict=True)
            ]
            funded = float(sum(np.maximum(m - minimum, 0.0).sum() for m in m_j))
            alloc = allocate_hours_heterogeneous(
                vals, g_j, k_j, costs=c_j, minimums=m_j,
                capacity=capacity_hours * n_j + funded,
            )
        else:
            alloc = allocate_hours_chunked(
                vals, g_j, k_j, cost=cost, capacity=capacity_hours * n_j, minimum=minimum
            )
        mu[j], binds[j], lam[j] = alloc.marginal_cost, alloc.capacity_binds, alloc.multiplier
        if whole:
            out = alloc.hours
        else:
            for c, (s, h) in enumerate(zip(sel, alloc.hours, strict=True)):
                if s is None:
                    out[c][:] = h
                else:
                    out[c][s] = h
    return ProviderResponse(out, mu, binds, lam)
