"""Properties every SMP run must have, whatever the inputs and options.

Expected behaviour comes from the spec, not from engine output: bargains interpolate between
two positions on a 0.01 grid (SPEC §6.2), so positions stay in [0, 100]; the run stops at the
first turn t ≥ 2 whose step is below 2 % of the first step, or at the turn limit (SPEC §9,
recomputed here from the positions); relabelling actors relabels the result; a deterministic
run draws no random numbers (SPEC §11) and a stochastic one depends only on its seed.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.bargaining import smp


def _case(seed: int, n: int = 8, m: int = 2):
    rng = np.random.default_rng(seed)
    cap = rng.uniform(1, 100, n)
    pos = rng.uniform(0, 100, (n, m))
    sal = rng.uniform(5, 100 / m, (n, m))
    return cap, pos, sal


def _independent_ratios(positions: np.ndarray) -> np.ndarray:
    """SPEC §9 from the positions alone (0–100 scale → [0, 1])."""
    x = positions / 100.0
    steps = np.array([np.sqrt(((x[t] - x[t - 1]) ** 2).sum(axis=1)).sum()
                      for t in range(1, x.shape[0])])
    return steps / (steps[0] + 1e-4)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(3, 12), m=st.integers(1, 3))
def test_positions_stay_on_the_scale_and_the_run_stops_by_the_rule(seed, n, m):
    cap, pos, sal = _case(seed, n, m)
    run = smp.run_smp(cap, pos, sal, smp.SMPOptions(rounds=40))
    assert run.positions.min() >= 0.0 and run.positions.max() <= 100.0
    assert np.all(np.isfinite(run.win_prob))
    ratios = _independent_ratios(run.positions)
    np.testing.assert_allclose(run.fractional_change, ratios, rtol=1e-9, atol=1e-12)
    # no earlier turn t ≥ 2 met the rule; the last one did, unless the limit was hit
    assert np.all(ratios[1:-1] >= 0.02 - 1e-12)
    if run.stop_reason == "converged":
        assert run.turns >= 2 and ratios[-1] < 0.02
    elif run.stop_reason == "consensus":  # every actor at one position ends the run early
        assert np.ptp(run.positions[-1], axis=0).max() == 0.0
    else:
        assert run.turns == 40


def test_reaching_consensus_ends_the_run_instead_of_failing():
    """Found by hypothesis in CI (seed 473, 3 actors, 1 dimension): after turn 2 every actor
    sits at 17.31, every win probability is 1/3 and SPEC §4's risk attitudes are 0/0. The run
    has ended in consensus: stop there, the one outcome with probability 1, and the lockstep
    batch kernel must agree with the single run."""
    from detente.bargaining import _smp_kernels as K

    cap, pos, sal = _case(473, 3, 1)
    run = smp.run_smp(cap, pos, sal, smp.SMPOptions(rounds=40))
    assert run.stop_reason == "consensus" and run.turns < 40
    final = run.positions[-1]
    assert np.all(final == final[0])
    np.testing.assert_allclose(run.win_prob[-1], np.full(3, 1 / 3))
    batch_final, class_prob, turns = K.simulate_batch(cap[None], pos[None] / 100.0,
                                                      sal[None] / 100.0, max_turns=40)
    np.testing.assert_array_equal(batch_final[0] * 100.0, final)
    assert turns[0] == run.turns
    np.testing.assert_array_equal(class_prob[0], [1.0, 0.0, 0.0])
    (result,) = smp.issue_results(run, np.ones((3, 1), dtype=bool)).values()
    assert result.modal_probability == 1.0
    assert result.modal_position == final[0, 0]
    assert result.stop_reason == "consensus"


def test_turn_limit_is_honoured():
    cap, pos, sal = _case(3, 10, 2)
    run = smp.run_smp(cap, pos, sal, smp.SMPOptions(rounds=2))
    assert run.turns == 2
    full = smp.run_smp(cap, pos, sal)
    np.testing.assert_array_equal(run.positions, full.positions[:3])


def test_relabelling_actors_permutes_the_result():
    cap, pos, sal = _case(11, 9, 2)
    ids = tuple(f"A{i}" for i in range(9))
    base = smp.run_smp(cap, pos, sal, actor_ids=ids)
    order = np.array([4, 7, 0, 8, 2, 5, 1, 6, 3])
    perm = smp.run_smp(cap[order], pos[order], sal[order], actor_ids=tuple(ids[i] for i in order))
    assert perm.turns == base.turns
    np.testing.assert_allclose(perm.positions, base.positions[:, order], atol=1e-9)
    # Reported probabilities group positions closer than 0.1 by a greedy, first-come rule
    # (SPEC §7: "the greedy first-representative rule is the definition"), which depends on
    # the order of actors whenever two positions are near but not equal. They must permute
    # exactly in every state where no such near-pair exists.
    for t in range(base.turns + 1):
        x = base.positions[t]
        gap = np.sqrt(((x[:, None] - x[None]) ** 2).sum(axis=-1))
        if np.any((gap > 0) & (gap < 0.1)):
            continue
        np.testing.assert_allclose(perm.win_prob[t], base.win_prob[t, order], atol=1e-12)


def test_deterministic_run_is_bit_identical_twice():
    cap, pos, sal = _case(5, 12, 3)
    a = smp.run_smp(cap, pos, sal)
    b = smp.run_smp(cap, pos, sal)
    np.testing.assert_array_equal(a.positions, b.positions)
    np.testing.assert_array_equal(a.win_prob, b.win_prob)
    assert a.bargains.equals(b.bargains)


def test_stochastic_run_depends_only_on_its_seed():
    cap, pos, sal = _case(6, 10, 2)
    opts = smp.SMPOptions(transitions="stochastic", transition_seed=42, rounds=30)
    a = smp.run_smp(cap, pos, sal, opts)
    b = smp.run_smp(cap, pos, sal, opts)
    np.testing.assert_array_equal(a.positions, b.positions)
    others = [smp.run_smp(cap, pos, sal, smp.SMPOptions(transitions="stochastic",
                                                        transition_seed=s, rounds=30))
              for s in (1, 2, 3)]
    assert any(o.positions.shape != a.positions.shape
               or not np.array_equal(o.positions, a.positions) for o in others)


@pytest.mark.parametrize("change", [
    {"voting_rule": "binary"}, {"voting_rule": "prop-bin"}, {"voting_rule": "prop-cubic"},
    {"voting_rule": "cubic"}, {"voting_rule": "asym-prospect"},
    {"victory_law": "square"}, {"victory_law": "octic"}, {"victory_law": "binary"},
    {"pce": "markov-uniform"}, {"pce": "markov-incentive"},
    {"risk_range": "min"}, {"risk_range": "max"},
    {"risk_adjust": "none"}, {"risk_adjust": "half"}, {"risk_adjust": "full"},
    {"third_party_commit": "full"}, {"third_party_commit": "none"},
    {"bargain_interpolation": "s1p1"}, {"bargain_interpolation": "s2pmax"},
    {"bargain_model": "init-rcvr"}, {"bargain_model": "pw-comp"},
    {"bargain_model": "init-rcvr", "fix_ktab_quirks": True},
    {"bargain_model": "pw-comp", "fix_ktab_quirks": True},
])
def test_every_option_runs_and_keeps_positions_on_the_scale(change):
    cap, pos, sal = _case(8, 7, 2)
    run = smp.run_smp(cap, pos, sal, smp.SMPOptions(rounds=15, **change))
    assert 1 <= run.turns <= 15
    assert run.positions.min() >= 0.0 and run.positions.max() <= 100.0
    assert run.outcome_prob.sum() == pytest.approx(1.0, abs=1e-9)


def test_options_change_the_dynamics():
    """A non-default option must reach the kernel: the first turn's bargains differ."""
    cap, pos, sal = _case(8, 7, 2)
    base = smp.run_smp(cap, pos, sal, smp.SMPOptions(rounds=3))
    other = smp.run_smp(cap, pos, sal, smp.SMPOptions(rounds=3, bargain_interpolation="s1p1"))
    assert not np.array_equal(base.positions, other.positions)
