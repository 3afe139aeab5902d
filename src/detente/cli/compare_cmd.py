"""``detente compare``: policies side by side, the claims table, and the HTML report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from detente.cli._app import NoStoreOpt, Progress, StoreOpt, app, console, fail, safe
from detente.defaults import DEFAULT_DRAWS
from detente.errors import DetenteError, OptionsError, Problem

# fmt: off
ScenarioArg = Annotated[str, typer.Argument(help="An embedded scenario id (see `detente scenarios`) or a .yaml / .csv file.")]
PoliciesOpt = Annotated[str | None, typer.Option("--policies", help="Comma-separated policy ids (default: every policy of the scenario).")]
YearsOpt = Annotated[int, typer.Option("--years", help="Horizon in years (1–10).")]
DrawsOpt = Annotated[int, typer.Option("--draws", help="Monte Carlo draws (bargaining inputs paired with simulated paths).")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Root seed (drawn and printed if omitted).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder (or .html file) for the report.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the comparison and the claims as JSON.")]
NoBacktestOpt = Annotated[bool, typer.Option("--no-backtest", help="Skip the dynamic model's episode back-test (the only out-of-sample check); every output then says that none was run.")]
SweepOpt = Annotated[str | None, typer.Option("--sweep", help="A stored sweep run id (detente sweep …): its tornado charts go into the report's Sensitivity section.")]
BridgeOpt = Annotated[list[str] | None, typer.Option("--bridge", help="Bridge setting KEY=VALUE, e.g. beta_talks=0 (repeatable; see docs/report.md).")]
# fmt: on


@app.command("compare")
def compare_cmd(scenario: ScenarioArg, policies: PoliciesOpt = None, years: YearsOpt = 3,
                draws: DrawsOpt = DEFAULT_DRAWS, seed: SeedOpt = None,
                out: OutOpt = Path("out"), as_json: JsonOpt = False,
                bridge: BridgeOpt = None, no_backtest: NoBacktestOpt = False,
                store: StoreOpt = None, no_store: NoStoreOpt = False,
                sweep: SweepOpt = None,
                export: Annotated[Path | None, typer.Option(
                    "--export", help="Also write every table of the report as CSV into this "
                    "folder (one file per table).")] = None,
                no_backcast: Annotated[bool, typer.Option(
                    "--no-backcast", help="Skip the bargaining engines' back-casts (their "
                    "track record on past cases); every output then says none was run.")] = False,
                ) -> None:
    """Compare policies: launches, tests, dialogue odds, positions, the claims, the episode
    back-test of the dynamic model, the engines' track record, and a report."""
    from detente import report
    from detente.evaluation import evaluate

    try:
        settings = bridge_settings(bridge)
        sensitivity = load_sensitivity(sweep, store) if sweep else None
        report.report_target(out, "check")  # a bad --out fails before the work, not after
        with Progress("detente compare", "comparing policies…") as status:
            result = evaluate(scenario, policies, horizon_months=12 * years, draws=draws,
                              seed=seed, bridge=settings, backtest=not no_backtest,
                              backcast=not no_backcast, store=store,
                              sensitivity=sensitivity, progress=status.stage)
            status.stage("writing the report")
            content = report.context(result)
            path = report.write_context(content, out)
            if export is not None:
                exported = export_tables(result, export)
    except DetenteError as err:
        fail(err, input_name=scenario)
    run_id = record_result(result, content, store=store, skip=no_store, quiet=as_json)
    if as_json:
        typer.echo(json.dumps({**result.to_dict(), "report": str(path), "run": run_id},
                              indent=2, ensure_ascii=False, default=str))
        return
    comp = result.comparison
    if comp.bound:
        _render(comp, result.claims or [])
    else:
        _render_bargaining(comp)
    if result.track_record is not None:
        console.print("\n[bold]Track record of the bargaining engines[/] (back-casts, "
                      "detente backcast):", highlight=False)
        for line in result.track_record.lines():
            console.print(f"  {line}", highlight=False)
    for note in result.notes:
        console.print(f"[bold]Note[/]: {note}", highlight=False)
    if comp.bound:
        console.print(f"\n[bold]Out of sample[/]: {_oos_line(result.out_of_sample)}",
                      highlight=False)
    console.print(f"\nReport: [bold]{path}[/]  (open it in a browser; self-contained)")
    from detente.cli.serve_cmd import serve_hint

    console.print(safe(f"Dashboard: {serve_hint(store)}"), highlight=False, soft_wrap=True)
    if export is not None:
        console.print(f"Tables: {len(exported)} CSV files in {export}", highlight=False)


def export_tables(result, folder: Path) -> list[Path]:
    """Write every table of the report as ``folder/<name>.csv`` (atomically); a folder that
    cannot be made is an OptionsError naming it."""
    from detente._io import atomic_write

    try:
        folder.mkdir(parents=True, exist_ok=True)
        return [atomic_write(folder / f"{name}.csv", frame.to_csv(index=False))
                for name, frame in result.report_tables().items()]
    except OSError as exc:
        raise OptionsError(f"cannot write the tables to {folder}", [Problem(
            str(exc), file=str(folder), path="--export", allowed="a writable folder")]) from exc


def record_result(result, content, *, store: Path | None, skip: bool, quiet: bool):
    """Keep an Evaluation as a run with the report's content (:func:`detente.runs.record`);
    a store that cannot take it gets a recovery file and exit 1 (:func:`keep_run`)."""
    import shlex
    import sys

    from detente.cli._app import keep_run
    from detente.runs.store import record

    if skip:
        return None
    command = shlex.join(["detente", *sys.argv[1:]])
    return keep_run(lambda path: record(result, path, command=command,
                                        documents={"report": content}), store, quiet)


@app.command("report")
def report_cmd(run_id: Annotated[str, typer.Argument(help="A stored compare run (detente runs list).")],
               out: OutOpt = Path("out"), store: StoreOpt = None) -> None:
    """Re-render the report of a stored comparison from what the run keeps (nothing is
    recomputed)."""
    from detente import report
    from detente.runs.store import RunStore, read_document

    try:
        with RunStore(store, read_only=True) as st:
            content = read_document(st, run_id, "report")
        path = report.write_context(content, out)
    except DetenteError as err:
        fail(err)
    console.print(f"Report: [bold]{path}[/]  (re-rendered from run {run_id})")


def _render_bargaining(comp) -> None:
    """The bargaining-only comparison: median forecast per policy and issue."""
    frame = comp.summary_frame()
    t = Table(title=f"{comp.scenario.id}: bargaining forecasts ({comp.model.upper()}, "
                    f"{comp.draws} draws, seed {comp.seed})",
              box=None, padding=(0, 1), pad_edge=False, header_style="bold underline")
    t.add_column("policy", no_wrap=True)
    issues = [c.removesuffix("_median") for c in frame.columns if c.endswith("_median")]
    for issue in issues:
        t.add_column(issue, justify="right", no_wrap=True)
    for pid, r in frame.iterrows():
        t.add_row(Text(str(pid)), *(f"{r[f'{i}_median']:.0f}" for i in issues))
    console.print(t)


def _oos_line(oos) -> str:
    if oos is None:
        return "no out-of-sample check was run (--no-backtest)."
    if oos.held_out is None:
        return "back-test: " + " ".join(e.sentence for e in oos.episodes)
    e = oos.held_out
    return (f"back-test episode {e.label} (trained ≤ {e.until}, scored {e.first}–{e.last}): "
            f"{e.summary}.")


def bridge_settings(items: list[str] | None):  # -> BridgeSettings
    """``["beta_talks=0", "unsc_base_since=2013-10"]`` → BridgeSettings (validated): the one
    KEY=VALUE reader, then the one options validator."""
    from detente.cli._app import parse_key_values
    from detente.policy import BridgeSettings

    values = parse_key_values(items, "--bridge", "beta_talks=0") or {}
    try:  # a month like 2013-10 stays text (the reader keeps it)
        return BridgeSettings.from_mapping({k: str(v) if k == "unsc_base_since" else v
                                            for k, v in values.items()})
    except OptionsError as err:
        raise OptionsError(f"invalid --bridge settings: {err}", err.problems) from None


def _render(comp, claims) -> None:
    frame = comp.summary_frame()
    t = Table(title=f"{comp.scenario.id}: {comp.horizon_years} years from {comp.start_month}, "
                    f"{comp.engine.upper()}, {comp.draws} draws, seed {comp.seed}",
              box=None, padding=(0, 1), pad_edge=False, header_style="bold underline")
    t.add_column("policy", no_wrap=True)
    for col in (f"launches {comp.horizon_years}y", "P(nuc)", "P(talks)", "talks pos.",
                "Δ launches"):
        t.add_column(col, justify="right", no_wrap=True)
    paired = comp.paired_frame()
    paired = paired[paired["quantity"] == "launch_events"].set_index("policy")
    for pid, r in frame.iterrows():
        d = paired.loc[pid]
        t.add_row(Text(str(pid)),
                  f"{r.launch_events_median:.0f} ({r.launch_events_q10:.0f}–"
                  f"{r.launch_events_q90:.0f})",
                  f"{r.p_nuclear_test:.0%}", f"{r.p_dialogue_12m:.0%}",
                  f"{r.talks_median:.0f} ({r.talks_q10:.0f}–{r.talks_q90:.0f})",
                  f"{d['median']:+.0f} ({d['q10']:+.0f} to {d['q90']:+.0f}); fewer "
                  f"{d['p_better']:.0%} / more {d['p_worse']:.0%}")
    console.print(t)
    console.print(f"launches {comp.horizon_years}y: launch events over {comp.horizon_years} "
                  "years, median (80 % interval). P(nuc): a nuclear test within "
                  f"{comp.horizon_years} years. P(talks): dialogue starts within 12 months. "
                  "talks pos.: forecast position on the talks issue (0–100). Δ launches: the "
                  "policy minus the status quo, paired path by path (median, 80 % interval; the "
                  "shares of pairs with fewer / more launches, most pairs being equal) — "
                  "assumption-driven: it passes through the bridge rules' assumed coefficients. "
                  "The conflict-risk index is in the report's own section (a scenario index, "
                  "not a probability).", style="dim")
    if comp.monte_carlo is not None:
        style = "dim" if comp.monte_carlo.met else "bold yellow"
        console.print(safe(comp.monte_carlo.label()), style=style, highlight=False)
    if comp.bridge_sensitivity is not None:
        _render_grid(comp)
    console.print("\n[bold]Assumed responses and dynamics levers[/] (not fitted):")
    for o in comp.outcomes:
        assumed = [c.describe() for c in o.changes if c.kind == "assumption"]
        dyn = [f"{c.describe()} ({c.status.split(' (')[0]})" for c in o.changes
               if c.kind == "dynamics"]
        if not (assumed or dyn):
            console.print(safe(f"  {o.policy_id}: none"), highlight=False)
            continue
        console.print(safe(f"  {o.policy_id}: " + "; ".join(assumed)
                           + (" | dynamics: " + "; ".join(dyn) if dyn else "")), highlight=False)
    c = Table(title="The claims, tested", box=box.SIMPLE_HEAD, padding=(0, 1))
    c.add_column("#", no_wrap=True)
    c.add_column("verdict", max_width=16)
    c.add_column("why, and what détente finds", overflow="fold", ratio=1)
    for claim in claims:
        finding = Text(claim.sentence + " ", style="bold")
        finding.append(claim.finding)
        if claim.note:
            finding.append(f" — {claim.note}", style="dim")
        c.add_row(Text(claim.id), Text(f"{claim.verdict}\n({claim.basis})"), finding)
    console.print(c)


def _render_grid(comp) -> None:
    """The β_T × β_D grid: does the sign of each policy's launch difference hang on them?"""
    from detente.policy.sensitivity import GRID_BASIS

    grid = comp.bridge_sensitivity
    verdicts = grid.verdicts()
    t = Table(title="Does the ranking's sign depend on the assumed β_T and on β_D?",
              box=None, padding=(0, 1), pad_edge=False, header_style="bold underline")
    t.add_column("policy", max_width=16, overflow="fold")
    t.add_column("β_D", no_wrap=True)
    for bt in grid.beta_talks:
        star = "*" if bt == grid.shipped_beta_talks else ""
        t.add_column(f"β_T {bt:g}{star}", justify="right", no_wrap=True)
    identical = [pid for pid in comp.policy_ids
                 if verdicts.get(pid, "").startswith("identical")]
    for pid in comp.policy_ids:
        if pid in identical:
            continue
        for k, (level, value) in enumerate(grid.levels.items()):
            name = {"posterior": "posterior", "none": "0 (none)"}.get(
                level, f"{level} {value:+.2f}" if value is not None else level)
            row = [Text(str(pid) if k == 0 else ""), Text(name)]
            for bt in grid.beta_talks:
                c = grid.cell(pid, bt, level)
                row.append(Text(f"{c['mean']:+.1f} {c['p_fewer']:.0%}"))
            t.add_row(*row, end_section=k == len(grid.levels) - 1)
    console.print()
    console.print(t)
    console.print(f"Each cell: Δ launch events over {comp.horizon_years} years against the "
                  "status quo, paired path by path: mean and P(fewer launches) (medians, 80 % "
                  "intervals and Monte Carlo errors in --json, bridge_sensitivity). β_T: B1 "
                  f"beta_talks (* shipped, {grid.shipped_beta_talks:g}). β_D: the dialogue "
                  "launch-rate effect (log rate ratio), each path's posterior draw or fixed at "
                  "0 or a posterior quantile; 'posterior' under β_T* is the table above. "
                  + ("Identical to the status quo in every cell: " + ", ".join(identical)
                     + ". " if identical else "") + GRID_BASIS[0].upper() + GRID_BASIS[1:]
                  + ".", style="dim", highlight=False)
    for pid, verdict in verdicts.items():
        if pid not in identical:
            console.print(safe(f"  {pid}: {verdict}"), highlight=False)


def load_sensitivity(run_id: str, store: Path | None):  # -> detente.report.html.Sensitivity
    """The stored sweep ``run_id`` as the report's Sensitivity (read before any work, so a bad
    id fails fast). Raises OptionsError naming the run and what is allowed."""
    from detente.report.html import Sensitivity
    from detente.runs.store import RunStore
    from detente.runs.sweep import default_index

    with RunStore(store, read_only=True) as st:
        rid = st.resolve(run_id)
        rec = st.record(rid)
        if rec.kind != "sweep" or "indices" not in set(st.tables(rid)["name"]):
            raise OptionsError(f"run {rid} is not a finished sweep", [Problem(
                f"run {rid} is a {rec.kind} run ({rec.status}) without sweep indices",
                path="--sweep", allowed="the id of a finished `detente sweep` run "
                                        "(see `detente runs list`)")])
        method = str(rec.params.get("method", "sobol"))
        return Sensitivity(run_id=rid, model=str(rec.params.get("model", "")), method=method,
                           index=default_index(method), indices=st.table(rid, "indices"))
