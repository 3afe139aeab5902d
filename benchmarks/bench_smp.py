"""Speed and memory of the SMP engine against KTAB (``make bench``; alone: ``python bench_smp.py``).

For each of KTAB's six shipped cases and for synthetic 50-, 100- and 200-actor one-dimensional
cases (generated here, deterministically, with the value ranges of KTAB's ``dummyData-a040``
case) it measures, in process:

- wall time of a whole run (best of a few repeats for the small cases, one run for the big),
  and CPU time of the same run (less sensitive to other processes on a shared machine);
- peak traced memory (``tracemalloc``: every NumPy buffer) of a run limited to 3 turns (a turn's
  working set does not grow with the turn number);
- the number of turns;
- the ratio to KTAB's wall time on the same machine class (reference README table: KTAB built
  with -O2, ``--logmin``), and the pass/fail of the issue's targets.

Baseline measured in the same run: the literal, loop-by-loop reading of the spec in
``tests/bargaining/test_smp_kernels.py`` (pure Python, O(N³) per turn like the engine, with no
database work), timed on the first turn of the small cases, against the engine's first turn.

Scaling (issue 16): synthetic 25-, 50-, 100-, 200- and 400-actor one-dimensional runs, wall and
CPU time per turn, the growth exponent (least-squares slope of log time per turn against log N
over 25–200, and the local slope 100→200), against the previous implementation of the kernels
(``_reference_*`` in ``tests/bargaining/test_smp_kernel_equivalence.py``, the code before the
issue-16 work) swapped in and timed in the same run on 25–200 actors, with its positions checked
equal to the engine's. From ``_smp_kernels._JIT_MIN_ACTORS`` (128) actors the engine runs its
O(N³) loops compiled (numba), so 200 and 400 are compiled and 25–100 NumPy: the engine's fitted
exponent spans both, so each path is also timed alone on 25–200 (compiled from 3 actors, and
NumPy only) with its own exponent. The issue-16 200×1 target is measured as the first run of a new interpreter with
the machine's compiled-code cache (numba's import and code loading included); the same run with
an empty cache folder (compilation included) and the in-process figure are printed beside it.
``targets()`` returns the issue targets as dicts (see ``run_all.py``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "src"))

sys.path.insert(0, str(HERE))

from bench_startup import ktab_table  # noqa: E402
from detente.bargaining import _smp_kernels as K  # noqa: E402
from detente.bargaining import smp  # noqa: E402

REFERENCE = REPO / "tests" / "reference" / "bargaining" / "smp"

#: KTAB wall time (s), 2 cores, -O2, --logmin; ranges → midpoint (benchmarks/data, provenance
#: in the file: the reference README's table).
KTAB_SECONDS = ktab_table() or {}
#: The issue's targets: minimum speed-up over KTAB, or maximum seconds.
TARGET_RATIO = {"dummyData_6Dim": 20.0, "synthetic-100x1": 200.0}
TARGET_SECONDS = {"synthetic-100x1": 1.5, "synthetic-200x1": 15.0}
#: Issue 16: a 200×1 run in at most this many seconds, per-turn growth at most N^2.2 to 200.
TARGET_200_SECONDS = 1.2
TARGET_EXPONENT = 2.2
SCALING_SIZES = (25, 50, 100, 200, 400)
FIT_SIZES = (25, 50, 100, 200)
EQUIVALENCE_TESTS = REPO / "tests" / "bargaining" / "test_smp_kernel_equivalence.py"
_RESULTS: dict | None = None
MEMORY_LIMIT_MB = 2048.0
SHARED_CASES = ["dummyData_3Dim", "SOE-Pol-Comp", "SOE-Policy", "SOE-Competitive",
                "dummyData_6Dim", "dummyData-a040"]


def synthetic_case(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A one-dimensional case with ``dummyData-a040``'s ranges, fixed by ``n``.

    Capabilities uniform on [0.4, 2.0], positions on [40, 80], saliences on [25, 78], each
    rounded to 2 decimals as in KTAB's file.
    """
    rng = np.random.default_rng(1000 + n)
    cap = np.round(rng.uniform(0.4, 2.0, n), 2)
    pos = np.round(rng.uniform(40.0, 80.0, (n, 1)), 2)
    sal = np.round(rng.uniform(25.0, 78.0, (n, 1)), 2)
    return cap, pos, sal


def ktab_case(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from detente.scenario import load_scenario

    arrays = load_scenario(REFERENCE / "cases" / f"{name}.csv").arrays()
    return (np.asarray(arrays.capability, float), np.asarray(arrays.position, float),
            smp.ktab_saliences(arrays.salience))


def timed_run(cap, pos, sal, repeats: int) -> tuple[float, float, int]:
    """Best wall and CPU time of ``repeats`` whole runs, and the number of turns."""
    best_wall = best_cpu = float("inf")
    turns = 0
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        run = smp.run_smp(cap, pos, sal)
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
        turns = run.turns
    return best_wall, best_cpu, turns


def peak_memory_mb(cap, pos, sal) -> float:
    tracemalloc.start()
    smp.run_smp(cap, pos, sal, smp.SMPOptions(rounds=3))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def literal_baseline() -> None:
    """Engine vs the literal loop implementation of the spec, first turn, same run."""
    path = REPO / "tests" / "bargaining" / "test_smp_kernels.py"
    if not path.exists():
        print("literal baseline: tests/bargaining/test_smp_kernels.py not found, skipped")
        return
    spec = importlib.util.spec_from_file_location("smp_literal", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    print("\nfirst turn: engine vs literal loop reading of the spec (same run, CPU s)")
    for name in ("dummyData_3Dim", "SOE-Pol-Comp", "SOE-Policy"):
        cap, pos, sal = ktab_case(name)
        x, s = pos / 100.0, sal / 100.0
        c0 = time.process_time()
        expected = module._naive_turn(cap.tolist(), x.tolist(), s.tolist())
        naive = time.process_time() - c0
        c0 = time.process_time()
        for _ in range(5):
            trace = K.simulate(cap, x, s, max_turns=1)
        engine = (time.process_time() - c0) / 5
        same = np.array_equal(trace.positions[1], np.array(expected))
        print(f"  {name:16s} literal {naive:8.3f}  engine {engine:7.4f}  "
              f"ratio {naive / engine:7.1f}x  identical={same}")


def draws_benchmark(n_draws: int = 300) -> None:
    """Monte Carlo on the Korea scenario: all draws in lockstep vs one run per draw (same run)."""
    from detente.bargaining.montecarlo import sample_inputs
    from detente.scenario import load_scenario

    arrays = load_scenario("korea-2023").arrays()
    batch = sample_inputs(arrays, n_draws, 7, perturbation=5.0)
    cap = batch.capability
    pos = batch.position / 100.0
    sal = smp.ktab_saliences(batch.salience) / 100.0
    c0 = time.process_time()
    w0 = time.perf_counter()
    final, _, _ = K.simulate_batch(cap, pos, sal)
    lock_cpu, lock_wall = time.process_time() - c0, time.perf_counter() - w0
    c0 = time.process_time()
    w0 = time.perf_counter()
    same = all(np.array_equal(K.simulate(cap[b], pos[b], sal[b]).positions[-1], final[b])
               for b in range(n_draws))
    loop_cpu, loop_wall = time.process_time() - c0, time.perf_counter() - w0
    print(f"\nMonte Carlo, korea-2023 (6 actors × 6 issues), {n_draws} draws:")
    print(f"  lockstep   wall {lock_wall:6.2f} s  cpu {lock_cpu:6.2f} s")
    print(f"  per draw   wall {loop_wall:6.2f} s  cpu {loop_cpu:6.2f} s   "
          f"speed-up {loop_cpu / lock_cpu:4.1f}× (cpu)  identical={same}")


def previous_kernels():
    """A context manager that swaps the pre-issue-16 kernels into ``_smp_kernels``."""
    import contextlib

    spec = importlib.util.spec_from_file_location("smp_previous", EQUIVALENCE_TESTS)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    swaps = {"assess_all_challenges": module._reference_assess_all_challenges,
             "coalition_strengths": module._reference_coalition_strengths,
             "bargain_utilities": module._reference_bargain_utilities,
             "unique_positions": module._reference_unique_positions}

    @contextlib.contextmanager
    def swapped():
        saved = {name: getattr(K, name) for name in swaps}
        try:
            for name, func in swaps.items():
                setattr(K, name, func)
            yield
        finally:
            for name, func in saved.items():
                setattr(K, name, func)

    return swapped()


def _slope(sizes, seconds) -> float:
    return float(np.polyfit(np.log(np.asarray(sizes, float)), np.log(np.asarray(seconds)), 1)[0])


def kernel_run(cap, pos, sal, repeats: int) -> tuple[float, float, K.SMPTrace]:
    """Best wall and CPU time of the kernel alone, as ``run_smp`` calls it (0–100 inputs);
    ``run_smp`` itself takes at most 250 actors (KTAB's bound), the 400-actor run needs this."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        with np.errstate(invalid="ignore", divide="ignore"):
            trace = K.simulate(cap, pos / 100.0, sal / 100.0)
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu, trace


def scaling() -> dict:
    """Synthetic N×1 runs: per-turn wall and CPU time, engine and previous kernels (25–200)."""
    rows: dict[int, dict[str, float]] = {}
    print("\nscaling, synthetic N×1, kernel alone (best of 2 up to 50 actors, else one run; "
          "previous = the kernels before issue 16, same run)")
    print(f"{'N':>5s} {'turns':>5s} {'wall s':>8s} {'cpu s':>8s} {'wall/turn':>10s} "
          f"{'prev wall':>9s} {'prev cpu':>9s} {'speed-up':>9s}  identical")
    for n in SCALING_SIZES:
        cap, pos, sal = synthetic_case(n)
        repeats = 2 if n <= 50 else 1
        wall, cpu, trace = kernel_run(cap, pos, sal, repeats)
        turns = trace.positions.shape[0] - 1
        row = {"turns": turns, "wall": wall, "cpu": cpu}
        prev_txt = f"{'–':>9s} {'–':>9s} {'–':>9s}  –"
        if n in FIT_SIZES and EQUIVALENCE_TESTS.exists():
            with previous_kernels():
                p_wall, p_cpu, old = kernel_run(cap, pos, sal, repeats)
            same = bool(np.array_equal(old.positions, trace.positions))
            row.update(prev_wall=p_wall, prev_cpu=p_cpu, identical=same)
            prev_txt = f"{p_wall:9.3f} {p_cpu:9.3f} {p_wall / wall:8.2f}×  {same}"
        if n in FIT_SIZES:  # each path alone: compiled at every size, NumPy at every size
            for key, threshold in (("jit", 3), ("numpy", 10**9)):
                saved = K._JIT_MIN_ACTORS
                K._JIT_MIN_ACTORS = threshold
                try:
                    row[f"{key}_wall"], row[f"{key}_cpu"], alone = kernel_run(cap, pos, sal,
                                                                              repeats)
                finally:
                    K._JIT_MIN_ACTORS = saved
                row["identical"] = row.get("identical", True) and bool(
                    np.array_equal(alone.positions, trace.positions))
        rows[n] = row
        print(f"{n:5d} {turns:5d} {wall:8.3f} {cpu:8.3f} {wall / turns:10.4f} {prev_txt}",
              flush=True)
    print("each path alone, same runs (compiled loops from 3 actors / NumPy only):")
    for n in FIT_SIZES:
        if "jit_wall" in rows.get(n, {}):
            r = rows[n]
            print(f"{n:5d}  compiled wall {r['jit_wall']:7.3f} cpu {r['jit_cpu']:7.3f}   NumPy "
                  f"wall {r['numpy_wall']:7.3f} cpu {r['numpy_cpu']:7.3f}   identical "
                  f"{r['identical']}")
    fit = [n for n in FIT_SIZES if n in rows]
    out = {"rows": rows}
    for key in ("wall", "cpu", "jit_wall", "jit_cpu", "numpy_wall", "numpy_cpu", "prev_wall",
                "prev_cpu"):
        if all(key in rows[n] for n in fit):
            per_turn = [rows[n][key] / rows[n]["turns"] for n in fit]
            out[f"exponent_{key}"] = _slope(fit, per_turn)
            out[f"local_{key}"] = _slope(fit[-2:], per_turn[-2:])
    print("per-turn growth exponent over " + "–".join(map(str, (fit[0], fit[-1]))) + " actors "
          "(log-log least squares; local slope 100→200 in brackets):")
    for key, label in (("wall", "engine, wall"), ("cpu", "engine, CPU"),
                       ("jit_wall", "compiled, wall"), ("jit_cpu", "compiled, CPU"),
                       ("numpy_wall", "NumPy, wall"), ("numpy_cpu", "NumPy, CPU"),
                       ("prev_wall", "previous, wall"), ("prev_cpu", "previous, CPU")):
        if f"exponent_{key}" in out:
            print(f"  {label:15s} N^{out[f'exponent_{key}']:.2f}  (N^{out[f'local_{key}']:.2f})")
    return out


FRESH_CHILD = """
import json, sys, time
import numpy as np
from detente.bargaining import _smp_kernels as K
cap, pos, sal = (np.load(sys.argv[1] + f"/{name}.npy") for name in ("cap", "pos", "sal"))
if sys.argv[2] == "numpy":
    K._JIT_MIN_ACTORS = 10**9           # the NumPy kernels throughout (the engine before numba)
w0, c0 = time.perf_counter(), time.process_time()
with np.errstate(invalid="ignore", divide="ignore"):
    trace = K.simulate(cap, pos / 100.0, sal / 100.0)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
np.save(sys.argv[1] + "/positions.npy", trace.positions)
print(json.dumps({"wall": wall, "cpu": cpu, "numba": "numba" in sys.modules}))
"""


def fresh_process_runs(n: int = 200) -> dict:
    """The N×1 run as the first SMP run of a new interpreter (NumPy and détente imported, not
    timed): numba's import and its compiled code's loading count (issue 16). Twice with the
    machine's code cache (the first may fill it), once with an empty cache folder
    (``NUMBA_CACHE_DIR`` → a new temporary folder: compilation included, as on a machine's very
    first run), and once with the compiled loops switched off (the NumPy kernels, i.e. the
    engine before them: the baseline of the target). Each child's positions are checked equal
    to this process's run."""
    import json
    import subprocess
    import tempfile

    cap, pos, sal = synthetic_case(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        here = K.simulate(cap, pos / 100.0, sal / 100.0).positions
    out: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, arr in (("cap", cap), ("pos", pos), ("sal", sal)):
            np.save(f"{folder}/{name}.npy", arr)
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
        env["PYTHONPATH"] = str(REPO / "src")
        for label in ("cached (first)", "cached", "empty cache", "NumPy kernels"):
            child_env = dict(env)
            if label == "empty cache":
                child_env["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(dir=folder)
            kernels = "numpy" if label == "NumPy kernels" else "default"
            done = subprocess.run([sys.executable, "-c", FRESH_CHILD, folder, kernels],
                                  env=child_env, capture_output=True, text=True, check=True,
                                  timeout=600)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            row["identical"] = bool(np.array_equal(np.load(f"{folder}/positions.npy"), here))
            out[label] = row
    print(f"\nsynthetic {n}×1, first SMP run in a new interpreter (numba import and code "
          "loading or compiling included):")
    for label, row in out.items():
        print(f"  {label:15s} wall {row['wall']:6.3f} s  cpu {row['cpu']:6.3f} s  "
              f"numba loaded={row['numba']}  identical={row['identical']}")
    return out


def measure() -> dict:
    """The case table, the scaling runs and the same-run baselines."""
    cases = [(name, ktab_case(name), 3) for name in SHARED_CASES]
    cases += [(f"synthetic-{n}x1", synthetic_case(n), {50: 3, 100: 2, 200: 1}[n])
              for n in (50, 100, 200)]
    try:
        print("load average at start: " + " ".join(f"{x:.1f}" for x in os.getloadavg())
              + f" on {os.cpu_count()} cores (wall time suffers when the machine is shared;"
              " CPU time much less)")
    except OSError:
        pass
    print(f"{'case':18s} {'N×M':>7s} {'turns':>5s} {'wall s':>8s} {'cpu s':>8s} "
          f"{'peak MB':>8s} {'KTAB s':>7s} {'×KTAB wall':>10s} {'×KTAB cpu':>9s}  targets "
          "(on wall / on cpu)")
    table: dict[str, dict[str, float]] = {}
    for name, (cap, pos, sal), repeats in cases:
        wall, cpu, turns = timed_run(cap, pos, sal, repeats)
        mem = peak_memory_mb(cap, pos, sal)
        ktab = KTAB_SECONDS.get(name)
        table[name] = {"wall": wall, "cpu": cpu, "turns": turns, "mem": mem}
        ratio_wall = ktab / wall if ktab else float("nan")
        ratio_cpu = ktab / cpu if ktab else float("nan")

        def verdict(ok_wall: bool, ok_cpu: bool) -> str:
            return f"{'ok' if ok_wall else 'MISSED'} / {'ok' if ok_cpu else 'MISSED'}"

        verdicts = []
        if name in TARGET_RATIO:
            goal = TARGET_RATIO[name]
            verdicts.append(f"≥{goal:.0f}× {verdict(ratio_wall >= goal, ratio_cpu >= goal)}")
        if name in TARGET_SECONDS:
            goal = TARGET_SECONDS[name]
            verdicts.append(f"<{goal:g} s {verdict(wall < goal, cpu < goal)}")
        verdicts.append("mem ok" if mem < MEMORY_LIMIT_MB else "MEM MISSED")
        n, m = pos.shape
        ktab_txt = f"{ktab:.2f}" if ktab else "–"
        rw = f"{ratio_wall:.0f}" if ktab else "–"
        rc = f"{ratio_cpu:.0f}" if ktab else "–"
        print(f"{name:18s} {f'{n}×{m}':>7s} {turns:5d} {wall:8.3f} {cpu:8.3f} {mem:8.1f} "
              f"{ktab_txt:>7s} {rw:>10s} {rc:>9s}  {', '.join(verdicts)}", flush=True)
    results = {"cases": table, "scaling": scaling(), "fresh": fresh_process_runs(200)}
    literal_baseline()
    draws_benchmark()
    return results


def _target(name, measured, unit, target, baseline_name, baseline, ratio, passed) -> dict:
    return {"name": name, "measured": measured, "unit": unit, "target": target,
            "baseline_name": baseline_name, "baseline": baseline, "ratio": ratio,
            "passed": bool(passed)}


def targets(results: dict | None = None) -> list[dict]:
    """The SMP targets of issues 4 and 16, one dict each (wall time; CPU in main's table)."""
    results = results or _RESULTS or measure()
    cases, scale = results["cases"], results["scaling"]
    out = []
    for name, goal in TARGET_RATIO.items():
        ktab = KTAB_SECONDS.get(name)
        if name in cases and ktab:
            wall = cases[name]["wall"]
            out.append({**_target(f"SMP {name} speed-up over KTAB", ktab / wall, "×", goal,
                                  "KTAB smpc -O2 (benchmarks/data/ktab_timings.csv)", ktab,
                                  ktab / wall, ktab / wall >= goal),
                        "at_least": True, "baseline_unit": "s"})
    for name, goal in TARGET_SECONDS.items():
        if name in cases:
            wall = cases[name]["wall"]
            out.append(_target(f"SMP {name} wall", wall, "s", goal, "KTAB smpc -O2 (table)",
                               KTAB_SECONDS.get(name), None if name not in KTAB_SECONDS
                               else KTAB_SECONDS[name] / wall, wall < goal))
    fresh = results.get("fresh", {}).get("cached")
    if fresh:   # a new interpreter's first run: numba's import counts
        base = results["fresh"].get("NumPy kernels", {}).get("wall")
        out.append(_target("SMP synthetic 200×1 whole run, new process (issue 16)",
                           fresh["wall"], "s", TARGET_200_SECONDS,
                           "NumPy kernels (compiled loops off), new process, same run", base,
                           None if base is None else fresh["wall"] / base,
                           fresh["wall"] <= TARGET_200_SECONDS))
    if "exponent_wall" in scale:
        prev = scale.get("exponent_prev_wall")
        out.append(_target("SMP per-turn growth exponent, 25–200 actors (wall)",
                           scale["exponent_wall"], "exponent", TARGET_EXPONENT,
                           "previous kernels, same run", prev,
                           None if prev is None else scale["exponent_wall"] / prev,
                           scale["exponent_wall"] <= TARGET_EXPONENT))
    return out


def main() -> None:
    global _RESULTS
    _RESULTS = measure()
    print("\ntargets:")
    for t in targets(_RESULTS):
        base = "–" if t["baseline"] is None else f"{t['baseline']:.3g}"
        ratio = "–" if t["ratio"] is None else f"{t['ratio']:.2f}"
        print(f"  {'met   ' if t['passed'] else 'MISSED'} {t['name']}: {t['measured']:.3g} "
              f"{t['unit']} (target {t['target']:g}; {t['baseline_name']}: {base}; "
              f"ratio {ratio})")
    rows200 = _RESULTS["scaling"]["rows"].get(200, {})
    for label, row in _RESULTS.get("fresh", {}).items():
        print(f"  measured  SMP synthetic 200×1, new process, {label}: {row['wall']:.3f} s wall")
    if "wall" in rows200:
        print(f"  measured  SMP synthetic 200×1, in process after other runs: "
              f"{rows200['wall']:.3f} s wall")
    large = _RESULTS["scaling"]["rows"].get(400)
    if large:
        print(f"  measured  SMP synthetic 400×1: {large['wall']:.2f} s wall, {large['cpu']:.2f} s "
              f"CPU, {large['turns']} turns")


if __name__ == "__main__":
    main()
