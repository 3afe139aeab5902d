"""The out-of-sample verdict of a comparison, read from the dynamic model's episode back-test.

There is one out-of-sample check and one source of truth: the held-out episodes of
:func:`detente.dynamics.backtest` (issue #5 protocol, ``docs/model.md``): train ≤ 2011-12,
≤ 2017-12, ≤ 2019-12 and ≤ 2023-09, forecast the months after, and score the model against the
count model without regime or policy terms, climatology, persistence and a random walk on CRPS,
log score and Brier. This module scores nothing itself:

- :func:`out_of_sample` turns a :class:`~detente.dynamics.BacktestResult` into an
  :class:`OutOfSample` — per episode, which forecasters the model beats on all three scores, by
  which it is beaten on all three, against which it is mixed (the rule of
  :meth:`BacktestResult.verdict`) — and picks the episode whose training ends where the
  comparison's fit ends (``2023-09`` for Korea: the test of the 2023 argument). The report's
  headline, claim C4's note and the evidence section all read this one object.
- :func:`describe_held_out` is purely descriptive: how many launch events happened after the
  training window and what the comparison's own status-quo simulation gave for the same months
  (no baseline, no score, no verdict).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class EpisodeVerdict:
    """The model against every other forecaster on one held-out episode.

    Attributes
    ----------
    label : str
        Episode name of ``detente.dynamics.backtest.EPISODES`` (e.g. ``since 2023-09``).
    until, first, last : str
        Last training month and the scored months ``YYYY-MM`` (inclusive).
    beats, beaten_by, mixed : tuple of str
        Forecasters the model beats on all three scores (CRPS, log score, Brier), that beat the
        model on all three, and the rest.
    """

    label: str
    until: str
    first: str
    last: str
    beats: tuple[str, ...]
    beaten_by: tuple[str, ...]
    mixed: tuple[str, ...]

    def standing(self, forecaster: str) -> str:
        """``"beaten by the model"``, ``"beats the model"`` or ``"mixed"`` for one forecaster."""
        if forecaster in self.beats:
            return "beaten by the model"
        if forecaster in self.beaten_by:
            return "beats the model"
        if forecaster in self.mixed:
            return "mixed"
        return ""

    @property
    def summary(self) -> str:
        """The verdict in words, without the episode name (same wording as
        :meth:`detente.dynamics.BacktestResult.verdict`)."""
        text = (f"the model beats {', '.join(self.beats) or 'no baseline'} on all three scores "
                "(CRPS, log score, Brier)")
        if self.beaten_by:
            text += f"; it is beaten on all three by {', '.join(self.beaten_by)}"
        if self.mixed:
            text += f"; mixed against {', '.join(self.mixed)}"
        return text

    @property
    def sentence(self) -> str:
        """``episode <label>: <summary>.``"""
        return f"episode {self.label}: {self.summary}."


@dataclass(frozen=True)
class OutOfSample:
    """The episode back-test as the report reads it.

    Attributes
    ----------
    episodes : tuple of EpisodeVerdict
        Every episode of the back-test, in its order.
    held_out : EpisodeVerdict or None
        The episode whose training ends at the comparison's last training month, else None.
    scores : DataFrame
        Mean scores per (episode, forecaster): ``crps``, ``log_score``, ``brier``, ``in80``
        (:meth:`BacktestResult.summary` of kind ``episode``).
    skill : DataFrame
        Skill of the model per (episode, baseline) (:meth:`BacktestResult.skill`).
    """

    episodes: tuple[EpisodeVerdict, ...]
    held_out: EpisodeVerdict | None
    scores: pd.DataFrame
    skill: pd.DataFrame

    def episode(self, label: str) -> EpisodeVerdict:
        for e in self.episodes:
            if e.label == label:
                return e
        raise KeyError(label)


def out_of_sample(backtest: Any, until: str) -> OutOfSample | None:
    """The verdict of every held-out episode of ``backtest``, and the one that starts at ``until``.

    Parameters
    ----------
    backtest : BacktestResult
        :func:`detente.dynamics.backtest` run with ``episodes=True`` (``origins=[]`` suffices).
    until : str
        The comparison's last training month ``YYYY-MM`` (``comp.posterior.until``).

    Returns
    -------
    OutOfSample or None
        None when the result holds no episode.

    Notes
    -----
    A forecaster counts as beaten only when the model's CRPS skill, log-score gain and Brier
    skill against it are all positive, and as beating the model when all three are negative
    (or zero) — :meth:`detente.dynamics.BacktestResult.classify`, the rule's one home.
    """
    if backtest is None:
        return None
    ep = backtest.scores[backtest.scores["kind"] == "episode"]
    if ep.empty:
        return None
    from detente.dynamics.backtest import EPISODES

    training_end = {name: u for name, u, _, _ in EPISODES}
    verdicts = []
    for label, (beats, beaten, mixed) in backtest.classify("episode").items():
        months = ep.loc[ep["label"] == label, "month"]
        first = str(months.min())
        verdicts.append(EpisodeVerdict(
            label=str(label),
            until=training_end.get(str(label), str(pd.Period(first, freq="M") - 1)),
            first=first, last=str(months.max()),
            beats=tuple(beats), beaten_by=tuple(beaten), mixed=tuple(mixed)))
    held_out = next((v for v in verdicts if v.until == str(until)), None)
    return OutOfSample(episodes=tuple(verdicts), held_out=held_out,
                       scores=backtest.summary("episode"), skill=backtest.skill("episode"))


@dataclass(frozen=True)
class HeldOutMonths:
    """What happened after the training window, beside the status-quo simulation (no scores).

    Attributes
    ----------
    first, last : str
        Months ``YYYY-MM`` of the record after the training window inside the simulated span.
    n_months : int
    observed_total : int
        Launch events observed in those months.
    simulated_total_q : tuple of float
        10/50/90 % quantiles of the status-quo simulation's total over the same months.
    """

    first: str
    last: str
    n_months: int
    observed_total: int
    simulated_total_q: tuple[float, float, float]

    @property
    def sentence(self) -> str:
        lo, mid, hi = self.simulated_total_q
        return (f"{self.observed_total} launch events happened in {self.first}–{self.last} "
                f"({self.n_months} months); the status-quo simulation gave a median of "
                f"{mid:.0f} (80 % interval {lo:.0f}–{hi:.0f}).")


def describe_held_out(simulated_launches: np.ndarray, sim_months: pd.PeriodIndex,
                      panel: pd.DataFrame, until: str) -> HeldOutMonths | None:
    """Launch events recorded after ``until`` and the simulated totals for the same months.

    Parameters
    ----------
    simulated_launches : ndarray of shape (n_draws, n_months)
        Status-quo simulation, first month the one after ``until``.
    sim_months : PeriodIndex of length n_months
    panel : DataFrame
        The monthly panel (``launch_events`` column, PeriodIndex).
    until : str
        Last training month.

    Returns
    -------
    HeldOutMonths or None
        None when the record has no month after ``until`` inside the simulated span.
    """
    end = pd.Period(until, freq="M")
    observed = panel.loc[(panel.index > end) & (panel.index <= sim_months[-1]), "launch_events"]
    if observed.empty:
        return None
    n = len(observed)
    totals = np.asarray(simulated_launches)[:, :n].sum(axis=1)
    lo, mid, hi = np.quantile(totals, [0.1, 0.5, 0.9])
    return HeldOutMonths(first=str(observed.index[0]), last=str(observed.index[-1]),
                         n_months=n, observed_total=int(observed.sum()),
                         simulated_total_q=(float(lo), float(mid), float(hi)))
