"""Run a sweep: local processes (default) or Dask, resumable Parquet output, progress bar."""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from pbr_fairness.errors import InputError, Problem
from pbr_fairness.limits import check_count, max_jobs
from pbr_fairness.outputs import atomic_path
from pbr_fairness.sweep.aggregate import aggregate_seeds
from pbr_fairness.sweep.backend import (
    BACKENDS,
    DASK_MISSING,
    Backend,
    check_scheduler,
    iter_batches,
)
from pbr_fairness.sweep.spec import Scenario, SweepSpec, expand_scenarios, load_spec
from pbr_fairness.sweep.store import ResultStore
from pbr_fairness.sweep.worker import (
    build_contract,
    build_provider,
    init_pool_worker,
    run_batch,
    warm_worker,
)
from pbr_fairness.version import package_version

__all__ = ["BACKENDS", "SweepRun", "run_sweep", "summary_path", "validate_scenarios"]

logger = logging.getLogger(__name__)




@dataclass(frozen=True)
class SweepRun:
    """What a sweep did and what it produced.

    Attributes
    ----------
    out : pathlib.Path
        The Parquet file holding every finished scenario (tidy rows).
    summary_out : pathlib.Path or None
        The Parquet file of the across-seed aggregation, if written.
    n_scenarios, n_run, n_skipped : int
        Scenarios in the spec, run now, and skipped as already finished.
    seconds : float
        Wall time of this run.
    backend : str
        ``"local"`` or ``"dask"``.
    jobs : int
        Worker processes used.
    results : pandas.DataFrame
        The tidy output (one row per scenario x breakdown x group x measure).
    aggregated : pandas.DataFrame
        Mean and 95% intervals across seeds (:func:`aggregate_seeds`).
    provenance : dict
        Package version, spec name, fingerprint, root seed.
    """

    out: Path
    summary_out: Path | None
    n_scenarios: int
    n_run: int
    n_skipped: int
    seconds: float
    backend: str
    jobs: int
    results: pd.DataFrame = field(repr=False)
    aggregated: pd.DataFrame = field(repr=False)
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy results."""
        return self.results

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready description of the run (the CLI's ``--json``)."""
        return {
            "out": str(self.out),
            "summary_out": None if self.summary_out is None else str(self.summary_out),
            "n_scenarios": self.n_scenarios,
            "n_run": self.n_run,
            "n_skipped": self.n_skipped,
            "rows": len(self.results),
            "seconds": round(self.seconds, 3),
            "backend": self.backend,
            "jobs": self.jobs,
            "provenance": self.provenance,
        }

    def summary(self) -> str:
        """Describe the run in a few lines of text."""
        lines = [
            f"Sweep {self.provenance.get('spec_name', '')!s}: {self.n_scenarios} scenarios "
            f"({self.n_run} run now, {self.n_skipped} already finished) on {self.backend} "
            f"with {self.jobs} worker(s) in {self.seconds:.1f} s",
            f"results: {self.out} ({len(self.results)} rows)",
        ]
        if self.summary_out is not None:
            lines.append(f"across seeds: {self.summary_out} ({len(self.aggregated)} rows)")
        return "\n".join(lines)


def summary_path(out: str | Path) -> Path:
    """Return the default path of the across-seed aggregation.

    ``results.parquet`` gives ``results.summary.parquet``.
    """
    out = Path(out)
    return out.with_name(f"{out.stem}.summary{out.suffix or '.parquet'}")


#: Up to this many distinct contracts are all built before a run; above it, each contract
#: parameter is checked at every grid value and at both ends of its sampled range.
FULL_CHECK_LIMIT = 200


def _contract_checks(spec: SweepSpec, scenarios: Sequence[Scenario]) -> list[dict[str, Any]]:
    def ckey(params: dict[str, Any]) -> tuple:
        return tuple(
            sorted(
                (k, v) for k, v in params.items() if k == "contract" or k.startswith("contract.")
            )
        )

    distinct: dict[tuple, dict[str, Any]] = {}
    for sc in scenarios:
        distinct.setdefault(ckey(sc.params), sc.params)
        if len(distinct) > FULL_CHECK_LIMIT:
            break
    else:
        return list(distinct.values())
    values: dict[str, list[Any]] = {
        k: list(v) for k, v in spec.parameters.grid.items() if k.startswith("contract.")
    }
    sampler = spec.sampler
    if sampler is not None:
        for name, rng in sampler[1].ranges.items():
            if name.startswith("contract."):
                ends = rng.scale_unit(np.array([0.0, 1.0 - 1e-12]))
                values[name] = [int(x) if rng.integer else float(x) for x in ends]
    checks: list[dict[str, Any]] = []
    for base in spec.parameters.grid.get("contract", [spec.contract]):
        first = next(
            (sc.params for sc in scenarios if sc.params.get("contract", spec.contract) == base),
            None,
        )
        if first is not None:
            checks.append(first)
        for name, vals in values.items():
            checks += [{"contract": base, name: v} for v in vals]
    return checks


def validate_scenarios(spec: SweepSpec, scenarios: Sequence[Scenario]) -> None:
    """Check the parameter values before anything runs; report all problems together.

    Every distinct provider setting is built. Every distinct contract is built when there
    are at most :data:`FULL_CHECK_LIMIT`; otherwise each contract parameter is checked at its
    grid values and range ends (the workers still validate every contract they build).

    Raises
    ------
    InputError
        Listing every bad parameter value.
    """
    problems: list[Problem] = []
    seen_provider: set[tuple] = set()
    for sc in scenarios:
        pkey = tuple(sorted((k, v) for k, v in sc.params.items() if k.startswith("provider.")))
        if pkey in seen_provider:
            continue
        seen_provider.add(pkey)
        try:
            build_provider(spec, sc.params)
        except InputError as exc:
            problems += [_with_params(p, sc.params) for p in exc.problems]
    for params in _contract_checks(spec, scenarios):
        if params.get("contract", spec.contract) == "flat":
            continue  # computed on the caseload and provider, on the worker
        try:
            build_contract(spec, params)
        except InputError as exc:
            problems += [_with_params(p, params) for p in exc.problems]
        except FileNotFoundError as exc:
            problems.append(Problem(f"contract file not found: {exc.filename}", column="contract"))
    if problems:
        unique = list(dict.fromkeys(problems))
        raise InputError(unique, source="sweep spec")


def _with_params(p: Problem, params: dict[str, Any]) -> Problem:
    shown = ", ".join(f"{k}={v}" for k, v in params.items())
    return Problem(f"{p.message} (design point {shown})" if shown else p.message, p.row, p.column)


def _batches(items: Sequence[Scenario], size: int) -> Iterator[list[Scenario]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def _default_batch_size(n: int, jobs: int) -> int:
    # Several batches per worker keep them busy to the end; batches of a few scenarios
    # keep the per-task overhead small next to a scenario's work.
    return max(1, min(16, math.ceil(n / max(1, jobs * 6))))


def run_sweep(
    spec: SweepSpec | str | Path,
    out: str | Path,
    *,
    backend: Backend = "local",
    jobs: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    summary_out: str | Path | Literal[False] | None = None,
    overwrite: bool = False,
    progress: bool = True,
    batch_size: int | None = None,
    flush_every: float = 30.0,
    on_batch: Callable[[int], None] | None = None,
) -> SweepRun:
    """Run every unfinished scenario of a spec and write tidy results to Parquet.

    Parameters
    ----------
    spec : SweepSpec or path
        The sweep (a YAML file is read with :func:`load_spec`).
    out : path
        Parquet output. If it exists with results of the same spec, finished scenarios
        are skipped (also those in ``<out>.parts/`` left by an interrupted run).
    backend : {"local", "dask"}, default "local"
        Local worker processes, or Dask (a ``LocalCluster`` unless ``scheduler`` or
        ``client`` is given).
    jobs : int, optional
        Worker processes (default: the machine's cores). ``1`` runs in this process.
        For Dask with ``scheduler``/``client`` the cluster decides.
    scheduler : str, optional
        Address of an existing Dask scheduler (e.g. ``tcp://10.0.0.5:8786``).
    client : distributed.Client, optional
        An existing Dask client (not closed here).
    summary_out : path, None or False
        Where to write the across-seed aggregation; ``None`` for the default
        (:func:`summary_path`), ``False`` for none.
    overwrite : bool, default False
        Replace existing results instead of resuming.
    progress : bool, default True
        Show a progress bar (tqdm, on standard error).
    batch_size : int, optional
        Scenarios per task.
    flush_every : float, default 30
        Seconds between writes of finished scenarios to part files.
    on_batch : callable, optional
        Called with the number of scenarios finished so far after every batch (tests use it
        to interrupt a run).

    Returns
    -------
    SweepRun

    Raises
    ------
    InputError
        A bad spec, a bad parameter value, or an output holding another spec's results.
    ImportError
        With ``backend="dask"`` when dask.distributed is not installed.
    """
    if not isinstance(spec, SweepSpec):
        spec = load_spec(spec)
    if backend not in BACKENDS:
        raise InputError(
            [Problem(f"unknown backend {backend!r}; allowed: local, dask", column="backend")]
        )
    if jobs is None:
        jobs = os.cpu_count() or 1
    if jobs < 1:
        raise InputError([Problem(f"jobs must be >= 1, got {jobs}", column="jobs")])
    check_count(int(jobs), maximum=max_jobs(), option="jobs", what="worker processes",
                way_round=f"this machine has {os.cpu_count() or 1} cores; for more, run on a"
                " Dask cluster (--backend dask --scheduler ADDRESS)")
    if backend == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError as exc:
            raise ImportError(DASK_MISSING) from exc
    if scheduler is not None:
        check_scheduler(scheduler)
    start = time.perf_counter()
    scenarios = expand_scenarios(spec)
    validate_scenarios(spec, scenarios)
    fingerprint = spec.fingerprint()
    provenance = {
        "package_version": package_version(),
        "spec_name": spec.name,
        "fingerprint": fingerprint,
        "seed": spec.seed,
    }
    store = ResultStore(out, fingerprint, provenance, overwrite=overwrite)
    done = store.finished_ids()
    todo = [s for s in scenarios if s.scenario_id not in done]
    by_id = {s.scenario_id: s for s in todo}
    param_names = spec.parameter_names
    logger.info(
        "sweep %s: %d scenarios, %d to run, %d finished",
        spec.name,
        len(scenarios),
        len(todo),
        len(scenarios) - len(todo),
    )
    payload = spec.model_dump(mode="json")
    if todo:
        size = batch_size or _default_batch_size(len(todo), jobs)
        batches = list(_batches(todo, size))
        results = iter_batches(
            run_batch,
            payload,
            batches,
            backend=backend,
            jobs=jobs,
            scheduler=scheduler,
            client=client,
            warm=warm_worker,
            init=init_pool_worker,
        )
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), unit="scenario", disable=not progress, desc=spec.name)
        finished = 0
        last_flush = time.monotonic()
        pending: list[tuple[Scenario, dict[str, np.ndarray]]] = []
        try:
            for batch_result in results:
                pending += [(by_id[sid], cols) for sid, cols in batch_result]
                finished += len(batch_result)
                bar.update(len(batch_result))
                if time.monotonic() - last_flush > flush_every:
                    store.add(_frame_of(pending, param_names))
                    store.flush()
                    pending = []
                    last_flush = time.monotonic()
                if on_batch is not None:
                    on_batch(finished)
        finally:
            bar.close()
            if pending:  # keep whatever finished, even when interrupted
                store.add(_frame_of(pending, param_names))
            store.flush()
    frame = store.finalise()
    aggregated = aggregate_seeds(frame) if len(frame) else pd.DataFrame()
    written_summary: Path | None = None
    if summary_out is not False:
        written_summary = Path(summary_out) if summary_out else summary_path(out)
        with atomic_path(written_summary) as tmp:
            aggregated.to_parquet(tmp, index=False)
    return SweepRun(
        out=Path(out),
        summary_out=written_summary,
        n_scenarios=len(scenarios),
        n_run=len(todo),
        n_skipped=len(scenarios) - len(todo),
        seconds=time.perf_counter() - start,
        backend=backend,
        jobs=jobs,
        results=frame,
        aggregated=aggregated,
        provenance=provenance,
    )


def _frame_of(
    items: list[tuple[Scenario, dict[str, np.ndarray]]], param_names: list[str]
) -> pd.DataFrame:
    """Tidy rows of finished scenarios, labelled with their ids and parameters."""
    lens = np.array([len(cols["value"]) for _, cols in items], dtype=np.int64)
    data: dict[str, Any] = {
        "scenario_id": np.repeat(np.array([s.scenario_id for s, _ in items], dtype=object), lens),
        "design_id": np.repeat(np.array([s.design_id for s, _ in items], dtype=object), lens),
        "design_index": np.repeat(np.array([s.design_index for s, _ in items]), lens),
        "seed_index": np.repeat(np.array([s.seed_index for s, _ in items]), lens),
    }
    for name in param_names:
        data[name] = np.repeat(np.asarray([s.params[name] for s, _ in items]), lens)
    for col in ("breakdown", "group", "measure", "value", "lower", "upper"):
        data[col] = np.concatenate([cols[col] for _, cols in items])
    return pd.DataFrame(data)
