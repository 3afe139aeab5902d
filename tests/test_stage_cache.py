"""The stage cache of issue 16 (detente._memo): a hit returns what the computation returned,
a different argument is a different entry, a broken entry is recomputed, and a cache that
cannot be written only costs time. Expected values are the inputs of each case (nothing here
asserts a number the cache computed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente._memo import memo, stage_key
from tests.policy.conftest import panel, small_comparison  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DETENTE_CACHE", str(tmp_path / "cache"))


def test_a_hit_returns_the_stored_result_without_computing():
    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(3.0)}

    first, hit1 = memo("t", {"seed": 1}, compute)
    second, hit2 = memo("t", {"seed": 1}, compute)
    assert (hit1, hit2) == (False, True) and len(calls) == 1
    assert np.array_equal(first["x"], second["x"])


def test_every_argument_and_frame_cell_is_part_of_the_key():
    frame = pd.DataFrame({"a": [1.0, 2.0]}, index=pd.period_range("2020-01", periods=2, freq="M"))
    other = frame.copy()
    other.iloc[1, 0] = 2.0000000000000004  # one ulp
    keys = {stage_key("t", {"seed": 1, "panel": frame}), stage_key("t", {"seed": 2, "panel": frame}),
            stage_key("t", {"seed": 1, "panel": other}), stage_key("u", {"seed": 1, "panel": frame}),
            stage_key("t", {"seed": 1, "panel": frame, "w": np.array([1.0, 2.0])}),
            stage_key("t", {"seed": 1, "panel": frame, "w": np.array([1.0, 3.0])})}
    assert len(keys) == 6
    assert stage_key("t", {"seed": 1, "panel": frame}) == stage_key("t", {"panel": frame.copy(),
                                                                         "seed": 1})


def test_a_broken_entry_is_recomputed(tmp_path):
    memo("t", {"seed": 3}, lambda: 1)
    (entry,) = (tmp_path / "cache" / "stages").glob("t-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert memo("t", {"seed": 3}, lambda: 2) == (2, False)
    assert memo("t", {"seed": 3}, lambda: 3) == (2, True)


def test_an_unwritable_cache_still_returns_the_result(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("DETENTE_CACHE", str(blocked))
    assert memo("t", {"seed": 4}, lambda: "value") == ("value", False)
    assert blocked.read_text() == "a file where the cache folder should be"


def test_an_unkeyable_argument_is_refused():
    with pytest.raises(TypeError, match="cannot key"):
        stage_key("t", {"f": object()})


def _date_figure(last: float):
    from detente.report.figures import subplots

    fig, ax = subplots(figsize=(4, 3))
    months = pd.period_range("2020-01", periods=24, freq="M").to_timestamp()
    ax.plot(months, np.r_[np.arange(23.0), last])
    ax.set_title("launches")
    return fig


def test_a_figure_built_twice_has_one_fingerprint_and_one_picture(tmp_path, monkeypatch):
    """The report's PNGs are cached by figure_fingerprint: two builds of the same figure (with
    a date axis, whose locator is built with dtstart = now) must share it, a changed point must
    not, and the cached bytes must be those a fresh render gives (rendered in another cache)."""
    import time

    from detente.report.figures import figure_fingerprint, to_png

    first = figure_fingerprint(_date_figure(23.0))
    time.sleep(1.1)  # a second later: a locator built from "now" would differ
    assert figure_fingerprint(_date_figure(23.0)) == first
    assert figure_fingerprint(_date_figure(23.5)) != first
    cached = to_png(_date_figure(23.0))
    assert memo("figure", {"figure": first, "dpi": 90}, lambda: b"not this")[1] is True
    assert to_png(_date_figure(23.0)) == cached
    monkeypatch.setenv("DETENTE_CACHE", str(tmp_path / "elsewhere"))
    assert to_png(_date_figure(23.0)) == cached  # rendered afresh: the same bytes
    assert to_png(_date_figure(23.5)) != cached


_FINGERPRINT_CHILD = r"""
import sys
from detente._memo import fingerprint
from detente.scenario import load_scenario
scenario = load_scenario("korea-2023")
shared = "a string held twice"
print(fingerprint({"tags": {"alpha", "beta", "gamma", "delta"}, "scenario": scenario,
                   "twice": [shared, shared] if sys.argv[1] == "shared" else
                   [shared, "a string held " + "twice"]}))
"""


def test_a_fingerprint_depends_on_content_not_on_the_process():
    """Equal content, equal fingerprint in any process: a set's order follows the process's
    string-hash seed (pydantic keeps fields_set as a set) and the pickle memo writes a shared
    object once, so a plain pickle's SHA-256 differs between processes; the expected value is
    that the processes agree, and a changed member does not."""
    import subprocess
    import sys

    def child(seed: str, sharing: str) -> str:
        done = subprocess.run([sys.executable, "-c", _FINGERPRINT_CHILD, sharing], check=True,
                              capture_output=True, text=True,
                              env={**__import__("os").environ, "PYTHONHASHSEED": seed})
        return done.stdout.strip()

    prints = {child("1", "shared"), child("2", "shared"), child("3", "separate")}
    assert len(prints) == 1
    from detente._memo import fingerprint

    assert fingerprint({"tags": {"alpha", "beta"}}) != fingerprint({"tags": {"alpha", "betA"}})


def test_the_report_content_is_cached_by_the_result_and_ignores_the_user_style(
        tmp_path, monkeypatch, small_comparison, panel):  # noqa: F811 (the fixtures)
    """report.context keeps the content under the result's fingerprint: the second call is a
    hit that returns the first call's content; a user's matplotlib style (rcParams changed in
    the caller) changes neither the key nor the figures (they are drawn in the default style:
    the content computed afresh in another cache under the changed style has the same PNGs);
    a changed result is another entry."""
    import dataclasses
    from datetime import datetime

    import matplotlib

    from detente import report
    from detente.evaluation import Evaluation

    result = Evaluation(comparison=small_comparison, backtest=None, claims=[], panel=panel,
                        options={}, started=datetime(2026, 1, 1), ended=datetime(2026, 1, 1, 0, 1))
    first = report.context(result)
    entries = sorted((tmp_path / "cache" / "stages").glob("report-*.pickle"))
    assert len(entries) == 1
    later = dataclasses.replace(result, started=datetime(2026, 2, 1), ended=datetime(2026, 2, 2))
    assert report.context(later) == first
    assert sorted((tmp_path / "cache" / "stages").glob("report-*.pickle")) == entries
    monkeypatch.setenv("DETENTE_CACHE", str(tmp_path / "other"))
    with matplotlib.rc_context({"lines.linewidth": 6.0, "axes.facecolor": "black"}):
        fresh = report.context(result)
    assert fresh["figures"] == first["figures"]
    report.context(dataclasses.replace(result, notes=("another note",)))
    assert len(sorted((tmp_path / "other" / "stages").glob("report-*.pickle"))) == 2


def test_the_cache_folder_is_bounded_and_keeps_what_was_used_last(tmp_path, monkeypatch):
    """With DETENTE_MAX_STAGE_CACHE_MB=1 and entries of 0.3 MiB (random bytes: the pickle
    cannot be smaller), the folder never holds more than 1 MiB after a write; the entry just
    written and an old entry read (hit) since stay, the least recently used go first. Expected
    sizes are the bound and the entries' own sizes."""
    import os
    import time

    monkeypatch.setenv("DETENTE_MAX_STAGE_CACHE_MB", "1")
    folder = tmp_path / "cache" / "stages"
    rng = np.random.default_rng(0)

    def blob() -> bytes:
        return rng.bytes(300 * 1024)

    for k in range(3):
        memo("blob", {"k": k}, blob)
    first = sorted(folder.glob("blob-*.pickle"), key=lambda p: p.stat().st_mtime)
    assert len(first) == 3
    old = time.time() - 100  # make the order of use unambiguous on coarse clocks
    for age, path in enumerate(first):
        os.utime(path, (old + age, old + age))
    assert memo("blob", {"k": 0}, lambda: b"not this")[1] is True  # k=0 used again now
    memo("blob", {"k": 3}, blob)  # 4 × 0.3 MiB > 1 MiB: trimmed to ≤ 0.8 MiB
    left = {p.name for p in folder.glob("blob-*.pickle")}
    assert sum(p.stat().st_size for p in folder.glob("*.pickle")) <= 1024 * 1024
    assert first[0].name in left                  # read since: kept
    assert first[1].name not in left              # least recently used: removed
    assert memo("blob", {"k": 3}, lambda: b"not this")[1] is True


def test_the_stage_key_names_the_numerics_level(monkeypatch):
    """A stage computed at another instruction-set level (detente.numerics) holds other
    numbers downstream of the NUTS fit, so it must not answer for this one."""
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_max_isa=AVX2")
    pinned = stage_key("t", {"seed": 1})
    monkeypatch.setenv("XLA_FLAGS", "")
    assert stage_key("t", {"seed": 1}) != pinned
