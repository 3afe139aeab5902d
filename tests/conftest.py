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


@pytest.fixture(scope="session", autouse=True)
def _isolated_run_store(tmp_path_factory: pytest.TempPathFactory):
    """Commands record runs in ``$DETENTE_STORE``; point it at a temporary file for the whole
    session (subprocesses inherit it) so tests never write into the working directory."""
    previous = os.environ.get("DETENTE_STORE")
    os.environ["DETENTE_STORE"] = str(tmp_path_factory.mktemp("store") / "runs.duckdb")
    yield
    if previous is None:
        os.environ.pop("DETENTE_STORE", None)
    else:
        os.environ["DETENTE_STORE"] = previous


# Hypothesis: CI runs a fixed, derandomised set of examples so a landing does not depend on
# which inputs a random search happens to draw; local runs keep exploring new ones.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")
