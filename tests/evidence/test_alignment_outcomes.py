"""Outcomes for claims C5 and C6 (issue 12, item 3: "Russia–DPRK alignment events for C5;
crisis/incident events for C6. Each outcome with its source and unit in detente history").

Expected rows come from the reference history (tests/reference/history/diplomacy_events.csv
and sanctions.csv, read here on their own) plus the build's documented additions
(scripts/build_evidence.py ADDED_DIPLOMACY), with the rule written in the outcome's docstring.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from detente.cli import app
from detente.evidence.outcomes import alignment_events, crisis_events

from ._added import ADDED_DIPLOMACY


def _diplomacy(reference_dir: Path) -> pd.DataFrame:
    ref = pd.read_csv(reference_dir / "history" / "diplomacy_events.csv", dtype=str,
                      keep_default_na=False)
    return pd.concat([ref, pd.DataFrame(list(ADDED_DIPLOMACY))], ignore_index=True)


def test_alignment_events_are_steps_with_russia_or_china_and_their_vetoes(reference_dir):
    d = _diplomacy(reference_dir)
    parties = d["parties"].str.split(";").map(lambda ps: {p.strip() for p in ps})
    partner = parties.map(lambda ps: bool(ps & {"Russia", "China"}))
    western = parties.map(lambda ps: bool(ps & {"US", "ROK", "Japan"}))
    step = d["type"].isin(["summit", "agreement", "channel"])
    expected = sorted(d.loc[partner & ~western & step, "date_start"])
    got = alignment_events()
    assert sorted(got.loc[got["kind"] != "UNSC veto", "date"]) == expected
    vetoes = got[got["kind"] == "UNSC veto"].set_index("date")["partner"].to_dict()
    # sanctions.csv: 2022-05-26 "vetoed (China, Russia)"; 2024-03-28 "vetoed (Russia); China
    # abstained" — an abstention is not a veto
    assert vetoes == {"2022-05-26": "Russia; China", "2024-03-28": "Russia"}
    assert "2023-09-13" in expected and "2024-06-19" in expected  # Vostochny; the treaty
    assert all(got["source"].str.len() > 0)


def test_crisis_events_are_the_breakdowns(reference_dir):
    d = _diplomacy(reference_dir)
    assert sorted(crisis_events()["date"]) == sorted(d.loc[d["type"] == "breakdown",
                                                           "date_start"])


def test_history_lists_both_outcomes_with_unit_and_sources():
    for name in ("alignment-events", "crisis-events"):
        result = CliRunner().invoke(app, ["history", "--outcome", name, "--json"])
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert doc["outcome"] == name and doc["unit"] and doc["records"]
        assert all(r["source"] for r in doc["records"])
