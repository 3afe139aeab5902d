"""``detente fit`` and ``detente backtest`` end to end (typer's runner; real fits)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from detente.cli import app

runner = CliRunner()


@pytest.mark.slow
def test_fit_prints_prior_beside_posterior():
    res = runner.invoke(app, ["fit", "--until", "2012-12", "--method", "laplace",
                              "--samples", "200", "--chains", "1"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "log_rate_ratio_dialogue" in res.output
    assert "dialogue_rate_ratio" in res.output  # the lever column
    assert "1984-01 … 2012-12" in res.output


def test_fit_bad_month_is_a_named_error_not_a_traceback():
    res = runner.invoke(app, ["fit", "--until", "2012-13"])
    assert res.exit_code == 2
    assert "until" in res.output and "YYYY-MM" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["fit", "--method", "mcmc"])
    assert res.exit_code == 2 and "nuts, laplace" in res.output


@pytest.mark.slow
def test_backtest_prints_scores_and_verdict():
    res = runner.invoke(app, ["backtest", "--origins", "2016-01", "--horizon", "12",
                              "--no-episodes", "--draws", "100"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "climatology" in res.output and "random walk" in res.output
    assert "the model beats" in res.output
    assert "PIT histogram" in res.output
