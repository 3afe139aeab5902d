"""Issue 16, "no result changes": seeded end-to-end outputs equal the stored golden ones.

The expected numbers are ``tests/golden/*.json``: the ``--json`` output of the same commands at
the commit named in tests/golden/README.md (made by ``scripts/regenerate_golden.py``, which
also runs the commands here, so the test and the files cannot drift apart). Every speed-up that
claims to keep results must keep this test passing; a change meant to change results
regenerates the files in one command and commits their diff with it.

Comparison: every float identical. No relative tolerance is allowed (``REL = 0``): the runs use
the same code, seeds and thread settings, and the numeric libraries run at one instruction-set
level on every x86-64 host (detente.numerics; without it an AMD host without AVX-512 and an Intel
host with it gave different NUTS draws), so a difference is a change of result, not noise. A
tolerance would not help: the sampler turns a last-bit difference into different draws.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REL = 0.0


def _script():
    spec = importlib.util.spec_from_file_location("regenerate_golden",
                                                  REPO / "scripts" / "regenerate_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _script()


def _expected(name: str) -> dict:
    path = golden.golden_path(name)
    if not path.is_file():
        pytest.fail(f"{path} is missing: run .venv/bin/python scripts/regenerate_golden.py")
    return json.loads(path.read_text(encoding="utf-8"))


def _assert_same(name: str, actual: dict, when: str) -> None:
    diffs = golden.differences(_expected(name), golden.normalise(actual), rel=REL)
    assert not diffs, (f"{name} ({when}) differs from tests/golden/{name}.json "
                       f"(first {len(diffs)}):\n" + "\n".join(diffs)
                       + "\nIf the change is meant to change results, run "
                       "scripts/regenerate_golden.py and commit the diff with it.")


@pytest.mark.slow
def test_compare_matches_golden_cold_and_warm(tmp_path: Path) -> None:
    """The main job, first with an empty cache (every fit from scratch), then again with the
    cache the first run filled: caching must not change a number, and the two HTML reports
    (figures from the stage cache in the second) must be the same bytes."""
    name = "compare-korea-2023-seed2023"
    cache = tmp_path / "cache"
    _assert_same(name, golden.run_case(name, cache=cache, out=tmp_path / "cold"), "cold cache")
    _assert_same(name, golden.run_case(name, cache=cache, out=tmp_path / "warm"), "warm cache")
    (cold,) = (tmp_path / "cold").glob("*.html")
    assert cold.read_bytes() == (tmp_path / "warm" / cold.name).read_bytes(), (
        "the warm run's report differs from the cold run's")


@pytest.mark.slow
def test_backtest_matches_golden(tmp_path: Path) -> None:
    name = "backtest-seed7"
    _assert_same(name, golden.run_case(name, cache=tmp_path / "cache"), "cold cache")


def test_differences_catches_a_changed_float() -> None:
    """The comparison itself can fail: one ulp, a missing key, a changed string."""
    expected = {"a": [1.0, 2.0], "b": {"c": "x"}, "seconds": 1.0}
    assert golden.differences(expected, expected) == []
    nudged = {"a": [1.0, 2.0000000000000004], "b": {"c": "x"}}
    assert golden.differences(golden.normalise(expected), nudged) == ["$.a[1]: 2.0 != "
                                                                      "2.0000000000000004"]
    assert golden.differences({"b": {"c": "x"}}, {"b": {}}) == [
        "$.b.c: missing from the new output"]
    assert golden.differences({"b": "x"}, {"b": "y"}) == ["$.b: 'x' != 'y'"]
    assert golden.differences({"n": 1}, {"n": 1.0}) == []  # JSON 1 and 1.0 are the same number
