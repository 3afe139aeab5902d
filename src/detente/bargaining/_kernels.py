"""Array kernels of Bueno de Mesquita's expected-utility model (Scholz, Calbert & Smith 2011).

Pure functions over numpy arrays with a leading batch axis; no validation (that happens in
:mod:`detente.bargaining.bdm`), no I/O. Notation follows Scholz, Calbert & Smith (2011),
"Unravelling Bueno De Mesquita's group decision model", JTP 23(4), and the reference spec
(``reference/bargaining/bdm/SPEC.md``, cited as "spec §n").

Shapes (the names used throughout)
----------------------------------
- ``B`` draws (batch), ``n`` actors.
- ``x`` positions, ``c`` capabilities, ``s`` saliences on **[0, 1]**: ``(B, n)``.
- ``R`` the range of positions used to normalise distances: ``(B,)``.
- Pairwise matrices are ``(B, n, n)`` indexed ``[b, challenger, target]`` unless stated; the
  voter tensor in :func:`success_probability` is ``(B, voter, i, j)``.

Offer codes: 0 none, 1 confrontation, 2 compromise, 3 capitulation (:data:`OFFER_CODE`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NONE, CONFRONTATION, COMPROMISE, CAPITULATION = 0, 1, 2, 3
OFFER_CODE = {"confrontation": CONFRONTATION, "compromise": COMPROMISE,
              "capitulation": CAPITULATION}

#: acceptance priority by offer code (spec §8): confrontation, compromise, capitulation, none
_PRIORITY = np.array([3, 0, 1, 2], dtype=np.int8)

#: up to this many actors the O(n³) direct sum of P is faster than the sorted prefix sums
DENSE_MAX_ACTORS = 12

#: relative tolerance under which two median-vote totals count as an exact tie
_TIE_RTOL = 1e-12


def weighted_median(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Lowest position minimising ``Σ_k w_k |x_k − y|``: the weighted median voter, shape (B,).

    The one weighted median of détente (BDM's median voter, SMP's reported median, the start
    median of every forecast). Computed by sorting: the first sorted position at which the
    cumulative weight reaches half the total (within a relative 1e-12, so exact ties go to the
    lower position) minimises the sum of weighted distances.

    Parameters
    ----------
    x, w : ndarrays of shape (B, n)
    """
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, axis=1)
    ws = np.take_along_axis(w, order, axis=1)
    cum = np.cumsum(ws, axis=1)
    half = cum[:, -1:] / 2.0
    first = np.argmax(cum >= half * (1 - 1e-12), axis=1)
    return xs[np.arange(x.shape[0]), first]


def median_voter(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Condorcet-winning position μ among the actors' positions (spec §3, Appendix step 3).

    With linear votes ``v_k(a, b) = w_k (|x_k − b| − |x_k − a|)/R`` (eq. 26/28 up to a factor),
    ``V(a, b) = (f(b) − f(a))/R`` with ``f(y) = Σ_k w_k |x_k − y|``. Scholz's champion
    procedure (ascending candidates, a challenger replaces the champion only if it wins
    strictly) therefore ends at the **lowest position minimising f**: the (c·s)-weighted median
    (:func:`weighted_median`; ``tests/bargaining/test_bdm_kernels.py`` checks it against the
    direct all-pairs search of f).

    Parameters
    ----------
    x : ndarray of shape (B, n)
    w : ndarray of shape (B, n)
        Vote weights c_k·s_k.

    Returns
    -------
    ndarray of shape (B,)
    """
    return weighted_median(x, w)


def median_voter_search(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """μ by the direct search of spec §3: the lowest candidate minimising ``f`` (all pairs,
    totals within a relative 1e-12 count as ties); kept as the independent check of
    :func:`median_voter`."""
    f = np.einsum("bk,bka->ba", w, np.abs(x[:, :, None] - x[:, None, :]))  # (B, candidate)
    f_min = f.min(axis=1, keepdims=True)
    scale = np.maximum(np.abs(f).max(axis=1, keepdims=True), np.finfo(float).tiny)
    is_min = f <= f_min + _TIE_RTOL * scale
    return np.where(is_min, x, np.inf).min(axis=1)


def weighted_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Capability×salience-weighted mean ``Σ c_k s_k x_k / Σ c_k s_k`` (spec §3), shape (B,).

    If every weight is 0 the unweighted mean is returned.
    """
    total = w.sum(axis=1)
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, (w * x).sum(axis=1) / safe, x.mean(axis=1))


def success_probability(
    x: np.ndarray, w: np.ndarray, R: np.ndarray, rho: np.ndarray | None, form: str,
    d: np.ndarray | None = None,
) -> np.ndarray:
    """P_ij, the probability that i prevails over j (spec §4), shape (B, i, j).

    ``form="scholz"`` (spec §4b, Scholz's code as in [JM]): with
    ``v_k(a, b) = w_k ((|x_k − x_b|/R)^ρ_k − (|x_k − x_a|/R)^ρ_k)``,

    ``P_ij = Σ_k max(0, v_k(x_i, x_j)) / Σ_k Σ_a Σ_b |v_k(x_a, x_b)|``.

    ``form="paper"`` (eq. 30/31 as printed): ``P_ij = Σ_{k: Δ_k>0} w_k Δ_k / Σ_k w_k |Δ_k|`` with
    ``Δ_k = |x_k − x_j| − |x_k − x_i|`` (linear, no risk exponent), so P_ij + P_ji = 1.

    P_ij = 0 where x_i = x_j (and wherever a denominator is 0).

    Parameters
    ----------
    x, w : ndarray of shape (B, n)
    R : ndarray of shape (B,)
    rho : ndarray of shape (B, n) or None
        Voters' risk exponents r_k; None means all 1 (first pass).
    form : {"scholz", "paper"}
    d : ndarray of shape (B, n, n), optional
        ``|x_a − x_b| / R`` if already computed (it is shared by the whole round).

    Notes
    -----
    The numerator ``S_ij = Σ_k w_k max(0, G_kj − G_ki)`` (``G_ka = (|x_k − x_a|/R)^ρ_k``) is
    summed directly (O(n³)) up to :data:`DENSE_MAX_ACTORS` actors, where that is faster, and
    above it in O(n² log n): since ρ_k > 0, voter k prefers i to j exactly when it
    is nearer to i, i.e. on i's side of the midpoint ``(x_i + x_j)/2``. With voters sorted by
    position and prefix sums ``H[m, a] = Σ_{first m voters} w_k G_ka``,
    ``S_ij = H[m_ij, j] − H[m_ij, i]`` if x_i < x_j and
    ``(H[n, j] − H[m_ij, j]) − (H[n, i] − H[m_ij, i])`` if x_i > x_j, where m_ij counts the
    voters strictly below the midpoint. :func:`success_probability_dense` is the direct
    O(n³) sum, kept as an independent check. Both denominators follow from S:
    ``Σ_k w_k |Δ_k(i, j)| = S_ij + S_ji`` and, because ``|v| = max(0, v) + max(0, −v)``,
    ``Σ_k Σ_a Σ_b |v_k(x_a, x_b)| = 2 Σ_a Σ_b S_ab``.
    """
    r = rho if form == "scholz" else None
    if x.shape[1] <= DENSE_MAX_ACTORS:
        if d is None:
            d = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]
        return _normalise(_support_dense(d if r is None else d ** r[:, :, None], w), form)
    return _normalise(_support(x, w, R, r), form)


def success_probability_dense(
    x: np.ndarray, w: np.ndarray, R: np.ndarray, rho: np.ndarray | None, form: str
) -> np.ndarray:
    """:func:`success_probability` by the direct O(n³) sum over (voter, i, j) (spec §4)."""
    dist = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]  # (B, voter k, actor a)
    if rho is not None and form == "scholz":
        dist = dist ** rho[:, :, None]
    return _normalise(_support_dense(dist, w), form)


def _support_dense(G: np.ndarray, w: np.ndarray) -> np.ndarray:
    """S_ij = Σ_k w_k max(0, G_kj − G_ki) from G of shape (B, voter k, actor a), directly."""
    B, n, _ = G.shape
    gain = G[:, :, None, :] - G[:, :, :, None]  # (B, k, i, j) = G[k, j] − G[k, i]
    np.maximum(gain, 0.0, out=gain)  # in place: the allocation costs more than the arithmetic
    return np.matmul(w[:, None, :], gain.reshape(B, n, n * n)).reshape(B, n, n)


def _normalise(support: np.ndarray, form: str) -> np.ndarray:
    """P from the support matrix S (B, i, j) with the form's denominator.

    S_ij = 0 exactly where x_i = x_j (every voter's two distances are equal), so those P are 0
    without a mask; a zero denominator (everyone at one position) gives P = 0.
    """
    if form == "scholz":
        den = 2.0 * support.sum(axis=(1, 2))
        return support / np.where(den > 0, den, 1.0)[:, None, None]
    den = support + support.transpose(0, 2, 1)
    ok = den > 0
    return np.where(ok, support / np.where(ok, den, 1.0), 0.0)


def _support(x: np.ndarray, w: np.ndarray, R: np.ndarray, rho: np.ndarray | None) -> np.ndarray:
    """S_ij = Σ_k w_k max(0, G_kj − G_ki) by sorted prefix sums (see success_probability)."""
    B, n = x.shape
    order = np.argsort(x, axis=1, kind="stable")
    xs = np.take_along_axis(x, order, axis=1)  # voters sorted by position
    ws = np.take_along_axis(w, order, axis=1)
    dist = np.abs(xs[:, :, None] - x[:, None, :]) / R[:, None, None]  # (B, sorted voter, a)
    if rho is not None:
        dist = dist ** np.take_along_axis(rho, order, axis=1)[:, :, None]
    H = np.zeros((B, n + 1, n))
    np.cumsum(ws[:, :, None] * dist, axis=1, out=H[:, 1:])
    # m_ij = #{k: 2 x_k < x_i + x_j}, exactly, by sorting voters and midpoints together:
    # doubled voter positions and pair sums, ties putting pair sums first (strict <).
    sums = (x[:, :, None] + x[:, None, :]).reshape(B, n * n)
    keys = np.concatenate([sums, 2.0 * xs], axis=1)  # (B, n² + n)
    is_voter = np.concatenate([np.zeros((B, n * n), np.int8), np.ones((B, n), np.int8)], axis=1)
    srt = np.lexsort((is_voter, keys), axis=1)
    below = np.cumsum(np.take_along_axis(is_voter, srt, axis=1), axis=1, dtype=np.intp)
    counts = np.empty_like(below)
    np.put_along_axis(counts, srt, below, axis=1)
    m = counts[:, : n * n]  # voters strictly below each midpoint, (B, n·n) row-major (i, j)
    flat = H.reshape(B, (n + 1) * n)
    cols = np.arange(n)
    idx_j = (m.reshape(B, n, n) * n + cols[None, None, :]).reshape(B, n * n)
    idx_i = (m.reshape(B, n, n) * n + cols[None, :, None]).reshape(B, n * n)
    h_j = np.take_along_axis(flat, idx_j, axis=1).reshape(B, n, n)  # H[m_ij, j]
    h_i = np.take_along_axis(flat, idx_i, axis=1).reshape(B, n, n)  # H[m_ij, i]
    total = H[:, n, :]  # (B, a)
    lower = x[:, :, None] < x[:, None, :]  # i below j: voters below the midpoint side with i
    upper = x[:, :, None] > x[:, None, :]
    below_side = h_j - h_i
    above_side = (total[:, None, :] - h_j) - (total[:, :, None] - h_i)
    support = np.where(lower, below_side, np.where(upper, above_side, 0.0))
    return np.maximum(support, 0.0)  # rounding in the prefix differences can leave −1e-17


def _utility(coef: float, dist: np.ndarray, r: np.ndarray | float) -> np.ndarray:
    """``2 − 4 (0.5 + coef·dist)^r`` (eqs. 15, 16, 22, 23); the base is floored at 0.

    For the first pass (r = 1 exactly) the power is skipped: ``y ** 1.0 == y`` bit for bit.
    """
    base = coef * dist
    base += 0.5
    np.maximum(base, 0.0, out=base)
    if not (isinstance(r, float) and r == 1.0):
        np.power(base, r, out=base)
    base *= -4.0
    base += 2.0
    return base


def expected_utility(
    x: np.ndarray,
    s: np.ndarray,
    P: np.ndarray,
    mu: np.ndarray,
    R: np.ndarray,
    r: np.ndarray | float,
    q: float,
    t: float | None,
) -> np.ndarray:
    """E(U_ct): challenger c's expected utility of challenging target t (eqs. 6–7; spec §5.2).

    ``E(U_ct) = s_t [P_ct U_s + (1 − P_ct) U_f] + (1 − s_t) U_s − Q U_sq − (1 − Q)[T U_b + (1 − T) U_w]``

    with ``d = |x_c − x_t|/R`` in U_s, U_f (eqs. 15–16) and ``dμ = (|x_c − μ| + |x_c − x_t|)/R``
    in U_b, U_w (eqs. 22–23), U_sq = 2 − 4·0.5^r (eq. 24). The target's salience s_t is the
    chance that it resists (spec A1).

    Parameters
    ----------
    x, s : ndarray of shape (B, n)
    P : ndarray of shape (B, c, t)
    mu : ndarray of shape (B,)
    R : ndarray of shape (B,)
    r : float or ndarray broadcastable to (B, c, t)
        Risk exponent of the perceiving actor for each entry.
    q : float
        Q, perceived probability that the status quo holds without a challenge.
    t : float or None
        T; None derives it per dyad: T = 1 iff |x_c − μ| < |x_c − x_t| (spec A5).

    Returns
    -------
    ndarray of shape (B, c, t)
    """
    gap = np.abs(x[:, :, None] - x[:, None, :])  # (B, c, t)
    d = gap / R[:, None, None]
    u_s = _utility(-0.5, d, r)  # eq. 15
    u_f = _utility(0.5, d, r)  # eq. 16
    eu = _challenge_branch(P, s[:, None, :], u_s, u_f, _status_quo_utility(r), q)
    if q != 1.0:  # eq. 7, the (1 − Q) branch
        to_mu = np.abs(x - mu[:, None])[:, :, None]  # (B, c, 1)
        d_mu = (to_mu + gap) / R[:, None, None]
        u_b = _utility(-0.25, d_mu, r)  # eq. 22
        u_w = _utility(0.25, d_mu, r)  # eq. 23
        T = (to_mu < gap).astype(float) if t is None else t
        eu = eu - (1.0 - q) * (T * u_b + (1.0 - T) * u_w)
    return eu


def _status_quo_utility(r: np.ndarray | float) -> np.ndarray | float:
    """U_sq = 2 − 4·0.5^r (eq. 24)."""
    if isinstance(r, float) and r == 1.0:
        return 0.0
    return 2.0 - 4.0 * 0.5**r


def _challenge_branch(P: np.ndarray, s_target: np.ndarray, u_s: np.ndarray, u_f: np.ndarray,
                      u_sq: np.ndarray | float, q: float) -> np.ndarray:
    """``s_t [P U_s + (1 − P) U_f] + (1 − s_t) U_s − Q U_sq`` (eq. 6 and the Q term of eq. 7)."""
    return s_target * (P * u_s + (1.0 - P) * u_f) + (1.0 - s_target) * u_s - q * u_sq


def receiver_view(
    x: np.ndarray, s: np.ndarray, P: np.ndarray, R: np.ndarray, r: np.ndarray,
    d: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Both EUs of every dyad from the receiver's view at Q = 1 (spec §5.3, Scholz code).

    ``a[i, j] = E^i(U_ij)`` (responder salience s_j, probability P_ij) and
    ``b[i, j] = E^i(U_ji)`` (responder salience s_i, probability P_ji), both with r_i. Since
    ``|x_j − x_i| = |x_i − x_j|``, U_s and U_f are the same for a and b and are computed once;
    the result equals :func:`expected_utility` evaluated twice, up to rounding (eq. 6 is
    evaluated in the rearranged form ``(U_s − U_sq) − s_t (1 − P)(U_s − U_f)``).
    """
    if d is None:
        d = np.abs(x[:, :, None] - x[:, None, :]) / R[:, None, None]
    r_row = r[:, :, None]
    u_s = _utility(-0.5, d, r_row)  # eq. 15 with r_i
    u_f = _utility(0.5, d, r_row)  # eq. 16 with r_i
    u_sq = _status_quo_utility(r_row)  # eq. 24 with r_i
    # eq. 6 rearranged: s_t [P U_s + (1 − P) U_f] + (1 − s_t) U_s − U_sq
    #                 = (U_s − U_sq) − s_t (1 − P)(U_s − U_f); the two brackets are shared.
    gain = u_s - u_sq
    spread = u_s
    spread -= u_f  # u_s is not needed any more
    a = 1.0 - P
    a *= s[:, None, :]
    a *= spread
    np.subtract(gain, a, out=a)
    b = 1.0 - P.transpose(0, 2, 1)
    b *= s[:, :, None]
    b *= spread
    np.subtract(gain, b, out=b)
    return a, b


def first_pass_utility(d: np.ndarray, s: np.ndarray, P: np.ndarray) -> np.ndarray:
    """E(U_ct) of the first pass (every r = 1) at Q = 1, shape (B, c, t) (eqs. 6, 15, 16, 24).

    ``U_s = 2 − 4(0.5 − 0.5 d)``, ``U_f = 2 − 4(0.5 + 0.5 d)``, ``U_sq = 0``, and eq. 6 in the
    form ``U_s − s_t (1 − P)(U_s − U_f)``; equal to :func:`expected_utility` with r = 1, Q = 1
    up to rounding. The diagonal is exactly 0 (d = 0 gives U_s = U_f = 0).
    """
    u_s = _utility(-0.5, d, 1.0)  # eq. 15
    spread = u_s - _utility(0.5, d, 1.0)  # U_s − U_f, eq. 16
    eu = 1.0 - P
    eu *= s[:, None, :]
    eu *= spread
    np.subtract(u_s, eu, out=eu)
    return eu


def risk_exponents(eu_first: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Security levels, risk index R_i and risk exponent r_i (eqs. 32–34; spec §6).

    ``Sec_i = Σ_{j≠i} E(U_ji)``; ``R_i = (2 Sec_i − max Sec − min Sec)/(max Sec − min Sec)``
    (0 when every Sec is equal); ``r_i = (1 − R_i/3)/(1 + R_i/3)``.

    Parameters
    ----------
    eu_first : ndarray of shape (B, challenger, target)
        First-pass expected utilities (all r = 1).

    Returns
    -------
    security, risk_index, r : ndarrays of shape (B, n)
    """
    n = eu_first.shape[-1]
    off_diagonal = ~np.eye(n, dtype=bool)
    security = np.where(off_diagonal, eu_first, 0.0).sum(axis=1)  # column sums: j challenges i
    hi = security.max(axis=1, keepdims=True)
    lo = security.min(axis=1, keepdims=True)
    spread = hi - lo
    ok = spread > 0
    risk_index = np.where(ok, (2.0 * security - hi - lo) / np.where(ok, spread, 1.0), 0.0)
    r = (1.0 - risk_index / 3.0) / (1.0 + risk_index / 3.0)  # eq. 33
    return security, risk_index, r


def classify_offers(
    x: np.ndarray, a: np.ndarray, b: np.ndarray, capitulation: bool,
    differ: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Offer each receiver i gets from each proposer j, and where it would move (spec §7).

    From i's point of view, with ``a = E^i(U_ij)`` and ``b = E^i(U_ji)``:
    confrontation i loses if ``b > a > 0`` (move to x_j); compromise if ``a < 0 < b`` and
    ``b > |a|`` (move to ``x_i + (x_j − x_i)|a/b|``, eq. 36); capitulation if ``a < 0 < b`` and
    ``b < |a|`` (move to x_j). Only pairs with ``x_j ≠ x_i`` get offers.

    Parameters
    ----------
    x : ndarray of shape (B, n)
    a, b : ndarrays of shape (B, receiver i, proposer j)
    capitulation : bool
        False reproduces [JM], whose capitulation test can never be true (spec §7, A12).
    differ : bool ndarray of shape (B, i, j), optional
        ``x_i ≠ x_j`` if already computed.

    Returns
    -------
    kind : int8 ndarray of shape (B, i, j)
        Offer codes (:data:`OFFER_CODE`, 0 = none).
    offered : ndarray of shape (B, i, j)
        Position i would take on accepting j's offer (x_i where there is none).
    """
    xi = x[:, :, None]
    xj = x[:, None, :]
    if differ is None:
        differ = xi != xj
    conf = differ & (b > a) & (a > 0)
    tension = differ & (a < 0) & (b > 0)
    comp = tension & (b > np.abs(a))
    cap = tension & (b < np.abs(a)) if capitulation else np.zeros_like(comp)
    kind = np.where(conf, np.int8(CONFRONTATION), np.where(
        comp, np.int8(COMPROMISE), np.where(cap, np.int8(CAPITULATION), np.int8(NONE))))
    ratio = np.abs(a) / np.where(comp, b, 1.0)
    offered = np.where(comp, xi + (xj - xi) * ratio, np.where(conf | cap, xj, xi))
    return kind, offered


def choose_offers(
    x: np.ndarray, a: np.ndarray, b: np.ndarray, kind: np.ndarray, offered: np.ndarray,
    compromise_key: str, gap: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The one offer each actor accepts, and its new position (spec §8).

    Priority (Scholz code): any confrontation → the proposer closest to x_i; else any
    compromise → the one minimising the compromise key; else any capitulation → the closest.
    Ties go to the first proposer in actor order.

    Compromise keys: ``"scholz"`` ``(|a| x_i + |b| x_j)/(|a| + |b|)`` ([JM]); ``"signed"``
    ``(a x_i + b x_j)/(|a| + |b|)`` ([DM-I]); ``"least_movement"`` ``|offered − x_i|`` (the
    paper's prose, §6.2). See spec A7.

    Returns
    -------
    proposer : int ndarray of shape (B, n)
        Index of the accepted proposer, −1 where none.
    new_x : ndarray of shape (B, n)
    """
    xi = x[:, :, None]
    xj = x[:, None, :]
    if gap is None:
        gap = np.abs(xj - xi)
    with np.errstate(invalid="ignore", divide="ignore"):  # a = b = 0 only where no offer
        if compromise_key == "scholz":
            key = (np.abs(a) * xi + np.abs(b) * xj) / (np.abs(a) + np.abs(b))
        elif compromise_key == "signed":
            key = (a * xi + b * xj) / (np.abs(a) + np.abs(b))
        else:  # least_movement
            key = np.abs(offered - xi)
    # Priority rank per offer (confrontation 0 < compromise 1 < capitulation 2, none 3); each
    # receiver takes its best-ranked kind, and within it the lowest cost, first in actor order.
    rank = _PRIORITY[kind]
    best = rank.min(axis=2)
    cost = np.where(kind == COMPROMISE, key, gap)
    pick = np.argmin(np.where(rank == best[:, :, None], cost, np.inf), axis=2)
    proposer = np.where(best < _PRIORITY[NONE], pick, -1)
    chosen = np.take_along_axis(offered, pick[:, :, None], axis=2)[:, :, 0]
    return proposer, np.where(proposer >= 0, chosen, x)


@dataclass(frozen=True)
class RoundState:
    """Everything one BDM round computes, for the positions at its start.

    Shapes as in the module docstring. ``a[b, i, j] = E^i(U_ij)`` and
    ``b_eu[b, i, j] = E^i(U_ji)`` (receiver i, proposer j, receiver's perception by default).
    """

    mu: np.ndarray  # (B,) median voter at the start of the round
    p_first: np.ndarray  # (B, i, j) P_ij with all r = 1
    eu_first: np.ndarray  # (B, c, t) E(U_ct) with all r = 1
    security: np.ndarray  # (B, n)
    risk_index: np.ndarray  # (B, n)
    r: np.ndarray  # (B, n)
    p_second: np.ndarray  # (B, i, j) P_ij with voters' r_k
    a: np.ndarray  # (B, i, j)
    b_eu: np.ndarray  # (B, i, j)
    kind: np.ndarray  # (B, i, j) int8 offer codes
    offered: np.ndarray  # (B, i, j)
    proposer: np.ndarray  # (B, i) accepted proposer or −1
    new_x: np.ndarray  # (B, n)


def bdm_round(
    x: np.ndarray, c: np.ndarray, s: np.ndarray, R: np.ndarray, *,
    probability: str, compromise_key: str, capitulation: bool, q: float, t: float | None,
    perception: str, mu: np.ndarray | None = None,
) -> RoundState:
    """One round of the model (Appendix steps 1–13; spec §2), all actors simultaneously.

    1. μ by Condorcet vote (linear votes); 2–3. first pass with r = 1: P, E(U);
    4. security, R_i, r_i assigned at once; 5. second pass with r: P (voters' r_k) and the two
    EUs of each dyad, ``a = E^i(U_ij)`` and ``b = E^i(U_ji)`` both with r_i (Scholz code,
    ``perception="receiver"``) or ``b = E^j(U_ji)`` with r_j (``"own"``, spec A9);
    6. classify and choose offers; 7. the new positions (applied by the caller, all at once).
    """
    w = c * s
    if mu is None:
        mu = median_voter(x, w)
    gap = np.abs(x[:, :, None] - x[:, None, :])  # (B, n, n), shared by the whole round
    d = gap / R[:, None, None]
    p_first = success_probability(x, w, R, None, probability, d=d)
    if q == 1.0:
        eu_first = first_pass_utility(d, s, p_first)
    else:
        eu_first = expected_utility(x, s, p_first, mu, R, 1.0, q, t)
    security, risk_index, r = risk_exponents(eu_first)
    p_second = success_probability(x, w, R, r, probability, d=d)
    if perception == "receiver" and q == 1.0:  # the common case, U_s/U_f computed once
        a, b_eu = receiver_view(x, s, p_second, R, r, d=d)
    else:
        a = expected_utility(x, s, p_second, mu, R, r[:, :, None], q, t)  # E^i(U_ij), r_i
        if perception == "receiver":
            # M[c, t] = E(U_ct) perceived with the target's r_t; b[i, j] = M[j, i] = E^i(U_ji)
            b_eu = expected_utility(x, s, p_second, mu, R, r[:, None, :], q, t)
            b_eu = b_eu.transpose(0, 2, 1)
        else:  # own: b[i, j] = E^j(U_ji) = a[j, i]
            b_eu = a.transpose(0, 2, 1)
    kind, offered = classify_offers(x, a, b_eu, capitulation, differ=gap > 0)
    proposer, new_x = choose_offers(x, a, b_eu, kind, offered, compromise_key, gap=gap)
    return RoundState(mu, p_first, eu_first, security, risk_index, r, p_second, a, b_eu, kind,
                      offered, proposer, new_x)


@dataclass(frozen=True)
class Trajectories:
    """The batched output of :func:`simulate`.

    Attributes
    ----------
    positions : ndarray of shape (B, rounds + 1, n)
    median, mean : ndarrays of shape (B, rounds + 1)
    r : ndarray of shape (B, rounds, n)
    security : ndarray of shape (B, rounds, n)
    rounds_run : int ndarray of shape (B,)
        Last round each draw ran before it stopped (``rounds`` without early stopping).
    kind, offered, a, b_eu : ndarrays of shape (B, rounds, n, n), or None unless recorded
    proposer : int ndarray of shape (B, rounds, n), or None unless recorded
    """

    positions: np.ndarray
    median: np.ndarray
    mean: np.ndarray
    r: np.ndarray
    security: np.ndarray
    rounds_run: np.ndarray
    kind: np.ndarray | None = None
    offered: np.ndarray | None = None
    a: np.ndarray | None = None
    b_eu: np.ndarray | None = None
    proposer: np.ndarray | None = None


def simulate(
    c: np.ndarray, x0: np.ndarray, s: np.ndarray, *, rounds: int, probability: str,
    compromise_key: str, capitulation: bool, q: float, t: float | None, range_rule: str,
    perception: str, stop_tolerance: float | None, record_offers: bool,
) -> Trajectories:
    """Run ``rounds`` rounds on a batch (spec §2 and §9).

    R is the initial range ``max x − min x`` (``range_rule="fixed"``, Scholz code) or the
    current range each round (``"recomputed"``, spec A6); a zero range is replaced by 1 (all
    distances are then 0 and nothing moves). With ``stop_tolerance=ε`` a draw stops (its
    positions are carried forward unchanged) after the first round in which every position
    moved by less than ε·R; ``rounds_run`` records that round.
    """
    B, n = x0.shape
    x = np.array(x0, dtype=float)
    w = c * s

    def span(pos: np.ndarray) -> np.ndarray:
        width = pos.max(axis=1) - pos.min(axis=1)
        return np.where(width > 0, width, 1.0)

    R_fixed = span(x)
    positions = np.empty((B, rounds + 1, n))
    positions[:, 0] = x
    median = np.empty((B, rounds + 1))
    mean = np.empty((B, rounds + 1))
    median[:, 0] = median_voter(x, w)
    mean[:, 0] = weighted_mean(x, w)
    r_hist = np.ones((B, rounds, n))
    sec_hist = np.zeros((B, rounds, n))
    rounds_run = np.full(B, rounds, dtype=np.intp)
    rec = {}
    if record_offers:
        rec = {
            "kind": np.zeros((B, rounds, n, n), dtype=np.int8),
            "offered": np.zeros((B, rounds, n, n)),
            "a": np.zeros((B, rounds, n, n)),
            "b_eu": np.zeros((B, rounds, n, n)),
            "proposer": np.full((B, rounds, n), -1, dtype=np.intp),
        }
    # Draws still computed. A round is a deterministic function of the positions alone (r is
    # recomputed from scratch, spec §6), so a draw whose positions did not change at all has
    # reached a fixed point: every later round repeats it exactly, and it is carried forward
    # instead of recomputed (only when offers are not recorded). Stopped draws leave too.
    active = np.arange(B)
    for t_ in range(rounds):
        if t_ > 0:
            r_hist[:, t_] = r_hist[:, t_ - 1]
            sec_hist[:, t_] = sec_hist[:, t_ - 1]
        positions[:, t_ + 1] = x
        median[:, t_ + 1] = median[:, t_]
        mean[:, t_ + 1] = mean[:, t_]
        if active.size == 0:
            continue
        xa = x[active]
        R = R_fixed[active] if range_rule == "fixed" else span(xa)
        st = bdm_round(xa, c[active], s[active], R, probability=probability,
                       compromise_key=compromise_key, capitulation=capitulation, q=q, t=t,
                       perception=perception, mu=median[active, t_])
        new_xa = st.new_x
        r_hist[active, t_] = st.r
        sec_hist[active, t_] = st.security
        if record_offers:
            rec["kind"][active, t_] = st.kind
            rec["offered"][active, t_] = st.offered
            rec["a"][active, t_] = st.a
            rec["b_eu"][active, t_] = st.b_eu
            rec["proposer"][active, t_] = st.proposer
        moved = np.abs(new_xa - xa).max(axis=1)
        keep = np.ones(active.size, dtype=bool)
        if stop_tolerance is not None:
            settled = moved < stop_tolerance * R_fixed[active]
            rounds_run[active[settled]] = t_ + 1
            keep &= ~settled
        if not record_offers:
            keep &= moved > 0
        x[active] = new_xa
        positions[active, t_ + 1] = new_xa
        wa = w[active]
        median[active, t_ + 1] = median_voter(new_xa, wa)
        mean[active, t_ + 1] = weighted_mean(new_xa, wa)
        active = active[keep]
    return Trajectories(positions, median, mean, r_hist, sec_hist, rounds_run, **rec)
