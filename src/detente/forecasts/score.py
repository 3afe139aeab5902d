"""Scoring a frozen record once the future has arrived.

Every question whose window is wholly observed (:func:`detente.forecasts.resolve.resolve`) is
scored for every forecaster that answered it; all scores are negatively oriented (smaller is
better) and come from :mod:`detente.dynamics.scores`:

- binary: the Brier score :math:`(p-o)^2` and the log score :math:`-\\log p(o)`;
- count (one month): the CRPS of the frozen sample, the log score :math:`-\\log f(y)` of the
  frozen pmf (the pmf's tail mass for a count beyond it), and whether the observation lies in
  the 50, 80 and 95 % central intervals of the sample (``in50``, ``in80``, ``in95``; 1 or 0);
- quantity (a total over months): the CRPS and the interval coverage.

The leaderboard gives each forecaster's mean of each score over the questions it answered and,
where at least :data:`MIN_FOR_TEST` questions answered by both are resolved, a Diebold–Mariano
test of its difference from the model (:func:`detente.dynamics.backtest.diebold_mariano`, no
HAC lags: the questions are taken as independent, which the overlapping 6- and 12-month windows
are not quite); ``beats``/``beaten`` needs p < 0.05, else ``tie``. Coverage rows are compared
with their nominal level, not tested. A calibration table of the binary questions (forecast
probability bins against the observed frequency) appears once :data:`MIN_FOR_CALIBRATION`
binary questions have resolved.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detente.forecasts.freeze import MODEL, FrozenRecord, sample_of
from detente.forecasts.resolve import resolve_all

MIN_FOR_TEST = 3
MIN_FOR_CALIBRATION = 10
SIGNIFICANCE = 0.05
#: (score name, kind of question it is computed on, nominal level for coverage or None)
SCORES: tuple[tuple[str, str, float | None], ...] = (
    ("brier", "binary", None), ("log_score", "binary", None),
    ("crps", "count", None), ("log_score", "count", None),
    ("crps", "quantity", None),
    ("in50", "count+quantity", 0.5), ("in80", "count+quantity", 0.8),
    ("in95", "count+quantity", 0.95),
)


def score_forecast(qtype: str, forecast: Mapping[str, Any], observed: float) -> dict[str, float]:
    """The scores of one frozen forecast against its observed outcome (module docstring)."""
    from detente.dynamics.scores import brier, crps_sample, interval_coverage

    if qtype == "binary":
        p = float(forecast["p"])
        o = float(observed)
        return {"brier": float(brier(np.array([o]), np.array([p]))[0]),
                "log_score": -math.log(max(p if o >= 0.5 else 1.0 - p, 1e-300))}
    sample = sample_of(forecast)[None, :]
    y = np.array([float(observed)])
    out = {"crps": float(crps_sample(y, sample)[0])}
    if qtype == "count" and forecast.get("pmf") is not None:
        pmf = forecast["pmf"]
        k = int(observed)
        dens = pmf[k] if 0 <= k < len(pmf) else forecast.get("pmf_tail", 0.0)
        out["log_score"] = -math.log(max(float(dens), 1e-300))
    for level, hit in interval_coverage(y, sample).items():
        out[f"in{round(level * 100)}"] = float(hit[0])
    return out


@dataclass(frozen=True)
class ScoreResult:
    """Scores of a record: per question, the leaderboard, and (when enough) calibration."""

    record: dict[str, Any]
    questions: list[dict[str, Any]]
    leaderboard: list[dict[str, Any]]
    calibration: list[dict[str, Any]] | None
    notes: list[str] = field(default_factory=list)

    @property
    def resolved(self) -> list[dict[str, Any]]:
        return [q for q in self.questions if q["resolved"]]

    @property
    def open(self) -> list[dict[str, Any]]:
        return [q for q in self.questions if not q["resolved"]]

    def to_dict(self) -> dict[str, Any]:
        return {"record": dict(self.record), "questions": self.questions,
                "leaderboard": self.leaderboard, "calibration": self.calibration,
                "notes": list(self.notes)}

    def to_frame(self) -> pd.DataFrame:
        """One row per resolved question, forecaster and score."""
        rows = [{"question": q["id"], "type": q["type"], "forecaster": name, "score": s,
                 "value": v, "observed": q["observed"]}
                for q in self.resolved for name, scores in q["scores"].items()
                for s, v in scores.items()]
        return pd.DataFrame(rows, columns=["question", "type", "forecaster", "score", "value",
                                           "observed"])


def _brief(qtype: str, forecast: Mapping[str, Any]) -> dict[str, Any]:
    if qtype == "binary":
        return {"p": forecast["p"], "method": forecast.get("method")}
    return {k: forecast.get(k) for k in ("mean", "q10", "q50", "q90", "method")}


def _leaderboard(questions: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    from detente.dynamics.backtest import diebold_mariano

    rows = []
    for score, kind, nominal in SCORES:
        kinds = kind.split("+")
        per: dict[str, dict[str, float]] = {n: {} for n in names}
        for q in questions:
            if q["resolved"] and q["type"] in kinds:
                for n, s in q["scores"].items():
                    if score in s:
                        per[n][q["id"]] = s[score]
        for n in names:
            vals = per[n]
            if not vals:
                continue
            row: dict[str, Any] = {"forecaster": n, "score": score, "questions": kind,
                                   "n": len(vals), "mean": float(np.mean(list(vals.values())))}
            if nominal is not None:
                row["nominal"] = nominal
            elif n == MODEL:
                row.update(model_minus=None, p_value=None, verdict="reference")
            elif per.get(MODEL):
                common = sorted(set(vals) & set(per[MODEL]))
                if len(common) >= MIN_FOR_TEST:
                    d = np.array([per[MODEL][i] - vals[i] for i in common])
                    diff, p = diebold_mariano(d, 0)
                    row.update(model_minus=float(diff), p_value=float(p), verdict=(
                        "model beats" if diff < 0 and p < SIGNIFICANCE else
                        "model beaten" if diff > 0 and p < SIGNIFICANCE else "tie"))
                else:
                    row.update(model_minus=None, p_value=None,
                               verdict=f"too few shared questions ({len(common)} < "
                                       f"{MIN_FOR_TEST}) to test")
            rows.append(row)
    def key(r: dict[str, Any]) -> tuple:
        rank = abs(r["mean"] - r["nominal"]) if "nominal" in r else r["mean"]
        return (r["questions"], r["score"], rank)
    return sorted(rows, key=key)


def _calibration(questions: list[dict[str, Any]], names: list[str],
                 bins: int = 5) -> list[dict[str, Any]] | None:
    binary = [q for q in questions if q["resolved"] and q["type"] == "binary"]
    if len(binary) < MIN_FOR_CALIBRATION:
        return None
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    for n in names:
        pairs = [(q["forecast"][n]["p"], q["observed"]) for q in binary if n in q["forecast"]]
        if not pairs:
            continue
        p = np.array([a for a, _ in pairs])
        o = np.array([b for _, b in pairs])
        which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
        for b in range(bins):
            hit = which == b
            if hit.any():
                rows.append({"forecaster": n, "low": float(edges[b]), "high": float(edges[b + 1]),
                             "forecast": float(p[hit].mean()), "observed": float(o[hit].mean()),
                             "n": int(hit.sum())})
    return rows


def score(record: FrozenRecord, panel: pd.DataFrame,
          frames: Mapping[str, pd.DataFrame] | None = None) -> ScoreResult:
    """Resolve and score every question of ``record`` against ``panel`` and ``frames``.

    Pure: the caller passes the evidence (``detente forecasts score`` passes
    :func:`detente.forecasts.resolve.evidence_inputs`).
    """
    names = list(record.data["forecasters"])
    dated = record.questions
    resolutions = resolve_all(dated, panel, frames)
    out = []
    for q in dated:
        res = resolutions[q.id]
        frozen = record.data["forecasts"][q.id]
        entry: dict[str, Any] = {
            "id": q.id, "type": q.type, "outcome": q.outcome, "text": q.text,
            "window_start": q.window_start, "window_end": q.window_end,
            "resolved": res.resolved, "observed": res.observed, "open_reason": res.reason,
            "scores": {}, "forecast": {n: _brief(q.type, fc) for n, fc in frozen.items()}}
        if res.resolved:
            entry["scores"] = {n: score_forecast(q.type, fc, float(res.observed))
                               for n, fc in frozen.items()}
        out.append(entry)
    n_res = sum(q["resolved"] for q in out)
    notes = []
    if n_res == 0:
        notes.append(f"no question has resolved yet: every window opens after {record.as_of}; "
                     "add the months since with `detente evidence add`")
    n_bin = sum(q["resolved"] and q["type"] == "binary" for q in out)
    if n_bin < MIN_FOR_CALIBRATION:
        notes.append(f"calibration needs {MIN_FOR_CALIBRATION} resolved binary questions "
                     f"(have {n_bin})")
    info = {"id": record.id, "as_of": record.as_of, "sha256": record.sha256,
            "resolved": n_res, "open": len(out) - n_res}
    return ScoreResult(info, out, _leaderboard(out, names), _calibration(out, names), notes)
