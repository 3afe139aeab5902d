"""Work bounds on sweeps and runners: refused up front, with the bound and what would fit.

The evaluation counts are SALib's documented designs (Saltelli with ``calc_second_order=False``:
``N × (k + 2)`` rows; Morris: ``N × (k + 1)``); the address grammar is Dask's
``tcp://HOST:PORT``. The fault campaign of issue 13 found a 10 M-sample Morris sweep segfaulting
and a malformed ``--scheduler`` ending in a traceback.
"""

from __future__ import annotations

import pytest

from detente.errors import OptionsError
from detente.runs.executors import MAX_JOBS, DaskRunner, make_runner
from detente.runs.sweep import MAX_SWEEP_EVALUATIONS, SweepInput, make_design

from .conftest import run_cli

INPUTS = [SweepInput(f"x{i}", 0.0, 1.0, 0.5) for i in range(3)]


@pytest.mark.parametrize("method,per_sample", [("morris", 4), ("sobol", 5)])
def test_sweep_beyond_the_evaluation_bound_is_refused_before_sampling(method, per_sample):
    samples = 2**23  # a power of two, so only the bound can refuse it
    with pytest.raises(OptionsError) as caught:
        make_design(method, INPUTS, samples, seed=1)
    problem = caught.value.problems[0]
    assert problem.path == "--samples"
    assert f"{samples * per_sample:,} evaluations" in problem.message
    fits = int(problem.allowed.split()[2].replace(",", ""))
    assert fits * per_sample <= MAX_SWEEP_EVALUATIONS
    if method == "sobol":
        assert fits & (fits - 1) == 0  # the suggestion is itself a valid Sobol' size


def test_sweep_inside_the_bound_is_designed():
    design = make_design("morris", INPUTS, 8, seed=1)
    assert design.X.shape == (8 * 4, 3)


@pytest.mark.parametrize("jobs", [0, -2, MAX_JOBS + 1])
def test_jobs_out_of_range_is_refused(jobs):
    with pytest.raises(OptionsError) as caught:
        make_runner("pool", jobs=jobs)
    assert caught.value.problems[0].path == "--jobs"


@pytest.mark.parametrize("address", ["localhost:8786", "http://127.0.0.1:8786",
                                     "tcp://127.0.0.1:99999", "tcp://127.0.0.1", "tcp:// :1"])
def test_malformed_scheduler_address_is_refused_without_connecting(address):
    with pytest.raises(OptionsError) as caught:
        make_runner(scheduler=address)
    assert caught.value.problems[0].path == "--scheduler"


def test_wellformed_scheduler_address_is_accepted():
    # no connection is made until the runner is entered
    assert isinstance(make_runner(scheduler="tcp://127.0.0.1:8786"), DaskRunner)


def test_cli_refuses_ten_million_morris_samples_without_a_traceback(tmp_path):
    res = run_cli("sweep", "korea-2023", "--model", "bargaining", "--method", "morris",
                  "--samples", "10000000", "--store", str(tmp_path / "runs.duckdb"))
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "evaluations" in res.stderr


def test_a_server_that_is_not_a_dask_scheduler_is_refused_after_the_timeout():
    # issue 13: "pointed at a non-Dask server: hangs > 180 s". A listener that accepts and
    # never answers stands in for any other service; the runner must give up after its timeout
    # with an OptionsError naming --scheduler (not hang, not a traceback)
    import socket
    import threading

    from detente.runs.executors import DaskRunner

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    port = listener.getsockname()[1]
    try:
        with pytest.raises(OptionsError) as caught, DaskRunner(f"tcp://127.0.0.1:{port}",
                                                              timeout=2.0):
            pass
        assert caught.value.problems[0].path == "--scheduler"
    finally:
        for conn in accepted:
            conn.close()
        listener.close()
