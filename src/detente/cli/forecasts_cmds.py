"""``detente forecasts freeze|verify|score|questions``: thin faces over :mod:`detente.forecasts`.

The commands parse options, call the library and render: nothing is computed here.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from detente.cli._app import Progress, app, command_group, console, err_console, fail, safe
from detente.errors import DetenteError

forecasts_app = command_group(
    "Frozen, dated, resolvable forecasts: freeze them, verify them, score them.")
app.add_typer(forecasts_app, name="forecasts")

# fmt: off
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
QuestionsOpt = Annotated[Path | None, typer.Option("--questions", help="A questions YAML file (default: the shipped Korea set).")]
StoreOpt = Annotated[Path | None, typer.Option("--store", envvar="DETENTE_STORE", help="Run store (DuckDB file); default ./detente-runs.duckdb.")]
# fmt: on


def _echo_json(obj: Any) -> None:
    from detente.runs.store import canonical_json

    typer.echo(json.dumps(json.loads(canonical_json(obj)), indent=1, ensure_ascii=False))


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def _forecast_text(qtype: str, fc: dict[str, Any] | None) -> str:
    if not fc:
        return "–"
    if qtype == "binary":
        return f"{fc['p']:.0%}"
    return f"{_fmt(fc.get('mean'))} ({_fmt(fc.get('q10'))}–{_fmt(fc.get('q90'))})"


@forecasts_app.command("questions")
def questions_cmd(
    questions: QuestionsOpt = None,
    as_of: Annotated[str, typer.Option("--as-of", help="As-of month YYYY-MM the windows count from.")] = "2025-12",
    as_json: JsonOpt = False,
) -> None:
    """Validate a questions file and list its questions with their windows."""
    from detente.forecasts import date_questions, load_questions

    try:
        qset = load_questions(questions)
        dated = date_questions(qset, as_of)
    except DetenteError as err:
        fail(err, str(questions) if questions else None)
    if as_json:
        _echo_json({"id": qset.id, "title": qset.title, "as_of": as_of,
                    "questions": [q.to_dict() for q in dated]})
        return
    t = Table("id", "type", "outcome", "window", "question", box=box.SIMPLE_HEAD,
              title=f"{qset.id}: {qset.title} (as of {as_of})")
    for q in dated:
        t.add_row(safe(q.id), q.type, q.outcome, f"{q.window_start} … {q.window_end}",
                  safe(q.text))
    console.print(t)


@forecasts_app.command("freeze")
def freeze_cmd(
    as_of: Annotated[str, typer.Option("--as-of", help="Last month the forecasters see, YYYY-MM.")],
    questions: QuestionsOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Portable record to write (default forecasts-AS_OF.json); never overwritten.")] = None,
    draws: Annotated[int, typer.Option(help="Sample paths per forecaster.")] = 4000,
    seed: Annotated[int, typer.Option(help="Root seed (recorded).")] = 0,
    method: Annotated[str, typer.Option(help="Fit method: nuts (headline) or laplace (fast).")] = "nuts",
    store: StoreOpt = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Write the portable file only.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fit on the data up to --as-of, answer every question, and freeze the answers."""
    from detente.forecasts import freeze, store_record, write_record

    target = out or Path(f"forecasts-{as_of}.json")
    try:
        with Progress("detente forecasts freeze", "fitting and answering (JAX compiles on "
                      "first use)"):
            record = freeze(questions, as_of=as_of, draws=draws, seed=seed, method=method)
        run_id = None
        if not no_store:
            run_id = store_record(record, store,
                                  command=shlex.join(["detente", *sys.argv[1:]]))
        write_record(record, target)
    except DetenteError as err:
        fail(err, str(questions) if questions else None)
    if as_json:
        _echo_json({"id": record.id, "sha256": record.sha256, "file": str(target),
                    "run_id": run_id, "hashes": record.data["hashes"],
                    "record": record.to_dict()})
        return
    t = Table("question", "window", "model", "ensemble", "climatology", box=box.SIMPLE_HEAD,
              title=f"Frozen as of {record.as_of}: {record.id}")
    from detente.forecasts import ENSEMBLE, MODEL

    for q in record.questions:
        t.add_row(safe(q.id), f"{q.window_start} … {q.window_end}",
                  _forecast_text(q.type, record.forecast(q.id, MODEL)),
                  _forecast_text(q.type, record.forecast(q.id, ENSEMBLE)),
                  _forecast_text(q.type, record.forecast(q.id, "climatology")))
    console.print(t)
    console.print(safe(f"sha256 {record.sha256}; written to {target}"
                       + (f"; stored as run {run_id}" if run_id else "; not stored (--no-store)")))
    if record.data["hashes"]["lock"] is None:
        err_console.print(safe("note: " + record.data["hashes"]["lock_note"]))


@forecasts_app.command("verify")
def verify_cmd(
    file: Annotated[Path, typer.Argument(help="A portable frozen record (forecasts-YYYY-MM.json).")],
    as_json: JsonOpt = False,
) -> None:
    """Recompute a frozen record's SHA-256: exit 0 intact, 1 tampered or unreadable."""
    from detente.forecasts import verify

    check = verify(file)
    if as_json:
        _echo_json(check.to_dict())
    elif check.ok:
        console.print(safe(f"{file}: intact (sha256 {check.stored}; record {check.record_id})"))
        if check.model_source_current is False:
            console.print(safe("note: the model source has changed since this record was "
                               "frozen (the record still holds the old model's forecasts)"))
    else:
        err_console.print(safe(f"{file}: {check.reason}", "bold red"))
    raise typer.Exit(code=0 if check.ok else 1)


@forecasts_app.command("score")
def score_cmd(
    record: Annotated[Path | None, typer.Argument(help="A frozen record (default: the one shipped, frozen as of 2025-12).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Resolve every question whose window has closed and score each forecaster."""
    from detente.forecasts import evidence_inputs, read_record, score

    try:
        frozen = read_record(record)
        panel, frames = evidence_inputs()
        result = score(frozen, panel, frames)
    except DetenteError as err:
        fail(err)
    if as_json:
        _echo_json(result.to_dict())
        return
    info = result.record
    console.print(safe(f"record {info['id']} (as of {info['as_of']}, sha256 "
                       f"{info['sha256'][:16]}…): {info['resolved']} resolved, "
                       f"{info['open']} open"))
    if result.resolved:
        t = Table("forecaster", "score", "questions", "n", "mean", "model − this", "p", "verdict",
                  box=box.SIMPLE_HEAD, title="Leaderboard (smaller is better; coverage: "
                  "nearest its nominal level)")
        for row in result.leaderboard:
            t.add_row(safe(row["forecaster"]), row["score"], row["questions"], str(row["n"]),
                      _fmt(row["mean"]), _fmt(row.get("model_minus")),
                      _fmt(row.get("p_value"), 2),
                      row.get("verdict") or f"nominal {row.get('nominal')}")
        console.print(t)
    if result.calibration:
        c = Table("forecaster", "bin", "forecast", "observed", "n", box=box.SIMPLE_HEAD,
                  title="Calibration of the binary questions")
        for row in result.calibration:
            c.add_row(safe(row["forecaster"]), f"{row['low']:.1f}–{row['high']:.1f}",
                      _fmt(row["forecast"]), _fmt(row["observed"]), str(row["n"]))
        console.print(c)
    if result.open:
        from detente.forecasts import ENSEMBLE, MODEL

        o = Table("open question", "window", "model", "ensemble", "why open",
                  box=box.SIMPLE_HEAD, title="Still open (frozen forecasts)")
        for q in result.open:
            o.add_row(safe(q["id"]), f"{q['window_start']} … {q['window_end']}",
                      _forecast_text(q["type"], q["forecast"].get(MODEL)),
                      _forecast_text(q["type"], q["forecast"].get(ENSEMBLE)),
                      safe(q["open_reason"] or ""))
        console.print(o)
    for note in result.notes:
        console.print(safe("note: " + note))
