"""The shipped 2025-12 record, new 2026 observations, a score: issue 14's "Done when" chain.

`detente evidence add` of a CSV of 2026 launch events, then `detente forecasts score --json` on
the record committed with détente. The two rows are illustrative (not real reports): one on
4 January, one at 16:30 UTC on 31 January — 1 February in Korea (KST = UTC+9, the date rule of
docs/evidence.md), so each of January and February holds one launch day. Expected scores are
computed here from the record's own frozen forecast: CRPS of its sample with scoringrules'
ensemble estimator, the log score as −log of its pmf at the observed count.
"""

from __future__ import annotations

import json

import numpy as np
import scoringrules as sr
from typer.testing import CliRunner

from detente.cli import app

ROWS = ("date,time_utc,missile,facility,outcome,source\n"
        "2026-01-04,23:10,KN-23,Sunan,success,illustrative row (not a real report)\n"
        "2026-01-31,16:30,Hwasong-18,Pyongyang,success,illustrative row (not a real report)\n")


def test_added_2026_launches_resolve_and_score_the_shipped_record(tmp_path, monkeypatch):
    monkeypatch.setenv("DETENTE_DATA", str(tmp_path / "data"))
    csv = tmp_path / "launches-2026.csv"
    csv.write_text(ROWS, encoding="utf-8")
    runner = CliRunner()
    added = runner.invoke(app, ["evidence", "add", str(csv), "--through", "2026-02-28"])
    assert added.exit_code == 0, added.output
    scored = runner.invoke(app, ["forecasts", "score", "--json"])
    assert scored.exit_code == 0, scored.output
    doc = json.loads(scored.stdout)

    from detente.forecasts import read_record

    record = read_record().to_dict()  # the shipped record, its hash checked
    by_id = {q["id"]: q for q in doc["questions"]}
    resolved = sorted(q for q, item in by_id.items() if item["resolved"])
    assert resolved == ["launch-days-m01", "launch-days-m02"]  # nothing else is observed
    for qid, month in (("launch-days-m01", "2026-01"), ("launch-days-m02", "2026-02")):
        item = by_id[qid]
        assert item["type"] == "count"
        assert item["window_start"].startswith(month) and item["window_end"].startswith(month)
        assert item["observed"] == 1
        frozen = record["forecasts"][qid]["model"]
        sample = np.repeat(frozen["sample"]["values"], frozen["sample"]["counts"]).astype(float)
        expect_crps = float(sr.crps_ensemble(1.0, sample))
        expect_log = -np.log(frozen["pmf"][1])
        got = item["scores"]["model"]
        assert abs(got["crps"] - expect_crps) < 1e-9
        assert abs(got["log_score"] - expect_log) < 1e-9
    open_items = [q for q in doc["questions"] if not q["resolved"]]
    assert all(q["observed"] is None for q in open_items)
