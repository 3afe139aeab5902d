"""Test fixtures: the reference material, and a private run store and cache for the whole run.

The reference cases and data live in the repository, in ``tests/reference/`` (provenance in its
README). The suite never writes to the user's home or to the working directory: one temporary
run store (``$DETENTE_STORE``) and one temporary cache (``$DETENTE_CACHE``) serve the whole run,
and subprocesses inherit both.
"""

from __future__ import annotations

import os
from pathlib import Path

from detente.numerics import pin_process

# Before anything imports NumPy or JAX: the suite's in-process numbers are then the command
# line's, at the same instruction-set level on every host (detente.numerics).
if not pin_process() and os.environ.get("DETENTE_NUMERICS", "").lower() != "native":
    raise RuntimeError("NumPy or JAX was imported before tests/conftest.py could pin the "
                       "numeric libraries (a pytest plugin?): see detente/numerics.py")

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE = REPO_ROOT / "tests" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not (REFERENCE / "README.md").is_file():
        pytest.fail(f"the reference folder {REFERENCE} is missing from the repository")
    return REFERENCE


@pytest.fixture(scope="session", autouse=True)
def _isolated_store_and_cache(tmp_path_factory: pytest.TempPathFactory):
    """Commands record runs in ``$DETENTE_STORE``, cache fits in ``$DETENTE_CACHE`` and read a
    user evidence layer from ``$DETENTE_DATA``; point all three at temporary folders for the
    whole session (subprocesses inherit them) so tests never write into the working directory
    or the user's ``~/.cache/detente``, and never read observations a user added at home."""
    previous = {k: os.environ.get(k) for k in ("DETENTE_STORE", "DETENTE_CACHE", "DETENTE_DATA")}
    os.environ["DETENTE_STORE"] = str(tmp_path_factory.mktemp("store") / "runs.duckdb")
    os.environ["DETENTE_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["DETENTE_DATA"] = str(tmp_path_factory.mktemp("data"))
    yield
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


# Hypothesis: CI runs a fixed, derandomised set of examples so a landing does not depend on
# which inputs a random search happens to draw; local runs keep exploring new ones.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")
