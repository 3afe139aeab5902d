"""Dynamic model: time of the headline fit and of the simulation, against same-run baselines.

Targets (issue #5): the NUTS fit on the full history ≤ 60 s *including JAX compilation* (so this
must run in a fresh process, before anything else compiles the model), and 10,000 paths × 36
months of simulation ≤ 2 s.

Baselines measured in the same run:
- fit: the statsmodels NB2 maximum-likelihood fit of the launch-event part (``frequentist_check``),
- simulation: drawing the same number of negative-binomial variates with numpy alone (the floor
  any simulation of 360,000 counts pays).
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

FIT_TARGET_S = 60.0
SIM_TARGET_S = 2.0


def _timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    os.environ["DETENTE_CACHE"] = tempfile.mkdtemp(prefix="detente-bench-")  # no cache hits
    from detente.dynamics import fit, simulate
    from detente.dynamics.fit import frequentist_check
    from detente.evidence import monthly_panel

    panel = monthly_panel()
    t_nuts, post = _timed(lambda: fit(panel, method="nuts", cache=False))
    t_glm, _ = _timed(lambda: frequentist_check(panel), repeat=3)
    t_lap_first, _ = _timed(lambda: fit(panel, method="laplace", chains=1, samples=1000,
                                        cache=False))
    t_lap, _ = _timed(lambda: fit(panel, method="laplace", until="2015-06", chains=1,
                                  samples=1000, cache=False), repeat=2)
    print(f"NUTS fit, full history ({post.info['n_months']} months, 2 chains × 500 + 500, "
          f"JAX compilation included): {t_nuts:.1f} s (target ≤ {FIT_TARGET_S:.0f} s: "
          f"{'met' if t_nuts <= FIT_TARGET_S else 'NOT met'}); max R-hat "
          f"{post.info['max_r_hat']:.3f}, min ESS {post.info['min_ess']:.0f}, divergences "
          f"{post.info['divergences']}")
    print(f"  baseline statsmodels NB2 MLE: {t_glm:.3f} s → NUTS / MLE = {t_nuts / t_glm:.0f}×")
    print(f"Laplace fit: first (compiles) {t_lap_first:.1f} s, then {t_lap:.2f} s per fit "
          f"({t_lap / t_glm:.1f}× the MLE)")

    draws, months = 10_000, 36
    t_sim, traj = _timed(lambda: simulate(post, months=months, draws=draws, seed=0), repeat=3)
    rng = np.random.default_rng(0)
    t_floor, _ = _timed(lambda: rng.negative_binomial(1.4, 0.5, size=(draws, months)), repeat=3)
    print(f"simulate {draws:,} paths × {months} months: {t_sim:.3f} s (target ≤ "
          f"{SIM_TARGET_S:.0f} s: {'met' if t_sim <= SIM_TARGET_S else 'NOT met'})")
    print(f"  baseline numpy NB draws of the same size: {t_floor:.4f} s → simulate / floor = "
          f"{t_sim / t_floor:.0f}×")
    assert traj.launch_events.shape == (draws, months)


if __name__ == "__main__":
    main()
