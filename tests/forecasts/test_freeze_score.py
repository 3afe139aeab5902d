"""Freeze on a synthetic panel, add the 'future' months, and check ``score`` against scores
computed here independently (by hand, and with scoringrules' own CRPS)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scoringrules as sr

from detente.forecasts import ENSEMBLE, MODEL, resolve, score
from detente.forecasts.freeze import sample_of
from tests.forecasts.conftest import AS_OF, DRAWS


def test_every_forecaster_answers_what_it_can(frozen):
    names = frozen.data["forecasters"]
    assert names[0] == MODEL and names[-1] == ENSEMBLE and "climatology" in names
    f = frozen.data["forecasts"]
    assert set(f["days-m1"]) == set(names)  # launch days: everyone
    assert set(f["missiles-6m"]) == {MODEL, "count model (no regime/policy)", ENSEMBLE}
    assert f["unsc-12m"]["climatology"]["method"] == "base rate"
    assert f["unsc-12m"][MODEL]["method"] == "paths"
    assert f["nuclear-12m"][MODEL]["method"].startswith("paths (Rao")
    for q in frozen.data["questions"]:
        for fc in f[q["id"]].values():
            if q["type"] == "binary":
                assert 0 < fc["p"] < 1
            else:
                assert sum(fc["sample"]["counts"]) in (DRAWS, DRAWS * (len(f[q["id"]]) - 1))
            if q["type"] == "count":
                assert math.isclose(sum(fc["pmf"]) + fc["pmf_tail"], 1.0, abs_tol=1e-4)
    # the ensemble of a probability is the members' mean (equal weights at a freeze)
    members = [fc["p"] for n, fc in f["nuclear-12m"].items() if n != ENSEMBLE]
    assert f["nuclear-12m"][ENSEMBLE]["p"] == pytest.approx(np.mean(members), rel=1e-5)
    assert frozen.data["settings"]["mc_error_binary_max"] == pytest.approx(0.5 / DRAWS ** 0.5,
                                                                           rel=1e-5)


def _crps_by_hand(y: float, x: np.ndarray) -> float:
    return float(np.mean(np.abs(x - y)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :])))


def test_score_matches_independent_scores(frozen, full_panel):
    result = score(frozen, full_panel, {})
    by_id = {q["id"]: q for q in result.questions}
    future = full_panel.loc["2014-01":]
    # resolution: read straight from the synthetic future
    y1 = float(future["launch_events"].iloc[0])
    assert by_id["days-m1"]["resolved"] and by_id["days-m1"]["observed"] == y1
    assert by_id["days-12m"]["observed"] == float(future["launch_events"].iloc[:12].sum())
    assert by_id["missiles-6m"]["observed"] == float(future["missiles"].iloc[:6].sum())
    nuc = float(future["nuclear_test"].iloc[:12].sum() > 0)
    assert by_id["nuclear-12m"]["observed"] == nuc
    assert by_id["busy-year"]["observed"] == float(future["launch_events"].iloc[:12].sum() >= 10)
    regime = full_panel["regime"].loc["2013-12":"2014-12"].to_numpy()
    onset = any(regime[i] == "dialogue" and regime[i - 1] != "dialogue"
                for i in range(1, len(regime)))
    assert by_id["onset-12m"]["observed"] == float(onset)
    # a window past the end of the data stays open, with its frozen forecast listed
    assert not by_id["late"]["resolved"] and by_id["late"]["observed"] is None
    assert by_id["late"]["scores"] == {} and MODEL in by_id["late"]["forecast"]

    for name in (MODEL, "climatology", ENSEMBLE):
        # binary: Brier and log score by hand
        for qid in ("nuclear-12m", "any-launch-m1", "busy-year", "unsc-12m"):
            p = frozen.forecast(qid, name)["p"]
            o = by_id[qid]["observed"]
            got = by_id[qid]["scores"][name]
            assert got["brier"] == pytest.approx((p - o) ** 2, abs=1e-12)
            assert got["log_score"] == pytest.approx(-math.log(p if o else 1 - p), abs=1e-12)
        # count: CRPS by hand and by scoringrules, log score from the frozen pmf, coverage
        for qid in ("days-m1", "days-m2", "days-m3"):
            fc = frozen.forecast(qid, name)
            x = sample_of(fc)
            y = by_id[qid]["observed"]
            got = by_id[qid]["scores"][name]
            assert got["crps"] == pytest.approx(_crps_by_hand(y, x), rel=1e-9, abs=1e-12)
            assert got["crps"] == pytest.approx(float(sr.crps_ensemble(y, x, estimator="nrg")))
            assert got["log_score"] == pytest.approx(-math.log(fc["pmf"][int(y)]))
            lo, hi = np.quantile(x, [0.1, 0.9], method="inverted_cdf")
            assert got["in80"] == float(lo <= y <= hi)
        fc = frozen.forecast("days-12m", name)
        y = by_id["days-12m"]["observed"]
        assert by_id["days-12m"]["scores"][name]["crps"] == pytest.approx(
            _crps_by_hand(y, sample_of(fc)), rel=1e-9, abs=1e-12)
        assert "log_score" not in by_id["days-12m"]["scores"][name]

    # the leaderboard's means are the means of the per-question scores
    board = {(r["forecaster"], r["score"], r["questions"]): r for r in result.leaderboard}
    binary = [q for q in result.questions if q["resolved"] and q["type"] == "binary"]
    for name in (MODEL, "persistence"):
        want = np.mean([q["scores"][name]["brier"] for q in binary])
        assert board[(name, "brier", "binary")]["mean"] == pytest.approx(want)
        assert board[(name, "brier", "binary")]["n"] == len(binary) == 5
    row = board[("climatology", "crps", "count")]
    assert row["n"] == 3 and row["verdict"] in ("model beats", "model beaten", "tie")
    assert 0 <= row["p_value"] <= 1
    assert board[("climatology", "crps", "quantity")]["verdict"].startswith("too few")
    # five resolved binary questions: too few for a calibration table
    assert result.calibration is None and any("calibration" in n for n in result.notes)


def test_the_json_shape(frozen, full_panel):
    out = score(frozen, full_panel, {}).to_dict()
    assert set(out) >= {"questions", "leaderboard"}
    q = next(q for q in out["questions"] if q["id"] == "days-m2")
    assert {"id", "type", "window_start", "window_end", "resolved", "observed",
            "scores"} <= set(q)
    assert q["window_start"] == q["window_end"] == "2014-02" and q["type"] == "count"
    assert set(q["scores"][MODEL]) == {"crps", "log_score", "in50", "in80", "in95"}
    frame = score(frozen, full_panel, {}).to_frame()
    assert set(frame["question"]) == {q["id"] for q in out["questions"] if q["resolved"]}


def test_a_month_not_yet_observed_keeps_a_question_open(frozen, full_panel):
    partial = full_panel.copy()
    partial.loc[pd.Period("2014-06", freq="M"):, "launch_events"] = np.nan  # after `through`
    partial = partial.astype({"launch_events": float})
    by_id = {q.id: q for q in frozen.questions}
    assert resolve(by_id["days-m1"], partial).resolved
    open_ = resolve(by_id["days-12m"], partial)
    assert not open_.resolved and open_.observed is None and "2014-06" in open_.reason
    # a month absent from the panel is not observed either
    assert not resolve(by_id["days-m1"], full_panel.loc[:AS_OF]).resolved
    result = score(frozen, partial, {})
    assert {q["id"] for q in result.open} >= {"days-12m", "busy-year", "late"}


def test_base_rates_and_frame_outcomes_resolve():
    from detente.forecasts import DatedQuestion, outcome_series

    months = pd.period_range("2020-01", "2020-06", freq="M", name="month")
    panel = pd.DataFrame({"launch_events": [0, 1, 0, 2, 0, np.nan],
                          "missiles": [0, 1, 0, 3, 0, np.nan],
                          "summit": [0, 0, 1, 0, 0, np.nan],
                          "regime": ["stalemate", "dialogue", "dialogue", "stalemate",
                                     "dialogue", None]}, index=months)
    diplomacy = pd.DataFrame({"type": ["summit", "summit"], "parties": ["US; DPRK", "ROK; DPRK"],
                              "start_month": [pd.Period("2020-03", "M"),
                                              pd.Period("2020-02", "M")],
                              "end_month": [pd.NaT, pd.NaT]})
    debuts = pd.DataFrame({"month": [pd.Period("2020-04", "M")]})
    frames = {"diplomacy_events": diplomacy, "new_system_debuts": debuts}
    meet = outcome_series("us_dprk_leader_meeting", panel, frames)
    assert meet.iloc[:5].tolist() == [0, 0, 1, 0, 0] and np.isnan(meet.iloc[5])
    onset = outcome_series("dialogue_onset", panel, frames)
    assert np.isnan(onset.iloc[0]) and onset.iloc[1:5].tolist() == [1, 0, 0, 1]
    # the regime coded, but the diplomacy record not yet observed: the onset is unknown
    unseen = panel.assign(summit=[0, 0, 1, 0, np.nan, np.nan])
    assert np.isnan(outcome_series("dialogue_onset", unseen, frames).iloc[4])
    q = DatedQuestion("d", "t", "r", "new_system_debut", "binary", "2020-02", "2020-05", "s", 1)
    assert resolve(q, panel, frames).observed == 1.0
    q6 = DatedQuestion("d", "t", "r", "new_system_debut", "binary", "2020-02", "2020-06", "s", 1)
    assert not resolve(q6, panel, frames).resolved
    assert not resolve(q, panel, {}).resolved  # no frame: not observed
