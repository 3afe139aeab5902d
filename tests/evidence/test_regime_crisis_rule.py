"""The alternative crisis rule (``crisis_rule="breakdown-only"``, detente.evidence.regime):
hand-checked months of the record, a synthetic record worked out by hand, the default left
unchanged, and the guarantee that outcomes never enter the coding under either rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente import evidence
from detente.errors import OptionsError
from detente.evidence import _data
from detente.evidence import panel as panel_module
from detente.evidence.regime import (
    BREAKDOWN_ONLY,
    BREAKDOWN_OR_SANCTIONS,
    CRISIS,
    CRISIS_RULES,
    DIALOGUE,
    STALEMATE,
    code_regimes,
)

# month -> (regime by the written rule, regime under breakdown-only, the record that decides it).
# Worked out by hand from diplomacy_events.csv (breakdowns: 2005-09, 2008-12, 2009-04, 2012-04,
# 2020-01, 2020-06) and sanctions.csv (resolutions and vetoes with their dates and triggers).
HAND_CHECKED = {
    "2006-10": (CRISIS, STALEMATE, "resolution 1718 (2006-10-14, after the 2006-10-09 test) is "
                "the only crisis event; last breakdown 2005-09"),
    "2006-11": (CRISIS, STALEMATE, "1718's window (Oct-Dec); Six-Party talks resume only 2006-12"),
    "2009-06": (CRISIS, CRISIS, "1874 (2009-06-12) is dropped, but the DPRK quits the Six-Party "
                "talks 2009-04-14 (a breakdown), two months before"),
    "2009-07": (CRISIS, STALEMATE, "1874's window; the April 2009 breakdown is 3 months before"),
    "2013-03": (CRISIS, STALEMATE, "resolutions 2087 (2013-01-22) and 2094 (2013-03-07) only"),
    "2017-09": (CRISIS, STALEMATE, "resolution 2375 (2017-09-11, after the 2017-09-03 test) only"),
    "2022-05": (CRISIS, STALEMATE, "China/Russia veto of 2022-05-26 only"),
    "2024-03": (CRISIS, CRISIS, "breakdowns 2024-01-15 (ROK named principal enemy) and "
                "2024-03-26 (DPRK rejects contact with Japan); the 2024-03-28 veto as well"),
    "2008-12": (CRISIS, CRISIS, "last Six-Party meeting breaks down 2008-12-08"),
    "2012-04": (CRISIS, CRISIS, "Leap Day agreement collapses 2012-04-13"),
    "2020-01": (CRISIS, CRISIS, "DPRK declares the moratorium over, Jan 2020 (a breakdown)"),
    "2018-06": (DIALOGUE, DIALOGUE, "rule 1a: Singapore summit 2018-06-12"),
    "2005-10": (DIALOGUE, DIALOGUE, "rule 1c: Joint Statement 2005-09-19"),
    "2023-09": (STALEMATE, STALEMATE, "Kim-Putin summit is not engagement; no event in window"),
}


@pytest.fixture(scope="module")
def panels() -> dict[str, pd.DataFrame]:
    return {rule: evidence.monthly_panel(crisis_rule=rule) for rule in CRISIS_RULES}


@pytest.mark.parametrize("month", sorted(HAND_CHECKED))
def test_hand_checked_months_under_both_rules(month: str, panels) -> None:
    default, alternative, why = HAND_CHECKED[month]
    assert panels[BREAKDOWN_OR_SANCTIONS].loc[month, "regime"] == default, why
    assert panels[BREAKDOWN_ONLY].loc[month, "regime"] == alternative, why


def test_default_rule_is_the_written_rule(panels) -> None:
    """Omitting ``crisis_rule`` gives the same frame as naming the default; the counts are those
    published in docs/evidence.md (162 / 280 / 62 since the 2023–25 inter-Korean breakdowns were
    added; 162 / 290 / 52 before)."""
    pd.testing.assert_frame_equal(evidence.monthly_panel(), panels[BREAKDOWN_OR_SANCTIONS])
    counts = evidence.monthly_panel()["regime"].value_counts().to_dict()
    assert counts == {DIALOGUE: 162, STALEMATE: 280, CRISIS: 62}


def test_only_crisis_months_near_a_sanctions_action_change(panels) -> None:
    """Rule 1 reads no sanctions, so dialogue is untouched; every month that changes goes from
    crisis to stalemate and has a sanctions resolution or veto (sanctions.csv) in it or the two
    months before, and no breakdown (diplomacy_events.csv) in that window."""
    default, alternative = panels[BREAKDOWN_OR_SANCTIONS], panels[BREAKDOWN_ONLY]
    pd.testing.assert_frame_equal(default.drop(columns="regime"), alternative.drop(columns="regime"))
    assert ((default["regime"] == DIALOGUE) == (alternative["regime"] == DIALOGUE)).all()
    unsc = _data.sanctions()
    actions = set(unsc.loc[unsc["kind"].isin(["sanctions", "veto"]), "month"])
    diplomacy = _data.diplomacy_events()
    breakdowns = set(diplomacy.loc[diplomacy["type"] == "breakdown", "start_month"].dropna())
    changed = default.index[default["regime"] != alternative["regime"]]
    assert len(changed) > 0
    for month in changed:
        window = {month - k for k in range(3)}
        assert default.loc[month, "regime"] == CRISIS and alternative.loc[month, "regime"] == STALEMATE
        assert window & actions, f"{month}: no sanctions action in the window"
        assert not window & breakdowns, f"{month}: a breakdown would keep it crisis"


def _diplomacy(rows: list[tuple[str, str]]) -> pd.DataFrame:
    """Minimal diplomacy frame: (month, type) with US; DPRK as parties."""
    return pd.DataFrame({"start_month": [pd.Period(m, "M") for m, _ in rows],
                         "end_month": [pd.NaT] * len(rows), "type": [t for _, t in rows],
                         "parties": ["US; DPRK"] * len(rows)})


NO_POLICY = pd.DataFrame({"start": pd.Series([], dtype="datetime64[ns]"),
                          "end": pd.Series([], dtype="datetime64[ns]"),
                          "engagement_level": pd.Series([], dtype=float)})


def test_synthetic_record_by_hand() -> None:
    """Resolution 2000-02 and a veto 2000-09; a breakdown 2000-06. Written rule: crisis 02-04
    (resolution), 06-08 (breakdown), 09-11 (veto). Breakdown-only: crisis 06-08 only."""
    months = pd.period_range("2000-01", "2000-12", freq="M", name="month")
    unsc = pd.DataFrame({"month": [pd.Period("2000-02", "M"), pd.Period("2000-09", "M")],
                         "kind": ["sanctions", "veto"]})
    diplomacy = _diplomacy([("2000-06", "breakdown")])
    s, c = STALEMATE, CRISIS
    written = code_regimes(months, diplomacy, unsc, NO_POLICY).tolist()
    assert written == [s, c, c, c, s, c, c, c, c, c, c, s]
    only = code_regimes(months, diplomacy, unsc, NO_POLICY, crisis_rule=BREAKDOWN_ONLY).tolist()
    assert only == [s, s, s, s, s, c, c, c, s, s, s, s]


@pytest.mark.parametrize("bad", ["sanctions-only", "", None, "Breakdown-Only"])
def test_unknown_rule_is_a_named_error(bad) -> None:
    months = pd.period_range("2000-01", "2000-02", freq="M")
    empty_unsc = pd.DataFrame({"month": pd.Series([], dtype="period[M]"),
                               "kind": pd.Series([], dtype=str)})
    for call in (lambda: code_regimes(months, _diplomacy([]), empty_unsc, NO_POLICY,
                                      crisis_rule=bad),
                 lambda: evidence.monthly_panel(crisis_rule=bad)):
        with pytest.raises(OptionsError) as info:
            call()
        assert info.value.problems[0].path == "crisis_rule"
        assert "breakdown-or-sanctions, breakdown-only" in info.value.problems[0].allowed


@pytest.mark.parametrize("rule", CRISIS_RULES)
def test_outcomes_never_reach_the_regime(rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under either rule: replace launches and nuclear tests by random ones (seeded); the
    outcome columns change, the regime column does not."""
    baseline = evidence.monthly_panel(crisis_rule=rule)
    rng = np.random.default_rng(20061009)
    fake = _data.launch_events().copy()
    fake["month"] = pd.PeriodIndex(np.sort(rng.choice(baseline.index, size=len(fake))), freq="M")
    fake_flights = _data.missile_launches().copy()
    fake_flights["month"] = pd.PeriodIndex(
        np.sort(rng.choice(baseline.index, size=len(fake_flights))), freq="M")
    fake_tests = _data.nuclear_tests().copy()
    fake_tests["month"] = pd.PeriodIndex(["1990-01", "1995-02", "2000-03", "2018-06", "2019-01",
                                          "2023-09"], freq="M")[:len(fake_tests)]
    monkeypatch.setattr(_data, "launch_events", lambda: fake.copy())
    monkeypatch.setattr(_data, "missile_launches", lambda: fake_flights.copy())
    monkeypatch.setattr(_data, "nuclear_tests", lambda: fake_tests.copy())
    panel_module._full_panel.cache_clear()
    try:
        perturbed = evidence.monthly_panel(crisis_rule=rule)
    finally:
        panel_module._full_panel.cache_clear()
    assert not perturbed["launch_events"].equals(baseline["launch_events"])
    assert not perturbed["nuclear_test"].equals(baseline["nuclear_test"])
    pd.testing.assert_series_equal(perturbed["regime"], baseline["regime"])
