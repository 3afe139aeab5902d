"""The bridge rules against hand computations (expected numbers derived in the comments)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.errors import OptionsError
from detente.policy.bridge import (
    BridgeSettings,
    polarisation,
    scenario_index,
    shift_entry_into_dialogue,
    status_quo_unsc_rate,
    talks_log_odds_shift,
    unsc_rate_under_policy,
)


def test_b1_shift_is_beta_times_talks_difference_over_50():
    # 1.5 × (80 − 30) / 50 = 1.5 ; 1.5 × (30 − 30) / 50 = 0 ; 1.5 × (20 − 45) / 50 = −0.75
    got = talks_log_odds_shift(np.array([80.0, 30.0, 20.0]), np.array([30.0, 30.0, 45.0]), 1.5)
    assert got == pytest.approx([1.5, 0.0, -0.75])


def test_b1_transition_shift_by_hand():
    # Row "stalemate" = [D 0.1, S 0.6, C 0.3]. logit(0.1) = −ln 9; adding ln 9 gives logit 0,
    # so P(S→D) = 0.5, and the other entries keep their 2:1 proportion in the remaining 0.5.
    # Codes: dialogue 0, stalemate 1, crisis 2.
    t = np.array([[[0.8, 0.15, 0.05], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]]])
    out = shift_entry_into_dialogue(t, np.array([math.log(9.0)]))
    assert out[0, 1] == pytest.approx([0.5, 1 / 3, 1 / 6])
    # crisis row: logit(0.2) + ln 9 = ln(0.25 · 9) → p = 2.25 / 3.25
    p = 2.25 / 3.25
    assert out[0, 2] == pytest.approx([p, (1 - p) * 0.25, (1 - p) * 0.75])
    assert out[0, 0] == pytest.approx(t[0, 0])  # the dialogue row is not B1's business
    assert out.sum(axis=-1) == pytest.approx(1.0)


def test_b1_zero_shift_is_bit_identical():
    rng = np.random.default_rng(0)
    t = rng.dirichlet([1, 1, 1], size=(5, 3))
    out = shift_entry_into_dialogue(t, np.zeros(5))
    assert np.array_equal(out, t)


def test_b2_base_rate_and_policy_rate_by_hand():
    # 0 resolutions in 69 months: (0 + 1/2) / (69 + 1) = 1/140
    assert status_quo_unsc_rate(np.zeros(69)) == pytest.approx(1 / 140)
    # 6 in 120 months: 6.5 / 121
    assert status_quo_unsc_rate(np.r_[np.ones(6), np.zeros(114)]) == pytest.approx(6.5 / 121)
    s = BridgeSettings(beta_sanctions=1.0, gamma_pressure=0.5)
    # median paired shift 50 → exp(1.0 · 50/50) ; pressure 1.0 vs 0.4 → exp(0.5 · 0.6)
    rate = unsc_rate_under_policy(0.01, np.array([90.0, 100.0, 95.0]),
                                  np.array([40.0, 50.0, 45.0]), 1.0, 0.4, s)
    assert rate == pytest.approx(0.01 * math.exp(1.0 + 0.3))
    assert unsc_rate_under_policy(0.01, np.ones(3), np.ones(3), 0.4, 0.4, s) == 0.01


def test_index_components_by_hand():
    # Two actors, equal weights, at 0 and 100: weighted sd = 50 → polarisation 1.
    assert polarisation(np.array([1.0, 1.0]), np.array([50.0, 50.0]),
                        np.array([0.0, 100.0])) == pytest.approx(1.0)
    # Equal launches → 0.5; weights 1/4 each: 100 × (0.5 + 0.2 + 0.1 + 0.4) / 4 = 30
    value, comp = scenario_index(10.0, 10.0, 0.2, 0.1, 0.4, BridgeSettings())
    assert comp["launches"] == 0.5
    assert value == pytest.approx(30.0)
    # Only the nuclear weight: the index is 100 × P(nuclear)
    only = BridgeSettings(weight_launches=0, weight_crisis=0, weight_polarisation=0)
    assert scenario_index(3.0, 1.0, 0.37, 0.9, 0.9, only)[0] == pytest.approx(37.0)


def test_settings_out_of_range_name_the_field():
    with pytest.raises(OptionsError) as info:
        BridgeSettings(beta_talks=7.0)
    assert "bridge.beta_talks" in info.value.format()
    with pytest.raises(OptionsError):
        BridgeSettings(unsc_base_since="2031-01")
    with pytest.raises(OptionsError):
        BridgeSettings(weight_launches=0, weight_nuclear=0, weight_crisis=0,
                       weight_polarisation=0)
    rows = BridgeSettings.table()
    assert {r["rule"] for r in rows} == {"B1", "B2", "I"}
    assert all(r["reason"] for r in rows)
