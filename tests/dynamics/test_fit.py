"""Fit plumbing: the on-disk cache round-trips, survives a corrupt file, and errors are named."""

from __future__ import annotations

import os

import numpy as np
import pytest

from detente.dynamics import fit
from detente.dynamics.fit import cache_dir
from detente.errors import OptionsError


def test_cache_round_trip_and_corrupt_file(panel):
    a = fit(panel, until="2008-12", method="laplace", chains=1, samples=100, seed=0)
    files = list(cache_dir().glob("dynamics-*.npz"))
    assert len(files) == 1 and a.info["key"] in files[0].name
    assert not list(cache_dir().glob(".tmp-*"))  # atomic write left no temp file
    b = fit(panel, until="2008-12", method="laplace", chains=1, samples=100, seed=0)
    assert b.info.get("cached") is True
    for name in a.samples:
        np.testing.assert_array_equal(a.samples[name], b.samples[name])
    np.testing.assert_array_equal(a.state.launch_events, b.state.launch_events)
    assert a.table().round(12).equals(b.table().round(12))
    files[0].write_bytes(b"not a posterior")
    c = fit(panel, until="2008-12", method="laplace", chains=1, samples=100, seed=0)
    assert not c.info.get("cached")
    np.testing.assert_array_equal(a.samples["log_base_rate"], c.samples["log_base_rate"])
    assert os.path.getsize(files[0]) > 100  # rewritten


def test_bad_options_are_named(panel):
    with pytest.raises(OptionsError) as err:
        fit(panel, until="1983-05", method="laplace")
    assert err.value.problems[0].path == "until"
    with pytest.raises(OptionsError) as err:
        fit(panel, variant="everything")
    assert "full, no_policy" in err.value.problems[0].allowed


def test_public_verbs_are_functions_not_their_modules():
    """``fit.py`` defines ``fit`` (and so on): the package binds the functions eagerly."""
    import importlib

    import detente
    import detente.dynamics

    importlib.import_module("detente.dynamics.fit")
    importlib.import_module("detente.dynamics.simulate")
    importlib.import_module("detente.dynamics.backtest")
    for verb in ("fit", "simulate", "backtest"):
        assert callable(getattr(detente.dynamics, verb))
        assert getattr(detente, verb) is getattr(detente.dynamics, verb)


def test_a_panel_without_monthly_index_is_a_named_error(panel):
    with pytest.raises(OptionsError) as err:
        fit(panel.reset_index(), method="laplace")
    assert err.value.problems[0].path == "index"


_FIT_SCRIPT = """
import sys, numpy as np
import detente
post = detente.fit(until="2010-12", chains=1, warmup=30, samples=30, seed=3)
np.save(sys.argv[1], np.concatenate([np.ravel(post.samples[k]) for k in sorted(post.samples)]))
"""


def test_the_jax_compilation_cache_gives_the_same_draws(tmp_path):
    """Issue 16: JAX's persistent compilation cache (kept under $DETENTE_CACHE/jax) must not
    change a single draw. The first fit compiles everything fresh and fills the cache; the
    second, with the cached posterior deleted, runs the programs read back from it. The
    reference is the first run's own draws, computed by freshly compiled code."""
    import subprocess
    import sys

    env = {**os.environ, "DETENTE_CACHE": str(tmp_path / "cache")}
    script = tmp_path / "fit.py"
    script.write_text(_FIT_SCRIPT, encoding="utf-8")
    first = tmp_path / "first.npy"
    subprocess.run([sys.executable, str(script), str(first)], env=env, check=True, timeout=600)
    compiled = list((tmp_path / "cache" / "jax").iterdir())
    assert compiled, "the fit left no compiled program in the cache"
    for npz in (tmp_path / "cache").glob("dynamics-*.npz"):
        npz.unlink()
    second = tmp_path / "second.npy"
    subprocess.run([sys.executable, str(script), str(second)], env=env, check=True, timeout=600)
    np.testing.assert_array_equal(np.load(first), np.load(second))


def test_a_posterior_drawn_at_another_numerics_level_is_not_reused(panel, monkeypatch):
    """detente.numerics: at another instruction-set level the same seed gives other NUTS draws,
    so the posterior cache must key them apart (else a native run would answer a pinned one)."""
    from detente.dynamics.fit import posterior_key

    settings = {"variant": "full", "method": "nuts", "chains": 2, "warmup": 500,
                "samples": 500, "seed": 0}
    train = panel.iloc[:60]
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_max_isa=AVX2")
    pinned = posterior_key(train, settings)
    assert posterior_key(train, settings) == pinned  # a key, not a random name
    monkeypatch.setenv("XLA_FLAGS", "")
    assert posterior_key(train, settings) != pinned


def test_the_posterior_cache_is_bounded_least_recently_used_first(panel, tmp_path, monkeypatch):
    """detente.limits.MAX_POSTERIOR_CACHE_MB: a write that takes the posteriors past the bound
    (1 MiB here) removes the least recently used ones down to 80 % of it (838,861 bytes).
    Six stale 300,000-byte posteriors plus the new small one: the rule must remove the four
    oldest (the two newest and the new one come to less than 838,861 bytes, three would not)."""
    monkeypatch.setenv("DETENTE_CACHE", str(tmp_path))
    monkeypatch.setenv("DETENTE_MAX_POSTERIOR_CACHE_MB", "1")
    for i in range(6):
        stale = tmp_path / f"dynamics-stale{i}.npz"
        stale.write_bytes(b"\0" * 300_000)
        os.utime(stale, (1_000_000 + i, 1_000_000 + i))
    other = tmp_path / "notes.txt"  # not a posterior: the bound never touches it
    other.write_bytes(b"\0" * 2_000_000)
    a = fit(panel, until="2008-12", method="laplace", chains=1, samples=100, seed=0)
    new = tmp_path / f"dynamics-{a.info['key']}.npz"
    assert new.stat().st_size < 838_861 - 2 * 300_000  # the premise of the expected set
    assert {p.name for p in tmp_path.glob("dynamics-*.npz")} == {
        "dynamics-stale4.npz", "dynamics-stale5.npz", new.name}
    assert other.exists()
    os.utime(new, (1_000_000, 1_000_000))
    b = fit(panel, until="2008-12", method="laplace", chains=1, samples=100, seed=0)
    assert b.info.get("cached") is True
    assert new.stat().st_mtime > 1_000_000  # a hit marks the posterior used
