"""Where the chunks of an ensemble run: in this process, a local process pool, or a dask cluster.

An executor runs ``func(job, task)`` for every task of an iterable and yields
the results *in task order*, whatever order they finish in, so that a
reduction merged in that order gives the same numbers to the last bit on every
executor. The ``job`` (the compiled model, metrics, settings) is sent to each
worker once; tasks are small (a chunk's parameter values). At most two tasks
per worker are in flight, so memory stays bounded however many there are. Each
task runs single-threaded (one BLAS thread), so workers do not fight over cores.

=============  =====================================================================
``inprocess``  the default: chunks run in this process, on one thread per core
               (numpy releases the interpreter lock); no setup, embeddable
``processes``  a local pool of worker processes (``workers``, default: one per
               core), each single-threaded
``dask``       a dask.distributed cluster: ``scheduler="tcp://host:8786"``, or a
               local cluster of ``workers`` when no address is given (the
               ``cluster`` extra: ``pip install 'gmsim[cluster]'``)
=============  =====================================================================

Examples
--------
>>> with get_executor("inprocess") as ex:
...     list(ex.map(pow, 2, [1, 2, 3]))
[2, 4, 8]
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import multiprocessing
import os
import socket
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, NoReturn

from gmsim.errors import ExecutorError, did_you_mean

__all__ = [
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "InProcess",
    "ProcessPool",
    "borrowed",
    "get_executor",
    "progress_bar",
]

EXECUTORS = ("inprocess", "processes", "dask")
"""Names accepted by :func:`get_executor` and ``--executor``."""

CONNECT_TIMEOUT = 5.0
"""Seconds to wait for a dask scheduler before giving up with a clear message."""


class Executor(ABC):
    """Runs tasks and yields their results in order (see the module docstring)."""

    name: str = ""
    workers: int = 1

    @abstractmethod
    def map(self, func: Callable[[Any, Any], Any], job: Any, tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield ``func(job, task)`` for each task, in the order of ``tasks``."""

    def describe(self) -> dict[str, Any]:
        """What ran the work, for the manifest."""
        return {"executor": self.name, "workers": self.workers}

    def close(self) -> None:  # noqa: B027 - optional: only executors that hold workers override it
        """Release workers and connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InProcess(Executor):
    """Run tasks in this process, on ``workers`` threads (default: one per core).

    numpy releases the interpreter lock in its heavy operations, so chunks on
    several threads use several cores; ``workers=1`` runs them one after another.
    """

    name = "inprocess"

    def __init__(self, workers: int | None = None):
        self.workers = _workers(workers)

    def map(self, func, job, tasks):
        if self.workers == 1:
            for task in tasks:
                yield func(job, task)
            return
        with ThreadPoolExecutor(self.workers) as pool:
            yield from _ordered(
                lambda t: pool.submit(func, job, t), lambda f: f.result(), tasks, 2 * self.workers
            )


# -- a local process pool ------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _install(func: Callable, job: Any) -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # one thread per worker process: the pool shares the cores
    _WORKER["func"], _WORKER["job"] = func, job


def _call(task: Any) -> Any:
    return _WORKER["func"](_WORKER["job"], task)


def _ordered(submit: Callable[[Any], Any], result: Callable[[Any], Any], tasks, window: int):
    """Submit up to ``window`` tasks ahead; yield results in submission order."""
    pending: collections.deque = collections.deque()
    for task in tasks:
        pending.append(submit(task))
        if len(pending) >= window:
            yield result(pending.popleft())
    while pending:
        yield result(pending.popleft())


class ProcessPool(Executor):
    """A pool of ``workers`` local processes (spawned: safe beside threads), one thread each."""

    name = "processes"

    def __init__(self, workers: int | None = None):
        self.workers = _workers(workers)

    def map(self, func, job, tasks):
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_install, initargs=(func, job)
        ) as pool:
            yield from _ordered(
                lambda t: pool.submit(_call, t), lambda f: f.result(), tasks, 2 * self.workers
            )


# -- dask.distributed ----------------------------------------------------------------------------
class DaskExecutor(Executor):
    """Run on a dask.distributed cluster: at ``scheduler``, or a local one of ``workers``.

    Parameters
    ----------
    scheduler : str or None
        Address of a running scheduler (``tcp://host:8786``). An unreachable
        address fails within :data:`CONNECT_TIMEOUT` seconds.
    workers : int or None
        Workers of the local cluster started when ``scheduler`` is None.
    processes : bool
        Local cluster only: workers as processes (default) or as threads of
        this process (quick to start; used in tests).
    """

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        workers: int | None = None,
        processes: bool = True,
        timeout: float = CONNECT_TIMEOUT,
    ):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ExecutorError(
                "the dask executor needs dask.distributed; install it with pip install 'gmsim[cluster]'"
            ) from None
        self.scheduler = scheduler
        self._cluster = None
        if scheduler:
            _probe(scheduler, timeout)
            try:
                self.client = Client(scheduler, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:  # it answered the probe, then went away
                raise ExecutorError(
                    f"cannot connect to the dask scheduler at {scheduler}: {exc}; check the address "
                    "and that `dask scheduler` runs there"
                ) from None
        else:
            self._cluster = LocalCluster(
                n_workers=_workers(workers),
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
            )
            self.client = Client(self._cluster, set_as_default=False)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, func, job, tasks):
        shared = self.client.scatter(job, broadcast=True, hash=False)
        yield from _ordered(
            lambda t: self.client.submit(func, shared, t, pure=False),
            lambda f: f.result(),
            tasks,
            2 * self.workers,
        )

    def describe(self) -> dict[str, Any]:
        where = self.scheduler or ("local cluster" if self._cluster is not None else "")
        return {"executor": self.name, "workers": self.workers, "scheduler": where}

    def close(self) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def _probe(address: str, timeout: float) -> None:
    """Fail fast, with a clear message, unless a dask scheduler answers at ``address``.

    A dask handshake, not a bare TCP connection: a port that answers but is not
    a scheduler fails here too. It runs in a thread of its own, so that it works
    inside a running event loop (a notebook) as well.
    """
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port

    scheme, location = parse_address(address)
    if scheme in ("tcp", "tls"):
        try:
            host, port = parse_host_port(location)
        except ValueError as exc:
            raise ExecutorError(
                f"scheduler address '{address}' is not valid ({exc}); write it as tcp://host:port, "
                "e.g. tcp://10.0.0.5:8786"
            ) from None
        try:  # a refused connection or an unknown host fails at once, without the retries of dask
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError as exc:
            _unreachable(address, exc.strerror or type(exc).__name__)
    with ThreadPoolExecutor(1) as thread:
        future = thread.submit(asyncio.run, _handshake(address, timeout))
        try:
            future.result(timeout=timeout + 5)
        except Exception as exc:  # any failure of the handshake means: no scheduler there
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if isinstance(exc, MemoryError):
                reason = "what answers there does not speak the dask protocol"
            _unreachable(address, reason)


def _unreachable(address: str, reason: str) -> NoReturn:
    raise ExecutorError(
        f"cannot reach the dask scheduler at {address} ({reason}); check the address and "
        "that `dask scheduler` runs there, or leave --scheduler out to run locally"
    ) from None


async def _handshake(address: str, timeout: float) -> None:
    from distributed.comm import connect

    comm = await asyncio.wait_for(connect(address, timeout=timeout), timeout + 1)
    await comm.close()


def _workers(workers: int | None) -> int:
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ExecutorError(f"`workers` must be a whole number >= 1, got {workers!r}")
    return workers


def get_executor(
    executor: str | Executor | None = None,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
) -> Executor:
    """An executor by name (see :data:`EXECUTORS`); an Executor is returned as it is.

    A ``scheduler`` address alone selects ``dask``.
    """
    if isinstance(executor, Executor):
        return executor
    name = executor or ("dask" if scheduler else "inprocess")
    if name not in EXECUTORS:
        raise ExecutorError(
            f"unknown executor '{name}'{did_you_mean(name, EXECUTORS)}; expected one of {', '.join(EXECUTORS)}"
        )
    if scheduler and name != "dask":
        raise ExecutorError(f"a scheduler address needs the dask executor, not '{name}'")
    if name == "inprocess":
        return InProcess(workers)
    if name == "processes":
        return ProcessPool(workers)
    return DaskExecutor(scheduler, workers=workers)


@contextlib.contextmanager
def borrowed(
    executor: str | Executor | None = None, *, workers: int | None = None, scheduler: str | None = None
) -> Iterator[Executor]:
    """:func:`get_executor` for one analysis: an executor made here is closed after it, one
    passed in is left open for the caller to reuse."""
    made = get_executor(executor, workers=workers, scheduler=scheduler)
    try:
        yield made
    finally:
        if made is not executor:
            made.close()


def progress_bar(total: int, *, enabled: bool | None = None, desc: str = "runs"):
    """A tqdm bar on stderr, or ``None``: off when ``enabled`` is False, or None and not a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no bar
        return None
    return tqdm(total=total, desc=desc, unit="run", file=sys.stderr, leave=False)
