"""Korean launch days recomputed in the tests, independently of ``detente.evidence``: the
published date and UTC time plus nine hours (plain ``datetime`` arithmetic), the published date
where no time is given."""

from __future__ import annotations

import datetime as dt

import pandas as pd


def korean_date(date_utc: str, time_utc: str, precision: str) -> str:
    if time_utc and precision == "day":
        stamp = dt.datetime.strptime(f"{date_utc} {time_utc}", "%Y-%m-%d %H:%M")
        return (stamp + dt.timedelta(hours=9)).strftime("%Y-%m-%d")
    return date_utc


def kst_days_per_year(flights: pd.DataFrame, years: pd.Index) -> pd.Series:
    """Distinct Korean launch days per year, from the flights' published dates and times."""
    kst = pd.Series([korean_date(r.date_utc, r.launch_time_utc, r.date_precision)
                     for r in flights.itertuples()])
    return kst.groupby(kst.str[:4].astype(int)).nunique().reindex(years, fill_value=0)


def cns_only(flights: pd.DataFrame) -> pd.DataFrame:
    """The CNS entries: without the launches détente added from other primary sources
    (``status == "added"``), which the reference's annual table cannot contain."""
    return flights[flights["status"] != "added"]


def added_per_year(flights: pd.DataFrame, years: pd.Index) -> pd.Series:
    """Missiles détente added (``status == "added"``) per Korean calendar year."""
    added = flights[flights["status"] == "added"]
    kst = pd.Series([korean_date(r.date_utc, r.launch_time_utc, r.date_precision)
                     for r in added.itertuples()], dtype=object)
    if kst.empty:
        return pd.Series(0, index=years)
    return kst.groupby(kst.str[:4].astype(int)).size().reindex(years, fill_value=0)
