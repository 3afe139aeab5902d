"""The record summed by calendar year (the table ``detente history`` prints)."""

from __future__ import annotations

import pandas as pd

from detente.errors import OptionsError, Problem
from detente.evidence import _data
from detente.evidence.panel import monthly_panel
from detente.evidence.regime import REGIMES

SUMMARY_COLUMNS = (
    "launch_events", "missiles", "nuclear_tests", "talks_months", "summit_months",
    "unsc_resolutions", "unsc_vetoes", "us_policy", *(f"{r}_months" for r in REGIMES),
)


def yearly_summary(first_year: int | None = None, last_year: int | None = None) -> pd.DataFrame:
    """Sum the monthly panel by calendar year.

    Parameters
    ----------
    first_year, last_year : int, optional
        Inclusive range within the record (1984–2025); default the whole record.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year`` (int): ``launch_events``, ``missiles``, ``nuclear_tests``,
        ``talks_months``, ``summit_months`` (months with talks / a summit), ``unsc_resolutions``,
        ``unsc_vetoes`` (months with one), ``us_policy`` (labels of the policies in force, in
        order, ``; ``-joined), and ``dialogue_months``, ``stalemate_months``, ``crisis_months``.
    """
    lo = _data.RECORD_START.year if first_year is None else first_year
    hi = _data.RECORD_END.year if last_year is None else last_year
    for field, year in (("from", lo), ("to", hi)):
        if not _data.RECORD_START.year <= year <= _data.RECORD_END.year:
            raise OptionsError(
                f"history: --{field} {year} is outside the record",
                [Problem(f"year {year} is outside the record", path=f"--{field}",
                         allowed=f"a year from {_data.RECORD_START.year} to {_data.RECORD_END.year}")],
            )
    if lo > hi:
        raise OptionsError(
            f"history: --from {lo} is after --to {hi}",
            [Problem(f"{lo} is after {hi}", path="--from", allowed="a first year on or before the last")],
        )
    panel = monthly_panel(f"{lo}-01", f"{hi}-12")
    year = pd.Index(panel.index.year, name="year")
    grouped = panel.groupby(year)
    summary = pd.DataFrame(
        {
            "launch_events": grouped["launch_events"].sum(),
            "missiles": grouped["missiles"].sum(),
            "nuclear_tests": grouped["nuclear_test"].sum(),
            "talks_months": grouped["talks"].sum(),
            "summit_months": grouped["summit"].sum(),
            "unsc_resolutions": grouped["unsc_resolution"].sum(),
            "unsc_vetoes": grouped["unsc_veto"].sum(),
            "us_policy": grouped["us_policy"].agg(lambda s: "; ".join(dict.fromkeys(s))),
        }
    )
    for regime in REGIMES:
        summary[f"{regime}_months"] = grouped["regime"].agg(lambda s, r=regime: int((s == r).sum()))
    return summary.astype({c: int for c in SUMMARY_COLUMNS if c != "us_policy"})


def dated_records(first_year: int, last_year: int) -> pd.DataFrame:
    """Every dated record in the year range, one row each — launches (by KST date), nuclear
    tests, diplomacy events, UNSC actions — with ``date``, ``kind``, ``what`` and ``source``
    (what ``detente history --events`` lists), sorted by date."""
    from detente import evidence

    rows = []
    for ev in evidence.launch_events().itertuples(index=False):
        classes = ev.missile_classes.replace(";", ", ")
        what = f"{ev.missiles} × {classes}" + (f"; {ev.failures} failed" if ev.failures else "")
        rows.append((ev.date, "launch", what, ev.source))
    for t in evidence.nuclear_tests().itertuples(index=False):
        yields = (f"{t.yield_low_kt:g}–{t.yield_high_kt:g} kt" if pd.notna(t.yield_low_kt)
                  else f"< {t.yield_high_kt:g} kt")
        rows.append((t.date.strftime("%Y-%m-%d"), "nuclear test", f"test {t.test_no}, {yields}",
                     t.source))
    for d in evidence.diplomacy_events().itertuples(index=False):
        rows.append((d.date_start, d.type, f"{d.label} ({d.parties})", d.source))
    for s in evidence.sanctions().itertuples(index=False):
        rows.append((s.date.strftime("%Y-%m-%d"), f"UNSC {s.kind}", s.resolution, s.source))
    frame = pd.DataFrame(rows, columns=["date", "kind", "what", "source"])
    years = frame["date"].str[:4].astype(int)
    frame = frame[(years >= first_year) & (years <= last_year)]
    return frame.sort_values(["date", "kind"], kind="stable").reset_index(drop=True)
