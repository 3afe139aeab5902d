"""The typer application every command module registers on.

Each command lives in its own module under ``detente.cli`` (``scenario_cmds``, ``forecast_cmd``,
…), declares its arguments, calls the public API and renders the result. Commands catch
:class:`detente.errors.DetenteError` only, via :func:`fail`.
"""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from detente.errors import DetenteError

app = typer.Typer(
    name="detente",
    help="détente: evidence-linked models of nuclear diplomacy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)


def fail(error: DetenteError) -> NoReturn:
    """Print a DetenteError as one line per problem on stderr and exit with its code."""
    err_console.print(f"[bold red]error:[/] {error}", highlight=False)
    for problem in error.problems:
        err_console.print("  " + problem.format(), highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=error.exit_code)
