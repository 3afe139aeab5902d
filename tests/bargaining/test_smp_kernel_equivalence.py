"""The optimised SMP kernels give the previous implementation's numbers exactly (issue 16).

Where the expected numbers come from: the ``_reference_*`` functions below are the kernels as
they stood before the issue-16 speed work (détente commit a4a74fe, ``_smp_kernels.py``), kept
here verbatim apart from names, and used only by this file. That implementation reproduced
KTAB ``smpc`` on KTAB's six shipped cases (tests/bargaining/test_smp_reference.py, against
KTAB's own output in tests/reference/bargaining/smp/expected/). The optimised kernels
reorganise the work (per-turn tables, tiles, reused buffers, threads, row updates, and from
``K._JIT_MIN_ACTORS`` actors compiled loops, ``detente.bargaining._smp_jit``) but must not
change a single bit, so every comparison here is ``np.array_equal``, never a tolerance. Tests
that patch ``_JIT_MIN_ACTORS`` to 3 run the compiled loops on every size; 10**6 keeps NumPy.

The inputs are random states of several sizes (seeded), with positions rounded to KTAB's 1e-4
bargain grid and some actors sharing positions, as in later turns of a real run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.bargaining import _smp_kernels as K


# ----------------------------------------------------------------------- previous implementation
def _reference_assess_all_challenges(terms, sigma, c, rule, commit):
    """``assess_all_challenges`` before issue 16: (n, N, N) slabs, one per third party."""
    n_actors = c.shape[0]
    idx = np.arange(n_actors)
    ii, jj = idx[:, None], idx[None, :]
    weight = sigma * c
    own = terms.own()
    a_ii = own[idx, idx]
    a_ji = terms.utility(ii, jj, ii)
    a_jj = terms.utility(ii, jj, jj)
    e_i = K.vote(weight[:, None], a_ii[:, None], own, rule)
    e_j = K.vote(weight[None, :], a_ji, a_jj, rule)
    t_ij = np.full((n_actors, n_actors), K.PRINCIPAL_FLOOR)
    t_ji = np.full((n_actors, n_actors), K.PRINCIPAL_FLOOR)
    for e in (e_i, e_j):
        t_ij += np.maximum(e, 0.0)
        t_ji += np.maximum(-e, 0.0)
    b_i = t_ij.copy()
    b_j = t_ji.copy()
    one_minus_d = 1.0 - terms.distance
    risk_t = terms.risk_est.T
    block = max(1, (1 << 15) // (n_actors * n_actors))
    bufs = np.empty((10, min(block, n_actors), n_actors, n_actors))
    proportional = rule == "proportional"
    for first in range(0, n_actors, block):
        ns = np.arange(first, min(n_actors, first + block))
        nb = ns.size
        slab, e, tmp, l_i, l_j, rho, rho_c, two_b, g2, g4 = (buf[:nb] for buf in bufs)
        np.multiply(terms.distance[ns][:, None, :], risk_t[ns][:, :, None], out=slab)
        slab += 1.0
        slab *= one_minus_d[ns][:, None, :]
        a = slab[:, idx, idx][:, :, None]
        b = slab
        z = slab[np.arange(nb), :, ns][:, :, None]
        w_n = weight[ns][:, None, None]
        if proportional:
            np.subtract(a, b, out=e)
            e *= w_n
        else:
            e[...] = K.vote(w_n, a, b, rule)
        np.maximum(e, 0.0, out=tmp)
        np.add(b_i, tmp, out=l_i)
        np.minimum(e, 0.0, out=tmp)
        np.subtract(b_j, tmp, out=l_j)
        np.add(l_i, l_j, out=tmp)
        np.divide(l_i, tmp, out=rho)
        np.subtract(1.0, rho, out=rho_c)
        two_a = a + a
        g1 = two_a + (a if commit == "full" else z)
        g3 = two_a + (z if commit == "none" else a)
        np.add(b, b, out=two_b)
        np.add(two_b, z if commit == "none" else b, out=g2)
        np.add(two_b, b if commit == "full" else z, out=g4)
        np.multiply(rho_c, g2, out=g2)
        np.multiply(rho, g1, out=tmp)
        np.add(tmp, g2, out=g2)
        np.multiply(rho_c, g4, out=g4)
        np.multiply(rho, g3, out=tmp)
        np.add(tmp, g4, out=g4)
        if proportional:
            np.subtract(g2, g4, out=tmp)
            tmp *= w_n
        else:
            tmp[...] = K.vote(w_n, g2, g4, rule)
        k = np.arange(nb)
        tmp[k, ns, :] = 0.0
        tmp[k, :, ns] = 0.0
        np.maximum(tmp, 0.0, out=e)
        np.minimum(tmp, 0.0, out=tmp)
        for r in range(nb):
            t_ij += e[r]
            t_ji -= tmp[r]
    total = t_ij + t_ji
    p = t_ij / total
    p_c = t_ji / total
    u_sq = a_ii[:, None] + own
    u_win = (a_ii + a_ii)[:, None]
    u_lose = own + own
    u_contest = p * u_win + p_c * u_lose
    u_chlg = (1.0 - sigma[None, :]) * u_win + sigma[None, :] * u_contest
    gain = u_chlg - u_sq
    np.fill_diagonal(p, 0.0)
    np.fill_diagonal(gain, -np.inf)
    return p, gain


def _reference_coalition_strengths(w, u, rule):
    """``coalition_strengths`` before issue 16: every rule through ``vote`` and ``credit``."""
    *batch, n_voters, n_options = u.shape
    if rule != "proportional":
        lower = np.tril(np.ones((n_options, n_options), dtype=bool), -1)
    strength = np.full((*batch, n_options, n_options), K.COALITION_FLOOR)
    cells = max(1, math.prod(batch) * n_options * n_options)

    def credit(q):
        if rule != "proportional":
            q = np.where(lower, q, -np.swapaxes(q, -1, -2))
        return np.maximum(q, 0.0, out=q)

    chunk = max(1, (1 << 18) // cells)
    for start in range(0, n_voters, chunk):
        stop = min(n_voters, start + chunk)
        uc = np.moveaxis(u[..., start:stop, :], -2, 0)
        if w.ndim == 1:
            wc = w[start:stop].reshape((-1,) + (1,) * (len(batch) + 2))
        else:
            wc = np.moveaxis(w[..., start:stop], -1, 0)[..., None, None]
        q = credit(K.vote(wc, uc[..., :, None], uc[..., None, :], rule))
        q[0] += strength
        strength = K.sequential_reduce(np.add, q)
    diag = np.arange(n_options)
    strength[..., diag, diag] = K.COALITION_FLOOR
    return strength


def _reference_bargain_utilities(terms, xi, s, initiator, target, y_i, y_j):
    """``bargain_utilities`` before issue 16: A^a(a, n) times a 0/1 mask, summed in blocks."""
    own = terms.own()
    n_actors = own.shape[0]
    n_bargains = initiator.shape[0]
    if n_bargains == 0:
        return np.zeros((n_actors, 0))
    risk = terms.risk[:, None]
    u_first = K.risk_utility(K.weighted_distance(xi, y_i, s), risk)
    u_second = K.risk_utility(K.weighted_distance(xi, y_j, s), risk)
    total = (0.0 + u_first) + u_second
    keep = ((initiator[None, :] != np.arange(n_actors)[:, None])
            & (target[None, :] != np.arange(n_actors)[:, None])).astype(float)
    block = max(1, (1 << 18) // (n_actors * n_bargains))
    for first in range(0, n_actors, block):
        stop = min(n_actors, first + block)
        term = own.T[first:stop, :, None] * keep[first:stop, None, :]
        term[0] += total
        total = K.sequential_reduce(np.add, term)
    return total / n_actors


def _reference_unique_positions(x):
    """``unique_positions`` before issue 16: each actor scanned against every representative."""
    n_actors, n_dims = x.shape
    sq = np.zeros((n_actors, n_actors))
    for k in range(n_dims):
        diff = x[:, None, k] - x[None, :, k]
        sq += diff * diff
    near = np.sqrt(sq) < K.EQUIVALENCE_TOLERANCE
    near_rows = near.tolist()
    reps: list[int] = []
    for a in range(n_actors):
        row = near_rows[a]
        if not any(row[r] for r in reps):
            reps.append(a)
    rep_arr = np.array(reps, dtype=int)
    near_rep = near[:, rep_arr]
    last = near_rep.shape[1] - 1 - np.argmax(near_rep[:, ::-1], axis=1)
    return rep_arr, last


# ------------------------------------------------------------------------------------ inputs
def _state(n: int, m: int, seed: int, shared: float = 0.25):
    """A seeded state: capabilities, positions on KTAB's 1e-4 grid (a share of the actors on
    another actor's position), saliences with row sums at most 1."""
    rng = np.random.default_rng(seed)
    c = np.round(rng.uniform(0.4, 60.0, n), 2)
    x = np.round(rng.uniform(0.0, 1.0, (n, m)), 4)
    copy = rng.random(n) < shared
    copy[:3] = False                                  # keep a spread of positions
    x[copy] = x[rng.integers(0, 3, copy.sum())]
    s = rng.uniform(0.05, 1.0, (n, m))
    s /= np.maximum(1.0, s.sum(axis=1, keepdims=True) / rng.uniform(0.3, 1.0, (n, 1)))
    return c, x, s


def _terms(c, x, s, rule="proportional", law="linear", adjust="one-third"):
    return K.state_terms(x, x, s, c, rule, law, "conditional", "mid", adjust)


SIZES = [(3, 1), (7, 3), (13, 2), (27, 6), (40, 1), (97, 1), (130, 2)]


# ------------------------------------------------------------------------------------- tests
RULES = [("proportional", "semi"), ("proportional", "full"), ("proportional", "none"),
         ("asym-prospect", "semi"), ("cubic", "semi")]


# every rule on the small sizes; the large ones (the slow reference is O(N³)) on the defaults
@pytest.mark.parametrize("n, m, rule, commit",
                         [(n, m, *rc) for n, m in SIZES if n <= 40 for rc in RULES]
                         + [(n, m, "proportional", "semi") for n, m in SIZES if n > 40])
@pytest.mark.parametrize("jit_from", [3, 10**6])
def test_challenge_sweep_equals_previous_loop(monkeypatch, n, m, rule, commit, jit_from):
    """E(i, i, i, j) for all pairs: the tiled, threaded sweep and the compiled loop (the
    proportional rule; other rules stay in NumPy) against the previous slab loop."""
    monkeypatch.setattr(K, "_JIT_MIN_ACTORS", jit_from)
    c, x, s = _state(n, m, seed=100 * n + m)
    sigma = K.sequential_reduce(np.add, s, axis=1)
    terms = _terms(c, x, s, rule)
    expected = _reference_assess_all_challenges(terms, sigma, c, rule, commit)
    got = K.assess_all_challenges(terms, sigma, c, rule, commit)
    assert np.array_equal(got[0], expected[0])
    assert np.array_equal(got[1], expected[1])


@pytest.mark.parametrize("cells, threads_from, jit_from",
                         [(1, 3, 10**6), (50, 10**6, 10**6), (4 * 9 * 9, 3, 10**6),
                          (10**7, 10**6, 10**6), (1, 3, 3)])
@pytest.mark.parametrize("commit", ["semi", "full", "none"])
def test_challenge_sweep_does_not_depend_on_tiles_or_threads(monkeypatch, cells, threads_from,
                                                             jit_from, commit):
    """Tile sizes from one cell (one initiator row, one third party) to the whole tensor, with
    and without threads, and the compiled loop, give the previous loop's bits on a case that
    needs a non-unit z (every third-party commitment)."""
    monkeypatch.setattr(K, "_JIT_MIN_ACTORS", jit_from)
    c, x, s = _state(9, 3, seed=9)
    sigma = K.sequential_reduce(np.add, s, axis=1)
    xi = np.clip(x + 0.01, 0.0, 1.0)              # ideals off the positions: A^i(n, n) ≠ 1
    terms = K.state_terms(x, xi, s, c, "proportional", "linear", "conditional", "mid",
                          "one-third")
    assert not np.all(terms.distance[np.arange(9), np.arange(9)] == 0.0)
    expected = _reference_assess_all_challenges(terms, sigma, c, "proportional", commit)
    monkeypatch.setattr(K, "_CHALLENGE_BLOCK_CELLS", cells)
    monkeypatch.setattr(K, "_THREAD_MIN_ACTORS", threads_from)
    monkeypatch.setattr(K, "_SWEEP_MAX_THREADS", 2)     # off by default: switch it on here
    got = K.assess_all_challenges(terms, sigma, c, "proportional", commit)
    assert np.array_equal(got[0], expected[0])
    assert np.array_equal(got[1], expected[1])


@pytest.mark.parametrize("n, m", SIZES)
@pytest.mark.parametrize("rule", ["proportional", "binary", "asym-prospect"])
@pytest.mark.parametrize("jit_from", [3, 10**6])
def test_coalition_strengths_equal_previous(monkeypatch, n, m, rule, jit_from):
    """Risk-attitude votes (N voters × N options; proportional ones compiled from jit_from
    voters), votes over fewer options than voters (the win probabilities over unique
    positions), and batched queue votes (G × N × K)."""
    monkeypatch.setattr(K, "_JIT_MIN_ACTORS", jit_from)
    c, x, s = _state(n, m, seed=7 * n + m)
    u0 = 1.0 - K.weighted_distance(x, x, s)
    assert np.array_equal(K.coalition_strengths(c, u0, rule),
                          _reference_coalition_strengths(c, u0, rule))
    few = u0[:, ::3]                                  # not C-ordered, fewer options than voters
    assert np.array_equal(K.coalition_strengths(c, few, rule),
                          _reference_coalition_strengths(c, few, rule))
    rng = np.random.default_rng(n)
    batch = rng.uniform(0.0, 1.0, (5, n, 4))
    assert np.array_equal(K.coalition_strengths(c, batch, rule),
                          _reference_coalition_strengths(c, batch, rule))
    nested = rng.uniform(0.0, 1.0, (2, 3, n, 2))      # two batch axes, queues of one bargain
    assert np.array_equal(K.coalition_strengths(c, nested, rule),
                          _reference_coalition_strengths(c, nested, rule))


@pytest.mark.parametrize("n, m", SIZES)
@pytest.mark.parametrize("jit_from", [3, 10**6])
def test_bargain_utilities_equal_previous(monkeypatch, n, m, jit_from):
    """Bargains with repeated targets (an actor in several bargains) and none at all, in
    NumPy and compiled."""
    monkeypatch.setattr(K, "_JIT_MIN_ACTORS", jit_from)
    c, x, s = _state(n, m, seed=11 * n + m)
    terms = _terms(c, x, s)
    rng = np.random.default_rng(n + m)
    init = np.flatnonzero(rng.random(n) < 0.7)
    tgt = (init + rng.integers(1, n, init.size)) % n
    if init.size:
        tgt[: init.size // 3] = tgt[0]                # one actor targeted several times
    tgt = np.where(tgt == init, (tgt + 1) % n, tgt)
    y_i = np.round(rng.uniform(0, 1, (init.size, m)), 4)
    y_j = np.round(rng.uniform(0, 1, (init.size, m)), 4)
    got = K.bargain_utilities(terms, x, s, init, tgt, y_i, y_j)
    assert np.array_equal(got, _reference_bargain_utilities(terms, x, s, init, tgt, y_i, y_j))
    none = np.zeros(0, dtype=int)
    assert K.bargain_utilities(terms, x, s, none, none, y_i[:0], y_j[:0]).shape == (n, 0)


@pytest.mark.parametrize("n, m", SIZES)
def test_unique_positions_equal_previous(n, m):
    """Representatives and reporting classes, with shared positions and near-duplicates."""
    _, x, _ = _state(n, m, seed=13 * n + m, shared=0.5)
    x[1::5] = np.clip(x[1::5] + 4e-4, 0.0, 1.0)     # within 1e-3 of another actor, not equal
    for got, expected in zip(K.unique_positions(x), _reference_unique_positions(x),
                             strict=True):
        assert np.array_equal(got, expected)


FIELDS = ["positions", "win_prob", "risk", "target", "challenge_p", "challenge_gain",
          "adopted", "adopted_prob", "fractional_change", "status_quo_prob"]


@pytest.mark.parametrize("n, m, options, jit_from", [
    (7, 3, {}, 10**6), (13, 2, {}, 10**6), (26, 1, {}, 10**6), (27, 6, {"max_turns": 8}, 10**6),
    (130, 1, {"max_turns": 3}, 10**6), (130, 1, {"max_turns": 3}, 128),
    (12, 2, {"rule": "asym-prospect", "commit": "none", "big_r_adjust": "half"}, 10**6),
    (10, 2, {"bargain_model": "init-rcvr"}, 10**6),
    (7, 3, {}, 3), (13, 2, {}, 3), (26, 1, {}, 3), (27, 6, {"max_turns": 8}, 3),
    (12, 2, {"commit": "full", "big_r_adjust": "half"}, 3),
    (12, 2, {"commit": "none", "bargain_model": "init-rcvr"}, 3),
])
def test_whole_runs_equal_previous_implementation(monkeypatch, n, m, options, jit_from):
    """A whole run, every recorded field of every turn, with the previous kernels swapped in
    as the reference; with jit_from 3 (and at 130 actors with the default 128) the sweep and
    the risk and win-probability votes run compiled, else in NumPy (130 actors: the threaded
    sweep, threads switched on for the run; on a one-core machine they stay off)."""
    c, x, s = _state(n, m, seed=17 * n + m, shared=0.0)
    with monkeypatch.context() as patch:
        patch.setattr(K, "_SWEEP_MAX_THREADS", 2)        # the threaded paths, where they apply
        patch.setattr(K, "_JIT_MIN_ACTORS", jit_from)
        got = K.simulate(c, x, s, per_estimator=n <= 13, **options)
    with monkeypatch.context() as patch:
        patch.setattr(K, "assess_all_challenges", _reference_assess_all_challenges)
        patch.setattr(K, "coalition_strengths", _reference_coalition_strengths)
        patch.setattr(K, "bargain_utilities", _reference_bargain_utilities)
        patch.setattr(K, "unique_positions", _reference_unique_positions)
        expected = K.simulate(c, x, s, per_estimator=n <= 13, **options)
    assert got.stop_reason == expected.stop_reason
    for name in FIELDS:
        assert np.array_equal(getattr(got, name), getattr(expected, name), equal_nan=True), name
    for mine, theirs in zip(got.bargains, expected.bargains, strict=True):
        assert np.array_equal(mine, theirs)
    for mine, theirs in zip(got.classes, expected.classes, strict=True):
        assert np.array_equal(mine[0], theirs[0]) and np.array_equal(mine[1], theirs[1])
    if got.per_estimator is not None:
        assert np.array_equal(got.per_estimator, expected.per_estimator)
