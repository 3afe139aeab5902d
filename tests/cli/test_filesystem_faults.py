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
