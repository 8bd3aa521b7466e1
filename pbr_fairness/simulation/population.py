"""A caseload table turned into the engine's arrays once, for fast repeated evaluation.

:func:`prepare_population` reads the caseload (pandas) once: the true response curve, what
the provider perceives, the planner's weights, the codes of every breakdown and the ranks
the creaming index needs, into a :class:`~pbr_fairness.engine.population.Population`.
:func:`~pbr_fairness.engine.evaluation.evaluate` then works on numpy arrays only, so that the
optimiser and the sweeps can re-evaluate a tariff on hundreds of thousands of people in
milliseconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from pbr_fairness.caseload.schema import AGE_BANDS, PROTECTED_CHARACTERISTICS, age_band
from pbr_fairness.engine.information import (
    perceived_chances,
    posterior_chances,
    prior_from_prediction,
)
from pbr_fairness.engine.planner import PlannerSettings, planner_weights
from pbr_fairness.engine.population import Breakdown, Population, decile_codes, fractional_rank
from pbr_fairness.engine.prediction import ProviderKnows, as_provider_knows, needs_prediction
from pbr_fairness.engine.provider import ProviderSettings
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.maths import logit, sigmoid

__all__ = [
    "BREAKDOWNS",
    "TRUTH_ARRAYS",
    "bool_labels",
    "caseload_hash",
    "characteristic_column",
    "prepare_population",
    "with_demand_shock",
]


#: Every breakdown a result may hold, in the order they are reported.
BREAKDOWNS: tuple[str, ...] = (
    "overall",
    "payment_group",
    "decile_true_p0",
    "decile_predicted",
    "provider",
    *PROTECTED_CHARACTERISTICS,
)

#: The truth columns the simulator needs (a synthetic caseload has them).
TRUTH_ARRAYS: tuple[str, ...] = ("true_p0", "true_pmax", "true_k", "true_exit_hazard")
_TRUTH = TRUTH_ARRAYS


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def caseload_hash(caseload: pd.DataFrame) -> str:
    """sha256 of a caseload's content (column names and values), for provenance."""
    h = hashlib.sha256()
    h.update("\x1f".join(map(str, caseload.columns)).encode())
    h.update(pd.util.hash_pandas_object(caseload, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _codes(
    values: Any, labels: tuple[str, ...] | None = None
) -> tuple[NDArray[np.int64], tuple[str, ...]]:
    """Codes ``0..len(labels)-1`` of values read as text (``-1``: missing or not a label).

    ``labels`` default: the sorted distinct values present. Works on codes, not strings, for
    categorical and object columns (a caseload of a million people codes in milliseconds).
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(s.dtype, pd.CategoricalDtype):
        local = s.cat.codes.to_numpy()
        names = [None if pd.isna(c) else str(c) for c in s.cat.categories]
    else:
        local, uniques = pd.factorize(s, use_na_sentinel=True)
        names = [None if pd.isna(u) else str(u) for u in uniques]
    if labels is None:
        present = np.unique(local[local >= 0]) if local.size else np.zeros(0, dtype=int)
        labels = tuple(sorted({names[i] for i in present if names[i] is not None}))
    index = {lab: i for i, lab in enumerate(labels)}
    lut = np.array([index.get(nm, -1) if nm is not None else -1 for nm in names] + [-1])
    return lut[local].astype(np.int64), labels


def bool_labels(values: Any) -> NDArray[Any]:
    """Labels ``yes``/``no`` (``None`` when unreadable) of a yes/no column such as disability."""
    s = pd.Series(values)
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.map({True: "yes", False: "no"}).to_numpy(dtype=object)
    txt = s.astype("string").str.strip().str.lower()
    yes = txt.isin(["1", "true", "yes", "y", "t", "1.0"])
    no = txt.isin(["0", "false", "no", "n", "f", "0.0"])
    out = np.full(len(s), None, dtype=object)
    out[yes.to_numpy(dtype=bool)] = "yes"
    out[no.to_numpy(dtype=bool)] = "no"
    return out


def _provider_prior(
    caseload: pd.DataFrame, log_odds: NDArray[np.float64], predicted: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64] | float]:
    """Return the provider's prior for ``logit(p0)``: on the prediction, else by group."""
    if predicted is not None:
        return prior_from_prediction(log_odds, logit(predicted))
    codes, _labels = pd.factorize(caseload["payment_group"].astype(str))
    n = np.bincount(codes).astype(float)
    mean = np.bincount(codes, weights=log_odds) / n
    var = np.bincount(codes, weights=log_odds**2) / n - mean**2
    return mean[codes], np.sqrt(np.maximum(var, 1e-12))[codes]


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
    provider_knows : {"truth", "model", "posterior"}, default "truth"
        ``"truth"``: the provider sees ``logit(p0) + N(0, information_noise)``; ``"model"``:
        it sees the prediction (then ``pmax`` is perceived as
        ``sigmoid(logit(predicted) + delta_i)``, ``delta_i = logit(pmax_i) - logit(p0_i)``);
        ``"posterior"``: it acts on the posterior expectation after a first meeting whose
        signal has noise ``provider.signal_noise``, from a prior on the prediction (or, with
        no prediction, on the payment group) (:func:`~pbr_fairness.engine.information.
        posterior_chances`).
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
    p0, pmax, k, h, q = _checked_arrays(caseload, predicted, provider_knows)
    gen = _rng(rng)
    seed = None
    if not isinstance(rng, np.random.Generator):
        seed = None if rng is None else int(rng)
    delta = logit(pmax) - logit(p0)
    if provider_knows == "model":
        assert q is not None
        perceived_p0, perceived_gain = perceived_chances(logit(q), delta)
    elif provider_knows == "posterior":
        prior_mean, prior_sd = _provider_prior(caseload, logit(p0), q)
        perceived_p0, perceived_gain = posterior_chances(
            logit(p0), delta, prior_mean=prior_mean, prior_sd=prior_sd,
            signal_noise=provider.signal_noise, rng=gen,
        )
    elif provider.information_noise > 0:
        perceived_p0, perceived_gain = perceived_chances(
            logit(p0), delta, noise=provider.information_noise, rng=gen
        )
    else:
        perceived_p0 = p0
        perceived_gain = pmax - p0
    bds, provider_index = _group_breakdowns(caseload, p0, q)
    chars = _characteristics(caseload, bds)
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


def _checked_arrays(
    caseload: pd.DataFrame, predicted: ArrayLike | None, provider_knows: str
) -> tuple[NDArray[np.float64], ...]:
    """Return ``p0, pmax, k, h, predicted`` after checking every value (all problems at once)."""
    as_provider_knows(provider_knows)
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
    if needs_prediction(provider_knows=provider_knows) and predicted is None:
        problems.append(
            Problem("provider_knows='model' needs predicted probabilities", column="provider_knows")
        )
    if problems:
        raise InputError(problems, source="caseload")
    return p0, np.maximum(pmax, p0), k, h, q  # type: ignore[return-value]


def _group_breakdowns(
    caseload: pd.DataFrame, p0: NDArray[np.float64], q: NDArray[np.float64] | None
) -> tuple[dict[str, Breakdown], tuple[NDArray[np.intp], ...]]:
    """Payment group, deciles and provider breakdowns, and each provider's people."""
    bds: dict[str, Breakdown] = {}
    pg_codes, pg_labels = _codes(caseload["payment_group"])
    bds["payment_group"] = Breakdown("payment_group", pg_codes, pg_labels)
    dec_labels = tuple(f"D{i}" for i in range(1, 11))
    bds["decile_true_p0"] = Breakdown("decile_true_p0", decile_codes(p0), dec_labels)
    if q is not None:
        bds["decile_predicted"] = Breakdown("decile_predicted", decile_codes(q), dec_labels)
    if "provider_id" not in caseload.columns:
        return bds, (np.arange(len(caseload)),)
    pc, pl = _codes(caseload["provider_id"])
    if np.any(pc < 0):
        raise InputError([Problem("missing provider_id", column="provider_id")], source="caseload")
    bds["provider"] = Breakdown("provider", pc, pl)
    return bds, tuple(np.flatnonzero(pc == j) for j in range(len(pl)))


def characteristic_column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    """Return the column giving a protected characteristic, or ``None`` if the table has none.

    ``age_band`` comes from an ``age_band`` column or is derived from ``age``; ``disability``
    is read as yes/no (:func:`bool_labels`); the others are the columns themselves (a
    categorical column stays categorical).
    """
    if name == "age_band":
        if "age_band" in frame.columns:
            return frame["age_band"].astype("string")
        if "age" in frame.columns:
            return pd.Series(age_band(frame["age"].to_numpy(dtype=float)))
        return None
    if name not in frame.columns:
        return None
    if name == "disability":
        return pd.Series(bool_labels(frame[name]), dtype="string")
    return frame[name]


def _characteristics(
    caseload: pd.DataFrame, bds: dict[str, Breakdown]
) -> dict[str, NDArray[Any]]:
    """Protected characteristics present in the caseload (labels), added to ``bds`` as codes."""
    chars: dict[str, NDArray[Any]] = {}
    for c in PROTECTED_CHARACTERISTICS:
        col = characteristic_column(caseload, c)
        if col is None:
            continue
        codes, labels = _codes(col, AGE_BANDS if c == "age_band" else None)
        chars[c] = np.array([*labels, None], dtype=object)[codes]  # code -1: missing
        bds[c] = Breakdown(c, codes, labels)
    return chars


def with_demand_shock(population: Population, shift: float) -> Population:
    """Return the population after a labour-demand shock of ``shift`` on the log-odds.

    Every chance, with and without support, moves by ``shift`` on the log-odds scale (the
    job outcome, the no-support counterfactual, and the provider's own view of them: it sees
    the labour market it works in); the contract, set before the shock, does not move. A
    negative shift is a downturn.

    Examples
    --------
    >>> import pandas as pd
    >>> cl = pd.DataFrame({"person_id": [1], "payment_group": ["PG1"], "true_p0": [0.5],
    ...     "true_pmax": [0.6], "true_k": [0.1], "true_exit_hazard": [0.1]})
    >>> round(float(with_demand_shock(prepare_population(cl), -0.5).p0[0]), 4)
    0.3775
    """
    pop = population
    pmax_seen = pop.perceived_p0 + pop.perceived_gain
    p0_seen = sigmoid(logit(pop.perceived_p0) + shift)
    return replace(
        pop,
        p0=sigmoid(logit(pop.p0) + shift),
        pmax=sigmoid(logit(pop.pmax) + shift),
        perceived_p0=p0_seen,
        perceived_gain=np.maximum(sigmoid(logit(pmax_seen) + shift) - p0_seen, 0.0),
        cache={},
    )
