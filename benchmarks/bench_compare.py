"""Speed of the main job, ``detente compare korea-2023`` (``make bench``; alone:
``python benchmarks/bench_compare.py``).

Targets (issue #6): with the default draws the command finishes in ≤ 120 s from a cold cache
(the NUTS fit of the dynamic model, JAX compilation included, and the episode back-test with its
eight Laplace fits) and in ≤ 15 s with every fit cached. Each run is a fresh subprocess, as a user would run it; wall time and the
children's CPU time (less sensitive to other processes on a shared machine) are both printed.

Baselines measured in the same run:

- ``detente show korea-2023``: the CLI's start-up and scenario loading (the floor of any
  command);
- ``detente forecast korea-2023 --model smp --draws <default>``: one engine run at the default
  draws (``compare`` does one per policy with levers, plus the status quo, plus the BDM
  cross-checks, the simulations and the report);
- ``detente compare korea-2023 --no-backtest`` with the fits cached: the same command without
  the episode back-test, so the back-test's share of the cached run shows.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
BIN = Path(sys.executable).parent / "detente"
sys.path.insert(0, str(REPO / "src"))

TARGET_COLD_S = 120.0
TARGET_CACHED_S = 15.0


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (children, user + system) of one subprocess run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(BIN), *args], env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    from detente.policy.compare import DEFAULT_DRAWS

    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "DETENTE_CACHE": cache}
        show = _run(["show", "korea-2023"], env)
        one = _run(["forecast", "korea-2023", "--model", "smp", "--draws", str(DEFAULT_DRAWS),
                    "--seed", "1"], env)
        args = ["compare", "korea-2023", "--seed", "2023", "--out", out]
        cold = _run(args, env)
        cached = _run(args, env)
        no_bt = _run([*args, "--no-backtest"], env)
    print(f"compare (default draws = {DEFAULT_DRAWS})")
    print(f"  baseline `detente show`            wall {show[0]:7.1f} s   cpu {show[1]:7.1f} s")
    print(f"  baseline one SMP forecast          wall {one[0]:7.1f} s   cpu {one[1]:7.1f} s")
    print(f"  baseline --no-backtest, cached     wall {no_bt[0]:7.1f} s   cpu {no_bt[1]:7.1f} s")
    for name, (wall, cpu), target in (("cold cache (fits included)", cold, TARGET_COLD_S),
                                      ("fits cached", cached, TARGET_CACHED_S)):
        verdict = "PASS" if wall <= target else "FAIL"
        print(f"  {name:<33}  wall {wall:7.1f} s   cpu {cpu:7.1f} s   "
              f"target ≤ {target:g} s: {wall / target:4.2f}× of target [{verdict}]   "
              f"{wall / show[0]:5.1f}× show, {wall / one[0]:4.1f}× one SMP forecast")


if __name__ == "__main__":
    main()
