"""Strong baselines, the stacking ensemble and the significance of every comparison (issue 12).

Expected values come from hand computations on toy series and from an independent test: with no
HAC lag, the Diebold–Mariano statistic with the Harvey–Leybourne–Newbold correction equals the
one-sample t-test of the differences (scipy), so its p-value must match ttest_1samp's.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from detente.dynamics.backtest import diebold_mariano, stacking_weights
from detente.dynamics.baselines import BASELINES, ewma_fit


def _train(y: list[float]) -> pd.DataFrame:
    idx = pd.period_range("2000-01", periods=len(y), freq="M", name="month")
    return pd.DataFrame({"launch_events": y, "nuclear_test": np.zeros(len(y), int)}, index=idx)


def test_persistence_over_24_and_36_months_by_hand():
    y = [0.0] * 12 + [1.0] * 12 + [3.0] * 12  # sums: last 24 → 48, last 36 → 48
    train = _train(y)
    p24 = BASELINES["persistence 24"](train, horizon=2, draws=5, seed=0)
    p36 = BASELINES["persistence 36"](train, horizon=2, draws=5, seed=0)
    assert p24.launch_rate == pytest.approx((48 + 0.5) / 24)
    assert p36.launch_rate == pytest.approx((48 + 0.5) / 36)


def test_ewma_picks_the_fastest_weight_on_a_step_and_smooths_by_hand():
    # a step from 0 to 4: every one-step error after the step shrinks as alpha grows, so the
    # largest weight of the grid (0.5) wins; the level then follows m_t = 0.5 y_t + 0.5 m_{t-1}
    y = np.array([0.0] * 24 + [4.0] * 24)
    alpha, m = ewma_fit(y)
    assert alpha == 0.5
    level = 0.0  # the first year's mean
    for value in y:
        level = 0.5 * value + 0.5 * level
    assert m[-1] == pytest.approx(level)
    fc = BASELINES["ewma"](_train(list(y)), horizon=3, draws=5, seed=0)
    assert fc.launch_rate == pytest.approx(level)


def test_stacking_puts_the_weight_where_the_density_is():
    rng = np.random.default_rng(0)
    good = rng.uniform(0.5, 1.0, 200)          # log scores of a sharper forecaster
    bad = good + 2.0                           # always e^-2 times less likely
    w = stacking_weights(np.column_stack([bad, good]))
    assert w[1] > 0.99 and w.sum() == pytest.approx(1.0)
    # each better on half the observations, symmetrically: an even split
    a = np.r_[np.zeros(100), np.full(100, 3.0)]
    w2 = stacking_weights(np.column_stack([a, a[::-1]]))
    assert w2 == pytest.approx([0.5, 0.5], abs=1e-3)
    assert stacking_weights(np.zeros((0, 3))) == pytest.approx([1 / 3] * 3)


@pytest.mark.parametrize("shift", [0.0, 0.3])
def test_diebold_mariano_without_lag_is_the_one_sample_t_test(shift):
    d = np.random.default_rng(1).normal(shift, 1.0, 80)
    mean, p = diebold_mariano(d, lag=0)
    assert mean == pytest.approx(d.mean())
    assert p == pytest.approx(stats.ttest_1samp(d, 0.0).pvalue, rel=1e-9)


def test_overlap_widens_the_test():
    # positively autocorrelated differences (a moving sum): the HAC variance is larger, so the
    # same mean is less significant with lags than without
    e = np.random.default_rng(2).normal(0.15, 1.0, 200)
    d = np.convolve(e, np.ones(4) / 4, mode="valid")
    assert diebold_mariano(d, lag=3)[1] > diebold_mariano(d, lag=0)[1]


@pytest.mark.slow
def test_backtest_json_reports_every_baseline_with_its_significance():
    import json

    from typer.testing import CliRunner

    from detente.cli import app

    result = CliRunner().invoke(app, ["backtest", "--json", "--origins", "2012-01,2014-01",
                                      "--horizon", "12", "--no-episodes", "--draws", "100",
                                      "--no-store"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    rows = doc["comparisons"]
    keys = {"model", "baseline", "horizon", "score", "model_score", "baseline_score",
            "difference", "p_value", "verdict"}
    assert all(keys <= set(r) for r in rows)
    baselines = {r["baseline"] for r in rows}
    assert {"climatology", "persistence", "persistence 24", "persistence 36", "ewma",
            "local-level NB", "no_policy", "ensemble (log-score stacking)"} <= baselines
    for r in rows:
        assert r["verdict"] in ("beats", "beaten", "tie")
        assert r["difference"] == pytest.approx(r["model_score"] - r["baseline_score"])
        if r["p_value"] >= 0.05:
            assert r["verdict"] == "tie"
    assert doc["rolling"]["reliability_model"] and doc["rolling"]["coverage"]


def test_monte_carlo_error_enters_the_diebold_mariano_variance():
    # lag 0: the statistic is mean / √(s²/n + mc_se²) times HLN's factor √((n − 1)/n) (Harvey,
    # Leybourne & Newbold 1997, eq. 9 with h = 1), against Student t with n − 1 degrees of
    # freedom; s² is the variance with divisor n
    d = np.random.default_rng(4).normal(0.25, 1.0, 60)
    mc_se = 0.08
    s2 = float(np.mean((d - d.mean()) ** 2))
    stat = d.mean() / math.sqrt(s2 / d.size + mc_se ** 2) * math.sqrt((d.size - 1) / d.size)
    expected = 2 * stats.t.sf(abs(stat), df=d.size - 1)
    mean, p = diebold_mariano(d, lag=0, mc_se=mc_se)
    assert mean == pytest.approx(d.mean())
    assert p == pytest.approx(expected, rel=1e-12)
    assert p > diebold_mariano(d, lag=0)[1]
