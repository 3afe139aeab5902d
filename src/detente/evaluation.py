"""The main job as one library verb: :func:`evaluate` (``detente compare`` and ``make run``).

``evaluate(scenario)`` runs, in order: the policy comparison (:func:`detente.policy.compare`:
bargaining forecasts, and — for a scenario bound to a fitted dynamic model — the bridge rules
and the simulated dynamics), the dynamic model's held-out-episode back-test (the one
out-of-sample check, :func:`detente.dynamics.backtest`, and its calibration,
:func:`backtest_calibration`), the frozen forecast records scored against the evidence
(:func:`score_records`), and the scenario's argument (its claims put to the comparison). It returns one typed :class:`Evaluation` holding everything the report
shows; the faces only render it:

>>> import detente
>>> result = detente.evaluate("korea-2023", seed=2023)
>>> detente.report.write(result, "out/")          # the HTML report
>>> detente.runs.record(result)                    # kept as a run in the DuckDB store

Nothing here prints or touches global state; the CLI passes ``progress=`` to show stages.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

#: Seed of the engines' back-casts quoted by every comparison (:func:`detente.backcast.backcast`).
BACKCAST_SEED = 0


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Evaluation:
    """The main job's result: the comparison, the back-test, the claims, and what ran.

    Attributes
    ----------
    comparison : Comparison
        Policies side by side (:class:`detente.policy.Comparison`).
    backtest : BacktestResult or None
        The episode back-test of the dynamic model; None when skipped (``backtest=False``) or
        when the scenario has no dynamics binding (there is nothing to back-test).
    claims : list of Claim or None
        The scenario's argument put to the comparison; None for a scenario without an argument.
    panel : DataFrame
        The monthly record the back-test and the claims read (empty without a binding).
    options : dict
        What ran: policies, ``horizon_months``, ``draws``, ``model``, ``cross_check``, the bridge
        settings, whether the back-test ran.
    started, ended : datetime
        Naive UTC times of the computation (the run store records them).
    notes : tuple of str
        One-line statements every face prints (e.g. that the comparison is bargaining only).
    sensitivity : Sensitivity or None
        A stored sweep whose tornado charts the report shows.
    track_record : BackcastResult or None
        The bargaining engines' back-casts on past cases (:func:`detente.backcast.backcast`);
        None when skipped.
    audit : RegimeAudit or None
        The regime-coding audit of the dynamic model (:func:`detente.dynamics.audit.audit`);
        None without a dynamics binding.
    forecast_record : ForecastRecords or None
        The frozen forecast records scored against the evidence (:func:`score_records`); None
        when skipped (``forecasts=False``).
    """

    comparison: Any
    backtest: Any
    claims: list[Any] | None
    panel: pd.DataFrame
    options: dict[str, Any]
    started: datetime
    ended: datetime
    notes: tuple[str, ...] = ()
    sensitivity: Any = None
    track_record: Any = None
    audit: Any = None
    forecast_record: Any = None

    @property
    def scenario(self) -> Any:
        return self.comparison.scenario

    @property
    def seed(self) -> int:
        return int(self.comparison.seed)

    @property
    def seconds(self) -> float:
        """Wall time of the computation."""
        return (self.ended - self.started).total_seconds()

    @functools.cached_property
    def out_of_sample(self) -> Any:
        """The back-test's verdict per held-out episode (:func:`detente.policy.episode.out_of_sample`),
        None when no back-test ran."""
        from detente.policy.episode import out_of_sample

        if self.backtest is None or not self.comparison.bound:
            return None
        return out_of_sample(self.backtest, self.comparison.posterior.until)

    @functools.cached_property
    def calibration(self) -> dict[str, Any] | None:
        """The calibration of the episode back-test (:func:`backtest_calibration`), None when
        no back-test ran."""
        return None if self.backtest is None else backtest_calibration(self.backtest)

    def claims_frame(self) -> pd.DataFrame:
        """The claims as a frame (``id, claim, finding, basis, note``); empty without argument."""
        cols = ["id", "kind", "claim", "verdict", "basis", "sentence", "finding", "note"]
        if not self.claims:
            return pd.DataFrame(columns=cols)
        return pd.DataFrame([{k: getattr(c, k) for k in cols} for c in self.claims], columns=cols)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables a run store keeps: comparison, claims, back-test episode scores."""
        out = {"comparison": self.comparison.to_frame()}
        if self.claims:
            out["claims"] = self.claims_frame().astype(str)
        if self.backtest is not None:
            out["backtest_episodes"] = self.backtest.summary("episode").reset_index()
        if self.track_record is not None:
            out["backcast"] = self.track_record.to_frame()
        if self.audit is not None:
            out["regime_audit"] = self.audit.to_frame()
        return out

    def report_tables(self) -> dict[str, pd.DataFrame]:
        """Every table the report shows, by name, as frames (``detente compare --export DIR``
        writes each as ``DIR/<name>.csv``)."""
        comp = self.comparison
        out = {"summary": comp.summary_frame().reset_index(), "positions": comp.positions_frame(),
               "assumptions": comp.assumptions_frame()}
        if comp.bound:
            out.update(yearly=comp.yearly_frame(), paired=comp.paired_frame())
        if self.claims:
            out["claims"] = self.claims_frame()
        if self.backtest is not None:
            out["backtest_episodes"] = self.backtest.summary("episode").reset_index()
        if self.track_record is not None:
            out["backcast"] = self.track_record.to_frame()
        if self.calibration is not None:
            out["calibration_coverage"] = pd.DataFrame(self.calibration["coverage"])
        if self.forecast_record is not None:
            out["forecast_record_leaderboard"] = pd.DataFrame(
                [{"record": result.record["id"], **row}
                 for _, result in self.forecast_record.records for row in result.leaderboard],
                columns=["record", "forecaster", "score", "questions", "n", "mean",
                         "nominal", "model_minus", "p_value", "verdict"])
        if self.audit is not None:
            out["regime_audit_variants"] = self.audit.variants
            out["regime_audit_placebo"] = self.audit.placebo
            out["regime_audit_event_study"] = self.audit.events
        return out

    def to_frame(self) -> pd.DataFrame:
        """The comparison's long tidy frame (:meth:`detente.policy.Comparison.to_frame`)."""
        return self.comparison.to_frame()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``detente compare --json``): the comparison, the claims, the
        out-of-sample verdicts, the notes and the settings that ran."""
        return {**self.comparison.to_dict(),
                "claims": None if self.claims is None else [c.to_dict() for c in self.claims],
                "out_of_sample": out_of_sample_dict(self.out_of_sample),
                "regime_audit": None if self.audit is None else self.audit.to_dict(),
                "track_record": (None if self.track_record is None else
                                 {"summary": self.track_record.summary(),
                                  "lines": self.track_record.lines()}),
                "calibration": self.calibration,
                "forecast_record": (None if self.forecast_record is None
                                    else self.forecast_record.to_dict()),
                "notes": list(self.notes), "options": self.options,
                "started": self.started.isoformat(), "seconds": self.seconds}


def out_of_sample_dict(oos: Any) -> dict[str, Any] | None:
    """The out-of-sample verdicts as JSON (None when no back-test ran)."""
    if oos is None:
        return None
    return {"held_out": None if oos.held_out is None else oos.held_out.label,
            "episodes": [{"label": e.label, "until": e.until, "first": e.first, "last": e.last,
                          "beats": list(e.beats), "beaten_by": list(e.beaten_by),
                          "mixed": list(e.mixed), "verdict": e.sentence}
                         for e in oos.episodes]}


#: Nominal levels of the central intervals whose coverage the calibration section reports.
NOMINAL_LEVELS: tuple[float, ...] = (0.5, 0.8, 0.95)


def _reliability_rows(p: Any, hit: Any, bins: int) -> list[dict[str, Any]]:
    """Probability bins of ``p`` against the observed frequency of ``hit`` — the binning rule of
    :meth:`detente.dynamics.backtest.BacktestResult.reliability` (equal bins on [0, 1]), for
    the back-test's nuclear forecasts, which that method does not cover."""
    import numpy as np

    p = np.asarray(p, dtype=float)
    hit = np.asarray(hit, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    return [{"low": float(edges[b]), "high": float(edges[b + 1]),
             "forecast": float(p[which == b].mean()), "observed": float(hit[which == b].mean()),
             "n": int((which == b).sum())} for b in range(bins) if (which == b).any()]


def backtest_calibration(backtest: Any, kind: str = "episode",
                         bins: int = 10) -> dict[str, Any] | None:
    """How well calibrated the back-test's forecasts were, as JSON-ready data (the report's
    "Calibration" section; ``Evaluation.calibration``).

    Everything is read from the :class:`~detente.dynamics.backtest.BacktestResult` (kind
    ``episode``: the held-out episodes ``detente compare`` runs), for the model and the
    strongest baseline — the forecaster other than the model with the lowest mean CRPS over all
    held-out months (the stacking ensemble, which contains the model, is left out):

    - ``reliability``: :meth:`~BacktestResult.reliability` of P(≥ 1 launch event in a month);
    - ``pit``: :meth:`~BacktestResult.pit` (bin shares summing to 1; calibrated: 1/bins each);
    - ``coverage``: per episode, the observed share of months inside the 50/80/95 % central
      intervals, the ``in50``/``in80``/``in95`` columns of :meth:`~BacktestResult.summary`;
    - ``nuclear``: each episode's P(nuclear test within 12 months of its origin) with its
      outcome, and their reliability bins (one forecast per episode and forecaster).

    None when the result holds no forecasts of ``kind``.
    """
    from detente.dynamics.backtest import ENSEMBLE, EPISODES, MODEL

    s = backtest.scores[backtest.scores["kind"] == kind]
    if s.empty:
        return None
    model_rows = s[s["forecaster"] == MODEL]
    mean_crps = s.groupby("forecaster")["crps"].mean().drop([MODEL, ENSEMBLE], errors="ignore")
    strongest = str(mean_crps.idxmin())
    who = [(MODEL, "model"), (strongest, "strongest baseline")]
    trained = {name: until for name, until, *_ in EPISODES}
    episodes = [{"label": str(label), "until": trained.get(str(label)),
                 "first": str(g["month"].min()),
                 "last": str(g["month"].max()), "months": len(g),
                 "max_h": int(g["h"].max())}
                for label, g in model_rows.groupby("label", sort=False)]
    summary = backtest.summary(kind)
    coverage = [{"episode": str(group), "forecaster": name, "role": role,
                 **{f"in{round(100 * lvl)}": float(summary.loc[(group, name),
                                                               f"in{round(100 * lvl)}"])
                    for lvl in NOMINAL_LEVELS}}
                for group in summary.index.get_level_values(0).unique()
                for name, role in who if (group, name) in summary.index]
    nuc = backtest.nuclear
    nuc = nuc[nuc["kind"] == kind] if len(nuc) else nuc
    nuclear = []
    for name, role in who:
        rows = nuc[nuc["forecaster"] == name] if len(nuc) else nuc
        nuclear.append({
            "forecaster": name, "role": role,
            "forecasts": [{"episode": str(r["label"]), "origin": str(r["origin"]),
                           "p": float(r["p_nuclear_12m"]), "observed": float(r["observed"])}
                          for r in rows.to_dict(orient="records")],
            "reliability": (_reliability_rows(rows["p_nuclear_12m"], rows["observed"], bins)
                            if len(rows) else [])})
    return {
        "kind": kind, "bins": bins, "first": str(model_rows["month"].min()),
        "last": str(model_rows["month"].max()), "n_forecasts": len(model_rows),
        "episodes": episodes, "strongest_baseline": strongest,
        "strongest_rule": ("lowest mean CRPS over every held-out month, the model and the "
                           "stacking ensemble (which contains the model) left out"),
        "nominal": list(NOMINAL_LEVELS),
        "reliability": [{"forecaster": name, "role": role, "rows": [
            {k: (int(v) if k == "n" else float(v)) for k, v in rec.items()}
            for rec in backtest.reliability(kind, name, bins).to_dict(orient="records")]}
            for name, role in who],
        "pit": [{"forecaster": name, "role": role,
                 "shares": [float(v) for v in backtest.pit(name, kind, bins)]}
                for name, role in who],
        "coverage": coverage,
        "nuclear": nuclear}


#: Where the shipped record comes from, as the report says it.
SHIPPED_RECORD = "shipped with détente (src/detente/forecasts/records/forecasts-2025-12.json)"


@dataclass(frozen=True)
class ForecastRecords:
    """Frozen forecast records scored against the evidence (:func:`score_records`).

    Attributes
    ----------
    records : tuple of (str, ScoreResult)
        Where each record came from, and its :class:`detente.forecasts.ScoreResult`.
    notes : tuple of str
        What was (not) looked at, e.g. that no run store was given.
    """

    records: tuple[tuple[str, Any], ...]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"records": [{"source", **ScoreResult.to_dict()}], "notes"}``."""
        return {"records": [{"source": source, **result.to_dict()}
                            for source, result in self.records],
                "notes": list(self.notes)}


def score_records(store: Any = None, panel: pd.DataFrame | None = None,
                  frames: Any = None) -> ForecastRecords:
    """Score the shipped frozen record and every ``frozen-forecast`` run of ``store``.

    Parameters
    ----------
    store : RunStore, path or None
        A run store whose frozen-forecast runs (``detente forecasts freeze``) are scored too;
        None: the shipped record only (a note says so). A record stored with the same content
        hash as one already scored is scored once.
    panel, frames : optional
        The evidence (default :func:`detente.forecasts.evidence_inputs`: the shipped record with
        the user evidence layer of ``detente evidence add`` merged in).

    Scoring reads the frozen forecasts and the evidence only (no fit): about a second.
    """
    from detente.forecasts import evidence_inputs, read_record, score, stored_record
    from detente.forecasts.freeze import KIND, content_hash

    if panel is None:
        panel, frames = evidence_inputs()
    shipped = read_record()  # verified: a tampered shipped record is an error
    found: list[tuple[str, Any]] = [(SHIPPED_RECORD, shipped)]
    notes: list[str] = []
    if store is None:
        notes.append("the shipped record only: this evaluation was given no run store, so no "
                     "stored frozen-forecast run is scored here")
    else:
        from pathlib import Path

        from detente.runs.store import RunStore

        owned = not isinstance(store, RunStore)
        if owned and not Path(store).exists():
            notes.append(f"no run store at {store}: the shipped record only")
        else:
            st = RunStore(store, read_only=True) if owned else store
            try:
                seen = {shipped.sha256}
                runs = st.list(kind=KIND, status="done")
                for run_id in runs["id"]:
                    rec = stored_record(str(run_id), st)
                    if rec is None or rec.sha256 in seen:
                        continue
                    if content_hash(rec.data) != rec.sha256:
                        notes.append(f"stored record {run_id} is not scored: its content does "
                                     "not match its SHA-256 (tampered)")
                        continue
                    seen.add(rec.sha256)
                    found.append((f"run store {st.path}, run {run_id}", rec))
                if len(found) == 1:
                    notes.append(f"the run store {st.path} holds no other frozen-forecast run")
            finally:
                if owned:
                    st.close()
    return ForecastRecords(records=tuple((source, score(rec, panel, frames))
                                         for source, rec in found), notes=tuple(notes))


def evaluate(
    scenario: Any,
    policies: Sequence[Any] | str | None = None,
    *,
    horizon_months: int = 36,
    draws: int | None = None,
    seed: int | None = None,
    model: str = "smp",
    cross_check: str | None = "bdm",
    bridge: Any = None,
    backtest: bool = True,
    backcast: bool = True,
    posterior: Any = None,
    panel: pd.DataFrame | None = None,
    sensitivity: Any = None,
    forecasts: bool = True,
    store: Any = None,
    progress: Callable[[str], None] | None = None,
) -> Evaluation:
    """The main job: policies compared, the dynamic model back-tested, the argument tested.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A Scenario, an embedded id (``"korea-2023"``) or a file.
    policies : sequence or comma-separated str, optional
        Default: every policy of the scenario.
    horizon_months : int
        Months simulated (whole years, 12–120).
    draws : int, optional
        Monte Carlo draws (default :data:`detente.policy.DEFAULT_DRAWS`).
    seed : int, optional
        Root seed; None draws one, recorded in the result.
    model, cross_check : str
        Main bargaining engine and the one run beside it (or None).
    bridge : BridgeSettings, optional
    backtest : bool
        Run the dynamic model's episode back-test (for a bound scenario). False says so in every
        output.
    backcast : bool
        Score the bargaining engines on the embedded back-cast cases (their track record,
        :func:`detente.backcast.backcast`); False says so in every output.
    posterior, panel : optional
        A fitted posterior and the monthly panel, to reuse (default: fit/cached, the record).
    sensitivity : Sensitivity, optional
        A stored sweep to show in the report.
    forecasts : bool
        Score the frozen forecast records (:func:`score_records`: the shipped record, and the
        frozen-forecast runs of ``store``); False says so.
    store : RunStore or path, optional
        The run store whose frozen-forecast runs are scored beside the shipped record (read
        only); None: the shipped record only.
    progress : callable, optional
        Called with a short message as each stage starts.

    Returns
    -------
    Evaluation
    """
    from detente._memo import memo
    from detente.options import check_arguments, constraint
    from detente.policy import DEFAULT_DRAWS, compare
    from detente.report.html import Sensitivity
    from detente.runs.store import RunStore

    check_arguments("invalid evaluation options", {
        "backtest": (backtest, constraint(flag=True)),
        "backcast": (backcast, constraint(flag=True)),
        "forecasts": (forecasts, constraint(flag=True)),
        "store": (store, constraint(instance=(str, os.PathLike, RunStore), optional=True,
                                    words="a run store or the path of one, or none")),
        "sensitivity": (sensitivity, constraint(
            instance=Sensitivity, optional=True,
            words="a Sensitivity read from a stored sweep, or none")),
    })
    say = progress or (lambda message: None)
    started = _now()
    n_draws = DEFAULT_DRAWS if draws is None else draws
    comp = compare(scenario, policies, horizon_months=horizon_months, draws=n_draws, seed=seed,
                   model=model, cross_check=cross_check, bridge=bridge, posterior=posterior,
                   panel=panel, progress=say)
    notes: list[str] = []
    bt = None
    regime_audit = None
    if comp.bound:
        if panel is None:
            from detente.evidence import monthly_panel

            panel = monthly_panel()
        from detente.dynamics.audit import audit as run_audit

        say("auditing the regime coding (coding variants, placebo, event study)")
        # pure in the panel and the training window: kept in the stage cache (detente._memo)
        regime_audit, _ = memo("audit", {"panel": panel, "until": comp.posterior.until},
                               lambda: run_audit(panel, until=comp.posterior.until))
        if backtest:
            import warnings

            from detente.dynamics import backtest as run_backtest

            say("back-testing the dynamic model on the held-out episodes")
            bt_seed = comp.seed % 2**32

            def episodes() -> Any:
                with warnings.catch_warnings():  # log(0) inside a baseline's score, not ours
                    warnings.simplefilter("ignore", RuntimeWarning)
                    return run_backtest(panel, origins=[], episodes=True, seed=bt_seed,
                                        progress=lambda done, total, label: say(
                                            f"back-testing the dynamic model: episode {label} "
                                            f"({done}/{total})"))

            # seeded and pure in the panel: the same seed reads the stage cache
            bt, hit = memo("episode-backtest", {"panel": panel, "seed": bt_seed}, episodes)
            if hit:
                say("back-testing the dynamic model: the episodes of this seed, from the cache")
        else:
            notes.append("no out-of-sample check was run (back-test skipped)")
    else:
        panel = pd.DataFrame()
        notes.append(comp.UNBOUND_NOTE)
    track_record = None
    if backcast:
        from detente.backcast import backcast as run_backcast

        say("back-casting the bargaining engines on past cases")
        # the track record belongs to the engines, not to this comparison: one fixed seed, so
        # every comparison quotes the same record (and a verdict cannot flip with the seed)
        track_record, hit = memo("backcast", {"seed": BACKCAST_SEED},
                                 lambda: run_backcast(seed=BACKCAST_SEED, progress=say))
        if hit:
            say("back-casting the bargaining engines: the fixed-seed record, from the cache")
    else:
        notes.append("no back-cast was run: the bargaining forecasts have no track record here")
    forecast_record = None
    if forecasts:
        say("scoring the frozen forecast records against the evidence")
        forecast_record = score_records(store)
    else:
        notes.append("no frozen forecast record was scored (forecasts skipped)")
    claims = None
    argument = comp.scenario.argument
    if argument is not None:
        from detente.policy.claims import ARGUMENT_TESTS

        say("putting the argument's claims to the comparison")
        claims = ARGUMENT_TESTS[argument](comp, panel=panel, backtest=bt)
    else:
        notes.append("the scenario declares no argument: no claims table")
    options = {"policies": list(comp.policy_ids), "horizon_months": comp.horizon_months,
               "draws": comp.draws, "model": comp.model, "cross_check": comp.cross_check_engine,
               "bridge": comp.bridge.as_dict(), "backtest": bt is not None,
               "backcast": track_record is not None,
               "forecast_record": forecast_record is not None,
               "paths_per_draw": comp.paths_per_draw}
    return Evaluation(comparison=comp, backtest=bt, claims=claims, panel=panel,
                      options=options, started=started, ended=_now(), notes=tuple(notes),
                      sensitivity=sensitivity, track_record=track_record,
                      audit=regime_audit, forecast_record=forecast_record)


__all__ = ["Evaluation", "ForecastRecords", "backtest_calibration", "evaluate",
           "out_of_sample_dict", "score_records"]
