"""``detente backcast``: the bargaining engines scored on past cases against "nothing changes"."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from detente.cli._app import (
    NoStoreOpt,
    Progress,
    StoreOpt,
    app,
    console,
    fail,
    record_run,
    started_now,
)
from detente.errors import DetenteError


@app.command("backcast")
def backcast_cmd(
    scenarios: Annotated[list[str] | None, typer.Argument(
        help="Embedded scenarios with an outcome coding (default: all of them).")] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws per engine and case.")] = 200,
    seed: Annotated[int, typer.Option(help="Root seed of the draws.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Back-casts: each engine's forecast on past cases scored against what happened, beside
    the naive forecast "nothing changes"."""
    from detente.backcast import NOTHING_CHANGES, backcast

    started = started_now()
    try:
        with Progress("detente backcast", "back-casting…") as status:
            result = backcast(scenarios or None, draws=draws, seed=seed, progress=status.stage)
    except DetenteError as err:
        fail(err)
    run_id = record_run(kind="backcast", tables={"scores": result.to_frame()}, seed=seed,
                        params={"scenarios": [c["scenario"] for c in result.cases],
                                "draws": draws}, store=store, skip=no_store, quiet=as_json,
                        started=started)
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "run": run_id}, indent=1,
                              ensure_ascii=False))
        return
    for case in result.cases:
        t = Table(title=f"{case['scenario']} (as of {case['as_of']}) → outcome at "
                        f"{case['outcome_date']}", box=box.SIMPLE_HEAD)
        for col in ("issue", "rule", "status quo", "outcome", "SMP median (80 %)", "BDM median (80 %)",
                    "nothing changes"):
            t.add_column(col, justify="left" if col in ("issue", "rule") else "right")
        for issue_id, item in case["issues"].items():
            f = item["forecasts"]

            def cell(name: str, f: dict = f) -> Text:
                fc = f.get(name)
                if fc is None:
                    return Text("–")
                mark = "✓" if fc["direction_correct"] else "✗"
                return Text(f"{fc['median']:.0f} ({fc['lo']:.0f}–{fc['hi']:.0f}) {mark}")
            t.add_row(Text(issue_id), Text(item["rule"]), f"{item['status_quo']:.0f}",
                      f"{item['outcome']:.0f}", cell("smp"), cell("bdm"),
                      Text(f"{f[NOTHING_CHANGES]['median']:.0f} "
                           f"{'✓' if f[NOTHING_CHANGES]['direction_correct'] else '✗'}"))
        console.print(t)
    console.print("✓/✗: direction of change from the status quo right or wrong (changes under "
                  "2.5 points count as none).", style="dim")
    for line in result.lines():
        console.print(line, highlight=False)
