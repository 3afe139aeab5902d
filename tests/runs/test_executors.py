"""Same numbers on every executor; a killed sweep resumes to the uninterrupted result.

The reference for "identical" is the in-process run (LocalRunner) of the same sweep: the
executors must reproduce it bit for bit (compared cell by cell with ``RunStore.diff``), because
chunk contents and chunk seeds are fixed by the run's parameters, not by the workers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from detente.runs import LocalRunner, PoolRunner, RunStore, SweepSpec, run_sweep
from detente.runs.store import RunStore as _RunStore

from .conftest import DETENTE, cli_env, run_cli

# a small real sweep: the BDM bargaining model on the embedded Korea scenario
SWEEP = SweepSpec(model="bargaining", method="sobol", samples=4, seed=11, chunk_size=32,
                  outputs=("*.forecast",))
SWEEP_ARGS = ["korea-2023", "--model", "bargaining", "--method", "sobol", "--samples", "4",
              "--seed", "11", "--chunk-size", "32", "--outputs", "*.forecast"]


@pytest.fixture(scope="module")
def korea():
    from detente.scenario import load_scenario

    return load_scenario("korea-2023")


@pytest.fixture(scope="module")
def reference_run(korea, tmp_path_factory) -> tuple[Path, str]:
    """The in-process sweep every other executor must reproduce."""
    path = tmp_path_factory.mktemp("ref") / "ref.duckdb"
    with RunStore(path) as st, LocalRunner() as runner:
        result = run_sweep(korea, SWEEP, store=st, runner=runner)
        assert result.design.n_evaluations > 3 * SWEEP.chunk_size  # several chunks
    return path, result.run_id


def _check_identical(path_a: Path, id_a: str, path_b: Path, id_b: str,
               may_differ: frozenset[str] = frozenset()) -> None:
    """Every stored cell of run b equals run a's (import b into a copy of a's store and diff)."""
    with _RunStore(path_b, read_only=True) as sb:
        exported = sb.export(id_b, "parquet", path_b.with_suffix(".parquet"))
    merged = path_b.with_name("merged.duckdb")
    merged.unlink(missing_ok=True)
    with _RunStore(path_a, read_only=True) as sa:
        copy = sa.export(id_a, "parquet", path_b.with_name("a.parquet"))
    with _RunStore(merged) as sm:
        sm.import_run(copy)
        sm.import_run(exported)
        d = sm.diff(id_a, id_b)
        assert d.identical_results, d.cells
        assert set(d.fields["field"]) <= may_differ, d.fields


def test_pool_of_two_matches_in_process(korea, reference_run, tmp_path: Path) -> None:
    path = tmp_path / "pool.duckdb"
    with RunStore(path) as st, PoolRunner(2) as runner:
        result = run_sweep(korea, SWEEP, store=st, runner=runner)
    _check_identical(*reference_run, path, result.run_id)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """A real Dask scheduler and two single-threaded worker processes on 127.0.0.1."""
    from distributed import Client

    bindir = Path(DETENTE[0]).parent
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = open(tmp_path / "dask.log", "w")
    procs = [subprocess.Popen([str(bindir / "dask"), "scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"],
                              stdout=log, stderr=subprocess.STDOUT, env=cli_env())]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen(
                [str(bindir / "dask"), "worker", address, "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--host", "127.0.0.1"],
                stdout=log, stderr=subprocess.STDOUT, env=cli_env()))
        deadline = time.monotonic() + 90
        while True:
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(2, timeout=max(1, deadline - time.monotonic()))
                break
            except (OSError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


def test_dask_scheduler_with_two_workers_matches_in_process(reference_run, dask_cluster,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "dask.duckdb"
    res = run_cli("sweep", *SWEEP_ARGS, "--scheduler", dask_cluster, "--store", str(path),
                  "--json", timeout=240)
    assert res.returncode == 0, res.stderr
    import json

    run_id = json.loads(res.stdout)["run_id"]
    with RunStore(path, read_only=True) as st:
        assert st.record(run_id).status == "done"
        assert "dask" in st.record(run_id).command
    _check_identical(*reference_run, path, run_id)


def _start_sweep(path: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*DETENTE, "sweep", *SWEEP_ARGS[:-4], "--chunk-size", "8",
                             "--outputs", "*.forecast", "--store", str(path), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=cli_env())


def _wait_for_stored(proc: subprocess.Popen[str], chunks: int) -> int:
    """Read the plain progress lines ("stored D/T evaluations") until ``chunks`` chunks are in."""
    assert proc.stderr is not None
    seen = 0
    for line in proc.stderr:
        if line.startswith("stored "):
            done, total = (int(v) for v in line.split()[1].split("/"))
            if done > 0:
                seen += 1
            if seen >= chunks:
                assert done < total, "the sweep finished before it could be interrupted"
                return done
    raise AssertionError(f"sweep ended early (rc={proc.wait()})")


def test_sigkilled_sweep_resumes_to_the_uninterrupted_result(reference_run,
                                                             tmp_path: Path) -> None:
    # the reference uses chunk size 32; the killed run uses 8 — chunking must not matter
    path = tmp_path / "killed.duckdb"
    proc = _start_sweep(path)
    try:
        _wait_for_stored(proc, chunks=4)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with RunStore(path) as st:  # the killed writer's WAL is replayed on open
        report = st.check()
        assert report.ok, report.problems
        (run_id,) = st.list()["id"]
        rec = st.record(run_id)
        assert rec.status == "running"  # nobody marked it: the process was killed
        assert any(p.severity == "warning" and "gone" in p.message for p in report.problems)
        stored = st.done_chunks(run_id)
        assert 4 <= len(stored) < rec.params["n_chunks"]
    res = run_cli("sweep", "--resume", run_id, "--store", str(path), "--jobs", "2", timeout=240)
    assert res.returncode == 0, res.stderr
    with RunStore(path) as st:
        report = st.check()
        assert report.ok and not report.problems, report.problems
        assert st.record(run_id).status == "done"
        assert len(st.done_chunks(run_id)) == st.record(run_id).params["n_chunks"]
    _check_identical(*reference_run, path, run_id,
               may_differ=frozenset({"params.chunk_size", "params.n_chunks"}))


def test_ctrl_c_marks_interrupted_and_prints_the_resume_command(tmp_path: Path) -> None:
    path = tmp_path / "sigint.duckdb"
    proc = _start_sweep(path)
    try:
        _wait_for_stored(proc, chunks=2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "resume with: detente sweep --resume sweep-" in err
    with RunStore(path) as st:
        (run_id,) = st.list()["id"]
        assert st.record(run_id).status == "interrupted"
        assert f"--resume {run_id}" in err
        assert st.check().ok


def _environ(shared: object, name: str) -> str | None:
    return os.environ.get(name)


def test_local_dask_workers_do_not_trim_malloc() -> None:
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 by default (distributed.yaml,
    ``nanny.pre-spawn-environ``); with it the BDM engine ran 2.0× slower per evaluation
    (0.75 s vs 1.54 s for 2048 evaluations, measured by hand). Our LocalCluster unsets it."""
    from detente.runs import DaskRunner

    with DaskRunner(None, jobs=1) as runner:
        (_, value), = runner.map_unordered(_environ, None, [(0, "MALLOC_TRIM_THRESHOLD_")])
        (_, threads), = runner.map_unordered(_environ, None, [(0, "OPENBLAS_NUM_THREADS")])
    assert value is None
    assert threads == "1"  # the nanny's other settings stay
