"""Launch dates are Korean (KST, UTC+9) dates, from the published UTC date and time (issue 12).

Expected values are the cases named in the issue, checked by hand: 20:05 UTC on 30 June 2024 is
05:05 on 1 July in Korea, so that launch counts in July; 13:37 and 23:24 UTC on 17 Dec 2023 are
22:37 on the 17th and 08:24 on the 18th in Korea, two launch days, not one.
"""

from __future__ import annotations

from detente import evidence


def test_a_july_2024_launch_in_korea_counts_in_july():
    flights = evidence.missile_launches()
    row = flights[(flights["date_utc"] == "2024-06-30") & (flights["launch_time_utc"] == "20:05")]
    assert row["date"].tolist() == ["2024-07-01"]
    assert row["date_basis"].tolist() == ["KST from the UTC time"]
    assert str(row["month"].iloc[0]) == "2024-07"
    panel = evidence.monthly_panel("2024-06", "2024-07")
    events = evidence.launch_events()
    july = events[events["date"].str.startswith("2024-07")]
    assert panel.loc["2024-07", "launch_events"] == len(july) >= 1
    assert "2024-07-01" in set(july["date"])


def test_two_korean_launch_days_on_one_utc_day_stay_two():
    events = evidence.launch_events()
    days = set(events["date"])
    assert {"2023-12-17", "2023-12-18"} <= days
    flights = evidence.missile_launches()
    both = flights[flights["date_utc"] == "2023-12-17"]
    assert sorted(both["date"]) == ["2023-12-17", "2023-12-18"]


def test_unknown_times_keep_the_published_date():
    flights = evidence.missile_launches()
    no_time = flights[flights["launch_time_utc"] == ""]
    assert (no_time["date"] == no_time["date_utc"]).all()
    assert (no_time["date_basis"] == "as published").all()


def test_the_new_year_2023_kn25_launch_is_added_and_marked():
    """The 1 Jan 2023 KN-25 launch (02:50 KST, ROK JCS via Reuters) is absent from CNS: added,
    marked ``added``, with its source, in January 2023 (KST)."""
    flights = evidence.missile_launches()
    row = flights[flights["status"] == "added"]
    assert row["date"].tolist() == ["2023-01-01"] and row["missile_name"].tolist() == ["KN-25"]
    assert "Joint Chiefs of Staff" in row["source"].iloc[0]
    assert evidence.monthly_panel("2023-01", "2023-01").loc["2023-01", "missiles"] >= 1


def test_history_lists_new_system_debuts_with_sources():
    """First flights by Korean date, checked by hand against the published UTC times:
    Hwasong-15, 28 Nov 2017 18:18 UTC = 29 Nov KST; Hwasong-18, 12 Apr 2023 22:22 UTC = 13 Apr."""
    import json

    from typer.testing import CliRunner

    from detente.cli import app

    result = CliRunner().invoke(app, ["history", "--outcome", "new-system-debuts", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    first = {r["missile_name"]: r for r in doc["records"]}
    assert first["Hwasong-15"]["date"] == "2017-11-29"
    assert first["Hwasong-18"]["date"] == "2023-04-13"
    assert all(r["source"] for r in doc["records"])
    assert doc["unit"] == "first flight of a missile type"
    bad = CliRunner().invoke(app, ["history", "--outcome", "speeches"])
    assert bad.exit_code == 2 and "new-system-debuts" in bad.output
