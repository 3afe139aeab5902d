"""Regenerate the golden outputs of tests/test_golden_outputs.py (issue 16, "no result changes").

The golden files are the ``--json`` output of two seeded end-to-end commands, run at one commit
in a fresh cache and an empty user evidence layer (so nothing from the user's home enters):

- ``tests/golden/compare-korea-2023-seed2023.json``: the main job,
  ``detente compare korea-2023 --seed 2023 --json --no-store`` (40 draws × 96 paths, the
  episode back-test, the back-casts, the forecast-record scoring and the claims);
- ``tests/golden/backtest-seed7.json``: ``detente backtest --json --seed 7 --no-store`` (the
  defaults: 37 rolling origins and 4 episodes, every baseline, the ensemble, the
  Diebold–Mariano comparisons).

A change that claims to keep results must leave both identical (the test). A change that means
to change results (e.g. a new scoring rule) regenerates them in one command and commits the diff
with the change that explains it::

    .venv/bin/python scripts/regenerate_golden.py            # both
    .venv/bin/python scripts/regenerate_golden.py compare    # one (name contains "compare")

tests/golden/README.md is rewritten with the commands, the commit and the date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"

#: name → the command's arguments after ``detente`` (``--out`` is added where a report is
#: written, so nothing lands in the working directory).
CASES: dict[str, list[str]] = {
    "compare-korea-2023-seed2023": ["compare", "korea-2023", "--seed", "2023", "--json",
                                    "--no-store"],
    "backtest-seed7": ["backtest", "--json", "--seed", "7", "--no-store"],
}
#: Keys whose values are not results: wall-clock timings, start time, the report's path, the
#: run id. Ignored wherever they occur.
VOLATILE = frozenset({"seconds", "started", "report", "run"})


def run_case(name: str, cache: Path | None = None, out: Path | None = None) -> dict[str, Any]:
    """Run one case in a subprocess and return its parsed JSON.

    ``cache`` is the ``$DETENTE_CACHE`` to use (default: a fresh temporary folder, so the run
    fits from scratch); ``out`` the report folder of a ``compare`` case (default: a temporary
    one). ``$DETENTE_DATA`` always points at an empty folder and the run store is off, so only
    the repository's own data enter.
    """
    detente = Path(sys.executable).with_name("detente")
    with tempfile.TemporaryDirectory(prefix="detente-golden-") as tmp:
        work = Path(tmp)
        (work / "data").mkdir()
        args = list(CASES[name])
        if args[0] == "compare":
            args += ["--out", str(out or work / "out")]
        env = {**os.environ, "DETENTE_CACHE": str(cache or work / "cache"),
               "DETENTE_DATA": str(work / "data"), "DETENTE_STORE": str(work / "runs.duckdb")}
        done = subprocess.run([str(detente), *args], capture_output=True, text=True, env=env,
                              cwd=work, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"detente {' '.join(args)} exited {done.returncode}:\n"
                               f"{done.stderr[-3000:]}")
        return json.loads(done.stdout)


def normalise(doc: Any) -> Any:
    """``doc`` without the :data:`VOLATILE` keys, at any depth."""
    if isinstance(doc, dict):
        return {k: normalise(v) for k, v in doc.items() if k not in VOLATILE}
    if isinstance(doc, list):
        return [normalise(v) for v in doc]
    return doc


def differences(expected: Any, actual: Any, rel: float = 0.0, where: str = "$",
                limit: int = 20) -> list[str]:
    """Every place where ``actual`` differs from ``expected`` (at most ``limit``), as
    ``path: expected != actual`` lines. Floats are equal when identical or, if ``rel`` > 0,
    within ``rel`` relative (NaN equals NaN); every other value must be equal exactly, and
    dicts must have the same keys."""
    out: list[str] = []

    def walk(e: Any, a: Any, path: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(e, dict) and isinstance(a, dict):
            for k in sorted(set(e) | set(a)):
                if k not in a:
                    out.append(f"{path}.{k}: missing from the new output")
                elif k not in e:
                    out.append(f"{path}.{k}: new key (not in the golden file)")
                else:
                    walk(e[k], a[k], f"{path}.{k}")
        elif isinstance(e, list) and isinstance(a, list):
            if len(e) != len(a):
                out.append(f"{path}: {len(e)} items in the golden file, {len(a)} now")
            for i, (x, y) in enumerate(zip(e, a, strict=False)):
                walk(x, y, f"{path}[{i}]")
        elif (isinstance(e, float) or isinstance(a, float)) and not isinstance(e, bool) \
                and isinstance(e, int | float) and isinstance(a, int | float):
            if e == a or (math.isnan(e) and math.isnan(a)):
                return
            if rel > 0 and math.isclose(e, a, rel_tol=rel, abs_tol=0.0):
                return
            out.append(f"{path}: {e!r} != {a!r}")
        elif type(e) is not type(a) or e != a:
            out.append(f"{path}: {e!r} != {a!r}")

    walk(expected, actual, where)
    return out


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}.json"


def _commit() -> str:
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=False)
    commit = done.stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return commit + (" (with uncommitted changes under src/)" if dirty else "")


def write_readme(commit: str, when: str) -> None:
    from detente._io import atomic_write
    from detente.numerics import level, pinned_environ

    # the level the `detente` subprocesses ran at (the command pins itself: detente.numerics)
    numerics = level({**os.environ, **pinned_environ(os.environ)})

    lines = ["# Golden outputs (issue 16: no result changes)", "",
             "The `--json` output of seeded end-to-end commands, compared number by number by",
             "`tests/test_golden_outputs.py` (ignoring only the keys "
             + ", ".join(f"`{k}`" for k in sorted(VOLATILE)) + ": timings, the start",
             "time, the report's path, the run id).", "",
             "Each was run in a fresh `$DETENTE_CACHE`, an empty `$DETENTE_DATA` and without the",
             "run store, by `scripts/regenerate_golden.py`:", ""]
    for name, args in CASES.items():
        lines.append(f"- `{name}.json`: `detente {' '.join(args)}`"
                     + (" (`--out` a temporary folder)" if args[0] == "compare" else ""))
    lines += ["", f"Commit: `{commit}`", f"Date: {when}",
              f"Numerics: `{numerics}` (docs/reproducibility.md: at `x86-64-v3` the files hold on "
              "any x86-64 host with AVX2, Intel or AMD)", "",
              "A change meant to change results regenerates them (one command, then commit the",
              "diff with the change that explains it):", "",
              "    .venv/bin/python scripts/regenerate_golden.py", ""]
    atomic_write(GOLDEN / "README.md", "\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    from detente._io import atomic_write

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="cases to regenerate (substring; default all)")
    args = parser.parse_args(argv)
    names = [n for n in CASES if not args.names or any(s in n for s in args.names)]
    if not names:
        parser.error(f"no case matches {args.names}; the cases are {', '.join(CASES)}")
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in names:
        print(f"running {name} …", flush=True)
        doc = run_case(name)
        atomic_write(golden_path(name), json.dumps(normalise(doc), indent=1, sort_keys=True) + "\n")
        print(f"wrote {golden_path(name).relative_to(REPO)}")
    write_readme(_commit(), dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
