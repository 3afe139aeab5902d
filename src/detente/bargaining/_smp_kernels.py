"""Array kernels of KTAB's Spatial Model of Politics (SMP): pure functions, no checks, no I/O.

Every function here implements one numbered section of the reference specification
(``reference/bargaining/smp/SPEC.md``, written from KTAB ``smpc`` at c57b72a0) and follows
its notation: ``x`` positions and ``xi`` ideals on [0, 1]^M, ``s`` saliences on [0, 1],
``c`` capabilities, ``sigma`` salience sums, ``R`` risk attitudes, ``A`` the perspective
utility tensor. Inputs are validated once in :mod:`detente.bargaining.smp`.

Evaluation order
----------------
KTAB quantises every bargain to a 1e-4 grid (SPEC §6.2), so a last-bit difference can in
principle move a coordinate by one grid step. Every sum the spec calls *sequential* is
therefore evaluated left to right here (:func:`sequential_reduce` or an explicit loop, never
``np.sum``'s pairwise summation), and every product is written in the spec's form
(``(a + a) + z``, ``((2 R_h) + R_i) / 3``, ``s * s`` for ``pow(s, 2)``). NumPy does not contract
multiply-adds into FMA instructions, matching KTAB's x86-64 build.

Cost
----
KTAB evaluates about N⁴ terms per turn, most only for its database (SPEC §5, §13). Here a turn
costs O(N³) time and O(N²) memory: the tensor ``A`` is never stored, only its (N, N) slices
are computed where needed (SPEC §13); one third-party sweep over all (initiator, target) pairs
at once (N passes over (N, N) arrays), and the queue votes. From ``_JIT_MIN_ACTORS`` actors the
sweep, the proportional votes and the bargains' utility sums run as compiled loops
(:mod:`detente.bargaining._smp_jit`) with the same operations in the same order.

Axis conventions
----------------
``(initiator, target)`` for every pair matrix (row = the actor who challenges/proposes);
``(voter, option)`` for utility tables; ``At[n, h, j]`` = h's estimate of the utility to actor
n of actor j's position.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

#: Coalition-strength floor of the scalar PCE (SPEC §3, §11).
COALITION_FLOOR = 1e-8
#: Principal-strength floor of the challenge assessment (SPEC §5, §11).
PRINCIPAL_FLOOR = 1e-10
#: A challenge is worth making only if its expected gain exceeds this (SPEC §6.1).
CHALLENGE_THRESHOLD = 1e-5
#: Weight added in the S2P2/S1P1 bargain so both weights may vanish (SPEC §6.2).
BARGAIN_EPSILON = 1e-6
#: Positions closer than this (Euclidean, on [0, 1]^M) are one position for reporting (SPEC §7).
EQUIVALENCE_TOLERANCE = 1e-3
#: Bound on the number of (voter, option, option) cells built at once in a coalition vote.
_VOTE_CHUNK_CELLS = 1 << 18
#: Queue votes of one turn are one padded array program up to this many cells.
_MERGED_QUEUE_CELLS = 1 << 16
#: Bound on the (third party, initiator, target) cells of one challenge block.
_CHALLENGE_BLOCK_CELLS = 1 << 15
#: From this many actors the O(N³) loops of a turn — the challenge sweep, the proportional
#: coalition strengths (risk vote, win probabilities, queue votes) and the bargains' utility sums
#: — run compiled (:mod:`detente.bargaining._smp_jit`, numba, imported only then). Below it
#: numba's import and the loading of its cached code (≈ 0.3 s in a new process) cost more than
#: they save (synthetic N×1 runs of benchmarks/bench_smp.py, first run in a new process, loaded
#: 2-core machine: 100 actors 0.32 s NumPy vs 0.44–0.48 s compiled, 128 actors 0.75 s vs
#: 0.53 s), and small cases, ``detente --help`` and the 7×3 forecast never load it (issue 16).
_JIT_MIN_ACTORS = 128
#: From this many actors a NumPy challenge sweep (other voting rules than proportional; the
#: proportional one is compiled from :data:`_JIT_MIN_ACTORS`) may run bands on threads; below
#: it a thread's share is too short to pay for its start (CPU time rises at 100 actors).
_THREAD_MIN_ACTORS = 128
#: Threads for those bands. 1 (off): on the shared 2-core machine two threads cost ~15 % more
#: CPU and gave no wall-time gain (30 % loss under load) when the proportional sweep still ran
#: in NumPy (issue 16).
_SWEEP_MAX_THREADS = 1


def sequential_reduce(ufunc: np.ufunc, a: np.ndarray, axis: int = 0,
                      initial: np.ndarray | float | None = None) -> np.ndarray:
    """Left-to-right reduction of ``a`` along ``axis``: ``((initial ∘ a_0) ∘ a_1) ∘ …``.

    Bitwise equal to a Python loop over the axis. ``np.add.reduce`` alone is not: along a
    contiguous run it sums pairwise. Reducing axis 0 of a C-contiguous 2-D array with at least
    two columns combines whole rows one after another (checked against a loop in
    tests/bargaining/test_smp_kernels.py), so the data is laid out that way first; this is
    ~25× faster than ``ufunc.accumulate``, which works one element at a time.

    Parameters
    ----------
    ufunc : np.add or np.multiply
    a : ndarray
    axis : int
        Axis to reduce (left to right).
    initial : float or ndarray broadcastable to the result, optional
        Starting value (the spec's "sequential sum from ...").
    """
    if axis != 0:
        a = np.moveaxis(a, axis, 0)
    n = a.shape[0]
    rest = a.shape[1:]
    width = math.prod(rest)
    if initial is not None:
        start = np.broadcast_to(np.asarray(initial, dtype=float), rest).reshape(1, width)
        flat = np.concatenate([start, a.reshape(n, width)], axis=0)
    else:
        flat = np.ascontiguousarray(a).reshape(n, width)
    if width == 1:  # a single column would be reduced pairwise: pad with the identity
        identity = 0.0 if ufunc is np.add else 1.0
        flat = np.concatenate([flat, np.full_like(flat, identity)], axis=1)
    # C order is essential (concatenate keeps its inputs' layout, which may be Fortran-like)
    flat = np.ascontiguousarray(flat)
    return ufunc.reduce(flat, axis=0)[:width].reshape(rest)


# --------------------------------------------------------------------------- §2 distance, utility
def weighted_distance(ideal: np.ndarray, points: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Salience-weighted normalised distance ``d_a(p)`` (SPEC §2).

    Parameters
    ----------
    ideal : ndarray of shape (..., N, M)
        Each actor's ideal point ξ_a on [0, 1]^M (leading axes: independent draws).
    points : ndarray of shape (..., P, M)
        Points p to measure to.
    s : ndarray of shape (..., N, M)
        Saliences on [0, 1] (the actor's own weights).

    Returns
    -------
    ndarray of shape (..., N, P)
        ``d[a, p] = sqrt(Σ_k ((ξ_ak − p_k) s_ak)² / Σ_k s_ak²)``, sums sequential over k.
    """
    n_dims = ideal.shape[-1]
    diff = (ideal[..., :, None, :] - points[..., None, :, :]) * s[..., :, None, :]
    diff *= diff                                     # ((ξ_ak − p_k) s_ak)², (..., N, P, M)
    s_sq = s * s
    quad = 0.0 + diff[..., 0]                        # sums sequential over k, as KTAB
    norm = 0.0 + s_sq[..., 0]
    for k in range(1, n_dims):
        quad += diff[..., k]
        norm += s_sq[..., k]
    return np.sqrt(quad / norm[..., None])


def risk_utility(d: np.ndarray, risk: np.ndarray | float) -> np.ndarray:
    """Risk-adjusted utility ``U(d, R) = (1 − d)(1 + d R)`` of a distance (SPEC §2)."""
    inside = (1.0 - d) * (1.0 + d * risk)
    if np.all(d <= 1.0):
        return inside
    return np.where(d <= 1.0, inside, (1.0 - d) * (1.0 + risk))


def vote(w: np.ndarray | float, a: np.ndarray, b: np.ndarray, rule: str) -> np.ndarray:
    """Vote of a voter with weight ``w`` between options valued ``a`` and ``b`` (SPEC §2, §12).

    ``rule`` is KTAB's VotingRule: ``proportional`` (default, ``w (a − b)``), ``binary``,
    ``prop-bin``, ``prop-cubic``, ``cubic`` or ``asym-prospect``.
    """
    du = a - b
    if rule == "proportional":
        return w * du
    if rule == "binary":
        return w * np.clip(du / 1e-8, -1.0, 1.0)
    if rule == "prop-bin":
        return w * (0.8 * du + 0.2 * np.clip(du / 1e-8, -1.0, 1.0))
    if rule == "prop-cubic":
        return w * (0.5 * du + 0.5 * (du * du * du))
    if rule == "cubic":
        return w * (du * du * du)
    if rule == "asym-prospect":
        return np.where(du < 0, w * du, (2.0 * w * du) / 3.0)
    raise ValueError(f"unknown voting rule {rule!r}")


# --------------------------------------------------------------------------- §3 scalar PCE
def coalition_strengths(w: np.ndarray, u: np.ndarray, rule: str) -> np.ndarray:
    """Coalition strength for every ordered pair of options (SPEC §3 step 1).

    Parameters
    ----------
    w : ndarray of shape (V,) or (..., V)
        Voter weights (the same for every vote, or per vote).
    u : ndarray of shape (..., V, K)
        ``u[..., v, m]``: utility to voter v of option m; leading axes are independent votes.
    rule : str
        Voting rule (:func:`vote`).

    Returns
    -------
    ndarray of shape (..., K, K)
        ``C[m, m']``: strength of the coalition preferring m to m'; ``1e-8`` plus the
        positive votes, summed over voters in order. For a pair m > m' KTAB computes one vote
        ``q = V(w, u_m, u_m')`` and credits ``q`` to C[m, m'] or ``−q`` to C[m', m]; the same is
        done here, so asymmetric voting rules behave as in KTAB. (For the proportional rule
        ``−V(w, u_m', u_m)`` equals ``V(w, u_m, u_m')`` bit for bit, so no mirroring is needed.)
    """
    *batch, n_voters, n_options = u.shape
    if rule == "proportional" and w.ndim == 1 and n_voters >= _JIT_MIN_ACTORS:
        from detente.bargaining import _smp_jit  # the same sums, compiled (issue 16)

        votes = np.ascontiguousarray(u, dtype=float).reshape(math.prod(batch), n_voters,
                                                             n_options)
        return _smp_jit.coalition_strengths(np.ascontiguousarray(w, dtype=float), votes,
                                            COALITION_FLOOR).reshape(*batch, n_options,
                                                                     n_options)
    if rule != "proportional":
        lower = np.tril(np.ones((n_options, n_options), dtype=bool), -1)  # m > m'
    strength = np.full((*batch, n_options, n_options), COALITION_FLOOR)
    cells = max(1, math.prod(batch) * n_options * n_options)

    def credit(q: np.ndarray) -> np.ndarray:
        if rule != "proportional":
            # credit for m over m': q where m > m', minus the mirrored pair's q where m < m'
            q = np.where(lower, q, -np.swapaxes(q, -1, -2))
        return np.maximum(q, 0.0, out=q)

    # all voters of a chunk at once, summed left to right over voters (bounded memory)
    chunk = max(1, _VOTE_CHUNK_CELLS // cells)
    zeros: np.ndarray | None = None
    for start in range(0, n_voters, chunk):
        stop = min(n_voters, start + chunk)
        uc = np.moveaxis(u[..., start:stop, :], -2, 0)               # (v, ..., K)
        if w.ndim == 1:
            wc = w[start:stop].reshape((-1,) + (1,) * (len(batch) + 2))
        else:                                                         # weights per vote
            wc = np.moveaxis(w[..., start:stop], -1, 0)[..., None, None]
        if rule == "proportional":
            # V(w, u_m, u_m') = w (u_m − u_m') in place, in a C-ordered buffer (so the sum
            # below needs no copy), clipped against a zero array: NumPy's maximum with a
            # scalar 0.0 is ~4× slower than with an array (issue 16)
            shape = (stop - start, *batch, n_options, n_options)
            q = np.subtract(uc[..., :, None], uc[..., None, :], out=np.empty(shape))
            q *= wc                                 # the product commutes bit for bit
            if zeros is None or zeros.shape[0] < shape[0]:
                zeros = np.zeros(shape)
            np.maximum(q, zeros[: shape[0]], out=q)
        else:
            q = credit(vote(wc, uc[..., :, None], uc[..., None, :], rule))  # (v, ..., m, m')
        q[0] += strength                            # running total + the chunk's first voter
        strength = sequential_reduce(np.add, q)     # then the others, in order
    diag = np.arange(n_options)
    strength[..., diag, diag] = COALITION_FLOOR
    return strength


def _in_threads(work, limits: list[tuple[int, int]], workers: int) -> None:
    """``work(lo, hi)`` for every band, on ``workers`` threads (NumPy releases the GIL in its
    loops) or in order on this one; the bands write disjoint rows, so the results agree."""
    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            for done in [pool.submit(work, lo, hi) for lo, hi in limits]:
                done.result()
    else:
        for lo, hi in limits:
            work(lo, hi)


def victory_probabilities(strength: np.ndarray, law: str) -> np.ndarray:
    """Pairwise victory probabilities ``P[..., m, m']`` from coalition strengths (SPEC §3, §12).

    ``law`` is KTAB's VictoryProbModel: ``linear`` (default), ``square``, ``quartic``,
    ``octic`` (``f(C) = C^2, C^4, C^8``) or ``binary``. The diagonal is 0.5.
    """
    c_fwd = strength
    c_bwd = np.swapaxes(strength, -1, -2)
    if law == "binary":
        ratio = c_fwd / (c_fwd + c_bwd)
        g = (ratio * 2.1 - 1.0) / 0.1
        win = c_fwd >= 1.1 * c_bwd
        lose = c_bwd >= 1.1 * c_fwd
        first = np.where(win, 1.0, np.where(lose, 1e-6, g))
        second = np.where(win, 1e-6, np.where(lose, 1.0, 1.0 - g))
        prob = first / (first + second)
    else:
        f_fwd, f_bwd = c_fwd, c_bwd
        for _ in range({"linear": 0, "square": 1, "quartic": 2, "octic": 3}[law]):
            f_fwd, f_bwd = f_fwd * f_fwd, f_bwd * f_bwd
        prob = f_fwd / (f_fwd + f_bwd)
    diag = np.arange(strength.shape[-1])
    prob[..., diag, diag] = 0.5
    return prob


def conditional_pce(prob: np.ndarray) -> np.ndarray:
    """Conditional probabilistic Condorcet election ("scalar PCE", SPEC §3 step 3).

    ``g_m = 1.0 · Π_m' P[m, m']`` (left to right, diagonal 0.5 included), ``π = g / Σ g``.
    ``prob`` may carry leading batch axes.
    """
    k = prob.shape[-1]
    if k <= 16:  # few options: a loop over columns is cheaper than re-laying the array out
        g = prob[..., 0].copy()                          # 1.0 · P[m, 0] (1.0· is exact)
        for col in range(1, k):
            g *= prob[..., col]
        total = g[..., 0].copy()
        for col in range(1, k):
            total += g[..., col]
    else:
        g = sequential_reduce(np.multiply, prob, axis=-1)
        total = sequential_reduce(np.add, g, axis=-1)
    return g / total[..., None]


def _damped_fixed_point(step, k: int, tol: float) -> np.ndarray:
    """KTAB's Markov PCE iteration (SPEC §12): from the uniform distribution, ``p ← (p +
    step(p)) / 2`` until no entry moves by more than ``tol``; returned normalised."""
    p = np.full(k, 1.0 / k)
    for _ in range(100_000):
        new = (p + step(p)) / 2.0
        if np.max(np.abs(new - p)) <= tol:
            p = new
            break
        p = new
    return p / p.sum()


def markov_uniform_pce(prob: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """KTAB's MarkovUniform PCE (SPEC §12): damped fixed point from the uniform distribution."""
    k = prob.shape[0]
    return _damped_fixed_point(
        lambda p: (prob * (p[:, None] + p[None, :])).sum(axis=1) / k, k, tol)


def markov_incentive_pce(strength: np.ndarray, prob: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """KTAB's MarkovIncentive PCE (SPEC §12): challenge weights ``C·P`` normalised per column."""
    k = prob.shape[0]
    weight = strength * prob
    np.fill_diagonal(weight, np.diag(weight) + 1e-10)
    chlg = weight / weight.sum(axis=0, keepdims=True)

    def step(p: np.ndarray) -> np.ndarray:
        q = (chlg * prob * (p[:, None] + p[None, :])).sum(axis=1)
        return q / q.sum()

    return _damped_fixed_point(step, k, tol)


def scalar_pce(w: np.ndarray, u: np.ndarray, rule: str, law: str, pce: str) -> np.ndarray:
    """Probability that each option wins, from voter weights and utilities (SPEC §3).

    Parameters
    ----------
    w : ndarray of shape (V,)
    u : ndarray of shape (..., V, K)
        ``u[..., v, m]``: utility to voter v of option m; leading axes are independent votes.

    Returns
    -------
    ndarray of shape (..., K)
    """
    strength = coalition_strengths(w, u, rule)
    prob = victory_probabilities(strength, law)
    if pce == "conditional":
        return conditional_pce(prob)
    if pce == "markov-uniform":
        return _per_vote(markov_uniform_pce, prob)
    return _per_vote(markov_incentive_pce, strength, prob)


def _per_vote(func, *arrays: np.ndarray) -> np.ndarray:
    """Apply an unbatched (K, K) -> (K,) PCE over leading batch axes."""
    batch = arrays[0].shape[:-2]
    k = arrays[0].shape[-1]
    flat = [a.reshape(-1, k, k) for a in arrays]
    out = np.stack([func(*parts) for parts in zip(*flat, strict=True)])
    return out.reshape(*batch, k)


# --------------------------------------------------------------------------- §4 risk, tensor
def risk_attitudes(pi: np.ndarray, big_r_range: str) -> np.ndarray:
    """Risk attitude ``R_i`` of each actor from its win probability (SPEC §4 step 4, §12)."""
    lo = pi.min(axis=-1, keepdims=True)
    hi = pi.max(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        if big_r_range == "mid":
            return (3.0 * pi - (hi + 2.0 * lo)) / (2.0 * (hi - lo))
        if big_r_range == "min":
            return (pi - lo) / (hi - lo)
        return (2.0 * pi - hi - lo) / (hi - lo)


def estimated_risk(risk: np.ndarray, adjust: str) -> np.ndarray:
    """``Rh[h, i]``: actor h's estimate of actor i's risk attitude (SPEC §4 step 5, §12)."""
    r_h = risk[..., :, None]
    r_i = risk[..., None, :]
    shape = risk.shape + risk.shape[-1:]
    if adjust == "one-third":
        return ((2.0 * r_h) + r_i) / 3.0
    if adjust == "none":
        return np.broadcast_to(r_h, shape).copy()
    if adjust == "half":
        return (r_h + r_i) / 2.0
    if adjust == "two-thirds":
        return (r_h + 2.0 * r_i) / 3.0
    return np.broadcast_to(r_i, shape).copy()  # full


@dataclass(frozen=True)
class StateTerms:
    """Everything a state needs once per turn (SPEC §4).

    The perspective utility tensor ``A^h(i, j) = U(D[i, j], Rh[h, i])`` (SPEC §4 step 6) is
    never stored: it is N³ numbers, but each use needs only an (N, N) slice, which costs
    O(N²) to compute from ``D`` and ``Rh`` (SPEC §13). The slices are computed with the
    spec's arithmetic, so they are the tensor's numbers bit for bit.

    Attributes
    ----------
    distance : ndarray of shape (N, N)
        ``D[i, j] = d_i(x_j)`` (always in [0, 1] for valid input, SPEC §2).
    pi_risk : ndarray of shape (N,)
        Scalar-PCE win probabilities used for the risk attitudes (capability-weighted votes).
    risk : ndarray of shape (N,)
        ``R_i``.
    risk_est : ndarray of shape (N, N)
        ``Rh[h, i]``: h's estimate of i's risk attitude.
    """

    distance: np.ndarray
    pi_risk: np.ndarray
    risk: np.ndarray
    risk_est: np.ndarray

    def utility(self, est, of, pos) -> np.ndarray:
        """``A^est(of, pos)`` for broadcastable index arrays (SPEC §4 step 6)."""
        d = self.distance[of, pos]
        return (1.0 - d) * (1.0 + d * self.risk_est[est, of])

    def slab(self, n: int, out: np.ndarray | None = None) -> np.ndarray:
        """``slab[h, j] = A^h(n, j)``: every estimator's view of actor n's utilities, (N, N)."""
        d = self.distance[n]
        out = np.multiply(self.risk_est[:, n : n + 1], d[None, :], out=out)
        out += 1.0
        out *= (1.0 - d)[None, :]
        return out

    def own(self) -> np.ndarray:
        """``own[a, n] = A^a(a, n)``: each actor's own-perspective utility table, (N, N)."""
        idx = np.arange(self.risk.shape[0])
        return self.utility(idx[:, None], idx[:, None], idx[None, :])

    def estimator_view(self, h: int) -> np.ndarray:
        """``view[a, j] = A^h(a, j)``: h's estimate of every actor's utilities, (N, N)."""
        d = self.distance
        return (1.0 - d) * (1.0 + d * self.risk_est[h][:, None])


def state_terms(x: np.ndarray, xi: np.ndarray, s: np.ndarray, c: np.ndarray,
                rule: str, law: str, pce: str, big_r_range: str,
                big_r_adjust: str) -> StateTerms:
    """Risk attitudes of one state and what the perspective utilities need (SPEC §4).

    Parameters
    ----------
    x, xi, s : ndarrays of shape (N, M)
        Positions, ideals, saliences on [0, 1].
    c : ndarray of shape (N,)
        Capabilities (voter weights of the risk vote: capability only, no salience).
    """
    distance = weighted_distance(xi, x, s)           # (N, N): D[i, j] = d_i(x_j)
    if not np.all(distance <= 1.0):  # impossible on [0, 1]^M; U's d > 1 branch never applies
        raise ValueError("salience-weighted distance above 1: positions outside [0, 1]")
    u0 = 1.0 - distance                              # U(D, 0) = (1 − d)(1 + d·0), exactly
    pi = scalar_pce(c, u0, rule, law, pce)           # options: all N positions, no merging
    risk = risk_attitudes(pi, big_r_range)
    return StateTerms(distance=distance, pi_risk=pi, risk=risk,
                      risk_est=estimated_risk(risk, big_r_adjust))


# --------------------------------------------------------------------------- §5 challenges
def _third_party_values(a, b, z, commit: str):
    """G1..G4 of SPEC §5 step 2 for a third party valuing i at a, j at b, itself at z."""
    two_a = a + a
    two_b = b + b
    if commit == "semi":
        return two_a + z, two_b + b, two_a + a, two_b + z
    if commit == "full":
        return two_a + a, two_b + b, two_a + a, two_b + b
    return two_a + z, two_b + z, two_a + z, two_b + z  # "none"


def _sweep_workers(n_actors: int) -> int:
    """Threads for the NumPy challenge sweep: the usable cores, at most
    ``_SWEEP_MAX_THREADS``, from ``_THREAD_MIN_ACTORS`` actors on; else 1."""
    if n_actors < _THREAD_MIN_ACTORS:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(_SWEEP_MAX_THREADS, cores))


def assess_all_challenges(terms: StateTerms, sigma: np.ndarray, c: np.ndarray, rule: str,
                          commit: str) -> tuple[np.ndarray, np.ndarray]:
    """Each initiator's own assessment ``E(i, i, i, j)`` of challenging each target (SPEC §5).

    Returns
    -------
    p, gain : ndarrays of shape (N, N), ``(initiator, target)``
        ``p[i, j]``: i's estimate that it prevails; ``gain[i, j]``: i's expected gain Δ.
        The diagonal is meaningless (set to 0 and -inf).

    Notes
    -----
    All N(N−1) pairs are evaluated together; the loop runs over third parties n in ascending
    order so each pair's strengths T_ij, T_ji are sequential sums as in KTAB (SPEC §5 step 2).

    The sweep is O(N³) and NumPy-bound, so its cost is the number of element operations and
    how fast each one runs (issue 16): every term that depends on (n, i) only — A^i(n, i),
    A^i(n, n), G1, G3 — is computed once per turn as an (N, N) table instead of once per third
    party; the (n, i, j) work runs on tiles of ``_CHALLENGE_BLOCK_CELLS`` cells (several third
    parties per tile for small N, a band of initiators for large N) in ten reused buffers,
    with ``np.maximum``/``np.minimum`` against a zero array (a Python ``0.0`` takes NumPy's
    slow scalar path, ~4× slower) and the weight as a Python float. Every element still gets
    the spec's operations in the spec's order, so the numbers are those of the per-pair
    reading (:func:`assess_challenges`) bit for bit
    (tests/bargaining/test_smp_kernel_equivalence.py).

    From :data:`_JIT_MIN_ACTORS` actors the proportional sweep is one compiled loop instead
    (:func:`detente.bargaining._smp_jit.challenge_sweep`): the same element operations with
    nothing written to memory between them, about 10× faster at 200 actors.
    """
    n_actors = c.shape[0]
    idx = np.arange(n_actors)
    ii, jj = idx[:, None], idx[None, :]
    weight = sigma * c
    own = terms.own()                                   # own[i, j] = A^i(i, j)
    a_ii = own[idx, idx]                                # A^i(i, i)
    a_ji = terms.utility(ii, jj, ii)                    # [i, j] = A^i(j, i)
    a_jj = terms.utility(ii, jj, jj)                    # [i, j] = A^i(j, j)
    e_i = vote(weight[:, None], a_ii[:, None], own, rule)      # ≥ 0
    e_j = vote(weight[None, :], a_ji, a_jj, rule)              # ≤ 0
    t_ij = np.full((n_actors, n_actors), PRINCIPAL_FLOOR)
    t_ji = np.full((n_actors, n_actors), PRINCIPAL_FLOOR)
    for e in (e_i, e_j):                                       # e_i first, then e_j
        t_ij += np.maximum(e, 0.0)
        t_ji += np.maximum(-e, 0.0)
    b_i = t_ij.copy()
    b_j = t_ji.copy()
    # (n, i) tables, once per turn: A^i(n, j) = (1 − D[n, j]) (1 + D[n, j] Rh[i, n]) (§4.6),
    # written with the sweep's operation order, (D·Rh + 1)·(1 − D), so the bits are the same
    d = terms.distance
    one_minus_d = 1.0 - d
    risk_t = terms.risk_est.T                                  # risk_t[n, h] = Rh[h, n]
    a_ni = (d * risk_t + 1.0) * one_minus_d                    # A^i(n, i)
    z_ni = (d[idx, idx][:, None] * risk_t + 1.0) * one_minus_d[idx, idx][:, None]  # A^i(n, n)
    two_a = a_ni + a_ni
    g1_ni = two_a + (a_ni if commit == "full" else z_ni)       # semi/none (a+a)+z, full 3a
    g3_ni = two_a + (z_ni if commit == "none" else a_ni)       # semi/full (a+a)+a, none 2a+z
    # Λ = I makes D[n, n] = 0, so A^i(n, n) = 1 exactly: a scalar operand is faster
    z_one = bool(np.all(z_ni == 1.0))
    proportional = rule == "proportional"
    # tiles: `rows` initiators × all targets × `group` third parties, about cells in all
    cells = max(1, _CHALLENGE_BLOCK_CELLS)
    bands = -(-n_actors // max(1, min(n_actors, cells // n_actors)))
    workers = _sweep_workers(n_actors)
    if workers > 1:       # whole bands per thread: an even number of equal bands
        bands = workers * -(-bands // workers)
    rows = -(-n_actors // bands)
    group = max(1, cells // (n_actors * n_actors)) if bands == 1 else 1
    group = min(group, n_actors)
    weights = weight.tolist()

    def sweep(r0: int, r1: int) -> None:
        """Add every third party's vote, n = 0..N−1 in order, to rows r0..r1 of T_ij, T_ji."""
        tij, tji, bi, bj = t_ij[r0:r1], t_ji[r0:r1], b_i[r0:r1], b_j[r0:r1]
        bufs = np.empty((5, group, r1 - r0, n_actors))
        zeros = np.zeros((group, r1 - r0, n_actors))
        for n0 in range(0, n_actors, group):
            n1 = min(n_actors, n0 + group)
            g = n1 - n0
            b, e, lo, rho, x_val = bufs[:, :g]
            zero = zeros[:g]
            w_n = weights[n0] if g == 1 else weight[n0:n1, None, None]
            # b[n, i, j] = A^i(n, j)   (SPEC §4.6)
            np.multiply(risk_t[n0:n1, r0:r1, None], d[n0:n1, None, :], out=b)
            b += 1.0
            b *= one_minus_d[n0:n1, None, :]
            a = a_ni[n0:n1, r0:r1, None]                       # A^i(n, i)
            if proportional:                                   # e = V(w_n, a, b)
                np.subtract(a, b, out=e)
                e *= w_n
            else:
                e[...] = vote(w_n, a, b, rule)
            np.maximum(e, zero, out=lo)
            lo += bi                                           # L_i = B_i + e if e > 0
            np.minimum(e, zero, out=e)
            np.subtract(bj, e, out=e)                          # L_j = B_j − e if e < 0
            np.add(lo, e, out=rho)
            np.divide(lo, rho, out=rho)                        # ρ = L_i / (L_i + L_j)
            np.subtract(1.0, rho, out=lo)                      # ρ' = 1 − ρ
            # G2, G4 (SPEC §5.2): semi (b+b)+b, (b+b)+z; full 3b, 3b; none (b+b)+z, (b+b)+z
            np.add(b, b, out=e)
            z = 1.0 if z_one else z_ni[n0:n1, r0:r1, None]
            np.add(e, b if commit == "full" else z, out=x_val)         # G4
            np.add(e, z if commit == "none" else b, out=b)             # G2
            b *= lo
            np.multiply(rho, g1_ni[n0:n1, r0:r1, None], out=e)
            b += e                                             # Y = ρ G1 + ρ' G2
            x_val *= lo
            np.multiply(rho, g3_ni[n0:n1, r0:r1, None], out=e)
            x_val += e                                         # X = ρ G3 + ρ' G4
            if proportional:                                   # t = V(w_n, Y, X)
                b -= x_val
                b *= w_n
            else:
                b[...] = vote(w_n, b, x_val, rule)
            for k, n in enumerate(range(n0, n1)):
                b[k, :, n] = 0.0                               # n is the target
                if r0 <= n < r1:
                    b[k, n - r0] = 0.0                         # n is the initiator
            np.maximum(b, zero, out=e)
            np.minimum(b, zero, out=b)
            for k in range(g):                                 # sequential over n
                tij += e[k]
                tji -= b[k]

    if proportional and n_actors >= _JIT_MIN_ACTORS:   # the same sums, compiled (issue 16)
        from detente.bargaining import _smp_jit

        c_order = np.ascontiguousarray
        _smp_jit.challenge_sweep(c_order(d), c_order(one_minus_d), c_order(risk_t),
                                 c_order(a_ni), c_order(g1_ni), c_order(g3_ni), c_order(z_ni),
                                 c_order(weight), b_i, b_j, t_ij, t_ji, commit == "full",
                                 commit == "none")
    else:  # bands are independent (disjoint rows of T_ij, T_ji): threads give the same numbers
        _in_threads(sweep, [(r0, min(n_actors, r0 + rows)) for r0 in range(0, n_actors, rows)],
                    workers)
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


def assess_challenges(terms: StateTerms, sigma: np.ndarray, c: np.ndarray, rule: str,
                      commit: str, h: np.ndarray, k: np.ndarray, i: np.ndarray,
                      j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``E(h, k, i, j)`` for a list of (estimator, beneficiary, initiator, target) (SPEC §5).

    Same arithmetic as :func:`assess_all_challenges` with arbitrary h and k; used by the
    bargain models that need the target's view (SPEC §12, BargnModel).

    Returns
    -------
    p, gain : ndarrays of shape (P,)
    """
    n_actors = c.shape[0]
    weight = sigma * c
    util = terms.utility  # util(est, of, pos) = A^est(of, pos)

    e_i = vote(weight[i], util(h, i, i), util(h, i, j), rule)
    e_j = vote(weight[j], util(h, j, i), util(h, j, j), rule)
    t_ij = PRINCIPAL_FLOOR + np.maximum(e_i, 0.0) + np.maximum(e_j, 0.0)
    t_ji = PRINCIPAL_FLOOR + np.maximum(-e_i, 0.0) + np.maximum(-e_j, 0.0)
    b_i = t_ij.copy()
    b_j = t_ji.copy()
    for n in range(n_actors):
        nn = np.full_like(i, n)
        a = util(h, nn, i)
        b = util(h, nn, j)
        z = util(h, nn, nn)
        e = vote(weight[n], a, b, rule)
        l_i = b_i + np.maximum(e, 0.0)
        l_j = b_j + np.maximum(-e, 0.0)
        rho = l_i / (l_i + l_j)
        rho_c = 1.0 - rho
        g1, g2, g3, g4 = _third_party_values(a, b, z, commit)
        t = vote(weight[n], rho * g1 + rho_c * g2, rho * g3 + rho_c * g4, rule)
        t = np.where((i == n) | (j == n), 0.0, t)
        t_ij = t_ij + np.maximum(t, 0.0)
        t_ji = t_ji + np.maximum(-t, 0.0)
    total = t_ij + t_ji
    p = t_ij / total
    p_c = t_ji / total
    u_ki = util(h, k, i)
    u_kj = util(h, k, j)
    u_contest = p * (u_ki + u_ki) + p_c * (u_kj + u_kj)
    sigma_j = sigma[j]
    gain = ((1.0 - sigma_j) * (u_ki + u_ki) + sigma_j * u_contest) - (u_ki + u_kj)
    return p, gain


def choose_targets(gain: np.ndarray) -> np.ndarray:
    """Each initiator's target: the first j with the largest gain above 1e-5, else -1 (SPEC §6.1)."""
    masked = np.where(gain > CHALLENGE_THRESHOLD, gain, -np.inf)
    best = np.argmax(masked, axis=1)                     # argmax: lowest index wins exact ties
    has = np.isfinite(masked[np.arange(gain.shape[0]), best])
    return np.where(has, best, -1)


# --------------------------------------------------------------------------- §6.2 bargains
def round4(v: np.ndarray) -> np.ndarray:
    """KTAB's bargain grid: ``trunc(0.5 + v·10000.0) / 10000.0`` (SPEC §6.2)."""
    return np.trunc(0.5 + v * 10000.0) / 10000.0


def interpolate_bargain(t_i: np.ndarray, t_j: np.ndarray, s_i: np.ndarray, s_j: np.ndarray,
                        p_i: np.ndarray, scheme: str) -> tuple[np.ndarray, np.ndarray]:
    """Bargain coordinates for initiator and target (SPEC §6.2 S2P2; §12 S1P1, S2PMax).

    Parameters
    ----------
    t_i, t_j : ndarrays of shape (B, M)
        Initiator's and target's positions.
    s_i, s_j : ndarrays of shape (B, M)
        Their saliences.
    p_i : ndarray of shape (B,)
        The probability the initiator prevails, as the bargain model supplies it.

    Returns
    -------
    y_i, y_j : ndarrays of shape (B, M)
    """
    p_i = p_i[:, None]
    p_j = 1.0 - p_i
    if scheme == "s2pmax":
        d_i = np.maximum(0.0, p_j - p_i)
        d_j = np.maximum(0.0, p_i - p_j)
        f_i = d_i * (s_j * s_j) / (d_i * (s_j * s_j) + 1e-6 + (1.0 - d_i) * (s_i * s_i))
        f_j = d_j * (s_i * s_i) / (d_j * (s_i * s_i) + 1e-6 + (1.0 - d_j) * (s_j * s_j))
        return t_i + f_i * (t_j - t_i), t_j + f_j * (t_i - t_j)
    if scheme == "s2p2":
        w_i = (s_i * s_i) * (p_i * p_i)
        w_j = (s_j * s_j) * (p_j * p_j)
    else:  # s1p1
        w_i = s_i * p_i
        w_j = s_j * p_j
    eps = BARGAIN_EPSILON
    denom = (w_i + eps) + w_j
    y_i = round4(((w_i + eps) * t_i + w_j * t_j) / denom)
    y_j = round4((w_i * t_i + (eps + w_j) * t_j) / denom)
    return y_i, y_j


# --------------------------------------------------------------------------- §6.4 queue votes
def bargain_utilities(terms: StateTerms, xi: np.ndarray, s: np.ndarray,
                      initiator: np.ndarray, target: np.ndarray, y_i: np.ndarray,
                      y_j: np.ndarray) -> np.ndarray:
    """Each voter's utility of the state each bargain would produce (SPEC §6.4).

    Returns
    -------
    ndarray of shape (N, B)
        ``ubar[a, b] = (U(d_a(y_I), R_a) + U(d_a(y_J), R_a) + Σ_{n ∉ {I, J}} A^a(a, n)) / N``,
        summed in that order.
    """
    own = terms.own()
    n_actors = own.shape[0]
    n_bargains = initiator.shape[0]
    if n_bargains == 0:
        return np.zeros((n_actors, 0))
    risk = terms.risk[:, None]
    u_first = risk_utility(weighted_distance(xi, y_i, s), risk)   # (N, B)
    u_second = risk_utility(weighted_distance(xi, y_j, s), risk)
    total = np.ascontiguousarray(((0.0 + u_first) + u_second).T)   # (B, N): row per bargain
    # the others, ascending n: + A^a(a, n) for every bargain whose I and J are not n. One row
    # add per n for all bargains, then the few bargains n takes part in get their previous
    # row back; each sum sees the same terms in the same order as the spec's loop, at one
    # operation per cell instead of a multiply by a 0/1 mask plus an add (issue 16).
    own_t = np.ascontiguousarray(own.T)                         # own_t[n, a] = A^a(a, n)
    if n_actors >= _JIT_MIN_ACTORS:                  # the same sums, compiled (issue 16)
        from detente.bargaining import _smp_jit

        _smp_jit.add_other_utilities(total, own_t, np.asarray(initiator, dtype=np.int64),
                                     np.asarray(target, dtype=np.int64))
        return np.ascontiguousarray((total / n_actors).T)
    party = np.concatenate([initiator, target])
    rows = np.concatenate([np.arange(n_bargains), np.arange(n_bargains)])
    order = np.argsort(party, kind="stable")
    bounds = np.searchsorted(party[order], np.arange(n_actors + 1)).tolist()
    rows = rows[order]
    for n in range(n_actors):
        first, stop = bounds[n], bounds[n + 1]
        if first == stop:
            total += own_t[n]
            continue
        part = rows[first:stop]
        saved = total[part]
        total += own_t[n]
        total[part] = saved
    return np.ascontiguousarray((total / n_actors).T)


def status_quo_utility(terms: StateTerms) -> np.ndarray:
    """``ubar_SQ[a] = (Σ_n A^a(a, n)) / N``, sequential over n (SPEC §6.4)."""
    own = terms.own()
    return sequential_reduce(np.add, own, axis=1) / own.shape[1]


# --------------------------------------------------------------------------- §7, §9, §10
def unique_positions(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greedy equivalence classes of positions (SPEC §7) and each actor's reporting class.

    Returns
    -------
    reps : ndarray of shape (U,)
        Index of each class's representative (its first member).
    actor_class : ndarray of shape (N,)
        For actor i, the **last** class whose representative lies within 1e-3 (SPEC §10.2).
    """
    n_actors, n_dims = x.shape
    sq = np.zeros((n_actors, n_actors))
    for k in range(n_dims):
        diff = x[:, None, k] - x[None, :, k]
        sq += diff * diff
    near = np.sqrt(sq) < EQUIVALENCE_TOLERANCE
    # a is a representative iff no earlier representative lies within the tolerance; `near`
    # is symmetric (|x_a − x_b| and |x_b − x_a| square to the same bits), so one running
    # "covered" row per new representative replaces a scan of all representatives per actor
    covered = np.zeros(n_actors, dtype=bool)
    reps: list[int] = []
    for a in range(n_actors):
        if not covered[a]:
            reps.append(a)
            covered |= near[a]
    rep_arr = np.array(reps, dtype=int)
    near_rep = near[:, rep_arr]                                   # (N, U)
    last = near_rep.shape[1] - 1 - np.argmax(near_rep[:, ::-1], axis=1)
    return rep_arr, last


def win_probabilities(terms: StateTerms, c: np.ndarray, x: np.ndarray, rule: str, law: str,
                      pce: str, estimator: int | None = None,
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each actor's reported win probability in a state (SPEC §10.2; §10.3 with ``estimator``).

    Voters a with weights c_a vote over the unique positions with utilities ``A^a(a, r_q)``
    (own perspective) or ``A^h(a, r_q)`` for ``estimator = h``.

    Returns
    -------
    actor_prob : ndarray of shape (N,)
        Probability of the class each actor reports (actors sharing a position share it).
    reps : int ndarray of shape (U,)
        Representative actor of each unique position.
    class_prob : ndarray of shape (U,)
        Probability that each unique position wins (sums to 1).
    """
    reps, actor_class = unique_positions(x)
    if estimator is None:
        util = terms.own()[:, reps]
    else:
        util = terms.estimator_view(estimator)[:, reps]
    pi = scalar_pce(c, util, rule, law, pce)
    return pi[actor_class], reps, pi


def state_distance(x_new: np.ndarray, x_old: np.ndarray) -> float:
    """``dist(t1, t2) = Σ_i ‖x_i − x'_i‖₂`` with sequential sums (SPEC §9)."""
    sq = np.zeros(x_new.shape[0])
    for k in range(x_new.shape[1]):
        diff = x_new[:, k] - x_old[:, k]
        sq += diff * diff
    return float(sequential_reduce(np.add, np.sqrt(sq)))


# --------------------------------------------------------------------------- §6, §9 the run
@dataclass(frozen=True)
class SMPTrace:
    """Raw per-turn record of one SMP run (all on the internal [0, 1] scale).

    Attributes
    ----------
    positions : ndarray of shape (T + 1, N, M)
        ``x^t``; row 0 is the input.
    win_prob : ndarray of shape (T + 1, N)
        Reported win probability per state (SPEC §10.2).
    risk : ndarray of shape (T + 1, N)
        Risk attitudes R_i of each state (SPEC §4).
    target : int ndarray of shape (T, N)
        Target chosen by each initiator in turn t+1, -1 for none (SPEC §6.1).
    challenge_p, challenge_gain : ndarrays of shape (T, N)
        The initiator's own ``(p, Δ)`` for its chosen target (NaN without a target).
    bargains : list of T ndarrays of shape (B_t, 3 + 2M)
        Per turn: ``initiator, target, p_used, y_I (M), y_J (M)`` of every bargain proposed.
    adopted : int ndarray of shape (T, N)
        Per actor, index into that turn's ``bargains`` of the option it adopted, -1 for the
        status quo (SPEC §6.4).
    adopted_prob : ndarray of shape (T, N)
        The queue-vote probability of the adopted option.
    fractional_change : ndarray of shape (T,)
        ``ratio(t)`` of SPEC §9.
    stop_reason : str
        ``"converged"`` (ratio < 0.02 at t ≥ 2) or ``"turn-limit"``.
    per_estimator : ndarray of shape (T + 1, N, N) or None
        ``[t, h, i]``: win probability of actor i's position in h's estimate (SPEC §10.3).
    classes : list of T + 1 tuples ``(reps, class_prob)``
        Per state, the unique positions' representatives and their win probabilities.
    bargain_queue_prob : list of T ndarrays of shape (B_t, 2)
        Per bargain, its probability in the initiator's queue vote and in the target's.
    status_quo_prob : ndarray of shape (T, N)
        Probability of the status quo in each actor's queue vote (1 with an empty queue).
    """

    positions: np.ndarray
    win_prob: np.ndarray
    risk: np.ndarray
    target: np.ndarray
    challenge_p: np.ndarray
    challenge_gain: np.ndarray
    bargains: list[np.ndarray]
    adopted: np.ndarray
    adopted_prob: np.ndarray
    fractional_change: np.ndarray
    stop_reason: str
    per_estimator: np.ndarray | None
    classes: list[tuple[np.ndarray, np.ndarray]]
    bargain_queue_prob: list[np.ndarray]
    status_quo_prob: np.ndarray


def _queue_groups(counts: np.ndarray, starts: np.ndarray, member: np.ndarray, n_actors: int,
                  pce: str):
    """The queue votes of a turn, as few array programs as memory allows (SPEC §6.3–6.4).

    Yields ``(owners (G,), members (G, L), valid (G, L))``: queue owners, the bargain indices in
    queue order (padded past each queue's end), and which entries are real. Small turns go as
    one padded vote (:func:`_masked_pce`, conditional PCE only); otherwise one vote per queue
    length, unpadded.
    """
    owners_all = np.flatnonzero(counts > 0)
    if not owners_all.size:
        return
    k_max = int(counts.max())
    if pce == "conditional" and owners_all.size * n_actors * (k_max + 1) ** 2 <= _MERGED_QUEUE_CELLS:
        slot = np.arange(k_max)
        valid = slot[None, :] < counts[owners_all][:, None]
        members = member[np.minimum(starts[owners_all][:, None] + slot, member.size - 1)]
        yield owners_all, np.where(valid, members, 0), valid
        return
    for length in np.unique(counts[owners_all]):
        owners = np.flatnonzero(counts == length)
        members = member[starts[owners][:, None] + np.arange(length)]
        yield owners, members, np.ones(members.shape, dtype=bool)


def is_consensus(x: np.ndarray) -> np.ndarray:
    """True where every actor holds exactly the same position (shape ``x.shape[:-2]``).

    The bargaining has then reached full consensus: the vote is a single option, every win
    probability is equal, and the risk attitudes of SPEC §4 are 0/0 (KTAB does not guard
    this). A run that arrives here has ended; it is stopped with ``stop_reason="consensus"``
    and its one outcome has probability 1. An *input* in this state is still an error.
    """
    return np.all(x == x[..., :1, :], axis=(-2, -1))


class DegenerateStateError(ArithmeticError):
    """The state has no spread of win probabilities, so risk attitudes are 0/0 (SPEC §4)."""


def simulate(c: np.ndarray, x0: np.ndarray, s: np.ndarray, *, rule: str = "proportional",
             law: str = "linear", pce: str = "conditional", big_r_range: str = "mid",
             big_r_adjust: str = "one-third", commit: str = "semi", scheme: str = "s2p2",
             bargain_model: str = "init-only", fix_ktab_quirks: bool = False,
             transitions: str = "deterministic", rng: np.random.Generator | None = None,
             max_turns: int = 100, stop_ratio: float = 0.02,
             per_estimator: bool = False) -> SMPTrace:
    """Run the SMP from state 0 until the stopping rule (SPEC §6, §8, §9).

    Parameters
    ----------
    c : ndarray of shape (N,)
        Capabilities (> 0).
    x0 : ndarray of shape (N, M)
        Input positions on [0, 1].
    s : ndarray of shape (N, M)
        Saliences on [0, 1], each row summing to at most 1 and more than 0.
    rule, law, pce, big_r_range, big_r_adjust, commit, scheme, bargain_model : str
        Model options (see :class:`detente.bargaining.smp.SMPOptions`).
    fix_ktab_quirks : bool
        Use the repaired forms of the two BargnModel quirks (SPEC §12).
    transitions : {"deterministic", "stochastic"}
        Arg-max queue choice, or one uniform draw per queue from ``rng``.
    max_turns, stop_ratio : int, float
        Stopping rule: at most ``max_turns`` turns; stop after turn t ≥ 2 when
        ``dist(t, t−1) / (dist(1, 0) + 1e-4) < stop_ratio`` (SPEC §9).
    per_estimator : bool
        Also compute every estimator's win probabilities (O(N⁴) per state; SPEC §10.3).
    """
    n_actors, n_dims = x0.shape
    sigma = sequential_reduce(np.add, s, axis=1)
    x = x0.copy()
    # Λ = I (CSV input, SPEC §8): the ideal is always the current position.
    positions = [x.copy()]
    win_prob, risk_hist, per_est = [], [], []
    targets, chal_p, chal_gain, bargains_hist, adopted_hist, adopted_p = [], [], [], [], [], []
    fractions: list[float] = []
    classes: list[tuple[np.ndarray, np.ndarray]] = []
    queue_prob: list[np.ndarray] = []
    sq_prob: list[np.ndarray] = []
    first_step = 0.0
    stop_reason = "turn-limit"

    def terms_of(x_state: np.ndarray) -> StateTerms:
        terms = state_terms(x_state, x_state, s, c, rule, law, pce, big_r_range, big_r_adjust)
        if not np.all(np.isfinite(terms.risk)):
            raise DegenerateStateError("all actors have the same win probability")
        actor_prob, reps, class_prob = win_probabilities(terms, c, x_state, rule, law, pce)
        win_prob.append(actor_prob)
        classes.append((reps, class_prob))
        risk_hist.append(terms.risk)
        if per_estimator:
            per_est.append(np.stack([win_probabilities(terms, c, x_state, rule, law, pce, h)[0]
                                     for h in range(n_actors)]))
        return terms

    terms = terms_of(x)
    for turn in range(1, max_turns + 1):
        xi = x  # ideals equal positions (Λ = I)
        p, gain = assess_all_challenges(terms, sigma, c, rule, commit)
        target = choose_targets(gain)
        init = np.flatnonzero(target >= 0)
        tgt = target[init]
        p_own = p[init, tgt]
        targets.append(target)
        cp = np.full(n_actors, np.nan)
        cg = np.full(n_actors, np.nan)
        cp[init] = p_own
        cg[init] = gain[init, tgt]
        chal_p.append(cp)
        chal_gain.append(cg)

        # §6.2 bargains, one per initiator (InitOnlyInterp) or two (InitRcvrInterp)
        y_i, y_j = interpolate_bargain(x[init], x[tgt], s[init], s[tgt], p_own, scheme)
        b_init, b_tgt, b_p, b_yi, b_yj = init, tgt, p_own, y_i, y_j
        if bargain_model != "init-only" and init.size:
            p_view, gain_view = assess_challenges(terms, sigma, c, rule, commit,
                                                  h=tgt, k=init, i=init, j=tgt)
            # KTAB passes the expected-gain slot of E(j, i, i, j) as the probability (quirk)
            p_rcvr = p_view if fix_ktab_quirks else gain_view
            r_yi, r_yj = interpolate_bargain(x[init], x[tgt], s[init], s[tgt], p_rcvr, scheme)
            if bargain_model == "init-rcvr":
                order = np.argsort(np.concatenate([2 * init, 2 * init + 1]), kind="stable")
                b_init = np.concatenate([init, init])[order]
                b_tgt = np.concatenate([tgt, tgt])[order]
                b_p = np.concatenate([p_own, p_rcvr])[order]
                b_yi = np.concatenate([y_i, r_yi])[order]
                b_yj = np.concatenate([y_j, r_yj])[order]
            else:  # "pw-comp": one bargain, the weighted mean of both views
                w_own = (c[init] * sigma[init])[:, None]
                # KTAB weighs the target's view with the initiator's capability (quirk)
                w_rcvr = ((c[tgt] if fix_ktab_quirks else c[init]) * sigma[tgt])[:, None]
                b_yi = (w_own * y_i + w_rcvr * r_yi) / (w_own + w_rcvr)
                b_yj = (w_own * y_j + w_rcvr * r_yj) / (w_own + w_rcvr)
        bargains_hist.append(np.column_stack([b_init, b_tgt, b_p, b_yi, b_yj])
                             if b_init.size else np.zeros((0, 3 + 2 * n_dims)))

        # §6.3–6.4 queues: SQ_k first, then k's bargains in initiator order
        u_sq = status_quo_utility(terms)
        u_b = bargain_utilities(terms, xi, s, b_init, b_tgt, b_yi, b_yj)
        new_x = x.copy()
        chosen = np.full(n_actors, -1)
        chosen_p = np.ones(n_actors)
        status_p = np.ones(n_actors)
        b_prob = np.full((b_init.size, 2), np.nan)
        # one uniform per queue, in actor order, drawn up front (stochastic transitions)
        draws = rng.uniform(size=n_actors) if transitions == "stochastic" else None
        # queue k: every bargain with k as initiator or target, in bargain (initiator) order
        n_b = b_init.size
        owner = np.concatenate([b_init, b_tgt])
        member = np.concatenate([np.arange(n_b), np.arange(n_b)])
        order = np.lexsort((member, owner))
        owner, member = owner[order], member[order]
        counts = np.bincount(owner, minlength=n_actors)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        for owners, members, valid in _queue_groups(counts, starts, member, n_actors, pce):
            safe = np.where(valid, members, 0)                          # (G, length)
            util = np.concatenate([np.broadcast_to(u_sq[None, :, None],
                                                   (owners.size, n_actors, 1)),
                                   u_b[:, safe].transpose(1, 0, 2)], axis=2)  # (G, N, K)
            if valid.all():
                pi = scalar_pce(c, util, rule, law, pce)                # (G, K)
            else:                                                       # padded queues
                ok = np.concatenate([np.ones((owners.size, 1), dtype=bool), valid], axis=1)
                pi = _masked_pce(c, util, ok, rule, law)
            length = valid.sum(axis=1)
            if draws is None:
                pick = np.argmax(pi, axis=1)                            # first maximal option
            else:                                                       # inverse CDF, queue order
                cdf = np.add.accumulate(pi, axis=1)
                pick = np.minimum((cdf <= (draws[owners] * cdf[:, -1])[:, None]).sum(axis=1),
                                  length)
            rows = np.arange(owners.size)
            status_p[owners] = pi[:, 0]
            side = (b_init[safe] != owners[:, None]).astype(int)         # 0 initiator, 1 target
            b_prob[safe[valid], side[valid]] = pi[:, 1:][valid]
            chosen_p[owners] = pi[rows, pick]
            adopt = pick > 0
            if adopt.any():
                who = owners[adopt]
                b = members[rows[adopt], pick[adopt] - 1]
                chosen[who] = b
                as_initiator = (b_init[b] == who)[:, None]
                new_x[who] = np.where(as_initiator, b_yi[b], b_yj[b])
        adopted_hist.append(chosen)
        adopted_p.append(chosen_p)
        queue_prob.append(b_prob)
        sq_prob.append(status_p)

        # §9 stopping rule
        step = state_distance(new_x, x)
        if turn == 1:
            first_step = step
        ratio = step / (first_step + 1e-4)
        fractions.append(ratio)
        x = new_x
        positions.append(x.copy())
        if is_consensus(x):  # every actor at one position: the vote has a single option
            win_prob.append(np.full(n_actors, 1.0 / n_actors))
            classes.append((np.array([0]), np.array([1.0])))
            risk_hist.append(np.full(n_actors, np.nan))
            if per_estimator:
                per_est.append(np.full((n_actors, n_actors), 1.0 / n_actors))
            stop_reason = "consensus"
            break
        terms = terms_of(x)
        if turn >= 2 and ratio < stop_ratio:
            stop_reason = "converged"
            break
    return SMPTrace(
        positions=np.stack(positions),
        win_prob=np.stack(win_prob),
        risk=np.stack(risk_hist),
        target=np.stack(targets),
        challenge_p=np.stack(chal_p),
        challenge_gain=np.stack(chal_gain),
        bargains=bargains_hist,
        adopted=np.stack(adopted_hist),
        adopted_prob=np.stack(adopted_p),
        fractional_change=np.array(fractions),
        stop_reason=stop_reason,
        per_estimator=np.stack(per_est) if per_estimator else None,
        classes=classes,
        bargain_queue_prob=queue_prob,
        status_quo_prob=np.stack(sq_prob),
    )


# --------------------------------------------------------------------------- draws in lockstep
def _masked_pce(w: np.ndarray, u: np.ndarray, valid: np.ndarray, rule: str,
                law: str) -> np.ndarray:
    """Conditional PCE over the valid options only, for many votes at once (SPEC §3).

    Invalid options get probability 0 and leave the valid ones' numbers bit for bit as a vote
    over the valid options alone would give them: each pair's coalition strength involves
    only that pair, an invalid option contributes a factor 1.0 to every product and a 0.0 to
    the normaliser, both exact.

    Parameters
    ----------
    w : ndarray of shape (..., V)
    u : ndarray of shape (..., V, K)
    valid : bool ndarray of shape (..., K)
    """
    prob = victory_probabilities(coalition_strengths(w, u, rule), law)
    prob = np.where(valid[..., None, :], prob, 1.0)
    k = prob.shape[-1]
    g = prob[..., 0].copy()
    for col in range(1, k):
        g *= prob[..., col]
    g = np.where(valid, g, 0.0)
    total = g[..., 0].copy()
    for col in range(1, k):
        total += g[..., col]
    return g / total[..., None]


def expected_position(class_prob: np.ndarray, class_pos: np.ndarray) -> np.ndarray:
    """``Σ_q π_q x_q`` summed over classes in order (SPEC §10.2 probabilities).

    Parameters
    ----------
    class_prob : ndarray of shape (..., U)
    class_pos : ndarray of shape (..., U, M)

    Returns
    -------
    ndarray of shape (..., M)
    """
    terms = class_prob[..., :, None] * class_pos
    return sequential_reduce(np.add, terms, axis=-2)


def simulate_batch(c: np.ndarray, x0: np.ndarray, s: np.ndarray, *, rule: str = "proportional",
                   law: str = "linear", big_r_range: str = "mid",
                   big_r_adjust: str = "one-third", commit: str = "semi",
                   scheme: str = "s2p2", max_turns: int = 100,
                   stop_ratio: float = 0.02) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Many independent SMP runs in lockstep, one leading draw axis (SPEC §4–§10).

    The same model as :func:`simulate` (conditional PCE, InitOnlyInterp bargains,
    deterministic transitions), for Monte Carlo draws: every draw is one array slice, draws
    that have stopped leave the batch, and each draw's numbers equal a single :func:`simulate`
    run on it bit for bit (tests/bargaining/test_smp_kernels.py). Only the final state is
    summarised.

    Parameters
    ----------
    c : ndarray of shape (B, N)
    x0, s : ndarrays of shape (B, N, M)
        Positions and saliences on [0, 1].

    Returns
    -------
    final : ndarray of shape (B, N, M)
        Positions of each draw's last state.
    class_prob : ndarray of shape (B, N)
        Win probability of each unique position of that state, at its representative actor
        (0 for the other actors), SPEC §7 and §10.2; see :func:`expected_position`.
    turns : int ndarray of shape (B,)
    """
    n_draws, n_actors, _ = x0.shape
    idx = np.arange(n_actors)
    sigma = sequential_reduce(np.add, s, axis=-1)
    final = x0.copy()
    turns = np.zeros(n_draws, dtype=int)
    first_step = np.zeros(n_draws)
    live = np.arange(n_draws)
    x = x0.copy()

    def terms_of(xb, sb, cb):
        distance = weighted_distance(xb, xb, sb)
        pi = _masked_pce(cb, 1.0 - distance, np.ones(distance.shape[:-1], dtype=bool), rule,
                         law)
        risk = risk_attitudes(pi, big_r_range)
        if not np.all(np.isfinite(risk)):
            raise DegenerateStateError("all actors have the same win probability")
        return distance, risk, estimated_risk(risk, big_r_adjust)

    distance, risk, r_est = terms_of(x, s, c)
    for turn in range(1, max_turns + 1):
        sb, cb, wb = s[live], c[live], (sigma * c)[live]
        nb = live.size
        one_minus_d = 1.0 - distance
        r_own = r_est[:, idx, idx]                                     # Rh[a, a]
        own = one_minus_d * (1.0 + distance * r_own[:, :, None])      # [b, i, j] = A^i(i, j)
        # §5: every initiator's assessment of every target, all draws at once
        a_ii = own[:, idx, idx]
        d_t = np.swapaxes(distance, -1, -2)
        a_ji = (1.0 - d_t) * (1.0 + d_t * r_est)                       # A^i(j, i)
        d_jj = distance[:, idx, idx][:, None, :]
        a_jj = (1.0 - d_jj) * (1.0 + d_jj * r_est)                     # A^i(j, j)
        e_i = vote(wb[:, :, None], a_ii[:, :, None], own, rule)
        e_j = vote(wb[:, None, :], a_ji, a_jj, rule)
        t_ij = np.full(own.shape, PRINCIPAL_FLOOR)
        t_ji = np.full(own.shape, PRINCIPAL_FLOOR)
        for e in (e_i, e_j):
            t_ij += np.maximum(e, 0.0)
            t_ji += np.maximum(-e, 0.0)
        b_i, b_j = t_ij.copy(), t_ji.copy()
        r_t = np.swapaxes(r_est, -1, -2)                               # [b, n, h] = Rh[h, n]
        for n in range(n_actors):                                      # third parties in order
            d = distance[:, n, None, :]
            slab = d * r_t[:, n, :, None]
            slab += 1.0
            slab *= one_minus_d[:, n, None, :]                         # A^h(n, j)
            a = slab[:, idx, idx][:, :, None]
            z = slab[:, :, n][:, :, None]
            w_n = wb[:, n, None, None]
            e = vote(w_n, a, slab, rule)
            l_i = b_i + np.maximum(e, 0.0)
            l_j = b_j - np.minimum(e, 0.0)
            rho = l_i / (l_i + l_j)
            rho_c = 1.0 - rho
            two_a = a + a
            two_b = slab + slab
            g1 = two_a + (a if commit == "full" else z)
            g3 = two_a + (z if commit == "none" else a)
            g2 = two_b + (z if commit == "none" else slab)
            g4 = two_b + (slab if commit == "full" else z)
            t = vote(w_n, rho * g1 + rho_c * g2, rho * g3 + rho_c * g4, rule)
            t[:, n, :] = 0.0
            t[:, :, n] = 0.0
            t_ij += np.maximum(t, 0.0)
            t_ji -= np.minimum(t, 0.0)
        total = t_ij + t_ji
        p = t_ij / total
        p_c = t_ji / total
        u_win = (a_ii + a_ii)[:, :, None]
        u_contest = p * u_win + p_c * (own + own)
        u_chlg = (1.0 - sigma[live][:, None, :]) * u_win + sigma[live][:, None, :] * u_contest
        gain = u_chlg - (a_ii[:, :, None] + own)
        gain[:, idx, idx] = -np.inf
        target = choose_targets(gain.reshape(nb * n_actors, n_actors)).reshape(nb, n_actors)
        has = target >= 0                                              # (b, i)
        tgt = np.where(has, target, idx[None, :])                      # self where none
        p_own = np.take_along_axis(p, tgt[:, :, None], axis=2)[:, :, 0]
        x_t = np.take_along_axis(x, tgt[:, :, None], axis=1)
        s_t = np.take_along_axis(sb, tgt[:, :, None], axis=1)
        y_i, y_j = interpolate_bargain(x.reshape(-1, x.shape[-1]), x_t.reshape(-1, x.shape[-1]),
                                       sb.reshape(-1, x.shape[-1]),
                                       s_t.reshape(-1, x.shape[-1]), p_own.reshape(-1), scheme)
        y_i = y_i.reshape(x.shape)
        y_j = y_j.reshape(x.shape)
        # §6.4 utilities of each bargain (indexed by its initiator) to every voter
        u_first = risk_utility(weighted_distance(x, y_i, sb), risk[:, :, None])
        u_second = risk_utility(weighted_distance(x, y_j, sb), risk[:, :, None])
        ubar = (0.0 + u_first) + u_second                              # (b, a, bargain i)
        for n in range(n_actors):
            keep = (has & (idx[None, :] != n) & (tgt != n)).astype(float)  # (b, i)
            ubar += own[:, :, n, None] * keep[:, None, :]
        ubar /= n_actors
        u_sq = sequential_reduce(np.add, own, axis=-1) / n_actors      # (b, a)
        # queues: SQ_k, then bargains with k as initiator or target, ascending initiator
        member = has[:, None, :] & ((idx[None, :, None] == idx[None, None, :])
                                    | (tgt[:, None, :] == idx[None, :, None]))  # (b, k, i)
        k_max = int(member.sum(axis=-1).max()) if nb else 0
        new_x = x.copy()
        if k_max:
            order = np.argsort(~member, axis=-1, kind="stable")[..., :k_max]   # (b, k, m)
            valid = np.take_along_axis(member, order, axis=-1)
            gathered = np.take_along_axis(
                np.broadcast_to(ubar[:, None, :, :], (nb, n_actors, n_actors, n_actors)),
                np.broadcast_to(order[:, :, None, :], (nb, n_actors, n_actors, k_max)),
                axis=-1)                                               # (b, k, a, m)
            util = np.concatenate([np.broadcast_to(u_sq[:, None, :, None],
                                                   (nb, n_actors, n_actors, 1)), gathered],
                                  axis=-1)
            ok = np.concatenate([np.ones((nb, n_actors, 1), dtype=bool), valid], axis=-1)
            pi = _masked_pce(np.broadcast_to(cb[:, None, :], (nb, n_actors, n_actors)), util,
                             ok, rule, law)
            pick = np.argmax(pi, axis=-1)                              # (b, k)
            moves = pick > 0
            bb, kk = np.nonzero(moves)
            ii = order[bb, kk, pick[bb, kk] - 1]
            new_x[bb, kk] = np.where((ii == kk)[:, None], y_i[bb, ii], y_j[bb, ii])
        # §9 stopping rule, per draw
        diff = new_x - x
        sq = np.zeros(diff.shape[:-1])
        for k in range(diff.shape[-1]):
            sq += diff[..., k] * diff[..., k]
        step = sequential_reduce(np.add, np.sqrt(sq), axis=-1)
        if turn == 1:
            first_step = step
        ratio = step / (first_step + 1e-4)
        x = new_x
        done = (turn >= 2) & (ratio < stop_ratio) if turn < max_turns else np.ones(nb, bool)
        done |= is_consensus(x)  # as simulate(): a draw at consensus has ended
        final[live[done]] = x[done]
        turns[live[done]] = turn
        keep_b = ~done
        live, x, first_step = live[keep_b], x[keep_b], first_step[keep_b]
        if not live.size:
            break
        distance, risk, r_est = terms_of(x, s[live], c[live])
    # §10.2 for each final state: unique positions and their win probabilities; a draw at
    # consensus has one position (its first actor represents it) with probability 1
    consensus = is_consensus(final)
    class_prob = np.zeros((n_draws, n_actors))
    class_prob[consensus, 0] = 1.0
    rest = np.flatnonzero(~consensus)
    if rest.size:
        fin, c_r = final[rest], c[rest]
        distance, risk, r_est = terms_of(fin, s[rest], c_r)
        own = (1.0 - distance) * (1.0 + distance * r_est[:, idx, idx][:, :, None])
        sq = np.zeros(distance.shape)
        for k in range(fin.shape[-1]):
            diff = fin[:, :, None, k] - fin[:, None, :, k]
            sq += diff * diff
        near = np.sqrt(sq) < EQUIVALENCE_TOLERANCE
        is_rep = np.zeros((rest.size, n_actors), dtype=bool)
        for a in range(n_actors):                  # greedy first-representative rule (§7)
            is_rep[:, a] = ~np.any(near[:, a, :] & is_rep, axis=-1)
        class_prob[rest] = _masked_pce(c_r, own, is_rep, rule, law)
    return final, class_prob, turns
