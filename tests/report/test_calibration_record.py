"""The report's "Calibration" and "Forecast record" sections (issues 12 and 14).

Where the expected numbers come from:

- coverage: ``BacktestResult.summary("episode")`` of the suite's real episode back-test (the
  back-test's own summary), for the model and for the strongest baseline, which this test picks
  itself from the raw score table (lowest mean CRPS over the held-out months, the model and the
  stacking ensemble left out — the rule the section states);
- the number of forecasts: the model's rows of kind ``episode`` in the back-test's score table;
- the forecast record: the shipped record's file, read here with ``json`` (its ``id``,
  ``as_of`` and ``sha256`` fields), and ``detente.forecasts.score(...).to_dict()`` on the same
  evidence, for the leaderboard; the two added launches (illustrative rows of
  tests/forecasts/test_end_to_end.py) fall on one Korean day in 2026-01 and one in 2026-02, so
  exactly the two monthly count questions ``launch-days-m01``/``-m02`` resolve, each with 1.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from dataclasses import replace
from importlib.resources import files

import pytest

from detente.report import render_report

ROWS = ("date,time_utc,missile,facility,outcome,source\n"
        "2026-01-04,23:10,KN-23,Sunan,success,illustrative row (not a real report)\n"
        "2026-01-31,16:30,Hwasong-18,Pyongyang,success,illustrative row (not a real report)\n")


def _section(html: str, sid: str) -> str:
    start = html.index(f'<section id="{sid}">')
    return html[start:html.index("</section>", start)]


def _rows(table: str) -> list[list[str]]:
    """The cells of each body row of an HTML table, tags stripped, entities decoded."""
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr, flags=re.S)
        if cells:
            out.append([htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return out


def _table(section: str, marker: str) -> str:
    start = section.index(marker)
    return section[start:section.index("</table>", start)]


def _strongest(bt) -> str:
    from detente.dynamics.backtest import ENSEMBLE, MODEL

    s = bt.scores[bt.scores["kind"] == "episode"]
    means = s.groupby("forecaster")["crps"].mean().drop([MODEL, ENSEMBLE])
    return str(means.idxmin())


@pytest.fixture(scope="module")
def calibrated_html(small_comparison, panel, episode_backtest):
    return render_report(small_comparison, panel=panel, backtest=episode_backtest)


def _coverage(html: str) -> dict[tuple[str, str], list[str]]:
    section = _section(html, "calibration")
    table = _table(section, '<table id="coverage-table">')
    heads = [htmllib.unescape(h) for h in re.findall(r'<th class="nominal">([^<]*)</th>', table)]
    assert heads == ["50 % interval: observed", "80 % interval: observed",
                     "95 % interval: observed"]
    return {(ep, fc.split(" (")[0]): cells for ep, fc, *cells in _rows(table)}


def test_coverage_shown_is_the_backtests_own_summary(calibrated_html, episode_backtest):
    from detente.dynamics.backtest import MODEL

    bt = episode_backtest
    summary = bt.summary("episode")
    strongest = _strongest(bt)
    shown = _coverage(calibrated_html)
    episodes = list(summary.index.get_level_values(0).unique())
    assert len(episodes) == 4
    assert set(shown) == {(ep, fc) for ep in episodes for fc in (MODEL, strongest)}
    for (ep, fc), cells in shown.items():
        expected = [f"{100 * summary.loc[(ep, fc), col]:.1f} %" for col in ("in50", "in80", "in95")]
        assert cells == expected, (ep, fc)
    section = _section(calibrated_html, "calibration")
    n = int(((bt.scores["kind"] == "episode") & (bt.scores["forecaster"] == MODEL)).sum())
    assert "Out of sample (held-out episodes)." in section
    assert f"{n} monthly forecasts of the model from 4 origins" in section
    assert f"<b>{strongest}</b>" in section
    for fig in ("fig-calibration-launch", "fig-calibration-nuclear", "fig-pit"):
        assert f'<figure id="{fig}"><img' in section


def test_coverage_follows_the_backtest(small_comparison, panel, episode_backtest):
    """The table is read from the result it is given: zero the model's 95 % hits on one
    episode and the report shows 0.0 % there (and nothing else of the model moves)."""
    from detente.dynamics.backtest import MODEL

    scores = episode_backtest.scores.copy()
    rows = ((scores["kind"] == "episode") & (scores["label"] == "2018-2019")
            & (scores["forecaster"] == MODEL))
    scores.loc[rows, "in95"] = False
    html = render_report(small_comparison, panel=panel,
                         backtest=replace(episode_backtest, scores=scores))
    shown = _coverage(html)
    assert shown[("2018-2019", MODEL)][2] == "0.0 %"
    before = episode_backtest.summary("episode")
    assert shown[("2012-2017", MODEL)][2] == f"{100 * before.loc[('2012-2017', MODEL), 'in95']:.1f} %"


def test_no_backtest_says_so(small_comparison, panel):
    html = render_report(small_comparison, panel=panel, backtest=None)
    section = _section(html, "calibration")
    assert "No out-of-sample check was run for this report" in section
    assert "<figure" not in section and "coverage-table" not in section


def _shipped_fields() -> dict:
    text = (files("detente.forecasts") / "records" / "forecasts-2025-12.json").read_text(
        encoding="utf-8")
    doc = json.loads(text)
    return {"id": doc["id"], "as_of": doc["as_of"], "sha256": doc["sha256"],
            "questions": len(doc["questions"])}


def _record_block(html: str, key: int = 0) -> str:
    section = _section(html, "forecast-record")
    start = section.index(f'<div class="forecast-record" id="forecast-record-{key}">')
    return section[start:section.index("</div>", start)]


def _info(block: str) -> dict[str, str]:
    table = _table(block, '<table class="record-info">')
    return {htmllib.unescape(k): htmllib.unescape(re.sub(r"<[^>]+>", "", v)).strip()
            for k, v in re.findall(r"<tr><th>([^<]*)</th><td[^>]*>(.*?)</td></tr>", table)}


def test_forecast_record_section_with_the_shipped_record_all_open(small_comparison, panel):
    from detente.evaluation import score_records

    shipped = _shipped_fields()
    result = score_records()
    html = render_report(small_comparison, panel=panel, forecast_record=result)
    block = _record_block(html)
    info = _info(block)
    assert f"<h3>{shipped['id']}</h3>" in block
    assert info["as of"] == shipped["as_of"] == "2025-12"
    assert info["SHA-256 (content)"] == shipped["sha256"]
    assert info["resolved"] == "0" and info["open"] == str(shipped["questions"])
    assert "leaderboard" not in block and "<figure" not in block
    assert ("No question of this record can resolve before observations after 2025-12 are "
            "added with detente evidence add") in htmllib.unescape(block)
    section = _section(html, "forecast-record")
    assert "the shipped record only: this evaluation was given no run store" in section


def test_forecast_record_scores_added_observations(small_comparison, panel, tmp_path,
                                                   monkeypatch):
    monkeypatch.setenv("DETENTE_DATA", str(tmp_path / "data"))
    from detente.evaluation import score_records
    from detente.evidence.user import add_evidence
    from detente.forecasts import evidence_inputs, read_record, score

    csv = tmp_path / "launches-2026.csv"
    csv.write_text(ROWS, encoding="utf-8")
    add_evidence(csv, through="2026-02-28")
    expected = score(read_record(), *evidence_inputs()).to_dict()  # the library's own scores
    assert expected["record"]["resolved"] == 2

    html = render_report(small_comparison, panel=panel, forecast_record=score_records())
    block = _record_block(html)
    info = _info(block)
    assert info["resolved"] == "2" and info["open"] == "18"
    resolved = _rows(_table(block, '<table class="resolved-questions">'))
    assert [(r[0], r[1], r[3]) for r in resolved] == [("launch-days-m01", "count", "1"),
                                                       ("launch-days-m02", "count", "1")]
    board = _rows(_table(block, '<table class="leaderboard">'))
    want = [[row["forecaster"], row["score"], row["questions"], str(row["n"]),
             f"{row['mean']:.4f}",
             row.get("verdict") or f"nominal {round(100 * row['nominal'])} %"]
            for row in expected["leaderboard"]]
    assert board == want and len(board) > 0
    # two count questions: no binary question has resolved, so no calibration plot yet
    assert "<figure" not in block
    assert "No binary question of this record has resolved yet" in block


def test_forecast_records_in_a_store_are_scored_once_each(tmp_path):
    """The shipped record stored again is not scored twice; a second, different record in the
    store is scored beside it (its content hash re-sealed, as freeze would)."""
    from detente.evaluation import SHIPPED_RECORD, score_records
    from detente.forecasts import FrozenRecord, read_record, store_record
    from detente.forecasts.freeze import content_hash
    from detente.runs import RunStore

    shipped = read_record()
    other = {**shipped.data, "id": shipped.id + "-copy"}
    other["sha256"] = content_hash(other)
    path = tmp_path / "runs.duckdb"
    with RunStore(path) as st:
        store_record(shipped, st)
        store_record(FrozenRecord(other), st)
    result = score_records(path)
    sources = [src for src, _ in result.records]
    assert sources[0] == SHIPPED_RECORD and len(sources) == 2
    assert result.records[1][1].record["id"] == shipped.id + "-copy"
    assert result.to_dict()["records"][1]["record"]["sha256"] == other["sha256"]
    assert score_records(tmp_path / "nowhere.duckdb").notes[0].startswith("no run store at")


def test_calibration_figures_draw_on_given_axes():
    from detente.report.figures import pit_histogram, reliability_diagram, subplots

    _, ax = subplots()
    rows = [{"low": 0.0, "high": 0.1, "forecast": 0.05, "observed": 0.2, "n": 7}]
    assert reliability_diagram([{"forecaster": "model", "role": "model", "rows": rows}],
                               ax=ax) is ax
    xs = [list(line.get_xdata()) for line in ax.get_lines()]
    assert [0, 1] in xs and [0.05] in xs  # the diagonal and the bin
    assert any(t.get_text() == "n=7" for t in ax.texts)
    _, ax = subplots()
    pit_histogram([{"forecaster": "model", "role": "model", "shares": [0.5, 0.25, 0.25]}], ax=ax)
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([1.5, 0.75, 0.75])  # shares × bins: a density
    assert any(list(line.get_ydata()) == [1.0, 1.0] for line in ax.get_lines())


def test_evaluation_carries_both_sections_to_the_report_and_json(small_comparison, panel,
                                                                 episode_backtest):
    """``Evaluation.calibration`` / ``.forecast_record`` reach ``to_dict()`` (the ``--json``
    output) and ``detente.report.context`` (what the run store keeps): an Evaluation built from
    the shared comparison and back-test (no new compare run)."""
    from datetime import datetime

    from detente.dynamics.backtest import MODEL
    from detente.evaluation import Evaluation, score_records
    from detente.report import context, render_context

    now = datetime(2026, 1, 1)
    result = Evaluation(comparison=small_comparison, backtest=episode_backtest, claims=None,
                        panel=panel, options={}, started=now, ended=now,
                        forecast_record=score_records())
    doc = json.loads(json.dumps(result.to_dict(), default=str))
    summary = episode_backtest.summary("episode")
    model_rows = [r for r in doc["calibration"]["coverage"] if r["forecaster"] == MODEL]
    assert [r["in80"] for r in model_rows] == pytest.approx(
        [summary.loc[(ep, MODEL), "in80"] for ep in summary.index.get_level_values(0).unique()])
    assert doc["forecast_record"]["records"][0]["record"]["sha256"] == _shipped_fields()["sha256"]
    ctx = json.loads(json.dumps(context(result)))  # plain data, as the run store keeps it
    html = render_context(ctx)
    assert '<table id="coverage-table">' in html and 'id="forecast-record-0"' in html
    # a context stored before these sections existed still renders (they say nothing ran)
    old = {k: v for k, v in ctx.items() if k not in ("calibration", "forecast_record")}
    html = render_context(old)
    assert "No frozen forecast record was scored" in _section(html, "forecast-record")
