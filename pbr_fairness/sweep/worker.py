"""What runs on a worker: build a scenario's inputs and simulate it.

Workers (local processes or Dask workers) keep the caseload in a per-process cache keyed on
how it was made (size, providers, seed, or file path and hash), so a 100,000-person frame is
built once per worker and never pickled per task. Contracts are cached by their overrides.
Everything here is deterministic given the scenario: the same scenario gives the same rows on
every backend.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from pbr_fairness.caseload.generator import historic_provider, make_caseload, with_response
from pbr_fairness.caseload.io import read_caseload
from pbr_fairness.caseload.parameters import load_generator_parameters
from pbr_fairness.contracts import Contract, ContractSpec, load_contract
from pbr_fairness.engine.evaluation import breakdown_measures, evaluate
from pbr_fairness.engine.information import perceived_chances
from pbr_fairness.engine.measures import MEASURES
from pbr_fairness.engine.population import Population, fractional_rank
from pbr_fairness.engine.prediction import ProviderKnows, as_provider_knows, needs_prediction
from pbr_fairness.engine.provider import ProviderSettings
from pbr_fairness.errors import InputError, Problem
from pbr_fairness.maths import logit
from pbr_fairness.simulation.flat import flat_contract
from pbr_fairness.simulation.population import prepare_population
from pbr_fairness.simulation.simulate import as_mode, simulate_contract
from pbr_fairness.sweep.spec import Scenario, SweepSpec

__all__ = [
    "apply_contract_overrides",
    "build_contract",
    "build_provider",
    "evaluate_scenario",
    "get_caseload",
    "run_batch",
    "warm_worker",
]

logger = logging.getLogger(__name__)

_LOCK = threading.RLock()
_CASELOADS: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_CASELOAD_CACHE_SIZE = 2
_CONTRACTS: OrderedDict[tuple, Any] = OrderedDict()
_CONTRACT_CACHE_SIZE = 256
_SPECS: dict[str, SweepSpec] = {}
_PREPARED: OrderedDict[tuple, Any] = OrderedDict()
_BASES: OrderedDict[tuple, Any] = OrderedDict()

RESULT_COLUMNS: tuple[str, ...] = ("breakdown", "group", "measure", "value", "lower", "upper")


# -- caseloads -----------------------------------------------------------------------------
def _caseload_key(spec: SweepSpec, scenario: Scenario | None) -> tuple:
    cl = spec.caseload
    if cl.path is not None:
        return ("file", cl.path)
    if cl.resample and scenario is not None:
        return ("synthetic", cl.n, cl.providers, "replicate", scenario.seed_spawn_key, cl.response)
    return ("synthetic", cl.n, cl.providers, cl.seed, cl.response)


def _make_caseload(spec: SweepSpec, key: tuple, scenario: Scenario | None) -> pd.DataFrame:
    cl = spec.caseload
    if cl.path is not None:
        return read_caseload(cl.path)
    if key[3] == "replicate":
        assert scenario is not None
        rng: Any = np.random.default_rng(
            np.random.SeedSequence(scenario.seed_entropy, spawn_key=(*scenario.seed_spawn_key, 0))
        )
    else:
        rng = cl.seed
    return make_caseload(int(cl.n or 0), rng=rng, providers=cl.providers, response=cl.response)


def get_caseload(spec: SweepSpec, scenario: Scenario | None = None) -> pd.DataFrame:
    """Return the scenario's caseload, from this process's cache or built once.

    Parameters
    ----------
    spec : SweepSpec
        The sweep.
    scenario : Scenario, optional
        Needed when the spec resamples the caseload per seed replicate.

    Returns
    -------
    pandas.DataFrame
        Shared: callers must not modify it.
    """
    key = _caseload_key(spec, scenario)
    with _LOCK:
        frame = _CASELOADS.get(key)
        if frame is not None:
            _CASELOADS.move_to_end(key)
            return frame
        frame = _make_caseload(spec, key, scenario)
        _CASELOADS[key] = frame
        while len(_CASELOADS) > _CASELOAD_CACHE_SIZE:
            _CASELOADS.popitem(last=False)
        logger.debug("built caseload %s (%d people)", key, len(frame))
        return frame


# -- contracts and provider settings -------------------------------------------------------
def _set_path(data: Any, parts: list[str], value: Any, full: str) -> None:
    """Set ``value`` at a dotted path in nested dicts/lists; ``*`` matches every key."""
    head, rest = parts[0], parts[1:]
    if isinstance(data, list):
        try:
            index = int(head)
            target_keys: list[Any] = [index]
            data[index]  # bounds check
        except (ValueError, IndexError):
            raise KeyError(f"{full}: {head!r} is not an index of a list of {len(data)}") from None
    elif isinstance(data, dict):
        if head == "*":
            target_keys = list(data)
        elif head in data:
            target_keys = [head]
        else:
            raise KeyError(f"{full}: no key {head!r} here (keys: {', '.join(map(str, data))})")
    else:
        raise KeyError(f"{full}: {head!r} goes below a single value")
    for key in target_keys:
        if rest:
            _set_path(data[key], rest, value, full)
        elif isinstance(data[key], dict) and "value" in data[key]:
            # A PolicyEngine-style figure: set its value, mark it as set by the sweep.
            data[key]["value"] = value
            data[key]["estimate"] = True
            data[key]["reason"] = "varied by a parameter sweep"
        elif isinstance(data[key], dict | list):
            raise KeyError(f"{full}: ends at a section, not a value")
        else:
            data[key] = value


def apply_contract_overrides(contract: Any, overrides: dict[str, Any]) -> Any:
    """Return a copy of a contract with values set at dotted paths.

    Parameters
    ----------
    contract : pbr_fairness.contracts.Contract
        The base contract.
    overrides : dict
        Path inside the contract (without the ``contract.`` prefix), e.g.
        ``groups.PG6.job_outcome_fee`` or ``groups.*.sustainment_fee``, to value. A path
        that ends at a figure sets the figure's value.

    Returns
    -------
    Contract

    Raises
    ------
    InputError
        Naming the bad path, or the contract's own validation problems.
    """
    if not overrides:
        return contract
    data = contract.spec.model_dump(mode="json")  # a fresh dict: safe to modify
    problems = []
    for path, value in overrides.items():
        try:
            _set_path(data, path.split("."), value, f"contract.{path}")
        except KeyError as exc:
            problems.append(Problem(str(exc.args[0]), column=f"contract.{path}"))
    if problems:
        raise InputError(problems, source="sweep parameters")
    try:
        spec = ContractSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            [
                Problem(
                    e["msg"].removeprefix("Value error, "),
                    column="contract." + ".".join(str(x) for x in e["loc"]),
                )
                for e in exc.errors()
            ],
            source="sweep parameters",
        ) from None
    # The hash of the canonical JSON, not of YAML text: emitting YAML for each of thousands of
    # swept contracts would cost more than simulating them.
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    return Contract(spec, source=f"{contract.source} (swept)", sha256=digest)


def build_provider(spec: SweepSpec, params: dict[str, Any]) -> Any:
    """Return the scenario's :class:`~pbr_fairness.simulation.ProviderSettings`."""
    settings: dict[str, Any] = dict(spec.provider)
    settings.update(
        {k.partition(".")[2]: v for k, v in params.items() if k.startswith("provider.")}
    )
    if dataclasses.is_dataclass(ProviderSettings):
        allowed = [f.name for f in dataclasses.fields(ProviderSettings)]
    else:  # pragma: no cover - a pydantic model
        allowed = list(getattr(ProviderSettings, "model_fields", {}))
    bad = [k for k in settings if allowed and k not in allowed]
    if bad:
        raise InputError(
            [
                Problem(
                    f"unknown provider setting; allowed: {', '.join(allowed)}",
                    column=f"provider.{k}",
                )
                for k in bad
            ],
            source="sweep spec",
        )
    try:
        base = ProviderSettings()
        if spec.caseload.response is not None:
            # the provider fitted with the caseload's response scenario (its contact hours)
            base = historic_provider(with_response(load_generator_parameters(),
                                                   spec.caseload.response))
        return base.replace(**settings)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError([Problem(str(exc), column="provider")], source="sweep spec") from None


def _contract_key(spec: SweepSpec, params: dict[str, Any]) -> tuple:
    base = params.get("contract", spec.contract)
    overrides = tuple(
        sorted((k.partition(".")[2], v) for k, v in params.items() if k.startswith("contract."))
    )
    return (str(base), overrides)


def build_contract(
    spec: SweepSpec,
    params: dict[str, Any],
    *,
    caseload: pd.DataFrame | None = None,
    provider: Any = None,
    caseload_key: tuple | None = None,
) -> Any:
    """Return the scenario's contract: the base (preset or file) with the overrides applied.

    The ``flat`` preset is computed on the caseload (``flat_contract(caseload, provider)``).
    """
    key = _contract_key(spec, params)
    base, overrides = key
    if base == "flat":
        # Depends on the caseload and the provider: cached per caseload and provider.
        if caseload is None:
            caseload = get_caseload(spec)
            caseload_key = _caseload_key(spec, None)
        if caseload_key is None:
            caseload_key = ("object", id(caseload))
        provider_knows = as_provider_knows(params.get("provider_knows", spec.provider_knows))
        base_key: tuple = ("flat", caseload_key, repr(provider), provider_knows)
        with _LOCK:
            flat = _BASES.get(base_key)
        if flat is None:
            flat = flat_contract(
                caseload,
                provider,
                predicted=_predicted(spec, caseload),
                provider_knows=provider_knows,
            )
            with _LOCK:
                _BASES[base_key] = flat
                while len(_BASES) > _CONTRACT_CACHE_SIZE:
                    _BASES.popitem(last=False)
        key = (base_key, overrides)
        base_contract = flat
    else:
        base_key = ("preset_or_file", base)
        with _LOCK:
            base_contract = _BASES.get(base_key)
        if base_contract is None:
            base_contract = load_contract(base)
            with _LOCK:
                _BASES[base_key] = base_contract
    with _LOCK:
        hit = _CONTRACTS.get(key)
        if hit is not None:
            _CONTRACTS.move_to_end(key)
            return hit
    contract = apply_contract_overrides(base_contract, dict(overrides))
    with _LOCK:
        _CONTRACTS[key] = contract
        while len(_CONTRACTS) > _CONTRACT_CACHE_SIZE:
            _CONTRACTS.popitem(last=False)
    return contract


# -- evaluation ----------------------------------------------------------------------------
def _spec_from_payload(payload: dict[str, Any]) -> SweepSpec:
    key = json.dumps(payload, sort_keys=True, default=str)
    spec = _SPECS.get(key)
    if spec is None:
        spec = SweepSpec.model_validate(payload)
        _SPECS.clear()
        _SPECS[key] = spec
    return spec


def _predicted(spec: SweepSpec, caseload: pd.DataFrame) -> np.ndarray | None:
    column = spec.predicted_column
    if column is None:
        return None
    if column not in caseload:
        raise InputError(
            [Problem(f"the caseload has no column {column!r}", column="predicted_column")],
            source="sweep spec",
        )
    return caseload[column].to_numpy(dtype=float)


@dataclass(frozen=True, eq=False)
class _Prepared:
    """A caseload turned into arrays once per worker, with what every scenario re-uses."""

    pop: Population  # noise-free
    inputs: dict[str, tuple[Any, int, np.ndarray, tuple[str, ...]]]
    group_labels: np.ndarray
    group_codes: np.ndarray
    predicted: np.ndarray | None
    lp0: np.ndarray  # logit(p0)
    delta: np.ndarray  # logit(pmax) - logit(p0)


def _prepared(
    spec: SweepSpec,
    scenario: Scenario | None,
    caseload: pd.DataFrame,
    provider_knows: ProviderKnows,
) -> _Prepared:
    """Return the noise-free population of this worker's caseload (built once, then cached)."""
    key = (_caseload_key(spec, scenario), provider_knows, spec.predicted_column)
    with _LOCK:
        hit = _PREPARED.get(key)
        if hit is not None:
            _PREPARED.move_to_end(key)
            return hit
    predicted = _predicted(spec, caseload)
    pop = prepare_population(
        caseload,
        ProviderSettings().replace(information_noise=0.0),  # noise: per scenario, below
        predicted=predicted,
        provider_knows=provider_knows,
    )
    # "overall" as one group of codes (a bincount) rather than None (a BLAS dot product):
    # the dot product's rounding depends on the BLAS thread count, which differs between a
    # local process and a Dask worker; bincount adds up in one fixed order everywhere.
    inputs: dict[str, tuple[Any, int, np.ndarray, tuple[str, ...]]] = {
        "overall": (np.zeros(pop.n, dtype=np.int64), 1, pop.rank_p0, ("all",))
    }
    for name, bd in pop.breakdowns.items():
        inputs[name] = (bd.codes, len(bd.labels), fractional_rank(pop.p0, bd.codes), bd.labels)
    group_labels, group_codes = np.unique(
        np.asarray(caseload["payment_group"]).astype(str), return_inverse=True
    )
    prep = _Prepared(
        pop=pop,
        inputs=inputs,
        group_labels=group_labels,
        group_codes=group_codes,
        predicted=predicted,
        lp0=logit(pop.p0),
        delta=logit(pop.pmax) - logit(pop.p0),
    )
    with _LOCK:
        _PREPARED[key] = prep
        while len(_PREPARED) > _CASELOAD_CACHE_SIZE:
            _PREPARED.popitem(last=False)
    return prep


def _expected_table(
    spec: SweepSpec,
    prep: _Prepared,
    contract: Any,
    provider: Any,
    provider_knows: str,
    gen: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Expected-mode measures, exactly as ``simulate_contract`` computes them.

    The population is prepared once per worker; the provider's information noise is drawn
    here from the scenario's generator in the same way as ``prepare_population`` draws it.
    A test checks the rows against ``simulate_contract(...).to_frame()``.
    """
    pop = prep.pop
    if provider_knows == "truth" and provider.information_noise > 0:
        perceived_p0, perceived_gain = perceived_chances(
            prep.lp0, prep.delta, noise=provider.information_noise, rng=gen
        )
        pop = dataclasses.replace(pop, perceived_p0=perceived_p0, perceived_gain=perceived_gain)
    if not needs_prediction(contract):
        table = contract.tariff_by_group(prep.group_labels)
        tariff = {key: col[prep.group_codes] for key, col in table.items()}
    else:
        tariff = contract.tariff_per_person({"person_id": pop.person_id}, prep.predicted)
    ev = evaluate(
        pop,
        tariff,
        provider,
        minimum_hours=contract.minimum_hours,
        window_months=contract.window_months,
    )
    measures = (
        list(MEASURES) if spec.measures is None else [m for m in MEASURES if m in spec.measures]
    )
    parts: dict[str, list[np.ndarray]] = {"breakdown": [], "group": [], "measure": [], "value": []}
    obj_measures = np.asarray(measures, dtype=object)
    for name in spec.breakdowns:
        if name not in prep.inputs:
            continue
        codes, g, rank, labels = prep.inputs[name]
        ms = breakdown_measures(pop, ev, codes, g, rank)
        values = np.column_stack([np.asarray(ms[m], dtype=float).reshape(g) for m in measures])
        parts["breakdown"].append(np.full(values.size, name, dtype=object))
        parts["group"].append(np.repeat(np.asarray(labels, dtype=object), len(measures)))
        parts["measure"].append(np.tile(obj_measures, g))
        parts["value"].append(values.ravel())
    cols = {k: np.concatenate(v) for k, v in parts.items()}
    cols["lower"] = np.full(cols["value"].size, np.nan)
    cols["upper"] = cols["lower"]
    return cols


def evaluate_scenario(spec: SweepSpec, scenario: Scenario) -> pd.DataFrame:
    """Simulate one scenario; return its tidy rows.

    Parameters
    ----------
    spec : SweepSpec
        The sweep.
    scenario : Scenario
        The scenario.

    Returns
    -------
    pandas.DataFrame
        Columns ``breakdown, group, measure, value, lower, upper`` (``lower``/``upper`` are
        the Monte Carlo interval, NaN in expected mode), restricted to the spec's
        breakdowns and measures.
    """
    return pd.DataFrame(scenario_columns(spec, scenario))


def scenario_columns(spec: SweepSpec, scenario: Scenario) -> dict[str, np.ndarray]:
    """Simulate one scenario; return its rows as arrays (see :func:`evaluate_scenario`)."""
    params = scenario.params
    caseload = get_caseload(spec, scenario)
    provider = build_provider(spec, params)
    contract = build_contract(
        spec,
        params,
        caseload=caseload,
        provider=provider,
        caseload_key=_caseload_key(spec, scenario),
    )
    mode = as_mode(params.get("mode", spec.mode))
    provider_knows = as_provider_knows(params.get("provider_knows", spec.provider_knows))
    replications = int(params.get("replications", spec.replications))
    ss = np.random.SeedSequence(scenario.seed_entropy, spawn_key=(*scenario.seed_spawn_key, 1))
    if mode == "expected":
        prep = _prepared(spec, scenario, caseload, provider_knows)
        return _expected_table(
            spec, prep, contract, provider, provider_knows, np.random.default_rng(ss)
        )
    res = simulate_contract(
        caseload,
        contract,
        provider,
        mode=mode,
        predicted=_predicted(spec, caseload),
        provider_knows=provider_knows,
        replications=replications,
        rng=np.random.default_rng(ss),
    )
    frame = res.to_frame()
    keep = frame["breakdown"].isin(spec.breakdowns)
    if spec.measures is not None:
        keep &= frame["measure"].isin(spec.measures)
    frame = frame.loc[keep]
    return {
        "breakdown": frame["breakdown"].astype(str).to_numpy(dtype=object),
        "group": frame["group"].astype(str).to_numpy(dtype=object),
        "measure": frame["measure"].astype(str).to_numpy(dtype=object),
        "value": frame["value"].to_numpy(dtype=float),
        "lower": frame["lower"].to_numpy(dtype=float)
        if "lower" in frame
        else np.full(len(frame), np.nan),
        "upper": frame["upper"].to_numpy(dtype=float)
        if "upper" in frame
        else np.full(len(frame), np.nan),
    }


def warm_worker(payload: dict[str, Any]) -> None:
    """Build the shared caseload and its arrays in this process (a pool initializer).

    Cached: a no-op when this process (or the parent it was forked from) already did it.
    """
    spec = _spec_from_payload(payload)
    if spec.caseload.resample:
        return
    caseload = get_caseload(spec)
    modes = spec.parameters.grid.get("mode", [spec.mode])
    if "expected" in modes:
        for knows in spec.parameters.grid.get("provider_knows", [spec.provider_knows]):
            _prepared(spec, None, caseload, as_provider_knows(knows))


_MALLOC_TUNED = False


def _tune_malloc_for_dask() -> None:
    """Undo, in this worker, the malloc setting that Dask's nanny gives its workers.

    The nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which makes glibc serve
    every array above 128 kB with a fresh ``mmap`` (page faults on each temporary): the
    numpy kernels of a scenario then run about twice as slowly as in a plain process.
    Raising the mmap and trim thresholds restores plain-process speed. Only on Linux with
    glibc, only when that variable is set, once per process.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    if not sys.platform.startswith("linux") or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 256 * 1024 * 1024)  # M_TRIM_THRESHOLD
        logger.debug("raised glibc mmap/trim thresholds in this Dask worker")
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        logger.debug("could not tune malloc in this worker")


def init_pool_worker(payload: dict[str, Any]) -> None:
    """Initialise a local worker process: one BLAS thread, then :func:`warm_worker`.

    With several worker processes on the machine's cores, BLAS thread pools in each would
    compete for the same cores (OpenBLAS threads spin while they wait); the workers are the
    parallelism. Dask workers get the same from Dask (``OMP_NUM_THREADS=1`` and friends).
    """
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        logger.debug("threadpoolctl not installed; BLAS threads left as they are")
    warm_worker(payload)


def run_batch(
    payload: dict[str, Any], scenarios: list[Scenario]
) -> list[tuple[str, dict[str, np.ndarray]]]:
    """Evaluate a batch of scenarios on a worker.

    Parameters
    ----------
    payload : dict
        ``SweepSpec.model_dump(mode="json")`` (small; the caseload is built on the worker).
    scenarios : list of Scenario
        The batch.

    Returns
    -------
    list of (scenario_id, dict of column arrays)
        Plain numpy arrays (cheaper to send back than DataFrames).
    """
    _tune_malloc_for_dask()
    spec = _spec_from_payload(payload)
    return [(s.scenario_id, scenario_columns(spec, s)) for s in scenarios]
