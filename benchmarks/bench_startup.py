"""Start-up and end-to-end time of the ``detente`` command against KTAB (issue 16).

``make bench`` runs it through ``run_all.py``; alone::

    .venv/bin/python benchmarks/bench_startup.py [--repeats 5] [--smpc /path/to/smpc]

Every timing is a fresh process, as a user runs the command, and the median of ``--repeats``
runs (interleaved: one run of each command per round, so a burst of load hits all of them):

- ``python -c pass`` with the same interpreter: the baseline measured in the same run (no
  Python command can start faster);
- ``detente --help``: wall time;
- ``detente forecast CASE --model smp --json`` on each KTAB case shipped in
  ``tests/reference/bargaining/smp/cases``: wall time end to end (the run is recorded in a
  temporary run store, as every run is), the same with ``--no-store``, and the start-up, the
  time from launch to the command's first work (the call of ``load_scenario``, after the CLI
  has parsed its arguments and imported what the command needs), taken with a probe process
  that runs the same ``main()`` as the ``detente`` script and stamps that call;
- the ratio of KTAB's wall time to détente's (above 1: détente is faster) against the table in
  ``benchmarks/data/ktab_timings.csv`` (KTAB ``smpc`` -O2 on this machine class; provenance in
  the file) and, when ``--smpc PATH`` names a KTAB binary, against a live run of it on the same
  case in the same rounds (``smpc --logmin --csv CASE --connstr Driver=QSQLITE;Database=...``).

The run store, cache and data folder of every run are temporary (``$DETENTE_STORE``,
``$DETENTE_CACHE``, ``$DETENTE_DATA``), so the benchmark never writes into a user's store; one
untimed run first creates the store, as a user's store already exists.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = Path(sys.executable)
BIN = PYTHON.parent / "detente"
CASES_DIR = REPO / "tests" / "reference" / "bargaining" / "smp" / "cases"
KTAB_TABLE = HERE / "data" / "ktab_timings.csv"
#: KTAB's cases in the order of the reference README (smallest first).
CASES = ["dummyData_3Dim", "SOE-Pol-Comp", "SOE-Policy", "SOE-Competitive", "dummyData_6Dim",
         "dummyData-a040"]
#: Issue 16: ``detente --help`` and the 7×3 forecast start within this many seconds.
TARGET_STARTUP_S = 0.15
STARTUP_CASE = "dummyData_3Dim"

#: The libraries a recorded forecast cannot do without (the scenario model, the engines' arrays,
#: the run store's frames and database, the CLI), imported and nothing run: the floor of any
#: ``detente forecast`` that records its run, printed beside the KTAB ratios.
IMPORT_FLOOR = "import numpy, pandas, duckdb, pydantic, ruamel.yaml, typer, rich.console"

#: Runs the ``detente`` script's ``main()`` and stamps the command's first work on stderr.
PROBE = r"""
import sys, time
import detente.scenario as scenario
real = scenario.load_scenario
def stamped(*args, **kwargs):
    sys.stderr.write(f"\nFIRST-WORK {time.time():.6f}\n")
    sys.stderr.flush()
    return real(*args, **kwargs)
scenario.load_scenario = stamped
from detente.cli import main
sys.argv = ["detente", *sys.argv[1:]]
sys.exit(main())
"""

#: Stamps the phases of one forecast run: CLI imported, first work, engine, run store, exit.
PHASES = r"""
import atexit, sys, time
def stamp(what):
    sys.stderr.write(f"\nPHASE {what} {time.time():.6f}\n")
    sys.stderr.flush()
atexit.register(stamp, "exit")
import detente.cli
stamp("cli-imported")
import detente.scenario as scenario
import detente.bargaining.forecast as engine
import detente.cli.forecast_cmd as command
def wrap(module, name, label):
    real = getattr(module, name)
    def stamped(*args, **kwargs):
        stamp(label + "-start")
        try:
            return real(*args, **kwargs)
        finally:
            stamp(label + "-end")
    setattr(module, name, stamped)
wrap(scenario, "load_scenario", "load")
wrap(engine, "forecast", "forecast")
wrap(command, "record_run", "record")
sys.argv = ["detente", *sys.argv[1:]]
sys.exit(detente.cli.main())
"""
#: Phase durations reported by :func:`phases`: (label, from stamp, to stamp).
PHASE_SPANS = [("interpreter + import detente.cli", "launch", "cli-imported"),
               ("imports the command needs + parsing", "cli-imported", "load-start"),
               ("load the scenario file", "load-start", "load-end"),
               ("forecast (engine imports + SMP run)", "forecast-start", "forecast-end"),
               ("record the run (DuckDB store)", "record-start", "record-end"),
               ("JSON output + exit", "record-end", "exit")]

_RESULTS: dict | None = None


def ktab_table(path: Path = KTAB_TABLE) -> dict[str, float] | None:
    """KTAB wall seconds per case from the recorded table, or None without a table."""
    if not path.is_file():
        return None
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    return {row["case"]: float(row["ktab_wall_s"]) for row in csv.DictReader(lines)}


def _wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def _first_work(args: list[str], env: dict[str, str]) -> float:
    """Seconds from launch to the command's first work (see PROBE)."""
    launched = time.time()
    done = subprocess.run([str(PYTHON), "-c", PROBE, *args], env=env, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stamp = [line for line in done.stderr.splitlines() if line.startswith("FIRST-WORK ")]
    return float(stamp[-1].split()[1]) - launched


def _phases(args: list[str], env: dict[str, str]) -> dict[str, float]:
    launched = time.time()
    done = subprocess.run([str(PYTHON), "-c", PHASES, *args], env=env, check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stamps = {"launch": launched}
    for line in done.stderr.splitlines():
        if line.startswith("PHASE "):
            _, what, when = line.split()
            stamps[what] = float(when)
    return {label: stamps[b] - stamps[a] for label, a, b in PHASE_SPANS
            if a in stamps and b in stamps}


def _smpc(smpc: Path, case: Path, out_dir: Path) -> list[str]:
    return [str(smpc), "--logmin", "--csv", str(case),
            "--connstr", f"Driver=QSQLITE;Database={out_dir / 'ktab-out'}"]


def measure(repeats: int = 5, smpc: Path | None = None) -> dict:
    """All timings (medians over ``repeats`` interleaved rounds), keyed by what was run."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = {**os.environ, "DETENTE_STORE": str(tmp_path / "runs.duckdb"),
               "DETENTE_CACHE": str(tmp_path / "cache"), "DETENTE_DATA": str(tmp_path / "data")}
        case_paths = {name: CASES_DIR / f"{name}.csv" for name in CASES
                      if (CASES_DIR / f"{name}.csv").is_file()}
        forecast = {name: [str(BIN), "forecast", str(path), "--model", "smp", "--json"]
                    for name, path in case_paths.items()}
        _wall(forecast[STARTUP_CASE], env)            # creates the store: not timed
        samples: dict[str, list[float]] = {}

        def add(key: str, value: float) -> None:
            samples.setdefault(key, []).append(value)

        for _ in range(repeats):
            add("python -c pass", _wall([str(PYTHON), "-c", "pass"], env))
            add("detente --help", _wall([str(BIN), "--help"], env))
            add("import floor", _wall([str(PYTHON), "-c", IMPORT_FLOOR], env))
            for name, cmd in forecast.items():
                add(f"{name}/wall", _wall(cmd, env))
                add(f"{name}/no-store", _wall([*cmd, "--no-store"], env))
                add(f"{name}/start-up", _first_work(cmd[1:], env))
                if name == STARTUP_CASE:
                    for label, seconds in _phases(cmd[1:], env).items():
                        add(f"phase/{label}", seconds)
                if smpc is not None:
                    add(f"{name}/smpc", _wall(_smpc(smpc, case_paths[name], tmp_path), env))
    return {key: statistics.median(values) for key, values in samples.items()}


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _target(name: str, measured: float, target: float, baseline_name: str, baseline: float | None,
            ratio: float | None, passed: bool) -> dict:
    return {"name": name, "measured": measured, "unit": "s", "target": target,
            "baseline_name": baseline_name, "baseline": baseline, "ratio": ratio,
            "passed": bool(passed)}


def targets(results: dict | None = None) -> list[dict]:
    """One dict per issue-16 target: the two start-up targets, then détente faster than KTAB
    end to end on each case with a KTAB time (recorded table; live ``smpc`` when it ran)."""
    results = results or _RESULTS or measure()
    floor = results["python -c pass"]
    out = [
        _target("detente --help wall", results["detente --help"], TARGET_STARTUP_S,
                "python -c pass (same interpreter, same run)", floor,
                results["detente --help"] / floor, results["detente --help"] <= TARGET_STARTUP_S),
        _target(f"forecast {STARTUP_CASE} --json start-up (launch to first work)",
                results[f"{STARTUP_CASE}/start-up"], TARGET_STARTUP_S,
                "python -c pass (same interpreter, same run)", floor,
                results[f"{STARTUP_CASE}/start-up"] / floor,
                results[f"{STARTUP_CASE}/start-up"] <= TARGET_STARTUP_S),
    ]
    table = ktab_table() or {}
    for case in CASES:
        wall = results.get(f"{case}/wall")
        if wall is None:
            continue
        for source, ktab in (("KTAB smpc -O2, recorded table (benchmarks/data/ktab_timings.csv)",
                              table.get(case)),
                             ("KTAB smpc, live run in the same rounds", results.get(f"{case}/smpc"))):
            if ktab is not None:
                out.append(_target(f"forecast {case} --json end to end faster than KTAB", wall,
                                   ktab, source, ktab, ktab / wall, wall < ktab))
    return out


def main(argv: list[str] | None = None) -> None:
    global _RESULTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="rounds of runs (median)")
    parser.add_argument("--smpc", type=Path, default=None,
                        help="path of a KTAB smpc binary for a live comparison")
    args = parser.parse_args(argv or [])
    if args.smpc is not None and not os.access(args.smpc, os.X_OK):
        raise SystemExit(f"--smpc {args.smpc}: not an executable file; give the path of KTAB's "
                         "smpc binary, or leave the option out")
    print(f"load average at start: {_load()} on {os.cpu_count()} cores (wall times of fresh "
          "processes suffer on a shared machine)")
    _RESULTS = results = measure(args.repeats, args.smpc)
    table = ktab_table()
    if table is None:
        print(f"no KTAB table ({KTAB_TABLE.relative_to(REPO)} is missing): ratios to KTAB skipped")
        table = {}
    floor = results["python -c pass"]
    print(f"\nmedians of {args.repeats} rounds, seconds (python -c pass: {floor:.3f})")
    print(f"detente --help: {results['detente --help']:.3f}  "
          f"({results['detente --help'] / floor:.1f}× python -c pass)")
    live = args.smpc is not None
    print(f"\n{'case':16s} {'N×M':>6s} {'start-up':>8s} {'wall':>7s} {'no-store':>8s} "
          f"{'KTAB tbl':>8s} {'×KTAB':>6s}" + (f" {'smpc':>7s} {'×smpc':>6s}" if live else ""))
    for case in CASES:
        if f"{case}/wall" not in results:
            continue
        with open(CASES_DIR / f"{case}.csv", newline="") as handle:
            head = next(csv.reader(handle))            # name, description, actors, dims
        shape = f"{head[2].strip()}×{head[3].strip()}"
        wall = results[f"{case}/wall"]
        ktab = table.get(case)
        ktab_txt = (f"{ktab:8.3f} {ktab / wall:5.2f}×" if ktab is not None
                    else f"{'no KTAB':>8s} {'–':>6s}")
        line = (f"{case:16s} {shape:>6s} {results[f'{case}/start-up']:8.3f} {wall:7.3f} "
                f"{results[f'{case}/no-store']:8.3f} {ktab_txt}")
        if live:
            ktab_live = results[f"{case}/smpc"]
            line += f" {ktab_live:7.3f} {ktab_live / wall:5.2f}×"
        print(line)
    print(f"\nimport floor of a recorded forecast (python -c '{IMPORT_FLOOR}'): "
          f"{results['import floor']:.3f} s; KTAB's two smallest cases take "
          + ", ".join(f"{table[c]:.3f} s ({c})" for c in CASES[:2] if c in table))
    print(f"\nwhere the time of `detente forecast {STARTUP_CASE} --model smp --json` goes "
          "(medians, probe process):")
    for label, _, _ in PHASE_SPANS:
        if f"phase/{label}" in results:
            print(f"  {label:40s} {results[f'phase/{label}']:.3f} s")
    print("\ntargets:")
    for t in targets(results):
        ratio = "–" if t["ratio"] is None else f"{t['ratio']:.2f}"
        print(f"  {'met   ' if t['passed'] else 'MISSED'} {t['name']}: {t['measured']:.3f} s "
              f"(target {t['target']:.3f} s; {t['baseline_name']}: {t['baseline']:.3f} s, "
              f"ratio {ratio})")


if __name__ == "__main__":
    main(sys.argv[1:])
