"""No leakage: a fit (and a back-test forecast) cannot see any row after its origin."""

from __future__ import annotations

import numpy as np
import pandas as pd

from detente.dynamics import TrainingWindow, fit
from detente.dynamics.backtest import _forecasts


def _scramble_after(panel: pd.DataFrame, until: str) -> pd.DataFrame:
    """Every row after ``until`` changed in every column the model could read."""
    future = panel.copy()
    after = future.index > pd.Period(until, freq="M")
    future.loc[after, "launch_events"] += 7
    future.loc[after, "missiles"] += 20
    future.loc[after, "nuclear_test"] = 1
    future.loc[after, "unsc_resolution"] = 1
    future.loc[after, "regime"] = "crisis"
    future.loc[after, "leader"] = "Kim Il Sung"
    return future


def test_training_window_slice_ends_at_the_origin(panel):
    train = TrainingWindow(until=pd.Period("2010-12", freq="M")).slice(panel)
    assert train.index.max() == pd.Period("2010-12", freq="M")
    assert len(train) == (2010 - 1984 + 1) * 12


def test_changing_every_later_row_leaves_the_posterior_identical(panel):
    """Same seed, same training months: bit-identical draws, although every later row differs."""
    until = "2010-12"
    a = fit(panel, until=until, method="laplace", chains=1, samples=200, cache=False, seed=0)
    b = fit(_scramble_after(panel, until), until=until, method="laplace", chains=1, samples=200,
            cache=False, seed=0)
    assert a.samples.keys() == b.samples.keys()
    for name in a.samples:
        np.testing.assert_array_equal(a.samples[name], b.samples[name])
    assert a.info["key"] == b.info["key"]  # the cache key hashes the training rows only
    # ...and the guard is real: changing a training row does change the fit
    earlier = panel.copy()
    earlier.loc[pd.Period("2009-04", freq="M"), ["launch_events", "missiles"]] += 5
    c = fit(earlier, until=until, method="laplace", chains=1, samples=200, cache=False, seed=0)
    assert not np.array_equal(a.samples["log_base_rate"], c.samples["log_base_rate"])


def test_backtest_forecasts_do_not_see_the_future(panel):
    """Each forecaster's paths from origin 2015-01 are identical when later rows change."""
    until = pd.Period("2014-12", freq="M")
    a = _forecasts(panel, until, 12, 100, 5, "laplace")
    b = _forecasts(_scramble_after(panel, "2014-12"), until, 12, 100, 5, "laplace")
    for fa, fb in zip(a, b, strict=True):
        assert fa.name == fb.name
        np.testing.assert_array_equal(fa.launch_events, fb.launch_events)
        np.testing.assert_array_equal(fa.nuclear_prob, fb.nuclear_prob)
