"""``detente fit`` and ``detente backtest``: the dynamic model's parameter table and back-test.

Thin: declare the options, call :func:`detente.dynamics.fit` / :func:`~detente.dynamics.backtest`,
render the result.
"""

from __future__ import annotations

import json
import math
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from detente.cli._app import NoStoreOpt, Progress, StoreOpt, app, console, fail, record_run
from detente.errors import DetenteError

_CRISIS_RULE_HELP = ("Crisis rule of the regime coding: breakdown-or-sanctions (default, the rule "
                     "as written) or breakdown-only (sensitivity check; docs/model.md).")


def _num(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


@app.command("fit")
def fit_cmd(
    until: Annotated[str | None, typer.Option(help="Last training month YYYY-MM (default: the whole record).")] = None,
    method: Annotated[str, typer.Option(help="nuts (headline) or laplace (fast).")] = "nuts",
    chains: Annotated[int, typer.Option(help="NUTS chains (run sequentially).")] = 2,
    warmup: Annotated[int, typer.Option(help="NUTS warm-up iterations per chain.")] = 500,
    samples: Annotated[int, typer.Option(help="Draws per chain.")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    crisis_rule: Annotated[str, typer.Option(help=_CRISIS_RULE_HELP)] = "breakdown-or-sanctions",
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Refit even if a cached posterior exists.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Fit the dynamic model of DPRK launches and tests; print prior beside posterior."""
    from detente.dynamics import fit
    from detente.evidence import monthly_panel

    try:
        panel = monthly_panel(crisis_rule=crisis_rule)
        with Progress("detente fit", "fitting the dynamic model (JAX compiles on first use)"):
            posterior = fit(panel, until=until, method=method, chains=chains, warmup=warmup,
                            samples=samples, seed=seed, cache=not no_cache)
    except DetenteError as err:
        fail(err)
    table = posterior.table()
    info = posterior.info
    if as_json:
        out = {**posterior.to_dict(), "crisis_rule": crisis_rule}
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1, default=str))
        return
    t = Table(title=f"Dynamic model, trained {posterior.first_month} … {posterior.until} "
                    f"({posterior.method}; crisis rule {crisis_rule})",
              box=box.SIMPLE_HEAD)
    for col, just in [("parameter", "left"), ("prior", "left"), ("prior 90%", "right"),
                      ("post. mean", "right"), ("post. 90%", "right"), ("R-hat", "right"),
                      ("ESS", "right"), ("source", "left"), ("lever", "left")]:
        t.add_column(col, justify=just, no_wrap=col in ("parameter", "prior", "prior 90%",
                                                            "post. 90%"))
    for name, row in table.iterrows():
        t.add_row(escape(str(name).replace("transition", "P")), row["prior"],
                  f"{_num(row['prior_q05'], 2)}…{_num(row['prior_q95'], 2)}",
                  _num(row["post_mean"], 3),
                  f"{_num(row['post_q05'], 2)}…{_num(row['post_q95'], 2)}",
                  _num(row["r_hat"], 3), _num(row["ess"], 4), escape(row["source"]),
                  row["lever"])
    console.print(t)
    console.print("sources: [1] Sigal 1998, [2] Cha & Kang 2003, [3] Haggard & Noland 2017, "
                  "[4] Gelman et al. 2008 (weakly informative), [5] Fokianos & Tjøstheim 2011; "
                  "see detente.dynamics.priors and docs/model.md")
    if posterior.method == "nuts":
        console.print(f"diagnostics: max R-hat {info.get('max_r_hat', float('nan')):.3f}, "
                      f"min ESS {info.get('min_ess', float('nan')):.0f}, divergences "
                      f"{info.get('divergences', 0)}; converged: {info.get('converged')}")
        if not info.get("converged"):
            console.print("[bold red]warning:[/] the sampler did not converge (R-hat > 1.05, "
                          "ESS < 100 or divergences); rerun with more --warmup/--samples "
                          "before using these numbers.")
    else:
        console.print(f"Laplace approximation: optimiser converged {info.get('optimizer_converged')}")
    console.print("transition rows: exact Dirichlet posterior (conjugate), no sampler diagnostics.")
    console.print(f"{'cached' if info.get('cached') else 'fitted'} in "
                  f"{info.get('seconds', float('nan')):.1f} s; cache key {info.get('key')}")


@app.command("backtest")
def backtest_cmd(
    draws: Annotated[int, typer.Option(help="Simulated paths per forecast.")] = 1000,
    seed: Annotated[int, typer.Option(help="Root random seed.")] = 0,
    method: Annotated[str, typer.Option(help="Fit method per origin: laplace (default) or nuts.")] = "laplace",
    horizon: Annotated[int, typer.Option(help="Months forecast from each rolling origin.")] = 36,
    origins: Annotated[str | None, typer.Option(help="Comma-separated origins YYYY-MM (default: every 6 months from 2005-01).")] = None,
    no_episodes: Annotated[bool, typer.Option("--no-episodes", help="Skip the four held-out episodes.")] = False,
    crisis_rule: Annotated[str, typer.Option(help=_CRISIS_RULE_HELP)] = "breakdown-or-sanctions",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Rolling-origin and episode back-tests of the dynamic model against baselines."""
    from detente.dynamics import backtest
    from detente.evidence import monthly_panel

    origin_list = [o.strip() for o in origins.split(",")] if origins else None
    try:
        from detente._memo import memo

        panel = monthly_panel(crisis_rule=crisis_rule)
        with Progress("detente backtest", "back-testing") as bar:
            # seeded and pure in the panel and these settings: a rerun reads the stage cache
            result, _ = memo("backtest", {
                "panel": panel, "origins": origin_list, "horizon_months": horizon,
                "episodes": not no_episodes, "draws": draws, "seed": seed, "method": method},
                lambda: backtest(panel, origins=origin_list, horizon_months=horizon,
                                 episodes=not no_episodes, draws=draws, seed=seed,
                                 method=method, progress=lambda done, total, label: bar.count(
                                     done, total, f"origin {label}:")))
    except DetenteError as err:
        fail(err)
    kinds = ["rolling"] + ([] if no_episodes else ["episode"])
    from detente.evidence import data_hash

    run_id = record_run(kind="backtest", seed=seed, tables=result.tables(), store=store, skip=no_store,
                        params={**result.settings, "crisis_rule": crisis_rule,
                                "data_hash": data_hash()},
                        quiet=as_json)
    if not as_json:
        console.print(f"crisis rule of the regime coding: {crisis_rule}")
    if as_json:
        out = {**result.to_dict(), "run": run_id}
        out["settings"]["crisis_rule"] = crisis_rule
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for kind in kinds:
        title = ("Rolling origins " + ", ".join(result.settings["origins"][:1]) + " … "
                 + result.settings["origins"][-1] if kind == "rolling" else "Held-out episodes")
        t = Table(title=title + " (smaller is better; coverage should match the level)",
                  box=box.SIMPLE_HEAD)
        for col in ["horizon" if kind == "rolling" else "episode", "forecaster", "CRPS",
                    "log score", "Brier P(≥1)", "cov 50%", "cov 80%", "cov 95%",
                    "Brier nuclear 12m"]:
            t.add_column(col, justify="left" if col in ("horizon", "episode", "forecaster")
                         else "right")
        for (group, name), row in result.summary(kind).iterrows():
            t.add_row(str(group), name, f"{row['crps']:.3f}", f"{row['log_score']:.3f}",
                      f"{row['brier']:.3f}", f"{row['in50']:.2f}", f"{row['in80']:.2f}",
                      f"{row['in95']:.2f}", _num(row["brier_nuclear_12m"]))
        console.print(t)
        s = Table(title="Skill of the model against each baseline (positive: model better)",
                  box=box.SIMPLE_HEAD)
        for col in ["horizon" if kind == "rolling" else "episode", "baseline", "CRPS skill",
                    "log-score gain (nats)", "Brier skill", "nuclear Brier skill"]:
            s.add_column(col)
        for (group, name), row in result.skill(kind).iterrows():
            s.add_row(str(group), name, f"{row['crps_skill']:+.3f}",
                      f"{row['log_score_gain']:+.3f}", f"{row['brier_skill']:+.3f}",
                      f"{row['nuclear_brier_skill']:+.3f}")
        console.print(s)
        for line in result.verdict(kind):
            console.print("• " + line)
        pit = result.pit(kind=kind)
        console.print("PIT histogram of the model (10 bins, calibrated = 0.10 each): "
                      + " ".join(f"{v:.2f}" for v in pit) + "\n")


@app.command("audit")
def audit_cmd(
    until: Annotated[str, typer.Option(help="Last month of the estimation window YYYY-MM.")] = "2023-09",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """The regime-coding audit: the dialogue effect under other codings, a placebo test and an
    event study of launches around dialogue onsets."""
    from detente.dynamics.audit import audit

    try:
        result = audit(until=until)
    except DetenteError as err:
        fail(err)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return
    t = Table(title=f"The dialogue effect β_D under each coding (maximum likelihood, months to "
                    f"{until})", box=box.SIMPLE_HEAD)
    for col in ("coding", "β_D", "95 % interval", "rate ratio", "dialogue months"):
        t.add_column(col, justify="left" if col == "coding" else "right")
    for r in result.variants.itertuples():
        t.add_row(r.variant, f"{r.log_ratio:+.2f}", f"{r.ci_low:+.2f} … {r.ci_high:+.2f}",
                  f"{r.ratio:.2f}", str(r.dialogue_months))
    console.print(t)
    console.print("Placebo: " + result.placebo_test.sentence + ".", highlight=False)
    e = result.events
    console.print("Event study (mean launch events by month from a dialogue onset): "
                  + " ".join(f"{int(m):+d}:{v:.2f}" for m, v in
                             zip(e.relative_month, e.mean_launch_events, strict=True)),
                  highlight=False)
