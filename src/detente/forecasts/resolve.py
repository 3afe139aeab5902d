"""Reading an outcome from the evidence, and resolving questions: pure functions of frames.

:func:`outcome_series` turns the monthly panel (and, for two outcomes, an event frame) into one
number per month, NaN where the month is not observed. :func:`resolve` resolves a question only
when **every** month of its window is observed: present in the panel and not NaN in the
outcome's reference column (:data:`detente.forecasts.question.OUTCOMES`). A month after the
user layer's ``through`` date is NaN there, never 0, so a window reaching past it stays open.
A dialogue onset also needs the month before the window's first month, and the diplomacy
and UNSC columns the regime rule reads.

Neither function reads the shipped data: the caller passes the panel and frames
(:func:`evidence_inputs` gathers the real ones), so tests resolve against synthetic ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detente.forecasts.question import OUTCOMES, DatedQuestion

#: The event frames :func:`outcome_series` reads, by the outcome that needs them.
FRAME_OF: dict[str, str] = {"new_system_debut": "new_system_debuts",
                            "us_dprk_leader_meeting": "diplomacy_events"}


def evidence_inputs() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The real inputs: :func:`detente.evidence.monthly_panel` (with the user layer, where the
    evidence module merges one) and the event frames of :data:`FRAME_OF`."""
    from detente import evidence
    from detente.evidence.outcomes import new_system_debuts

    return evidence.monthly_panel(), {"new_system_debuts": new_system_debuts(),
                                      "diplomacy_events": evidence.diplomacy_events()}


def _observed_mask(panel: pd.DataFrame, column: str) -> pd.Series:
    if column not in panel.columns:
        column = "launch_events"
    col = panel[column]
    return col.notna() & (col.astype(str) != "")


def outcome_series(outcome: str, panel: pd.DataFrame,
                   frames: Mapping[str, pd.DataFrame] | None = None) -> pd.Series:
    """The outcome month by month over the panel's months (float; NaN: not observed).

    A frame-based outcome (:data:`FRAME_OF`) whose frame is not given is NaN throughout.
    """
    frames = frames or {}
    index = panel.index
    observed = _observed_mask(panel, OUTCOMES[outcome][1]).to_numpy()
    if outcome == "dialogue_onset":
        # the regime rule reads the diplomacy record and the UNSC actions: a month is known
        # only when both are observed too (where the panel has their columns)
        for column in ("summit", "unsc_resolution"):
            if column in panel.columns:
                observed = observed & _observed_mask(panel, column).to_numpy()
        regime = panel["regime"].where(observed)
        is_d = (regime == "dialogue").astype(float)
        prev = is_d.shift(1)
        value = ((is_d == 1) & (prev == 0)).astype(float)
        known = regime.notna() & regime.shift(1).notna()
        return value.where(known.to_numpy()).rename(outcome)
    if outcome in FRAME_OF:
        frame = frames.get(FRAME_OF[outcome])
        if frame is None:
            return pd.Series(np.nan, index=index, name=outcome)
        if outcome == "new_system_debut":
            months = pd.PeriodIndex(frame["month"], freq="M")
            counts = pd.Series(1, index=months).groupby(level=0).sum()
            value = counts.reindex(index, fill_value=0).astype(float)
        else:
            from detente.evidence.regime import parties_of

            meet = frame[(frame["type"] == "summit")
                         & frame["parties"].map(lambda p: {"US", "DPRK"} <= parties_of(str(p)))]
            flag = np.zeros(len(index))
            for start, end in zip(meet["start_month"], meet["end_month"], strict=True):
                if pd.isna(start):
                    continue
                last = start if pd.isna(end) else end
                flag = np.maximum(flag, ((index >= start) & (index <= last)).astype(float))
            value = pd.Series(flag, index=index)
        return value.where(observed).rename(outcome)
    column = {"launch_days": "launch_events", "missiles": "missiles",
              "nuclear_test": "nuclear_test",
              "unsc_sanctions_resolution": "unsc_resolution"}[outcome]
    return pd.to_numeric(panel[column], errors="coerce").astype(float).where(observed).rename(
        outcome)


@dataclass(frozen=True)
class Resolution:
    """Whether a question resolved, and to what (``observed``: 0/1 for binary, the count or
    total otherwise); ``reason`` says why an open question is open."""

    id: str
    resolved: bool
    observed: float | None
    reason: str | None = None


def resolve(question: DatedQuestion, panel: pd.DataFrame,
            frames: Mapping[str, pd.DataFrame] | None = None) -> Resolution:
    """Resolve one question against the panel and frames (module docstring)."""
    series = outcome_series(question.outcome, panel, frames)
    months = question.months
    values = series.reindex(months)
    missing = [str(m) for m, v in zip(months, values, strict=True) if pd.isna(v)]
    if missing:
        span = missing[0] if len(missing) == 1 else f"{missing[0]} … {missing[-1]}"
        return Resolution(question.id, False, None,
                          f"{len(missing)} of {len(months)} month(s) not yet observed ({span})")
    total = float(values.sum())
    if question.type == "binary":
        return Resolution(question.id, True, float(total >= (question.at_least or 1)))
    return Resolution(question.id, True, total)


def resolve_all(questions: list[DatedQuestion], panel: pd.DataFrame,
                frames: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Resolution]:
    """:func:`resolve` for every question, by id."""
    return {q.id: resolve(q, panel, frames) for q in questions}
