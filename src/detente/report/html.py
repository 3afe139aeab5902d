"""The comparison report: one self-contained HTML file (figures embedded, no network).

:func:`render_report` fills the jinja2 template ``templates/report.html.j2`` (package data) with
the numbers of a :class:`~detente.policy.Comparison`, its claims table and the dynamic model's
episode back-test (:func:`detente.dynamics.backtest`, the only out-of-sample check: the headline,
claim C4 and the evidence section read one :class:`~detente.policy.episode.OutOfSample` built from
it), and embeds every figure of :mod:`detente.report.figures` as a base64 PNG. :func:`write_report`
writes it atomically (temporary file in the same folder, then ``os.replace``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detente.errors import OptionsError, Problem

#: Section ids every report contains, in order (the tests check them).
SECTIONS: tuple[str, ...] = ("question", "scenario", "policies", "fan-charts", "comparison",
                             "claims", "evidence", "calibration", "forecast-record",
                             "regime-audit", "sensitivity", "method", "assumptions", "sources",
                             "limits")

#: Figure ids every report contains (plus one ``fig-trajectories-<policy>`` per policy and
#: ``fig-backtest`` when an episode back-test is given, and one ``fig-tornado-<k>`` per output of
#: an attached sensitivity sweep).
FIGURES: tuple[str, ...] = ("fig-positions", "fig-fan", "fig-yearly", "fig-dialogue",
                            "fig-index", "fig-history", "fig-prior-posterior")

LIMITS: tuple[str, ...] = (
    "The bargaining engines forecast where positions settle, not when; the bridge rules that "
    "turn positions into monthly probabilities (B1, B2) are assumptions with stated ranges, "
    "not estimates.",
    "The dynamic model is fitted on a few dialogue episodes; its regime effects are wide and "
    "the prior matters (compare prior and posterior above).",
    "The conflict-risk index is a scenario index from stated assumptions, never a probability "
    "of war.",
    "Assumed responses of non-choosing actors are the analyst's; they are sampled over their "
    "ranges but their direction is not tested.",
    "Dynamics levers without a parameter in the model (e.g. exercise_scale) are recorded, not "
    "modelled.",
    "Common random numbers hold exactly in the bargaining stage; the dynamic model draws from "
    "one random stream, so once two policies' simulated paths differ their later draws are no "
    "longer common (differences in the fan charts include some simulation noise).",
    "Monte Carlo error: medians move by a few points between seeds at the default number of "
    "draws; raise --draws for final numbers.",
)


#: The references the prior table cites as [1]–[5] (detente.dynamics.priors).
PRIOR_REFERENCES: tuple[tuple[str, str], ...] = (
    ("[1]", "L. V. Sigal, Disarming Strangers: Nuclear Diplomacy with North Korea, Princeton "
            "University Press, 1998"),
    ("[2]", "V. D. Cha and D. C. Kang, Nuclear North Korea: A Debate on Engagement Strategies, "
            "Columbia University Press, 2003"),
    ("[3]", "S. Haggard and M. Noland, Hard Target: Sanctions, Inducements, and the Case of "
            "North Korea, Stanford University Press, 2017"),
    ("[4]", "A. Gelman, A. Jakulin, M. G. Pittau and Y.-S. Su, A weakly informative default "
            "prior distribution for logistic and other regression models, Annals of Applied "
            "Statistics 2(4), 2008"),
    ("[5]", "K. Fokianos and D. Tjøstheim, Log-linear Poisson autoregression, Journal of "
            "Multivariate Analysis 102(3), 2011"),
)


def limits(oos: Any) -> list[str]:
    """:data:`LIMITS` and what the out-of-sample check of this report was (or that none ran)."""
    if oos is None:
        check = ("No out-of-sample check was run for this report (back-test skipped): the "
                 "launch and test forecasts are scenario output, not tested predictions.")
    else:
        check = (f"The out-of-sample check is the dynamic model's back-test on "
                 f"{len(oos.episodes)} held-out episodes (Laplace fits, trained strictly before "
                 "each episode), not the rolling-origin back-test (`detente backtest`); the "
                 "latest episode covers only the months since the scenario date.")
    return [*LIMITS[:5], check, *LIMITS[5:]]


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def _fig(draw: Any, figsize: tuple[float, float], **kw: Any) -> str:
    from detente.report.figures import subplots, to_png

    fig, ax = subplots(figsize=figsize, **kw)
    draw(ax)
    return _b64(to_png(fig))


def _interval(q: np.ndarray, digits: int = 0) -> str:
    f = f"{{:.{digits}f}}"
    return (f"{f.format(q[2])} ({f.format(q[1])}–{f.format(q[3])}; "
            f"{f.format(q[0])}–{f.format(q[4])})")


def _quantity_text(q: Any) -> str:
    if q is None:
        return ""
    value = getattr(q, "value", q)
    rng = getattr(q, "range", None)
    text = f"{float(value):g}"
    if rng is not None:
        text += f" [{float(rng[0]):g}–{float(rng[1]):g}]"
    return text


def verdict_sentence(claims: list[Any]) -> list[str]:
    """The headline's first sentence: what the evidence can and cannot tell, from the claims'
    verdicts (:mod:`detente.verdicts`), never from prose."""
    if not claims:
        return []
    from detente.verdicts import VERDICTS

    by: dict[str, list[str]] = {v: [] for v in VERDICTS}
    for c in claims:
        by.setdefault(c.verdict, []).append(c.id)
    words = {"supported-out-of-sample": "supported out of sample",
             "supported-in-sample": "supported in sample only (the record or a fitted "
                                    "association, not an out-of-sample test)",
             "not-supported": "not supported", "contradicted": "contradicted",
             "untestable": "untestable here (they rest on assumptions)",
             "judgement": "a value judgement"}
    parts = [f"{len(ids)} {words[v]} ({', '.join(ids)})" for v, ids in by.items() if ids]
    return [f"What the evidence can and cannot tell, claim by claim ({len(claims)} claims): "
            + "; ".join(parts) + "."]


def paired_sentence(comp: Any) -> str:
    """What the paired differences say about launches: each policy minus the status quo, path
    by path, whether its 80 % interval excludes zero, and that the channel is assumed."""
    paired = comp.paired_frame()
    launches = paired[paired["quantity"] == "launch_events"].set_index("policy")
    # a policy identical to the status quo (no changes) has every paired difference exactly 0
    moves = [p for p in comp.policy_ids
             if (launches.loc[p, ["median", "q10", "q90"]] != 0).any()]
    parts = [f"{p} {launches.loc[p, 'median']:+.0f} ({launches.loc[p, 'q10']:+.0f} to "
             f"{launches.loc[p, 'q90']:+.0f}; fewer in {launches.loc[p, 'p_better']:.0%} of "
             "pairs)" for p in moves]
    clear = [p for p in moves if launches.loc[p, "q90"] < 0 or launches.loc[p, "q10"] > 0]
    verdict = ("no policy's paired difference clears its 80 % interval: the data and the "
               "models cannot tell these policies apart on launches" if not clear else
               f"only {', '.join(clear)} clear{'s' if len(clear) == 1 else ''} the 80 % interval")
    return (f"Launch events over {comp.horizon_years} years, each policy minus the status quo "
            "paired path by path (median, 80 % interval): " + "; ".join(parts or ["none differ"])
            + f" — {verdict}. These differences are assumption-driven: a policy reaches the "
            "launch model only through the bridge rules' assumed coefficients (B1 beta_talks = "
            f"{comp.bridge.beta_talks:g}, not estimated from history).")


def track_record_headline(comp: Any, track_record: Any) -> list[str]:
    """The first sentence of the headline: what the engines' back-cast record allows.

    An engine that does not beat "nothing changes" on the back-cast cases (its sign test on
    the paired errors, :class:`detente.backcast.BackcastResult`) is said so, before any of its
    forecasts; with no back-cast, that no track record was checked."""
    engines = [e for e in (comp.model, comp.cross_check_engine) if e]
    if track_record is None:
        return ["No back-cast was run for this report: the bargaining forecasts below have no "
                "track record behind them here."]
    weak = [e.upper() for e in engines if not track_record.beats_nothing_changes(e)]
    if not weak:
        return []
    return [f"On the back-cast cases, {' and '.join(weak)} do{'es' if len(weak) == 1 else ''} "
            "not beat the naive forecast \"nothing changes\" (section Comparison, track "
            "record): read the bargaining positions below as the models' reasoning from the "
            "stated inputs, not as predictions."]


def significance_clause(backtest: Any, label: str) -> str:
    """What the Diebold–Mariano tests say on one episode: the baselines the model beats or
    loses to significantly (p < 0.05) on any score; every other comparison is a tie."""
    if backtest is None:
        return ""
    rows = backtest.comparisons("episode")
    rows = rows[rows["horizon"] == label]
    if rows.empty:
        return ""
    wins = sorted(set(rows.loc[rows["verdict"] == "beats", "baseline"]))
    losses = sorted(set(rows.loc[rows["verdict"] == "beaten", "baseline"]))
    return (" Tested for significance (Diebold–Mariano, p < 0.05, months as units): "
            f"significantly better than {', '.join(wins) or 'none'} on at least one score; "
            f"significantly worse than {', '.join(losses) or 'none'}; every other difference is "
            "a tie.")


def headline(comp: Any, oos: Any = None, backtest: Any = None) -> list[str]:
    """The answer in plain words, with its uncertainty (computed from the comparison and the
    out-of-sample verdict ``oos``, an :class:`~detente.policy.episode.OutOfSample` or None when
    no back-test was run)."""
    summary = comp.summary_frame()
    lines = []
    best = summary["p_dialogue_12m"].idxmax()
    worst = summary["p_dialogue_12m"].idxmin()
    lines.append(
        f"Chance that US–DPRK dialogue starts within 12 months: from "
        f"{summary.loc[worst, 'p_dialogue_12m']:.0%} ({worst}) to "
        f"{summary.loc[best, 'p_dialogue_12m']:.0%} ({best}).")
    lines.append(paired_sentence(comp))
    pn = summary["p_nuclear_test"]
    lines.append(f"Chance of a nuclear test within {comp.horizon_years} years: "
                 f"{pn.min():.0%} to {pn.max():.0%} across the policies.")
    if oos is None:
        lines.append("No out-of-sample check was run for this report (back-test skipped): "
                     "read the launch forecasts as scenario output, not as a tested prediction.")
    elif oos.held_out is None:
        lines.append(f"Out of sample: no back-test episode is trained up to "
                     f"{comp.posterior.until}; the verdicts on the other held-out episodes are "
                     "in the evidence section.")
    else:
        e = oos.held_out
        text = (f"Out of sample since the scenario date (back-test episode {e.label}, trained "
                f"≤ {e.until}, scored {e.first}–{e.last}): {e.summary}."
                + significance_clause(backtest, e.label))
        if e.beaten_by or not e.beats:
            text += (" Read the launch forecasts as scenario output, not as a tested "
                     "prediction.")
        lines.append(text)
    lines.append("These numbers rest on the bargaining model, the bridge rules and the fitted "
                 "dynamic model together; the claims table says which part carries each "
                 "conclusion, and the conflict-risk index is a scenario index, not a "
                 "probability.")
    return lines


@dataclass(frozen=True)
class Sensitivity:
    """A stored sensitivity sweep, as the report shows it (read from the run store by the face).

    Attributes
    ----------
    run_id, model, method : str
        The sweep run (``detente sweep``), its sweep model and its design.
    index : str
        The index drawn (``ST`` for Sobol', ``mu_star`` for Morris, ``main`` for a grid).
    indices : DataFrame
        The run's ``indices`` table: ``output, input, index, value, conf``.
    """

    run_id: str
    model: str
    method: str
    index: str
    indices: pd.DataFrame

    def outputs(self, top: int = 6) -> list[str]:
        """Outputs in the order the sweep stored them (at most ``top``)."""
        return list(dict.fromkeys(self.indices["output"]))[:top]


def render_report(comp: Any, claims: list[Any] | None = None,
                  panel: pd.DataFrame | None = None, backtest: Any = None,
                  sensitivity: Sensitivity | None = None, **kw: Any) -> str:
    """The report as one HTML string (figures embedded as base64 PNG); see :func:`report_context`."""
    return render_context(report_context(comp, claims=claims, panel=panel, backtest=backtest,
                                         sensitivity=sensitivity, **kw))


def _pct(x: float) -> str:
    return f"{100 * float(x):.1f} %"


def calibration_context(calibration: dict[str, Any] | None) -> tuple[dict[str, Any] | None,
                                                                     dict[str, str]]:
    """The "Calibration" section's content and figures from the back-test's calibration data
    (:func:`detente.evaluation.backtest_calibration`); ``(None, {})`` when no back-test ran."""
    from detente.report import figures as F

    if calibration is None:
        return None, {}
    nuclear = calibration["nuclear"]
    figs = {
        "calibration_launch": _fig(lambda ax: F.reliability_diagram(
            calibration["reliability"], ax=ax, what="P(≥ 1 launch event in a month)"),
            (5.5, 4.2)),
        "calibration_nuclear": _fig(lambda ax: F.reliability_diagram(
            [{"forecaster": n["forecaster"], "role": n["role"], "rows": n["reliability"]}
             for n in nuclear], ax=ax, what="P(nuclear test within 12 months)",
            points=nuclear[0]["forecasts"]), (5.5, 4.2)),
        "calibration_pit": _fig(lambda ax: F.pit_histogram(calibration["pit"], ax=ax),
                                (5.5, 3.6))}
    by_episode: dict[str, list[dict[str, Any]]] = {}
    for n in nuclear:
        for f in n["forecasts"]:
            by_episode.setdefault(f["episode"], []).append(f)
    nominal = [round(100 * v) for v in calibration["nominal"]]
    ctx = {
        "n_forecasts": calibration["n_forecasts"], "first": calibration["first"],
        "last": calibration["last"], "episodes": calibration["episodes"],
        "n_episodes": len(calibration["episodes"]),
        "max_h": max(e["max_h"] for e in calibration["episodes"]),
        "strongest": calibration["strongest_baseline"],
        "strongest_rule": calibration["strongest_rule"],
        "nominal": [f"{v} %" for v in nominal],
        "coverage": [{"episode": r["episode"], "forecaster": r["forecaster"], "role": r["role"],
                      "cells": [_pct(r[f"in{v}"]) for v in nominal]}
                     for r in calibration["coverage"]],
        "nuclear_names": [n["forecaster"] for n in nuclear],
        "nuclear": [{"episode": ep, "origin": rows[0]["origin"],
                     "p": [f"{f['p']:.0%}" for f in rows],
                     "observed": "yes" if rows[0]["observed"] >= 0.5 else "no"}
                    for ep, rows in by_episode.items()],
        "n_nuclear": len(nuclear[0]["forecasts"]) if nuclear else 0}
    return ctx, figs


def forecast_record_context(forecast_record: Any) -> tuple[dict[str, Any] | None,
                                                           dict[str, str]]:
    """The "Forecast record" section's content and figures from the scored frozen records
    (:class:`detente.evaluation.ForecastRecords` or its ``to_dict()``); ``(None, {})`` when none
    was scored. Numbers are the :class:`detente.forecasts.ScoreResult`'s, formatted."""
    from detente.forecasts import ENSEMBLE, MODEL
    from detente.report import figures as F

    if forecast_record is None:
        return None, {}
    doc = forecast_record.to_dict() if hasattr(forecast_record, "to_dict") else forecast_record
    figs: dict[str, str] = {}
    records = []
    for k, r in enumerate(doc["records"]):
        info = r["record"]
        resolved = [q for q in r["questions"] if q["resolved"]]
        binary = [q for q in resolved if q["type"] == "binary"]
        figure = None
        if binary:
            cal = r["calibration"] or []
            series = [{"forecaster": name, "role": "",
                       "rows": [c for c in cal if c["forecaster"] == name]}
                      for name in (MODEL, ENSEMBLE)]
            points = [{"p": q["forecast"][MODEL]["p"], "observed": q["observed"]}
                      for q in binary if MODEL in q["forecast"]]
            figure = f"forecast_record_{k}"
            figs[figure] = _fig(lambda ax, series=series, points=points: F.reliability_diagram(
                series, ax=ax, what="probability (resolved binary questions)", points=points),
                (5.5, 4.2))
        if not resolved:
            why = (f"No question of this record can resolve before observations after "
                   f"{info['as_of']} are added with detente evidence add: all {info['open']} "
                   "questions are open, so there is no score and no calibration plot yet.")
        elif not binary:
            closes = sorted(str(q["window_end"])[:7] for q in r["questions"]
                            if q["type"] == "binary")
            why = ("No binary question of this record has resolved yet"
                   + (f" (the first binary window closes {closes[0]})" if closes else "")
                   + ": no calibration plot.")
        else:
            why = ""
        records.append({
            "key": k, "id": info["id"], "as_of": info["as_of"], "sha256": info["sha256"],
            "resolved": info["resolved"], "open": info["open"], "source": r["source"],
            "resolved_questions": [{"id": q["id"], "type": q["type"],
                                    "window": f"{str(q['window_start'])[:7]} … "
                                              f"{str(q['window_end'])[:7]}",
                                    "observed": f"{q['observed']:g}"} for q in resolved],
            "leaderboard": [{"forecaster": row["forecaster"], "score": row["score"],
                             "questions": row["questions"], "n": row["n"],
                             "mean": f"{row['mean']:.4f}",
                             "verdict": row.get("verdict") or
                             f"nominal {round(100 * row['nominal'])} %"}
                            for row in r["leaderboard"]],
            "figure": figure, "why": why, "n_binary": len(binary),
            "calibration_table": r["calibration"] is not None, "notes": r["notes"]})
    return {"records": records, "notes": doc.get("notes", [])}, figs


def _default_style(build: Any) -> Any:
    """Draw a report's figures in matplotlib's default style (``style.context("default")``,
    which leaves the backend alone): the same result gives the same report on every machine,
    whatever the user's matplotlibrc, so the report can be cached by its result alone."""
    import functools

    @functools.wraps(build)
    def styled(*args: Any, **kwargs: Any) -> Any:
        from matplotlib import style

        with style.context("default"):
            return build(*args, **kwargs)

    return styled


@_default_style
def report_context(comp: Any, claims: list[Any] | None = None,
                   panel: pd.DataFrame | None = None, backtest: Any = None,
                   sensitivity: Sensitivity | None = None,
                   track_record: Any = None, audit: Any = None,
                   calibration: dict[str, Any] | None = None,
                   forecast_record: Any = None) -> dict[str, Any]:
    """Everything the report shows, as plain JSON-ready data (strings, numbers, lists, dicts;
    figures as base64 PNG): the template's context.

    The run store keeps this document with a comparison run, so ``detente report RUN_ID``
    re-renders the report from it without recomputing anything (:func:`render_context`).

    Parameters
    ----------
    comp : Comparison
    claims : list of Claim, optional
        Default :func:`detente.policy.claims_table` of ``comp``.
    panel : DataFrame, optional
        The monthly panel (default ``detente.evidence.monthly_panel()``).
    backtest : BacktestResult, optional
        The episode back-test of :func:`detente.dynamics.backtest` (the CLI always runs it unless
        ``--no-backtest``). Its verdict on the episode trained up to ``comp.posterior.until`` is
        the headline's, C4's and the evidence section's; its scores for every episode fill the
        evidence table and figure. When None, every part says that no out-of-sample check was
        run; nothing else is scored here.
    sensitivity : Sensitivity, optional
        A stored sweep (``detente compare --sweep RUN_ID``): one tornado chart per output in the
        section "Sensitivity"; without it the section says how to make one.
    calibration : dict, optional
        The back-test's calibration (``Evaluation.calibration``,
        :func:`detente.evaluation.backtest_calibration`); default: read from ``backtest`` by
        that library function. The section "Calibration" draws it, or says no back-test ran.
    forecast_record : ForecastRecords or dict, optional
        The scored frozen forecast records (``Evaluation.forecast_record``); the section
        "Forecast record" shows them, or says none was scored.
    """
    from detente import __version__
    from detente.policy import INDEX_LABEL, BridgeSettings, claims_table, rules_text
    from detente.policy.episode import describe_held_out, out_of_sample
    from detente.report import figures as F

    if panel is None:
        from detente.evidence import monthly_panel

        panel = monthly_panel()
    tr = comp.status_quo.trajectories
    held_months = describe_held_out(tr.launch_events, tr.months, panel, comp.posterior.until)
    oos = out_of_sample(backtest, comp.posterior.until)
    if claims is None:  # the scenario's argument, if it declares one
        claims = (claims_table(comp, panel=panel, backtest=backtest)
                  if comp.scenario.argument else [])
    scen = comp.scenario
    n = len(comp.outcomes)
    figs = {
        "positions": _fig(lambda ax: F.position_distributions(comp, ax=ax), (8, 4.8)),
        "yearly": _fig(lambda ax: F.yearly_intervals(comp, ax=ax), (8, 3.4)),
        "dialogue": _fig(lambda ax: F.dialogue_odds(comp, ax=ax), (8, 3.2)),
        "index": _fig(lambda ax: F.scenario_index(comp, ax=ax), (8, 0.6 * n + 1.4)),
        "history": _fig(lambda ax: F.history(panel, ax=ax, until=comp.posterior.until),
                        (10, 3.2)),
    }
    fig, axes = F.subplots(1, n, figsize=(3.3 * n, 3.2), sharey=True, squeeze=False)
    F.fan_charts(comp, axes=axes[0], observed=panel["launch_events"])
    figs["fan"] = _b64(F.to_png(fig))
    pp_names = [k for k in ("log_rate_ratio_dialogue", "log_rate_ratio_crisis",
                            "sanctions_effect", "nuclear_log_odds_dialogue")
                if k in comp.posterior.samples]
    fig, axes = F.subplots(1, max(1, len(pp_names)), figsize=(3 * max(1, len(pp_names)), 2.6),
                             squeeze=False)
    F.prior_posterior(comp.posterior, axes=axes[0], names=tuple(pp_names))
    figs["prior_posterior"] = _b64(F.to_png(fig))
    if oos is not None:
        figs["backtest"] = _fig(lambda ax: F.backtest_skill(oos, ax=ax), (7, 3.2))
    if calibration is None and backtest is not None:
        from detente.evaluation import backtest_calibration

        calibration = backtest_calibration(backtest)
    cal_ctx, cal_figs = calibration_context(calibration)
    figs.update(cal_figs)
    record_ctx, record_figs = forecast_record_context(forecast_record)
    figs.update(record_figs)
    tornadoes = []
    if sensitivity is not None:
        from detente.runs.sweep import tornado_frame

        for k, output in enumerate(sensitivity.outputs()):
            rows = tornado_frame(sensitivity.indices, output, sensitivity.index)
            key = f"tornado_{k}"
            figs[key] = _fig(lambda ax, rows=rows, output=output: F.tornado(
                rows, ax=ax, output=output, index=sensitivity.index),
                (7, 0.35 * max(len(rows), 1) + 1.2))
            tornadoes.append({"key": key, "output": output, "n": len(rows)})

    issues = [{"id": i.id, "name": i.name, "low": i.low, "mid": getattr(i, "mid", ""),
               "high": i.high, "status_quo": _quantity_text(getattr(i, "status_quo", None)),
               "source": getattr(getattr(i, "status_quo", None), "source", "") or "",
               "note": getattr(getattr(i, "status_quo", None), "note", "") or ""}
              for i in scen.issues]
    stances = []
    for a in scen.actors:
        cap = a.capability
        stances.append({"actor": a.id, "issue": "capability", "position": _quantity_text(cap),
                        "salience": "", "source": getattr(cap, "source", "") or "",
                        "note": getattr(cap, "note", "") or ""})
        for issue_id, st in a.stances.items():
            src = " / ".join(dict.fromkeys(filter(None, [
                getattr(st.position, "source", None), getattr(st.salience, "source", None)])))
            note = " / ".join(dict.fromkeys(filter(None, [
                getattr(st.position, "note", None), getattr(st.salience, "note", None)])))
            stances.append({"actor": a.id, "issue": issue_id,
                            "position": _quantity_text(st.position),
                            "salience": _quantity_text(st.salience), "source": src,
                            "note": note})

    pos = comp.positions_frame()
    policies = []
    for o in comp.outcomes:
        engines = [fc.model for fc in (o.bargaining, o.cross_check) if fc is not None]
        rows = []
        for issue_id in o.bargaining.results:
            cells = []
            medians = []
            for e in engines:
                sub = pos[(pos.policy == o.policy_id) & (pos.engine == e) & (pos.issue == issue_id)]
                cells.append(_interval(sub[["q10", "q25", "median", "q75", "q90"]]
                                       .to_numpy()[0]) if len(sub) else "")
                if len(sub):
                    medians.append(float(sub["median"].iloc[0]))
            # structural (model) uncertainty: how far the two engines' medians lie apart
            spread = (f"{max(medians) - min(medians):.0f}" if len(medians) > 1 else "")
            rows.append({"issue": issue_id, "cells": cells, "spread": spread})
        moves = []
        for res in o.bargaining.results.values():
            moves.extend(res.key_moves(top=1, names=o.bargaining.actor_names))
        fig = None
        traj = F.trajectories(comp, o.policy_id)
        fig = traj[0].figure
        policies.append({
            "id": o.policy_id, "name": o.name, "summary": o.summary, "engines": engines,
            "changes": [{"kind": c.kind, "text": c.describe(), "rationale": c.rationale,
                         "status": c.status} for c in o.changes],
            "positions": rows, "moves": moves[:4], "figure": _b64(F.to_png(fig))})

    yearly = []
    yf = comp.yearly_frame()
    for (policy, year), grp in yf.groupby(["policy", "year"], sort=False):
        rec = grp.set_index("quantity")
        yearly.append({
            "policy": policy, "year": year, "months": rec.iloc[0]["months"],
            "launch": _interval(rec.loc["launch_events", ["q10", "q25", "median", "q75", "q90"]]
                                .to_numpy(dtype=float)),
            "missiles": _interval(rec.loc["missiles", ["q10", "q25", "median", "q75", "q90"]]
                                  .to_numpy(dtype=float)),
            "dialogue": f"{rec.iloc[0]['p_dialogue_starts']:.0%}"})

    summary = []
    for policy, r in comp.summary_frame().iterrows():
        summary.append({
            "policy": policy,
            "launches": f"{r.launch_events_median:.0f} ({r.launch_events_q10:.0f}–"
                        f"{r.launch_events_q90:.0f})",
            "nuclear": f"{r.p_nuclear_test:.0%}", "dialogue": f"{r.p_dialogue_12m:.0%}",
            "talks": f"{r.talks_median:.0f} ({r.talks_q10:.0f}–{r.talks_q90:.0f})",
            "unsc": f"{r.unsc_resolution_rate:.4f}"})
    paired = [{"policy": r["policy"], "quantity": r["quantity"],
               "difference": (f"{r['median']:+.0f} ({r['q10']:+.0f} to {r['q90']:+.0f})"
                              if r["quantity"] == "launch_events" else
                              f"{r['median']:+.1%} (±{(r['q90'] - r['median']):.1%})"),
               "p_better": (f"{r['p_better']:.1%} ± {2 * r['p_better_se']:.1%} "
                            f"(worse: {r['p_worse']:.1%})")}
              for r in comp.paired_frame().to_dict(orient="records")]

    table = comp.posterior.table()
    posterior_rows = [{
        "parameter": name, "prior": r["prior"],
        "prior_interval": f"{r['prior_q05']:.3g} – {r['prior_q95']:.3g}",
        "post_median": f"{r['post_median']:.3g}",
        "post_interval": f"{r['post_q05']:.3g} – {r['post_q95']:.3g}",
        "source": r["source"], "lever": r["lever"]} for name, r in table.iterrows()]
    info = comp.posterior.info or {}
    fit_text = (f"{comp.posterior.method}, {comp.posterior.variant} model, months "
                f"{comp.posterior.first_month}–{comp.posterior.until}, "
                f"{comp.posterior.n_draws} draws"
                + ("" if info.get("converged", True) else " — NOT CONVERGED (see diagnostics)"))

    settings = [{**row, "value": getattr(comp.bridge, row["name"]),
                 "range": f"{row['range'][0]} – {row['range'][1]}"}
                for row in BridgeSettings.table()]
    assumptions = []
    for o in comp.outcomes:
        for c in o.changes:
            if c.kind == "lever":
                continue
            assumptions.append({"policy": o.policy_id, "kind": c.kind, "text": c.describe(),
                                "range": "" if c.range is None else
                                f"{c.range[0]:g} to {c.range[1]:g}",
                                "rationale": c.rationale, "status": c.status})
    backtest_rows: list[dict[str, str]] = []
    if oos is not None:
        for rec in oos.scores.reset_index().to_dict(orient="records"):
            verdict = oos.episode(str(rec["group"]))
            backtest_rows.append({
                "episode": str(rec["group"]), "forecaster": str(rec["forecaster"]),
                "held_out": verdict is oos.held_out,
                **{k: f"{rec[k]:.3f}" for k in ("crps", "log_score", "brier")},
                "in80": f"{rec['in80']:.0%}",
                "standing": verdict.standing(str(rec["forecaster"]))})

    return _plain_data({
        "template": "report.html.j2",
        "title": f"Policy comparison — {scen.title}", "version": __version__,
        "scenario": {"id": scen.id, "title": scen.title, "summary": scen.summary or "",
                     "as_of": str(scen.as_of or "")},
        "comp": {"engine": comp.model, "cross_check_engine": comp.cross_check_engine,
                 "draws": comp.draws, "seed": comp.seed, "horizon_years": comp.horizon_years,
                 "paths_per_draw": comp.paths_per_draw, "start_month": comp.start_month,
                 "posterior": {"until": comp.posterior.until}},
        "question": ("What does each US policy do to the chance of talks, to North Korea's "
                     f"missile and nuclear testing, and to the risk of conflict over the next "
                     f"{comp.horizon_years} years?"),
        "headline": (verdict_sentence(claims) + track_record_headline(comp, track_record)
                     + headline(comp, oos, backtest)),
        "track_record": [] if track_record is None else track_record.lines(),
        "audit": None if audit is None else {
            "variants": [{"variant": r.variant, "log_ratio": f"{r.log_ratio:+.2f}",
                          "interval": f"{r.ci_low:+.2f} … {r.ci_high:+.2f}",
                          "ratio": f"{r.ratio:.2f}", "months": int(r.dialogue_months)}
                         for r in audit.variants.itertuples()],
            "placebo": audit.placebo_test.sentence,
            "events": [{"month": f"{int(r.relative_month):+d}",
                        "mean": f"{r.mean_launch_events:.2f}"} for r in audit.events.itertuples()],
            "until": audit.until},
        "issues": issues, "stances": stances,
        "policies": policies, "figures": figs, "yearly": yearly, "summary": summary,
        "paired": paired, "paired_basis": comp.PAIRED_BASIS,
        "claims": [c.to_dict() for c in claims],
        "held_months": None if held_months is None else {"sentence": held_months.sentence},
        "oos": None if oos is None else {
            "held_out": None if oos.held_out is None else {"until": oos.held_out.until},
            "episodes": [{"sentence": e.sentence, "held": e is oos.held_out}
                         for e in oos.episodes]},
        "backtest_rows": backtest_rows, "posterior_rows": posterior_rows, "fit_text": fit_text,
        "rules": rules_text(comp.bridge), "settings": settings, "assumptions": assumptions,
        "prior_references": PRIOR_REFERENCES,
        "sources": [{"id": src.id, "title": src.title, "publisher": src.publisher or "",
                     "date": src.date or "", "address": src.address or ""}
                    for src in scen.sources],
        "limits": limits(oos), "index_label": INDEX_LABEL,
        "sensitivity": None if sensitivity is None else {
            "run_id": sensitivity.run_id, "model": sensitivity.model,
            "method": sensitivity.method, "index": sensitivity.index},
        "tornadoes": tornadoes, "calibration": cal_ctx, "forecast_record": record_ctx})


def _plain_data(obj: Any) -> Any:
    """numpy scalars, tuples and other values of the context as JSON types."""
    if isinstance(obj, dict):
        return {str(k): _plain_data(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain_data(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    return str(obj)


def render_context(context: dict[str, Any]) -> str:
    """Fill the report template with a context from :func:`report_context` (or the stored copy
    of one); pure rendering, nothing is computed."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(files("detente.report") / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)
    return env.get_template(context.get("template", "report.html.j2")).render(**context)


def report_target(path: str | Path, scenario_id: str) -> Path:
    """The report file for ``path`` (a ``.html`` file, or a folder that gets
    ``<scenario>-comparison.html``); its folder is created.

    Raises
    ------
    OptionsError
        The folder cannot be created (named, with the reason).
    """
    target = Path(path)
    if target.suffix.lower() != ".html":
        target = target / f"{scenario_id}-comparison.html"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OptionsError(f"cannot create the report folder {target.parent}", [Problem(
            str(exc), file=str(target.parent), path="out",
            allowed="a writable folder")]) from exc
    return target


def write_report(comp: Any, path: str | Path, **kw: Any) -> Path:
    """Render the report of a comparison and write it atomically to ``path`` (a file, or a
    folder to put ``<scenario>-comparison.html`` in). Returns the file written."""
    return write_context(report_context(comp, **kw), path)


@_default_style
def bargaining_context(comp: Any) -> dict[str, Any]:
    """The report of a comparison without a dynamics binding: bargaining forecasts only.

    Same shape as :func:`report_context` (plain data, figures embedded), for the template
    ``bargaining.html.j2``; it says in one line why there are no launch, test or claims numbers.
    """
    from detente import __version__
    from detente.report import figures as F

    scen = comp.scenario
    pos = comp.positions_frame()
    rows = [{"policy": r["policy"], "engine": r["engine"], "issue": r["issue"],
             "start": f"{r['start']:.0f}", "point": f"{r['point']:.0f}",
             "interval": _interval(np.array([r["q10"], r["q25"], r["median"], r["q75"],
                                             r["q90"]]))}
            for r in pos.to_dict(orient="records")]
    trajectories = []
    for o in comp.outcomes:
        axes = F.trajectories(comp, o.policy_id)
        trajectories.append({"id": o.policy_id, "name": o.name,
                             "figure": _b64(F.to_png(axes[0].figure))})
    return _plain_data({
        "template": "bargaining.html.j2",
        "title": f"Bargaining comparison — {scen.title}", "version": __version__,
        "scenario": {"id": scen.id, "title": scen.title, "summary": scen.summary or "",
                     "as_of": str(scen.as_of or "")},
        "note": comp.UNBOUND_NOTE, "engine": comp.model, "cross_check": comp.cross_check_engine,
        "draws": comp.draws, "seed": comp.seed, "positions": rows,
        "figure": _fig(lambda ax: F.position_distributions(comp, ax=ax), (8, 4.8)),
        "trajectories": trajectories,
        "changes": [{"policy": o.policy_id, "kind": c.kind, "text": c.describe(),
                     "rationale": c.rationale} for o in comp.outcomes for c in o.changes]})


def write_context(context: dict[str, Any], path: str | Path) -> Path:
    """Render a report context (:func:`report_context`, or one read back from the run store) and
    write it atomically to ``path``. Returns the file written."""
    from detente._io import atomic_write

    target = report_target(path, context["scenario"]["id"])
    html = render_context(context)
    try:
        return atomic_write(target, html)
    except OSError as exc:
        raise OptionsError(f"cannot write the report {target}", [Problem(
            str(exc), file=str(target), path="out", allowed="a writable folder with free "
            "space")]) from exc
