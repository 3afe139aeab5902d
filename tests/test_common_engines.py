"""Invariants every bargaining engine must pass (run over the engine registry, as
scikit-learn's ``test_common.py`` runs its estimator checks).

The expected behaviour comes from the definitions, not from engine output: engines are pure
functions of the scenario (same seed → same numbers; the Scenario object is not mutated),
outcomes are positions actors already hold or convex combinations of them (so they stay
inside the initial range), and nothing depends on the order actors are listed in (inputs are
generic reals, so no tie-break by actor order fires).

To add an engine, add its name to ``ENGINE_NAMES`` (and known failures to ``XFAIL`` with a reason).
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.bargaining.forecast import forecast
from detente.scenario import load_scenario

ENGINE_NAMES = ["bdm", "smp"]
XFAIL: dict[tuple[str, str], str] = {}


def _scenario_yaml(order: list[int], seed: int = 2023) -> str:
    """A 5-actor, 2-issue scenario with generic (tie-free) numbers; actors listed in ``order``."""
    rng = np.random.default_rng(seed)
    n = 5
    cap = np.round(rng.uniform(1, 100, n), 3)
    pos = np.round(rng.uniform(0, 100, (n, 2)), 3)
    sal = np.round(rng.uniform(10, 100, (n, 2)), 3)
    lines = [
        "id: common-engines",
        "title: Generic engine-invariant scenario",
        "as_of: 2023-09-14",
        "summary: Random numbers for the common engine checks.",
        "issues:",
        "  - {id: alpha, name: Alpha, low: none, high: all}",
        "  - {id: beta, name: Beta, low: none, high: all}",
        "actors:",
    ]
    for i in order:
        lo_c, hi_c = cap[i] * 0.8, cap[i] * 1.2
        lines += [
            f"  - id: A{i}",
            f"    name: Actor {i}",
            f"    capability: {{value: {cap[i]}, source: test fixture, range: [{lo_c:.4f}, {hi_c:.4f}]}}",
            "    stances:",
        ]
        for k, issue in enumerate(("alpha", "beta")):
            p, s = pos[i, k], sal[i, k]
            p_lo, p_hi = max(0.0, p - 10), min(100.0, p + 10)
            lines += [
                f"      {issue}:",
                f"        position: {{value: {p}, source: test fixture, range: [{p_lo:.3f}, {p_hi:.3f}]}}",
                f"        salience: {{value: {s}, source: test fixture}}",
            ]
    return "\n".join(lines) + "\n"


@pytest.fixture()
def scenario_file(tmp_path):
    def make(order: list[int]):
        path = tmp_path / f"common-{'-'.join(map(str, order))}.yaml"
        path.write_text(_scenario_yaml(order))
        return path
    return make


def _maybe_xfail(engine: str, check: str) -> None:
    reason = XFAIL.get((engine, check))
    if reason:
        pytest.xfail(reason)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_same_seed_same_result(engine, scenario_file):
    _maybe_xfail(engine, "seed")
    path = scenario_file([0, 1, 2, 3, 4])
    a = forecast(path, model=engine, draws=64, seed=9)
    b = forecast(path, model=engine, draws=64, seed=9, chunk_size=10)
    for issue in a.results:
        np.testing.assert_array_equal(a.results[issue].positions, b.results[issue].positions)
        np.testing.assert_array_equal(a.distributions[issue].forecast,
                                      b.distributions[issue].forecast)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_scenario_is_not_mutated(engine, scenario_file):
    _maybe_xfail(engine, "mutation")
    scenario = load_scenario(scenario_file([0, 1, 2, 3, 4]))
    before = scenario.model_dump()
    arrays_before = scenario.arrays()
    forecast(scenario, model=engine, draws=16, seed=1, perturbation=5.0)
    assert scenario.model_dump() == before
    np.testing.assert_array_equal(scenario.arrays().position, arrays_before.position)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_positions_stay_in_initial_range(engine, scenario_file):
    _maybe_xfail(engine, "range")
    fc = forecast(scenario_file([0, 1, 2, 3, 4]), model=engine)
    for res in fc.results.values():
        start = res.positions[0]
        assert res.positions.min() >= start.min() - 1e-9
        assert res.positions.max() <= start.max() + 1e-9
        assert start.min() - 1e-9 <= res.forecast <= start.max() + 1e-9


@pytest.mark.parametrize("engine", ENGINE_NAMES)
def test_permuting_actors_permutes_outputs(engine, scenario_file):
    _maybe_xfail(engine, "permutation")
    order = [3, 0, 4, 1, 2]
    base = forecast(scenario_file([0, 1, 2, 3, 4]), model=engine)
    perm = forecast(scenario_file(order), model=engine)
    for issue, res in base.results.items():
        other = perm.results[issue]
        assert other.actor_ids == tuple(f"A{i}" for i in order)
        np.testing.assert_allclose(other.positions, res.positions[:, order], atol=1e-9)
        np.testing.assert_allclose(other.median, res.median, atol=1e-9)
        assert other.forecast == pytest.approx(res.forecast, abs=1e-9)
