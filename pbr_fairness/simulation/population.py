"""A caseload turned into plain arrays once, for fast repeated evaluation of tariffs.

:func:`prepare_population` reads the caseload (pandas) once: the true response curve, what
the provider perceives, the planner's weights, the codes of every breakdown and the ranks
the creaming index needs. :func:`~pbr_fairness.simulation.evaluation.evaluate` then works on
numpy arrays only, so that the optimiser and the sweeps can re-evaluate a tariff on hundreds
of thousands of people in milliseconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.caseload.schema import AGE_BANDS, PROTECTED_CHARACTERISTICS, age_band
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.simulation.planner import PlannerSettings, planner_weights
from pbr_fairness.simulation.provider import ProviderSettings
from pbr_fairness.simulation.response import logit, sigmoid

__all__ = [
    "BREAKDOWNS",
    "Breakdown",
    "Population",
    "caseload_hash",
    "fractional_rank",
    "perceived_chances",
    "prepare_population",
]

ProviderKnows = Literal["truth", "model"]

#: Every breakdown a result may hold, in the order they are reported.
BREAKDOWNS: tuple[str, ...] = (
    "overall",
    "payment_group",
    "decile_true_p0",
    "decile_predicted",
    "provider",
    *PROTECTED_CHARACTERISTICS,
)

_TRUTH = ("true_p0", "true_pmax", "true_k", "true_exit_hazard")


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def caseload_hash(caseload: pd.DataFrame) -> str:
    """sha256 of a caseload's content (column names and values), for provenance."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, caseload.columns)).encode())
    h.update(pd.util.hash_pandas_object(caseload, index=False).to_numpy().tobytes())
    return h.hexdigest()


def fractional_rank(x: ArrayLike, codes: ArrayLike | None = None) -> NDArray[np.float64]:
    """Fractional rank ``(rank - 0.5) / n`` of ``x``, ties averaged, within each code.

    Examples
    --------
    >>> fractional_rank([3.0, 1.0, 2.0, 2.0]).tolist()
    [0.875, 0.125, 0.5, 0.5]
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    if n == 0:
        return np.zeros(0)
    c = np.zeros(n, dtype=np.int64) if codes is None else np.asarray(codes, dtype=np.int64)
    order = np.lexsort((x, c))
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


def _codes(
    values: Any, labels: tuple[str, ...] | None = None
) -> tuple[NDArray[np.int64], tuple[str, ...]]:
    s = pd.Series(values).astype("string")
    if labels is None:
        labels = tuple(sorted(s.dropna().unique().tolist()))
    cat = pd.Categorical(s, categories=list(labels))
    return np.asarray(cat.codes, dtype=np.int64), labels


def decile_codes(x: ArrayLike) -> NDArray[np.int64]:
    """Equal-sized deciles of ``x``: 0 = lowest tenth, 9 = highest (ties by position)."""
    x = np.asarray(x, dtype=float)
    n = x.size
    order = np.argsort(x, kind="stable")
    codes = np.empty(n, dtype=np.int64)
    codes[order] = (np.arange(n) * 10) // max(n, 1)
    return codes


def _bool_labels(values: Any) -> NDArray[Any]:
    s = pd.Series(values)
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.map({True: "yes", False: "no"}).to_numpy(dtype=object)
    txt = s.astype("string").str.strip().str.lower()
    yes = txt.isin(["1", "true", "yes", "y", "t", "1.0"])
    no = txt.isin(["0", "false", "no", "n", "f", "0.0"])
    out = np.where(yes, "yes", np.where(no, "no", None))
    return out.astype(object)


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
        n)`` is added when positive (the only random draw of :func:`prepare_population`).
    rng : numpy.random.Generator, optional
        Needed when ``noise > 0``.

    Returns
    -------
    perceived_p0, perceived_gain : numpy.ndarray
    """
    lp = log_odds
    if noise > 0:
        if rng is None:
            raise ValueError("a random generator is needed for information noise")
        lp = log_odds + rng.normal(0.0, noise, log_odds.size)
    perceived = sigmoid(lp)
    return perceived, sigmoid(lp + delta) - perceived


def prepare_population(
    caseload: pd.DataFrame,
    provider: ProviderSettings | None = None,
    *,
    predicted: ArrayLike | None = None,
    provider_knows: ProviderKnows = "truth",
    planner: PlannerSettings | None = None,
    rng: np.random.Generator | int | None = None,
) -> Population:
    """Turn a caseload into a :class:`Population` of numpy arrays.

    Parameters
    ----------
    caseload : pandas.DataFrame
        Needs ``person_id``, ``payment_group`` and the truth columns ``true_p0``,
        ``true_pmax``, ``true_k``, ``true_exit_hazard`` (a synthetic caseload); optional
        ``provider_id``, ``sex``, ``age`` or ``age_band``, ``disability``, ``ethnicity``.
    provider : ProviderSettings, optional
        Its ``information_noise`` is used here.
    predicted : array-like, optional
        Model prediction of the probability of a job outcome per person.
    provider_knows : {"truth", "model"}, default "truth"
        ``"truth"``: the provider sees ``logit(p0) + N(0, information_noise)``; ``"model"``:
        it sees the prediction (then ``pmax`` is perceived as
        ``sigmoid(logit(predicted) + delta_i)``, ``delta_i = logit(pmax_i) - logit(p0_i)``).
    planner : PlannerSettings, optional
        The planner's weights.
    rng : numpy.random.Generator or int, optional
        For the information noise.

    Returns
    -------
    Population

    Raises
    ------
    InputError
        If a needed column is missing or a value is out of range.
    """
    provider = provider or ProviderSettings()
    if provider_knows not in ("truth", "model"):
        raise InputError(
            [
                Problem(
                    f"provider_knows must be 'truth' or 'model', got {provider_knows!r}",
                    column="provider_knows",
                )
            ]
        )
    missing = [c for c in ("person_id", "payment_group", *_TRUTH) if c not in caseload.columns]
    if missing:
        raise InputError(
            [
                Problem("needed by the simulator (a synthetic caseload has it)", column=c)
                for c in missing
            ],
            source="caseload",
        )
    n = len(caseload)
    arrays = {c: caseload[c].to_numpy(dtype=float) for c in _TRUTH}
    p0, pmax, k, h = (arrays[c] for c in _TRUTH)
    problems = []
    for c, lo, hi in (("true_p0", 0, 1), ("true_pmax", 0, 1), ("true_exit_hazard", 0, 1)):
        a = arrays[c]
        if not np.all(np.isfinite(a)) or (a.size and (a.min() < lo or a.max() > hi)):
            problems.append(Problem(f"must be a number in [{lo}, {hi}]", column=c))
    if not np.all(np.isfinite(k)) or np.any(k <= 0):
        problems.append(Problem("must be a positive number", column="true_k"))
    if not problems and np.any(pmax < p0 - 1e-12):
        problems.append(Problem("true_pmax must be >= true_p0", column="true_pmax"))
    q = None
    if predicted is not None:
        q = np.asarray(predicted, dtype=float)
        if q.shape != (n,):
            problems.append(Problem(f"has {q.size} values for {n} people", column="predicted"))
        elif not np.all(np.isfinite(q)) or (n and (q.min() < 0 or q.max() > 1)):
            problems.append(Problem("must be probabilities in [0, 1]", column="predicted"))
    if provider_knows == "model" and predicted is None:
        problems.append(
            Problem("provider_knows='model' needs predicted probabilities", column="provider_knows")
        )
    if problems:
        raise InputError(problems, source="caseload")
    pmax = np.maximum(pmax, p0)

    gen = _rng(rng)
    seed = None
    if not isinstance(rng, np.random.Generator):
        seed = None if rng is None else int(rng)
    delta = logit(pmax) - logit(p0)
    if provider_knows == "model":
        assert q is not None
        perceived_p0, perceived_gain = perceived_chances(logit(q), delta)
    elif provider.information_noise > 0:
        perceived_p0, perceived_gain = perceived_chances(
            logit(p0), delta, noise=provider.information_noise, rng=gen
        )
    else:
        perceived_p0 = p0
        perceived_gain = pmax - p0

    # breakdowns
    bds: dict[str, Breakdown] = {}
    pg_codes, pg_labels = _codes(caseload["payment_group"])
    bds["payment_group"] = Breakdown("payment_group", pg_codes, pg_labels)
    dec_labels = tuple(f"D{i}" for i in range(1, 11))
    bds["decile_true_p0"] = Breakdown("decile_true_p0", decile_codes(p0), dec_labels)
    if q is not None:
        bds["decile_predicted"] = Breakdown("decile_predicted", decile_codes(q), dec_labels)
    if "provider_id" in caseload.columns:
        pc, pl = _codes(caseload["provider_id"])
        if np.any(pc < 0):
            raise InputError(
                [Problem("missing provider_id", column="provider_id")], source="caseload"
            )
        provider_index = tuple(np.flatnonzero(pc == j) for j in range(len(pl)))
        bds["provider"] = Breakdown("provider", pc, pl)
    else:
        provider_index = (np.arange(n),)
    chars: dict[str, NDArray[Any]] = {}
    for c in PROTECTED_CHARACTERISTICS:
        if c == "age_band":
            if "age_band" in caseload.columns:
                vals = caseload["age_band"].astype("string").to_numpy(dtype=object)
            elif "age" in caseload.columns:
                vals = np.asarray(age_band(caseload["age"].to_numpy(dtype=float)), dtype=object)
            else:
                continue
            codes, labels = _codes(vals, AGE_BANDS)
        elif c in caseload.columns:
            vals = (
                _bool_labels(caseload[c])
                if c == "disability"
                else caseload[c].astype("string").to_numpy(dtype=object)
            )
            codes, labels = _codes(vals)
        else:
            continue
        chars[c] = np.asarray(vals, dtype=object)
        bds[c] = Breakdown(c, codes, labels)

    return Population(
        person_id=caseload["person_id"].to_numpy(),
        payment_group=caseload["payment_group"].astype(str).to_numpy(dtype=object),
        p0=p0,
        pmax=pmax,
        k=k,
        h=h,
        perceived_p0=perceived_p0,
        perceived_gain=np.maximum(perceived_gain, 0.0),
        weights=planner_weights(p0, planner),
        predicted=q,
        rank_p0=fractional_rank(p0),
        provider_index=provider_index,
        breakdowns=bds,
        provider_knows=provider_knows,
        seed=seed,
        caseload_sha256=caseload_hash(caseload),
        characteristics=chars,
    )
