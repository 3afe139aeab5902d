"""``detente runs list|show|export|diff|check`` and ``detente sweep``: thin faces over detente.runs."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from detente.cli._app import app, command_group, console, err_console, fail, parse_key_values
from detente.errors import DetenteError, OptionsError, Problem

runs_app = command_group("The run store: list, show, export, diff and check stored runs.")
app.add_typer(runs_app, name="runs")

# fmt: off
StoreOpt = Annotated[Path | None, typer.Option("--store", envvar="DETENTE_STORE",
    help="Run store (DuckDB file); default ./detente-runs.duckdb.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
RunArg = Annotated[str, typer.Argument(help="A run id (or a unique prefix of one).")]
# fmt: on


def _missing(value: object) -> bool:
    """None, NaN or pandas' NA (a stored run without a seed or a wall time), without
    importing pandas to print help."""
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN is the one float unequal to itself
    except TypeError:  # pandas.NA: its comparisons are NA, whose truth is undefined
        return True


def _store(path: Path | None, read_only: bool = False) -> Any:
    from detente.runs.store import RunStore

    return RunStore(path, read_only=read_only)


def _echo_json(obj: Any) -> None:
    from detente.runs.store import canonical_json

    typer.echo(json.dumps(json.loads(canonical_json(obj)), indent=2, ensure_ascii=False))


def _frame_table(frame: Any, title: str | None = None, floatfmt: str = "{:.4g}") -> Table:
    table = Table(*[str(c) for c in frame.columns], box=box.SIMPLE_HEAD, title=title)
    for row in frame.itertuples(index=False):
        table.add_row(*[floatfmt.format(v) if isinstance(v, float) else str(v) for v in row])
    return table


# --- runs ---------------------------------------------------------------------------------

@runs_app.command("list")
def list_cmd(
    store: StoreOpt = None,
    kind: Annotated[str | None, typer.Option(help="Only runs of this kind (sweep, forecast, …).")] = None,
    status: Annotated[str | None, typer.Option(help="running | done | failed | interrupted")] = None,
    limit: Annotated[int, typer.Option(help="At most this many runs, newest first.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List stored runs, newest first."""
    try:
        with _store(store, read_only=True) as st:
            frame = st.list(kind=kind, status=status, limit=limit)
    except DetenteError as err:
        fail(err)
    if as_json:
        _echo_json(frame.assign(started=frame.started.astype(str)).to_dict(orient="records"))
        return
    table = Table("id", "kind", "status", "scenario", "seed", "started (UTC)", "seconds",
                  box=box.SIMPLE_HEAD, title=f"Runs in {st.path}")
    table.columns[0].no_wrap = True
    for row in frame.itertuples(index=False):
        table.add_row(row.id, row.kind, row.status,
                      row.scenario_id if isinstance(row.scenario_id, str) else "–",
                      "–" if _missing(row.seed) else str(int(row.seed)),
                      f"{row.started:%Y-%m-%d %H:%M:%S}",
                      "–" if _missing(row.seconds) else f"{row.seconds:.1f}")
    console.print(table)


@runs_app.command("show")
def show_cmd(run_id: RunArg, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Show one run: what ran, on what, with which seed, how long, and its result tables."""
    try:
        with _store(store, read_only=True) as st:
            rec = st.record(run_id)
            tables = st.tables(rec.id)
            indices = st.table(rec.id, "indices") if "indices" in set(tables["name"]) else None
            chunks = st.chunk_stats(rec.id)
    except DetenteError as err:
        fail(err)
    info = rec.to_dict()
    if as_json:
        _echo_json(info | {"tables": tables.to_dict(orient="records"), "chunks_done": len(chunks),
                           "indices": None if indices is None else
                           indices.to_dict(orient="records")})
        return
    meta = Table(box=box.SIMPLE, show_header=False)
    for key, value in info.items():
        if key in ("params", "timings", "versions"):
            value = json.dumps(value, default=str)
            if len(value) > 300:
                value = value[:300] + " …"
        meta.add_row(key, Text(str(value)))
    console.print(meta)
    if rec.kind == "sweep":
        console.print(f"chunks stored: {len(chunks)} of {rec.params.get('n_chunks')}")
    console.print(_frame_table(tables, title="Result tables"))
    if indices is not None:
        _print_indices(indices, rec.params.get("method", "sobol"), top=10)


@runs_app.command("export")
def export_cmd(
    run_id: RunArg,
    fmt: Annotated[str, typer.Option("--format", help="parquet | csv")] = "parquet",
    out: Annotated[Path | None, typer.Option("--out", help="Output file (default RUN_ID.FORMAT).")] = None,
    store: StoreOpt = None,
) -> None:
    """Export a run's result tables (long format) to Parquet or CSV."""
    try:
        with _store(store, read_only=True) as st:
            path = st.export(run_id, fmt, out)
    except DetenteError as err:
        fail(err)
    console.print(f"wrote {path}")


@runs_app.command("diff")
def diff_cmd(run_a: RunArg, run_b: RunArg, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Compare two runs: differing inputs and, per table and column, differing cells."""
    try:
        with _store(store, read_only=True) as st:
            d = st.diff(run_a, run_b)
    except DetenteError as err:
        fail(err)
    if as_json:
        _echo_json({"a": d.a.id, "b": d.b.id, "identical_results": d.identical_results,
                    "fields": d.fields.to_dict(orient="records"),
                    "cells": d.cells.to_dict(orient="records")})
        return
    console.print(f"a = {d.a.id}\nb = {d.b.id}")
    if d.fields.empty:
        console.print("inputs: identical (scenario hash, seed, parameters, version)")
    else:
        console.print(_frame_table(d.fields, title="Inputs that differ"))
    console.print(_frame_table(d.cells, title="Result cells"))
    console.print("results: " + ("identical" if d.identical_results else "differ"))


@runs_app.command("check")
def check_cmd(store: StoreOpt = None) -> None:
    """Check the store's integrity (exit 1 if any error is found)."""
    try:
        with _store(store, read_only=True) as st:
            report = st.check()
    except DetenteError as err:
        fail(err)
    for p in report.problems:
        style = "bold red" if p.severity == "error" else "yellow"
        console.print(Text(f"{p.severity}: ", style=style) + Text(p.format()), soft_wrap=True)
    console.print(f"{report.path}: {report.n_runs} runs, {report.n_cells} cells, "
                  f"{'consistent' if report.ok else 'INCONSISTENT'}")
    raise typer.Exit(code=0 if report.ok else 1)


# --- sweep --------------------------------------------------------------------------------

class _RateColumn(ProgressColumn):
    """Evaluations per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("–" if speed is None else f"{speed:,.0f} eval/s", style="cyan")


def _split(values: list[str] | None) -> tuple[str, ...] | None:
    if not values:
        return None
    return tuple(v.strip() for item in values for v in item.split(",") if v.strip())


def _parse_params(values: list[str] | None) -> list[tuple[str, float, float]]:

    out = []
    for item in values or []:
        try:
            name, rng = item.split("=", 1)
            lo, hi = (float(x) for x in rng.split(":"))
        except ValueError:
            raise OptionsError(f"cannot read --param {item!r}",
                               [Problem("not NAME=LO:HI", path="--param",
                                        allowed="e.g. --param bdm.q=0.5:1")]) from None
        out.append((name.strip(), lo, hi))
    return out


@app.command("sweep")
def sweep_cmd(
    scenario: Annotated[str | None, typer.Argument(help="Scenario id or file (not needed with --resume or --model ishigami).")] = None,
    model: Annotated[str, typer.Option(help="Sweep model: bargaining | compare | ishigami.")] = "bargaining",
    method: Annotated[str, typer.Option(help="sobol | morris | grid")] = "sobol",
    samples: Annotated[int, typer.Option(help="Sobol' base samples (power of 2), Morris trajectories, or grid budget.")] = 64,
    outputs: Annotated[list[str] | None, typer.Option(help="Outputs to keep (globs, comma-separated), e.g. '*.forecast'.")] = None,
    inputs: Annotated[list[str] | None, typer.Option(help="Inputs to sweep (globs), default every ranged number.")] = None,
    param: Annotated[list[str] | None, typer.Option(help="Extra swept parameter NAME=LO:HI (e.g. bdm.q=0.5:1).")] = None,
    option: Annotated[list[str] | None, typer.Option(help="Sweep-model setting KEY=VALUE, e.g. draws=40 or fit_method=laplace for --model compare (repeatable; none, true/false, numbers, else text).")] = None,
    policy: Annotated[str | None, typer.Option(help="Apply this policy first (its assumption ranges become inputs).")] = None,
    jobs: Annotated[int, typer.Option(help="Worker processes (pool or LocalCluster).")] = 1,
    executor: Annotated[str, typer.Option(help="local | pool | dask")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler tcp://HOST:PORT (implies --executor dask).")] = None,
    resume: Annotated[str | None, typer.Option(help="Continue the interrupted sweep RUN_ID.")] = None,
    store: StoreOpt = None,
    seed: Annotated[int, typer.Option(help="Root seed.")] = 0,
    chunk_size: Annotated[int | None, typer.Option(help="Evaluations per chunk (unit of work and commit).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sensitivity sweep: Sobol' (S1, ST with 95% intervals), Morris (μ*, σ) or grid, stored as a run."""
    from detente.runs import SweepSpec, make_runner, resume_sweep, run_sweep
    from detente.runs.store import RunStore

    command = "detente " + shlex.join(sys.argv[1:])
    started: dict[str, str] = {}
    st = None
    progress = Progress(TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(),
                        _RateColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                        TimeRemainingColumn(), console=err_console.get(),
                        transient=False)
    task = progress.add_task("sweep", total=None)
    plain = not err_console.is_terminal

    def report(done: int, total: int) -> None:
        if not progress.live.is_started:  # the bar appears once the run exists
            progress.start()
        progress.update(task, completed=done, total=total)
        if plain:
            err_console.print(f"stored {done}/{total} evaluations", highlight=False)

    try:
        st = RunStore(store)
        runner = make_runner(executor, jobs=jobs, scheduler=scheduler)
        with runner:
            if resume is not None:
                started["id"] = st.resolve(resume)
                result = resume_sweep(st, resume, runner=runner, progress=report)
            else:
                scn = None
                if scenario is not None:
                    from detente.scenario import apply, load_scenario

                    scn = load_scenario(scenario)
                    if policy is not None:
                        scn = apply(policy, scn)
                spec = SweepSpec(
                    model=model, method=method, samples=samples, seed=seed,
                    outputs=_split(outputs), inputs=_split(inputs),
                    extra=tuple(_parse_params(param)), chunk_size=chunk_size, policy=policy,
                    options=parse_key_values(option, "--option", "draws=40"))
                result = run_sweep(scn, spec, store=st, runner=runner, command=command,
                                   progress=report,
                                   on_start=lambda rid: started.__setitem__("id", rid))
    except DetenteError as err:
        progress.stop()
        if st is not None:
            st.close()
        fail(err)
    except KeyboardInterrupt:
        progress.stop()
        where = f" --store {shlex.quote(str(st.path))}" if st is not None else ""
        if st is not None:
            st.close()
        rid = started.get("id")
        err_console.print("[bold yellow]interrupted[/]: finished chunks are kept in the store.")
        if rid:
            err_console.print(f"resume with: detente sweep --resume {rid}{where}",
                              highlight=False, soft_wrap=True)
        raise typer.Exit(code=130) from None
    progress.stop()
    st.close()
    if as_json:
        _echo_json(result.to_dict())
        return
    console.print(f"run {result.run_id}: {result.model} × {result.method}, "
                  f"{result.design.n_evaluations:,} evaluations of {len(result.design.names)} "
                  f"inputs in {result.seconds:.1f} s (store {result.store_path})")
    _print_indices(result.indices, result.method, top=10)


def _print_indices(indices: Any, method: str, top: int = 10) -> None:
    """One table per output: the ``top`` inputs by ST / μ* / main effect."""
    from detente.runs.sweep import default_index, tornado_frame

    key = default_index(method)
    for output in dict.fromkeys(indices["output"]):
        head = tornado_frame(indices, output, key, top)
        table = Table("input", key, "±95%", *(["S1", "±95%"] if method == "sobol" else []),
                      *(["σ"] if method == "morris" else []), box=box.SIMPLE_HEAD,
                      title=f"{output}: top {len(head)} inputs by {key}")
        sub = indices[indices["output"] == output]
        for row in head.itertuples(index=False):
            cells = [row.input, f"{row.value:.3f}",
                     "" if row.conf != row.conf else f"{row.conf:.3f}"]
            other = sub[sub["input"] == row.input].set_index("index")
            if method == "sobol":
                cells += [f"{other.loc['S1', 'value']:.3f}", f"{other.loc['S1', 'conf']:.3f}"]
            if method == "morris":
                cells += [f"{other.loc['sigma', 'value']:.3f}"]
            table.add_row(*cells)
        console.print(table)
