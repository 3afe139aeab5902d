"""``detente history``: the cited record as a yearly summary table, or the event list."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from detente.cli._app import app, console, fail, safe
from detente.errors import DetenteError


@app.command()
def history(
    from_year: Annotated[int | None, typer.Option("--from", help="First year (1984–2025).")] = None,
    to_year: Annotated[int | None, typer.Option("--to", help="Last year (1984–2025).")] = None,
    events: Annotated[bool, typer.Option("--events", help="List the dated events instead.")] = False,
    outcome: Annotated[str | None, typer.Option(
        "--outcome", help="List the records of one outcome, each with its source: launch-days, "
        "missiles, new-system-debuts, strategic-tests, nuclear-tests, warhead-estimates, "
        "alignment-events, crisis-events.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The cited record of DPRK launches, tests, diplomacy and sanctions, by year or by event."""
    from detente.evidence import yearly_summary

    try:
        summary = yearly_summary(from_year, to_year)
        if outcome is not None:
            from detente.evidence.outcomes import OUTCOMES, outcome_frame

            frame = outcome_frame(outcome)
    except DetenteError as err:
        fail(err)
    first, last = int(summary.index.min()), int(summary.index.max())
    if outcome is not None:
        column = "date" if "date" in frame.columns else "as_of"
        years = frame[column].astype(str).str[:4].astype(int)
        frame = frame[(years >= first) & (years <= last)].drop(columns=["month"],
                                                               errors="ignore")
        if as_json:
            typer.echo(json.dumps({"outcome": outcome, "unit": OUTCOMES[outcome].unit,
                                   "records": json.loads(frame.to_json(orient="records"))},
                                  ensure_ascii=False, indent=1))
            return
        table = Table(title=f"{outcome} ({OUTCOMES[outcome].unit}), {first}–{last}",
                      caption=OUTCOMES[outcome].meaning)
        for col in frame.columns:
            table.add_column(col, overflow="fold", max_width=60 if col == "source" else None)
        for row in frame.itertuples(index=False):
            table.add_row(*(Text(str(v)) for v in row))
        console.print(table)
        return
    if events:
        from detente.evidence import dated_records

        frame = dated_records(first, last)
        if as_json:
            typer.echo(json.dumps(frame.to_dict(orient="records"), ensure_ascii=False, indent=1))
            return
        table = Table(title=f"DPRK record {first}–{last}: events")
        for column in ("date", "kind", "what"):
            table.add_column(column)
        for row in frame.itertuples(index=False):
            table.add_row(safe(row.date), safe(row.kind), safe(row.what))  # user-layer text
        console.print(table)
        return
    if as_json:
        typer.echo(json.dumps(summary.reset_index().to_dict(orient="records"), indent=1))
        return
    table = Table(
        title=f"DPRK record {first}–{last}",
        caption="launch days = distinct launch dates (CNS); months with talks, UNSC resolution/veto; "
        "regime months: dialogue/stalemate/crisis",
        box=box.SIMPLE_HEAD,
    )
    for header in ("year", "launch\ndays", "mis-\nsiles", "nuc.\ntests", "talks\nmo.",
                   "UNSC\nres/veto", "regime\nd/s/c"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("US policy", overflow="fold", min_width=16)
    for year, row in summary.iterrows():
        table.add_row(
            str(year), str(row["launch_events"]), str(row["missiles"]), str(row["nuclear_tests"]),
            str(row["talks_months"]), f"{row['unsc_resolutions']}/{row['unsc_vetoes']}",
            f"{row['dialogue_months']}/{row['stalemate_months']}/{row['crisis_months']}",
            safe(row["us_policy"]),
        )
    console.print(table)
