"""The monthly panel: the cited history as one row per calendar month (1984-01 – 2025-12, and
on to the last month the user layer's launch batches observe in full).

This is the frame the dynamic model (``detente.dynamics``) is fitted to. Month assignment:
an event is counted in the calendar month of its Korean (KST) date; a state that changes
within a month (US policy period, DPRK leader) takes the value in force on the 15th.
"""

from __future__ import annotations

import re
from functools import lru_cache

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


def _parse_month(text: str, field: str, last: pd.Period = _data.RECORD_END) -> pd.Period:
    if not isinstance(text, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise OptionsError(
            f"monthly_panel: {field} {text!r} is not a month",
            [Problem(f"{text!r} is not a month", path=field, allowed="YYYY-MM, e.g. 2018-06")],
        )
    month = pd.Period(text, freq="M")
    if not _data.RECORD_START <= month <= last:
        after = (" (a later month is unobserved: add evidence with detente evidence add "
                 "FILE --through DATE)") if month > last else ""
        raise OptionsError(
            f"monthly_panel: {field} {text} is outside the record",
            [Problem(f"{text} is outside the record{after}", path=field,
                     allowed=f"a month from {_data.RECORD_START} to {last}")],
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
                  crisis_rule: str = BREAKDOWN_OR_SANCTIONS,
                  user_layer: bool = True) -> pd.DataFrame:
    """The cited history as a monthly panel, inclusive of ``start`` and ``end``.

    Parameters
    ----------
    start, end : str
        Months ``YYYY-MM`` within 1984-01 … the last month of the panel; ``end=None`` is the
        last month: 2025-12 for the shipped record, or the last month a launches batch of the
        user layer observes in full (see "The user layer" below).
    crisis_rule : {"breakdown-or-sanctions", "breakdown-only"}
        Rule 2 of the regime coding (:mod:`detente.evidence.regime`, "Crisis rules"); only the
        ``regime`` column depends on it. Default: the rule as written.
    user_layer : bool
        Add the observations of the user evidence layer (``detente evidence add``;
        :mod:`detente.evidence.user`) to the shipped data (default), or use the shipped data
        only (``False``: the panel of the package, for reproducible fits and caches).

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

    The user layer
    --------------
    Added rows count by the same rules as shipped ones (a launch in the month of its KST date).
    A batch's ``through`` date observes a month only if it is on or after the month's last day
    (:func:`detente.evidence.user.coverage`). Past 2025-12 the panel has one row per month up
    to the last month a **launches** batch observes; no later month is in the panel (an
    unobserved month is absent, never a zero). In those added months:

    - ``launch_events``, ``missiles``: observed (ints; 0 is an observed zero);
    - ``nuclear_test``: NA unless a nuclear-tests batch observes the month;
    - ``talks``, ``summit``, ``agreement``: NA unless a diplomacy batch observes it;
    - ``unsc_resolution``, ``unsc_veto``: NA unless a sanctions batch observes it;
    - ``regime``: *not observed, carried*: the regime coded for the last month both the
      diplomacy and the sanctions record observe, repeated (the rule is not applied to months
      whose events are unknown);
    - ``us_engagement`` NaN and ``us_policy`` ``"not coded"`` (as from 2025-01-20);
    - ``leader``: the leader in force (Kim Jong Un; a state, not an event).

    A column holding unobserved months has the nullable dtype ``Int64`` (``pd.NA`` there, 0/1
    elsewhere; ``isna()`` finds them, and converting such a slice to a NumPy int array raises
    rather than inventing a value); with no added months the panel and its dtypes are those of
    the shipped record. The months where every column is observed end at
    :func:`complete_through`. Added rows before 2026 change the counts,
    and (diplomacy, sanctions) the regime, of their months as a shipped row would.

    Raises
    ------
    OptionsError
        If ``start``/``end`` are not months in the panel, ``start`` is after ``end``, or
        ``crisis_rule`` is unknown.
    EvidenceError
        If the user layer is damaged (a batch file changed or missing).
    """
    check_crisis_rule(crisis_rule)
    key = _layer_key(user_layer)
    panel = _full_panel(crisis_rule, key)
    final = panel.index[-1]
    first = _parse_month(start, "start", final)
    last = final if end is None else _parse_month(end, "end", final)
    if first > last:
        raise OptionsError(
            f"monthly_panel: start {first} is after end {last}",
            [Problem(f"start {first} is after end {last}", path="start",
                     allowed="a start month on or before the end month")],
        )
    return panel.loc[first:last].copy()


def complete_through(user_layer: bool = True) -> pd.Period:
    """The last month of :func:`monthly_panel` in which **every** column is observed: the
    shipped record's end (2025-12), or later if launches, nuclear-tests, diplomacy and
    sanctions batches all observe the months after it. A dynamic-model fit must not train past
    it (``fit(until=str(complete_through()))``): later months hold ``<NA>``."""
    from detente.evidence import user

    cover = user.coverage(user_layer=user_layer)
    return min(cover.values())


#: ``_full_panel``'s layer key for the shipped data alone.
SHIPPED_ONLY = "shipped"


def _layer_key(user_layer: bool) -> str:
    if not user_layer:
        return SHIPPED_ONLY
    from detente.evidence import user

    return user.layer_key()  # "" for an empty layer: the shipped data, by the default loaders


def _frames(key: str) -> dict[str, pd.DataFrame]:
    """The evidence frames the panel reads: shipped only, or with the user layer. The default
    calls take no argument (tests replace these loaders by plain functions)."""
    if key == SHIPPED_ONLY:
        return {"events": _data.launch_events(user_layer=False),
                "flights": _data.missile_launches(user_layer=False),
                "tests": _data.nuclear_tests(user_layer=False),
                "diplomacy": _data.diplomacy_events(user_layer=False),
                "unsc": _data.sanctions(user_layer=False)}
    return {"events": _data.launch_events(), "flights": _data.missile_launches(),
            "tests": _data.nuclear_tests(), "diplomacy": _data.diplomacy_events(),
            "unsc": _data.sanctions()}


def _coverage(key: str) -> dict[str, pd.Period]:
    from detente.evidence import user

    return user.coverage(user_layer=key != SHIPPED_ONLY)


def _regimes(months: pd.PeriodIndex, frames: dict[str, pd.DataFrame], policy: pd.DataFrame,
             crisis_rule: str, coded_to: pd.Period) -> np.ndarray:
    """The regime coding, carried forward unchanged past ``coded_to`` (months whose diplomacy
    or UNSC record is unobserved)."""
    regime = code_regimes(months, frames["diplomacy"], frames["unsc"], policy,
                          crisis_rule=crisis_rule).to_numpy().copy()
    later = months > coded_to
    if later.any() and (~later).any():
        regime[later] = regime[~later][-1]
    return regime


@lru_cache(maxsize=8)  # per rule and user-layer state; a changed layer is a new key
def _full_panel(crisis_rule: str = BREAKDOWN_OR_SANCTIONS,
                key: str = SHIPPED_ONLY) -> pd.DataFrame:
    """The panel over the whole record (built once per rule and user-layer state, ``key``:
    :data:`SHIPPED_ONLY`, ``""`` for an empty layer, or the layer's index hash; the regime
    windows look back)."""
    if key not in (SHIPPED_ONLY, ""):
        cover = _coverage(key)
        last = max(_data.RECORD_END, cover["launches"])
    else:
        cover = {}
        last = _data.RECORD_END
    coded_to = min(cover.get("diplomacy", last), cover.get("sanctions", last), last)
    if crisis_rule != BREAKDOWN_OR_SANCTIONS:  # only the regime column depends on the rule
        panel = _full_panel(BREAKDOWN_OR_SANCTIONS, key).copy()
        panel["regime"] = _regimes(panel.index, _frames(key), _data.us_policy_periods(),
                                   crisis_rule, coded_to)
        return panel
    months = pd.period_range(_data.RECORD_START, last, freq="M", name="month")

    frames = _frames(key)
    events = frames["events"]
    flights = frames["flights"]
    tests = frames["tests"]
    diplomacy = frames["diplomacy"]
    unsc = frames["unsc"]
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
    panel["regime"] = _regimes(months, frames, policy, BREAKDOWN_OR_SANCTIONS, coded_to)
    for kind, columns in _OBSERVED_BY.items():  # months no record of the kind observes
        unobserved = months > cover.get(kind, last)
        if unobserved.any():
            for column in columns:  # nullable ints: an unobserved month is <NA>, never 0
                values = panel[column].astype("Int64")
                values[unobserved] = pd.NA
                panel[column] = values
    return panel


#: Panel columns that are NaN in added months no batch of their kind observes.
_OBSERVED_BY = {
    "nuclear-tests": ("nuclear_test",),
    "diplomacy": ("talks", "summit", "agreement"),
    "sanctions": ("unsc_resolution", "unsc_veto"),
}
