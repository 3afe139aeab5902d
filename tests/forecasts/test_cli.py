"""``detente forecasts …`` end to end (typer's runner)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.forecasts import write_record

runner = CliRunner()


def test_verify_exit_codes(frozen, tmp_path):
    path = write_record(frozen, tmp_path / "f.json")
    res = runner.invoke(app, ["forecasts", "verify", str(path)])
    assert res.exit_code == 0 and "intact" in res.output
    res = runner.invoke(app, ["forecasts", "verify", str(path), "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["ok"] is True
    path.write_text(path.read_text().replace('"as_of": "2013-12"', '"as_of": "2013-11"'))
    res = runner.invoke(app, ["forecasts", "verify", str(path)])
    assert res.exit_code == 1 and "tampered" in res.output
    res = runner.invoke(app, ["forecasts", "verify", str(tmp_path / "nothing.json")])
    assert res.exit_code == 1 and "unreadable" in res.output


def test_questions_lists_and_locates_errors(tmp_path):
    res = runner.invoke(app, ["forecasts", "questions", "--json"])
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert out["id"] == "korea-default" and len(out["questions"]) == 20
    bad = tmp_path / "q.yaml"
    bad.write_text("id: x\ntitle: t\nquestions:\n  - id: a\n    colour: red\n")
    res = runner.invoke(app, ["forecasts", "questions", "--questions", str(bad)])
    assert res.exit_code == 2 and "q.yaml:5" in res.output and "Traceback" not in res.output


def test_score_refuses_a_tampered_record(frozen, tmp_path):
    path = write_record(frozen, tmp_path / "f.json")
    path.write_text(path.read_text().replace('"seed": 5', '"seed": 6'))
    res = runner.invoke(app, ["forecasts", "score", str(path)])
    assert res.exit_code == 2 and "tampered" in res.output


def test_the_shipped_record_is_intact_and_all_open():
    """Scored against the shipped data (which end 2025-12), no question of the record frozen
    as of 2025-12 can resolve: every one is listed open with its frozen forecast."""
    from detente.forecasts import read_record
    from detente.forecasts.freeze import shipped_record_path

    record = read_record()
    assert record.as_of == "2025-12" and str(shipped_record_path()).endswith(
        "forecasts-2025-12.json")
    assert record.data["settings"]["method"] == "nuts"
    res = runner.invoke(app, ["forecasts", "score", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out["questions"]) == 20 and out["leaderboard"] == []
    assert all(not q["resolved"] and q["observed"] is None for q in out["questions"])
    m1 = next(q for q in out["questions"] if q["id"] == "launch-days-m01")
    assert m1["type"] == "count" and m1["window_start"] == m1["window_end"] == "2026-01"
    assert "model" in m1["forecast"]
    res = runner.invoke(app, ["forecasts", "score"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "Still open" in res.output


@pytest.mark.slow
def test_freeze_writes_stores_and_refuses_to_change(tmp_path):
    out = tmp_path / "forecasts-2024-06.json"
    store = tmp_path / "runs.duckdb"
    args = ["forecasts", "freeze", "--as-of", "2024-06", "--method", "laplace", "--draws", "200",
            "--seed", "1", "--store", str(store), "--out", str(out)]
    res = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "frozen-forecast-2024-06-korea-default-seed1" in res.output
    assert runner.invoke(app, ["forecasts", "verify", str(out)]).exit_code == 0
    assert runner.invoke(app, args).exit_code == 0  # the same record again: accepted
    other = [a if a != "200" else "300" for a in args[:-1]] + [str(tmp_path / "other.json")]
    res = runner.invoke(app, other)  # other draws, same id: a different record
    assert res.exit_code == 2 and "never changed" in res.output
    assert not (tmp_path / "other.json").exists()
    # scored against the shipped record: months 2024-07 … 2025-12 are observed
    res = runner.invoke(app, ["forecasts", "score", str(out), "--json"])
    assert res.exit_code == 0, res.output
    score = json.loads(res.stdout)
    resolved = {q["id"] for q in score["questions"] if q["resolved"]}
    assert "launch-days-m01" in resolved and "nuclear-test-12m" in resolved
    assert score["leaderboard"]
    res = runner.invoke(app, ["forecasts", "freeze", "--as-of", "2026-13"])
    assert res.exit_code == 2 and "Traceback" not in res.output
