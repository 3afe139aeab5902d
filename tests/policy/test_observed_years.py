"""The comparison's "what happened" per horizon year (``observed`` in compare --json; the
dashboard's and report's fan charts draw it). Expected values are recounted from the shipped
launch file with the csv module: a launch event is a distinct Korean date (issue 12: the file
keeps CNS's UTC date and time; KST is UTC + 9 h, no daylight saving), so the yearly value is the
number of distinct KST dates in the year."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from importlib import resources

import detente


def _launch_dates() -> set[str]:
    path = resources.files("detente.evidence") / "data" / "missile_launches.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    dates = set()
    for r in rows:
        if r["launch_time_utc"]:
            utc = datetime.fromisoformat(f"{r['date']}T{r['launch_time_utc']}")
            dates.add((utc + timedelta(hours=9)).date().isoformat())
        else:
            dates.add(r["date"])
    return dates


def test_observed_years_count_the_launch_dates_of_each_horizon_year():
    comp = detente.compare("korea-2023", seed=5, draws=8, horizon_months=36)
    frame = comp.observed_frame()
    assert comp.start_month == "2023-10"
    dates = _launch_dates()
    windows = [("2023-10", "2024-09"), ("2024-10", "2025-09"), ("2025-10", "2026-09")]
    for row, (first, last) in zip(frame.to_dict(orient="records"), windows, strict=True):
        expected = sum(1 for d in dates if first <= d[:7] <= last)
        assert row["value"] == expected, (first, last)
    # the record ends in 2025-12: the third year has 3 observed months, the first two all 12
    assert frame["months_observed"].tolist() == [12, 12, 3]
    doc = comp.to_dict()
    assert [o["value"] for o in doc["observed"]] == frame["value"].tolist()
