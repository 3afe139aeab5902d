"""Dynamic model: the fit, the simulation and the back-test, against same-run baselines
(``make bench``; alone: ``python benchmarks/bench_dynamics.py``).

Targets:

- issue 16, fit (``fit(until="2023-09")``, the main job's NUTS fit, 2 chains × 500 + 500),
  timed inside a fresh process so the import is not counted:
  cold (empty ``$DETENTE_CACHE``: JAX compilation included) ≤ 12 s, and warm (the posterior
  cached on disk) ≤ 0.2 s. Also printed: the fit with JAX's persistent compilation cache filled
  but no cached posterior (what a second scenario's fit pays);
- issue 16, back-test (``detente backtest --json``: 37 rolling origins and 4 episodes, every
  baseline, the ensemble, the Diebold–Mariano comparisons) warm ≤ 6 s wall and ≤ 300 MB peak
  RSS, as a fresh subprocess (``_measure.run``). Also printed: the back-test computed with
  only the fits cached (the stage cache removed);
- issue 5: the NUTS fit on the full history ≤ 60 s and 10,000 paths × 36 months of simulation
  ≤ 2 s (in this process).

Baselines measured in the same run:

- fits: the statsmodels NB2 maximum-likelihood fit of the launch-event part
  (``frequentist_check``);
- simulation: drawing the same number of negative-binomial variates with numpy alone;
- back-test: ``detente show korea-2023`` (the CLI's start-up, the floor of any command).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

from _measure import run, target

FIT_TARGET_S = 60.0
SIM_TARGET_S = 2.0
FIT_COLD_TARGET_S = 12.0
FIT_WARM_TARGET_S = 0.2
BACKTEST_WARM_S = 6.0
BACKTEST_WARM_MB = 300.0

_MEASURED: list[dict[str, Any]] | None = None

#: Run in a fresh interpreter: the seconds of one ``fit`` call, imports excluded.
_FIT_SNIPPET = """
import time
from detente.dynamics import fit
from detente.evidence import monthly_panel
panel = monthly_panel()
start = time.perf_counter()
fit(panel, until="2023-09", seed=2023)
print(time.perf_counter() - start)
"""


def _timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _fit_seconds(cache: str) -> float:
    done = subprocess.run([sys.executable, "-c", _FIT_SNIPPET], capture_output=True, text=True,
                          check=True, env={**os.environ, "DETENTE_CACHE": cache})
    return float(done.stdout.strip().splitlines()[-1])


def measure_issue16(glm_seconds: float) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Fit cold/compiled/warm and back-test cold/compute/warm; the target rows and figures."""
    fig: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="detente-bench-") as tmp:
        cache = f"{tmp}/cache"
        fig["fit_cold"] = _fit_seconds(cache)
        for path in os.listdir(cache):  # keep JAX's compilation cache, drop the posterior
            if path.startswith("dynamics-"):
                os.remove(os.path.join(cache, path))
        fig["fit_compiled"] = _fit_seconds(cache)
        fig["fit_warm"] = min(_fit_seconds(cache), _fit_seconds(cache))

        env = {**os.environ, "DETENTE_CACHE": f"{tmp}/bt-cache", "DETENTE_DATA": f"{tmp}/data"}
        os.makedirs(f"{tmp}/data")
        show = min((run(["show", "korea-2023"], env, cwd=tmp) for _ in range(2)),
                   key=lambda r: r.wall)
        args = ["backtest", "--json", "--no-store"]
        cold = run(args, env, cwd=tmp)
        shutil.rmtree(f"{tmp}/bt-cache/stages", ignore_errors=True)
        compute = run(args, env, cwd=tmp)  # every Laplace fit cached, nothing else
        warm = min((run(args, env, cwd=tmp) for _ in range(2)), key=lambda r: r.wall)
    fig.update(bt_cold=cold.wall, bt_compute=compute.wall, bt_compute_mb=compute.peak_mb,
               bt_warm=warm.wall, bt_warm_mb=warm.peak_mb, show=show.wall,
               show_mb=show.peak_mb, bt_cold_mb=cold.peak_mb, glm=glm_seconds)
    mle = "statsmodels NB2 MLE"
    base = "`detente show korea-2023`"
    rows = [
        target("fit cold (NUTS, compilation included)", fig["fit_cold"], "s",
               FIT_COLD_TARGET_S, mle, glm_seconds),
        target("fit warm (posterior cached)", fig["fit_warm"], "s", FIT_WARM_TARGET_S, mle,
               glm_seconds),
        target("backtest warm: wall", warm.wall, "s", BACKTEST_WARM_S, base, show.wall),
        target("backtest warm: peak RSS", warm.peak_mb, "MB", BACKTEST_WARM_MB, base,
               show.peak_mb),
    ]
    return rows, fig


def main() -> None:
    global _MEASURED
    previous = os.environ.get("DETENTE_CACHE")
    os.environ["DETENTE_CACHE"] = tempfile.mkdtemp(prefix="detente-bench-")  # no cache hits
    try:
        from detente.dynamics import fit, simulate
        from detente.dynamics.fit import frequentist_check
        from detente.evidence import monthly_panel

        panel = monthly_panel()
        t_glm, _ = _timed(lambda: frequentist_check(panel), repeat=3)
        rows, fig = measure_issue16(t_glm)
        _MEASURED = rows
        print(f"fit(until='2023-09'), NUTS 2 chains × 500 + 500, in a fresh process: cold "
              f"{fig['fit_cold']:.1f} s, compilation cached {fig['fit_compiled']:.1f} s, "
              f"posterior cached {fig['fit_warm']:.3f} s")
        print(f"  baseline statsmodels NB2 MLE: {t_glm:.3f} s")
        print(f"detente backtest --json: cold {fig['bt_cold']:.1f} s ({fig['bt_cold_mb']:.0f} MB), "
              f"fits cached {fig['bt_compute']:.1f} s ({fig['bt_compute_mb']:.0f} MB), "
              f"warm {fig['bt_warm']:.2f} s ({fig['bt_warm_mb']:.0f} MB)")
        print(f"  baseline `detente show korea-2023`: {fig['show']:.2f} s ({fig['show_mb']:.0f} MB)")

        t_nuts, post = _timed(lambda: fit(panel, method="nuts", cache=False))
        t_lap_first, _ = _timed(lambda: fit(panel, method="laplace", chains=1, samples=1000,
                                            cache=False))
        t_lap, _ = _timed(lambda: fit(panel, method="laplace", until="2015-06", chains=1,
                                      samples=1000, cache=False), repeat=2)
        print(f"NUTS fit, full history ({post.info['n_months']} months, 2 chains × 500 + 500, "
              f"in this process): {t_nuts:.1f} s (target ≤ {FIT_TARGET_S:.0f} s: "
              f"{'met' if t_nuts <= FIT_TARGET_S else 'NOT met'}); max R-hat "
              f"{post.info['max_r_hat']:.3f}, min ESS {post.info['min_ess']:.0f}, divergences "
              f"{post.info['divergences']}")
        print(f"  NUTS / MLE = {t_nuts / t_glm:.0f}×")
        print(f"Laplace fit: first {t_lap_first:.1f} s, then {t_lap:.2f} s per fit "
              f"({t_lap / t_glm:.1f}× the MLE)")

        draws, months = 10_000, 36
        t_sim, traj = _timed(lambda: simulate(post, months=months, draws=draws, seed=0),
                             repeat=3)
        rng = np.random.default_rng(0)
        t_floor, _ = _timed(lambda: rng.negative_binomial(1.4, 0.5, size=(draws, months)),
                            repeat=3)
        print(f"simulate {draws:,} paths × {months} months: {t_sim:.3f} s (target ≤ "
              f"{SIM_TARGET_S:.0f} s: {'met' if t_sim <= SIM_TARGET_S else 'NOT met'})")
        print(f"  baseline numpy NB draws of the same size: {t_floor:.4f} s → simulate / floor "
              f"= {t_sim / t_floor:.0f}×")
        assert traj.launch_events.shape == (draws, months)
        _MEASURED = [*rows,
                     target("NUTS fit, full history (issue 5)", t_nuts, "s", FIT_TARGET_S,
                            "statsmodels NB2 MLE", t_glm),
                     target("simulate 10,000 × 36 months (issue 5)", t_sim, "s", SIM_TARGET_S,
                            "numpy NB draws", t_floor)]
    finally:
        if previous is None:
            os.environ.pop("DETENTE_CACHE", None)
        else:
            os.environ["DETENTE_CACHE"] = previous


def targets() -> list[dict[str, Any]]:
    """The rows :func:`main` measured (measuring them when it has not run)."""
    if _MEASURED is None:
        main()
    return list(_MEASURED or [])


if __name__ == "__main__":
    main()
    for row in targets():
        print(f"{row['name']}: {row['measured']:.3g} {row['unit']} (target ≤ {row['target']:g}) "
              f"{'PASS' if row['passed'] else 'FAIL'}")
