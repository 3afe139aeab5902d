"""Data integrity of the shipped evidence: every row sourced, dates valid and in range, and the
package data identical to a fresh build from the shared reference history.

Expected values come from the reference files (read through the ``reference_dir`` fixture) or
are stated facts of the record (six nuclear tests; CNS coverage 1984–2025).
"""

from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from detente import evidence
from detente.evidence import _data

from ._added import ADDED_DIPLOMACY, ADDED_INCIDENTS

REPO_ROOT = Path(__file__).resolve().parents[2]

LOADERS = {
    "missile_launches": evidence.missile_launches,
    "launch_events": evidence.launch_events,
    "nuclear_tests": evidence.nuclear_tests,
    "diplomacy_events": evidence.diplomacy_events,
    "sanctions": evidence.sanctions,
    "us_policy_periods": evidence.us_policy_periods,
    "arsenal_estimates": evidence.arsenal_estimates,
    "leaders": evidence.leaders,
}

# a source is a web address or a GitHub repository reference with a commit
SOURCE_PATTERN = re.compile(r"https?://\S+|github:[\w.-]+/[\w.-]+@[0-9a-f]{7,40}")


@pytest.mark.parametrize("name", sorted(LOADERS))
def test_every_row_names_a_source(name: str) -> None:
    frame = LOADERS[name]()
    assert len(frame) > 0
    assert "source" in frame.columns
    unsourced = [i for i, s in enumerate(frame["source"]) if not SOURCE_PATTERN.search(str(s))]
    assert unsourced == [], f"{name}: rows without a web or GitHub@commit source: {unsourced}"


def test_launch_dates_valid_and_within_record() -> None:
    """CNS coverage is 1984-04 (first Scud-B tests) to 2025 (reference README, section 1)."""
    flights = evidence.missile_launches()
    for date, precision in zip(flights["date"], flights["date_precision"], strict=True):
        fmt = {"day": "%Y-%m-%d", "month": "%Y-%m"}[precision]
        parsed = pd.to_datetime(date, format=fmt)  # raises on an invalid date
        assert pd.Timestamp("1984-01-01") <= parsed <= pd.Timestamp("2025-12-31")
    # month-only dates exist only in the early, approximate CNS years (README caveat)
    month_only = flights.loc[flights["date_precision"] == "month", "date"]
    assert month_only.str[:4].astype(int).max() <= 1992
    assert set(flights["outcome"]) <= {"success", "failure", "unknown"}
    assert set(flights["missile_class"]) <= {"ICBM", "IRBM", "MRBM", "SRBM", "SLBM", "HGV", "SLV", "Unknown"}


def test_status_marks_entries_after_the_cns_export_preliminary() -> None:
    """The CNS export ends 2023-04-12; later rows are nagix-only, 'preliminary' (README caveat 2)."""
    flights = evidence.missile_launches()
    flights = flights[flights["status"] != "added"]  # launches added from other sources
    after = flights["date_utc"] > "2023-04-12"  # the export's dates are as published
    assert (flights.loc[after, "status"] == "preliminary").all()
    assert (flights.loc[~after, "status"] == "final").all()


def test_nuclear_tests_match_the_reference(reference_dir: Path) -> None:
    ref = pd.read_csv(reference_dir / "history" / "nuclear_tests.csv", dtype=str)
    tests = evidence.nuclear_tests()
    assert len(tests) == 6
    assert list(tests["date"].dt.strftime("%Y-%m-%d")) == list(ref["date"])
    assert tests["test_no"].tolist() == [1, 2, 3, 4, 5, 6]
    # low <= high wherever both are given; 2006 has an upper bound only (< 1 kt)
    both = tests["yield_low_kt"].notna()
    assert (tests.loc[both, "yield_low_kt"] <= tests.loc[both, "yield_high_kt"]).all()
    assert pd.isna(tests.loc[0, "yield_low_kt"]) and tests.loc[0, "yield_high_kt"] == 1.0


def test_sanctions_match_the_reference(reference_dir: Path) -> None:
    ref = pd.read_csv(reference_dir / "history" / "sanctions.csv", dtype=str)
    unsc = evidence.sanctions()
    assert list(unsc["date"].dt.strftime("%Y-%m-%d")) == list(ref["date"])
    # the ten sanctions resolutions the README lists, six Panel renewals, two vetoed drafts
    assert (unsc["kind"] == "sanctions").sum() == 10
    assert (unsc["kind"] == "panel_renewal").sum() == 6
    assert unsc.loc[unsc["kind"] == "veto", "date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2022-05-26", "2024-03-28"]


def test_diplomacy_dates_and_types(reference_dir: Path) -> None:
    ref = pd.read_csv(reference_dir / "history" / "diplomacy_events.csv", dtype=str,
                      keep_default_na=False)
    events = evidence.diplomacy_events()
    # the reference's 45 rows plus the build's documented additions (issue 12, item 7, and the
    # military deployments and provocations of the data items), by date
    added = [r["date_start"] for r in (*ADDED_DIPLOMACY, *ADDED_INCIDENTS)]
    assert len(ref) == 45 and len(events) == len(ref) + len(added)
    assert sorted(events["date_start"]) == sorted([*ref["date_start"], *added])
    assert list(events["date_start"]) == sorted(events["date_start"])
    assert set(events["type"]) <= {"summit", "talks", "agreement", "breakdown", "channel",
                                   "military", "provocation"}
    for start, end, precision in zip(events["date_start"], events["date_end"],
                                     events["date_precision"], strict=True):
        fmt = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[precision]
        first = pd.to_datetime(start, format=fmt)
        assert pd.Timestamp("1985-01-01") <= first <= pd.Timestamp("2025-12-31")
        if end and len(end) == len(start):
            assert pd.to_datetime(end, format=fmt) >= first


def test_labels_are_ours_not_the_reference_text(reference_dir: Path) -> None:
    """Short labels are written for détente: none equals the reference's event description."""
    ref = pd.read_csv(reference_dir / "history" / "diplomacy_events.csv", dtype=str)
    events = evidence.diplomacy_events()
    assert not set(events["label"]) & set(ref["event"])
    assert events["label"].str.len().max() <= 60


def test_policy_periods_tile_without_overlap() -> None:
    """The reference periods run back to back from 1993-01-20 to 2025-01-19 (README section 5)."""
    periods = evidence.us_policy_periods().sort_values("start")
    assert periods["start"].iloc[0] == pd.Timestamp("1993-01-20")
    assert periods["end"].iloc[-1] == pd.Timestamp("2025-01-19")
    gaps = periods["start"].iloc[1:].to_numpy() - periods["end"].iloc[:-1].to_numpy()
    assert (gaps == pd.Timedelta(days=1)).all()
    assert set(periods["engagement_level"]) <= {0.0, 0.25, 0.5, 0.75, 1.0}


def test_arsenal_methodology_break_is_flagged() -> None:
    """SIPRI counted buildable warheads before 2022 and assembled ones after (README section 6)."""
    arsenal = evidence.arsenal_estimates()
    sipri = arsenal[arsenal["estimator"].str.startswith("SIPRI")]
    before = sipri["as_of"].str[:4] < "2022"
    assert (sipri.loc[before, "counting_basis"] == "buildable_from_fissile").all()
    assert (sipri.loc[~before, "counting_basis"] == "assembled").all()


def test_no_third_party_description_text_is_shipped(reference_dir: Path) -> None:
    """No CNS description text (a distinctive sentence of the first entry) is in the package data."""
    phrase = "First known test by North Korea of a missile"
    assert phrase in (reference_dir / "history" / "raw" / "cns_mesege1.csv").read_text(encoding="cp1252")
    for name in _data.DATA_FILES:
        text = _data._data_path(name).read_text(encoding="utf-8")
        assert phrase not in text, name
        # every shipped CSV parses with a consistent column count
        rows = list(csv.reader(text.splitlines()))
        assert len({len(r) for r in rows}) == 1, name


def test_package_data_equals_a_fresh_build(reference_dir: Path, tmp_path: Path) -> None:
    """scripts/build_evidence.py run on the reference reproduces the shipped CSVs byte for byte."""
    spec = importlib.util.spec_from_file_location("build_evidence", REPO_ROOT / "scripts" / "build_evidence.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.main(["--reference", str(reference_dir), "--out", str(tmp_path)]) == 0
    for name in _data.DATA_FILES:
        assert (tmp_path / name).read_bytes() == _data._data_path(name).read_bytes(), name


def test_data_hash_is_stable_and_tracks_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = evidence.data_hash()
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert evidence.data_hash() == first
    # a copy of the data with one changed byte hashes differently
    for name in _data.DATA_FILES:
        (tmp_path / name).write_bytes(_data._data_path(name).read_bytes())
    leaders = tmp_path / "leaders.csv"
    leaders.write_bytes(leaders.read_bytes().replace(b"Kim Jong Un", b"Kim Jong Um"))
    monkeypatch.setattr(_data, "_data_path", lambda name: tmp_path / name)
    assert evidence.data_hash() != first


def test_a_corrupt_data_file_is_reported_by_file_line_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad date in a (damaged) data file gives a DetenteError naming the file, the line and
    the column, not a traceback from pandas."""
    from detente.errors import DetenteError

    for name in _data.DATA_FILES:
        (tmp_path / name).write_bytes(_data._data_path(name).read_bytes())
    tests_csv = tmp_path / "nuclear_tests.csv"
    tests_csv.write_text(tests_csv.read_text(encoding="utf-8").replace("2013-02-12", "2013-02-30"),
                         encoding="utf-8")
    monkeypatch.setattr(_data, "_data_path", lambda name: tmp_path / name)
    _data._read.cache_clear()
    try:
        with pytest.raises(DetenteError) as info:
            evidence.nuclear_tests()
    finally:
        _data._read.cache_clear()
    problem = info.value.problems[0]
    assert (problem.file, problem.line, problem.path) == ("nuclear_tests.csv", 4, "date")
    assert "2013-02-30" in problem.message


def test_every_evidence_row_has_a_source_off_the_mirror_list():
    """Issue 12, item 7: prefer primary sources to mirrors and aggregators. Every dated row of
    the shipped evidence cites at least one address that is not on the documented mirror list
    (detente.scenario.model.MIRROR_DOMAINS, the list `detente validate` warns on)."""
    import re

    from detente.evidence import _data
    from detente.scenario.model import mirror_domain

    for name in ("missile_launches", "nuclear_tests", "diplomacy_events", "sanctions"):
        frame = _data._read(f"{name}.csv")
        for k, text in enumerate(frame["source"].astype(str)):
            addresses = [p.strip().split(" ", 1)[0] for p in text.split("|")]
            web = [a for a in addresses if re.match(r"https?://", a)]
            if web:
                assert any(mirror_domain(a) is None for a in web), (name, k, web)


#: Addresses the second source-quality pass replaced (scripts/build_evidence.py
#: SOURCE_REPLACEMENTS): a mirror for resolution 1874, and aggregators or blogs for the yields.
REPLACED = {
    "sanctions.csv": ["de.zxc.wiki/wiki/Resolution_1874"],
    "nuclear_tests.csv": ["arabstoday.net", "ecanadanepal.com", "wn.com/", "1913intel.com"],
}


@pytest.mark.parametrize("name", sorted(REPLACED))
def test_replaced_sources_are_gone_from_the_package_but_kept_in_the_reference(
        name: str, reference_dir: Path) -> None:
    """The replacement happens in the build; the reference copy stays unchanged."""
    shipped = _data._data_path(name).read_text(encoding="utf-8")
    reference = (reference_dir / "history" / name).read_text(encoding="utf-8")
    for address in REPLACED[name]:
        assert address in reference, address
        assert address not in shipped, address


def test_resolution_1874_cites_the_un_record() -> None:
    """The form the other resolutions cite: the UN press release and the Council's page."""
    with _data._data_path("sanctions.csv").open(encoding="utf-8", newline="") as fh:
        row = next(r for r in csv.DictReader(fh) if r["resolution"] == "S/RES/1874 (2009)")
    assert "https://press.un.org/en/2009/sc9679.doc.htm" in row["source"]
    assert "https://www.un.org/securitycouncil/s/res/1874-%282009%29" in row["source"]


def test_added_incidents_are_dated_typed_sourced_and_noted() -> None:
    """Each military/provocation row: a KST calendar day, one of the two new types, DPRK among
    the actors, a label of our own, an address off the mirror list, and a note (the
    announcement-date notes on the two troop-deployment rows)."""
    from detente.scenario.model import mirror_domain

    with _data._data_path("diplomacy_events.csv").open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["type"] in ("military", "provocation")]
    assert len(rows) == len(ADDED_INCIDENTS)
    for row in rows:
        assert row["date_precision"] == "day"
        pd.to_datetime(row["date_start"], format="%Y-%m-%d")  # raises on a bad date
        assert "DPRK" in row["parties"] and row["label"] and row["note"]
        addresses = [p.strip().split(" ", 1)[0] for p in row["source"].split("|")]
        assert all(re.match(r"https?://", a) and mirror_domain(a) is None for a in addresses)
    military = [r for r in rows if r["type"] == "military"]
    assert [r["date_start"] for r in military] == ["2024-10-18", "2025-04-28"]
    assert all(r["note"].startswith("Announcement date") for r in military)
