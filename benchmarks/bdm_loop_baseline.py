"""Plain-Python, per-actor-loop BDM model: the speed baseline of ``bench_bdm.py``.

This is the obvious way to write Scholz, Calbert & Smith's (2011) reconstruction, the way the
public replications do: lists of floats and nested ``for`` loops over actors, pairs and voters.
It implements the default "Scholz code" variant only (Q = 1, R fixed, receiver's perception,
capitulation fixed) and is generous to itself in one respect: the probability denominator is
computed once per pass instead of once per pair. Not imported by the package; the benchmark
checks that it gives the engine's numbers before timing it.
"""

from __future__ import annotations


def _median(x: list[float], w: list[float]) -> float:
    """Condorcet winner by the champion procedure over ascending candidates (spec §3)."""
    candidates = sorted(set(x))
    champion = candidates[0]
    for p in candidates[1:]:
        vote = 0.0
        for k in range(len(x)):
            vote += w[k] * (abs(x[k] - champion) - abs(x[k] - p))
        if vote > 0:
            champion = p
    return champion


def _probabilities(x: list[float], w: list[float], rng: float, r: list[float]) -> list[list[float]]:
    """P_ij, Scholz-code form (spec §4b)."""
    n = len(x)
    g = [[(abs(x[k] - x[a]) / rng) ** r[k] for a in range(n)] for k in range(n)]
    den = 0.0
    for k in range(n):
        for a in range(n):
            for b in range(n):
                den += abs(w[k] * (g[k][b] - g[k][a]))
    p = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            if x[i] == x[j] or den == 0:
                continue
            num = 0.0
            for k in range(n):
                v = w[k] * (g[k][j] - g[k][i])
                if v > 0:
                    num += v
            p[i][j] = num / den
    return p


def _eu(x: list[float], s: list[float], p: list[list[float]], rng: float, c: int, t: int,
        r: float) -> float:
    """E(U_ct) with Q = 1 (eqs. 6–7)."""
    d = abs(x[c] - x[t]) / rng
    u_s = 2 - 4 * (0.5 - 0.5 * d) ** r
    u_f = 2 - 4 * (0.5 + 0.5 * d) ** r
    u_sq = 2 - 4 * 0.5 ** r
    return s[t] * (p[c][t] * u_s + (1 - p[c][t]) * u_f) + (1 - s[t]) * u_s - u_sq


def run(c: list[float], x0: list[float], s: list[float], rounds: int = 10) -> list[list[float]]:
    """Positions after each round, ``rounds + 1`` lists of n floats."""
    n = len(x0)
    x = list(x0)
    w = [c[k] * s[k] for k in range(n)]
    rng = (max(x) - min(x)) or 1.0
    history = [list(x)]
    for _ in range(rounds):
        _median(x, w)  # computed each round as in the replications (used for output only)
        ones = [1.0] * n
        p1 = _probabilities(x, w, rng, ones)
        security = [0.0] * n
        for i in range(n):
            for j in range(n):
                if j != i:
                    security[i] += _eu(x, s, p1, rng, j, i, 1.0)
        hi, lo = max(security), min(security)
        r = []
        for i in range(n):
            big_r = (2 * security[i] - hi - lo) / (hi - lo) if hi > lo else 0.0
            r.append((1 - big_r / 3) / (1 + big_r / 3))
        p2 = _probabilities(x, w, rng, r)
        new_x = list(x)
        for i in range(n):
            best_conf = best_comp = best_cap = None
            for j in range(n):
                if x[j] == x[i]:
                    continue
                a = _eu(x, s, p2, rng, i, j, r[i])
                b = _eu(x, s, p2, rng, j, i, r[i])
                gap = abs(x[j] - x[i])
                if b > a > 0:
                    if best_conf is None or gap < best_conf[0]:
                        best_conf = (gap, x[j])
                elif a < 0 < b and b > abs(a):
                    key = (abs(a) * x[i] + abs(b) * x[j]) / (abs(a) + abs(b))
                    if best_comp is None or key < best_comp[0]:
                        best_comp = (key, x[i] + (x[j] - x[i]) * abs(a / b))
                elif a < 0 < b and b < abs(a):
                    if best_cap is None or gap < best_cap[0]:
                        best_cap = (gap, x[j])
            for best in (best_conf, best_comp, best_cap):
                if best is not None:
                    new_x[i] = best[1]
                    break
        x = new_x
        history.append(list(x))
    return history
