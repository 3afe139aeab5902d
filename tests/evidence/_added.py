"""The rows scripts/build_evidence.py adds to the reference history (its ADDED_* constants),
read from the script itself so tests expect exactly reference + documented additions."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_evidence.py"


def _module():
    spec = importlib.util.spec_from_file_location("build_evidence", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


_BUILD = _module()
ADDED_DIPLOMACY: tuple[dict[str, str], ...] = _BUILD.ADDED_DIPLOMACY
#: The military deployments and provocations the build adds (types the regime rule ignores).
ADDED_INCIDENTS: tuple[dict[str, str], ...] = _BUILD.ADDED_INCIDENTS
