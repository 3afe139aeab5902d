"""Shared measuring helpers of the benchmarks (not a benchmark: run_all skips ``_*.py``).

A command runs as a fresh subprocess, as a user would run it; its CPU time and peak resident set
size are taken from ``os.wait4`` of that one child, started by a small interpreter (``_SPAWN``)
so that no figure mixes in another process. Wall time includes that interpreter's start (about
20 ms).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
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
    code: int = 0


#: Run by a fresh, small interpreter (``python -S``, a few MB): start the command, wait for it
#: and write its rusage to the file named by argv[1]. Measured from this small parent, the
#: child's peak RSS cannot include the benchmark process's memory, which a child forked
#: straight from a big process carries in its high-water mark until it execs.
_SPAWN = """
import os, sys
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, use = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {use.ru_utime + use.ru_stime} {use.ru_maxrss}")
"""


def run(args: list[str], env: dict[str, str], program: str | None = None,
        cwd: str | None = None, ok_codes: tuple[int, ...] = (0,)) -> Run:
    """Run ``detente *args`` (or ``program *args``) to completion; raise if its exit code is
    not one of ``ok_codes``."""
    cmd = [program or str(BIN), *args]
    with tempfile.TemporaryDirectory(prefix="detente-measure-") as tmp:
        report = os.path.join(tmp, "rusage")
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-S", "-c", _SPAWN, report, *cmd], env=env,
                              cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              check=False)
        wall = time.perf_counter() - start
        try:
            code, cpu, maxrss = Path(report).read_text().split()
        except (OSError, ValueError):
            code, cpu, maxrss = str(done.returncode or 1), "nan", "nan"
    if int(code) not in ok_codes:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}: "
                           f"{done.stderr.decode(errors='replace')[-2000:]}")
    return Run(wall=wall, cpu=float(cpu), peak_mb=float(maxrss) / 1024, code=int(code))


def target(name: str, measured: float, unit: str, limit: float, baseline_name: str,
           baseline: float, note: str = "") -> dict[str, Any]:
    """One row of ``targets()``: passed when ``measured ≤ limit``; ratio = measured ÷ baseline
    (how many baselines the measured figure costs)."""
    return {"name": name, "measured": measured, "unit": unit, "target": limit,
            "baseline_name": baseline_name, "baseline": baseline,
            "ratio": measured / baseline if baseline else float("nan"),
            "passed": bool(measured <= limit), "note": note}
