"""Run every benchmark in this folder (``make bench``).

Each ``bench_*.py`` module has a ``main() -> None`` that measures its targets against a baseline
measured in the same run and prints ratios. Run one alone with ``python benchmarks/bench_X.py``.
"""

from __future__ import annotations

import importlib.util
import platform
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def machine() -> str:
    import os

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"numpy {np.__version__}")


def main(selected: list[str]) -> int:
    print(f"machine: {machine()}")
    sys.path.insert(0, str(HERE))
    failures = 0
    for path in sorted(HERE.glob("bench_*.py")):
        if selected and not any(s in path.stem for s in selected):
            continue
        print(f"\n=== {path.stem} ===", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        # Registered like an import, so functions a benchmark sends to worker processes
        # (pickled by reference as ``bench_x.fn``) resolve to this module in the workers.
        sys.modules[path.stem] = module
        assert spec.loader is not None
        start = time.perf_counter()
        try:
            spec.loader.exec_module(module)
            module.main()
        except Exception as exc:  # keep going: one broken benchmark must not hide the others
            failures += 1
            print(f"FAILED: {type(exc).__name__}: {exc}")
        print(f"({path.stem}: {time.perf_counter() - start:.1f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
