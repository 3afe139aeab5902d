"""SMP kernels against hand computations and a literal, loop-by-loop reading of the spec.

``_naive_turn`` below is a second implementation of one SMP turn written directly from
``reference/bargaining/smp/SPEC.md`` §2–§6 with plain Python floats and loops (no arrays, no
blocking, no shortcuts such as computing tensor slices on demand). The vectorised engine must
give the same numbers bit for bit, since both follow the spec's evaluation order. Other tests
use small cases worked by hand; each says where its numbers come from.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.bargaining import _smp_kernels as K


# ----------------------------------------------------------------------------- naive reference
def _naive_pce(w, u):
    """SPEC §3 with loops: u[v][m], weights w[v] -> π[m]."""
    k = len(u[0])
    c = [[1e-8] * k for _ in range(k)]
    for m in range(k):
        for mp in range(m):
            for v in range(len(w)):
                q = w[v] * (u[v][m] - u[v][mp])
                if q > 0:
                    c[m][mp] += q
                if q < 0:
                    c[mp][m] -= q
    p = [[0.5 if m == mp else c[m][mp] / (c[m][mp] + c[mp][m]) for mp in range(k)]
         for m in range(k)]
    g = []
    for m in range(k):
        prod = 1.0
        for mp in range(k):
            prod *= p[m][mp]
        g.append(prod)
    z = 0.0
    for x in g:
        z += x
    return [x / z for x in g]


def _naive_turn(c, x, s):
    """One turn of SPEC §4–§6 (defaults), lists of floats on [0, 1]. Returns new positions."""
    n, m = len(x), len(x[0])

    def dist(a, p):
        q = 0.0
        ss = 0.0
        for k in range(m):
            t = (x[a][k] - p[k]) * s[a][k]
            q += t * t
            ss += s[a][k] * s[a][k]
        return math.sqrt(q / ss)

    def util(d, r):
        return (1.0 - d) * (1.0 + d * r)

    d = [[dist(i, x[j]) for j in range(n)] for i in range(n)]
    pi = _naive_pce(c, [[util(d[v][mm], 0.0) for mm in range(n)] for v in range(n)])
    lo, hi = min(pi), max(pi)
    r = [(3.0 * p - (hi + 2.0 * lo)) / (2.0 * (hi - lo)) for p in pi]

    def a_(h, i, j):  # A^h(i, j)
        return util(d[i][j], ((2.0 * r[h]) + r[i]) / 3.0)

    sigma = []
    for a in range(n):
        tot = 0.0
        for k in range(m):
            tot += s[a][k]
        sigma.append(tot)

    def challenge(i, j):  # E(i, i, i, j)
        h = i
        t_ij, t_ji = 1e-10, 1e-10
        for e in (sigma[i] * c[i] * (a_(h, i, i) - a_(h, i, j)),
                  sigma[j] * c[j] * (a_(h, j, i) - a_(h, j, j))):
            if e > 0:
                t_ij += e
            if e < 0:
                t_ji -= e
        b_i, b_j = t_ij, t_ji
        for k in range(n):
            if k in (i, j):
                continue
            w = sigma[k] * c[k]
            av, bv, zv = a_(h, k, i), a_(h, k, j), a_(h, k, k)
            e = w * (av - bv)
            l_i = b_i + e if e > 0 else b_i
            l_j = b_j - e if e < 0 else b_j
            rho = l_i / (l_i + l_j)
            rho_c = 1.0 - rho
            y = rho * ((av + av) + zv) + rho_c * ((bv + bv) + bv)
            xx = rho * ((av + av) + av) + rho_c * ((bv + bv) + zv)
            t = w * (y - xx)
            if t > 0:
                t_ij += t
            if t < 0:
                t_ji -= t
        p = t_ij / (t_ij + t_ji)
        pc = t_ji / (t_ij + t_ji)
        u_sq = a_(h, i, i) + a_(h, i, j)
        u_win = a_(h, i, i) + a_(h, i, i)
        u_lose = a_(h, i, j) + a_(h, i, j)
        u_chlg = (1.0 - sigma[j]) * u_win + sigma[j] * (p * u_win + pc * u_lose)
        return p, u_chlg - u_sq

    def round4(v):
        return math.trunc(0.5 + v * 10000.0) / 10000.0

    bargains = []
    for i in range(n):
        best, target, p_best = -1.0, -1, 0.0
        for j in range(n):
            if j == i:
                continue
            p, gain = challenge(i, j)
            if gain > 1e-5 and gain > best:
                best, target, p_best = gain, j, p
        if target < 0:
            continue
        j = target
        pi_, pj_ = p_best, 1.0 - p_best
        y_i, y_j = [], []
        for k in range(m):
            wi = (s[i][k] * s[i][k]) * (pi_ * pi_)
            wj = (s[j][k] * s[j][k]) * (pj_ * pj_)
            den = (wi + 1e-6) + wj
            y_i.append(round4(((wi + 1e-6) * x[i][k] + wj * x[j][k]) / den))
            y_j.append(round4((wi * x[i][k] + (1e-6 + wj) * x[j][k]) / den))
        bargains.append((i, j, y_i, y_j))

    def value(a, option):
        if option is None:
            tot = 0.0
            for k in range(n):
                tot += a_(a, a, k)
            return tot / n
        bi, bj, y_i, y_j = option
        tot = 0.0 + util(dist(a, y_i), r[a])
        tot += util(dist(a, y_j), r[a])
        for k in range(n):
            if k not in (bi, bj):
                tot += a_(a, a, k)
        return tot / n

    new = [list(row) for row in x]
    for k in range(n):
        queue = [None] + [b for b in bargains if k in (b[0], b[1])]
        probs = _naive_pce(c, [[value(a, o) for o in queue] for a in range(n)])
        best = 0
        for q in range(1, len(queue)):
            if probs[q] > probs[best]:
                best = q
        if best:
            bi, _, y_i, y_j = queue[best]
            new[k] = list(y_i if bi == k else y_j)
    return new


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_first_turn_equals_a_literal_reading_of_the_spec(seed):
    rng = np.random.default_rng(seed)
    n, m = 7, 2
    c = rng.uniform(5, 100, n)
    x = np.round(rng.uniform(0, 1, (n, m)), 4)
    s = rng.uniform(0.05, 0.45, (n, m))
    trace = K.simulate(c, x, s, max_turns=2)
    expected = _naive_turn(c.tolist(), x.tolist(), s.tolist())
    assert not np.array_equal(np.array(expected), x)  # the turn moves someone
    np.testing.assert_array_equal(trace.positions[1], np.array(expected))


# ----------------------------------------------------------------------------- hand computations
def test_pce_on_three_options_by_hand():
    """Two voters (weights 1, 2), utilities u = [[1, 0, .5], [0, 1, .5]].

    Coalitions (SPEC §3): C(1,0) = 2·1 = 2, C(0,1) = 1; C(2,0) = 2·.5 = 1, C(0,2) = .5;
    C(2,1) = .5, C(1,2) = 1 (all + 1e-8). P(1,0) = 2/3, P(2,0) = 2/3, P(1,2) = 2/3.
    g0 = .5·(1/3)·(1/3) = 1/18; g1 = (2/3)·.5·(2/3) = 2/9; g2 = (2/3)·(1/3)·.5 = 1/9.
    Σ = 7/18, so π = (1/7, 4/7, 2/7) up to the 1e-8 floors.
    """
    pi = K.scalar_pce(np.array([1.0, 2.0]), np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]]),
                      "proportional", "linear", "conditional")
    np.testing.assert_allclose(pi, [1 / 7, 4 / 7, 2 / 7], atol=1e-7)


def test_risk_attitudes_by_hand():
    """BigRRange=Mid maps the least likely actor to −0.5 and the most likely to +1 (SPEC §4).

    π = (.2, .3, .5): R = (3π − (.5 + .4)) / (2·.3) = (−.5, 0, 1).
    """
    np.testing.assert_allclose(K.risk_attitudes(np.array([0.2, 0.3, 0.5]), "mid"),
                               [-0.5, 0.0, 1.0], atol=1e-15)
    est = K.estimated_risk(np.array([-0.5, 0.0, 1.0]), "one-third")
    assert est[2, 0] == pytest.approx((2 * 1.0 - 0.5) / 3)  # h = 2 estimating i = 0


def test_bargain_s2p2_by_hand():
    """t_I = .2, t_J = .8, saliences .5, P_I = .75 (SPEC §6.2).

    W_I = .25·.5625 = .140625, W_J = .25·.0625 = .015625; y_I = (.140626·.2 + .015625·.8) /
    .156251 = .2600004… → .26; y_J = (.140625·.2 + .015626·.8)/.156251 = .2600035… → .26.
    """
    y_i, y_j = K.interpolate_bargain(np.array([[0.2]]), np.array([[0.8]]), np.array([[0.5]]),
                                     np.array([[0.5]]), np.array([0.75]), "s2p2")
    assert y_i[0, 0] == pytest.approx(0.26, abs=1e-15)
    assert y_j[0, 0] == pytest.approx(0.26, abs=1e-15)


def test_round4_is_ktab_half_up_grid():
    """round4(v) = trunc(0.5 + 10000 v)/10000 (SPEC §6.2): .12346 → .1235, .99996 → 1."""
    np.testing.assert_array_equal(K.round4(np.array([0.12346, 0.12344, 0.99996, 0.0])),
                                  [0.1235, 0.1234, 1.0, 0.0])


def test_distance_and_utility_by_hand():
    """Ideal (0, 0), saliences (.6, .8), point (.5, 1): Q = .09 + .64 = .73, S = 1, d = √.73.

    U(d, R) = (1 − d)(1 + dR) (SPEC §2).
    """
    d = K.weighted_distance(np.array([[0.0, 0.0]]), np.array([[0.5, 1.0]]),
                            np.array([[0.6, 0.8]]))
    assert d[0, 0] == pytest.approx(math.sqrt(0.73), abs=1e-15)
    assert K.risk_utility(np.array(0.5), 1.0) == pytest.approx(0.75)
    assert K.risk_utility(np.array(0.5), -0.5) == pytest.approx(0.375)


def test_equivalence_classes_greedy_first_representative():
    """SPEC §7: on a line with points 0, .0008, .0016 (gap .0008 < 1e-3), the greedy rule puts
    .0016 in a class of its own (it is 1.6e-3 from the representative 0), while actor 1 is
    within 1e-3 of both representatives and reports the last one (SPEC §10.2)."""
    reps, cls = K.unique_positions(np.array([[0.0], [0.0008], [0.0016]]))
    np.testing.assert_array_equal(reps, [0, 2])
    np.testing.assert_array_equal(cls, [0, 1, 1])


def test_blocked_challenge_sweep_equals_per_pair_evaluation():
    """The all-pairs kernel (blocked over third parties) and the per-tuple kernel (gathers,
    one loop per third party) implement SPEC §5 separately; E(i, i, i, j) must agree exactly."""
    rng = np.random.default_rng(4)
    n, m = 9, 3
    c = rng.uniform(1, 50, n)
    x = rng.uniform(0, 1, (n, m))
    s = rng.uniform(0.05, 0.3, (n, m))
    sigma = np.add.accumulate(s, axis=1)[:, -1]
    terms = K.state_terms(x, x, s, c, "proportional", "linear", "conditional", "mid",
                          "one-third")
    old = K._CHALLENGE_BLOCK_CELLS
    try:
        K._CHALLENGE_BLOCK_CELLS = 2 * n * n  # force several blocks
        p_all, gain_all = K.assess_all_challenges(terms, sigma, c, "proportional", "semi")
    finally:
        K._CHALLENGE_BLOCK_CELLS = old
    i, j = np.nonzero(~np.eye(n, dtype=bool))
    p_one, gain_one = K.assess_challenges(terms, sigma, c, "proportional", "semi", h=i, k=i,
                                          i=i, j=j)
    np.testing.assert_array_equal(p_all[i, j], p_one)
    np.testing.assert_array_equal(gain_all[i, j], gain_one)


def test_coalition_votes_do_not_depend_on_chunking():
    """Chunks of voters are summed left to right, so any chunk size gives the same bits."""
    rng = np.random.default_rng(5)
    u = rng.uniform(size=(40, 70))
    w = rng.uniform(1, 9, 40)
    old = K._VOTE_CHUNK_CELLS
    try:
        K._VOTE_CHUNK_CELLS = 10**9
        whole = K.coalition_strengths(w, u, "proportional")
        K._VOTE_CHUNK_CELLS = 3 * 70 * 70  # three voters per chunk
        chunked = K.coalition_strengths(w, u, "proportional")
    finally:
        K._VOTE_CHUNK_CELLS = old
    np.testing.assert_array_equal(whole, chunked)


@pytest.mark.parametrize("shape, axis", [((37, 1), 0), ((50, 2), 0), ((5, 29, 3), 1),
                                         ((300, 40), 0), ((4, 7, 1), 1), ((11,), 0),
                                         ((6, 3, 3), -1), ((2, 40_000), 0)])
def test_sequential_reduce_equals_a_python_loop(shape, axis):
    """The spec's sequential sums and products (SPEC §0, §11) against an explicit loop, on
    numbers spanning 16 orders of magnitude (where pairwise summation would differ)."""
    rng = np.random.default_rng(sum(shape))
    a = rng.standard_normal(shape) * 10.0 ** rng.uniform(-8, 8, shape)
    moved = np.moveaxis(a, axis, 0)
    start = rng.standard_normal(moved.shape[1:])
    total = start.copy()
    prod = np.ones(moved.shape[1:])
    for row in moved:
        total = total + row
        prod = prod * (1.0 + 1e-3 * np.tanh(row))
    np.testing.assert_array_equal(K.sequential_reduce(np.add, a, axis, initial=start), total)
    np.testing.assert_array_equal(
        K.sequential_reduce(np.multiply, 1.0 + 1e-3 * np.tanh(a), axis), prod)


@pytest.mark.parametrize("n, m, options", [
    (5, 2, {}), (8, 3, {}), (12, 1, {}), (6, 6, {}),
    (7, 2, {"rule": "asym-prospect", "law": "square", "commit": "full", "scheme": "s1p1",
            "big_r_adjust": "half"}),
    (6, 2, {"max_turns": 3}),
])
def test_lockstep_draws_equal_one_run_per_draw(n, m, options):
    """Monte Carlo draws run in lockstep must give each draw's own run bit for bit: same number
    of turns, same final positions, same final win probabilities per unique position."""
    rng = np.random.default_rng(n * 10 + m)
    b = 25
    c = rng.uniform(1, 100, (b, n))
    x = np.round(rng.uniform(0, 1, (b, n, m)), 4)
    s = rng.uniform(0.05, 0.9 / m, (b, n, m))
    final, class_prob, turns = K.simulate_batch(c, x, s, **options)
    for d in range(b):
        trace = K.simulate(c[d], x[d], s[d], **options)
        assert turns[d] == trace.positions.shape[0] - 1
        np.testing.assert_array_equal(final[d], trace.positions[-1])
        reps, prob = trace.classes[-1]
        np.testing.assert_array_equal(class_prob[d, reps], prob)
        assert np.count_nonzero(class_prob[d]) <= reps.size
