"""Back-casts: the bargaining engines held to account on cases whose outcome is known.

A back-cast case is an embedded scenario dated in the past (``korea-2002``, ``korea-2017``,
``korea-2023``) with an **outcome coding** beside it (``scenarios/outcomes/<id>.yaml``): where
each issue stood on its own 0–100 scale at a stated later date, coded from dated sources. The
codings and the scenarios' inputs (decision rules and influences included) were written from
dated sources and committed *before* any engine was run on them (git history:
``docs/backcasts.md``); a back-cast reports the scores as they come out and nothing is retuned
to fit the known outcome.

:func:`backcast` runs each engine's Monte Carlo forecast on each case (all its ranged inputs
sampled) and scores every issue against its coded outcome:

- ``abs_error``: |median forecast − outcome| on the issue's scale;
- ``direction_correct``: the forecast moves from the status quo the way the outcome did — up,
  down, or (within :data:`DIRECTION_BAND` points) not at all;
- ``in_interval``: the outcome lies in the forecast's central 80 % interval;

and the same for the naive forecast **"nothing changes"** (the status quo persists: median, low
and high all at the status quo). The summary counts, per engine, directions right and issues
where it is nearer the outcome than "nothing changes", with a two-sided sign test on those
paired comparisons (ties dropped): a difference the test does not clear is not a win.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from detente.errors import OptionsError, Problem, ScenarioError

#: A change from the status quo smaller than this (scale points) counts as "no change" when the
#: direction of a forecast or an outcome is read (a tenth of the anchors' 25-point steps).
DIRECTION_BAND = 2.5

#: The engines scored, and the naive baseline's name in every output.
ENGINES: tuple[str, ...] = ("smp", "bdm")
NOTHING_CHANGES = "nothing_changes"

#: Monte Carlo draws per engine and case (the intervals' Monte Carlo error at 200 draws is about
#: one point on the 10 % and 90 % quantiles of these cases).
DEFAULT_DRAWS = 200


@dataclass(frozen=True)
class IssueOutcome:
    """One issue's coded outcome: ``value`` (0–100), its plausible ``range``, the source ids."""

    value: float
    range: tuple[float, float]
    sources: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class OutcomeCoding:
    """An outcome coding file (``scenarios/outcomes/<scenario>.yaml``)."""

    scenario: str
    as_of: str
    outcome_date: str
    coded: str
    method: str
    sources: tuple[dict[str, Any], ...]
    issues: dict[str, IssueOutcome]
    file: str = ""

    def source_addresses(self, ids: Sequence[str]) -> list[str]:
        """The listed sources' addresses (or titles) for the given ids, in that order."""
        by_id = {s.get("id"): s for s in self.sources}
        return [str(by_id[i].get("address") or by_id[i].get("title")) for i in ids if i in by_id]


def _outcome_files() -> dict[str, Any]:
    folder = resources.files("detente").joinpath("scenarios", "outcomes")
    if not folder.is_dir():
        return {}
    return {e.name.removesuffix(".yaml"): e for e in folder.iterdir()
            if e.name.endswith(".yaml")}


def outcome_cases() -> list[str]:
    """Ids of the embedded scenarios that have an outcome coding, sorted."""
    return sorted(_outcome_files())


def load_outcomes(scenario_id: str, scenario: Any = None) -> OutcomeCoding:
    """Read and check the outcome coding of an embedded scenario.

    Raises
    ------
    ScenarioError
        No coding for this scenario, or a coding that names unknown issues or sources, leaves
        an issue out, or puts a value outside 0–100 (one located problem each).
    """
    from detente.scenario.load import read_yaml_data

    files = _outcome_files()
    if scenario_id not in files:
        raise ScenarioError(f"no outcome coding for {scenario_id!r}", [Problem(
            f"no outcome coding for {scenario_id!r}", path="SCENARIO",
            allowed="one of " + (", ".join(files) or "(none)"))])
    entry = files[scenario_id]
    name = f"scenarios/outcomes/{scenario_id}.yaml"
    doc = read_yaml_data(entry.read_text(encoding="utf-8"), name, "an outcome coding file")
    problems = []
    source_ids = {s.get("id") for s in doc.get("sources", [])}
    issues: dict[str, IssueOutcome] = {}
    for issue_id, item in (doc.get("issues") or {}).items():
        value = float(item.get("value", np.nan))
        lo, hi = (float(v) for v in item.get("range", (value, value)))
        if not (0.0 <= lo <= value <= hi <= 100.0):
            problems.append(Problem(f"value {value:g} / range [{lo:g}, {hi:g}] off the scale",
                                    file=name, path=f"issues.{issue_id}",
                                    allowed="0 ≤ lo ≤ value ≤ hi ≤ 100"))
        missing = [s for s in item.get("sources", []) if s not in source_ids]
        if missing:
            problems.append(Problem(f"unknown source ids {missing}", file=name,
                                    path=f"issues.{issue_id}.sources",
                                    allowed="ids listed under `sources`"))
        issues[str(issue_id)] = IssueOutcome(value, (lo, hi), tuple(item.get("sources", [])),
                                             str(item.get("note", "")))
    if scenario is not None:
        for issue_id in scenario.issue_ids:
            if issue_id not in issues:
                problems.append(Problem(f"issue {issue_id!r} has no coded outcome", file=name,
                                        path="issues", allowed="every issue of the scenario"))
        for issue_id in issues:
            if issue_id not in scenario.issue_ids:
                problems.append(Problem(f"issue {issue_id!r} is not in the scenario", file=name,
                                        path=f"issues.{issue_id}",
                                        allowed=", ".join(scenario.issue_ids)))
    if problems:
        raise ScenarioError(f"{name}: {len(problems)} problem(s)", problems)

    def text(key: str) -> str:
        v = doc.get(key, "")
        return v.isoformat() if isinstance(v, dt.date) else str(v).strip()

    return OutcomeCoding(scenario=str(doc.get("scenario", scenario_id)), as_of=text("as_of"),
                         outcome_date=text("outcome_date"), coded=text("coded"),
                         method=text("method"), sources=tuple(doc.get("sources", [])),
                         issues=issues, file=name)


def _direction(change: float) -> int:
    return 0 if abs(change) < DIRECTION_BAND else int(np.sign(change))


def score_forecast(median: float, lo: float, hi: float, status_quo: float,
                   outcome: float) -> dict[str, Any]:
    """The back-cast scores of one forecast of one issue (module docstring)."""
    return {"median": float(median), "lo": float(lo), "hi": float(hi),
            "abs_error": float(abs(median - outcome)),
            "direction": _direction(median - status_quo),
            "direction_correct": _direction(median - status_quo) == _direction(outcome
                                                                               - status_quo),
            "in_interval": bool(lo <= outcome <= hi)}


@dataclass(frozen=True)
class BackcastResult:
    """Scores of every engine and of "nothing changes" on every back-cast case.

    Attributes
    ----------
    cases : list of dict
        One per case, in the JSON shape of ``detente backcast --json`` (module docstring).
    draws, seed : int
    """

    cases: list[dict[str, Any]]
    draws: int
    seed: int
    options: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per case, issue and forecaster: the scores."""
        rows = []
        for case in self.cases:
            for issue_id, item in case["issues"].items():
                for name, fc in item["forecasts"].items():
                    rows.append({"scenario": case["scenario"], "issue": issue_id,
                                 "forecaster": name, "status_quo": item["status_quo"],
                                 "outcome": item["outcome"], **{
                                     k: fc[k] for k in ("median", "lo", "hi", "abs_error",
                                                        "direction_correct", "in_interval")}})
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, Any]:
        """Per forecaster: cases, issues, directions right, mean absolute error, interval
        coverage; per engine also its paired comparison with "nothing changes"."""
        from detente.verdicts import binomial_test

        frame = self.to_frame()
        out: dict[str, Any] = {"n_cases": len(self.cases), "direction_band": DIRECTION_BAND,
                               "forecasters": {}}
        naive = frame[frame.forecaster == NOTHING_CHANGES].set_index(["scenario", "issue"])
        for name, grp in frame.groupby("forecaster", sort=False):
            item: dict[str, Any] = {
                "n_issues": len(grp),
                "direction_correct": int(grp.direction_correct.sum()),
                "mean_abs_error": float(grp.abs_error.mean()),
                "in_interval": int(grp.in_interval.sum()),
            }
            if name != NOTHING_CHANGES:
                g = grp.set_index(["scenario", "issue"])
                diff = (g.abs_error - naive.abs_error.loc[g.index]).to_numpy()
                better, worse = int(np.sum(diff < -1e-9)), int(np.sum(diff > 1e-9))
                p = binomial_test(better, better + worse, 0.5)[0] if better + worse else 1.0
                item.update({"nearer_than_nothing_changes": better,
                             "farther_than_nothing_changes": worse,
                             "sign_test_p": p,
                             "verdict": ("beats" if better > worse and p < 0.05 else
                                         "beaten" if worse > better and p < 0.05 else "tie")})
            out["forecasters"][str(name)] = item
        return out

    def lines(self) -> list[str]:
        """The track record in words, one line per engine (the report and the CLI print them)."""
        s = self.summary()
        naive = s["forecasters"][NOTHING_CHANGES]
        out = []
        for name in ENGINES:
            e = s["forecasters"].get(name)
            if e is None:
                continue
            verdict = {"beats": "beats", "beaten": "is beaten by",
                       "tie": "does not beat"}[e["verdict"]]
            out.append(
                f"On {s['n_cases']} past cases, {name.upper()} got the direction right on "
                f"{e['direction_correct']} of {e['n_issues']} issues; 'nothing changes' got "
                f"{naive['direction_correct']}. Its mean error is {e['mean_abs_error']:.0f} "
                f"points against {naive['mean_abs_error']:.0f}; it is nearer the outcome on "
                f"{e['nearer_than_nothing_changes']} issues and farther on "
                f"{e['farther_than_nothing_changes']} (sign test p = {e['sign_test_p']:.2f}): "
                f"{name.upper()} {verdict} 'nothing changes'.")
        return out

    def beats_nothing_changes(self, engine: str) -> bool:
        """True only when the engine's paired comparison clears its sign test."""
        return self.summary()["forecasters"].get(engine, {}).get("verdict") == "beats"

    def to_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "summary": self.summary(), "draws": self.draws,
                "seed": self.seed, "lines": self.lines()}


def backcast(scenarios: Sequence[str] | None = None, *, draws: int = DEFAULT_DRAWS,
             seed: int | None = None, models: Sequence[str] = ENGINES,
             progress: Callable[[str], None] | None = None) -> BackcastResult:
    """Score the engines and "nothing changes" on back-cast cases (module docstring).

    Parameters
    ----------
    scenarios : sequence of str, optional
        Embedded scenario ids with an outcome coding (default: all of them).
    draws : int
        Monte Carlo draws per engine and case.
    seed : int, optional
        Root seed of the draws (the same for every case and engine); None draws one, recorded
        in the result.
    models : sequence of str
        Engines to score.
    progress : callable, optional
        Called with a short message per case and engine.
    """
    from detente.bargaining.forecast import forecast, get_engine
    from detente.bargaining.montecarlo import check_monte_carlo, resolve_seed
    from detente.options import check_arguments, constraint
    from detente.scenario import load_scenario

    seed = resolve_seed(seed)
    if isinstance(scenarios, str):  # one id, or ids separated by commas
        scenarios = [s.strip() for s in scenarios.split(",") if s.strip()]
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    check_monte_carlo(draws, min_draws=2)
    check_arguments("invalid back-cast options", {
        "scenarios": (scenarios, constraint(instance=(list, tuple), optional=True,
                                            words="embedded scenario ids, or none (all)")),
        "models": (models, constraint(instance=(list, tuple), words="engine names")),
        "progress": (progress, constraint(instance=Callable, optional=True,
                                          words="a function (message) -> None, or none")),
    })
    check_arguments("invalid back-cast options", {
        f"scenarios[{k}]": (s, constraint(instance=str, words="an embedded scenario id"))
        for k, s in enumerate(scenarios or ())})
    if not models:
        raise OptionsError("invalid back-cast options: models", [Problem(
            "models is empty: no engine to score", path="models",
            allowed="at least one of " + ", ".join(ENGINES))])
    for k, model in enumerate(models):
        get_engine(model, f"models[{k}]")
    say = progress or (lambda message: None)
    ids = list(scenarios) if scenarios else outcome_cases()
    cases = []
    for scenario_id in ids:
        scn = load_scenario(scenario_id)
        coding = load_outcomes(scenario_id, scn)
        runs = {}
        for model in models:
            say(f"back-cast {scenario_id}: {model} ({draws} draws)")
            runs[model] = forecast(scn, model=model, draws=draws, seed=seed)
        issues = {}
        for issue in scn.issues:
            if issue.status_quo is None:
                continue  # nothing to measure a change against
            sq = float(issue.status_quo.value)
            out = coding.issues[issue.id]
            forecasts = {}
            for model, fc in runs.items():
                lo, med, hi = np.quantile(fc.distributions[issue.id].forecast, [0.1, 0.5, 0.9])
                forecasts[model] = score_forecast(med, lo, hi, sq, out.value)
            forecasts[NOTHING_CHANGES] = score_forecast(sq, sq, sq, sq, out.value)
            issues[issue.id] = {"status_quo": sq, "outcome": out.value,
                                "outcome_range": list(out.range),
                                "outcome_sources": coding.source_addresses(out.sources),
                                "rule": issue.rule, "forecasts": forecasts}
        cases.append({"scenario": scenario_id, "as_of": str(scn.as_of),
                      "outcome_date": coding.outcome_date, "coded": coding.coded,
                      "issues": issues})
    return BackcastResult(cases=cases, draws=int(draws), seed=int(seed),
                          options={"models": list(models)})


__all__ = ["DIRECTION_BAND", "NOTHING_CHANGES", "BackcastResult", "OutcomeCoding",
           "backcast", "load_outcomes", "outcome_cases", "score_forecast"]
