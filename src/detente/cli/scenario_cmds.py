"""``detente scenarios``, ``detente show``, ``detente validate``: thin faces over detente.scenario."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from detente.cli._app import app, console, fail
from detente.errors import DetenteError
from detente.scenario.model import Lever, Quantity, Scenario

# fmt: off
ScenarioArg = Annotated[str, typer.Argument(
    help="An embedded scenario id (see `detente scenarios`) or a .yaml / .csv file.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the canonical JSON instead.")]
# fmt: on


@app.command("scenarios")
def scenarios_cmd() -> None:
    """List the embedded scenarios."""
    from detente.scenario import scenarios

    table = Table("id", "title", box=box.SIMPLE_HEAD, title="Embedded scenarios")
    for scenario_id, title in scenarios():
        table.add_row(scenario_id, title)
    console.print(table)


@app.command("show")
def show_cmd(scenario: ScenarioArg, as_json: JsonOpt = False) -> None:
    """Show a scenario: issues, actors × issues (position / salience), policies, sources."""
    from detente.scenario import load_scenario

    try:
        scn = load_scenario(scenario)
    except DetenteError as err:
        fail(err)
    if as_json:
        typer.echo(json.dumps(scn.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    for part in _render(scn):
        console.print(part)


@app.command("validate")
def validate_cmd(scenario: ScenarioArg) -> None:
    """Check a scenario: errors exit 2, warnings only (e.g. unsourced numbers) exit 1, clean 0."""
    from detente.scenario import validate

    problems = validate(scenario)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    for p in problems:
        label = Text("error: ", style="bold red") if p.severity == "error" else Text(
            "warning: ", style="yellow")
        console.print(label + Text(p.format()), highlight=False, soft_wrap=True)
    unsourced = sum(p.message.startswith("unsourced number") for p in warnings)
    summary = (f"{scenario}: {len(errors)} error(s), {len(warnings)} warning(s), "
               f"{unsourced} unsourced number(s)")
    console.print(Text(summary, style="bold"), highlight=False, soft_wrap=True)
    raise typer.Exit(code=2 if errors else 1 if warnings else 0)


# --- rendering (presentation only; the numbers come from the Scenario) ----------------------


def _num(x: float) -> str:
    return f"{x:.4g}"


def _quantity_text(q: Quantity) -> str:
    text = _num(q.value)
    if q.range is not None:
        text += f" [{_num(q.range[0])}–{_num(q.range[1])}]"
    return text


def _render(scn: Scenario) -> list[RenderableType]:
    """Issues, the actors × issues table, policies, sources and per-number notes."""
    parts: list[RenderableType] = []
    head = Text(scn.title, style="bold")
    head.append(f"  ({scn.id}" + (f", as of {scn.as_of.isoformat()}" if scn.as_of else "") + ")",
                style="dim")
    parts.append(head)
    if scn.summary:
        parts.append(Text(scn.summary.strip()))

    issues = Table("issue", "name", "0 means", "100 means", box=box.SIMPLE_HEAD,
                   title="Issues (0–100 scales)", title_justify="left")
    for issue in scn.issues:
        low = issue.low + (f"  (50: {issue.mid})" if issue.mid else "")
        issues.add_row(issue.id, issue.name, low, issue.high)
    parts.append(issues)

    grid = Table(box=box.SIMPLE_HEAD, title="Actors × issues: position / salience",
                 title_justify="left", caption="absent: — ; \\[lo–hi] = range for uncertainty runs",
                 caption_justify="left")
    grid.add_column("actor")
    grid.add_column("capability", justify="right")
    for issue in scn.issues:
        grid.add_column(issue.id, justify="right")
    for actor in scn.actors:
        cells = [Text(actor.id, style="bold"), _quantity_text(actor.capability)]
        for issue in scn.issues:
            stance = actor.stances.get(issue.id)
            if stance is None or actor.id in issue.absent:
                cells.append(Text("—", style="dim"))
            else:
                cells.append(f"{_num(stance.position.value)} / {_num(stance.salience.value)}")
        grid.add_row(*cells)
    parts.append(grid)

    if scn.policies:
        policies = Table("policy", "chosen by", "levers", "assumptions (analyst)", "dynamics",
                         box=box.SIMPLE_HEAD, title="Policies", title_justify="left")
        for p in scn.policies:
            levers = "\n".join(_change_text(c) for c in p.levers) or "—"
            assumed = "\n".join(_change_text(c) for c in p.assumptions) or "—"
            dyn = "\n".join(f"{d.name} = {_num(d.value)}" for d in p.dynamics) or "—"
            policies.add_row(f"{p.id}\n[dim]{p.name}[/]", ", ".join(p.chosen_by), levers,
                             assumed, dyn)
        parts.append(policies)

    numbers = Table("number", "value", "source", "note", box=box.SIMPLE_HEAD,
                    title="Numbers, sources and rationale", title_justify="left")
    for actor in scn.actors:
        numbers.add_row(f"{actor.id} capability", _quantity_text(actor.capability),
                        actor.capability.source or _UNSOURCED, actor.capability.note or "")
        for issue_id, stance in actor.stances.items():
            for field in ("position", "salience"):
                q: Quantity = getattr(stance, field)
                numbers.add_row(f"{actor.id} {issue_id} {field}", _quantity_text(q),
                                q.source or _UNSOURCED, q.note or "")
    for name, q in scn.dynamics.items():
        numbers.add_row(f"dynamics {name}", _quantity_text(q), q.source or _UNSOURCED,
                        q.note or "")
    parts.append(numbers)

    if scn.sources:
        sources = Table("id", "title", "publisher", "date", "address", box=box.SIMPLE_HEAD,
                        title="Sources", title_justify="left")
        for s in scn.sources:
            sources.add_row(s.id, s.title, s.publisher or "", s.date or "", s.address or "")
        parts.append(sources)
    return parts


_UNSOURCED = "[red]unsourced[/]"


def _change_text(c: Lever) -> str:
    where = c.actor + (f".{c.issue}" if c.issue else "")
    sign = {"set": "=", "shift": "+=", "scale": "×="}[c.op]
    text = f"{where}.{c.field} {sign} {_num(c.value)}"
    rng = getattr(c, "range", None)
    if rng is not None:
        text += f" [{_num(rng[0])}, {_num(rng[1])}]"
    return text
