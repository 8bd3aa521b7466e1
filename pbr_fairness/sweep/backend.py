"""Where batches of work run: in this process, in local worker processes, or on Dask.

One mechanism for every many-run job (scenario sweeps, the parameter-uncertainty analysis):
a module-level ``task(payload, batch)`` function is run on each batch, and the results come
back as they finish. Local workers are forked on Linux (they inherit what ``warm(payload)``
built here, copy-on-write) and initialised with ``init(payload)`` (one BLAS thread each);
Dask uses a ``LocalCluster`` unless a scheduler address or a client is given.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import re
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal, TypeVar

from pbr_fairness.errors import InputError, Problem

__all__ = [
    "BACKENDS",
    "DASK_MISSING",
    "Backend",
    "check_scheduler",
    "iter_batches",
    "one_blas_thread",
]

Backend = Literal["local", "dask"]
BACKENDS: tuple[str, ...] = ("local", "dask")

DASK_MISSING = (
    "the dask backend needs dask.distributed, which is not installed; install it with "
    "`pip install 'pbr-fairness[dask]'` (or `pip install 'dask[distributed]'`), or use "
    "--backend local"
)

P = TypeVar("P")
B = TypeVar("B")
R = TypeVar("R")


def _mp_context() -> multiprocessing.context.BaseContext:
    """Fork on Linux (workers inherit what was built here), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """One BLAS thread while the work runs here (its few BLAS calls are tiny)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(limits=1):
        yield


def _iter_local(
    task: Callable[[P, B], R],
    payload: P,
    batches: Sequence[B],
    jobs: int,
    warm: Callable[[P], None] | None,
    init: Callable[[P], None] | None,
) -> Iterator[R]:
    if jobs == 1:
        with one_blas_thread():
            if warm is not None:
                warm(payload)
            for batch in batches:
                yield task(payload, batch)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    ctx = _mp_context()
    if ctx.get_start_method() == "fork" and warm is not None:
        # Build the shared inputs once, here: forked workers share them (copy-on-write).
        warm(payload)
    initargs: tuple[Any, ...] = (payload,) if init is not None else ()
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=ctx, initializer=init, initargs=initargs
    ) as pool:
        futures = [pool.submit(task, payload, b) for b in batches]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


#: Seconds to wait for a Dask scheduler to answer.
SCHEDULER_TIMEOUT = 10.0
_SCHEDULER = re.compile(r"^(?P<proto>tcp|tls|ws|wss|ucx)://(?P<host>\[[0-9a-fA-F:]+\]|[^\s:/\[\]]+)"
                        r":(?P<port>\d{1,5})/?$|^inproc://\S+$")


def check_scheduler(address: str) -> str:
    """Check a Dask scheduler address (``tcp://host:port``) and that something listens there.

    Parameters
    ----------
    address : str
        The address, as ``dask scheduler`` prints it.

    Returns
    -------
    str
        The address.

    Raises
    ------
    InputError
        When it is not an address, or nothing answers at it within a few seconds.

    Examples
    --------
    >>> check_scheduler("not a url")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pbr_fairness.errors.InputError: option --scheduler: 'not a url' is not a Dask scheduler ...
    """
    m = _SCHEDULER.match(address.strip()) if isinstance(address, str) else None
    if m is None:
        raise InputError([Problem(
            f"{address!r} is not a Dask scheduler address; give it as tcp://HOST:PORT (as"
            " `dask scheduler` prints it)", column="--scheduler")])
    if m.group("proto") in ("tcp", "tls", "ws", "wss"):
        host, port = m.group("host").strip("[]"), int(m.group("port"))
        if not 1 <= port <= 65535:
            raise InputError([Problem(f"port {port} is not from 1 to 65535",
                                      column="--scheduler")])
        try:
            with socket.create_connection((host, port), timeout=SCHEDULER_TIMEOUT):
                pass
        except OSError as exc:
            raise InputError([Problem(
                f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}; start it"
                " (`dask scheduler`) or check the address", column="--scheduler")]) from None
    return address.strip()


def _dask_client(scheduler: str | None, jobs: int) -> tuple[Any, Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(DASK_MISSING) from exc
    if scheduler:
        try:
            return Client(check_scheduler(scheduler), timeout=SCHEDULER_TIMEOUT), None
        except (OSError, TimeoutError) as exc:
            raise InputError([Problem(f"cannot connect to the Dask scheduler at {scheduler}:"
                                      f" {exc}", column="--scheduler")]) from None
    cluster = LocalCluster(
        n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None
    )
    return Client(cluster), cluster


def _iter_dask(
    task: Callable[[P, B], R],
    payload: P,
    batches: Sequence[B],
    jobs: int,
    scheduler: str | None,
    client: Any,
) -> Iterator[R]:
    try:
        from distributed import as_completed
    except ImportError as exc:
        raise ImportError(DASK_MISSING) from exc
    own = client is None
    cluster = None
    if own:
        client, cluster = _dask_client(scheduler, jobs)
    try:
        futures = [client.submit(task, payload, b, pure=False) for b in batches]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


def iter_batches(
    task: Callable[[P, B], R],
    payload: P,
    batches: Sequence[B],
    *,
    backend: Backend = "local",
    jobs: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    warm: Callable[[P], None] | None = None,
    init: Callable[[P], None] | None = None,
) -> Iterator[R]:
    """Run ``task(payload, batch)`` on every batch; yield the results as they finish.

    Parameters
    ----------
    task : callable
        A module-level function (it is pickled to the workers).
    payload : object
        Small, picklable inputs shared by every batch.
    batches : sequence
        The work, one item per task.
    backend : {"local", "dask"}, default "local"
    jobs : int, default 1
        Worker processes (``1``: in this process).
    scheduler : str, optional
        Address of an existing Dask scheduler.
    client : distributed.Client, optional
        An existing Dask client (not closed here).
    warm : callable, optional
        ``warm(payload)`` builds shared inputs in this process before local workers fork.
    init : callable, optional
        ``init(payload)`` initialises each local worker process.

    Yields
    ------
    object
        ``task``'s results, in the order they finish.

    Examples
    --------
    >>> sorted(iter_batches(divmod, 7, [2, 3]))
    [(2, 1), (3, 1)]
    """
    if backend == "local":
        yield from _iter_local(task, payload, batches, max(1, min(jobs, len(batches))), warm, init)
    else:
        yield from _iter_dask(task, payload, batches, jobs, scheduler, client)
