"""Filesystem faults end in one clear line and exit 2, before the work they would waste.

A folder that is "under a file" (``/tmp/x/file/cache``) fails with ENOTDIR for every user, root
included, so it stands in for a read-only or missing folder portably (permission bits do not
stop root, which runs CI here).
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.errors import EnvironmentFault


@pytest.fixture()
def blocked(tmp_path):
    afile = tmp_path / "a-file"
    afile.write_text("not a folder\n", encoding="utf-8")
    return afile / "cache"


def test_fit_refuses_an_unusable_cache_before_fitting(blocked, monkeypatch):
    import detente

    monkeypatch.setenv("DETENTE_CACHE", str(blocked))
    with pytest.raises(EnvironmentFault) as caught:
        detente.fit(until="2023-09")
    assert caught.value.problems[0].path == "DETENTE_CACHE"


def test_compare_with_an_unusable_cache_exits_2_in_one_line(blocked, tmp_path):
    result = CliRunner().invoke(app, ["compare", "korea-2023", "--no-store",
                                      "--out", str(tmp_path / "out")],
                                env={"DETENTE_CACHE": str(blocked), "COLUMNS": "250"})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "cannot write the fit cache" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


# -- a full disk -------------------------------------------------------------------------------
# A file-size limit (RLIMIT_FSIZE) in the child stands in for a full disk: every write past it
# fails with EFBIG as a full disk fails with ENOSPC (Python ignores SIGXFSZ), for root too, and
# without mounting a small filesystem.

def _limited(limit_bytes: int):
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))


def _detente(args, *, limit_bytes=None, cwd=None):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "detente.cli", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd,
                          preexec_fn=_limited(limit_bytes) if limit_bytes else None)


def _one_error_line(stderr: str) -> str:
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in stderr, stderr
    return errors[0]


def test_a_store_that_cannot_be_written_anywhere_exits_2_and_leaves_nothing(tmp_path):
    # a DuckDB store grows in 256 KiB blocks: 100 kB of file size is not enough for one run
    store = tmp_path / "runs.duckdb"
    done = _detente(["forecast", "korea-2023", "--store", str(store)], limit_bytes=100_000)
    assert done.returncode == 2, done.stderr
    line = _one_error_line(done.stderr)
    assert "not stored" in line and str(store) in line and len(line) < 700
    assert not [p.name for p in tmp_path.iterdir() if "recovery" in p.name]


def test_a_store_in_a_folder_under_a_file_exits_2(blocked):
    done = _detente(["forecast", "korea-2023", "--store", str(blocked / "runs.duckdb")])
    assert done.returncode == 2, done.stderr
    assert "not stored" in _one_error_line(done.stderr)
    assert blocked.parent.read_text(encoding="utf-8") == "not a folder\n"  # untouched


def test_a_full_disk_during_the_report_leaves_no_half_written_report(tmp_path):
    fast = ["compare", "korea-2023", "--draws", "50", "--no-backtest", "--no-backcast",
            "--no-store"]
    whole = _detente([*fast, "--out", str(tmp_path / "whole")])  # also warms the fit cache
    assert whole.returncode == 0, whole.stderr
    size = (tmp_path / "whole" / "korea-2023-comparison.html").stat().st_size
    done = _detente([*fast, "--out", str(tmp_path / "full")], limit_bytes=size // 2)
    assert done.returncode == 2, done.stderr
    assert "cannot write the report" in _one_error_line(done.stderr)
    assert list((tmp_path / "full").iterdir()) == []  # no report, no temporary file


def test_a_full_disk_during_a_sweep_exits_2_and_the_store_stays_consistent(tmp_path):
    # the first chunk's commit cannot grow the file past 400 kB: one line, exit 2, and what was
    # committed before (the run's own record) passes `runs check`
    store = tmp_path / "runs.duckdb"
    done = _detente(["sweep", "korea-2023", "--method", "morris", "--samples", "40",
                     "--store", str(store)], limit_bytes=400_000)
    assert done.returncode == 2, done.stderr
    assert "cannot write the run store" in _one_error_line(done.stderr)
    checked = _detente(["runs", "check", "--store", str(store)])
    assert checked.returncode == 0 and "consistent" in checked.stdout, checked.stdout
