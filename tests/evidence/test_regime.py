"""The regime coding rule (detente.evidence.regime): hand-checked months of the record, small
synthetic records worked out by hand, and the guarantee that outcomes never enter the coding."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from detente import evidence
from detente.evidence import _data
from detente.evidence import panel as panel_module
from detente.evidence.regime import CRISIS, DIALOGUE, STALEMATE, code_regimes, is_engagement

# month -> (regime, the record that decides it, in diplomacy_events.csv / sanctions.csv /
# us_policy_periods.csv); worked out by hand from those files and the rule's text
HAND_CHECKED = {
    "2018-06": (DIALOGUE, "rule 1a: US-DPRK Singapore summit 2018-06-12"),
    "2018-02": (DIALOGUE, "rule 1b: summit-diplomacy period (level 1.0) from 2018-01-01"),
    "1996-06": (DIALOGUE, "rule 1b: Agreed Framework implementation (level 1.0)"),
    "2005-10": (DIALOGUE, "rule 1c: Joint Statement 2005-09-19; BDA breakdown is in the same month, not after"),
    "2006-06": (STALEMATE, "rule 3: last talks Nov 2005 ended > 6 months before; no breakdown or resolution since Mar 2006"),
    "2006-10": (CRISIS, "rule 2: resolution 1718 adopted 2006-10-14"),
    "2006-12": (DIALOGUE, "rule 1a: Six-Party round 5 phase 2, 2006-12-18"),
    "2008-12": (CRISIS, "rule 2: last Six-Party meeting breaks down 2008-12-08; rule 1b blocked by it"),
    "2009-06": (CRISIS, "rule 2: resolution 1874 adopted 2009-06-12"),
    "2010-06": (STALEMATE, "rule 3: strategic patience, no event within the windows"),
    "2012-03": (DIALOGUE, "rule 1c: Leap Day agreement 2012-02-29"),
    "2012-04": (CRISIS, "rule 2: Leap Day collapse 2012-04-13 ends the carry-over"),
    "2017-09": (CRISIS, "rule 2: resolution 2375 adopted 2017-09-11 (maximum pressure, level 0.25)"),
    "2019-11": (DIALOGUE, "rule 1c: Stockholm talks 2019-10-05"),
    "2020-01": (CRISIS, "rule 2: DPRK declares moratorium over, Jan 2020 (a breakdown)"),
    "2020-04": (STALEMATE, "rule 3: breakdown window of Jan 2020 over; carry-over ended by it"),
    "2022-05": (CRISIS, "rule 2: China and Russia veto the US draft 2022-05-26"),
    "2023-09": (STALEMATE, "rule 3: the Kim-Putin summit 2023-09-13 is not engagement (no US/ROK/Japan/NPT party)"),
    "2024-07": (CRISIS, "rule 2: the ROK fully suspends the 2018 military agreement 2024-06-04 "
                "(breakdown window June-August); the Russia-DPRK treaty is not engagement"),
}


@pytest.mark.parametrize("month", sorted(HAND_CHECKED))
def test_regime_on_hand_checked_months(month: str) -> None:
    expected, why = HAND_CHECKED[month]
    assert evidence.monthly_panel(month, month)["regime"].iloc[0] == expected, why


def test_engagement_counterparts() -> None:
    assert is_engagement("summit", "US; DPRK")
    assert is_engagement("talks", "China; DPRK; ROK; US; Japan; Russia")
    assert is_engagement("summit", "US; DPRK; (ROK host)")
    assert not is_engagement("summit", "Russia; DPRK")
    assert not is_engagement("channel", "US; DPRK")
    assert not is_engagement("breakdown", "US; DPRK")


def _diplomacy(rows: list[tuple[str, str | None, str, str]]) -> pd.DataFrame:
    """Minimal diplomacy frame: (start month, end month or None, type, parties)."""
    return pd.DataFrame(
        {
            "start_month": [pd.Period(s, "M") for s, _, _, _ in rows],
            "end_month": [pd.Period(e, "M") if e else pd.NaT for _, e, _, _ in rows],
            "type": [t for _, _, t, _ in rows],
            "parties": [p for _, _, _, p in rows],
        }
    )


NO_SANCTIONS = pd.DataFrame({"month": pd.Series([], dtype="period[M]"), "kind": pd.Series([], dtype=str)})
NO_POLICY = pd.DataFrame({"start": pd.Series([], dtype="datetime64[ns]"),
                          "end": pd.Series([], dtype="datetime64[ns]"),
                          "engagement_level": pd.Series([], dtype=float)})


def test_synthetic_carry_over_and_breakdown() -> None:
    """Talks in 2000-03: dialogue 2000-03 … 2000-09 (6-month carry), stalemate from 2000-10.
    With a breakdown in 2000-05: dialogue 03–04, crisis 05–07, stalemate 08 on."""
    months = pd.period_range("2000-01", "2000-12", freq="M", name="month")
    talks = _diplomacy([("2000-03", None, "talks", "US; DPRK")])
    got = code_regimes(months, talks, NO_SANCTIONS, NO_POLICY).tolist()
    assert got == [STALEMATE] * 2 + [DIALOGUE] * 7 + [STALEMATE] * 3
    both = _diplomacy([("2000-03", None, "talks", "US; DPRK"), ("2000-05", None, "breakdown", "US; DPRK")])
    got = code_regimes(months, both, NO_SANCTIONS, NO_POLICY).tolist()
    assert got == [STALEMATE] * 2 + [DIALOGUE] * 2 + [CRISIS] * 3 + [STALEMATE] * 5


def test_synthetic_sanctions_and_policy() -> None:
    """A sanctions resolution in 2000-02 marks 02–04 crisis; a renewal marks nothing; a
    level-1.0 policy period from 2000-06-10 makes June (on the 15th) onwards dialogue."""
    months = pd.period_range("2000-01", "2000-08", freq="M", name="month")
    unsc = pd.DataFrame({"month": [pd.Period("2000-02", "M"), pd.Period("2000-07", "M")],
                         "kind": ["sanctions", "panel_renewal"]})
    policy = pd.DataFrame({"start": [pd.Timestamp("2000-06-10")], "end": [pd.Timestamp("2001-01-01")],
                           "engagement_level": [1.0]})
    got = code_regimes(months, _diplomacy([]), unsc, policy).tolist()
    assert got == [STALEMATE, CRISIS, CRISIS, CRISIS, STALEMATE, DIALOGUE, DIALOGUE, DIALOGUE]


def test_rule_reads_no_outcome_argument() -> None:
    """The coding function cannot see launches or tests: its only inputs are records of
    diplomacy, sanctions and policy (plus the keyword-only choice of crisis rule, a string)."""
    params = inspect.signature(code_regimes).parameters
    data = {name for name, p in params.items() if p.kind is not inspect.Parameter.KEYWORD_ONLY}
    assert data == {"months", "diplomacy", "sanctions", "us_policy"}
    options = {name: p.default for name, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert options == {"crisis_rule": "breakdown-or-sanctions"}


def test_perturbing_outcomes_leaves_regime_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace launches and nuclear tests by random ones (seeded): the outcome columns change,
    the regime column does not."""
    baseline = evidence.monthly_panel()
    rng = np.random.default_rng(20230913)
    flights = _data.missile_launches()
    fake_days = pd.date_range("1984-01-01", "2025-12-31", freq="D")
    fake = flights.copy()
    fake["date"] = np.sort(rng.choice(fake_days, size=len(fake))).astype("datetime64[ns]")
    fake["date"] = pd.DatetimeIndex(fake["date"]).strftime("%Y-%m-%d")
    fake["month"] = pd.PeriodIndex(fake["date"], freq="M")
    fake_tests = _data.nuclear_tests().copy()
    fake_tests["date"] = pd.to_datetime(["1990-01-05", "1995-02-05", "2000-03-05", "2018-06-05",
                                         "2019-01-05", "2023-09-05"])
    fake_tests["month"] = fake_tests["date"].dt.to_period("M")

    monkeypatch.setattr(_data, "missile_launches", lambda: fake.copy())
    monkeypatch.setattr(_data, "launch_events", lambda: _events_from(fake))
    monkeypatch.setattr(_data, "nuclear_tests", lambda: fake_tests.copy())
    panel_module._full_panel.cache_clear()
    try:
        perturbed = evidence.monthly_panel()
    finally:
        panel_module._full_panel.cache_clear()
    assert not perturbed["launch_events"].equals(baseline["launch_events"])
    assert not perturbed["nuclear_test"].equals(baseline["nuclear_test"])
    pd.testing.assert_series_equal(perturbed["regime"], baseline["regime"])


def _events_from(flights: pd.DataFrame) -> pd.DataFrame:
    """Launch days of a (fake) flight table, as much of launch_events() as the panel reads."""
    grouped = flights.groupby("date")
    out = grouped.size().rename("missiles").reset_index()
    out["month"] = pd.PeriodIndex(out["date"], freq="M")
    return out
