"""Every result type has ``.to_frame()`` (a pandas DataFrame) and ``.to_dict()`` (JSON-ready).

The check is structural (a DataFrame; ``json.dumps`` succeeds without a default hook), on real
results of each verb computed small: the expected behaviour is the shared contract of the
results, not numbers.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import detente
from detente.bargaining.smp import run_scenario


def _results(small_comparison, posterior, episode_backtest):
    fc = detente.forecast("korea-2023", model="bdm", draws=4, seed=1)
    issue = next(iter(fc.results))
    traj = detente.simulate(posterior, months=6, draws=8, seed=1)
    from detente.backcast import backcast

    return {
        "Forecast": fc, "IssueResult": fc.results[issue],
        "IssueDistribution": fc.distributions[issue],
        "SMPRun": run_scenario(detente.load_scenario("korea-2023")),
        "Trajectories": traj, "Posterior": posterior, "BacktestResult": episode_backtest,
        "Comparison": small_comparison, "BackcastResult": backcast(["korea-2017"], draws=4),
    }


def test_every_result_has_to_frame_and_to_dict(small_comparison, posterior, episode_backtest):
    for name, result in _results(small_comparison, posterior, episode_backtest).items():
        assert isinstance(result.to_frame(), pd.DataFrame), name
        json.dumps(result.to_dict(), allow_nan=True)


@pytest.mark.slow
def test_evaluation_has_to_frame_and_to_dict(posterior, panel):
    result = detente.evaluate("korea-2023", draws=4, seed=2, posterior=posterior, panel=panel,
                              backtest=False, horizon_months=12)
    assert isinstance(result.to_frame(), pd.DataFrame)
    doc = json.loads(json.dumps(result.to_dict(), default=str))
    assert doc["seed"] == 2 and doc["options"]["backtest"] is False
    assert any("no out-of-sample check" in n for n in doc["notes"])
