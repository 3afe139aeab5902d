"""The dynamic model on the panel coded with the alternative crisis rule: fit and backtest take
it through ``panel=``, the cache cannot mix the two panels up, and the CLI switch
``--crisis-rule`` fails cleanly on a bad value. No NUTS here (Laplace fits only)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.dynamics import backtest, fit
from detente.dynamics.fit import TrainingWindow, data_hash
from detente.evidence import monthly_panel
from detente.evidence.regime import BREAKDOWN_ONLY

runner = CliRunner()


@pytest.fixture(scope="module")
def alternative_panel():
    return monthly_panel(crisis_rule=BREAKDOWN_ONLY)


def test_cache_key_sees_the_rule_only_where_the_rows_differ(panel, alternative_panel) -> None:
    """The first month the two rules code differently is 2006-10 (resolution 1718, 2006-10-14;
    sanctions.csv), so training rows up to 2006-09 are the same and share a hash, and any window
    that reaches 2006-10 does not."""
    def rows(p, until):
        return TrainingWindow(until=pd.Period(until, "M")).slice(p)

    assert data_hash(rows(panel, "2006-09")) == data_hash(rows(alternative_panel, "2006-09"))
    for until in ("2006-10", "2023-09"):
        assert data_hash(rows(panel, until)) != data_hash(rows(alternative_panel, until))


@pytest.mark.slow
def test_fit_on_the_alternative_panel_is_not_served_the_default_from_cache(
        panel, alternative_panel) -> None:
    """Fit the default panel first (writes the cache), then the alternative with the same
    settings: it must be a fresh fit under a different key. Its training rows differ in exactly
    the crisis months, by hand from sanctions.csv, of resolution 1718 (2006-10-14; window Oct-Dec,
    Dec is Six-Party dialogue) and 1874 (2009-06-12; Jun-Aug, June still inside the 2009-04-14
    walk-out's window): 2006-10, 2006-11, 2009-07, 2009-08."""
    settings = {"until": "2012-12", "method": "laplace", "chains": 1, "samples": 100, "seed": 3}
    default = fit(panel, **settings)
    alternative = fit(alternative_panel, **settings)
    assert alternative.info["key"] != default.info["key"]
    assert not alternative.info.get("cached")
    again = fit(alternative_panel, **settings)
    assert again.info.get("cached") and again.info["key"] == alternative.info["key"]
    window = slice("1984-01", "2012-12")
    differ = panel.loc[window, "regime"] != alternative_panel.loc[window, "regime"]
    assert panel.loc[window].index[differ].astype(str).tolist() == [
        "2006-10", "2006-11", "2009-07", "2009-08"]


@pytest.mark.slow
def test_backtest_on_the_alternative_panel_changes_only_the_regime_models(
        panel, alternative_panel) -> None:
    """One origin after the first changed month: the baselines do not read the regime, so their
    scores are identical under both rules; the model (which does) scores differently."""
    kwargs = {"origins": ["2014-01"], "horizon_months": 12, "episodes": False, "draws": 100, "seed": 1}
    a = backtest(panel, **kwargs).scores.set_index(["forecaster", "h"])
    b = backtest(alternative_panel, **kwargs).scores.set_index(["forecaster", "h"])
    for name in ("climatology", "persistence", "random walk"):
        assert a.loc[name, "crps"].tolist() == b.loc[name, "crps"].tolist(), name
    assert a.loc["model", "crps"].tolist() != b.loc["model", "crps"].tolist()


@pytest.mark.parametrize("command", ["fit", "backtest"])
def test_cli_bad_crisis_rule_exits_2_with_the_allowed_values(command: str) -> None:
    from detente.cli import app

    res = runner.invoke(app, [command, "--crisis-rule", "sanctions-only"])
    assert res.exit_code == 2, res.output
    assert "crisis_rule" in res.output and "sanctions-only" in res.output
    assert "breakdown-or-sanctions, breakdown-only" in res.output
    assert "Traceback" not in res.output
