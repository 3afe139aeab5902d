"""The typer application every command module registers on.

Each command lives in its own module under ``detente.cli`` (``scenario_cmds``, ``forecast_cmd``,
…), declares its arguments, calls the public API and renders the result. Commands catch
:class:`detente.errors.DetenteError` only, via :func:`fail`.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import re
import shlex
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
import typer.core

from detente.errors import DetenteError, OptionsError, Problem, ScenarioError, elide

if TYPE_CHECKING:
    from rich.text import Text


class HelpGroup(typer.core.TyperGroup):
    """A command group whose help lists each command with the first paragraph of its help in
    full, wrapped to the terminal (click cuts it at the first full stop, "e.g." included, or
    with "..." at the width left beside the names)."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = [(name, " ".join(inspect.cleandoc(command.short_help or command.help or "")
                                .split("\n\n")[0].split()))
                for name in self.list_commands(ctx)
                if (command := self.get_command(ctx, name)) is not None and not command.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def command_group(help: str, **settings: Any) -> typer.Typer:
    """The typer application of a command group (``detente``, ``detente runs`` …).

    Help is click's plain text, not typer's Rich panels: rendering those imports typer's
    ``rich_utils``, which loads ``rich.markdown`` (markdown-it) and ``rich.traceback`` whether
    or not they are used, about a quarter of ``detente --help`` (issue 16's start-up target,
    benchmarks/README.md). The command's own output still goes through Rich.
    """
    return typer.Typer(help=help, cls=HelpGroup, rich_markup_mode=None, no_args_is_help=True,
                       **settings)


app = command_group("détente: evidence-linked models of nuclear diplomacy.", name="detente",
                    add_completion=False, pretty_exceptions_enable=False)


def _version(value: bool) -> None:
    if value:
        from detente import __version__
        from detente.numerics import level

        typer.echo(f"detente {__version__} (numerics {level()})")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version of détente and exit.")] = False) -> None:
    """détente: evidence-linked models of nuclear diplomacy."""


def started_now() -> datetime:
    """The current time as the run store keeps it (naive UTC): call it when a command starts."""
    return datetime.now(UTC).replace(tzinfo=None)

class _LazyConsole:
    """A Rich console made at its first use: a command whose output is JSON, or that stops
    before printing, never imports Rich (about 20 ms of every start-up; issue 16)."""

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._console: Any = None

    def get(self) -> Any:
        """The Rich console itself, for a Rich API that takes one (``Progress(console=…)``)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._settings)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


console: Any = _LazyConsole()
err_console: Any = _LazyConsole(stderr=True)


#: ANSI escape sequences (CSI, OSC such as OSC-8 hyperlinks, and single-character escapes).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
#: Control characters other than newline and tab (C0 and C1 ranges, DEL).
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: object) -> str:
    """A string from a scenario or data file, safe for a terminal: escape sequences and control
    characters removed (a name cannot clear the screen or plant a hyperlink)."""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(text)))


def safe(text: object, style: str = "") -> Text:
    """:func:`clean` text as a Rich :class:`~rich.text.Text`: printed literally, never read as
    markup (an actor named ``[/bold]`` stays ``[/bold]``)."""
    from rich.text import Text

    return Text(clean(text), style=style)


def error_text(message: object) -> Text:
    """``error: message`` as Rich text, the prefix in bold red and the message :func:`clean`
    (one line of a failed command on stderr)."""
    from rich.text import Text

    return Text.assemble(("error: ", "bold red"), clean(message))


#: Seconds between the plain progress lines of long work when stderr is not a terminal.
PROGRESS_EVERY = 5.0


class Progress:
    """Progress of long work, shown on stderr while a command computes.

    On a terminal it is a Rich spinner (or a bar, once counts arrive) that vanishes when done.
    Elsewhere — a CI log, a pipe, ``2> file`` — it is plain lines: one per new stage at once,
    and a "still …" line every :data:`PROGRESS_EVERY` seconds (``$DETENTE_PROGRESS_EVERY``)
    while a stage lasts, so a long
    run is visibly alive and never looks hung. ``--json`` output on stdout is untouched.
    The library reports through callbacks (``progress=``); this only renders them.
    """

    def __init__(self, command: str, first: str, *, enabled: bool = True,
                 every: float | None = None) -> None:
        import threading
        import time

        if every is None:  # DETENTE_PROGRESS_EVERY: a CI log may want fewer (or more) lines
            try:
                every = float(os.environ.get("DETENTE_PROGRESS_EVERY", PROGRESS_EVERY))
            except ValueError:
                every = PROGRESS_EVERY
        self._clock = time.monotonic
        self.command, self.message, self.every = command, first, max(every, 0.01)
        self.enabled = enabled
        # a disabled bar never asks: asking makes the Rich console (see _LazyConsole)
        self.plain = enabled and not err_console.is_terminal
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)
        self._status: Any = None
        self._start = self._last = self._clock()

    def __enter__(self) -> Progress:
        if not self.enabled:
            return self
        if self.plain:
            self._line(self.message)
            self._thread.start()
        else:
            self._status = err_console.status(clean(self.message))
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._status is not None:
            self._status.stop()

    def stage(self, message: str) -> None:
        """A new stage of the work (``progress=`` callbacks of the library verbs)."""
        with self._lock:
            changed, self.message = message != self.message, message
        if not self.enabled:
            return
        if self._status is not None:
            self._status.update(clean(message))
        elif self.plain and changed:
            self._line(message)

    def count(self, done: int, total: int | None, what: str) -> None:
        """Counted work (draws, origins): on plain stderr at most one line per interval."""
        text = f"{what} {done:,}/{total:,}" if total else f"{what} {done:,}"
        with self._lock:
            self.message = text
        if not self.enabled:
            return
        if self._status is not None:
            self._status.update(clean(text))
        elif self.plain and (self._clock() - self._last >= self.every or done == total):
            self._line(text)

    def _line(self, message: str, still: bool = False) -> None:
        with self._lock:
            self._last = self._clock()
            elapsed = self._last - self._start
        prefix = "still " if still else ""
        from rich.text import Text

        err_console.print(Text(f"{self.command}: {prefix}{clean(message)} ({elapsed:.0f} s)"),
                          highlight=False, soft_wrap=True)

    def _beat(self) -> None:
        while not self._done.wait(self.every / 5):
            if self._clock() - self._last >= self.every:
                self._line(self.message, still=True)


def fail(error: DetenteError, input_name: str | None = None) -> NoReturn:
    """Print a DetenteError as one line per problem on stderr and exit with its code.

    ``input_name`` (the SCENARIO argument) is filled in as the file of scenario problems that
    were found past the loader (e.g. by an engine's input rules), which cannot know the file.
    """
    problems = error.problems
    if input_name and isinstance(error, ScenarioError):
        problems = [p if p.file else replace(p, file=input_name) for p in problems]
    err_console.print(error_text(error), highlight=False)
    for problem in problems:
        err_console.print(safe("  " + problem.format()), highlight=False, soft_wrap=True)
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

    A store that cannot take the run (locked past the timeout, a foreign file, a full disk)
    does not lose it: :func:`keep_run` writes it to a recovery store beside it and the command
    exits 1. ``quiet`` (for ``--json``) drops the note naming the run; the caller puts the id
    in its JSON. Returns the run id, or None when skipped. ``started`` (naive UTC, from
    :func:`started_now` at the command's start) makes the stored wall time cover the work.
    """
    if skip:
        return None
    from detente.runs.store import save_run

    command = shlex.join(["detente", *sys.argv[1:]])
    return keep_run(lambda path: save_run(kind=kind, command=command, tables=dict(tables),
                                          scenario=scenario, seed=seed, params=params,
                                          store=path, started=started),
                    store, quiet)


def _first_line(err: BaseException) -> str:
    """The gist of a failure on one bounded line (DuckDB puts its reason on a later line)."""
    text = err.format() if isinstance(err, DetenteError) else str(err) or type(err).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    gist = next((line for line in lines if not line.endswith(":")), lines[0] if lines else "")
    return elide(gist, 200)


def keep_run(write: Any, store: Path | None, quiet: bool) -> str:
    """Write a run with ``write(path)``; never lose it silently.

    When the store cannot take it (another writer held the lock for the whole timeout, a file
    that is not a détente store, a full disk), the run is written to a recovery store next to
    it, the one line of error names that file, and the command exits 1: a run is never dropped
    with exit 0. When the recovery store cannot be written either (a read-only folder, a full
    disk), nothing is left behind, one line says why, and the command exits 2."""
    from detente.runs.store import default_store_path

    where = Path(store) if store is not None else default_store_path()
    try:
        run_id = write(store)
    except Exception as err:  # DetenteError (busy, foreign) or an OSError of the disk
        recovery = where.with_name(f"{where.name}.recovery-{started_now():%Y%m%d-%H%M%S}-"
                                   f"{os.getpid()}.duckdb")
        reason = _first_line(err)
        try:
            run_id = write(recovery)
        except Exception as again:
            for leftover in (recovery, recovery.with_name(recovery.name + ".wal")):
                with contextlib.suppress(OSError):
                    leftover.unlink(missing_ok=True)  # a half-made recovery store helps nobody
            err_console.print(error_text(
                f"the run was not stored: {where}: {reason}; a recovery store beside it failed "
                f"too: {_first_line(again)} (free space, or --store in a writable folder)"),
                highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from None
        err_console.print(error_text(
            f"run {run_id} could not be stored in {where} ({reason}); it is "
            f"kept in {recovery} (detente runs show {run_id} --store {recovery})"),
            highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
    if not quiet:
        from rich.text import Text

        err_console.print(Text(f"run {run_id} stored in {where} (detente runs show {run_id})"),
                          highlight=False, soft_wrap=True)
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
