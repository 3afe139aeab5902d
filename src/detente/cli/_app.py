"""The typer application every command module registers on.

Each command lives in its own module under ``detente.cli`` (``scenario_cmds``, ``forecast_cmd``,
…), declares its arguments, calls the public API and renders the result. Commands catch
:class:`detente.errors.DetenteError` only, via :func:`fail`.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from detente.errors import DetenteError, OptionsError, Problem, ScenarioError

app = typer.Typer(
    name="detente",
    help="détente: evidence-linked models of nuclear diplomacy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from detente import __version__

        typer.echo(f"detente {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version of détente and exit.")] = False) -> None:
    """détente: evidence-linked models of nuclear diplomacy."""


def started_now() -> datetime:
    """The current time as the run store keeps it (naive UTC): call it when a command starts."""
    return datetime.now(UTC).replace(tzinfo=None)

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


# fmt: off
StoreOpt = Annotated[Path | None, typer.Option("--store", help="Run store (DuckDB file); default $DETENTE_STORE or ./detente-runs.duckdb.")]
NoStoreOpt = Annotated[bool, typer.Option("--no-store", help="Do not record this run in the run store.")]
# fmt: on


def record_run(*, kind: str, tables: Mapping[str, Any], scenario: Any = None,
               seed: int | None = None, params: Mapping[str, Any] | None = None,
               store: Path | None = None, skip: bool = False,
               quiet: bool = False, started: datetime | None = None) -> str | None:
    """Keep a finished result as a run in the DuckDB store (DESIGN: every result is a run).

    The result has already been printed when this runs, so a store that cannot be written (a
    locked or foreign file) is a warning on stderr, not a failure of the command. ``quiet``
    (for ``--json``) drops the note naming the run; the caller puts the id in its JSON. Returns
    the run id, or None when skipped or not stored. ``started`` (naive UTC, from
    :func:`started_now` at the command's start) makes the stored wall time cover the work.
    """
    if skip:
        return None
    from detente.runs.store import default_store_path, save_run

    command = shlex.join(["detente", *sys.argv[1:]])
    try:
        run_id = save_run(kind=kind, command=command, tables=dict(tables), scenario=scenario,
                          seed=seed, params=params, store=store, started=started)
    except DetenteError as err:
        err_console.print(f"[yellow]warning:[/] run not stored: {err}", highlight=False)
        return None
    except Exception as err:  # duckdb's own errors (e.g. the file is locked by another process)
        err_console.print(f"[yellow]warning:[/] run not stored: {type(err).__name__}: {err}",
                          highlight=False)
        return None
    if quiet:
        return run_id
    where = store or default_store_path()
    err_console.print(f"run [bold]{run_id}[/] stored in {where} "
                      f"(detente runs show {run_id})", highlight=False)
    return run_id


def parse_key_values(items: list[str] | None, flag: str,
                     example: str) -> dict[str, object] | None:
    """``["q=0.5", "t=none", "common_random_numbers=false"]`` → ``{"q": 0.5, "t": None, ...}``.

    The one reader of repeatable ``KEY=VALUE`` options (``forecast --set``, ``sweep
    --option``): ``none`` → None, ``true``/``false`` → bool, then int, then float, else the
    text. The engine or model that receives the mapping validates its own keys.

    Raises
    ------
    OptionsError
        An item without ``=`` or without a key, naming ``flag`` and an ``example``.
    """
    if not items:
        return None
    out: dict[str, object] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise OptionsError(f"{flag} {item!r} is not KEY=VALUE", [Problem(
                f"cannot read {item!r}", path=flag, allowed=f"KEY=VALUE, e.g. {example}")])
        text = raw.strip()
        value: object = text
        if text.lower() == "none":
            value = None
        elif text.lower() in ("true", "false"):
            value = text.lower() == "true"
        else:
            for cast in (int, float):
                try:
                    value = cast(text)
                    break
                except ValueError:
                    continue
        out[key.strip()] = value
    return out
