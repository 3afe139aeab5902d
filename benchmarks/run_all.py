"""Run every benchmark in this folder (``make bench``), then print one table of every target.

Each ``bench_*.py`` module has a ``main() -> None`` that measures its targets against a baseline
measured in the same run and prints ratios. Run one alone with ``python benchmarks/bench_X.py``,
or a few through this script: ``python benchmarks/run_all.py smp compare``.

A module may also define ``targets() -> list[dict]``: the figures its ``main()`` measured in this
run, one dict per target with the keys

    name, measured, unit, target, baseline_name, baseline, ratio, passed

(optionally ``at_least: True`` when the target is a floor, such as a speed-up, and
``baseline_unit`` when the baseline is in another unit than the measured figure)

(``target`` the limit, or a text such as ``"≥ 50×"``; ``ratio`` the measured figure ÷ the
baseline; ``passed`` a bool). After every module has run, the targets of all of them are
printed in ONE table with the measured figure, the ratio against the baseline and PASS/FAIL, and
the exit status is non-zero when a benchmark broke. A failed target is reported, not an error:
figures from a shared machine say little about a quiet one. The same table is written, as
Markdown with the machine, the time and the load averages, to ``results/targets.md`` (for
``benchmarks/README.md``: the figures there are this file's, not typed) after a whole run with
no broken benchmark.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from detente.numerics import level, pin_process

# As the command line does (detente.numerics): measure what a user's `detente` runs.
pin_process()

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"numpy {np.__version__}, numerics {level()}")


def _number(value: Any, unit: str = "") -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if value != value:  # NaN
        return "–"
    text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def _target_text(row: dict[str, Any]) -> str:
    limit = row.get("target")
    if isinstance(limit, int | float) and not isinstance(limit, bool):
        # most targets are ceilings; a speed-up is a floor (``at_least``)
        sign = "≥" if row.get("at_least") else "≤"
        return f"{sign} {_number(limit, row.get('unit', ''))}"
    return str(limit)


HEADER = ("benchmark", "target", "measured", "limit", "baseline", "ratio", "verdict")


def _cells(rows: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, ...]]:
    body = []
    for module, row in rows:
        ratio = row.get("ratio")
        body.append((module.removeprefix("bench_"), str(row.get("name", "?")),
                     _number(row.get("measured"), row.get("unit", "")), _target_text(row),
                     f"{row.get('baseline_name', '–')} = "
                     f"{_number(row.get('baseline'), row.get('baseline_unit', row.get('unit', '')))}",
                     "–" if ratio is None else f"{_number(ratio)}×",
                     "PASS" if row.get("passed") else "FAIL"))
    return body


def table(rows: list[tuple[str, dict[str, Any]]]) -> str:
    """The one target table: module, target, measured, limit, baseline, ratio, verdict."""
    body = _cells(rows)
    widths = [max(len(r[i]) for r in (HEADER, *body)) for i in range(len(HEADER))]
    line = "  ".join("{:<" + str(w) + "}" for w in widths)
    out = [line.format(*HEADER), line.format(*("-" * w for w in widths))]
    out += [line.format(*r) for r in body]
    return "\n".join(out)


def markdown(rows: list[tuple[str, dict[str, Any]]], *, started: str, loads: tuple[str, str],
             selected: list[str]) -> str:
    """The target table as Markdown, headed by when, where and under what load it ran."""
    passed = sum(bool(r.get("passed")) for _, r in rows)
    which = "every benchmark (`make bench`)" if not selected else \
        "`run_all.py " + " ".join(selected) + "`"
    lines = [f"# Issue 16 targets: {passed} of {len(rows)} met", "",
             f"Written by `benchmarks/run_all.py` ({which}), started {started} UTC; machine: "
             f"{machine()}; load average at the start {loads[0]}, at the end {loads[1]}.", "",
             "| " + " | ".join(HEADER) + " |",
             "|---|---|---:|---:|---|---:|---|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
              for cells in _cells(rows)]
    return "\n".join(lines) + "\n"


def main(selected: list[str]) -> int:
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {machine()}")
    print(f"load average at start: {load_start}")
    sys.path.insert(0, str(HERE))
    failures = 0
    rows: list[tuple[str, dict[str, Any]]] = []
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
            if callable(getattr(module, "targets", None)):
                rows += [(path.stem, dict(row)) for row in module.targets()]
        except Exception as exc:  # keep going: one broken benchmark must not hide the others
            failures += 1
            print(f"FAILED: {type(exc).__name__}: {exc}")
        print(f"({path.stem}: {time.perf_counter() - start:.1f} s)")
    print(f"\n=== targets (load average at the end: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}) ===")
    print(table(rows) if rows else "no module defined targets()")
    if rows:
        passed = sum(bool(r.get("passed")) for _, r in rows)
        print(f"{passed} of {len(rows)} targets met")
    if rows and not selected and not failures:  # a part of the run would hide the rest
        from detente._io import atomic_file

        text = markdown(rows, started=started, selected=selected,
                        loads=(load_start, " ".join(f"{x:.2f}" for x in os.getloadavg())))
        with atomic_file(HERE / "results" / "targets.md", "w") as handle:
            handle.write(text)
        print("written: benchmarks/results/targets.md")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
