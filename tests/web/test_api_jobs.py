"""Jobs of ``detente serve``: start, progress (polling and server-sent events), results in the
run store, cancel, and the concurrent-job limit, over a real server (tests/web/conftest.py).

Expected values: the library verbs called in this process with the same arguments
(``detente.backcast.backcast``, the stored tables read back with ``detente.runs.RunStore``),
never numbers the server computed.
"""

from __future__ import annotations

import io
import json
import time
import zipfile

import httpx
import pandas as pd
import pytest
from tests.web._json import plain

from detente.runs.store import RunStore


def _events(client: httpx.Client, job_id: str, timeout: float = 600) -> list[dict]:
    """Every status the job's event stream sends, until it closes."""
    out = []
    with client.stream("GET", f"/api/jobs/{job_id}/events", timeout=timeout) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
    return out


def _wait(client: httpx.Client, job_id: str, states: tuple[str, ...], timeout: float = 300
          ) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/jobs/{job_id}").json()
        if status["state"] in states:
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} not in {states} after {timeout} s: {status}")


def test_backcast_job_streams_progress_and_stores_the_library_result(api_server):
    from detente.backcast import backcast

    expected = backcast(None, draws=20, seed=3)
    with api_server.client() as c:
        started = c.post("/api/jobs", json={"kind": "backcast",
                                            "params": {"draws": 20, "seed": 3}})
        assert started.status_code == 202, started.text
        job_id = started.json()["job_id"]
        assert started.headers["location"] == f"/api/jobs/{job_id}"
        events = _events(c, job_id)
        states = [e["state"] for e in events]
        assert states[-1] == "done", events[-1]
        assert set(states) <= {"queued", "running", "done"}
        assert states.index("running") < states.index("done")
        stages = [e["progress"]["stage"] for e in events]
        assert any(s.startswith("back-cast ") for s in stages), stages
        final = events[-1]
        assert final["progress"]["fraction"] == 1.0
        assert final["result"] == plain(json.loads(json.dumps(expected.to_dict())))
        polled = c.get(f"/api/jobs/{job_id}").json()
        assert polled["state"] == "done" and polled["run_id"] == final["run_id"]
        assert job_id in [j["id"] for j in c.get("/api/jobs").json()]
        stored = c.get("/api/backcast").json()
        assert stored["run_id"] == final["run_id"]
    with RunStore(api_server.store, read_only=True) as st:
        rec = st.record(final["run_id"])
        assert (rec.kind, rec.status, rec.seed) == ("backcast", "done", 3)
        frame = st.table(rec.id, "scores")
    pd.testing.assert_frame_equal(frame.reset_index(drop=True),
                                  expected.to_frame().reset_index(drop=True),
                                  check_dtype=False)


def test_cancel_stops_the_worker_and_leaves_no_half_run(api_server):
    with api_server.client() as c:
        before = {r["id"] for r in c.get("/api/runs").json()}
        job_id = c.post("/api/jobs", json={"kind": "backcast",
                                           "params": {"draws": 2000, "seed": 1}}).json()["job_id"]
        _wait(c, job_id, ("running",))
        time.sleep(2)  # well inside the back-casts (2 000 draws per engine and case)
        t0 = time.monotonic()
        cancelled = c.delete(f"/api/jobs/{job_id}")
        assert cancelled.status_code == 200
        assert cancelled.json()["state"] == "cancelled", cancelled.json()
        assert time.monotonic() - t0 < 15
        status = c.get(f"/api/jobs/{job_id}").json()
        assert status["state"] == "cancelled" and status["run_id"] is None
        assert "result" not in status
        after = c.get("/api/runs").json()
        assert {r["id"] for r in after} == before
        assert [r for r in after if r["status"] != "done"] == []
        again = c.delete(f"/api/jobs/{job_id}")  # cancelling a finished job changes nothing
        assert again.json()["state"] == "cancelled"


def test_concurrent_job_limit_is_a_429_naming_it(start_server):
    with start_server("--limit", "max_jobs=1") as server, server.client() as c:
        first = c.post("/api/jobs", json={"kind": "backcast",
                                          "params": {"draws": 2000, "seed": 1}})
        assert first.status_code == 202
        second = c.post("/api/jobs", json={"kind": "backcast", "params": {"draws": 20}})
        assert second.status_code == 429, second.text
        assert "limits.max_jobs = 1" in second.json()["detail"]
        c.delete(f"/api/jobs/{first.json()['job_id']}")
        third = c.post("/api/jobs", json={"kind": "backcast", "params": {"draws": 20,
                                                                          "seed": 2}})
        assert third.status_code == 202
        assert _wait(c, third.json()["job_id"], ("done", "failed"))["state"] == "done"


@pytest.mark.parametrize("body, field", [
    ({"kind": "compare", "params": {"scenario": "korea-2023", "nope": 1}}, "params.nope"),
    ({"kind": "compare", "params": {}}, "params.scenario"),
    ({"kind": "compare", "params": {"scenario": "korea-2023", "seed": -1}}, "params.seed"),
    ({"kind": "compare", "params": {"scenario": "korea-2023", "bridge": {"beta_talks": 9}}},
     "bridge.beta_talks"),
    ({"kind": "backtest", "params": {"episodes": "maybe"}}, "params.episodes"),
    ({"kind": "teleport", "params": {}}, "body.kind"),
])
def test_bad_job_parameters_are_refused_before_a_worker_starts(api_server, body, field):
    with api_server.client() as c:
        n = len(c.get("/api/jobs").json())
        r = c.post("/api/jobs", json=body)
        assert r.status_code == 422, r.text
        assert field in [p["field"] for p in r.json()["problems"]]
        assert len(c.get("/api/jobs").json()) == n


def test_compare_job_lands_in_the_store_with_claims_report_and_export(api_server):
    params = {"scenario": "korea-2023", "draws": 8, "seed": 5, "horizon_months": 12,
              "backtest": False, "backcast": False}
    with api_server.client(timeout=900) as c:
        job_id = c.post("/api/jobs", json={"kind": "compare", "params": params}).json()["job_id"]
        final = _events(c, job_id, timeout=900)[-1]
        assert final["state"] == "done", final
        run_id = final["run_id"]
        assert final["result"]["seed"] == 5
        claims = c.get("/api/claims", params={"scenario": "korea-2023"}).json()
        report = c.get(f"/api/runs/{run_id}/report")
        export = c.get(f"/api/runs/{run_id}/export")
        shown = c.get(f"/api/runs/{run_id}").json()
        table = c.get(f"/api/runs/{run_id}/tables/comparison", params={"limit": 5}).json()
    with RunStore(api_server.store, read_only=True) as st:
        rec = st.record(run_id)
        stored_claims = st.table(run_id, "claims")
        names = set(st.tables(run_id)["name"])
        comparison = st.table(run_id, "comparison")
    assert (rec.kind, rec.status, rec.seed) == ("compare", "done", 5)
    assert claims["run_id"] == run_id
    assert [c["id"] for c in claims["claims"]] == list(stored_claims["id"])
    assert [c["verdict"] for c in claims["claims"]] == list(stored_claims["verdict"])
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "Korean Peninsula" in report.text
    assert shown["report"] == f"/api/runs/{run_id}/report"
    assert {t["name"] for t in shown["tables"]} == names
    assert table["n_rows"] == len(comparison) and len(table["rows"]) == 5
    with zipfile.ZipFile(io.BytesIO(export.content)) as zf:
        assert set(zf.namelist()) == {"run.json", *(f"{n}.csv" for n in names)}
        got = pd.read_csv(zf.open("claims.csv"), dtype=str, keep_default_na=False)
        assert json.loads(zf.read("run.json"))["id"] == run_id
    assert list(got["id"]) == list(stored_claims["id"])


def test_sweep_and_backtest_jobs_store_their_runs(api_server):
    with api_server.client(timeout=600) as c:
        sweep = c.post("/api/jobs", json={"kind": "sweep", "params": {
            "scenario": "korea-2023", "method": "morris", "samples": 2, "seed": 1,
            "outputs": ["talks.forecast"]}}).json()["job_id"]
        done = _events(c, sweep)[-1]
        assert done["state"] == "done", done
        assert done["progress"]["total"] == done["progress"]["done"] > 0
        bt = c.post("/api/jobs", json={"kind": "backtest", "params": {
            "origins": ["2015-01"], "episodes": False, "draws": 50, "horizon_months": 12,
            "seed": 1}}).json()["job_id"]
        bt_done = _events(c, bt)[-1]
        assert bt_done["state"] == "done", bt_done
        stored = c.get("/api/backtest").json()
    assert stored["run_id"] == bt_done["run_id"]
    with RunStore(api_server.store, read_only=True) as st:
        assert st.record(done["run_id"]).kind == "sweep"
        assert "indices" in set(st.tables(done["run_id"])["name"])
        assert set(stored["tables"]) == {n for n in st.tables(bt_done["run_id"])["name"]
                                          if n != "scores"}


WRITER = """
import signal, sys, time
from pathlib import Path
from detente.web import jobs
signal.signal(signal.SIGTERM, jobs._on_sigterm)
out = Path(sys.argv[1])
try:
    with jobs._whole_write():
        print("writing", flush=True)
        with out.open("w") as f:
            for k in range(20):   # a write of two seconds that a cancel must not cut
                f.write(f"{k}\\n"); f.flush(); time.sleep(0.1)
    print("not reached: the deferred cancel stops the worker here", flush=True)
except KeyboardInterrupt:
    print("cancelled after the write", flush=True)
"""


def test_a_cancel_during_a_store_write_waits_for_the_write(tmp_path):
    import signal
    import subprocess
    import sys

    target = tmp_path / "written.txt"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert out.strip() == "cancelled after the write"
    assert target.read_text().split() == [str(k) for k in range(20)]


def test_a_cancelled_sweep_keeps_whole_chunks_and_is_resumable(api_server):
    with api_server.client(timeout=600) as c:
        job_id = c.post("/api/jobs", json={"kind": "sweep", "params": {
            "scenario": "korea-2023", "method": "sobol", "samples": 1024,
            "seed": 2}}).json()["job_id"]
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # until the first chunk is committed
            status = c.get(f"/api/jobs/{job_id}").json()
            if (status["progress"]["done"] or 0) > 0 or status["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert status["state"] == "running", status
        run_id = status["run_id"]
        assert c.delete(f"/api/jobs/{job_id}").json()["state"] == "cancelled"
    with RunStore(api_server.store, read_only=True) as st:
        rec = st.record(run_id)
        chunks = st.chunk_stats(run_id)
        evaluations = st.table(run_id, "evaluations") if len(chunks) else None
    assert rec.status == "interrupted"  # what `detente sweep --resume` continues
    assert 0 < len(chunks) < rec.params["n_chunks"]
    # every committed chunk is whole: its rows are all there, none of a chunk not committed
    assert len(evaluations) == int(chunks["n_rows"].sum())


def test_jobs_start_on_the_standby_worker_and_a_new_one_is_kept_ready(tmp_path):
    """The manager keeps one worker started ahead of the next job: a submitted job runs in
    that process (its pid is the standby's), a new standby is started, a second job runs in
    that one, every job's stored result equals the library's (detente.backcast.backcast in this
    process, same seed and draws), and shutdown leaves no worker alive. Real spawned processes,
    a real DuckDB store."""
    from detente.backcast import backcast
    from detente.web.jobs import JobManager

    manager = JobManager(tmp_path / "runs.duckdb", max_jobs=2)
    try:
        first_standby = manager._ready.process
        params = {"scenarios": ["korea-2002"], "draws": 20, "seed": 4, "echo": {}}
        job = manager.submit("backcast", params)
        assert job.process is first_standby
        deadline = time.monotonic() + 300
        while job.state not in ("done", "failed", "cancelled") and time.monotonic() < deadline:
            manager.wait_change(job, job.version, timeout=1.0)
        assert job.state == "done", job.error
        while manager._ready is None and time.monotonic() < deadline:
            time.sleep(0.05)
        second_standby = manager._ready.process
        assert second_standby is not first_standby and second_standby.is_alive()
        again = manager.submit("backcast", {**params, "seed": 5})
        assert again.process is second_standby
        while again.state not in ("done", "failed", "cancelled") and \
                time.monotonic() < deadline:
            manager.wait_change(again, again.version, timeout=1.0)
        assert again.state == "done", again.error
        for run, seed in ((job, 4), (again, 5)):
            expected = backcast(["korea-2002"], draws=20, seed=seed).to_frame()
            with RunStore(tmp_path / "runs.duckdb", read_only=True) as store:
                stored = store.table(run.run_id, "scores")
            pd.testing.assert_frame_equal(stored.reset_index(drop=True),
                                          expected.reset_index(drop=True), check_dtype=False)
    finally:
        manager.shutdown()
    import multiprocessing

    time.sleep(0.5)  # a refill thread started by the second submit has finished by now
    assert manager._ready is None and not second_standby.is_alive()
    assert [p.name for p in multiprocessing.active_children()
            if p.name == "detente-standby-worker"] == []
