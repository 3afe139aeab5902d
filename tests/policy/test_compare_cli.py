"""``detente compare``: tables, JSON, the report path, and bad input as one-line errors.

The dynamic fit is replaced by the suite's cached Laplace posterior (``_shared.posterior``) so
the CLI test does not run NUTS, and the episode back-test by the suite's real one at 200 draws
(``_shared.episode_backtest``, same protocol) after checking the command asked for exactly that
protocol; everything else (scenario, engines, bridge, report) is real.
"""

from __future__ import annotations

import json

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from detente.cli import app
from tests.policy import _shared


@pytest.fixture
def cached_fit(monkeypatch):
    import importlib

    # the module, not the function the package re-exports under the same name
    fit_module = importlib.import_module("detente.dynamics.fit")
    fitted = _shared.posterior()  # fit (or read the cache) before the patch
    monkeypatch.setattr(fit_module, "fit", lambda *a, **k: fitted)


@pytest.fixture
def shared_backtest(monkeypatch):
    import detente.dynamics

    result = _shared.episode_backtest()
    calls: list[dict] = []

    def episode_backtest(panel, **kw):
        calls.append(kw)
        return result

    monkeypatch.setattr(detente.dynamics, "backtest", episode_backtest)
    return calls


def test_compare_runs_the_episode_backtest_by_default(cached_fit, shared_backtest, tmp_path):
    """Without flags the command runs the episode back-test and its verdict on the episode
    trained up to the fit's last month (2023-09, ``detente.dynamics.backtest.EPISODES``) is
    the JSON's, C4's and the report headline's."""
    result = CliRunner().invoke(app, [
        "compare", "korea-2023", "--policies", "summit-diplomacy", "--years", "1",
        "--draws", "3", "--seed", "5", "--out", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert len(shared_backtest) == 1
    kw = shared_backtest[0]
    assert kw["origins"] == [] and kw["episodes"] is True and kw["seed"] == doc["seed"] % 2**32
    oos = doc["out_of_sample"]
    assert oos["held_out"] == "since 2023-09"
    assert [e["label"] for e in oos["episodes"]] == ["2012-2017", "2018-2019", "2020-2023",
                                                     "since 2023-09"]
    held = next(e for e in oos["episodes"] if e["label"] == "since 2023-09")
    assert held["verdict"] in _shared.episode_backtest().verdict("episode")
    summary = held["verdict"].split(": ", 1)[1].rstrip(".")
    c4 = next(c for c in doc["claims"] if c["id"] == "C4")
    # the episode verdict is quoted; C4's verdict needs rolling origins, so it rests on the
    # in-sample association here (detente.verdicts), with its test statistics
    assert summary in c4["note"]
    assert c4["basis"] == "in-sample association" and c4["tests"]
    assert c4["verdict"] in ("supported-in-sample", "not-supported", "contradicted")
    assert c4["sentence"]
    html = (tmp_path / "korea-2023-comparison.html").read_text(encoding="utf-8")
    assert str(escape(summary)) in html[:html.index('<section id="scenario">')]


def test_no_backtest_says_so_everywhere(cached_fit, tmp_path):
    result = CliRunner().invoke(app, [
        "compare", "korea-2023", "--policies", "engagement-with-incentives", "--years", "1",
        "--draws", "4", "--seed", "1", "--out", str(tmp_path), "--no-backtest"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "no out-of-sample check was run" in out
    html = (tmp_path / "korea-2023-comparison.html").read_text(encoding="utf-8")
    top = html[:html.index('<section id="scenario">')]
    claims = html[html.index('<section id="claims">'):html.index('<section id="evidence">')]
    evidence = html[html.index('<section id="evidence">'):html.index('<section id="method">')]
    assert "No out-of-sample check was run" in top
    assert "no out-of-sample check was run" in claims
    assert "No out-of-sample check was run" in evidence and 'id="fig-backtest"' not in evidence


def test_compare_json_lists_assumptions_and_writes_the_report(cached_fit, tmp_path, korea):
    result = CliRunner().invoke(app, [
        "compare", "korea-2023", "--policies", "engagement-with-incentives", "--years", "1",
        "--draws", "4", "--seed", "1", "--out", str(tmp_path), "--json", "--no-backtest"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["policies"] == ["engagement-with-incentives"]
    n_assumed = len(korea.policy("engagement-with-incentives").assumptions)
    assert sum(r["kind"] == "assumption" for r in doc["assumptions"]) == n_assumed
    assert [c["id"] for c in doc["claims"]] == [f"C{i}" for i in range(1, 11)]
    assert (tmp_path / "korea-2023-comparison.html").exists()
    assert doc["report"].endswith("korea-2023-comparison.html")
    assert doc["out_of_sample"] is None


def test_compare_table_output_names_the_report(cached_fit, tmp_path):
    result = CliRunner().invoke(app, [
        "compare", "korea-2023", "--policies", "maximum-pressure", "--years", "1",
        "--draws", "4", "--seed", "2", "--out", str(tmp_path), "--no-backtest"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())  # rich wraps at the test terminal's width
    assert "maximum-pressure" in out and "The claims, tested" in out
    assert "Assumed responses" in out and "RUS rustech position shift 10" in out and "not a probability" in out
    assert "korea-2023-comparison.html" in result.output.replace("\n", "")


@pytest.mark.parametrize(("args", "needle"), [
    (["--policies", "appeasement"], "appeasement"),
    (["--years", "0"], "horizon_months"),
    (["--draws", "1"], "draws"),
    (["--out", "/proc/no-such-place/out"], "report folder"),
    (["--bridge", "beta=1"], "--bridge"),
])
def test_bad_input_is_a_clear_error(cached_fit, tmp_path, args, needle):
    result = CliRunner().invoke(app, ["compare", "korea-2023", "--out", str(tmp_path), *args])
    assert result.exit_code == 2
    assert needle in result.output
    assert "Traceback" not in result.output


def test_bridge_option_reaches_the_comparison(cached_fit, tmp_path):
    result = CliRunner().invoke(app, [
        "compare", "korea-2023", "--policies", "summit-diplomacy", "--years", "1",
        "--draws", "3", "--seed", "3", "--out", str(tmp_path), "--json",
        "--bridge", "beta_talks=0", "--bridge", "unsc_base_since=2013-10", "--no-backtest"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["bridge"]["beta_talks"] == 0.0
    assert doc["bridge"]["unsc_base_since"] == "2013-10"
    bad = CliRunner().invoke(app, ["compare", "korea-2023", "--out", str(tmp_path),
                                   "--bridge", "beta_talks=9"])
    assert bad.exit_code == 2 and "bridge.beta_talks" in bad.output
