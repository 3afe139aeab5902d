"""Shared test fixtures: where the shared reference material lives.

The reference folder is ``../shared/reference`` beside the repository (as laid for sessions and
CI); ``DETENTE_REFERENCE`` overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(os.environ.get("DETENTE_REFERENCE", REPO_ROOT.parent / "shared" / "reference"))


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(f"shared reference folder not found at {REFERENCE} (set DETENTE_REFERENCE)")
    return REFERENCE
