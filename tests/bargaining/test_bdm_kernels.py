"""BDM kernels checked against independent algorithms.

- P_ij by sorted prefix sums (used for n > DENSE_MAX_ACTORS) against the direct O(n³) sum of
  spec §4b / eq. 30–31 (a different algorithm on the same definition);
- the median voter (weighted-median shortcut) against Scholz's champion procedure written
  out as in spec §3 (ascending candidates, strict wins replace the champion);
- the Q < 1 branch of E(U) against a hand computation of eqs. 6–7 and 22–23 for one dyad.
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.bargaining import _kernels as K


def _inputs(seed: int, B: int, n: int, integer: bool):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 8, (B, n)).astype(float) if integer else rng.uniform(0, 100, (B, n))
    w = rng.uniform(0.0, 2.0, (B, n))
    R = np.ptp(x, axis=1)
    R[R == 0] = 1.0
    rho = rng.uniform(0.5, 2.0, (B, n))
    return x, w, R, rho


@pytest.mark.parametrize("n", [13, 30, 64])
@pytest.mark.parametrize("integer", [False, True])
@pytest.mark.parametrize("form", ["scholz", "paper"])
def test_sorted_probabilities_equal_direct_sum(n, integer, form):
    x, w, R, rho = _inputs(n, 3, n, integer)
    for r in (None, rho):
        fast = K.success_probability(x, w, R, r, form)
        direct = K.success_probability_dense(x, w, R, r, form)
        np.testing.assert_allclose(fast, direct, rtol=0, atol=1e-10)


def _champion(x: np.ndarray, w: np.ndarray) -> float:
    """Spec §3, literally: candidates ascending, V(p, champion) > 0 replaces the champion."""
    candidates = sorted(set(x.tolist()))
    champion = candidates[0]
    for p in candidates[1:]:
        vote = sum(wk * (abs(xk - champion) - abs(xk - p)) for xk, wk in zip(x, w, strict=True))
        if vote > 0:
            champion = p
    return champion


@pytest.mark.parametrize("seed", range(6))
def test_median_voter_is_the_champion_procedure(seed):
    x, w, _, _ = _inputs(seed, 20, 9, integer=seed % 2 == 0)
    got = K.median_voter(x, w)
    expected = [_champion(x[b], w[b]) for b in range(x.shape[0])]
    np.testing.assert_array_equal(got, expected)


def test_q_below_one_branch_by_hand():
    """Two actors, x = (0, 1), R = 1, μ = 1 (actor 1 carries all the vote weight), Q = 0.5.

    For challenger 0 against target 1: d = 1, |x_0 − μ| = 1 = |x_0 − x_1| so T = 0 (not <),
    dμ = (1 + 1)/1 = 2. With r = 1: U_s = 2, U_f = −2, U_sq = 0, U_w = 2 − 4(0.5 + 0.5) = −2.
    E = s_1 [P·2 − (1 − P)·2] + (1 − s_1)·2 − 0.5·0 − 0.5·U_w = s_1 (4P − 2) + 2 − 2 s_1 + 1.
    """
    x = np.array([[0.0, 1.0]])
    s = np.array([[0.5, 0.4]])
    P = np.array([[[0.0, 0.3], [0.7, 0.0]]])
    eu = K.expected_utility(x, s, P, np.array([1.0]), np.array([1.0]), 1.0, 0.5, None)
    s1, p = 0.4, 0.3
    assert eu[0, 0, 1] == pytest.approx(s1 * (4 * p - 2) + 2 - 2 * s1 + 1.0, abs=1e-12)
    # With T fixed to 1 the no-challenge branch uses U_b = 2 − 4(0.5 − 0.5) = 2 instead.
    eu_t1 = K.expected_utility(x, s, P, np.array([1.0]), np.array([1.0]), 1.0, 0.5, 1.0)
    assert eu_t1[0, 0, 1] == pytest.approx(s1 * (4 * p - 2) + 2 - 2 * s1 - 1.0, abs=1e-12)


def test_receiver_view_equals_expected_utility_twice():
    """The Q = 1 fast path (shared U_s, U_f; eq. 6 rearranged) against the generic eqs. 6–7:
    a[i, j] = E(U_ij) with r_i, and b[i, j] = E(U_ji) with r_i = M[j, i] where M uses the
    target's exponent."""
    rng = np.random.default_rng(8)
    B, n = 4, 9
    x = rng.uniform(0, 100, (B, n))
    s = rng.uniform(0, 1, (B, n))
    P = rng.uniform(0, 0.05, (B, n, n))
    r = rng.uniform(0.5, 2.0, (B, n))
    R = np.ptp(x, axis=1)
    mu = np.median(x, axis=1)
    a, b = K.receiver_view(x, s, P, R, r)
    a_ref = K.expected_utility(x, s, P, mu, R, r[:, :, None], 1.0, None)
    b_ref = K.expected_utility(x, s, P, mu, R, r[:, None, :], 1.0, None).transpose(0, 2, 1)
    np.testing.assert_allclose(a, a_ref, rtol=0, atol=1e-13)
    np.testing.assert_allclose(b, b_ref, rtol=0, atol=1e-13)


@pytest.mark.parametrize("seed", range(4))
def test_fixed_point_carry_forward_is_exact(seed):
    """Draws whose positions stop changing are carried forward, not recomputed, when offers are
    not recorded; recording offers computes every round. Both must give identical histories."""
    from detente.bargaining.bdm import run_bdm

    x, w, _, _ = _inputs(seed, 12, 7, integer=True)
    c = w + 0.1
    s = np.random.default_rng(seed).uniform(0.1, 1.0, x.shape)
    fast = run_bdm(c, x, s)
    full = run_bdm(c, x, s, record_offers=True)
    for field in ("positions", "median", "mean", "r", "security"):
        np.testing.assert_array_equal(getattr(fast, field), getattr(full, field))


def test_median_voter_equals_the_direct_search_of_spec_3():
    """The sorted weighted median and spec §3's all-pairs search agree on random cases with
    ties in positions and weights (the search is the independent reference)."""
    rng = np.random.default_rng(0)
    for _ in range(3000):
        n = int(rng.integers(2, 9))
        x = np.round(rng.uniform(0, 100, (4, n)), int(rng.integers(0, 3)))
        if rng.random() < 0.3:
            x = np.round(x / 10) * 10
        w = np.round(rng.uniform(0, 1, (4, n)), 2)
        np.testing.assert_array_equal(K.median_voter(x, w), K.median_voter_search(x, w))
