"""Outcomes for claims C5 and C6 (issue 12, item 3: "Russia–DPRK alignment events for C5;
crisis/incident events for C6. Each outcome with its source and unit in detente history").

Expected rows come from the reference history (tests/reference/history/diplomacy_events.csv
and sanctions.csv, read here on their own) plus the build's documented additions
(scripts/build_evidence.py ADDED_DIPLOMACY and ADDED_INCIDENTS), with the rule written in the
outcome's docstring, or from the shipped diplomacy_events.csv read with the csv module (not
through the loaders under test).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from detente.cli import app
from detente.evidence.outcomes import alignment_events, crisis_events

from ._added import ADDED_DIPLOMACY, ADDED_INCIDENTS

DIPLOMACY_CSV = (Path(__file__).resolve().parents[2] / "src" / "detente" / "evidence" / "data"
                 / "diplomacy_events.csv")


def _diplomacy(reference_dir: Path) -> pd.DataFrame:
    ref = pd.read_csv(reference_dir / "history" / "diplomacy_events.csv", dtype=str,
                      keep_default_na=False)
    return pd.concat([ref, pd.DataFrame([*ADDED_DIPLOMACY, *ADDED_INCIDENTS])],
                     ignore_index=True)


def _csv_rows() -> list[dict[str, str]]:
    with DIPLOMACY_CSV.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_alignment_events_are_steps_with_russia_or_china_and_their_vetoes(reference_dir):
    d = _diplomacy(reference_dir)
    parties = d["parties"].str.split(";").map(lambda ps: {p.strip() for p in ps})
    partner = parties.map(lambda ps: bool(ps & {"Russia", "China"}))
    western = parties.map(lambda ps: bool(ps & {"US", "ROK", "Japan"}))
    step = d["type"].isin(["summit", "agreement", "channel", "military"])
    expected = sorted(d.loc[partner & ~western & step, "date_start"])
    got = alignment_events()
    assert sorted(got.loc[got["kind"] != "UNSC veto", "date"]) == expected
    vetoes = got[got["kind"] == "UNSC veto"].set_index("date")["partner"].to_dict()
    # sanctions.csv: 2022-05-26 "vetoed (China, Russia)"; 2024-03-28 "vetoed (Russia); China
    # abstained" — an abstention is not a veto
    assert vetoes == {"2022-05-26": "Russia; China", "2024-03-28": "Russia"}
    assert "2023-09-13" in expected and "2024-06-19" in expected  # Vostochny; the treaty
    # the troop deployment to Russia: the NIS report (2024-10-18), the DPRK's own (2025-04-28)
    assert {"2024-10-18", "2025-04-28"} <= set(expected)
    assert all(got["source"].str.len() > 0)


def test_crisis_events_are_the_breakdowns_deployments_and_provocations(reference_dir):
    d = _diplomacy(reference_dir)
    kinds = ["breakdown", "military", "provocation"]
    got = crisis_events()
    assert sorted(got["date"]) == sorted(d.loc[d["type"].isin(kinds), "date_start"])
    assert list(got["date"]) == sorted(got["date"])


def test_crisis_events_count_by_type_as_in_the_data_file():
    """Counts by type, and every row's source and note, read from the shipped CSV itself."""
    rows = _csv_rows()
    expected = Counter(r["type"] for r in rows
                       if r["type"] in {"breakdown", "military", "provocation"})
    got = crisis_events()
    assert Counter(got["kind"]) == expected
    assert expected["military"] == 2 and expected["provocation"] == 13
    by_key = {(r["date_start"], r["type"]): r for r in rows}
    for row in got.itertuples(index=False):
        shipped = by_key[(row.date, row.kind)]
        assert row.source == shipped["source"] and row.note == shipped["note"]
        assert row.source.startswith("http")


def test_alignment_events_hold_the_russia_deployment_from_the_data_file():
    rows = [r for r in _csv_rows() if r["type"] == "military"
            and "Russia" in r["parties"] and "US" not in r["parties"]]
    got = alignment_events()
    military = got[got["kind"] == "military"]
    assert sorted(military["date"]) == sorted(r["date_start"] for r in rows)
    assert set(military["partner"]) == {"Russia"}


def test_history_lists_both_outcomes_with_unit_and_sources():
    for name in ("alignment-events", "crisis-events"):
        result = CliRunner().invoke(app, ["history", "--outcome", name, "--json"])
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert doc["outcome"] == name and doc["unit"] and doc["records"]
        assert all(r["source"] for r in doc["records"])
    result = CliRunner().invoke(app, ["history", "--outcome", "crisis-events", "--json"])
    doc = json.loads(result.stdout)
    assert "provocations" in doc["unit"] and "military" in doc["unit"]
    kinds = Counter(r["kind"] for r in doc["records"])
    csv_kinds = Counter(r["type"] for r in _csv_rows() if r["type"] in ("military", "provocation"))
    assert kinds["military"] == csv_kinds["military"]
    assert kinds["provocation"] == csv_kinds["provocation"]
