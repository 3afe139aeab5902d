"""Speed and memory of the BDM engine (``make bench``; alone: ``python benchmarks/bench_bdm.py``).

Baseline, measured in the same run: ``bdm_loop_baseline.py``, the plain-Python per-actor-loop
implementation of the same model (the way the public replications write it). Before timing,
the engine and the baseline must agree on the EC case and a random 25-actor case (1e-9).

Targets (issue #3):
1. a single 10-round run of a 100-actor issue at least 50× faster than the loop baseline;
2. 10,000 Monte Carlo draws of korea-2023 (all issues, 10 rounds) in under 5 s and 2 GB.

Printed: a scaling table over n = 10, 25, 50, 100, 200 (engine wall time, best of 3; loop
wall time, one run; the loop at n = 200 runs 1 round and is scaled ×10, marked "est."), CPU
times beside wall times (less sensitive to other processes on a shared machine), and the
Monte Carlo job's wall time, CPU time and peak RSS (measured in a fresh subprocess, so the
figure is the whole process: interpreter, imports and arrays).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(HERE))

import bdm_loop_baseline as loop  # noqa: E402
from detente.bargaining.bdm import run_bdm  # noqa: E402

EC_CASE = REPO / "tests" / "reference" / "bargaining" / "bdm" / "cases" / \
    "bdm1994_ec_emissions.csv"
SIZES = (10, 25, 50, 100, 200)
TARGET_RATIO_100 = 50.0
TARGET_MC_SECONDS = 5.0
TARGET_MC_MB = 2048.0
MC_DRAWS = 10_000


def random_issue(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deterministic synthetic issue: capability U(1, 100), position U(0, 100), salience U(0.1, 1)."""
    rng = np.random.default_rng(100 + n)
    return rng.uniform(1, 100, n), rng.uniform(0, 100, n), rng.uniform(0.1, 1.0, n)


def check_agreement() -> None:
    """The baseline must compute the same model, or its timings mean nothing."""
    import pandas as pd

    cases = []
    if EC_CASE.exists():
        frame = pd.read_csv(EC_CASE)
        cases.append((frame["Capability"].to_numpy(float), frame["Position"].to_numpy(float),
                      frame["Salience"].to_numpy(float) / 100))
    cases.append(random_issue(25))
    for c, x, s in cases:
        engine = run_bdm(c, x, s).positions[0]
        baseline = np.array(loop.run(list(c), list(x), list(s), rounds=10))
        gap = float(np.abs(engine - baseline).max())
        if gap > 1e-9:
            raise AssertionError(f"loop baseline and engine disagree by {gap:.3g}")
    print(f"baseline agrees with the engine on {len(cases)} cases (max |Δ| ≤ 1e-9)")


def time_engine(c, x, s, repeats: int = 3) -> tuple[float, float]:
    """Best wall and CPU seconds of a 10-round engine run."""
    best_wall = best_cpu = np.inf
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        run_bdm(c, x, s)
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu


def time_loop(c, x, s, rounds: int) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    loop.run(list(c), list(x), list(s), rounds=rounds)
    return time.perf_counter() - w0, time.process_time() - c0


def scaling_table() -> dict[int, dict[str, float]]:
    rows: dict[int, dict[str, float]] = {}
    print("\nscaling, one issue, 10 rounds (seconds; ratio = loop / engine, wall)")
    print(f"{'n':>5} {'engine wall':>12} {'engine cpu':>11} {'loop wall':>12} {'loop cpu':>10} "
          f"{'ratio':>8}")
    for n in SIZES:
        c, x, s = random_issue(n)
        e_wall, e_cpu = time_engine(c, x, s)
        if n <= 100:
            l_wall, l_cpu = time_loop(c, x, s, rounds=10)
            mark = ""
        else:
            l_wall, l_cpu = time_loop(c, x, s, rounds=1)
            l_wall, l_cpu, mark = 10 * l_wall, 10 * l_cpu, " est."
        rows[n] = {"engine_wall": e_wall, "engine_cpu": e_cpu, "loop_wall": l_wall,
                   "loop_cpu": l_cpu, "ratio": l_wall / e_wall}
        print(f"{n:>5} {e_wall:>12.4f} {e_cpu:>11.4f} {l_wall:>12.3f} {l_cpu:>10.3f} "
              f"{l_wall / e_wall:>7.0f}×{mark}", flush=True)
    return rows


MC_SCRIPT = """
import json, sys, time
from detente.bargaining.forecast import forecast
from detente.scenario import load_scenario
w0 = time.perf_counter()
scenario = load_scenario("korea-2023")  # parsing the YAML is not part of the Monte Carlo job
load = time.perf_counter() - w0
forecast(scenario, draws=10, seed=1)  # warm-up: imports
w0, c0 = time.perf_counter(), time.process_time()
fc = forecast(scenario, draws={draws}, seed=2023)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
q = {{k: d.quantiles((0.5,))[0.5] for k, d in fc.distributions.items()}}
import os
print(json.dumps({{"wall": wall, "cpu": cpu, "issues": len(fc.distributions), "median": q,
                  "workers": os.cpu_count(), "load": load}}))
"""


def monte_carlo() -> dict[str, float]:
    """10,000 draws of korea-2023 in a fresh process; peak RSS from the child's rusage."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-c", MC_SCRIPT.format(draws=MC_DRAWS)],
                         capture_output=True, text=True, check=True, cwd=REPO)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["peak_mb"] = max(peak_kb, before) / 1024
    # the loop baseline on the same job, timed on 20 draws × all issues and scaled
    from detente.bargaining.montecarlo import sample_inputs
    from detente.scenario import load_scenario

    arrays = load_scenario("korea-2023").arrays()
    batch = sample_inputs(arrays, 20, seed=2023)
    w0 = time.perf_counter()
    for k in range(len(batch.issue_ids)):
        _, c, x, s = batch.issue(k)
        for b in range(batch.n_draws):
            loop.run(list(c[b]), list(x[b]), list(s[b] / 100), rounds=10)
    result["loop_wall_est"] = (time.perf_counter() - w0) * MC_DRAWS / batch.n_draws
    return result


def main() -> None:
    check_agreement()
    rows = scaling_table()
    ratio = rows[100]["ratio"]
    verdict = "PASS" if ratio >= TARGET_RATIO_100 else "FAIL"
    cpu_ratio = rows[100]["loop_cpu"] / rows[100]["engine_cpu"]
    print(f"\ntarget 1: 100 actors, 10 rounds: {ratio:.0f}× the loop baseline in wall time, "
          f"{cpu_ratio:.0f}× in CPU time (target ≥ {TARGET_RATIO_100:.0f}×) {verdict}")
    mc = monte_carlo()
    ok_time = mc["wall"] < TARGET_MC_SECONDS
    ok_mem = mc["peak_mb"] < TARGET_MC_MB
    print(f"target 2: korea-2023, {MC_DRAWS} draws × {mc['issues']} issues × 10 rounds: "
          f"wall {mc['wall']:.2f} s on {mc['workers']} threads (cpu {mc['cpu']:.2f} s; "
          f"target < {TARGET_MC_SECONDS:.0f} s) "
          f"{'PASS' if ok_time else 'FAIL'}; peak RSS {mc['peak_mb']:.0f} MB "
          f"(target < {TARGET_MC_MB:.0f} MB) {'PASS' if ok_mem else 'FAIL'}")
    print(f"          (loading and validating the scenario YAML, not included: {mc['load']:.2f} s)")
    print(f"          loop baseline on the same job (est. from 20 draws): "
          f"{mc['loop_wall_est']:.0f} s, ratio {mc['loop_wall_est'] / mc['wall']:.0f}×")


if __name__ == "__main__":
    from run_all import machine

    print(f"machine: {machine()}")
    main()
