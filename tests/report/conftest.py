"""Fixtures of the report tests (built once per process in ``_shared``)."""

from __future__ import annotations

import pytest

from tests.policy import _shared


@pytest.fixture(scope="session")
def korea():
    return _shared.korea()


@pytest.fixture(scope="session")
def posterior():
    return _shared.posterior()


@pytest.fixture(scope="session")
def panel():
    return _shared.panel()


@pytest.fixture(scope="session")
def small_comparison():
    return _shared.small_comparison()


@pytest.fixture(scope="session")
def episode_backtest():
    return _shared.episode_backtest()


@pytest.fixture(scope="session")
def sweep_store(tmp_path_factory):
    """A real, small Morris sweep of the bargaining model in a temporary run store:
    ``(store path, run id)``."""
    from detente.runs import LocalRunner, RunStore, SweepSpec, run_sweep
    from detente.scenario import load_scenario

    path = tmp_path_factory.mktemp("sweep") / "runs.duckdb"
    spec = SweepSpec(model="bargaining", method="morris", samples=4, seed=11,
                     inputs=("salience.*.talks",), outputs=("talks.forecast", "sanctions.forecast"))
    with RunStore(path) as store, LocalRunner() as runner:
        result = run_sweep(load_scenario("korea-2023"), spec, store=store, runner=runner,
                           command="test")
    return path, result.run_id
