"""The event-level launch data reproduce the annual totals of the reference history.

Expected numbers come from ``reference/history/missile_launches_by_year.csv`` (compiled from the
same CNS data by the reference's authors), from the independent raw CNS export
(``raw/cns_mesege1.csv``, parsed here on its own), and from ``missile_counts_alt_sources.csv``.

What matches exactly, and what differs (and why):

- Every CNS-derived column (missiles, launch days, SLVs, per-class counts, failures) matches
  exactly for all 42 years 1984–2025: the package data are the same CNS entries.
- The raw CNS export matches exactly, month by month, over its whole span (1984 – 2023-04-12).
  Day by day it matches except one entry: 2022-01-04 in the primary file (UTC) is 5 Jan 2022 in
  the export (local time, the launch was 23:10 UTC). Same month, so the panel is unaffected.
- The export columns of the annual table cover only 1984 – 2023-04-12, so 2023 is compared on
  that part-year and 2024–2025 are not compared.
- Other counters use other definitions; each known difference is listed in ALT_SOURCE_CHECKS
  with its own expected gap and the reason.
- The CSIS columns count provocation *events* (incl. cruise missiles, rocket artillery); they
  are a different coding and are not expected to match.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from detente import evidence

CLASS_COLUMNS = {
    "icbm_launches": "ICBM", "irbm_launches": "IRBM", "mrbm_launches": "MRBM",
    "srbm_launches": "SRBM", "slbm_launches": "SLBM", "hgv_or_other_launches": "HGV",
    "unknown_type_launches": "Unknown", "slv_launches": "SLV",
}
CNS_EXPORT_LAST = "2023-04-12"


@pytest.fixture(scope="module")
def annual(reference_dir: Path) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "history" / "missile_launches_by_year.csv").set_index("year")


def _per_year(flights: pd.DataFrame, date: str = "date_utc") -> pd.DataFrame:
    """Yearly counts by the date as published (the reference's annual table counts published
    dates; détente's own unit, the KST date, is checked in test_kst_dates.py)."""
    year = flights[date].str[:4].astype(int)
    grouped = flights.groupby(year)
    out = pd.DataFrame({
        "launches": grouped.size(),
        "events": grouped[date].nunique(),
        "failures": grouped["outcome"].agg(lambda s: int((s == "failure").sum())),
    })
    for column, cls in CLASS_COLUMNS.items():
        out[column] = grouped["missile_class"].agg(lambda s, c=cls: int((s == c).sum()))
    out["launches_excl_slv"] = out["launches"] - out["slv_launches"]
    return out.reindex(range(1984, 2026), fill_value=0)


def test_annual_table_covers_1984_to_2025(annual: pd.DataFrame) -> None:
    assert list(annual.index) == list(range(1984, 2026))


@pytest.mark.parametrize(
    "column",
    ["launches", "events", "launches_excl_slv", "failures", *CLASS_COLUMNS],
)
def test_cns_columns_match_exactly_every_year(annual: pd.DataFrame, column: str) -> None:
    from tests.evidence._kst import cns_only

    ours = _per_year(cns_only(evidence.missile_launches()))
    mismatch = ours[column].compare(annual[column].astype(int))
    assert mismatch.empty, f"{column} differs:\n{mismatch}"


def test_launch_events_frame_is_the_primary_unit(annual: pd.DataFrame) -> None:
    """launch_events() has one row per launch day (KST): its missiles sum to the `launches`
    column every year; its yearly row count is the number of distinct KST dates, which differs
    from the annual table's `events` (published dates) only where a UTC day splits into two
    Korean days (the expected KST days are recomputed here from the published date and time)."""
    from tests.evidence._kst import added_per_year, kst_days_per_year

    events = evidence.launch_events()
    year = events["date"].str[:4].astype(int)
    assert events["date"].is_unique
    missiles = events.groupby(year)["missiles"].sum().reindex(annual.index, fill_value=0)
    flights = evidence.missile_launches()
    assert (missiles == annual["launches"] + added_per_year(flights, annual.index)).all()
    want = kst_days_per_year(flights, annual.index)
    count = events.groupby(year).size().reindex(annual.index, fill_value=0)
    assert (count == want).all()
    # 2023: 17 and 18 Dec (KST) are two days, and the added 1 Jan 2023 KN-25 launch is a third
    assert (count - annual["events"]).to_dict()[2023] == 2


def test_export_columns_match_over_the_export_span(annual: pd.DataFrame) -> None:
    from tests.evidence._kst import cns_only

    flights = cns_only(evidence.missile_launches())
    ours = _per_year(flights[flights["date_utc"] <= CNS_EXPORT_LAST])
    for year in range(1984, 2024):  # 2023: Jan – 12 Apr only, as the export
        assert ours.loc[year, "launches"] == annual.loc[year, "cns_export_2023_launches"], year
        assert ours.loc[year, "events"] == annual.loc[year, "cns_export_2023_events"], year
    assert annual.loc[[2024, 2025], "cns_export_2023_launches"].isna().all()


def _raw_export_dates(reference_dir: Path) -> pd.Series:
    """Dates of the raw CNS export, parsed independently of scripts/build_evidence.py."""
    raw = pd.read_csv(reference_dir / "history" / "raw" / "cns_mesege1.csv", encoding="cp1252",
                      usecols=["Date"], dtype=str)["Date"].str.strip()
    day = pd.to_datetime(raw, format="%d-%b-%y", errors="coerce")
    month = pd.to_datetime(raw, format="%b-%y", errors="coerce")
    assert (day.notna() | month.notna()).all()
    return day.dt.strftime("%Y-%m-%d").where(day.notna(), month.dt.strftime("%Y-%m"))


def test_raw_cns_export_matches_month_by_month(reference_dir: Path) -> None:
    from tests.evidence._kst import cns_only

    export = _raw_export_dates(reference_dir)
    flights = cns_only(evidence.missile_launches())
    ours = flights.loc[flights["date_utc"] <= CNS_EXPORT_LAST, "date_utc"]
    assert len(ours) == len(export) == 245
    pd.testing.assert_series_equal(
        ours.str[:7].value_counts().sort_index(), export.str[:7].value_counts().sort_index(),
        check_names=False,
    )


def test_raw_cns_export_matches_day_by_day_but_one_documented_shift(reference_dir: Path) -> None:
    from tests.evidence._kst import cns_only

    export = _raw_export_dates(reference_dir).value_counts()
    flights = cns_only(evidence.missile_launches())
    ours = flights.loc[flights["date_utc"] <= CNS_EXPORT_LAST, "date_utc"].value_counts()
    diff = ours.sub(export, fill_value=0)
    diff = diff[diff != 0].sort_index()
    # 23:10 UTC on 4 Jan 2022 is 5 Jan in Korea: the only day-level difference
    assert diff.to_dict() == {"2022-01-04": 1, "2022-01-05": -1}


# (year, expected gap = ours - theirs, our measure, reason) per row of missile_counts_alt_sources.csv
ALT_SOURCE_CHECKS = {
    ("2017", "CSIS Missile Defense Project (via JBpress)"):
        (-3, "launches", "CSIS MDP counts 24 ballistic missiles; its definition is broader than CNS's"),
    ("2019", "Japan Ministry of Defense (via Nikkei Asia)"):
        (2, "launches", "Japan MOD counts 25 ballistic missiles it detected; CNS 27"),
    ("2022", "CNS (via TIME, Mar 2023)"):
        (1, "launches", "TIME quotes an earlier CNS snapshot (68); the file has 69"),
    ("2022", "NTI/CNS (via Statista)"):
        (0, "launches_not_failed", "64 'successful or unknown' = 69 missiles - 5 failures"),
    ("2022", "CNN count (via FBC News)"):
        (-3, "events", "CNN counts 37 launch days incl. cruise-missile days; CNS 34"),
    ("2022", "CSIS Missile Defense Project (via JBpress)"):
        (-30, "launches", "CSIS MDP's 99 has no stated definition (likely incl. artillery rockets)"),
    ("2023", "NTI/CNS (via Statista)"):
        (0, "launches_excl_slv", "30 tests = 33 entries - 3 satellite launches"),
}


def test_alternative_counts_differ_by_their_documented_gap(reference_dir: Path) -> None:
    from tests.evidence._kst import cns_only

    alt = pd.read_csv(reference_dir / "history" / "missile_counts_alt_sources.csv", dtype=str)
    ours = _per_year(cns_only(evidence.missile_launches()))
    ours["launches_not_failed"] = ours["launches"] - ours["failures"]
    checked = 0
    for row in alt.itertuples(index=False):
        key = (row.year, row.origin)
        if key not in ALT_SOURCE_CHECKS or "partial" in str(row.notes):
            continue
        gap, measure, reason = ALT_SOURCE_CHECKS[key]
        theirs = int(str(row.value_as_stated).split()[0])
        assert ours.loc[int(row.year), measure] - theirs == gap, reason
        checked += 1
    assert checked == len(ALT_SOURCE_CHECKS)


def test_us_statement_of_may_2022_matches_exactly() -> None:
    """US ambassador to the UN, 26 May 2022: 23 ballistic missile launches in 2022 so far
    (missile_counts_alt_sources.csv) — CNS has 23 entries from 1 Jan to 26 May 2022."""
    flights = evidence.missile_launches()
    in_window = flights["date"].between("2022-01-01", "2022-05-26")
    assert in_window.sum() == 23
