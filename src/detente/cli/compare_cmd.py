"""``detente compare``: policies side by side, the claims table, and the HTML report."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich import box
from rich.table import Table
from rich.text import Text

from detente.cli._app import NoStoreOpt, StoreOpt, app, console, fail, record_run
from detente.errors import DetenteError, OptionsError, Problem
from detente.policy.compare import DEFAULT_DRAWS

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
                sweep: SweepOpt = None) -> None:
    """Compare policies: launches, tests, dialogue odds, positions, the claims, the episode
    back-test of the dynamic model, and a report."""
    from detente.policy import claims_table, compare
    from detente.policy.episode import out_of_sample
    from detente.report import report_target, write_report

    try:
        settings = bridge_settings(bridge)
        sensitivity = load_sensitivity(sweep, store) if sweep else None
        report_target(out, "check")  # a bad --out fails before the work, not after
        with console.status("comparing policies…") as status:
            comp = compare(scenario, policies, horizon_years=years, draws=draws, seed=seed,
                           bridge=settings, progress=lambda msg: status.update(msg))
            from detente.evidence import monthly_panel

            panel = monthly_panel()
            bt = None
            if not no_backtest:
                from detente.dynamics import backtest

                def step(done: int, total: int, label: str) -> None:
                    status.update(f"back-testing the dynamic model: episode {label} "
                                  f"({done}/{total})")

                status.update("back-testing the dynamic model on the held-out episodes")
                with warnings.catch_warnings():  # log(0) inside a baseline's score, not ours
                    warnings.simplefilter("ignore", RuntimeWarning)
                    bt = backtest(panel, origins=[], episodes=True, seed=comp.seed % 2**32,
                                  progress=step)
            claims = claims_table(comp, panel=panel, backtest=bt)
            status.update("writing the report")
            path = write_report(comp, out, claims=claims, panel=panel, backtest=bt,
                                sensitivity=sensitivity)
    except DetenteError as err:
        fail(err)
    oos = out_of_sample(bt, comp.posterior.until)
    tables = {"comparison": comp.to_frame(),
              "claims": pd.DataFrame([c.__dict__ for c in claims]).astype(str)}
    if bt is not None:
        tables["backtest_episodes"] = bt.summary("episode").reset_index()
    run_id = record_run(kind="compare", tables=tables, scenario=comp.scenario, seed=comp.seed,
                        params={"policies": policies, "years": years, "draws": draws,
                                "bridge": dataclasses.asdict(comp.bridge),
                                "backtest": not no_backtest, "report": str(path),
                                "sweep": sweep},
                        store=store, skip=no_store, quiet=as_json)
    if as_json:
        doc = {**comp.to_dict(), "claims": [c.__dict__ for c in claims],
               "out_of_sample": _oos_json(oos), "report": str(path), "run": run_id}
        typer.echo(json.dumps(doc, indent=2, ensure_ascii=False, default=str))
        return
    _render(comp, claims)
    console.print(f"\n[bold]Out of sample[/]: {_oos_line(oos)}", highlight=False)
    console.print(f"\nReport: [bold]{path}[/]  (open it in a browser; self-contained)")


def _oos_line(oos) -> str:
    if oos is None:
        return "no out-of-sample check was run (--no-backtest)."
    if oos.held_out is None:
        return "back-test: " + " ".join(e.sentence for e in oos.episodes)
    e = oos.held_out
    return (f"back-test episode {e.label} (trained ≤ {e.until}, scored {e.first}–{e.last}): "
            f"{e.summary}.")


def _oos_json(oos) -> dict | None:
    if oos is None:
        return None
    return {"held_out": None if oos.held_out is None else oos.held_out.label,
            "episodes": [{"label": e.label, "until": e.until, "first": e.first, "last": e.last,
                          "beats": list(e.beats), "beaten_by": list(e.beaten_by),
                          "mixed": list(e.mixed), "verdict": e.sentence}
                         for e in oos.episodes]}


def bridge_settings(items: list[str] | None):  # -> BridgeSettings
    """``["beta_talks=0", "unsc_base_since=2013-10"]`` → BridgeSettings (validated)."""
    import dataclasses

    from detente.policy import BridgeSettings

    known = {f.name: f for f in dataclasses.fields(BridgeSettings)}
    values: dict[str, object] = {}
    problems = []
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or key not in known:
            problems.append(Problem(f"cannot use {item!r}", path="--bridge",
                                    allowed="KEY=VALUE with KEY one of " + ", ".join(known)))
            continue
        if isinstance(known[key].default, str):
            values[key] = raw.strip()
            continue
        try:
            values[key] = float(raw)
        except ValueError:
            problems.append(Problem(f"{raw!r} is not a number", path=f"--bridge {key}",
                                    allowed="a number"))
    if problems:
        raise OptionsError("invalid --bridge settings", problems)
    return BridgeSettings(**values)


def _render(comp, claims) -> None:
    frame = comp.summary_frame()
    t = Table(title=f"{comp.scenario.id}: {comp.horizon_years} years from {comp.start_month}, "
                    f"{comp.engine.upper()}, {comp.draws} draws, seed {comp.seed}",
              box=None, padding=(0, 1), pad_edge=False, header_style="bold underline")
    t.add_column("policy", no_wrap=True)
    for col in (f"launches {comp.horizon_years}y", "P(nuc)", "P(talks)", "talks pos.",
                "index*"):
        t.add_column(col, justify="right", no_wrap=True)
    for pid, r in frame.iterrows():
        t.add_row(pid,
                  f"{r.launch_events_median:.0f} ({r.launch_events_q10:.0f}–"
                  f"{r.launch_events_q90:.0f})",
                  f"{r.p_nuclear_test:.0%}", f"{r.p_dialogue_12m:.0%}",
                  f"{r.talks_median:.0f} ({r.talks_q10:.0f}–{r.talks_q90:.0f})",
                  f"{r.scenario_index:.0f}")
    console.print(t)
    console.print(f"launches {comp.horizon_years}y: launch events over {comp.horizon_years} "
                  "years, median (80 % interval). P(nuc): a nuclear test within "
                  f"{comp.horizon_years} years. P(talks): dialogue starts within 12 months. "
                  "talks pos.: forecast position on the talks issue (0–100). * index: "
                  "conflict-risk scenario index from stated assumptions — not a probability.",
                  style="dim")
    console.print("\n[bold]Assumed responses and dynamics levers[/] (not fitted):")
    for o in comp.outcomes:
        assumed = [c.describe() for c in o.changes if c.kind == "assumption"]
        dyn = [f"{c.describe()} ({c.status.split(' (')[0]})" for c in o.changes
               if c.kind == "dynamics"]
        if not (assumed or dyn):
            console.print(f"  {o.policy_id}: none", highlight=False)
            continue
        console.print(f"  {o.policy_id}: " + "; ".join(assumed)
                      + (" | dynamics: " + "; ".join(dyn) if dyn else ""), highlight=False)
    c = Table(title="The claims, tested", box=box.SIMPLE_HEAD, padding=(0, 1))
    c.add_column("#", no_wrap=True)
    c.add_column("basis", max_width=16)
    c.add_column("what détente finds", overflow="fold", ratio=1)
    for claim in claims:
        finding = Text(claim.finding)
        if claim.note:
            finding.append(f" — {claim.note}", style="dim")
        c.add_row(claim.id, claim.basis, finding)
    console.print(c)


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
