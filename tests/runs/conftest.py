"""Fixtures for the run-store and sweep tests: a fresh store per test, the CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from detente.runs.store import RunStore

# the installed console script beside this interpreter (the venv's bin/)
DETENTE = [str(Path(sys.executable).with_name("detente"))]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "runs.duckdb"


@pytest.fixture
def store(store_path: Path) -> Iterator[RunStore]:
    st = RunStore(store_path)
    yield st
    st.close()


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DETENTE_STORE", None)
    env["COLUMNS"] = "120"
    return env


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``detente ARGS`` in a subprocess (the real console entry point)."""
    return subprocess.run([*DETENTE, *args], capture_output=True, text=True, timeout=timeout,
                          env=cli_env())
