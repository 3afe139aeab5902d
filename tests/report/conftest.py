"""Fixtures of the report tests (built once per process in ``_shared``)."""

from __future__ import annotations

import pytest

# The comparison fixtures are the policy tests' own (one definition, shared per session).
from tests.policy.conftest import (  # noqa: F401
    episode_backtest,
    korea,
    panel,
    posterior,
    small_comparison,
)


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
