"""``detente scenarios``, ``show``, ``validate``, ``export``: thin faces over detente.scenario."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from detente.cli._app import app, clean, console, fail, safe
from detente.errors import DetenteError, OptionsError, Problem, ScenarioError

if TYPE_CHECKING:
    from detente.scenario.model import Lever, Quantity, Scenario

# fmt: off
ScenarioArg = Annotated[str, typer.Argument(
    help="An embedded scenario id (see `detente scenarios`) or a .yaml / .csv file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the canonical JSON instead.")]
NotesOpt = Annotated[bool, typer.Option("--notes/--no-notes",
                                        help="List every number with its source and note.")]
ScaleOpt = Annotated[str | None, typer.Option(
    "--scale", metavar="LO,HI",
    help="Plain stakeholder CSV: the positions' scale, mapped linearly to 0–100 (e.g. 1,10).")]
# fmt: on

#: Formats ``detente export`` writes.
EXPORT_FORMATS = ("ktab-csv",)


def parse_scale(text: str | None) -> tuple[float, float] | None:
    """``"1,10"`` -> ``(1.0, 10.0)``; None stays None.

    Raises
    ------
    OptionsError
        Not two finite numbers ``LO,HI`` with LO < HI.
    """
    if text is None:
        return None
    parts = text.split(",")
    try:
        lo, hi = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        lo = hi = math.nan
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise OptionsError(f"--scale {text!r} is not LO,HI", [Problem(
            f"cannot read {text!r}", path="--scale", allowed="two numbers LO,HI with LO < HI, "
            "e.g. --scale 1,10")])
    return (lo, hi)


@app.command("scenarios")
def scenarios_cmd() -> None:
    """List the embedded scenarios."""
    from detente.scenario import scenarios

    table = Table("id", "title", box=box.SIMPLE_HEAD, title="Embedded scenarios")
    for scenario_id, title in scenarios():
        table.add_row(safe(scenario_id), safe(title))
    console.print(table)


@app.command("show")
def show_cmd(scenario: ScenarioArg, as_json: JsonOpt = False, notes: NotesOpt = True,
             scale: ScaleOpt = None) -> None:
    """Show a scenario: issues, actors × issues (position / salience), policies, sources."""
    from detente.scenario import load_scenario

    try:
        scn = load_scenario(scenario, parse_scale(scale))
    except DetenteError as err:
        fail(err)
    if as_json:
        typer.echo(json.dumps(scn.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    for part in _render(scn, console.width, notes):
        console.print(part)


@app.command("validate")
def validate_cmd(scenario: ScenarioArg, scale: ScaleOpt = None) -> None:
    """Check a scenario: errors exit 2, warnings only (e.g. unsourced numbers) exit 1, clean 0."""
    from detente.errors import elide
    from detente.scenario import validate

    try:
        problems = validate(scenario, parse_scale(scale))
    except DetenteError as err:
        fail(err)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    for p in problems:
        label = Text("error: ", style="bold red") if p.severity == "error" else Text(
            "warning: ", style="yellow")
        console.print(label + safe(p.format()), highlight=False, soft_wrap=True)
    unsourced = sum(p.message.startswith("unsourced number") for p in warnings)
    summary = (f"{elide(scenario, 300)}: {len(errors)} error(s), {len(warnings)} warning(s), "
               f"{unsourced} unsourced number(s)")
    console.print(safe(summary, "bold"), highlight=False, soft_wrap=True)
    raise typer.Exit(code=2 if errors else 1 if warnings else 0)


@app.command("export")
def export_cmd(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", help="The file to write (replaced atomically).")],
    fmt: Annotated[str, typer.Option("--format", help="Output format: ktab-csv.")] = "ktab-csv",
    scale: ScaleOpt = None,
) -> None:
    """Write a scenario in another tool's format (ktab-csv: KTAB SMP CSV for smpc --csv)."""
    from detente.scenario import load_scenario
    from detente.scenario.interop import write_ktab_csv

    try:
        if fmt not in EXPORT_FORMATS:
            raise OptionsError(f"--format {fmt!r} is not a known format", [Problem(
                f"unknown format {fmt!r}", path="--format",
                allowed=" | ".join(EXPORT_FORMATS))])
        scn = load_scenario(scenario, parse_scale(scale))
        try:
            path = write_ktab_csv(scn, out)
        except OSError as exc:
            raise ScenarioError(f"cannot write {out}", [Problem(
                str(exc), file=str(out), allowed="a writable file in an existing folder")]) from exc
    except DetenteError as err:
        fail(err)
    console.print(f"wrote {path} (KTAB SMP CSV: {len(scn.actors)} actors, "
                  f"{len(scn.issues)} issues; saliences as ktab_saliences)", highlight=False)


# --- rendering (presentation only; the numbers come from the Scenario) ----------------------


def _num(x: float) -> str:
    return f"{x:.4g}"


def _quantity_text(q: Quantity) -> str:
    text = _num(q.value)
    if q.range is not None:
        text += f"\n[{_num(q.range[0])}–{_num(q.range[1])}]"
    return text


def _render(scn: Scenario, width: int, notes: bool = True) -> list[RenderableType]:
    """Issues, the actors × issues table, policies, per-number sources and notes, sources."""
    parts: list[RenderableType] = []
    head = Text(clean(scn.title), style="bold")
    head.append(f"  ({scn.id}" + (f", as of {scn.as_of.isoformat()}" if scn.as_of else "") + ")",
                style="dim")
    parts.append(head)
    if scn.summary:
        parts.append(Text(clean(scn.summary.strip())))

    issues = Table("issue", "scale", box=box.SIMPLE_HEAD, title="Issues (0–100 scales)",
                   title_justify="left", show_header=False)
    for issue in scn.issues:
        scale = Text(clean(issue.name), style="bold")
        scale.append(f"\n  0: {clean(issue.low)}")
        if issue.mid:
            scale.append(f"\n 50: {clean(issue.mid)}")
        scale.append(f"\n100: {clean(issue.high)}")
        if issue.status_quo is not None:
            scale.append(f"\nnow: {_num(issue.status_quo.value)} (status quo)", style="dim")
        if issue.absent:
            scale.append(f"\nabsent: {', '.join(issue.absent)}", style="dim")
        issues.add_row(Text(clean(issue.id), style="bold cyan"), scale)
    parts.append(issues)
    parts.extend(_grid(scn, width))
    parts.extend(_policies(scn))
    if notes:
        parts.append(_numbers(scn))
    if scn.sources:
        sources = Table("source", "document", "address", box=box.SIMPLE_HEAD,
                        title="Sources", title_justify="left")
        for src in scn.sources:
            doc = Text(clean(src.title))
            meta = ", ".join(x for x in (src.publisher, src.date) if x)
            if meta:
                doc.append(f" ({meta})", style="dim")
            sources.add_row(Text(clean(src.id), style="cyan"), doc, safe(src.address or ""))
        parts.append(sources)
    return parts


def _grid(scn: Scenario, width: int) -> list[Table]:
    """Position / salience per actor and issue.

    Actors are rows; when the issues do not fit the terminal, the table is transposed if that
    fits, else split into several tables of consecutive issues.
    """
    cells: dict[tuple[str, str], str | Text] = {}
    for a in scn.actors:
        for i in scn.issues:
            st = a.stances.get(i.id)
            absent = st is None or a.id in i.absent
            cells[(a.id, i.id)] = (Text("—", style="dim") if absent or st is None
                                   else f"{_num(st.position.value)} / {_num(st.salience.value)}")
    cell_w = max(len(str(c)) for c in cells.values())
    actor_w = max(len(a.id) for a in scn.actors)
    issue_w = [max(len(i.id), cell_w) + 3 for i in scn.issues]
    fixed = actor_w + 3 + 13  # actor and capability columns with padding
    by_issue = max(max(len(i.id) for i in scn.issues), 10) + 3 + sum(
        max(len(a.id), cell_w) + 3 for a in scn.actors)
    title = "Actors × issues: position / salience (0–100)"
    caption = "— = absent; capability in the file's units (only ratios matter)"
    if fixed + sum(issue_w) > width and by_issue <= width:
        grid = Table(box=box.SIMPLE_HEAD, title=title + ", issues as rows",
                     title_justify="left", caption=caption, caption_justify="left")
        grid.add_column("issue", no_wrap=True)
        for a in scn.actors:
            grid.add_column(a.id, justify="right", no_wrap=True)
        grid.add_row(Text("capability", style="dim"),
                     *(Text(_num(a.capability.value), style="dim") for a in scn.actors))
        for i in scn.issues:
            grid.add_row(Text(clean(i.id), style="bold"), *(cells[(a.id, i.id)] for a in scn.actors))
        return [grid]
    chunks: list[list[int]] = [[]]
    used = fixed
    for k, w in enumerate(issue_w):
        if chunks[-1] and used + w > width:
            chunks.append([])
            used = fixed
        chunks[-1].append(k)
        used += w
    tables = []
    for n, chunk in enumerate(chunks):
        part = f" ({n + 1}/{len(chunks)})" if len(chunks) > 1 else ""
        grid = Table(box=box.SIMPLE_HEAD, title=title + part, title_justify="left",
                     caption=caption if n == len(chunks) - 1 else None, caption_justify="left")
        grid.add_column("actor", no_wrap=True, min_width=actor_w)
        grid.add_column("capability", justify="right", no_wrap=True)
        issues = [scn.issues[k] for k in chunk]
        for issue in issues:
            grid.add_column(issue.id, justify="right", no_wrap=True)
        for a in scn.actors:
            grid.add_row(Text(clean(a.id), style="bold"), _num(a.capability.value),
                         *(cells[(a.id, i.id)] for i in issues))
        tables.append(grid)
    return tables


def _policies(scn: Scenario) -> list[RenderableType]:
    parts: list[RenderableType] = []
    for p in scn.policies:
        table = Table("kind", "change", "rationale", box=box.SIMPLE_HEAD, title_justify="left",
                      title=safe(f"Policy {p.id}: {p.name} (chosen by {', '.join(p.chosen_by)})"),
                      caption=safe(p.summary.strip()) if p.summary else None, caption_justify="left")
        for c in p.levers:
            table.add_row("lever", safe(_change_text(c)), safe(c.rationale or ""))
        for c in p.assumptions:
            table.add_row(Text("assumed", style="yellow"), safe(_change_text(c)),
                          safe(c.rationale or ""))
        for d in p.dynamics:
            table.add_row("dynamics", safe(f"{d.name} = {_num(d.value)}"), safe(d.rationale or ""))
        if not (p.levers or p.assumptions or p.dynamics):
            table.add_row(Text("—", style="dim"), "no changes: the baseline", "")
        parts.append(table)
    return parts


def _numbers(scn: Scenario) -> Table:
    table = Table("number", "value", "source", "note", box=box.SIMPLE_HEAD,
                  title="Numbers, sources and rationale ([lo–hi] = range for uncertainty runs)",
                  title_justify="left")
    for actor in scn.actors:
        table.add_row(Text(f"{actor.id} capability", style="bold"),
                      _quantity_text(actor.capability), _source_text(actor.capability),
                      safe(actor.capability.note or ""))
        for issue_id, stance in actor.stances.items():
            for field in ("position", "salience"):
                q: Quantity = getattr(stance, field)
                table.add_row(f"{actor.id} {issue_id} {field}", _quantity_text(q),
                              _source_text(q), safe(q.note or ""))
        table.add_section()
    for name, q in scn.dynamics.items():
        table.add_row(f"dynamics {name}", _quantity_text(q), _source_text(q),
                      safe(q.note or ""))
    return table


def _source_text(q: Quantity) -> Text:
    if q.source is None:
        return Text("unsourced", style="red")
    return Text(clean(q.source), style="cyan", overflow="fold")


def _change_text(c: Lever) -> str:
    where = c.actor + (f".{c.issue}" if c.issue else "")
    if c.op == "set":
        amount = f"= {_num(c.value)}"
    elif c.op == "shift":
        amount = f"{'+' if c.value >= 0 else '−'}{_num(abs(c.value))}"
    else:
        amount = f"×{_num(c.value)}"
    text = f"{where}.{c.field} {amount}"
    rng = getattr(c, "range", None)
    if rng is not None:
        text += f" [{_num(rng[0])}, {_num(rng[1])}]"
    return text
