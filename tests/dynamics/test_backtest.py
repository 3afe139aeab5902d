"""Back-test protocol: origins, baselines by hand, a small end-to-end run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.dynamics import backtest
from detente.dynamics.backtest import EPISODES, FORECASTERS, MODEL, rolling_origins
from detente.dynamics.baselines import climatology, persistence, random_walk_log_rate


def test_rolling_origins_every_six_months_to_the_last_full_horizon():
    # record ends 2025-12, horizon 36: the last origin is 2023-01 (2023-01 + 35 = 2025-12);
    # 2005-01 … 2023-01 in steps of 6 months is 18 years × 2 + 1 = 37 origins
    origins = rolling_origins(pd.Period("2025-12", freq="M"))
    assert str(origins[0]) == "2005-01" and str(origins[-1]) == "2023-01"
    assert len(origins) == 37
    assert [e[1] for e in EPISODES] == ["2011-12", "2017-12", "2019-12", "2023-09"]


def _toy_train(n_years: int = 2) -> pd.DataFrame:
    y = np.tile([0, 2], 6 * n_years)  # mean 1
    idx = pd.period_range("2000-01", periods=12 * n_years, freq="M", name="month")
    n = np.zeros(12 * n_years, dtype=int)
    n[3] = 1
    return pd.DataFrame({"launch_events": y, "nuclear_test": n}, index=idx)


def test_baselines_by_hand():
    train = _toy_train()
    # climatology: mean 1; sample variance of 24 alternating 0/2 is 24/23;
    # φ = 1 / (24/23 - 1) = 23; nuclear (1 + 0.5) / (24 + 1) = 0.06
    c = climatology(train, horizon=3, draws=10, seed=0)
    assert c.launch_rate == pytest.approx(1.0)
    assert c.concentration == pytest.approx(23.0)
    assert c.nuclear_prob == pytest.approx(0.06)
    # persistence: last 12 months sum to 12 → (12 + 0.5) / 12; no test in them → 0.5 / 13
    p = persistence(train, horizon=3, draws=10, seed=0)
    assert p.launch_rate == pytest.approx(12.5 / 12)
    assert p.nuclear_prob == pytest.approx(0.5 / 13)
    # random walk: both yearly blocks sum to 12 → σ = 0, the rate stays at 12.5 / 12
    r = random_walk_log_rate(_toy_train(3), horizon=3, draws=10, seed=0)
    assert r.launch_rate == pytest.approx(12.5 / 12)
    assert np.isinf(r.concentration).all()


@pytest.mark.slow
def test_small_backtest_end_to_end(panel):
    result = backtest(panel, origins=["2016-01"], horizon_months=24, episodes=False, draws=200, seed=3)
    s = result.scores
    assert set(s["forecaster"]) == set(FORECASTERS)
    assert len(s) == len(FORECASTERS) * 24
    assert s[["crps", "log_score", "brier"]].notna().all().all()
    assert np.isfinite(s["log_score"]).all()
    # observations are the record's months 2016-01 … 2017-12
    model_rows = s[s["forecaster"] == MODEL]
    assert model_rows["observed"].tolist() == \
        panel.loc["2016-01":"2017-12", "launch_events"].astype(float).tolist()
    summary = result.summary()
    assert set(summary.index.get_level_values(0)) == {"1-12", "13-36"}
    skill = result.skill()
    assert len(skill) == 2 * (len(FORECASTERS) - 1)
    assert all(line.startswith("horizon") for line in result.verdict())
    pit = result.pit()
    assert pit.sum() == pytest.approx(1.0)
    # same seed, same scores
    again = backtest(panel, origins=["2016-01"], horizon_months=24, episodes=False, draws=200, seed=3)
    pd.testing.assert_frame_equal(result.scores, again.scores)
