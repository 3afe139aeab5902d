"""The user evidence layer (issue 14, part 3: "Forecasts that can be held to account").

Where the expectations come from:

- issue 14: ``detente evidence add FILE --through YYYY-MM-DD`` adds dated observations to a user
  layer (``$DETENTE_DATA``) on top of the shipped data, "validated with the same located errors
  as scenarios (a duplicate of a shipped event, a date in the future, a missing source: each its
  own message)"; "a month after [--through] is *unobserved*, never a zero"; "the shipped data
  are never modified"; done when "``evidence add`` rejects each kind of bad row with file, line
  and field; an added launch changes the monthly panel exactly where it should (KST date rule)
  and nowhere else";
- docs/evidence.md, "Month assignment": an event counts in the month of its Korean (KST, UTC+9)
  date, the published date and UTC time plus nine hours where the time is known.

Every test points ``$DETENTE_DATA`` at a temporary folder, so none touches the real home.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from detente import evidence
from detente.cli import app
from detente.errors import OptionsError
from detente.evidence import _data, user
from detente.evidence.user import EvidenceError

HEADER = "date,time_utc,missile,facility,outcome,source\n"
SRC = "https://example.org/jcs-report"
#: A fixed "today" for the library calls, so the tests do not depend on the clock.
TODAY = dt.date(2026, 6, 30)

runner = CliRunner()


@pytest.fixture(autouse=True)
def layer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user layer in a temporary folder ($DETENTE_DATA, read when called)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("DETENTE_DATA", str(folder))
    return folder


def _csv(tmp_path: Path, body: str, header: str = HEADER, name: str = "launches.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def _problems(path: Path, through: str = "2026-03-31", **kw) -> list:
    with pytest.raises(EvidenceError) as info:
        user.add_evidence(path, through=through, today=TODAY, **kw)
    return info.value.problems


def _one(problems: list, field: str):
    hits = [p for p in problems if p.path == field]
    assert len(hits) == 1, [p.format() for p in problems]
    return hits[0]


# --- each kind of bad row: file, line, field ------------------------------------------------


def test_missing_column_is_located_at_the_header(tmp_path: Path) -> None:
    """Issue 14: the launch CSV has the columns date,time_utc,missile,facility,outcome,source; a
    file without ``source`` is rejected at line 1, field ``source``."""
    path = _csv(tmp_path, "2026-02-01,03:00,KN-23,Sunan,success\n",
                header="date,time_utc,missile,facility,outcome\n")
    problem = _one(_problems(path, kind="launches"), "source")
    assert (problem.file, problem.line) == (str(path), 1)
    assert "source" in problem.allowed and "date,time_utc" in problem.allowed


def test_bad_date(tmp_path: Path) -> None:
    """Issue 14: "date as published" is a calendar date; 30 February is not one."""
    path = _csv(tmp_path, f"2026-01-10,03:00,KN-23,Sunan,success,{SRC}\n"
                          f"2026-02-30,03:00,KN-23,Sunan,success,{SRC}\n")
    problem = _one(_problems(path), "date")
    assert (problem.file, problem.line, problem.column) == (str(path), 3, 1)
    assert "2026-02-30" in problem.message and "YYYY-MM-DD" in problem.allowed


@pytest.mark.parametrize("time", ["25:10", "4pm", ""])
def test_bad_time(tmp_path: Path, time: str) -> None:
    """Issue 14: UTC time ``HH:MM`` or ``unknown``; anything else (an empty cell too) is its own
    located problem."""
    path = _csv(tmp_path, f"2026-02-01,{time},KN-23,Sunan,success,{SRC}\n")
    problem = _one(_problems(path), "time_utc")
    assert (problem.line, problem.column) == (2, 2)
    assert "HH:MM" in problem.allowed and "unknown" in problem.allowed


def test_future_date(tmp_path: Path) -> None:
    """Issue 14: "a date in the future" is its own message (after today)."""
    path = _csv(tmp_path, f"2026-07-15,03:00,KN-23,Sunan,success,{SRC}\n")
    problem = _one(_problems(path, through="2026-06-30"), "date")
    assert problem.line == 2 and "future" in problem.message
    assert str(TODAY) in problem.allowed


def test_date_after_through(tmp_path: Path) -> None:
    """Issue 14: ``--through`` is the date up to which the file is complete, so a later row
    contradicts it."""
    path = _csv(tmp_path, f"2026-04-02,03:00,KN-23,Sunan,success,{SRC}\n")
    problem = _one(_problems(path, through="2026-03-31"), "date")
    assert problem.line == 2 and "--through 2026-03-31" in problem.message


def test_through_in_the_future_is_an_options_error(tmp_path: Path) -> None:
    """A source cannot be complete to a day that has not come (issue 14's future-date rule,
    applied to --through)."""
    path = _csv(tmp_path, f"2026-02-01,03:00,KN-23,Sunan,success,{SRC}\n")
    with pytest.raises(OptionsError) as info:
        user.add_evidence(path, through="2026-07-01", today=TODAY)
    assert info.value.problems[0].path == "--through"


def test_missing_source(tmp_path: Path) -> None:
    """Issue 14: "a missing source" is its own message (docs/evidence.md: every row has a
    source)."""
    path = _csv(tmp_path, "2026-02-01,03:00,KN-23,Sunan,success,\n")
    problem = _one(_problems(path), "source")
    assert (problem.line, problem.column) == (2, 6)
    assert problem.message == "missing source"


def test_duplicate_of_a_shipped_launch_uses_the_kst_date(tmp_path: Path) -> None:
    """Issue 14: "a duplicate of a shipped event" (same KST date and missile). The 20:05 UTC
    launch of 30 June 2024 is a 1 July 2024 launch (docs/evidence.md), so it is found however
    its date is written."""
    shipped = evidence.missile_launches(user_layer=False)
    row = shipped[shipped["date_utc"] == "2024-06-30"].iloc[0]
    assert row["date"] == "2024-07-01"
    path = _csv(tmp_path, f"2024-06-30,{row['launch_time_utc']},{row['missile_name']},"
                          f"somewhere,success,{SRC}\n", name="dup.csv")
    problem = _one(_problems(path, through="2025-12-31"), "date")
    assert (problem.file, problem.line) == (str(path), 2)
    assert "duplicates a shipped event" in problem.message and "2024-07-01" in problem.message


def test_duplicate_within_the_file(tmp_path: Path) -> None:
    """Issue 14's duplicate rule inside one file: the second row names the first's line."""
    path = _csv(tmp_path, f"2026-02-01,03:00,KN-23,Sunan,success,{SRC}\n"
                          f"2026-02-01,04:10,kn-23,Sunan,failure,{SRC}\n")
    problem = _one(_problems(path), "date")
    assert problem.line == 3 and "duplicates line 2" in problem.message


def test_duplicate_of_an_added_row(tmp_path: Path) -> None:
    """Issue 14's duplicate rule against the user layer: a row already added is refused."""
    user.add_evidence(_csv(tmp_path, f"2026-02-01,03:00,KN-23,Sunan,success,{SRC}\n", name="a.csv"),
                      through="2026-03-31", today=TODAY)
    path = _csv(tmp_path, f"2026-02-01,03:00,KN-23,Pyongyang,success,{SRC}/2\n", name="b.csv")
    problem = _one(_problems(path), "date")
    assert "duplicates an added event" in problem.message and "a.csv" in problem.message


def test_every_problem_is_listed_and_nothing_is_written(tmp_path: Path, layer: Path) -> None:
    """Issue 14: each bad row its own located message; a rejected file leaves no trace."""
    path = _csv(tmp_path, f"2026-02-30,03:00,KN-23,Sunan,success,{SRC}\n"
                          f"2026-02-02,99:00,KN-23,Sunan,success,{SRC}\n"
                          "2026-02-03,03:00,KN-23,Sunan,maybe,\n")
    problems = _problems(path)
    assert [(p.line, p.path) for p in problems] == [
        (2, "date"), (3, "time_utc"), (4, "outcome"), (4, "source")]
    assert all(p.file == str(path) for p in problems)
    assert not layer.exists() or not any(layer.rglob("*"))
    assert evidence.list_added() == []


# --- the panel: exactly where the KST rule says, and nowhere else ----------------------------


def test_a_launch_on_the_next_kst_day_changes_only_that_month() -> None:
    """docs/evidence.md, "Month assignment": 2026-01-31 16:30 UTC is 2026-02-01 01:30 KST, so
    the launch counts in 2026-02. The shipped-only panel is computed on its own; every shipped
    month is unchanged, 2026-01 and 2026-03 are observed zeros, 2026-02 holds the one launch,
    and no later month is in the panel (issue 14: unobserved, never a zero)."""
    shipped = evidence.monthly_panel(user_layer=False)
    path = Path(_tmp_csv("2026-01-31,16:30,Hwasong-18,Pyongyang,success," + SRC))
    user.add_evidence(path, through="2026-03-31", today=TODAY)
    panel = evidence.monthly_panel()

    assert str(panel.index[-1]) == "2026-03"
    assert list(panel.loc["2026-01":, "launch_events"]) == [0, 1, 0]
    assert list(panel.loc["2026-01":, "missiles"]) == [0, 1, 0]
    pd.testing.assert_frame_equal(panel.loc[:"2025-12"], shipped, check_dtype=False)
    flights = evidence.missile_launches()
    added = flights[flights["status"] == "user"]
    assert list(added["date"]) == ["2026-02-01"] and list(added["date_utc"]) == ["2026-01-31"]
    # a month no nuclear-test, diplomacy or sanctions batch observes is <NA>, not 0
    assert str(evidence.complete_through()) == "2025-12"
    for column in ("nuclear_test", "talks", "summit", "agreement", "unsc_resolution",
                   "unsc_veto"):
        assert panel.loc["2026-01":, column].isna().all(), column
    assert (panel.loc["2026-01":, "regime"] == shipped["regime"].iloc[-1]).all()


def test_a_launch_inside_the_record_changes_only_its_kst_month() -> None:
    """docs/evidence.md's KST rule inside the shipped span: 2025-05-31 16:30 UTC is a 1 June
    2025 launch; only 2025-06's launch_events and missiles rise by one, nothing else moves and
    the panel still ends in 2025-12."""
    shipped = evidence.monthly_panel(user_layer=False)
    user.add_evidence(_tmp_csv("2025-05-31,16:30,KN-23,Sunan,success," + SRC),
                      through="2025-12-31", today=TODAY)
    panel = evidence.monthly_panel()
    assert panel.index.equals(shipped.index)
    diff = panel[["launch_events", "missiles"]] - shipped[["launch_events", "missiles"]]
    assert diff.loc["2025-06"].tolist() == [1, 1]
    assert int(diff.to_numpy().sum()) == 2
    pd.testing.assert_frame_equal(panel.drop(columns=["launch_events", "missiles"]),
                                  shipped.drop(columns=["launch_events", "missiles"]))


def test_a_month_after_through_is_absent_not_zero() -> None:
    """Issue 14: "a month after [--through] is unobserved, never a zero". A source complete to
    15 March observes March only in part, so the panel ends in February and asking for March
    is refused."""
    user.add_evidence(_tmp_csv("2026-02-10,03:00,KN-23,Sunan,success," + SRC),
                      through="2026-03-15", today=TODAY)
    panel = evidence.monthly_panel()
    assert str(panel.index[-1]) == "2026-02"
    assert pd.Period("2026-03", freq="M") not in panel.index
    with pytest.raises(OptionsError) as info:
        evidence.monthly_panel(end="2026-03")
    assert "2026-02" in info.value.problems[0].allowed
    assert evidence.coverage()["launches"] == pd.Period("2026-02", freq="M")


def test_a_nuclear_test_batch_observes_its_months() -> None:
    """Issue 14 (nuclear tests are added evidence too): months a nuclear-tests batch observes
    in full hold 0/1; a month it observes only in part (through 15 March) stays NaN; a test on
    a shipped test's date is a duplicate."""
    user.add_evidence(_tmp_csv("2026-02-10,03:00,KN-23,Sunan,success," + SRC),
                      through="2026-03-31", today=TODAY)
    tests = _tmp_csv("2026-02-20,Punggye-ri,4.9,https://example.org/ctbto", name="t.csv",
                     header="date,site,magnitude_mb,source\n")
    batch = user.add_evidence(tests, through="2026-03-15", today=TODAY)
    assert batch.kind == "nuclear-tests"  # inferred from the header
    panel = evidence.monthly_panel()
    assert panel.loc["2026-01":"2026-02", "nuclear_test"].tolist() == [0.0, 1.0]
    assert pd.isna(panel.loc["2026-03", "nuclear_test"])  # observed only to the 15th
    assert evidence.nuclear_tests()["test_no"].max() == 7

    dup = _tmp_csv("2017-09-03,Punggye-ri,https://example.org/x", name="d.csv",
                   header="date,site,source\n")
    problem = _one(_problems(Path(dup), through="2025-12-31"), "date")
    assert "duplicates a shipped event" in problem.message


def test_diplomacy_and_sanctions_rows_are_checked() -> None:
    """The shipped CSVs' columns for diplomacy events and UNSC actions; a bad type or kind is
    located like any other field."""
    header = "date_start,date_end,date_precision,type,parties,label,signed_document,source\n"
    bad = _tmp_csv("2026-02-03,,day,lunch,US; DPRK,Meeting,0," + SRC, header=header,
                   name="dip.csv")
    assert _one(_problems(Path(bad)), "type").line == 2
    good = _tmp_csv("2026-02-03,,day,talks,US; DPRK,Working-level talks,0," + SRC,
                    header=header, name="dip2.csv")
    user.add_evidence(good, through="2026-02-28", today=TODAY)
    assert "Working-level talks" in set(evidence.diplomacy_events()["label"])

    header = "resolution,date,kind,status,vote,trigger,source\n"
    dup = _tmp_csv("S/RES/1718 (2006),2006-10-14,sanctions,adopted,15-0-0,test," + SRC,
                   header=header, name="s.csv")
    assert "duplicates a shipped UNSC action" in _one(_problems(Path(dup)), "resolution").message


# --- removing, the shipped files, the hash ---------------------------------------------------


def _file_hashes() -> dict[str, str]:
    return {name: hashlib.sha256(_data._data_path(name).read_bytes()).hexdigest()
            for name in _data.DATA_FILES}


def test_remove_restores_the_shipped_panel_and_hash(layer: Path) -> None:
    """Issue 14: "the shipped data are never modified"; a cache keyed on ``data_hash`` must not
    reuse a fit on different data, so the hash changes with the layer and returns on remove."""
    before_files, before_hash = _file_hashes(), evidence.data_hash()
    assert before_hash == evidence.data_hash(user_layer=False)
    batch = user.add_evidence(_tmp_csv("2026-01-31,16:30,KN-23,Sunan,success," + SRC),
                              through="2026-03-31", today=TODAY)
    assert evidence.data_hash() != before_hash
    assert evidence.data_hash(user_layer=False) == before_hash
    stored = layer / "evidence" / f"{batch.id}.csv"
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == batch.sha256
    assert [b.id for b in evidence.list_added()] == [batch.id]

    evidence.remove_added(batch.id[:6])
    assert evidence.list_added() == [] and not stored.exists()
    assert evidence.data_hash() == before_hash
    pd.testing.assert_frame_equal(evidence.monthly_panel(), evidence.monthly_panel(user_layer=False))
    assert _file_hashes() == before_files


def test_a_changed_batch_file_is_refused(layer: Path) -> None:
    """A stored batch is kept with its SHA-256; an edited file is a located error, not silently
    different data."""
    batch = user.add_evidence(_tmp_csv("2026-01-31,16:30,KN-23,Sunan,success," + SRC),
                              through="2026-03-31", today=TODAY)
    (layer / "evidence" / f"{batch.id}.csv").write_text(HEADER + "2026-01-01,unknown,x,y,success,z\n")
    with pytest.raises(EvidenceError) as info:
        evidence.monthly_panel()
    assert batch.id in info.value.problems[0].allowed


def test_data_folder_is_read_when_called(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$DETENTE_DATA is read at call time (as fit.py reads $DETENTE_CACHE), never on import."""
    monkeypatch.setenv("DETENTE_DATA", str(tmp_path / "elsewhere"))
    assert user.layer_dir() == tmp_path / "elsewhere" / "evidence"
    monkeypatch.delenv("DETENTE_DATA")
    assert user.data_dir() == Path.home() / ".local" / "share" / "detente"


# --- the CLI round trip ----------------------------------------------------------------------


def test_cli_add_list_remove(tmp_path: Path) -> None:
    """Issue 14's commands: ``evidence add FILE --through``, ``evidence list --added``,
    ``evidence remove ID``; bad input is one line per problem and exit 2."""
    path = _csv(tmp_path, f"2025-05-31,16:30,KN-23,Sunan,success,{SRC}\n")
    result = runner.invoke(app, ["evidence", "add", str(path), "--through", "2025-12-31",
                                 "--json"])
    assert result.exit_code == 0, result.output
    batch = json.loads(result.stdout)
    assert batch["kind"] == "launches" and batch["rows"] == 1

    result = runner.invoke(app, ["evidence", "list", "--added", "--json"])
    assert [b["id"] for b in json.loads(result.stdout)] == [batch["id"]]
    result = runner.invoke(app, ["evidence", "list", "--json"])
    summary = json.loads(result.stdout)
    assert summary["shipped"][0]["data"] == "launches" and summary["added"][0]["id"] == batch["id"]
    assert summary["data_hash"] != summary["data_hash_shipped"]
    assert runner.invoke(app, ["evidence", "list"]).exit_code == 0

    result = runner.invoke(app, ["evidence", "add", str(path), "--through", "2025-12-31"])
    assert result.exit_code == 2
    assert f"{path}:2:1: date: duplicates an added event" in result.stderr

    result = runner.invoke(app, ["evidence", "remove", batch["id"]])
    assert result.exit_code == 0 and batch["id"] in result.stdout
    assert json.loads(runner.invoke(app, ["evidence", "list", "--added", "--json"]).stdout) == []
    result = runner.invoke(app, ["evidence", "remove", batch["id"]])
    assert result.exit_code == 2 and "ID:" in result.stderr


def test_cli_missing_file_and_bad_through(tmp_path: Path) -> None:
    """Every error a located line and exit 2, never a traceback."""
    result = runner.invoke(app, ["evidence", "add", str(tmp_path / "nope.csv"), "--through",
                                 "2025-12-31"])
    assert result.exit_code == 2 and "nope.csv" in result.stderr
    path = _csv(tmp_path, f"2025-05-31,16:30,KN-23,Sunan,success,{SRC}\n")
    result = runner.invoke(app, ["evidence", "add", str(path), "--through", "31/12/2025"])
    assert result.exit_code == 2 and "--through" in result.stderr


_TMP: list[Path] = []


@pytest.fixture(autouse=True)
def _tmp_folder(tmp_path: Path):
    _TMP.append(tmp_path)
    yield
    _TMP.pop()


def _tmp_csv(row: str, header: str = HEADER, name: str = "launches.csv") -> Path:
    return _csv(_TMP[-1], row + "\n", header=header, name=name)


def test_a_salvo_is_one_row_with_a_missiles_count() -> None:
    """docs/evidence.md, "Unit of count": a launch event is a distinct KST launch day, and
    missiles are counted per flight; an added row with ``missiles = 3`` is one launch event and
    three missiles."""
    header = "date,time_utc,missile,facility,outcome,source,missiles\n"
    user.add_evidence(_tmp_csv("2025-05-31,16:30,KN-23,Sunan,success," + SRC + ",3",
                               header=header), through="2025-12-31", today=TODAY)
    shipped = evidence.monthly_panel(user_layer=False)
    panel = evidence.monthly_panel()
    assert (panel.loc["2025-06", "launch_events"] - shipped.loc["2025-06", "launch_events"],
            panel.loc["2025-06", "missiles"] - shipped.loc["2025-06", "missiles"]) == (1, 3)


def test_a_fit_never_reads_an_unobserved_month_as_zero() -> None:
    """Issue 14 ("a month after it is unobserved, never a zero") on the model side: with added
    launches through 2026-03 but no nuclear-test or sanctions batch, a fit without ``until``
    trains through 2025-12 (the last month every column the model reads is observed), and a
    window reaching into 2026 is refused with the unobserved column named."""
    from detente.dynamics.fit import TrainingWindow
    from detente.dynamics.model import model_data

    user.add_evidence(_tmp_csv("2026-01-31,16:30,Hwasong-18,Pyongyang,success," + SRC),
                      through="2026-03-31", today=TODAY)
    panel = evidence.monthly_panel()
    assert str(TrainingWindow.parse(None, panel).until) == "2025-12"
    with pytest.raises(OptionsError) as info:
        model_data(panel.loc["2025-01":"2026-02"])
    assert {p.path for p in info.value.problems} == {"nuclear_test", "unsc_resolution"}
    assert all("2026-01" in p.message for p in info.value.problems)


def test_an_added_provocation_is_a_crisis_event_and_leaves_the_regime_alone() -> None:
    """A user diplomacy file may carry the incident types and the optional note column; the
    row is listed by crisis-events and (docs/evidence.md) does not move the regime coding,
    while the same row as a breakdown would."""
    from detente.evidence.outcomes import crisis_events

    header = "date_start,date_end,date_precision,type,parties,label,signed_document,source,note\n"
    before = evidence.monthly_panel(user_layer=False)["regime"]
    row = "2025-07-15,,day,{kind},DPRK; ROK,Balloons again,0," + SRC + ",announced 16 Jul"
    path = _tmp_csv(row.format(kind="provocation"), header=header, name="inc.csv")
    user.add_evidence(path, through="2025-12-31", today=TODAY)
    added = crisis_events().set_index("date").loc["2025-07-15"]
    assert (added["kind"], added["note"]) == ("provocation", "announced 16 Jul")
    assert evidence.monthly_panel()["regime"].equals(before)
    breakdown = _tmp_csv(row.format(kind="breakdown"), header=header, name="brk.csv")
    user.add_evidence(breakdown, through="2025-12-31", today=TODAY)
    assert evidence.monthly_panel()["regime"].loc["2025-07"] == "crisis" != before.loc["2025-07"]
