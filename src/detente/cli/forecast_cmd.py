"""``detente forecast``: where the bargaining on each issue ends up (thin over detente.forecast)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from detente.cli._app import (
    NoStoreOpt,
    Progress,
    StoreOpt,
    app,
    console,
    fail,
    parse_key_values,
    record_run,
    safe,
    started_now,
)
from detente.errors import DetenteError

# fmt: off
ScenarioArg = Annotated[str, typer.Argument(
    help="An embedded scenario id (see `detente scenarios`) or a .yaml / .csv file.")]
ModelOpt = Annotated[str, typer.Option("--model", help="Bargaining engine: bdm, smp, or all (BDM and SMP side by side).")]
RoundsOpt = Annotated[int | None, typer.Option("--rounds", help="Rounds to run (default 10; smp: turn limit, default 100).")]
PolicyOpt = Annotated[str | None, typer.Option("--policy", help="Apply this policy id first.")]
DrawsOpt = Annotated[int, typer.Option("--draws", help="Monte Carlo draws over the ranges (0 = none).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Root seed of the draws (recorded if omitted).")]
PerturbOpt = Annotated[float, typer.Option("--perturbation", help="Global ± points added to positions and saliences in draws.")]
IssueOpt = Annotated[str | None, typer.Option("--issue", help="Only this issue.")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="Engine option KEY=VALUE, e.g. capitulation=never, q=0.5 (repeatable).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
# fmt: on


@app.command("forecast")
def forecast_cmd(
    scenario: ScenarioArg,
    model: ModelOpt = "bdm",
    rounds: RoundsOpt = None,
    policy: PolicyOpt = None,
    draws: DrawsOpt = 0,
    seed: SeedOpt = None,
    perturbation: PerturbOpt = 0.0,
    issue: IssueOpt = None,
    settings: SetOpt = None,
    as_json: JsonOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Forecast the bargaining outcome per issue: start median, forecast, cycle range, who moves."""
    from detente.scenario import load_scenario

    started = started_now()
    models = ("bdm", "smp") if model == "all" else (model,)
    try:
        scen = load_scenario(scenario)
        # the engines after the file: a broken scenario is reported without importing them
        from detente.bargaining.forecast import forecast, options_by_engine
        from detente.bargaining.montecarlo import resolve_seed

        per_engine = options_by_engine(parse_key_values(settings, "--set", "capitulation=never"),
                                       models)
        # one seed for every engine of the run, drawn here when none is given and recorded
        seed = resolve_seed(seed) if draws else seed
    except DetenteError as err:
        fail(err, input_name=scenario)
    run_params = {"model": model, "rounds": rounds, "policy": policy, "draws": draws,
                  "perturbation": perturbation, "issue": issue}

    if model == "all":  # every engine on the same inputs, one side-by-side table per issue
        try:
            both = {m: forecast(scen, model=m, rounds=rounds, policy=policy, draws=draws,
                                seed=seed, issue=issue, perturbation=perturbation,
                                options=per_engine[m] or None)
                    for m in models}
        except DetenteError as err:
            fail(err, input_name=scenario)
        tables = {}
        for m, fc in both.items():
            tables.update({f"{m}.summary": fc.summary_frame(), f"{m}.rounds": fc.to_frame(),
                           f"{m}.draws": fc.draws_frame()})
        run_id = record_run(kind="forecast", tables=tables, scenario=scen,
                            seed=both["bdm"].seed,
                            params={**run_params,
                                    "options": {m: dict(f.options) for m, f in both.items()}},
                            store=store, skip=no_store, quiet=as_json, started=started)
        if as_json:
            typer.echo(json.dumps({**{m: f.to_dict() for m, f in both.items()}, "run": run_id},
                                  indent=2, ensure_ascii=False))
            return
        _render_side_by_side(both)
        return
    try:
        with Progress("detente forecast", f"{model}: {draws:,} draws", enabled=draws > 0) as bar:
            result = forecast(scen, model=model, rounds=rounds, policy=policy, draws=draws,
                              seed=seed, options=per_engine[model] or None, issue=issue,
                              perturbation=perturbation,
                              progress=lambda done, total: bar.count(done, total, "draws"))
    except DetenteError as err:
        fail(err, input_name=scenario)
    run_id = record_run(kind="forecast", scenario=scen, seed=result.seed,
                        params={**run_params, "options": dict(result.options)},
                        tables={"summary": result.summary_frame(), "rounds": result.to_frame(),
                                "draws": result.draws_frame()},
                        store=store, skip=no_store, quiet=as_json, started=started)
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "run": run_id}, indent=2,
                              ensure_ascii=False))
        return
    _render(result)


def _render(result) -> None:
    """One table per issue: the numbers, who moves, and the largest moves in words."""
    from rich import box
    from rich.table import Table  # Rich only for a table: --json never loads it

    head = f"{result.model.upper()} forecast: {result.scenario_id}"
    if result.policy_id:
        head += f", policy {result.policy_id}"
    console.print(safe(head, "bold"), highlight=False)
    names = result.actor_names
    for issue_id, res in result.results.items():
        table = Table(box=box.SIMPLE_HEAD, show_header=False, title=issue_id, title_justify="left",
                      title_style="bold")
        table.add_column("what", style="dim", no_wrap=True)
        table.add_column("value", overflow="fold")
        table.add_row("start median", f"{res.start_median:.1f}")
        table.add_row("forecast", f"[bold]{res.forecast:.1f}[/]")
        table.add_row("cycle range", f"{res.cycle_low:.1f} – {res.cycle_high:.1f}")
        if res.rule != "collective":
            table.add_row("decision rule", res.rule + " (docs/decision-rules.md)")
        table.add_row("stop", res.stop)
        if hasattr(res, "modal_position"):  # SMP: the most likely final position
            table.add_row("most likely", f"{res.modal_position:.1f} "
                          f"(p = {res.modal_probability:.2f}; KTAB's rule: {res.stop_reason})")
        if result.draws:
            dist = result.distributions[issue_id]
            q = dist.quantiles((0.05, 0.5, 0.95))
            table.add_row("draws: median, 90%",
                          f"{q[0.5]:.1f}  ({q[0.05]:.1f} – {q[0.95]:.1f})")
            table.add_row(f"P(above {dist.reference})", f"{dist.p_moves_up():.0%}")
            for name, p in dist.threshold_probabilities().items():
                if name not in ("start median", dist.reference):
                    table.add_row(f"P(above {name} {p['value']:.0f})", f"{p['p_above']:.0%}")
        movers = res.movers()
        who = ", ".join(f"{names.get(m.actor, m.actor)} {m.start:.0f}→{m.end:.0f} ({m.moves}×)"
                        for m in movers.itertuples()) or "nobody"
        table.add_row("who moves", safe(who))
        for k, sentence in enumerate(res.key_moves(top=3, names=names)):
            table.add_row("largest moves" if k == 0 else "", safe(sentence))
        console.print(table)
    last = next(iter(result.results.values())).rounds_run
    note = (f"forecast = median of the per-round median-voter position over rounds "
            f"{result.options.get('burn_in', 0) + 1}–{last} (the model can cycle)")
    if result.model == "smp":
        note = (f"forecast = probability-weighted expected outcome after {last} turns; "
                f"saliences: {result.options.get('salience_rule', '')} rule")
    if result.draws:
        note += f"; {result.draws} draws, seed {result.seed}"
    console.print(note, style="dim", highlight=False)


def _render_side_by_side(results) -> None:
    """One table per issue with a column per engine, so agreement is visible at a glance."""
    from rich import box
    from rich.table import Table

    models = list(results)
    first = results[models[0]]
    console.print(safe(f"Bargaining forecasts: {first.scenario_id}", "bold"), highlight=False)
    for issue_id in first.results:
        table = Table(box=box.SIMPLE_HEAD, title=issue_id, title_justify="left",
                      title_style="bold")
        table.add_column("", style="dim", no_wrap=True)
        for m in models:
            table.add_column(m.upper(), justify="right")
        rows = [("start median", lambda r, d: f"{r.start_median:.1f}"),
                ("forecast", lambda r, d: f"[bold]{r.forecast:.1f}[/]"),
                ("range", lambda r, d: f"{r.cycle_low:.1f} – {r.cycle_high:.1f}"),
                ("rounds run", lambda r, d: f"{r.rounds_run}")]
        if first.draws:
            rows.append(("draws: 5–95%", lambda r, d: "{:.1f} – {:.1f}".format(
                *d.quantiles((0.05, 0.95)).values())))
        for label, cell in rows:
            table.add_row(label, *(cell(results[m].results[issue_id],
                                        results[m].distributions.get(issue_id)) for m in models))
        gap = abs(results[models[0]].results[issue_id].forecast
                  - results[models[-1]].results[issue_id].forecast)
        table.add_row("models differ by", f"{gap:.1f} points", *[""] * (len(models) - 1))
        console.print(table)
