"""Hostile scenario files are refused fast and small (issue 13, "Done when").

Each file is validated by ``detente validate`` in its own subprocess; the figures are wall time
and peak resident memory of that process, as ratios against the baseline measured in the same
run: validating the embedded ``korea-2023`` scenario (import, read, every rule). Targets: the
billion-laughs file refused in under 1 s and 200 MB (absolute, as the issue states them), and
every hostile file within a small multiple of the baseline — before the limits, the same
files took 152 s and 7.5 GB (billion laughs) or 15 s and 500 MB (a 2.4 MB list).

Run alone: ``python benchmarks/bench_hostile.py`` (about 15 s).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import run, target  # the benchmarks' one measuring helper

REPEATS = 3


def _files(folder: Path) -> dict[str, Path]:
    laughs = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    prev = "a"
    for level in "bcdefghi":  # nine levels of ten aliases: 10**9 strings if expanded
        laughs.append(f"{level}: &{level} [" + ", ".join([f"*{prev}"] * 10) + "]")
        prev = level
    texts = {
        "billion laughs (494 B)": "\n".join(laughs) + "\n",
        "2.4 MB list of 400 000 numbers": "id: x\ntitle: t\nitems:\n" + "  - 1\n" * 400_000,
        "5 000 levels of nesting": "[" * 5000 + "]" * 5000 + "\n",
        "99 000 values (just under the bound)": "id: x\ntitle: t\nitems:\n" + "  - 1\n" * 99_000,
    }
    out = {}
    for k, (name, text) in enumerate(texts.items()):
        path = folder / f"hostile{k}.yaml"
        path.write_text(text, encoding="utf-8")
        out[name] = path
    return out


def _validate(path: str) -> tuple[float, float, int]:
    """(wall seconds, peak MB, exit code) of ``detente validate path`` in a fresh process,
    measured by :func:`_measure.run` (a child forked from this process would carry its memory
    in its high-water mark: every file read 1.4 GB inside ``make bench``)."""
    done = run(["validate", path], env=dict(os.environ), ok_codes=(0, 1, 2))
    return done.wall, done.peak_mb, done.code


def _best(path: str) -> tuple[float, float, int]:
    runs = [_validate(path) for _ in range(REPEATS)]
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


_RESULTS: dict[str, tuple[float, float, int]] = {}


def targets() -> list[dict[str, Any]]:
    """Issue 13's absolute targets for the billion-laughs file (measured by :func:`main`)."""
    if "billion" not in _RESULTS:
        main()
    base_wall, base_mb, _ = _RESULTS["baseline"]
    wall, mb, _ = _RESULTS["billion"]
    return [target("billion laughs refused: wall", wall, "s", 1.0,
                   "validate korea-2023", base_wall),
            target("billion laughs refused: peak RSS", mb, "MB", 200.0,
                   "validate korea-2023", base_mb)]


def main() -> None:
    base_wall, base_mb, base_rc = _best("korea-2023")
    _RESULTS["baseline"] = (base_wall, base_mb, base_rc)
    print(f"baseline: validate korea-2023  {base_wall:.2f} s  {base_mb:.0f} MB  exit {base_rc}")
    print(f"{'file':40s} {'wall':>7s} {'× base':>7s} {'peak MB':>8s} {'× base':>7s} exit")
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in _files(Path(tmp)).items():
            wall, mb, rc = _best(str(path))
            print(f"{name:40s} {wall:6.2f}s {wall / base_wall:6.2f}× {mb:8.0f} "
                  f"{mb / base_mb:6.2f}× {rc}")
            if name.startswith("billion"):
                _RESULTS["billion"] = (wall, mb, rc)
                ok = wall < 1.0 and mb < 200 and rc == 2
                print(f"  target (< 1 s, < 200 MB, exit 2): {'met' if ok else 'NOT MET'}")


if __name__ == "__main__":
    main()
