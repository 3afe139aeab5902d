"""The monthly panel: the cited history as one row per calendar month (1984-01 – 2025-12).

This is the frame the dynamic model (``detente.dynamics``) is fitted to. Month assignment:
an event is counted in the calendar month of its (local, as-recorded) date; a state that changes
within a month (US policy period, DPRK leader) takes the value in force on the 15th.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd

from detente.errors import OptionsError, Problem
from detente.evidence import _data
from detente.evidence.regime import (
    BREAKDOWN_OR_SANCTIONS,
    check_crisis_rule,
    code_regimes,
    parties_of,
)

PANEL_COLUMNS = (
    "launch_events", "missiles", "nuclear_test", "talks", "summit", "agreement",
    "unsc_resolution", "unsc_veto", "us_engagement", "us_policy", "leader", "regime",
)
#: Label of months no US policy period covers (before 1993-01-20; from 2025-01-20).
UNCODED_POLICY = "not coded"


def _parse_month(text: str, field: str) -> pd.Period:
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise OptionsError(
            f"monthly_panel: {field} {text!r} is not a month",
            [Problem(f"{text!r} is not a month", path=field, allowed="YYYY-MM, e.g. 2018-06")],
        )
    month = pd.Period(text, freq="M")
    if not _data.RECORD_START <= month <= _data.RECORD_END:
        raise OptionsError(
            f"monthly_panel: {field} {text} is outside the record",
            [Problem(f"{text} is outside the record", path=field,
                     allowed=f"a month from {_data.RECORD_START} to {_data.RECORD_END}")],
        )
    return month


def _count_by_month(months: pd.PeriodIndex, event_months: pd.Series) -> np.ndarray:
    counts = event_months.dropna().value_counts()
    return counts.reindex(months, fill_value=0).to_numpy(dtype=np.int64)


def _touches(months: pd.PeriodIndex, events: pd.DataFrame) -> np.ndarray:
    """1 where any event (start_month … end_month, or start_month alone) touches the month."""
    flag = np.zeros(len(months), dtype=np.int64)
    for start, end in zip(events["start_month"], events["end_month"], strict=True):
        if pd.isna(start):
            continue
        last = start if pd.isna(end) else end
        flag |= ((months >= start) & (months <= last)).astype(np.int64)
    return flag


def _state_on_15th(months: pd.PeriodIndex, periods: pd.DataFrame, value: str,
                   default: object) -> list:
    mid = [m.to_timestamp() + pd.Timedelta(days=14) for m in months]
    out = [default] * len(months)
    for period in periods.itertuples(index=False):
        end = period.end if not pd.isna(period.end) else pd.Timestamp.max
        for i, day in enumerate(mid):
            if period.start <= day <= end:
                out[i] = getattr(period, value)
    return out


def monthly_panel(start: str = "1984-01", end: str | None = None, *,
                  crisis_rule: str = BREAKDOWN_OR_SANCTIONS) -> pd.DataFrame:
    """The cited history as a monthly panel, inclusive of ``start`` and ``end``.

    Parameters
    ----------
    start, end : str
        Months ``YYYY-MM`` within 1984-01 … 2025-12; ``end=None`` is the last month of the record.
    crisis_rule : {"breakdown-or-sanctions", "breakdown-only"}
        Rule 2 of the regime coding (:mod:`detente.evidence.regime`, "Crisis rules"); only the
        ``regime`` column depends on it. Default: the rule as written.

    Returns
    -------
    pandas.DataFrame
        Indexed by a ``PeriodIndex`` (freq "M") named ``month``, one row per month, no gaps:

        - ``launch_events`` (int): distinct launch dates (CNS; primary count),
        - ``missiles`` (int): missiles/SLVs flown (CNS entries; secondary count),
        - ``nuclear_test`` (0/1),
        - ``talks`` (0/1): a negotiating session of type ``talks`` or ``agreement`` with the DPRK
          and the US among the parties touched the month (US–DPRK or six-party),
        - ``summit`` (0/1): a leader-level summit involving the DPRK leader (any partner),
        - ``agreement`` (0/1): a signed document (agreement, joint statement or declaration)
          with the DPRK dated in the month (its end date for multi-day negotiations),
        - ``unsc_resolution`` (0/1): a UNSC sanctions resolution adopted (renewals of the Panel
          of Experts not counted), ``unsc_veto`` (0/1): a draft vetoed,
        - ``us_engagement`` (float, NaN where no period is coded), ``us_policy`` (str),
        - ``leader`` (str), ``regime`` (str, see :mod:`detente.evidence.regime`).

    Raises
    ------
    OptionsError
        If ``start``/``end`` are not months in the record, ``start`` is after ``end``, or
        ``crisis_rule`` is unknown.
    """
    check_crisis_rule(crisis_rule)
    first = _parse_month(start, "start")
    last = _data.RECORD_END if end is None else _parse_month(end, "end")
    if first > last:
        raise OptionsError(
            f"monthly_panel: start {first} is after end {last}",
            [Problem(f"start {first} is after end {last}", path="start",
                     allowed="a start month on or before the end month")],
        )
    return _full_panel(crisis_rule).loc[first:last].copy()


@cache
def _full_panel(crisis_rule: str = BREAKDOWN_OR_SANCTIONS) -> pd.DataFrame:
    """The panel over the whole record (built once per rule; the regime windows look back)."""
    if crisis_rule != BREAKDOWN_OR_SANCTIONS:  # only the regime column depends on the rule
        panel = _full_panel().copy()
        panel["regime"] = code_regimes(panel.index, _data.diplomacy_events(), _data.sanctions(),
                                       _data.us_policy_periods(),
                                       crisis_rule=crisis_rule).to_numpy()
        return panel
    months = pd.period_range(_data.RECORD_START, _data.RECORD_END, freq="M", name="month")

    events = _data.launch_events()
    flights = _data.missile_launches()
    tests = _data.nuclear_tests()
    diplomacy = _data.diplomacy_events()
    unsc = _data.sanctions()
    policy = _data.us_policy_periods()

    missiles_per_month = flights.groupby("month").size()
    parties = diplomacy["parties"].map(parties_of)
    has_us = parties.map(lambda p: "US" in p and "DPRK" in p)
    talks_events = diplomacy[diplomacy["type"].isin(["talks", "agreement"]) & has_us
                             & diplomacy["date_precision"].eq("day")]
    summits = diplomacy[diplomacy["type"] == "summit"]
    signed = diplomacy[diplomacy["signed_document"] == 1]
    signed_month = signed["end_month"].where(signed["end_month"].notna(), signed["start_month"])

    panel = pd.DataFrame(index=months)
    panel["launch_events"] = _count_by_month(months, events["month"])
    panel["missiles"] = missiles_per_month.reindex(months, fill_value=0).to_numpy(dtype=np.int64)
    panel["nuclear_test"] = np.minimum(_count_by_month(months, tests["month"]), 1)
    panel["talks"] = _touches(months, talks_events)
    panel["summit"] = _touches(months, summits)
    panel["agreement"] = np.minimum(_count_by_month(months, signed_month), 1)
    panel["unsc_resolution"] = np.minimum(
        _count_by_month(months, unsc.loc[unsc["kind"] == "sanctions", "month"]), 1)
    panel["unsc_veto"] = np.minimum(_count_by_month(months, unsc.loc[unsc["kind"] == "veto", "month"]), 1)
    panel["us_engagement"] = np.asarray(
        _state_on_15th(months, policy, "engagement_level", np.nan), dtype=float)
    panel["us_policy"] = _state_on_15th(months, policy, "label", UNCODED_POLICY)
    panel["leader"] = _state_on_15th(months, _data.leaders(), "leader", "")
    panel["regime"] = code_regimes(months, diplomacy, unsc, policy).to_numpy()
    return panel
