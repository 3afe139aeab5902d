"""Long work of ``detente serve`` as jobs: each job one worker process, never the event loop.

A job (compare, back-test, back-cast, sweep) is started in its own process from a *spawn*
context (JAX does not survive ``fork``), at most ``limits.max_jobs`` at once. The worker calls
the same library verbs as the CLI command of the same name and reports over a pipe: its state,
its progress (the verbs' ``progress=`` callbacks), and at the end the run id in the store and the
result's ``to_dict()``. A monitor thread per job reads the pipe; the request handlers only read
the job table.

The manager keeps one worker started ahead of the next job (a *standby*): it has spawned and
imported what the jobs use (the evaluation, the report, the run store, SciPy's statistics) while
the server waited, so a job starts on a warm interpreter; a job that arrives while it still
imports waits for it, never longer than a fresh spawn would take. Each job still gets its own
process, and a new standby is started as soon as one is taken.

Cancelling sends SIGTERM. The worker turns it into ``KeyboardInterrupt`` at once, except while
it writes to the run store: the write (one run, several transactions) finishes first, so the
store never holds half a run. A sweep commits chunk by chunk and is left ``interrupted`` with
its finished chunks (resumable with ``detente sweep --resume``), as after Ctrl-C.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.errors import DetenteError, OptionsError, Problem

#: The kinds of job a client may start.
JOB_KINDS = ("compare", "backtest", "backcast", "sweep")
#: States a job can be in; the last three are terminal.
STATES = ("queued", "running", "done", "failed", "cancelled")
TERMINAL = ("done", "failed", "cancelled")
#: Seconds a cancelled worker has to finish a store write before it is killed.
CANCEL_GRACE = 30.0
#: Finished jobs kept for GET /api/jobs/{id} (the oldest finished are dropped first).
KEEP_FINISHED = 200
#: Finished jobs that keep their result in memory (a compare result is a few MB); older ones
#: keep their status and run id, and the result is read from the store (GET /api/runs/{id}).
KEEP_RESULTS = 20


class JobLimitError(OptionsError):
    """As many jobs as the server allows are queued or running (HTTP 429)."""


class UnknownJobError(OptionsError):
    """No job has this id (HTTP 404)."""


# --------------------------------------------------------------------------------------------
# worker side (runs in the spawned process)
# --------------------------------------------------------------------------------------------

_guard = {"writing": False, "cancelled": False}


def _on_sigterm(signum: int, frame: Any) -> None:
    _guard["cancelled"] = True
    if not _guard["writing"]:
        raise KeyboardInterrupt


@contextlib.contextmanager
def _whole_write() -> Iterator[None]:
    """A store write that a cancel does not cut in half: SIGTERM waits until it is done."""
    _guard["writing"] = True
    try:
        yield
    finally:
        _guard["writing"] = False
    if _guard["cancelled"]:
        raise KeyboardInterrupt


def _command(kind: str, params: Mapping[str, Any]) -> str:
    import json

    return f"detente serve: job {kind} " + json.dumps(dict(params), sort_keys=True, default=str)


def _jsonable(obj: Any) -> Any:
    """Plain JSON values (NaN and infinities as None): what crosses the pipe and the API."""
    import datetime as dt
    import math

    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dt.datetime | dt.date | Path):
        return obj.isoformat() if not isinstance(obj, Path) else str(obj)
    if hasattr(obj, "model_dump"):
        return _jsonable(obj.model_dump(mode="json"))
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    return str(obj)


def _now() -> Any:
    """Naive UTC, as the run store keeps times (so a run's wall time covers the work)."""
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(tzinfo=None)


def _compare(params: Mapping[str, Any], store: Path, send: Callable[..., None]) -> dict:
    """``detente compare``: :func:`detente.evaluate`, the report's content, :func:`record`."""
    from detente import report
    from detente.evaluation import evaluate
    from detente.policy import BridgeSettings
    from detente.runs.store import record

    bridge = BridgeSettings.from_mapping(params.get("bridge") or {})
    result = evaluate(params["scenario"], params.get("policies"),
                      horizon_months=int(params.get("horizon_months", 36)),
                      draws=params.get("draws"), seed=params.get("seed"), bridge=bridge,
                      backtest=bool(params.get("backtest", True)),
                      backcast=bool(params.get("backcast", True)), store=store,
                      progress=lambda stage: send(stage=stage))
    send(stage="storing the run")
    content = report.context(result)
    with _whole_write():
        run_id = record(result, store, command=_command("compare", params["echo"]),
                        documents={"report": content})
    return {"run_id": run_id, "result": result.to_dict()}


def _backtest(params: Mapping[str, Any], store: Path, send: Callable[..., None]) -> dict:
    """``detente backtest``: :func:`detente.dynamics.backtest`, stored like the CLI stores it."""
    from detente.dynamics import backtest
    from detente.evidence import data_hash, monthly_panel
    from detente.runs.store import save_run

    crisis_rule = params.get("crisis_rule", "breakdown-or-sanctions")
    panel = monthly_panel(crisis_rule=crisis_rule)
    seed = int(params.get("seed", 0))
    started = _now()
    result = backtest(panel, origins=params.get("origins"),
                      horizon_months=int(params.get("horizon_months", 36)),
                      episodes=bool(params.get("episodes", True)),
                      draws=int(params.get("draws", 1000)), seed=seed,
                      method=params.get("method", "laplace"),
                      progress=lambda done, total, label: send(stage=f"origin {label}",
                                                               done=done, total=total))
    send(stage="storing the run")
    with _whole_write():
        run_id = save_run(kind="backtest", command=_command("backtest", params["echo"]),
                          tables=result.tables(), seed=seed, store=store, started=started,
                          params={**result.settings, "crisis_rule": crisis_rule,
                                  "data_hash": data_hash()})
    out = result.to_dict()
    out["settings"]["crisis_rule"] = crisis_rule
    return {"run_id": run_id, "result": out}


def _backcast(params: Mapping[str, Any], store: Path, send: Callable[..., None]) -> dict:
    """``detente backcast``: :func:`detente.backcast.backcast`, stored like the CLI stores it."""
    from detente.backcast import backcast
    from detente.runs.store import save_run

    seed = int(params.get("seed", 0))
    draws = int(params.get("draws", 200))
    started = _now()
    result = backcast(params.get("scenarios"), draws=draws, seed=seed,
                      progress=lambda stage: send(stage=stage))
    send(stage="storing the run")
    with _whole_write():
        run_id = save_run(kind="backcast", command=_command("backcast", params["echo"]),
                          tables={"scores": result.to_frame()}, seed=seed, store=store,
                          started=started,
                          params={"scenarios": [c["scenario"] for c in result.cases],
                                  "draws": draws})
    return {"run_id": run_id, "result": result.to_dict()}


def _sweep(params: Mapping[str, Any], store: Path, send: Callable[..., None]) -> dict:
    """``detente sweep``: :func:`detente.runs.run_sweep` on a local runner, chunk by chunk."""
    from detente.runs import SweepSpec, run_sweep
    from detente.runs.executors import LocalRunner
    from detente.runs.store import RunStore
    from detente.scenario import apply

    scenario = params.get("scenario")
    if scenario is not None and params.get("policy"):
        scenario = apply(params["policy"], scenario)
    spec = SweepSpec(model=params.get("model", "bargaining"),
                     method=params.get("method", "sobol"), samples=int(params.get("samples", 64)),
                     seed=int(params.get("seed", 0)),
                     outputs=tuple(params["outputs"]) if params.get("outputs") else None,
                     inputs=tuple(params["inputs"]) if params.get("inputs") else None,
                     options=params.get("options"), policy=params.get("policy"))
    started: dict[str, str] = {}
    with RunStore(store) as st, LocalRunner() as runner:
        result = run_sweep(scenario, spec, store=st, runner=runner,
                           command=_command("sweep", params["echo"]),
                           progress=lambda done, total: send(stage="evaluations", done=done,
                                                             total=total),
                           on_start=lambda rid: (started.__setitem__("id", rid),
                                                 send(run_id=rid)))
    return {"run_id": result.run_id, "result": result.to_dict()}


_WORK: dict[str, Callable[[Mapping[str, Any], Path, Callable[..., None]], dict]] = {
    "compare": _compare, "backtest": _backtest, "backcast": _backcast, "sweep": _sweep}


def _worker(kind: str, params: dict[str, Any], store: str, conn: Any) -> None:
    """Entry point of a job's process: run the work, report over ``conn``, never raise."""
    signal.signal(signal.SIGTERM, _on_sigterm)

    def send(**message: Any) -> None:
        conn.send(_jsonable(message))

    try:
        send(state="running", stage="starting")
        out = _WORK[kind](params, Path(store), send)
        send(state="done", run_id=out["run_id"], result=_jsonable(out["result"]))
    except KeyboardInterrupt:
        send(state="cancelled")
    except DetenteError as err:
        send(state="failed", error=err.format(),
             problems=[p.__dict__ for p in err.problems])
    except Exception as err:  # a bug: say so in the job, never crash silently
        send(state="failed", error=f"internal error in the {kind} job: "
                                   f"{type(err).__name__}: {err}")
    finally:
        with contextlib.suppress(Exception):
            conn.close()


def _preload() -> None:
    """Import what the jobs use (≈ 1 s of a job's time otherwise): the evaluation, the report,
    the run store, the dynamic model and SciPy's statistics (the claims' exact tests)."""
    import importlib

    for name in ("detente.evaluation", "detente.report", "detente.runs.store",
                 "detente.dynamics", "detente.backcast", "scipy.stats"):
        with contextlib.suppress(Exception):  # the job itself reports an import that fails
            importlib.import_module(name)


def _standby(tasks: Any, conn: Any) -> None:
    """Entry point of a worker started before its job: import (:func:`_preload`), wait for one
    ``(kind, params, store)`` on ``tasks``, run it as :func:`_worker` does and report on
    ``conn``. A closed ``tasks`` or a SIGTERM before a job arrives ends it quietly."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        _preload()
        kind, params, store = tasks.recv()
    except (EOFError, OSError, KeyboardInterrupt):
        with contextlib.suppress(Exception):
            conn.close()
        return
    finally:
        with contextlib.suppress(Exception):
            tasks.close()
    _worker(kind, params, store, conn)


# --------------------------------------------------------------------------------------------
# server side
# --------------------------------------------------------------------------------------------


@dataclass
class _Ready:
    """A standby worker: its process, the end its job is sent to, the end it reports on."""

    process: Any
    tasks: Any
    reports: Any


@dataclass
class Job:
    """One job as the server tracks it."""

    id: str
    kind: str
    params: dict[str, Any]
    state: str = "queued"
    stage: str = "queued"
    done: int | None = None
    total: int | None = None
    run_id: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    ended: float | None = None
    cancel_requested: bool = False
    result_dropped: bool = False
    version: int = 0
    process: Any = field(default=None, repr=False)

    def to_dict(self, with_result: bool = True) -> dict[str, Any]:
        """The job's status as the API returns it (``result`` only when done)."""
        fraction = None
        if self.total:
            fraction = min(1.0, (self.done or 0) / self.total)
        elif self.state == "done":
            fraction = 1.0
        out: dict[str, Any] = {
            "id": self.id, "kind": self.kind, "state": self.state,
            "progress": {"stage": self.stage, "done": self.done, "total": self.total,
                         "fraction": fraction},
            "run_id": self.run_id, "params": self.params.get("echo", {}),
            "created": self.created, "ended": self.ended,
            "cancel_requested": self.cancel_requested}
        if self.error is not None:
            out["error"] = self.error
            out["problems"] = self.problems
        if with_result and self.result is not None:
            out["result"] = self.result
        elif with_result and self.result_dropped:
            out["result_note"] = (f"the result is no longer kept in memory: it is stored as "
                                  f"run {self.run_id} (GET /api/runs/{self.run_id})")
        return out


class JobManager:
    """Starts, tracks and cancels the jobs of one server (one per app)."""

    def __init__(self, store: Path, max_jobs: int) -> None:
        self.store = Path(store)
        self.max_jobs = int(max_jobs)
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._context = mp.get_context("spawn")
        self._closed = False
        self._ready: _Ready | None = None
        self._refill()

    def _refill(self) -> None:
        """Start a standby worker unless one is ready or the manager is shut down."""
        with self._lock:
            if self._ready is not None or self._closed:
                return
            tasks_out, tasks_in = self._context.Pipe(duplex=False)
            reports_out, reports_in = self._context.Pipe(duplex=False)
            process = self._context.Process(target=_standby, name="detente-standby-worker",
                                            args=(tasks_out, reports_in), daemon=True)
            process.start()
            tasks_out.close()
            reports_in.close()
            self._ready = _Ready(process, tasks_in, reports_out)

    def _take_ready(self, kind: str, params: dict[str, Any]) -> tuple[Any, Any] | None:
        """Hand a job to the standby worker: ``(process, report end)``, or None without one."""
        with self._lock:
            ready, self._ready = self._ready, None
        if ready is None:
            return None
        try:
            if not ready.process.is_alive():
                raise OSError("the standby worker has ended")
            ready.tasks.send((kind, params, str(self.store)))
        except (OSError, ValueError):
            with contextlib.suppress(Exception):
                ready.process.kill()
            return None
        finally:
            with contextlib.suppress(Exception):
                ready.tasks.close()
        return ready.process, ready.reports

    def active(self) -> int:
        return sum(j.state in ("queued", "running") for j in self._jobs.values())

    def submit(self, kind: str, params: dict[str, Any]) -> Job:
        """Start a job (params already checked by the API); JobLimitError when full."""
        with self._lock:
            if self.active() >= self.max_jobs:
                raise JobLimitError(
                    f"{self.max_jobs} job(s) are already queued or running, the most this "
                    f"server runs at once (limits.max_jobs = {self.max_jobs})",
                    [Problem("too many jobs", path="kind",
                             allowed="wait for a job to finish, or cancel one "
                                     "(DELETE /api/jobs/{id})")])
            job = Job(id=f"job-{secrets.token_hex(6)}", kind=kind, params=params)
            self._jobs[job.id] = job
            self._forget_old()
        taken = self._take_ready(kind, params)
        if taken is not None:
            process, parent = taken
        else:
            parent, child = self._context.Pipe(duplex=False)
            process = self._context.Process(target=_worker, name=f"detente-{job.id}",
                                            args=(kind, params, str(self.store), child),
                                            daemon=True)
            process.start()
            child.close()
        threading.Thread(target=self._refill, daemon=True, name="standby-refill").start()
        job.process = process
        threading.Thread(target=self._monitor, args=(job, parent), daemon=True,
                         name=f"monitor-{job.id}").start()
        return job

    def _forget_old(self) -> None:
        finished = sorted((j for j in self._jobs.values() if j.state in TERMINAL),
                          key=lambda j: j.created, reverse=True)
        for k, old in enumerate(finished):
            if k >= KEEP_FINISHED:
                self._jobs.pop(old.id, None)
            elif k >= KEEP_RESULTS and old.result is not None:
                old.result = None
                old.result_dropped = True

    def _update(self, job: Job, **changes: Any) -> None:
        with self._changed:
            for key, value in changes.items():
                setattr(job, key, value)
            job.version += 1
            self._changed.notify_all()

    def _monitor(self, job: Job, conn: Any) -> None:
        """Read the worker's messages until its pipe closes, then settle the final state."""
        final = False
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            changes: dict[str, Any] = {}
            if "state" in message and job.state not in TERMINAL:
                changes["state"] = message["state"]
                final = message["state"] in TERMINAL
            for key in ("stage", "run_id", "result", "error", "problems"):
                if key in message:
                    changes[key] = message[key]
            if "stage" in message:  # a new stage: its counts start afresh
                changes.setdefault("done", message.get("done"))
                changes.setdefault("total", message.get("total"))
            if final:
                changes["ended"] = time.time()
                changes["stage"] = message["state"]
            self._update(job, **changes)
        job.process.join()
        if not final:  # killed, or died without a word
            code = job.process.exitcode
            if job.cancel_requested:
                self._update(job, state="cancelled", ended=time.time())
            else:
                self._update(job, state="failed", ended=time.time(),
                             error=f"the worker process ended with exit code {code}")

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise UnknownJobError(f"no job {job_id[:40]!r} on this server", [Problem(
                "no such job", path="job_id",
                allowed="an id returned by POST /api/jobs (jobs live as long as the server)")])
        return job

    def list(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def wait_change(self, job: Job, version: int, timeout: float) -> int:
        """Block until ``job`` changes past ``version`` (or ``timeout``); return its version."""
        with self._changed:
            self._changed.wait_for(lambda: job.version != version, timeout=timeout)
            return job.version

    def cancel(self, job_id: str, wait: float = 10.0) -> Job:
        """Ask the worker to stop (SIGTERM); kill it if it outlives :data:`CANCEL_GRACE`."""
        job = self.get(job_id)
        if job.state in TERMINAL:
            return job
        self._update(job, cancel_requested=True, stage="cancelling")
        process = job.process
        if process is not None and process.is_alive():
            process.terminate()
            threading.Thread(target=self._reap, args=(process,), daemon=True).start()
        deadline = time.monotonic() + wait
        while job.state not in TERMINAL and time.monotonic() < deadline:
            self.wait_change(job, job.version, timeout=0.2)
        return job

    @staticmethod
    def _reap(process: Any, grace: float = CANCEL_GRACE) -> None:
        """Wait up to ``grace`` seconds for a terminated worker, then kill it: one still alive
        is stuck outside Python (a native loop), so no store write is pending."""
        process.join(max(0.0, grace))
        if process.is_alive():
            process.kill()

    def shutdown(self) -> None:
        """Stop every worker (server shutdown): cancelled like DELETE, then killed; the
        standby worker, which holds no job, is told to end."""
        with self._lock:
            self._closed = True
            ready, self._ready = self._ready, None
        if ready is not None:
            with contextlib.suppress(Exception):
                ready.tasks.close()
            ready.process.terminate()
            self._reap(ready.process, 5.0)
        for job in list(self._jobs.values()):
            if job.state not in TERMINAL:
                job.cancel_requested = True
                if job.process is not None and job.process.is_alive():
                    job.process.terminate()
        deadline = time.monotonic() + CANCEL_GRACE  # a store write in progress may finish
        for job in list(self._jobs.values()):
            if job.process is not None:
                self._reap(job.process, deadline - time.monotonic())
