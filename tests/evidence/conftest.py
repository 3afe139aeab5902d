"""Evidence tests read an empty user evidence layer, never the one in the user's home.

The loaders include the user layer (``$DETENTE_DATA``, default ``~/.local/share/detente``) by
default, so a layer someone keeps at home would change the panels these tests check.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _empty_user_layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETENTE_DATA", str(tmp_path / "detente-data"))
