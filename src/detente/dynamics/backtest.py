"""Back-testing the dynamic model against baselines, out of sample, with proper scores.

Protocol (issue #5 §3; ``docs/model.md``):

- **Rolling origin**: origins every 6 months from 2005-01 to the last origin that leaves a full
  36-month horizon inside the record; each forecaster is trained on the months strictly before
  the origin (``TrainingWindow(until=origin - 1)``: the only gate to the panel) and forecasts
  months 1–36; scores are summarised for horizons 1–12 and 13–36.
- **Episodes**: train ≤ 2011-12 → 2012–2017; ≤ 2017-12 → 2018–2019; ≤ 2019-12 → 2020–2023;
  ≤ 2023-09 → 2023-10 … 2025-12 (the test of the 2023 argument).
- **Forecasters**: the model (variant ``full``), the count model without regime or policy terms
  (variant ``no_policy``), climatology, persistence, random walk on the log rate
  (:mod:`detente.dynamics.baselines`).
- **Scores** (:mod:`detente.dynamics.scores`): CRPS, log score, Brier for P(≥ 1 launch event in
  a month) and for P(nuclear test within 12 months of the origin), coverage of the 50/80/95 %
  central intervals, PIT histogram; skill of the model against each baseline.

Back-test fits use the Laplace approximation (``method="laplace"``; ~75 fits per run), the
headline ``detente fit`` uses NUTS; ``docs/model.md`` says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detente.dynamics.baselines import BASELINES, CountForecast
from detente.dynamics.fit import TrainingWindow, fit
from detente.dynamics.scores import (
    INTERVAL_LEVELS,
    brier,
    crps_sample,
    interval_coverage,
    log_score_nb_mixture,
    mixture_cdf,
    pit_from_cdf,
    prob_at_least_one,
    skill,
)
from detente.dynamics.simulate import simulate
from detente.errors import OptionsError, Problem

MODEL = "model"
NO_POLICY = "count model (no regime/policy)"
FORECASTERS: tuple[str, ...] = (MODEL, NO_POLICY, *BASELINES)
HORIZON_BANDS: dict[str, tuple[int, int]] = {"1-12": (1, 12), "13-36": (13, 36)}

#: (name, last training month, first forecast month, last forecast month)
EPISODES: tuple[tuple[str, str, str, str], ...] = (
    ("2012-2017", "2011-12", "2012-01", "2017-12"),
    ("2018-2019", "2017-12", "2018-01", "2019-12"),
    ("2020-2023", "2019-12", "2020-01", "2023-12"),
    ("since 2023-09", "2023-09", "2023-10", "2025-12"),
)


def rolling_origins(panel_end: pd.Period, first: str = "2005-01", step: int = 6,
                    horizon: int = 36) -> list[pd.Period]:
    """Origins every ``step`` months from ``first`` to the last leaving a full ``horizon``."""
    origins, origin = [], pd.Period(first, freq="M")
    while origin + horizon - 1 <= panel_end:
        origins.append(origin)
        origin = origin + step
    return origins


@dataclass(frozen=True)
class BacktestResult:
    """Scores of every forecaster at every origin and horizon.

    Parameters
    ----------
    scores : DataFrame
        One row per (kind, label, origin, forecaster, horizon h): ``kind`` is ``rolling`` or
        ``episode`` (``label`` the episode name), the observation, ``crps``, ``log_score``,
        ``p_launch`` and its ``brier``, ``in50``/``in80``/``in95``, and ``cdf_below``/``cdf_at``
        (predictive CDF at y−1 and y, for PIT histograms).
    nuclear : DataFrame
        One row per (kind, label, origin, forecaster): P(nuclear test within 12 months), the
        outcome, and its Brier score.
    settings : dict
    """

    scores: pd.DataFrame
    nuclear: pd.DataFrame
    settings: dict

    def to_frame(self) -> pd.DataFrame:
        """The long score table (one row per kind, origin, forecaster and month ahead)."""
        return self.scores.copy()

    def to_dict(self) -> dict:
        """JSON-ready: settings, and per kind the summary, skill, verdicts and PIT."""
        import json

        kinds = [k for k in ("rolling", "episode") if (self.scores["kind"] == k).any()]
        out: dict = {"settings": dict(self.settings)}
        for kind in kinds:
            out[kind] = {
                "summary": json.loads(self.summary(kind).reset_index().to_json(orient="records")),
                "skill": json.loads(self.skill(kind).reset_index().to_json(orient="records")),
                "verdict": self.verdict(kind), "pit_model": self.pit(kind=kind).tolist()}
        return out

    def summary(self, kind: str = "rolling") -> pd.DataFrame:
        """Mean scores and coverage by forecaster and horizon band (rolling) or episode."""
        s = self.scores[self.scores["kind"] == kind].copy()
        if kind == "rolling":
            s["group"] = pd.cut(s["h"], bins=[0, 12, 36], labels=list(HORIZON_BANDS))
        else:
            s["group"] = s["label"]
        out = (s.groupby(["group", "forecaster"], observed=True, sort=False)
               [["crps", "log_score", "brier", "in50", "in80", "in95"]].mean())
        n = self.nuclear[self.nuclear["kind"] == kind]
        nb = n.groupby("forecaster")["brier"].mean().rename("brier_nuclear_12m")
        return out.join(nb, on="forecaster")

    def skill(self, kind: str = "rolling") -> pd.DataFrame:
        """Skill of the model against each other forecaster, per horizon band or episode.

        CRPS and Brier: :math:`1 - S_\\text{model}/S_\\text{ref}`; log score: mean difference in
        nats. Positive means the model is better.
        """
        summ = self.summary(kind)
        rows = []
        for group in summ.index.get_level_values(0).unique():
            model = summ.loc[(group, MODEL)]
            for ref in FORECASTERS:
                if ref == MODEL or (group, ref) not in summ.index:
                    continue
                other = summ.loc[(group, ref)]
                rows.append({"group": group, "baseline": ref,
                             "crps_skill": skill(model["crps"], other["crps"]),
                             "log_score_gain": skill(model["log_score"], other["log_score"],
                                                     "difference"),
                             "brier_skill": skill(model["brier"], other["brier"]),
                             "nuclear_brier_skill": skill(model["brier_nuclear_12m"],
                                                          other["brier_nuclear_12m"])})
        return pd.DataFrame(rows).set_index(["group", "baseline"])

    def classify(self, kind: str = "rolling") -> dict[str, tuple[list[str], list[str], list[str]]]:
        """Per horizon band or episode: ``(beats, beaten_by, mixed)`` lists of baselines.

        The model beats a baseline when its CRPS skill, log-score gain and Brier skill against
        it are all positive, and is beaten by it when none is; anything else is mixed. This is
        the one place the rule lives (:meth:`verdict` and the report both read it).
        """
        sk = self.skill(kind)
        out: dict[str, tuple[list[str], list[str], list[str]]] = {}
        for group in sk.index.get_level_values(0).unique():
            beats, loses, mixed = [], [], []
            for ref, row in sk.loc[group].iterrows():
                wins = [row["crps_skill"] > 0, row["log_score_gain"] > 0, row["brier_skill"] > 0]
                (beats if all(wins) else loses if not any(wins) else mixed).append(str(ref))
            out[str(group)] = (beats, loses, mixed)
        return out

    def verdict(self, kind: str = "rolling") -> list[str]:
        """Plain sentences: which baselines the model beats, per horizon band or episode."""
        lines = []
        for group, (beats, loses, mixed) in self.classify(kind).items():
            where = f"horizon {group} months" if kind == "rolling" else f"episode {group}"
            text = f"{where}: the model beats {', '.join(beats) or 'no baseline'} on all three "
            text += "scores (CRPS, log score, Brier)"
            if loses:
                text += f"; it is beaten on all three by {', '.join(loses)}"
            if mixed:
                text += f"; mixed against {', '.join(mixed)}"
            lines.append(text + ".")
        return lines

    def pit(self, forecaster: str = MODEL, kind: str = "rolling", bins: int = 10) -> np.ndarray:
        """Non-randomised PIT histogram (Czado et al. 2009) of one forecaster, shape (bins,)."""
        s = self.scores[(self.scores["kind"] == kind) & (self.scores["forecaster"] == forecaster)]
        return pit_from_cdf(s["cdf_below"].to_numpy(), s["cdf_at"].to_numpy(), bins)


def _score_forecast(fc: CountForecast, observed: pd.DataFrame) -> pd.DataFrame:
    """Rows of scores for one forecast against the observed months (same length)."""
    horizon = len(observed)
    y = observed["launch_events"].to_numpy(dtype=float)
    rate = fc.launch_rate[:, :horizon].T  # (h, draws)
    paths = fc.launch_events[:, :horizon].T
    conc = fc.concentration[None, :]
    p_launch = prob_at_least_one(rate, conc)
    cover = interval_coverage(y, paths, INTERVAL_LEVELS)
    return pd.DataFrame({
        "month": observed.index.astype(str), "h": np.arange(1, horizon + 1), "observed": y,
        "crps": crps_sample(y, paths), "log_score": log_score_nb_mixture(y, rate, conc),
        "p_launch": p_launch, "brier": brier((y > 0).astype(float), p_launch),
        "in50": cover[0.5], "in80": cover[0.8], "in95": cover[0.95],
        "cdf_below": np.where(y > 0, mixture_cdf(np.maximum(y - 1, 0), rate, conc), 0.0),
        "cdf_at": mixture_cdf(y, rate, conc),
        "forecast_mean": paths.mean(axis=1)})


def _forecasts(panel: pd.DataFrame, until: pd.Period, horizon: int, draws: int, seed: int,
               method: str) -> list[CountForecast]:
    """Every forecaster, trained through ``until`` only."""
    train = TrainingWindow(until=until).slice(panel)
    out = []
    for variant, name in (("full", MODEL), ("no_policy", NO_POLICY)):
        post = fit(panel, until=str(until), variant=variant, method=method, chains=1,
                   samples=max(draws, 200), warmup=300, seed=seed)
        traj = simulate(post, months=horizon, draws=draws, seed=seed)
        out.append(CountForecast.from_trajectories(name, traj))
    for baseline in BASELINES.values():
        out.append(baseline(train, horizon, draws, seed))
    return out


def backtest(panel: pd.DataFrame | None = None, *, origins: list[str] | None = None,
             horizon_months: int = 36, episodes: bool = True, draws: int = 1000,
             seed: int | None = None,
             method: str = "laplace",
             progress: Callable[[int, int, str], None] | None = None) -> BacktestResult:
    """Run the back-test protocol (module docstring) and score every forecaster.

    Parameters
    ----------
    panel : DataFrame, optional
        Monthly panel; default :func:`detente.evidence.monthly_panel`.
    origins : list of str, optional
        Rolling origins ``YYYY-MM``; default every 6 months from 2005-01 to the last with a full
        horizon.
    horizon_months : int
        Months forecast from each rolling origin.
    episodes : bool
        Also run the four held-out episodes.
    draws : int
        Simulated paths per forecast.
    seed : int, optional
        Root seed; each origin's seed is derived from it and the origin (same seed, same
        scores). None draws one, recorded in ``settings``.
    method : {"laplace", "nuts"}
        Fit method for the model and the no-policy count model.
    progress : callable, optional
        Called as ``progress(done, total, label)`` after each origin (for the CLI's bar).
    """
    from detente.bargaining.montecarlo import resolve_seed

    seed = resolve_seed(seed)
    horizon = horizon_months
    if panel is None:
        from detente.evidence import monthly_panel

        panel = monthly_panel()
    end = panel.index.max()
    if origins is None:
        origin_list = rolling_origins(end, horizon=horizon_months)
    else:
        try:
            origin_list = [pd.Period(o, freq="M") for o in origins]
        except (ValueError, TypeError) as exc:
            raise OptionsError("bad origin", [Problem(f"origins {origins!r}", path="origins",
                                                      allowed="months YYYY-MM")]) from exc
    jobs = [("rolling", str(o), o - 1, o, o + horizon - 1) for o in origin_list
            if o + horizon - 1 <= end]
    if episodes:
        jobs += [("episode", name, pd.Period(u, freq="M"), pd.Period(a, freq="M"),
                  min(pd.Period(b, freq="M"), end)) for name, u, a, b in EPISODES]
    if not jobs:
        raise OptionsError("no back-test origin leaves a full horizon", [Problem(
            f"horizon {horizon} months, record ends {end}", path="origins/horizon",
            allowed="earlier origins or a shorter horizon")])

    score_frames, nuclear_rows = [], []
    for done, (kind, label, until, first, last) in enumerate(jobs, start=1):
        months = int((last - first).n) + 1
        origin_seed = int(np.random.SeedSequence([seed, first.ordinal]).generate_state(1)[0])
        observed = panel.loc[first:last]  # read for scoring only, after every fit
        for fc in _forecasts(panel, until, months, draws, origin_seed, method):
            frame = _score_forecast(fc, observed)
            frame.insert(0, "forecaster", fc.name)
            frame.insert(0, "origin", str(first))
            frame.insert(0, "label", label)
            frame.insert(0, "kind", kind)
            score_frames.append(frame)
            if months >= 12:
                p12 = fc.p_nuclear_within(12)
                hit = float(observed["nuclear_test"].iloc[:12].sum() > 0)
                nuclear_rows.append({"kind": kind, "label": label, "origin": str(first),
                                     "forecaster": fc.name, "p_nuclear_12m": p12,
                                     "observed": hit, "brier": float(brier([hit], [p12])[0])})
        if progress is not None:
            progress(done, len(jobs), label)
    settings = {"horizon": horizon, "draws": draws, "seed": seed, "method": method,
                "origins": [str(o) for o in origin_list], "episodes": bool(episodes)}
    return BacktestResult(scores=pd.concat(score_frames, ignore_index=True),
                          nuclear=pd.DataFrame(nuclear_rows), settings=settings)
