"""The outcomes a claim about "the programme advancing" can be tested on, each with its unit
and its source (issue 12): launch days are one measure among several, and a poor one of growth
(missiles rose from 33 to 41 from 2023 to 2024 while launch days fell).

:data:`OUTCOMES` names each outcome; :func:`outcome_frame` gives its dated records, one row per
event (or estimate), each with its ``source``. ``detente history --outcome NAME`` prints them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from detente.errors import OptionsError, Problem
from detente.evidence import _data
from detente.evidence.regime import INCIDENT_TYPES

#: Missile classes whose flights are development tests of strategic systems.
STRATEGIC_CLASSES = ("IRBM", "ICBM", "SLBM", "HGV", "SLV")


def new_system_debuts() -> pd.DataFrame:
    """The first flight of each missile type (the CNS/nagix type), by its Korean date.

    Columns ``date, month, missile, missile_name, missile_class, outcome, source``; flights of an
    unknown type are left out (they cannot debut a type).
    """
    flights = _data.missile_launches()
    known = flights[flights["missile"] != "unknown"]
    first = known.sort_values(["date", "launch_time_utc"], kind="stable").groupby(
        "missile", sort=False).head(1)
    return first[["date", "month", "missile", "missile_name", "missile_class", "outcome",
                  "source"]].sort_values("date", kind="stable").reset_index(drop=True)


def strategic_tests() -> pd.DataFrame:
    """Flights of IRBMs, ICBMs, SLBMs, hypersonic glide vehicles and space launchers."""
    flights = _data.missile_launches()
    keep = flights["missile_class"].isin(STRATEGIC_CLASSES)
    return flights.loc[keep, ["date", "month", "missile_name", "missile_class", "outcome",
                              "source"]].reset_index(drop=True)


def _launch_days() -> pd.DataFrame:
    return _data.launch_events()[["date", "month", "missiles", "missile_classes", "source"]]


def _missiles() -> pd.DataFrame:
    return _data.missile_launches()[["date", "month", "missile_name", "missile_class",
                                     "status", "source"]]


def _nuclear() -> pd.DataFrame:
    t = _data.nuclear_tests()
    return t.assign(date=t["date"].dt.strftime("%Y-%m-%d"))[
        ["date", "month", "test_no", "yield_low_kt", "yield_high_kt", "source"]]


def _warheads() -> pd.DataFrame:
    return _data.arsenal_estimates()[["as_of", "estimator", "warheads_low", "warheads_high",
                                      "counting_basis", "fissile_equiv_warheads_low",
                                      "fissile_equiv_warheads_high", "source"]]


#: The states whose alignment with the DPRK claim C5 ("grows closer to US adversaries") reads.
ALIGNMENT_PARTNERS = ("Russia", "China")


#: Diplomacy-record types that are a step towards a partner: meetings, agreements, channels and
#: military deployments (the DPRK's troops sent to Russia, reported 2024-10-18).
ALIGNMENT_TYPES = ("summit", "agreement", "channel", "military")


def alignment_events() -> pd.DataFrame:
    """The DPRK's dated steps towards Russia and China (claim C5): summits, agreements,
    channels and military deployments with either in the diplomacy record, and their UNSC
    vetoes of sanctions on the DPRK. Columns ``date, month, kind, partner, what, source``; one
    row per event."""
    from detente.evidence.regime import parties_of

    rows = []
    for d in _data.diplomacy_events().itertuples(index=False):
        partners = sorted(parties_of(d.parties) & set(ALIGNMENT_PARTNERS))
        named = parties_of(d.parties)
        # bilateral or trilateral steps only: six-party talks with the US are not alignment
        if partners and d.type in ALIGNMENT_TYPES and "US" not in named \
                and "ROK" not in named and "Japan" not in named:
            rows.append((d.date_start, d.type, "; ".join(partners), d.label, d.source))
    for v in _data.sanctions().itertuples(index=False):
        if v.kind == "veto":
            # "vetoed (China, Russia)"; "vetoed (Russia); China abstained": only the brackets
            cast = re.search(r"vetoed \(([^)]*)\)", str(v.status))
            vetoers = [p for p in ALIGNMENT_PARTNERS if cast and p in cast.group(1)]
            rows.append((v.date.strftime("%Y-%m-%d"), "UNSC veto", "; ".join(vetoers) or "–",
                         v.resolution, v.source))
    frame = pd.DataFrame(rows, columns=["date", "kind", "partner", "what", "source"])
    frame.insert(1, "month", frame["date"].str[:7])
    return frame.sort_values("date", kind="stable").reset_index(drop=True)


#: Diplomacy-record types that are crisis events for claim C6: breakdowns of diplomacy,
#: military deployments and provocations (balloons, GPS jamming, drones, MDL crossings).
CRISIS_TYPES = ("breakdown", *INCIDENT_TYPES)


def crisis_events() -> pd.DataFrame:
    """Crisis events (claim C6, "the risk of conflict rises"): the record's breakdowns of
    diplomacy with the DPRK, its military deployments (troops to Russia) and its provocations
    (trash balloons, GPS jamming, drone incursions, MDL crossings, re-armed guard posts, 2022–24).
    Columns ``date, month, kind, parties, what, note, source``; one row per dated event, by
    date (``note`` says when the date is an announcement's). Incidents are recorded only from
    December 2022 (no shelling or naval clashes before), so this is still a partial measure."""
    d = _data.diplomacy_events()
    keep = d[d["type"].isin(CRISIS_TYPES)]
    frame = pd.DataFrame({"date": keep["date_start"], "month": keep["date_start"].str[:7],
                          "kind": keep["type"], "parties": keep["parties"],
                          "what": keep["label"], "note": keep["note"],
                          "source": keep["source"]})
    return frame.sort_values("date", kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Outcome:
    """One outcome: its unit in words, what it measures, and its dated records."""

    name: str
    unit: str
    meaning: str
    records: Callable[[], pd.DataFrame]


OUTCOMES: dict[str, Outcome] = {o.name: o for o in (
    Outcome("launch-days", "distinct launch days (KST)", "how often the DPRK tests",
            _launch_days),
    Outcome("missiles", "missiles and space launch vehicles flown (CNS unit)",
            "how much the DPRK tests", _missiles),
    Outcome("new-system-debuts", "first flight of a missile type",
            "new systems: the programme broadening", new_system_debuts),
    Outcome("strategic-tests", "IRBM, ICBM, SLBM, hypersonic and space-launch flights",
            "development of strategic systems", strategic_tests),
    Outcome("nuclear-tests", "nuclear test explosions, with seismic yield estimates",
            "the warhead programme", _nuclear),
    Outcome("warhead-estimates", "estimated warheads (SIPRI, FAS), with their ranges and "
            "counting basis (a methodology break in 2022)", "the size of the arsenal",
            _warheads),
    Outcome("alignment-events", "summits, agreements, channels and military deployments with "
            "Russia or China (without the US, ROK or Japan), and their UNSC vetoes on the DPRK",
            "claim C5: the DPRK growing closer to US adversaries", alignment_events),
    Outcome("crisis-events", "dated events: breakdowns of diplomacy with the DPRK, military "
            "deployments and provocations (balloons, GPS jamming, drones, MDL crossings; "
            "2022-25)", "claim C6: rising risk of conflict (a partial measure: incidents "
            "are recorded only from December 2022)", crisis_events),
)}


def outcome_frame(name: str) -> pd.DataFrame:
    """The dated records of outcome ``name`` (one of :data:`OUTCOMES`), each with its source.

    Raises
    ------
    OptionsError
        An unknown outcome name, listing the known ones.
    """
    if name not in OUTCOMES:
        raise OptionsError(f"unknown outcome {name!r}", [Problem(
            f"no outcome {name!r}", path="--outcome", allowed=", ".join(OUTCOMES))])
    return OUTCOMES[name].records()


__all__ = ["ALIGNMENT_PARTNERS", "ALIGNMENT_TYPES", "CRISIS_TYPES", "OUTCOMES", "Outcome", "alignment_events", "crisis_events",
           "new_system_debuts", "outcome_frame", "strategic_tests"]
