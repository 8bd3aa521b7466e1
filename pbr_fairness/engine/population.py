"""A caseload as plain arrays: what the engine evaluates, many times, without pandas.

:class:`Population` holds each person's true response curve, what the provider perceives, the
planner's weights, the codes of every breakdown and the ranks the creaming index needs. It is
built from a caseload table by :func:`pbr_fairness.simulation.prepare_population`;
:func:`pbr_fairness.engine.evaluation.evaluate` then works on numpy arrays only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Breakdown",
    "Population",
    "decile_codes",
    "decile_codes_from_order",
    "fractional_rank",
    "sorted_fractional_rank",
]


def fractional_rank(
    x: ArrayLike, codes: ArrayLike | None = None, *, x_order: NDArray[np.intp] | None = None
) -> NDArray[np.float64]:
    """Fractional rank ``(rank - 0.5) / n`` of ``x``, ties averaged, within each code.

    ``x_order`` (``numpy.argsort(x, kind="stable")``, when the caller has it) saves sorting
    ``x`` again for every set of codes.

    Examples
    --------
    >>> fractional_rank([3.0, 1.0, 2.0, 2.0]).tolist()
    [0.875, 0.125, 0.5, 0.5]
    >>> fractional_rank([3.0, 1.0, 2.0], [0, 1, 0]).tolist()
    [0.75, 0.5, 0.25]
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    if n == 0:
        return np.zeros(0)
    c = np.zeros(n, dtype=np.int64) if codes is None else np.asarray(codes, dtype=np.int64)
    if x_order is None:
        x_order = np.argsort(x, kind="stable")
    # by code, then by x, ties in position order (what numpy.lexsort((x, c)) gives)
    order = x_order[np.argsort(c[x_order], kind="stable")]
    xs, cs = x[order], c[order]
    pos = np.arange(n, dtype=float)
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = (xs[1:] != xs[:-1]) | (cs[1:] != cs[:-1])
    run_id = np.cumsum(new_run) - 1
    run_start = pos[new_run]
    run_len = np.diff(np.append(run_start, n))
    avg_pos = (run_start + (run_len - 1) / 2.0)[run_id]
    new_code = np.ones(n, dtype=bool)
    new_code[1:] = cs[1:] != cs[:-1]
    code_id = np.cumsum(new_code) - 1
    code_start = pos[new_code]
    code_len = np.diff(np.append(code_start, n))
    rank_sorted = (avg_pos - code_start[code_id] + 0.5) / code_len[code_id]
    out = np.empty(n)
    out[order] = rank_sorted
    return out


@dataclass(frozen=True)
class Breakdown:
    """Codes ``0..len(labels)-1`` of one breakdown (``-1`` = missing, left out)."""

    name: str
    codes: NDArray[np.int64]
    labels: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Population:
    """A caseload as arrays (one entry per person).

    Attributes
    ----------
    person_id : numpy.ndarray
        Identifiers (object array).
    payment_group : numpy.ndarray
        Payment-group labels (``str``).
    p0, pmax, k, h : numpy.ndarray
        The true response curve and exit hazard per 4-week period.
    perceived_p0, perceived_gain : numpy.ndarray
        ``p0`` and ``pmax - p0`` as the provider sees them.
    weights : numpy.ndarray
        The planner's equity weights ``w_i``.
    predicted : numpy.ndarray or None
        Model prediction of the probability of a job outcome, if given.
    rank_p0 : numpy.ndarray
        Fractional rank of the true ``p0`` (for the creaming index).
    provider_index : tuple of numpy.ndarray
        Indices of each provider's people (one provider: one array of all).
    breakdowns : dict of str to Breakdown
        Codes of every available breakdown.
    provider_knows : {"truth", "model"}
    seed : int or None
        Entropy of the generator used for the information noise, for provenance.
    caseload_sha256 : str
    characteristics : dict of str to numpy.ndarray
        Protected characteristics (labels), for fairlearn's ``MetricFrame``.
    cache : dict
        Work that does not depend on the tariff (the planner's sorted breakpoints), filled
        on first use.
    """

    person_id: NDArray[Any]
    payment_group: NDArray[Any]
    p0: NDArray[np.float64]
    pmax: NDArray[np.float64]
    k: NDArray[np.float64]
    h: NDArray[np.float64]
    perceived_p0: NDArray[np.float64]
    perceived_gain: NDArray[np.float64]
    weights: NDArray[np.float64]
    predicted: NDArray[np.float64] | None
    rank_p0: NDArray[np.float64]
    provider_index: tuple[NDArray[np.intp], ...]
    breakdowns: dict[str, Breakdown]
    provider_knows: str = "truth"
    seed: int | None = None
    caseload_sha256: str = ""
    characteristics: dict[str, NDArray[Any]] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        """Number of people."""
        return int(self.p0.size)

    @property
    def gain(self) -> NDArray[np.float64]:
        """True ``pmax - p0``."""
        return self.pmax - self.p0

    def take(self, index: ArrayLike) -> Population:
        """Return the sub-population of the people at ``index`` (used in tests and by providers)."""
        idx = np.asarray(index)
        kw: dict[str, Any] = {}
        for f in self.__dataclass_fields__:
            v = getattr(self, f)
            if isinstance(v, np.ndarray) and v.shape[:1] == (self.n,):
                kw[f] = v[idx]
            else:
                kw[f] = v
        kw["provider_index"] = (np.arange(idx.size),)
        kw["breakdowns"] = {
            b: Breakdown(bd.name, bd.codes[idx], bd.labels) for b, bd in self.breakdowns.items()
        }
        kw["characteristics"] = {c: v[idx] for c, v in self.characteristics.items()}
        kw["cache"] = {}
        kw["rank_p0"] = fractional_rank(kw["p0"])
        return Population(**kw)


def decile_codes(x: ArrayLike) -> NDArray[np.int64]:
    """Equal-sized deciles of ``x``: 0 = lowest tenth, 9 = highest (ties by position).

    Examples
    --------
    >>> decile_codes([0.5, 0.1, 0.9, 0.3, 0.7]).tolist()
    [4, 0, 8, 2, 6]
    """
    x = np.asarray(x, dtype=float)
    return decile_codes_from_order(np.argsort(x, kind="stable")).astype(np.int64)


def decile_codes_from_order(order: NDArray[np.intp]) -> NDArray[np.int16]:
    """Decile codes of the people in ``order`` (the permutation that sorts their values).

    Examples
    --------
    >>> import numpy as np
    >>> decile_codes_from_order(np.array([1, 0])).tolist()
    [5, 0]
    """
    n = order.size
    codes = np.empty(n, dtype=np.int16)
    codes[order] = (np.arange(n, dtype=np.int64) * 10) // max(n, 1)
    return codes


def sorted_fractional_rank(xs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Fractional ranks ``(rank - 0.5) / n`` of values already sorted, ties averaged.

    The arithmetic of :func:`fractional_rank` for one group, for callers that have sorted the
    values once (national-size runs rank tens of millions of people without re-sorting).

    Examples
    --------
    >>> import numpy as np
    >>> sorted_fractional_rank(np.array([1.0, 2.0, 2.0, 3.0])).tolist()
    [0.125, 0.5, 0.5, 0.875]
    """
    n = xs.size
    if n == 0:
        return np.zeros(0)
    new_run = np.ones(n, dtype=bool)
    new_run[1:] = xs[1:] != xs[:-1]
    run_start = np.flatnonzero(new_run).astype(float)
    run_len = np.diff(np.append(run_start, n))
    run_id = np.cumsum(new_run) - 1
    del new_run
    out: NDArray[np.float64] = ((run_start + (run_len - 1) / 2.0)[run_id] + 0.5) / n
    return out
