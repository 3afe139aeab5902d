"""Sweeps at scale: evaluations per second per executor, speed-up, per-task overhead, peak memory,
and the run store's share of the run time.

Every figure is a ratio against a baseline measured in the same run:

- **throughput**: a Sobol' sweep of the BDM bargaining model on ``korea-2023`` (256 base samples
  × (k + 2) ≈ 12,000 evaluations, chunks of 1024) on the in-process runner (baseline), a process
  pool with 1 and 2 workers, and a Dask ``LocalCluster`` with 1 and 2 workers. Speed-up = 2-worker
  rate / 1-worker rate of the same executor (target ≥ 1.7× on 2 cores).
- **per-task overhead**: wall time per task of a no-op task (the runner's own cost: pickling,
  scheduling, result transfer), against the in-process call.
- **store overhead**: the run's ``timings["store"]`` (long-format conversion + DuckDB commits,
  every chunk) as a share of its wall time (target ≤ 5%), and a sweep of the same chunks with no
  store at all.
- **machine headroom**: cores one busy process gets, and two concurrent ones together; their
  ratio is the best 2-worker speed-up the (shared) machine allows during the run.
- **the comparison model** (the issue's target is stated for it): a grid sweep of the ``compare``
  sweep model (one ``detente.policy.compare`` run per evaluation, 8 draws, Laplace posterior)
  over ``bridge.beta_talks``, :data:`COMPARE_EVALS` evaluations in chunks of 2, on a process pool
  and a Dask ``LocalCluster`` with 1 and 2 workers; speed-up = 2-worker rate / 1-worker rate.
- **peak memory**: maximum resident set of a subprocess running the ≈12,000-evaluation sweep,
  against a subprocess that imports détente and loads the scenario only.

Run alone: ``python benchmarks/bench_runs.py`` (about 2–3 minutes on 2 cores).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SAMPLES = 256
CHUNK = 1024  # the bargaining model's default chunk size
NOOP_TASKS = 400
COMPARE_EVALS = 24  # ≈ 0.3 s each: ≈ 8 s of work, enough to dwarf the per-chunk overhead


def _spec():
    from detente.runs import SweepSpec

    return SweepSpec(model="bargaining", method="sobol", samples=SAMPLES, seed=1,
                     chunk_size=CHUNK)


def _warm_up(runner, store_path: Path) -> None:
    """Start the workers and import the engine in each: a tiny sweep in many small chunks."""
    from detente.runs import RunStore, SweepSpec, run_sweep
    from detente.scenario import load_scenario

    with RunStore(store_path) as st:
        run_sweep(load_scenario("korea-2023"), SweepSpec(samples=1, seed=0, chunk_size=4),
                  store=st, runner=runner)


def _sweep_rate(runner, store_path: Path) -> tuple[float, dict[str, float], int]:
    """Evaluations per second of the timed sweep, its run timings, and its size."""
    from detente.runs import RunStore, run_sweep
    from detente.scenario import load_scenario

    korea = load_scenario("korea-2023")
    _warm_up(runner, store_path.with_name("warm-" + store_path.name))
    with RunStore(store_path) as st:
        t0 = time.perf_counter()
        result = run_sweep(korea, _spec(), store=st, runner=runner)
        wall = time.perf_counter() - t0
        timings = st.record(result.run_id).timings
    n = result.design.n_evaluations
    return n / wall, timings | {"bench_wall": wall}, n


_BURN = """
import time
t, w = time.process_time(), time.perf_counter()
while time.process_time() - t < 1.5:
    pass
print(1.5 / (time.perf_counter() - w))
"""


def _compare_spec(evaluations: int):
    from detente.runs import SweepSpec

    return SweepSpec(model="compare", method="grid", samples=evaluations, seed=1,
                     inputs=("bridge.beta_talks",), chunk_size=2,
                     options={"draws": 8, "fit_method": "laplace"})


def _compare_rate(runner, store_path: Path) -> float:
    """Evaluations per second of a compare-model sweep (workers warmed up, posterior cached)."""
    from detente.runs import RunStore, run_sweep
    from detente.scenario import load_scenario

    korea = load_scenario("korea-2023")
    with RunStore(store_path.with_name("warm-" + store_path.name)) as st:
        run_sweep(korea, _compare_spec(4), store=st, runner=runner)
    with RunStore(store_path) as st:
        t0 = time.perf_counter()
        result = run_sweep(korea, _compare_spec(COMPARE_EVALS), store=st, runner=runner)
        wall = time.perf_counter() - t0
    return result.design.n_evaluations / wall


def _machine_headroom() -> tuple[float, float]:
    """Cores one busy process gets, and cores two concurrent busy processes get together.

    The ratio is the parallel speed-up this machine can give right now (2.0 on an idle
    2-core machine); executor speed-ups are read against it.
    """
    def burn(k: int) -> float:
        procs = [subprocess.Popen([sys.executable, "-c", _BURN], stdout=subprocess.PIPE,
                                  text=True) for _ in range(k)]
        return sum(float(p.communicate()[0]) for p in procs)

    return burn(1), burn(2)


def _noop(shared: object, payload: object) -> object:
    return payload


def _task_overhead(runner) -> float:
    with runner:
        list(runner.map_unordered(_noop, None, [(0, 0)] * 8))  # warm the workers up
        t0 = time.perf_counter()
        for _ in runner.map_unordered(_noop, None, ((i, i) for i in range(NOOP_TASKS))):
            pass
        return (time.perf_counter() - t0) / NOOP_TASKS


def _no_store_wall() -> tuple[float, int]:
    """The same chunks evaluated in-process with nothing stored (the store-free baseline)."""
    from detente.runs import plan_sweep
    from detente.runs.orchestrate import chunk_seed
    from detente.runs.sweep import analyse, get_sweep_model
    from detente.scenario import load_scenario

    korea = load_scenario("korea-2023")
    t0 = time.perf_counter()
    plan, design = plan_sweep(korea, _spec())
    model = get_sweep_model("bargaining")
    context = model.prepare(korea, plan.inputs, plan.options)
    parts = []
    for c, lo in enumerate(range(0, design.n_evaluations, CHUNK)):
        out = model.evaluate(context, design.X[lo:lo + CHUNK], chunk_seed(1, c))
        parts.append(np.stack([out[o] for o in plan.outputs], axis=1))
    import pandas as pd

    analyse(design, pd.DataFrame(np.concatenate(parts), columns=list(plan.outputs)), 1)
    return time.perf_counter() - t0, design.n_evaluations


_PEAK = """
import pathlib, sys, tempfile, tracemalloc
from detente.scenario import load_scenario
korea = load_scenario("korea-2023")
traced = 0
if sys.argv[1] == "sweep":
    from detente.runs import RunStore, SweepSpec, run_sweep
    with tempfile.TemporaryDirectory() as d, RunStore(pathlib.Path(d) / "m.duckdb") as st:
        tracemalloc.start()
        spec = SweepSpec(samples=int(sys.argv[2]), seed=1, chunk_size=int(sys.argv[3]))
        run_sweep(korea, spec, store=st)
        traced = tracemalloc.get_traced_memory()[1]
else:
    import detente.runs  # noqa: F401
# VmHWM: this process image's peak RSS (ru_maxrss would include the forking parent's)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(hwm.split()[1], traced)
"""


def _peak_memory_mb(mode: str) -> tuple[float, float]:
    """(peak RSS, peak traced Python/numpy allocations during the sweep) of a fresh process."""
    out = subprocess.run([sys.executable, "-c", _PEAK, mode, str(SAMPLES), str(CHUNK)],
                         capture_output=True, text=True, check=True)
    rss_kib, traced = out.stdout.split()[-2:]
    return int(rss_kib) / 1024, int(traced) / 2**20  # VmHWM is in KiB


def main() -> None:
    from detente.runs import DaskRunner, LocalRunner, PoolRunner

    one, two = _machine_headroom()
    print(f"machine headroom: 1 busy process gets {one:.2f} cores, 2 together get {two:.2f} "
          f"→ the best 2-worker speed-up possible now is {two / one:.2f}×")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        base_rate, base_t, n = _sweep_rate(LocalRunner(), tmpdir / "local.duckdb")
        rows.append(("in-process", 1, base_rate))
        print(f"sweep: Sobol', {n:,} evaluations of the BDM model on korea-2023, chunks of {CHUNK}")
        print(f"  in-process          {base_rate:8.0f} eval/s  (baseline; got "
              f"{base_t['compute_cpu'] / base_t['bench_wall']:.2f} cores; "
              f"{n / base_t['compute_cpu']:.0f} eval per CPU-second)")
        rates = {}
        for label, make in (("process pool", lambda j: PoolRunner(j)),
                            ("dask LocalCluster", lambda j: DaskRunner(None, jobs=j))):
            for jobs in (1, 2):
                with make(jobs) as runner:
                    rate, t, _ = _sweep_rate(runner, tmpdir / f"{label[:4]}{jobs}.duckdb")
                rates[(label, jobs)] = rate
                # CPU the workers got per second of wall, in cores (contention shows here)
                cores = t["compute_cpu"] / t["bench_wall"]
                print(f"  {label:18s}{jobs:2d} {rate:8.0f} eval/s  ({rate / base_rate:4.2f}× "
                      f"in-process; workers got {cores:.2f} cores)")
            speedup = rates[(label, 2)] / rates[(label, 1)]
            print(f"  {label}: speed-up 2 vs 1 workers = {speedup:.2f}× (target ≥ 1.70×; "
                  f"machine allowed {two / one:.2f}×)")

        print(f"sweep: grid, {COMPARE_EVALS} evaluations of the compare model (one policy "
              f"comparison each, 8 draws) on korea-2023, chunks of 2")
        for label, make in (("process pool", lambda j: PoolRunner(j)),
                            ("dask LocalCluster", lambda j: DaskRunner(None, jobs=j))):
            crates = {}
            for jobs in (1, 2):
                with make(jobs) as runner:
                    crates[jobs] = _compare_rate(runner, tmpdir / f"cmp-{label[:4]}{jobs}.duckdb")
                print(f"  {label:18s}{jobs:2d} {crates[jobs]:8.2f} eval/s")
            print(f"  {label}: compare-model speed-up 2 vs 1 workers = "
                  f"{crates[2] / crates[1]:.2f}× (target ≥ 1.70×; machine allowed "
                  f"{two / one:.2f}×)")

        store_share = base_t["store"] / base_t["wall"]  # includes reading back + indices
        no_store, _ = _no_store_wall()
        print(f"store: {base_t['store']:.2f} s of {base_t['wall']:.2f} s wall = "
              f"{100 * store_share:.1f}% (target ≤ 5%); same chunks with no store "
              f"{no_store:.2f} s → with store {base_t['bench_wall'] / no_store:.2f}× its time")

    local_overhead = _task_overhead(LocalRunner())
    print(f"per-task overhead (no-op task, {NOOP_TASKS} tasks):")
    print(f"  in-process          {1e6 * local_overhead:9.1f} µs  (baseline)")
    for label, runner in (("process pool 2", PoolRunner(2)),
                          ("dask LocalCluster 2", DaskRunner(None, jobs=2))):
        ov = _task_overhead(runner)
        print(f"  {label:20s}{1e3 * ov:8.2f} ms  ({ov / local_overhead:,.0f}× in-process); "
              f"a {CHUNK}-evaluation chunk takes {1e3 * CHUNK / base_rate:.0f} ms → "
              f"{100 * ov / (CHUNK / base_rate):.1f}% overhead")

    import_only, _ = _peak_memory_mb("import")
    sweep_peak, traced = _peak_memory_mb("sweep")
    print(f"peak memory: {n:,}-evaluation sweep {sweep_peak:.0f} MB RSS vs import + scenario "
          f"{import_only:.0f} MB (+{sweep_peak - import_only:.0f} MB, "
          f"{sweep_peak / import_only:.2f}×); peak traced allocations during the sweep "
          f"{traced:.1f} MB")


if __name__ == "__main__":
    main()
