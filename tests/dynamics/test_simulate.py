"""Simulation: same seed same paths, levers act through their named parameters only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.dynamics import EndState, Posterior, simulate
from detente.dynamics.simulate import synthetic_panel
from detente.errors import OptionsError

from .conftest import TRUTH


def _posterior(regime: int = 1, **overrides) -> Posterior:
    params = {**TRUTH, **overrides}
    samples = {k: np.asarray(v, dtype=float)[None, ...] for k, v in params.items()}
    state = EndState(last_month="2023-09", launch_events=np.array([0, 2, 1, 3]), regime=regime,
                     unsc_resolution=0, leader="Kim Jong Un", unsc_resolution_rate=0.05)
    return Posterior(samples=samples, variant="full", method="truth", first_month="2023-06",
                     until="2023-09", state=state, diagnostics=pd.DataFrame())


def test_same_seed_same_trajectories_and_another_seed_differs():
    post = _posterior()
    a = simulate(post, months=36, draws=500, seed=7)
    b = simulate(post, months=36, draws=500, seed=7)
    c = simulate(post, months=36, draws=500, seed=8)
    for name in ("launch_events", "missiles", "nuclear_test", "regime", "launch_rate"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.launch_events, c.launch_events)
    assert a.launch_events.shape == (500, 36)
    assert str(a.months[0]) == "2023-10"
    assert (a.missiles >= a.launch_events).all()
    # launch events are distinct launch days: never more than the month has days
    assert (a.launch_events <= np.array([m.days_in_month for m in a.months])).all()


def test_dialogue_rate_ratio_lever_scales_the_rate_as_derived_by_hand():
    """No memory (κ = 0), no season, no UNSC: in permanent dialogue the mean launch events per
    month are exp(α + γ_KJU) · ratio (hand derivation from the model equation)."""
    post = _posterior(self_excitation=0.0, season_cos=0.0, season_sin=0.0,
                      concentration=50.0)
    levers = {"p_enter_dialogue": 1.0, "p_leave_dialogue": 0.0, "dialogue_rate_ratio": 2.0,
              "unsc_resolution_rate": 0.0}
    traj = simulate(post, months=24, draws=4000, levers=levers, seed=1)
    assert (traj.regime == 0).all()
    expected = np.exp(TRUTH["log_base_rate"] + TRUTH["leader_kim_jong_un"]) * 2.0
    assert traj.launch_rate == pytest.approx(expected)
    # the sample mean is within 4 standard errors of the hand value
    se = np.sqrt(expected + expected**2 / 50.0) / np.sqrt(traj.launch_events.size)
    assert abs(traj.launch_events.mean() - expected) < 4 * se


def test_common_random_numbers_pair_paths_month_by_month():
    """Issue 12 (paired differences are the right test under common random numbers): a lever
    that acts only in dialogue months must leave every path's launches unchanged until its
    first dialogue month, and a path that never enters dialogue unchanged throughout. The
    expectation is the model equation: before dialogue the rate does not read the lever."""
    post = _posterior(regime=1)
    levers = {"p_enter_dialogue": 0.05, "unsc_resolution_rate": 0.0}
    a = simulate(post, months=36, draws=400, levers={**levers, "dialogue_rate_ratio": 1.0},
                 seed=11)
    b = simulate(post, months=36, draws=400, levers={**levers, "dialogue_rate_ratio": 0.3},
                 seed=11)
    np.testing.assert_array_equal(a.regime, b.regime)  # the chain does not read the rate
    in_dialogue = a.regime == 0
    never = ~in_dialogue.any(axis=1)
    assert never.any() and (~never).any()
    np.testing.assert_array_equal(a.launch_events[never], b.launch_events[never])
    np.testing.assert_array_equal(a.missiles[never], b.missiles[never])
    first = np.argmax(in_dialogue, axis=1)
    for path in np.flatnonzero(~never):
        np.testing.assert_array_equal(a.launch_events[path, :first[path]],
                                      b.launch_events[path, :first[path]])
    # and the lever does act: fewer launches in dialogue months at a ratio of 0.3
    assert b.launch_events[in_dialogue].sum() < a.launch_events[in_dialogue].sum()


def test_counts_follow_the_negative_binomial_they_invert():
    """The inversion sampler draws NB2(μ, φ): its quantiles equal scipy's nbinom.ppf."""
    from scipy import stats

    from detente.dynamics.simulate import nb_quantile

    rng = np.random.default_rng(5)
    u = rng.random(20_000)
    mean, conc = rng.gamma(1.0, 2.0, 20_000), rng.uniform(0.2, 5.0, 20_000)
    expected = stats.nbinom.ppf(u, conc, conc / (conc + mean))
    np.testing.assert_array_equal(nb_quantile(u, mean, conc, cap=10**6), expected)
    assert nb_quantile(u, mean, conc, cap=3).max() == 3


def test_nuclear_probability_in_dialogue_by_hand():
    """ν₀ = logit(0.1), ν_D = 0, always in dialogue: P(test within 12 months) = 1 − 0.9¹²."""
    post = _posterior(nuclear_logit_base=float(np.log(0.1 / 0.9)), nuclear_log_odds_dialogue=0.0)
    traj = simulate(post, months=12, draws=100,
                    levers={"p_enter_dialogue": 1.0, "p_leave_dialogue": 0.0}, seed=0)
    assert traj.p_nuclear_within(12) == pytest.approx(1 - 0.9**12)


def test_p_enter_dialogue_zero_keeps_the_chain_out_of_dialogue():
    post = _posterior(regime=1)
    traj = simulate(post, months=60, draws=300, levers={"p_enter_dialogue": 0.0}, seed=3)
    assert not (traj.regime == 0).any()


def test_bad_levers_and_start_are_named():
    post = _posterior()
    with pytest.raises(OptionsError) as err:
        simulate(post, levers={"talks": 1.0})
    assert err.value.problems[0].path == "levers.talks"
    with pytest.raises(OptionsError) as err:
        simulate(post, levers={"p_enter_dialogue": 1.5})
    assert "0 to 1" in err.value.problems[0].allowed
    with pytest.raises(OptionsError, match="inside the training window"):
        simulate(post, start="2023-05")
    later = simulate(post, start="2024-01", months=3, draws=10)
    assert [str(m) for m in later.months] == ["2024-01", "2024-02", "2024-03"]


def test_synthetic_panel_is_reproducible_and_in_panel_format():
    a = synthetic_panel(TRUTH, seed=4)
    b = synthetic_panel(TRUTH, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 504 and str(a.index[0]) == "1984-01" and str(a.index[-1]) == "2025-12"
    assert set(a["regime"]) <= {"dialogue", "stalemate", "crisis"}
