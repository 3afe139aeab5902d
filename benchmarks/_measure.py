"""Shared measuring helpers of the benchmarks (not a benchmark: run_all skips ``_*.py``).

A command runs as a fresh subprocess, as a user would run it; its wall time, CPU time and peak
resident set size are taken from ``os.wait4`` (the rusage of that one child), so one run gives
all three and no figure mixes in another process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent / "detente"


@dataclass(frozen=True)
class Run:
    """One subprocess: wall and CPU seconds, peak RSS in MB."""

    wall: float
    cpu: float
    peak_mb: float


def run(args: list[str], env: dict[str, str], program: str | None = None,
        cwd: str | None = None) -> Run:
    """Run ``detente *args`` (or ``program *args``) to completion; raise if it fails."""
    cmd = [program or str(BIN), *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {stderr[-2000:]}")
    return Run(wall=wall, cpu=usage.ru_utime + usage.ru_stime, peak_mb=usage.ru_maxrss / 1024)


def target(name: str, measured: float, unit: str, limit: float, baseline_name: str,
           baseline: float, note: str = "") -> dict[str, Any]:
    """One row of ``targets()``: passed when ``measured ≤ limit``; ratio = measured ÷ baseline
    (how many baselines the measured figure costs)."""
    return {"name": name, "measured": measured, "unit": unit, "target": limit,
            "baseline_name": baseline_name, "baseline": baseline,
            "ratio": measured / baseline if baseline else float("nan"),
            "passed": bool(measured <= limit), "note": note}
