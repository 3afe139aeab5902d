"""``detente history``: the yearly table, JSON and the event list; bad years give a one-line
error (exit 2), not a traceback. Expected figures come from missile_launches_by_year.csv and
diplomacy_events.csv in the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente.cli import app

from ._added import ADDED_DIPLOMACY

runner = CliRunner()


def test_json_summary_matches_the_annual_table(reference_dir: Path) -> None:
    annual = pd.read_csv(reference_dir / "history" / "missile_launches_by_year.csv").set_index("year")
    result = runner.invoke(app, ["history", "--from", "2016", "--to", "2019", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["year"] for r in rows] == [2016, 2017, 2018, 2019]
    from detente import evidence
    from tests.evidence._kst import kst_days_per_year

    kst = kst_days_per_year(evidence.missile_launches(), annual.index)
    for row in rows:  # launch days are Korean days; the annual table counts published dates
        assert row["launch_events"] == kst.loc[row["year"]]
        assert row["missiles"] == annual.loc[row["year"], "launches"]
        assert row["dialogue_months"] + row["stalemate_months"] + row["crisis_months"] == 12
    # 2016: two nuclear tests (January, September); 2017: one (September)
    assert [r["nuclear_tests"] for r in rows] == [2, 1, 0, 0]


def test_table_output_lists_each_year() -> None:
    """2017: 15 launch days, 21 missiles, 1 test, 4 resolution months (annual table, sanctions.csv)."""
    result = runner.invoke(app, ["history", "--from", "2017", "--to", "2018"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()
            if line.strip()[:4] in {"2017", "2018"}}
    assert rows["2017"][1:6] == ["15", "21", "1", "0", "4/0"]
    assert rows["2018"][1:7] == ["0", "0", "0", "0", "0/0", "12/0/0"]
    assert "Maximum" in result.output


def test_events_list_for_2018(reference_dir: Path) -> None:
    ref = pd.read_csv(reference_dir / "history" / "diplomacy_events.csv", dtype=str)
    added = [r["date_start"] for r in ADDED_DIPLOMACY]  # the build's documented additions
    expected_dates = sorted([*ref.loc[ref["date_start"].str.startswith("2018"), "date_start"],
                             *(d for d in added if d.startswith("2018"))])
    result = runner.invoke(app, ["history", "--from", "2018", "--to", "2018", "--events", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    diplomacy = [r["date"] for r in rows if r["kind"] in {"summit", "talks", "agreement", "breakdown", "channel"}]
    assert diplomacy == expected_dates
    assert not [r for r in rows if r["kind"] == "launch"]  # no CNS launch in 2018
    assert all(r["source"] for r in rows)


@pytest.mark.parametrize(("args", "needle"), [(["--from", "1970"], "--from"),
                                              (["--from", "2020", "--to", "2019"], "--from")])
def test_bad_years_fail_cleanly(args: list[str], needle: str) -> None:
    result = runner.invoke(app, ["history", *args])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert needle in result.output and "allowed" in result.output
