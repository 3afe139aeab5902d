"""Executors: where the chunks of a sweep are evaluated.

Three runners share one protocol (:class:`Runner`): :class:`LocalRunner` (in-process, the
default), :class:`PoolRunner` (a local process pool, ``--jobs N``) and :class:`DaskRunner`
(Dask distributed: a ``LocalCluster`` by default, or an existing cluster reached with
``scheduler="tcp://HOST:PORT"``). A runner only moves work: it calls a picklable function
``fn(shared, task)`` on each task and yields ``(key, result)`` pairs as they finish, in any order.
It knows nothing about designs, models or the store (the EMA Workbench keeps evaluators equally
ignorant of samplers; see STYLE.md §4).

``shared`` is the read-only context every task needs (the prepared model); it is unpickled once
per worker, not once per task: pool workers cache it by the hash of its pickle, Dask workers
receive it through a broadcast ``scatter``.

Determinism does not depend on the runner: tasks carry their own ``SeedSequence`` child, and
the caller orders results by key.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import multiprocessing
import os
import pickle
import re
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

from detente.errors import OptionsError, Problem

Task = tuple[Any, Any]  # (key, payload)


@runtime_checkable
class Runner(Protocol):
    """What every executor provides.

    Use as a context manager; inside it, :meth:`map_unordered` evaluates ``fn(shared, payload)``
    for each ``(key, payload)`` task and yields ``(key, result)`` as tasks finish. Leaving the
    context early (e.g. on Ctrl-C) cancels what has not started.
    """

    name: str
    workers: int

    def __enter__(self) -> Runner: ...

    def __exit__(self, *exc: object) -> None: ...

    def map_unordered(self, fn: Callable[[Any, Any], Any], shared: Any,
                      tasks: Iterable[Task]) -> Iterator[tuple[Any, Any]]: ...


class LocalRunner:
    """Evaluate tasks one after another in this process."""

    name = "local"

    def __init__(self) -> None:
        self.workers = 1

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def map_unordered(self, fn: Callable[[Any, Any], Any], shared: Any,
                      tasks: Iterable[Task]) -> Iterator[tuple[Any, Any]]:
        for key, payload in tasks:
            yield key, fn(shared, payload)


# -- process pool ---------------------------------------------------------------------------

#: worker-side cache of unpickled shared contexts, keyed by the SHA-1 of their pickle
_WORKER_SHARED: dict[str, Any] = {}


def _pool_init() -> None:
    # Ctrl-C is the coordinator's business: it cancels the pool and marks the run interrupted
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _pool_call(fn: Callable[[Any, Any], Any], token: str, blob: bytes, payload: Any) -> Any:
    shared = _WORKER_SHARED.get(token)
    if shared is None:
        _WORKER_SHARED.clear()  # one sweep at a time: keep only the current context
        shared = _WORKER_SHARED[token] = pickle.loads(blob)
    return fn(shared, payload)


class PoolRunner:
    """Evaluate tasks in a pool of ``jobs`` local worker processes.

    Parameters
    ----------
    jobs : int
        Number of worker processes (≥ 1).
    start_method : str
        ``"forkserver"`` by default: safe after JAX or threads have started in the parent
        (plain ``fork`` is not), and cheaper than ``"spawn"`` per worker.

    Notes
    -----
    The pool lives as long as the runner, across sweeps. ``shared`` is pickled once per
    :meth:`map_unordered` call and unpickled once per worker (cached by its hash); each task
    carries the pickled bytes, which costs a memory copy, not a re-import. At most ``2 × jobs``
    tasks are in flight, so memory stays bounded and Ctrl-C cancels promptly.
    """

    name = "pool"

    def __init__(self, jobs: int, *, start_method: str = "forkserver") -> None:
        if jobs < 1:
            raise OptionsError(f"--jobs {jobs} is not a worker count",
                               [Problem("must be at least 1", path="--jobs",
                                        allowed=f"1 to {os.cpu_count()}")])
        self.workers = int(jobs)
        self._start_method = start_method
        self._pool: cf.ProcessPoolExecutor | None = None

    def __enter__(self) -> PoolRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _ensure_pool(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = cf.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context(self._start_method),
                initializer=_pool_init)
        return self._pool

    def map_unordered(self, fn: Callable[[Any, Any], Any], shared: Any,
                      tasks: Iterable[Task]) -> Iterator[tuple[Any, Any]]:
        pool = self._ensure_pool()
        blob = pickle.dumps(shared, protocol=pickle.HIGHEST_PROTOCOL)
        token = hashlib.sha1(blob).hexdigest()
        pending: dict[cf.Future[Any], Any] = {}
        it = iter(tasks)
        limit = 2 * self.workers
        try:
            while True:
                while len(pending) < limit:
                    nxt = next(it, None)
                    if nxt is None:
                        break
                    key, payload = nxt
                    pending[pool.submit(_pool_call, fn, token, blob, payload)] = key
                if not pending:
                    return
                done, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    key = pending.pop(fut)
                    yield key, fut.result()
        finally:
            for fut in pending:
                fut.cancel()


# -- dask -----------------------------------------------------------------------------------

def _dask_call(fn: Callable[[Any, Any], Any], shared: Any, payload: Any) -> Any:
    return fn(shared, payload)


def _connect_with_deadline(client_class: Any, address: str, timeout: float) -> Any:
    """``Client(address)``, given up after ``timeout`` seconds (plus a grace second).

    Dask's own timeout covers the TCP connect only: a server that accepts and never answers the
    handshake (any other service on that port) made ``Client`` wait forever. The attempt runs in
    a daemon thread, so an abandoned one cannot keep the process alive.
    """
    import threading

    box: dict[str, Any] = {}

    def attempt() -> None:
        try:
            box["client"] = client_class(address, timeout=timeout)
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=attempt, name="detente-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 1.0)
    if thread.is_alive():
        raise TimeoutError(f"no Dask scheduler answered at {address} within {timeout:g} s "
                           "(is it another service?)")
    if "error" in box:
        raise box["error"]
    return box["client"]


class DaskRunner:
    """Evaluate tasks on a Dask distributed cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://HOST:PORT``). When omitted, a
        ``LocalCluster`` with ``jobs`` single-threaded worker processes is started and torn
        down with the runner.
    jobs : int
        Workers of the ``LocalCluster`` (ignored with ``scheduler``).
    timeout : float
        Seconds to wait for the scheduler to answer and for at least one worker.

    Notes
    -----
    Workers must be able to import ``detente`` (install the package on every machine of the
    cluster; see ``docs/scale.md``). At most ``2 × workers`` tasks are in flight.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, *, jobs: int = 2, timeout: float = 20.0) -> None:
        self.scheduler = scheduler
        self.workers = int(jobs)
        self.timeout = timeout
        self._cluster: Any = None
        self._client: Any = None

    def __enter__(self) -> DaskRunner:
        import dask
        from distributed import Client, LocalCluster

        try:
            if self.scheduler is None:
                # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers; glibc then
                # returns freed memory at once and every large numpy temporary is faulted in
                # again: the BDM engine ran 2.0x slower per evaluation (measured, see
                # benchmarks/results/runs.md). Unset it (None removes it from the environ).
                with dask.config.set(
                        {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                    self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                                 processes=True, dashboard_address=None,
                                                 silence_logs=40)
                self._client = Client(self._cluster, timeout=self.timeout)
            else:
                self._client = _connect_with_deadline(Client, self.scheduler, self.timeout)
                self._client.wait_for_workers(1, timeout=self.timeout)
        except (OSError, TimeoutError) as exc:
            self.__exit__()
            raise OptionsError(
                f"cannot reach the Dask scheduler at {self.scheduler}",
                [Problem(str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                         path="--scheduler",
                         allowed="the tcp://HOST:PORT printed by `dask scheduler`, with at least "
                                 "one `dask worker` connected")]) from None
        self.workers = max(1, len(self._client.scheduler_info(n_workers=-1).get("workers", {})))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def map_unordered(self, fn: Callable[[Any, Any], Any], shared: Any,
                      tasks: Iterable[Task]) -> Iterator[tuple[Any, Any]]:
        from distributed import as_completed

        client = self._client
        if client is None:
            raise RuntimeError("use DaskRunner as a context manager")
        shared_f = client.scatter(shared, broadcast=True, hash=False)
        it = iter(tasks)
        limit = 2 * self.workers
        keys: dict[str, Any] = {}
        ac = as_completed()
        try:
            def submit_one() -> bool:
                nxt = next(it, None)
                if nxt is None:
                    return False
                key, payload = nxt
                fut = client.submit(_dask_call, fn, shared_f, payload, pure=False)
                keys[fut.key] = key
                ac.add(fut)
                return True

            for _ in range(limit):
                if not submit_one():
                    break
            for fut in ac:
                key = keys.pop(fut.key)
                result = fut.result()
                fut.release()
                submit_one()
                yield key, result
        finally:
            for fut in list(ac.futures):
                fut.cancel()
            ac.clear()


#: More worker processes than this only thrash: 8 per core, as reported by the OS.
MAX_JOBS = 8 * (os.cpu_count() or 1)

_SCHEDULER_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def check_scheduler_address(address: str) -> None:
    """Refuse a malformed ``--scheduler`` before any connection attempt (Dask's own parser
    raises bare ValueErrors and, for a wrong scheme, may wait for its whole timeout)."""
    match = _SCHEDULER_ADDRESS.match(address)
    if match is None or not 1 <= int(match.group(3)) <= 65535:
        raise OptionsError(f"--scheduler {address!r} is not a Dask scheduler address",
                           [Problem(f"{address!r}"[:60], path="--scheduler",
                                    allowed="tcp://HOST:PORT (or tls://HOST:PORT), port 1–65535, "
                                            "as printed by `dask scheduler`")])


def make_runner(executor: str = "local", *, jobs: int = 1, scheduler: str | None = None) -> Runner:
    """The runner named on the command line: ``local``, ``pool`` or ``dask``.

    ``--scheduler`` implies ``dask``; ``--jobs N > 1`` with ``local`` implies ``pool``.
    """
    if isinstance(jobs, bool) or not 1 <= jobs <= MAX_JOBS:
        raise OptionsError(f"--jobs {jobs} is out of range",
                           [Problem(f"--jobs {jobs}", path="--jobs",
                                    allowed=f"1 to {MAX_JOBS} (8 per core of this machine)")])
    if scheduler is not None:
        check_scheduler_address(scheduler)
        executor = "dask"
    if executor == "local" and jobs > 1:
        executor = "pool"
    if executor == "local":
        return LocalRunner()
    if executor == "pool":
        return PoolRunner(jobs)
    if executor == "dask":
        return DaskRunner(scheduler, jobs=max(jobs, 1))
    raise OptionsError(f"unknown executor {executor!r}",
                       [Problem("not an executor", path="--executor",
                                allowed="local, pool or dask")])
