"""The diplomatic regime of each month: dialogue, stalemate or crisis — the written coding rule.

The rule reads **only** the diplomacy events, the UN Security Council record and the US policy
coding. It never reads missile launches or nuclear tests, which are the outcomes the dynamic
model explains (reference/history README, caveat 5: codes fixed before looking at outcomes).
It was written, with its two window lengths, before any launch count was tabulated by regime.

Definitions
-----------
*Engagement event*: a diplomacy event of type ``talks``, ``summit`` or ``agreement`` whose
parties include the DPRK and at least one of the United States, South Korea, Japan, or the
NPT/IAEA regime (so Kim–Putin summits and Russia–DPRK treaties are not engagement on the nuclear
issue). It *touches* every month from its start month to its end month.

*Breakdown*: a diplomacy event of type ``breakdown`` (a collapse, walk-out, withdrawal or cut
channel), placed in its start month.

*Sanctions action*: a UNSC sanctions resolution on the DPRK (``kind == "sanctions"``; Panel of
Experts renewals excluded) or a vetoed draft (``kind == "veto"``), placed in its month.

Events dated only to a year (1992, 1999, 2011 in the reference) cannot be placed in a month and
are not used.

*Not regime markers*: events of type ``military`` (a troop deployment, e.g. the DPRK's to Russia
in October 2024) or ``provocation`` (balloon campaigns, GPS jamming, drone incursions, MDL
crossings), :data:`INCIDENT_TYPES`, are ignored by every rule below. They are outcomes — for
claim C6 ("the risk of conflict rises") and C5 ("closer to US adversaries") — and coding the
regime from them would put outcomes on the right-hand side, as launches would.

Rule, month ``m`` (first that applies)
--------------------------------------
1. **dialogue** if
   a. an engagement event touches ``m``; or
   b. the US policy period in force on the 15th of ``m`` has ``engagement_level == 1.0``
      (leader summits, or an agreement being implemented) and no breakdown falls in ``m``; or
   c. the last engagement event ended at most ``DIALOGUE_CARRY_MONTHS`` (6) months before ``m``
      and no breakdown falls after that event's end month, up to and including ``m``.
2. **crisis** if a breakdown or a sanctions action falls in ``m`` or the
   ``CRISIS_WINDOW_MONTHS - 1`` (2) months before it.
3. **stalemate** otherwise.

Caveat: UNSC sanctions resolutions are themselves reactions to tests (their ``trigger`` column
names the test), so "crisis" is partly downstream of the outcomes; a model using it should
lag it or test sensitivity to dropping rule 2's sanctions clause.

Crisis rules (``crisis_rule``)
------------------------------
``"breakdown-or-sanctions"`` (default)
    Rule 2 as written above: a breakdown, a sanctions resolution or a veto opens the window.
``"breakdown-only"``
    Rule 2 without its sanctions clause: only a breakdown (a diplomatic act, not a reaction to a
    test) opens the crisis window; a month that was crisis only because of a resolution or a
    veto falls through to rule 3 (stalemate). Rules 1 and 3 are unchanged, so no month moves
    into or out of dialogue. This is the sensitivity check for the reverse causation above
    (``docs/model.md``, "Sensitivity: the crisis rule"). Example: 2006-10 (resolution 1718,
    2006-10-14, five days after the first test) is crisis by default, stalemate here.

Examples (checked in ``tests/evidence/test_regime.py``): 2018-06 (Singapore summit, 12 June
2018) is dialogue by 1a; 2017-09 (resolution 2375, 11 Sept 2017, under "maximum pressure",
engagement 0.25) is crisis; 2023-09 (Kim–Putin summit only) is stalemate.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from detente.errors import OptionsError, Problem

DIALOGUE = "dialogue"
STALEMATE = "stalemate"
CRISIS = "crisis"
REGIMES = (DIALOGUE, STALEMATE, CRISIS)

#: Months an engagement event keeps a month in dialogue after it ends (rule 1c).
DIALOGUE_CARRY_MONTHS = 6
#: Months (the month itself and those before) a breakdown or sanctions action marks crisis (rule 2).
CRISIS_WINDOW_MONTHS = 3

#: Rule 2 as written: a breakdown, a UNSC sanctions resolution or a veto opens the crisis window.
BREAKDOWN_OR_SANCTIONS = "breakdown-or-sanctions"
#: Rule 2 without its sanctions clause: only a breakdown opens the crisis window.
BREAKDOWN_ONLY = "breakdown-only"
#: The crisis rules :func:`code_regimes` accepts; the first is the default.
CRISIS_RULES: tuple[str, ...] = (BREAKDOWN_OR_SANCTIONS, BREAKDOWN_ONLY)

#: Counterparts whose talks with the DPRK count as engagement on the nuclear issue.
ENGAGEMENT_COUNTERPARTS = frozenset({"US", "ROK", "Japan", "NPT", "IAEA"})
ENGAGEMENT_TYPES = frozenset({"talks", "summit", "agreement"})
#: Diplomacy-record event types the rule ignores: outcomes for claims C5/C6, not regime markers.
INCIDENT_TYPES: tuple[str, ...] = ("military", "provocation")
_PARTY_NAMES = ("DPRK", "US", "ROK", "Japan", "China", "Russia", "NPT", "IAEA", "UNSC")


def parties_of(text: str) -> frozenset[str]:
    """The named parties in a ``;``-separated party string ("US (unofficial); DPRK" → {US, DPRK})."""
    found = set()
    for token in text.split(";"):
        for name in _PARTY_NAMES:
            if re.search(rf"\b{name}\b", token):
                found.add(name)
    return frozenset(found)


def is_engagement(event_type: str, parties: str) -> bool:
    """Whether a diplomacy event is an engagement event in the sense of the rule above."""
    named = parties_of(parties)
    return event_type in ENGAGEMENT_TYPES and "DPRK" in named and bool(named & ENGAGEMENT_COUNTERPARTS)


def check_crisis_rule(crisis_rule: object, field: str = "crisis_rule") -> str:
    """``crisis_rule`` if it is one of :data:`CRISIS_RULES`, else an :class:`OptionsError`."""
    if crisis_rule not in CRISIS_RULES:
        raise OptionsError(
            f"unknown crisis rule {crisis_rule!r}",
            [Problem(f"{field} {crisis_rule!r} is not a crisis rule", path=field,
                     allowed=", ".join(CRISIS_RULES))],
        )
    return str(crisis_rule)


def _ordinal(month: pd.Period) -> int:
    return month.year * 12 + month.month - 1


def code_regimes(
    months: pd.PeriodIndex,
    diplomacy: pd.DataFrame,
    sanctions: pd.DataFrame,
    us_policy: pd.DataFrame,
    *,
    crisis_rule: str = BREAKDOWN_OR_SANCTIONS,
) -> pd.Series:
    """Code each month's diplomatic regime by the written rule in this module's docstring.

    Parameters
    ----------
    months : pandas.PeriodIndex (freq "M")
        The months to code.
    diplomacy : DataFrame
        As :func:`detente.evidence.diplomacy_events` (``type``, ``parties``, ``start_month``,
        ``end_month``).
    sanctions : DataFrame
        As :func:`detente.evidence.sanctions` (``kind``, ``month``).
    us_policy : DataFrame
        As :func:`detente.evidence.us_policy_periods` (``start``, ``end``, ``engagement_level``).
    crisis_rule : {"breakdown-or-sanctions", "breakdown-only"}
        What opens the crisis window of rule 2 (see "Crisis rules" above); default the rule as
        written.

    Returns
    -------
    pandas.Series of str, indexed by ``months``, values in :data:`REGIMES`.

    Raises
    ------
    OptionsError
        If ``crisis_rule`` is not one of :data:`CRISIS_RULES`.
    """
    check_crisis_rule(crisis_rule)
    n_months = len(months)
    ordinals = np.array([_ordinal(m) for m in months], dtype=np.int64)  # (months,)

    engaged_ranges = []  # (first, last) ordinal months of engagement events
    breakdown_months = []
    for row in diplomacy.itertuples(index=False):
        if pd.isna(row.start_month):
            continue  # year-precision date: cannot be placed in a month
        if row.type in INCIDENT_TYPES:
            continue  # an outcome (claims C5/C6), not a regime marker
        first = _ordinal(row.start_month)
        if row.type == "breakdown":
            breakdown_months.append(first)
        elif is_engagement(row.type, row.parties):
            last = first if pd.isna(row.end_month) else _ordinal(row.end_month)
            engaged_ranges.append((first, last))
    # rule 2's sanctions clause; "breakdown-only" drops it (a resolution answers a test)
    action_kinds = ("sanctions", "veto") if crisis_rule == BREAKDOWN_OR_SANCTIONS else ()
    action_months = [
        _ordinal(m) for m, kind in zip(sanctions["month"], sanctions["kind"], strict=True)
        if kind in action_kinds
    ]
    breakdowns = np.array(sorted(breakdown_months), dtype=np.int64)
    actions = np.array(sorted(action_months), dtype=np.int64)

    # engagement level of the policy period in force on the 15th of each month
    mid_month = pd.DatetimeIndex([m.to_timestamp() + pd.Timedelta(days=14) for m in months])
    level = np.full(n_months, np.nan)
    for period in us_policy.itertuples(index=False):
        inside = (mid_month >= period.start) & (mid_month <= period.end)
        level[inside] = period.engagement_level

    regimes = np.empty(n_months, dtype=object)
    for i, m in enumerate(ordinals):
        breakdown_now = bool(np.any(breakdowns == m))
        touching = any(first <= m <= last for first, last in engaged_ranges)  # rule 1a
        summit_policy = level[i] == 1.0 and not breakdown_now  # rule 1b
        ended = [last for first, last in engaged_ranges if last < m and first <= m]
        carry = False  # rule 1c
        if ended:
            last_end = max(ended)
            carry = (m - last_end <= DIALOGUE_CARRY_MONTHS
                     and not np.any((breakdowns > last_end) & (breakdowns <= m)))
        if touching or summit_policy or carry:
            regimes[i] = DIALOGUE
            continue
        window_start = m - (CRISIS_WINDOW_MONTHS - 1)  # rule 2
        recent_breakdown = np.any((breakdowns >= window_start) & (breakdowns <= m))
        recent_action = np.any((actions >= window_start) & (actions <= m))
        regimes[i] = CRISIS if (recent_breakdown or recent_action) else STALEMATE
    return pd.Series(regimes, index=months, name="regime", dtype=object)
