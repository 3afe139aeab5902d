"""Command-line face of détente (``detente …``), thin over the public API.

Importing a command module registers its commands on :data:`app`; add a module here to add
commands.
"""

from __future__ import annotations

from detente.cli._app import app

# Command modules (each registers on ``app`` when imported).
from detente.cli import scenario_cmds  # noqa: F401  isort: skip
from detente.cli import forecast_cmd  # noqa: F401  isort: skip
from detente.cli import history_cmd  # noqa: F401  isort: skip
from detente.cli import runs_cmds  # noqa: F401  isort: skip
from detente.cli import compare_cmd  # noqa: F401  isort: skip
from detente.cli import dynamics_cmds  # noqa: F401  isort: skip
from detente.cli import backcast_cmd  # noqa: F401  isort: skip
from detente.cli import forecasts_cmds  # noqa: F401  isort: skip
from detente.cli import evidence_cmds  # noqa: F401  isort: skip
from detente.cli import serve_cmd  # noqa: F401  isort: skip


def main() -> None:
    """Console-script entry point: pin the numeric libraries' instruction set first (before
    any command imports NumPy or JAX), so a seed gives the same numbers on any x86-64 host
    (:mod:`detente.numerics`)."""
    from detente.numerics import pin_process

    pin_process()
    app()


__all__ = ["app", "main"]
