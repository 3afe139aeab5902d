"""The regime rule ignores the incident types (issue 12, data items: the troop deployment to
Russia, the 2024 balloon campaigns, GPS jamming, drone incursions, MDL crossings).

``military`` and ``provocation`` events are outcomes for claims C6 and C5, not regime markers
(detente.evidence.regime, "Not regime markers"). The coded months must be byte-identical with
and without them. Expected counts are the ones docs/evidence.md states for 1984–2025 (162
dialogue / 280 stalemate / 62 crisis; 162 / 305 / 37 under ``breakdown-only``), recorded before
the incidents were added. The incident rows are found by reading the shipped CSV with the csv
module, not through the loaders under test.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from detente import evidence
from detente.evidence.regime import CRISIS_RULES, code_regimes

from ._added import ADDED_INCIDENTS

DIPLOMACY_CSV = (Path(__file__).resolve().parents[2] / "src" / "detente" / "evidence" / "data"
                 / "diplomacy_events.csv")
INCIDENT_TYPES = {"military", "provocation"}
#: docs/evidence.md, "The regime coding rule" and "The alternative crisis rule".
DOCUMENTED_COUNTS = {"breakdown-or-sanctions": {"dialogue": 162, "stalemate": 280, "crisis": 62},
                     "breakdown-only": {"dialogue": 162, "stalemate": 305, "crisis": 37}}
MONTHS = pd.period_range("1984-01", "2025-12", freq="M")


def _incident_rows_in_csv() -> list[dict[str, str]]:
    with DIPLOMACY_CSV.open(encoding="utf-8", newline="") as fh:
        return [row for row in csv.DictReader(fh) if row["type"] in INCIDENT_TYPES]


def _code(diplomacy: pd.DataFrame, rule: str) -> pd.Series:
    return code_regimes(MONTHS, diplomacy, evidence.sanctions(user_layer=False),
                        evidence.us_policy_periods(), crisis_rule=rule)


def _bytes(regimes: pd.Series) -> bytes:
    return "\n".join(f"{m} {r}" for m, r in regimes.items()).encode()


def test_the_shipped_record_holds_the_incidents() -> None:
    """Otherwise the comparison below would be empty: the build's 15 added incident rows (2
    military, 13 provocations) are in the shipped file."""
    rows = _incident_rows_in_csv()
    assert len(rows) == len(ADDED_INCIDENTS) == 15
    assert sorted(r["type"] for r in rows).count("military") == 2
    assert sorted((r["date_start"], r["type"]) for r in rows) == sorted(
        (r["date_start"], r["type"]) for r in ADDED_INCIDENTS)


@pytest.mark.parametrize("rule", CRISIS_RULES)
def test_regime_months_are_byte_identical_without_the_incidents(rule: str) -> None:
    diplomacy = evidence.diplomacy_events(user_layer=False)
    without = diplomacy[~diplomacy["type"].isin(INCIDENT_TYPES)]
    assert len(diplomacy) - len(without) == len(_incident_rows_in_csv())
    with_incidents = _code(diplomacy, rule)
    assert _bytes(with_incidents) == _bytes(_code(without, rule))
    assert with_incidents.value_counts().to_dict() == DOCUMENTED_COUNTS[rule]
    # the panel's regime column is the same coding
    panel = evidence.monthly_panel(user_layer=False, crisis_rule=rule)
    assert _bytes(panel["regime"]) == _bytes(with_incidents)


def test_the_comparison_would_see_incidents_coded_as_breakdowns() -> None:
    """The check above can fail: if the same rows counted as breakdowns, months would move
    (for example 2022-12, the drone incursion, from stalemate to crisis)."""
    diplomacy = evidence.diplomacy_events(user_layer=False)
    recast = diplomacy.assign(type=diplomacy["type"].where(
        ~diplomacy["type"].isin(INCIDENT_TYPES), "breakdown"))
    before = _code(diplomacy, "breakdown-or-sanctions")
    after = _code(recast, "breakdown-or-sanctions")
    assert _bytes(before) != _bytes(after)
    month = pd.Period("2022-12", freq="M")
    assert (before[month], after[month]) == ("stalemate", "crisis")
