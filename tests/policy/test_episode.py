"""The out-of-sample verdict read from a back-test result, and the descriptive held-out line.

The back-test results here are built by hand (a real :class:`BacktestResult` over a score table
written below), so every expected verdict is worked out from the numbers in this file: the model
beats a forecaster when its mean CRPS, log score and Brier score are all lower, is beaten when
none is lower, and is mixed otherwise (issue #5 rule; ``docs/model.md``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.dynamics import BacktestResult
from detente.dynamics.backtest import MODEL, NO_POLICY
from detente.policy.episode import describe_held_out, out_of_sample

#: per (episode, forecaster): monthly (crps, log score, brier) for two months each.
SCORES = {
    ("since 2023-09", "2023-10"): {
        MODEL: [(1.0, 2.0, 0.2), (1.0, 2.0, 0.2)],
        NO_POLICY: [(2.0, 3.0, 0.3), (2.0, 3.0, 0.3)],      # worse on all three → beaten
        "climatology": [(0.5, 1.0, 0.1), (0.5, 1.0, 0.1)],   # better on all three → beats model
        "persistence": [(2.0, 1.0, 0.3), (2.0, 1.0, 0.3)],   # crps worse, log better → mixed
        "random walk": [(0.9, 2.5, 0.1), (1.3, 2.5, 0.1)],   # mean crps 1.1 worse, brier better
    },
    ("2018-2019", "2018-01"): {
        MODEL: [(3.0, 3.0, 0.5), (3.0, 3.0, 0.5)],           # worst on everything
        NO_POLICY: [(1.0, 1.0, 0.1), (1.0, 1.0, 0.1)],
        "climatology": [(1.0, 1.0, 0.1), (1.0, 1.0, 0.1)],
        "persistence": [(1.0, 1.0, 0.1), (1.0, 1.0, 0.1)],
        "random walk": [(1.0, 1.0, 0.1), (1.0, 1.0, 0.1)],
    },
}


def _result(scores=SCORES) -> BacktestResult:
    rows, nuclear = [], []
    for (label, first), per in scores.items():
        months = [str(pd.Period(first, freq="M") + i) for i in range(2)]
        for fc, vals in per.items():
            for h, (month, (crps, logs, brier)) in enumerate(zip(months, vals, strict=True), 1):
                rows.append({"kind": "episode", "label": label, "origin": first,
                             "forecaster": fc, "month": month, "h": h, "observed": 1.0,
                             "crps": crps, "log_score": logs, "brier": brier,
                             "in50": 1.0, "in80": 1.0, "in95": 1.0})
            nuclear.append({"kind": "episode", "label": label, "origin": first,
                            "forecaster": fc, "brier": 0.1})
    return BacktestResult(scores=pd.DataFrame(rows), nuclear=pd.DataFrame(nuclear),
                          settings={})


def test_verdict_per_episode_follows_the_all_three_scores_rule():
    oos = out_of_sample(_result(), "2023-09")
    latest = oos.episode("since 2023-09")
    assert latest is oos.held_out
    assert (latest.until, latest.first, latest.last) == ("2023-09", "2023-10", "2023-11")
    assert set(latest.beats) == {NO_POLICY}
    assert set(latest.beaten_by) == {"climatology"}
    assert set(latest.mixed) == {"persistence", "random walk"}
    assert latest.standing("climatology") == "beats the model"
    assert latest.standing(NO_POLICY) == "beaten by the model"
    older = oos.episode("2018-2019")
    assert older.until == "2017-12"  # from the back-test's EPISODES table
    assert older.beats == () and "beats no baseline" in older.summary
    assert set(older.beaten_by) == {NO_POLICY, "climatology", "persistence", "random walk"}


def test_sentences_are_the_back_tests_own_verdict():
    """Same rule, same words as ``BacktestResult.verdict`` (a second implementation)."""
    bt = _result()
    oos = out_of_sample(bt, "2023-09")
    assert [e.sentence for e in oos.episodes] == bt.verdict("episode")


def test_no_held_out_episode_when_the_fit_ends_elsewhere_and_none_without_a_result():
    assert out_of_sample(_result(), "2020-06").held_out is None
    assert out_of_sample(None, "2023-09") is None


def test_describe_held_out_counts_and_quantiles_by_hand():
    """Record 2023-07…12 with 1…6 launch events; training ends 2023-09; the simulation spans
    2023-10…11, so 4 + 5 = 9 happened. Simulated totals 0…4: numpy's linear quantiles are
    0.4, 2 and 3.6."""
    panel = pd.DataFrame({"launch_events": [1, 2, 3, 4, 5, 6]},
                         index=pd.period_range("2023-07", periods=6, freq="M"))
    sim = np.array([[0, 0], [1, 0], [1, 1], [2, 1], [2, 2]])
    months = pd.period_range("2023-10", periods=2, freq="M")
    held = describe_held_out(sim, months, panel, "2023-09")
    assert (held.first, held.last, held.n_months, held.observed_total) == (
        "2023-10", "2023-11", 2, 9)
    assert held.simulated_total_q == pytest.approx((0.4, 2.0, 3.6))
    assert held.sentence == ("9 launch events happened in 2023-10–2023-11 (2 months); the "
                             "status-quo simulation gave a median of 2 (80 % interval 0–4).")
    assert describe_held_out(sim, months, panel, "2023-12") is None
