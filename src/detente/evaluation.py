"""The main job as one library verb: :func:`evaluate` (``detente compare`` and ``make run``).

``evaluate(scenario)`` runs, in order: the policy comparison (:func:`detente.policy.compare`:
bargaining forecasts, and — for a scenario bound to a fitted dynamic model — the bridge rules
and the simulated dynamics), the dynamic model's held-out-episode back-test (the one
out-of-sample check, :func:`detente.dynamics.backtest`), and the scenario's argument (its claims
put to the comparison). It returns one typed :class:`Evaluation` holding everything the report
shows; the faces only render it:

>>> import detente
>>> result = detente.evaluate("korea-2023", seed=2023)
>>> detente.report.write(result, "out/")          # the HTML report
>>> detente.runs.record(result)                    # kept as a run in the DuckDB store

Nothing here prints or touches global state; the CLI passes ``progress=`` to show stages.
"""

from __future__ import annotations

import functools
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
    progress : callable, optional
        Called with a short message as each stage starts.

    Returns
    -------
    Evaluation
    """
    from detente.options import check_arguments, constraint
    from detente.policy import DEFAULT_DRAWS, compare
    from detente.report.html import Sensitivity

    check_arguments("invalid evaluation options", {
        "backtest": (backtest, constraint(flag=True)),
        "backcast": (backcast, constraint(flag=True)),
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
        regime_audit = run_audit(panel, until=comp.posterior.until)
        if backtest:
            import warnings

            from detente.dynamics import backtest as run_backtest

            say("back-testing the dynamic model on the held-out episodes")
            with warnings.catch_warnings():  # log(0) inside a baseline's score, not ours
                warnings.simplefilter("ignore", RuntimeWarning)
                bt = run_backtest(panel, origins=[], episodes=True, seed=comp.seed % 2**32,
                                  progress=lambda done, total, label: say(
                                      f"back-testing the dynamic model: episode {label} "
                                      f"({done}/{total})"))
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
        track_record = run_backcast(seed=BACKCAST_SEED, progress=say)
    else:
        notes.append("no back-cast was run: the bargaining forecasts have no track record here")
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
               "paths_per_draw": comp.paths_per_draw}
    return Evaluation(comparison=comp, backtest=bt, claims=claims, panel=panel,
                      options=options, started=started, ended=_now(), notes=tuple(notes),
                      sensitivity=sensitivity, track_record=track_record,
                      audit=regime_audit)


__all__ = ["Evaluation", "evaluate", "out_of_sample_dict"]
