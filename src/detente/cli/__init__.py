"""Command-line face of détente (``detente …``), thin over the public API.

Importing a command module registers its commands on the typer application; add a module to
:data:`COMMANDS` to add commands. ``detente.cli.app`` is the application with every command
registered (what tests and ``--help`` see); the ``detente`` script registers only the module of
the command it runs, when it can tell which (issue 16 start-up: ``detente forecast`` does not
import the other nine command modules and their libraries).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

#: Top-level command or group name -> the module under ``detente.cli`` that registers it
#: (tests/cli/test_startup.py checks that each module registers exactly its names). The full
#: application imports the modules in the order of their first name here, which is the order
#: ``detente --help`` lists the commands in (typer puts the groups last).
COMMANDS = {
    "scenarios": "scenario_cmds", "show": "scenario_cmds", "validate": "scenario_cmds",
    "export": "scenario_cmds",
    "forecast": "forecast_cmd",
    "history": "history_cmd",
    "sweep": "runs_cmds", "runs": "runs_cmds",
    "compare": "compare_cmd", "report": "compare_cmd",
    "fit": "dynamics_cmds", "backtest": "dynamics_cmds", "audit": "dynamics_cmds",
    "backcast": "backcast_cmd",
    "forecasts": "forecasts_cmds",
    "evidence": "evidence_cmds",
    "serve": "serve_cmd",
}
#: Every command module, once each, in the order above.
_MODULES = tuple(dict.fromkeys(COMMANDS.values()))


def _register(modules: list[str]) -> Any:
    from detente.cli._app import app

    for module in modules:
        importlib.import_module(f"detente.cli.{module}")
    return app


def _every_command() -> Any:
    return _register(list(_MODULES))


def command_modules(argv: list[str]) -> list[str]:
    """The command modules a command line needs: the one that registers its command, or all of
    them for ``--help``, ``--version``, no command or an unknown one (whose error then suggests
    the right name). The top level has no option that takes a value, so the command is the
    first argument that is not an option."""
    name = next((arg for arg in argv if not arg.startswith("-")), None)
    return [COMMANDS[name]] if name in COMMANDS else list(_MODULES)


def main() -> None:
    """Console-script entry point: pin the numeric libraries' instruction set first (before
    any command imports NumPy or JAX), so a seed gives the same numbers on any x86-64 host
    (:mod:`detente.numerics`); then register the command's module and run it."""
    from detente.numerics import pin_process

    pin_process()
    _register(command_modules(sys.argv[1:]))()


def __getattr__(name: str) -> Any:
    if name == "app":
        return _every_command()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["COMMANDS", "app", "command_modules", "main"]
