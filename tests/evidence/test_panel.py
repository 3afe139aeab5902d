"""The monthly panel: shape, no gaps, the interface columns, and values checked against the
reference files (annual table, nuclear tests, sanctions, policy periods) or hand-checked months."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente import evidence
from detente.errors import DetenteError, OptionsError

INT_COLUMNS = ("launch_events", "missiles", "nuclear_test", "talks", "summit", "agreement",
               "unsc_resolution", "unsc_veto")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return evidence.monthly_panel()


def test_one_row_per_month_without_gaps(panel: pd.DataFrame) -> None:
    assert isinstance(panel.index, pd.PeriodIndex)
    assert panel.index.freqstr == "M" and panel.index.name == "month"
    assert panel.index[0] == pd.Period("1984-01", "M")
    assert panel.index[-1] == pd.Period("2025-12", "M")
    assert len(panel) == 42 * 12  # 1984 … 2025
    assert panel.index.is_unique and panel.index.is_monotonic_increasing
    steps = np.diff(panel.index.asi8)
    assert (steps == 1).all()


def test_columns_and_types(panel: pd.DataFrame) -> None:
    assert tuple(panel.columns) == evidence.PANEL_COLUMNS
    for column in INT_COLUMNS:
        assert panel[column].dtype == np.int64, column
        assert (panel[column] >= 0).all()
    for flag in INT_COLUMNS[2:]:
        assert set(panel[flag]) <= {0, 1}, flag
    assert panel["us_engagement"].dtype == float
    assert set(panel["regime"]) == set(evidence.REGIMES)
    assert set(panel["leader"]) == {"Kim Il Sung", "Kim Jong Il", "Kim Jong Un"}


def test_slicing_is_inclusive_and_independent(panel: pd.DataFrame) -> None:
    part = evidence.monthly_panel("2018-01", "2019-12")
    assert len(part) == 24
    assert part.index[0] == pd.Period("2018-01", "M") and part.index[-1] == pd.Period("2019-12", "M")
    pd.testing.assert_frame_equal(part, panel.loc["2018-01":"2019-12"])
    part.loc[:, "launch_events"] = 999  # a caller's edit must not reach the cache
    assert evidence.monthly_panel("2018-01", "2018-01")["launch_events"].iloc[0] == 0


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [("2018", None, "start"), ("1983-12", None, "start"), ("2018-01", "2026-01", "end"),
     ("2019-01", "2018-12", "start"), ("2018-13", None, "start")],
)
def test_bad_months_raise_options_error_naming_the_field(start: str, end: str | None, field: str) -> None:
    with pytest.raises(OptionsError) as info:
        evidence.monthly_panel(start, end)
    assert isinstance(info.value, DetenteError)
    assert info.value.problems and info.value.problems[0].path == field
    assert info.value.problems[0].allowed


def test_yearly_sums_match_the_annual_table(panel: pd.DataFrame, reference_dir: Path) -> None:
    annual = pd.read_csv(reference_dir / "history" / "missile_launches_by_year.csv").set_index("year")
    from detente import evidence
    from tests.evidence._kst import added_per_year, kst_days_per_year

    by_year = panel.groupby(panel.index.year)[["launch_events", "missiles"]].sum()
    # launch days are Korean (KST) days; the annual table counts the published (UTC) dates
    flights = evidence.missile_launches()
    kst = kst_days_per_year(flights, annual.index)
    assert (by_year["launch_events"] == kst).all()
    # missiles: the CNS entries, plus the launches détente added from other primary sources
    assert (by_year["missiles"] == annual["launches"] + added_per_year(flights, annual.index)).all()


def test_early_month_only_dates_land_in_their_month(panel: pd.DataFrame) -> None:
    """CNS dates 1984's tests 9 April (3 missiles) and September (3, month only)."""
    assert panel.loc["1984-04", "missiles"] == 3 and panel.loc["1984-04", "launch_events"] == 1
    assert panel.loc["1984-09", "missiles"] == 3 and panel.loc["1984-09", "launch_events"] == 1


def test_nuclear_test_months(panel: pd.DataFrame, reference_dir: Path) -> None:
    ref = pd.read_csv(reference_dir / "history" / "nuclear_tests.csv")
    expected = sorted(d[:7] for d in ref["date"])
    assert [str(m) for m in panel.index[panel["nuclear_test"] == 1]] == expected


def test_unsc_months(panel: pd.DataFrame, reference_dir: Path) -> None:
    """Sanctions resolutions = reference rows that are neither Panel renewals nor vetoed drafts."""
    ref = pd.read_csv(reference_dir / "history" / "sanctions.csv")
    vetoed = ref["status"].str.startswith("vetoed")
    renewal = ref["trigger"] == "Panel of Experts renewal"
    expected_res = sorted(set(ref.loc[~vetoed & ~renewal, "date"].str[:7]))
    assert [str(m) for m in panel.index[panel["unsc_resolution"] == 1]] == expected_res
    assert [str(m) for m in panel.index[panel["unsc_veto"] == 1]] == ["2022-05", "2024-03"]


def test_diplomacy_indicators_on_hand_checked_months(panel: pd.DataFrame) -> None:
    """Hand-checked against diplomacy_events.csv."""
    # Singapore summit 2018-06-12 with a signed joint statement
    assert panel.loc["2018-06", ["summit", "agreement", "talks"]].tolist() == [1, 1, 0]
    # Six-Party round 1, 27–29 Aug 2003 (talks, no summit)
    assert panel.loc["2003-08", ["summit", "talks"]].tolist() == [0, 1]
    # round 6 phase 2, 27 Sept – 3 Oct 2007: talks in both months, agreement announced 3 Oct
    assert panel.loc["2007-09", "talks"] == 1 and panel.loc["2007-10", "talks"] == 1
    assert panel.loc["2007-09", "agreement"] == 0 and panel.loc["2007-10", "agreement"] == 1
    # Agreed Framework: Geneva talks from 23 Sept 1994, signed 21 Oct 1994
    assert panel.loc["1994-09", ["talks", "agreement"]].tolist() == [1, 0]
    assert panel.loc["1994-10", ["talks", "agreement"]].tolist() == [1, 1]
    # Hanoi summit 27–28 Feb 2019 ended without agreement
    assert panel.loc["2019-02", ["summit", "agreement"]].tolist() == [1, 0]
    # Kim–Putin 2023-09-13: a summit (any partner), not US talks
    assert panel.loc["2023-09", ["summit", "talks"]].tolist() == [1, 0]
    # Stockholm working-level talks 2019-10-05
    assert panel.loc["2019-10", "talks"] == 1
    # inter-Korean summits are summits but not US–DPRK talks
    assert panel.loc["2018-04", ["summit", "talks"]].tolist() == [1, 0]


def test_us_policy_and_leader_on_hand_checked_months(panel: pd.DataFrame) -> None:
    """Policy periods from us_policy_periods.csv; leaders by the in-office-on-the-15th rule:
    Kim Il Sung died 8 July 1994, Kim Jong Il 17 December 2011."""
    assert np.isnan(panel.loc["1992-06", "us_engagement"])  # before the first coded period
    assert panel.loc["1992-06", "us_policy"] == "not coded"
    assert panel.loc["1996-01", "us_engagement"] == 1.0  # Agreed Framework implementation
    assert panel.loc["2010-01", "us_engagement"] == 0.25  # strategic patience
    assert panel.loc["2012-03", "us_engagement"] == 0.75  # Leap Day deal (29 Feb – 12 Apr)
    assert panel.loc["2017-06", "us_policy"] == "Maximum pressure"
    assert panel.loc["2022-01", "us_engagement"] == 0.5  # calibrated practical approach
    assert np.isnan(panel.loc["2025-03", "us_engagement"])  # second Trump term not coded
    assert panel.loc["1994-06", "leader"] == "Kim Il Sung"
    assert panel.loc["1994-07", "leader"] == "Kim Jong Il"
    assert panel.loc["2011-12", "leader"] == "Kim Jong Il"
    assert panel.loc["2012-01", "leader"] == "Kim Jong Un"


def test_public_api_exposes_monthly_panel() -> None:
    import detente

    assert detente.monthly_panel is evidence.monthly_panel
