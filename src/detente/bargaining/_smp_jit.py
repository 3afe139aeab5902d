"""Compiled loops for the O(N³) parts of an SMP turn on large cases (issue 16).

:mod:`detente.bargaining._smp_kernels` imports this module only from
``_smp_kernels._JIT_MIN_ACTORS`` actors on, so numba (≈ 0.2 s to import) is never loaded for
small cases, ``detente --help`` or the 7×3 forecast. Each function here is the only
implementation of its job at those sizes; below them the NumPy code in ``_smp_kernels`` does
the same arithmetic on whole arrays.

Bit for bit
-----------
SMP must equal KTAB exactly (SPEC §6.2 quantises bargains, so a last-bit change can move a
coordinate). Every element gets the operations of the NumPy code in the same order, each a
single IEEE-754 double operation: no ``fastmath`` (which would allow reassociation and
fused multiply-adds), and ``error_model="numpy"`` only so that ``/`` compiles to a plain
division (Python's model adds a zero check that stops vectorisation; no divisor here can be
0). Sums over third parties n and over voters v run in ascending order for every cell, as the
spec's sequential sums do. ``np.maximum(x, 0)`` is written ``x if not x <= 0 else 0``, which
keeps a NaN as NumPy does; the two differ only in the sign of a zero result, and every such
term is added to a running total that is already positive (≥ 1e-10), where ±0 give the same
bits. tests/bargaining/test_smp_kernel_equivalence.py checks all of this against the
previous NumPy implementation on every size and option it covers.

Compilation
-----------
The machine code is cached: in ``__pycache__`` beside this file, or, where that folder is not
writable (an installed package), in numba's per-user cache folder; a later process loads it
instead of compiling (≈ 0.6 s for the three loops, once per machine and numba version). Where
neither folder is writable numba refuses ``cache=True`` when the function is defined, so
:func:`_compiled` then compiles in every process instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np


def _compiled(func: Callable) -> Callable:
    """``func`` compiled lazily, IEEE-exact (no fastmath), its machine code cached on disk
    when a cache folder is writable, else compiled once per process."""
    options = {"nogil": True, "error_model": "numpy"}
    try:
        return numba.njit(cache=True, **options)(func)
    except RuntimeError:  # "cannot cache function ...: no locator available" (read-only)
        return numba.njit(cache=False, **options)(func)


@_compiled
def challenge_sweep(d: np.ndarray, one_minus_d: np.ndarray, risk_t: np.ndarray,
                    a_ni: np.ndarray, g1_ni: np.ndarray, g3_ni: np.ndarray, z_ni: np.ndarray,
                    weight: np.ndarray, b_i: np.ndarray, b_j: np.ndarray, t_ij: np.ndarray,
                    t_ji: np.ndarray, full: bool, none: bool) -> None:
    """Add every third party's vote to the principal strengths ``t_ij``, ``t_ji`` in place
    (SPEC §5 step 2, proportional voting rule), third parties n = 0..N−1 in order.

    For initiator i, target j and third party n ∉ {i, j}: ``b = A^i(n, j) = (D[n, j] Rh[i, n]
    + 1)(1 − D[n, j])`` (SPEC §4.6, the operation order of ``_smp_kernels``); the first vote
    ``e = (A^i(n, i) − b) w_n``; ``ρ = L_i / (L_i + L_j)`` with ``L_i = max(e, 0) + B_i``,
    ``L_j = B_j − min(e, 0)``; ``Y = G2 (1 − ρ) + ρ G1``, ``X = G4 (1 − ρ) + ρ G3`` with
    ``G2 = (b + b) + (z if none else b)``, ``G4 = (b + b) + (b if full else z)``; the vote
    ``t = (Y − X) w_n`` is added to ``t_ij`` if positive and subtracted from ``t_ji`` if
    negative.

    Parameters
    ----------
    d, one_minus_d : (N, N) C-ordered
        ``D[n, j]`` and ``1 − D[n, j]``.
    risk_t : (N, N) C-ordered
        ``risk_t[n, i] = Rh[i, n]``.
    a_ni, g1_ni, g3_ni, z_ni : (N, N)
        ``A^i(n, i)``, G1, G3 and ``A^i(n, n)`` indexed ``[n, i]``.
    weight : (N,)
        Vote weights ``σ_n c_n``.
    b_i, b_j : (N, N)
        The principals' own strengths ``B_i``, ``B_j`` per (i, j).
    t_ij, t_ji : (N, N)
        Running strengths, updated in place.
    full, none : bool
        ThirdPartyCommit ``full`` / ``none`` (both False: ``semi``).
    """
    n_actors = d.shape[0]
    for i in range(n_actors):
        tij = t_ij[i]
        tji = t_ji[i]
        bi = b_i[i]
        bj = b_j[i]
        for n in range(n_actors):
            if n == i:                     # i is the third party: its vote is 0
                continue
            r = risk_t[n, i]
            a = a_ni[n, i]
            g1 = g1_ni[n, i]
            g3 = g3_ni[n, i]
            z = z_ni[n, i]
            w = weight[n]
            dn = d[n]
            on = one_minus_d[n]
            for j in range(n_actors):
                b = (r * dn[j] + 1.0) * on[j]
                e = (a - b) * w
                lo = (e if not e <= 0.0 else 0.0) + bi[j]
                lj = bj[j] - (e if not e >= 0.0 else 0.0)
                rho = lo / (lo + lj)
                rho_c = 1.0 - rho
                two_b = b + b
                g2 = two_b + (z if none else b)
                g4 = two_b + (b if full else z)
                t = ((g2 * rho_c + rho * g1) - (g4 * rho_c + rho * g3)) * w
                if j == n:                 # n is the target: its vote is 0
                    t = 0.0
                tij[j] += t if not t <= 0.0 else 0.0
                tji[j] -= t if not t >= 0.0 else 0.0


@_compiled
def coalition_strengths(w: np.ndarray, u: np.ndarray, floor: float) -> np.ndarray:
    """Proportional coalition strengths of G votes with the same voters (SPEC §3 step 1).

    ``C[g, m, m'] = floor + Σ_v max((u[g, v, m] − u[g, v, m']) w_v, 0)``, voters summed in
    order, and ``C[g, m, m] = floor``; the numbers of ``_smp_kernels.coalition_strengths``.

    Parameters
    ----------
    w : (V,)
        Voter weights.
    u : (G, V, K) C-ordered
        Utility to voter v of option m in vote g.
    floor : float
        The coalition-strength floor (1e-8).

    Returns
    -------
    (G, K, K)
    """
    n_votes, n_voters, n_options = u.shape
    strength = np.full((n_votes, n_options, n_options), floor)
    for g in range(n_votes):
        for m in range(n_options):
            row = strength[g, m]
            for v in range(n_voters):
                um = u[g, v, m]
                wv = w[v]
                uv = u[g, v]
                for k in range(n_options):
                    q = (um - uv[k]) * wv
                    row[k] += q if not q <= 0.0 else 0.0
            row[m] = floor
    return strength


@_compiled
def add_other_utilities(total: np.ndarray, own_t: np.ndarray, initiator: np.ndarray,
                        target: np.ndarray) -> None:
    """Add every non-party's utility to each bargain's total in place (SPEC §6.4).

    ``total[b, a] += A^a(a, n)`` for n = 0..N−1 in order, skipping ``initiator[b]`` and
    ``target[b]``; the sums of ``_smp_kernels.bargain_utilities``.

    Parameters
    ----------
    total : (B, N) C-ordered
        Per bargain b and voter a, ``(0 + U(d_a(y_I), R_a)) + U(d_a(y_J), R_a)`` so far.
    own_t : (N, N) C-ordered
        ``own_t[n, a] = A^a(a, n)``.
    initiator, target : (B,) int64
    """
    n_bargains, n_actors = total.shape
    for b in range(n_bargains):
        row = total[b]
        first = initiator[b]
        second = target[b]
        for n in range(n_actors):
            if n == first or n == second:
                continue
            other = own_t[n]
            for a in range(n_actors):
                row[a] += other[a]
