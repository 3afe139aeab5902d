"""The typer application every command module registers on.

Each command lives in its own module under ``detente.cli`` (``scenario_cmds``, ``forecast_cmd``,
…), declares its arguments, calls the public API and renders the result. Commands catch
:class:`detente.errors.DetenteError` only, via :func:`fail`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NoReturn

import typer
from rich.console import Console

from detente.errors import DetenteError, ScenarioError

app = typer.Typer(
    name="detente",
    help="détente: evidence-linked models of nuclear diplomacy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)


def fail(error: DetenteError, input_name: str | None = None) -> NoReturn:
    """Print a DetenteError as one line per problem on stderr and exit with its code.

    ``input_name`` (the SCENARIO argument) is filled in as the file of scenario problems that
    were found past the loader (e.g. by an engine's input rules), which cannot know the file.
    """
    problems = error.problems
    if input_name and isinstance(error, ScenarioError):
        problems = [p if p.file else replace(p, file=input_name) for p in problems]
    err_console.print(f"[bold red]error:[/] {error}", highlight=False)
    for problem in problems:
        err_console.print("  " + problem.format(), highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(code=error.exit_code)
