"""Forecasts that can be held to account: frozen, dated, resolvable questions, scored when the
future arrives (issue 14; ``docs/forecasts.md``).

- :mod:`~detente.forecasts.question` — questions and question files (:func:`load_questions`);
  the shipped Korea set is ``questions/korea-default.yaml``;
- :func:`freeze` — fit on the data up to an as-of month, answer every question with the model,
  the baselines and the ensemble, and seal the answers with the hashes of their inputs
  (:class:`FrozenRecord`); :func:`write_record`, :func:`store_record` (both refuse to change a
  frozen record) and :func:`verify`;
- :func:`resolve` — a question's outcome from the evidence, only once every month of its window
  is observed;
- :func:`score` — Brier, log score, CRPS and coverage per forecaster, a leaderboard with
  significance, and calibration once enough questions have resolved.

The record shipped with détente (:func:`read_record` with no path) is the default set frozen as
of 2025-12, the last month of the shipped data.
"""

from __future__ import annotations

from detente.forecasts.freeze import (
    ENSEMBLE,
    MODEL,
    FrozenRecord,
    Verification,
    forecasters,
    freeze,
    model_source_hash,
    read_record,
    store_record,
    stored_record,
    verify,
    write_record,
)
from detente.forecasts.question import (
    OUTCOMES,
    DatedQuestion,
    Question,
    QuestionSet,
    date_questions,
    load_questions,
    parse_questions,
)
from detente.forecasts.resolve import Resolution, evidence_inputs, outcome_series, resolve
from detente.forecasts.score import ScoreResult, score

__all__ = [
    "ENSEMBLE",
    "MODEL",
    "OUTCOMES",
    "DatedQuestion",
    "FrozenRecord",
    "Question",
    "QuestionSet",
    "Resolution",
    "ScoreResult",
    "Verification",
    "date_questions",
    "evidence_inputs",
    "forecasters",
    "freeze",
    "load_questions",
    "model_source_hash",
    "outcome_series",
    "parse_questions",
    "read_record",
    "resolve",
    "score",
    "store_record",
    "stored_record",
    "verify",
    "write_record",
]
