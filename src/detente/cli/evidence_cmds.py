"""``detente evidence add|list|remove``: the user evidence layer (thin over detente.evidence.user)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from detente.cli._app import app, command_group, console, fail, safe
from detente.errors import DetenteError

evidence_app = command_group(
    "Your own dated observations (launches, nuclear tests, diplomacy, sanctions), kept in "
    "a user layer ($DETENTE_DATA or ~/.local/share/detente) on top of the shipped data.")
app.add_typer(evidence_app, name="evidence")

# fmt: off
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
# fmt: on


def _echo_json(obj: Any) -> None:
    typer.echo(json.dumps(obj, indent=2, ensure_ascii=False))


@evidence_app.command("add")
def add_cmd(
    file: Annotated[Path, typer.Argument(help="A CSV of observations, e.g. launch events: "
                                         "date,time_utc,missile,facility,outcome,source.")],
    through: Annotated[str, typer.Option(
        "--through", help="YYYY-MM-DD: the date up to which the file is complete; later "
        "months stay unobserved, never zero.")],
    kind: Annotated[str | None, typer.Option(
        "--kind", help="launches, nuclear-tests, diplomacy or sanctions (default: from the "
        "header).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a CSV of dated observations and add it to the user evidence layer."""
    from detente.evidence import user

    try:
        batch = user.add_evidence(file, through=through, kind=kind)
    except DetenteError as err:
        fail(err)
    if as_json:
        _echo_json({**batch.as_dict(), "layer": str(user.layer_dir())})
        return
    console.print(safe(
        f"added batch {batch.id}: {batch.rows} {batch.kind} row(s) from {batch.source_file} "
        f"({batch.first_date} … {batch.last_date}), complete through {batch.through}"),
        highlight=False)
    console.print(safe(f"user layer: {user.layer_dir()}"), highlight=False)


def _shipped_summary() -> list[dict[str, Any]]:
    from detente import evidence

    rows = []
    for name, frame, column in (
            ("launches", evidence.missile_launches(user_layer=False), "date"),
            ("launch days", evidence.launch_events(user_layer=False), "date"),
            ("nuclear tests", evidence.nuclear_tests(user_layer=False), "date"),
            ("diplomacy events", evidence.diplomacy_events(user_layer=False), "date_start"),
            ("sanctions", evidence.sanctions(user_layer=False), "date")):
        dates = frame[column].map(lambda d: d if isinstance(d, str) else d.strftime("%Y-%m-%d"))
        rows.append({"data": name, "rows": len(frame), "first": min(dates), "last": max(dates)})
    return rows


@evidence_app.command("list")
def list_cmd(
    added: Annotated[bool, typer.Option("--added", help="Only the batches you added.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The shipped data's ranges and the added batches (``--added``: the batches only)."""
    from detente.evidence import data_hash, user

    try:
        batches = [b.as_dict() for b in user.list_added()]
        if added:
            if as_json:
                _echo_json(batches)
                return
            summary = None
        else:
            summary = {
                "shipped": _shipped_summary(),
                "added": batches,
                "layer": str(user.layer_dir()),
                "observed_through": {k: str(v) for k, v in user.coverage().items()},
                "data_hash": data_hash(),
                "data_hash_shipped": data_hash(user_layer=False),
            }
    except DetenteError as err:
        fail(err)
    if as_json:
        _echo_json(summary)
        return
    if summary is not None:
        table = Table("shipped data", "rows", "first", "last", box=box.SIMPLE_HEAD)
        for row in summary["shipped"]:
            table.add_row(row["data"], str(row["rows"]), row["first"], row["last"])
        console.print(table)
        cover = ", ".join(f"{k} {v}" for k, v in summary["observed_through"].items())
        console.print(safe(f"observed through (last full month): {cover}"), highlight=False)
        console.print(safe(f"user layer: {summary['layer']}"), highlight=False)
    if not batches:
        console.print("no added evidence (detente evidence add FILE --through YYYY-MM-DD)")
        return
    table = Table(box=box.SIMPLE_HEAD, title="added batches")
    for column in ("id", "kind", "rows", "dates", "through", "file"):
        table.add_column(column, no_wrap=column != "file", overflow="fold")
    for b in batches:
        table.add_row(*(safe(str(v)) for v in (
            b["id"], b["kind"], b["rows"], f"{b['first_date']} … {b['last_date']}",
            b["through"], b["source_file"])))
    console.print(table)


@evidence_app.command("remove")
def remove_cmd(
    batch_id: Annotated[str, typer.Argument(metavar="ID", help="A batch id (or a unique prefix "
                                            "of 4+ characters) from detente evidence list --added.")],
    as_json: JsonOpt = False,
) -> None:
    """Remove one added batch from the user layer (the shipped data are never touched)."""
    from detente.evidence import user

    try:
        gone = user.remove_added(batch_id)
    except DetenteError as err:
        fail(err)
    if as_json:
        _echo_json(gone.as_dict())
        return
    console.print(safe(f"removed batch {gone.id} ({gone.rows} {gone.kind} row(s) from "
                       f"{gone.source_file})"), highlight=False)
