"""The stage cache of issue 16 (detente._memo): a hit returns what the computation returned,
a different argument is a different entry, a broken entry is recomputed, and a cache that
cannot be written only costs time. Expected values are the inputs of each case (nothing here
asserts a number the cache computed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente._memo import memo, stage_key


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
