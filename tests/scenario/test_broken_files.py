"""Every load rule of docs/scenario-format.md has a broken file that must fail at a known place.

Each ``broken/*.yaml`` file is the valid ``mini-2023.yaml`` with one thing broken. Its header
says which field path must be reported (``# expect-path:``) and the broken line carries an
end-of-line marker comment; the expected line number is where that marker sits in the file,
found here by plain text search, independently of the loader. CSV files cannot carry comments,
so their expected row and column are written in ``CSV_CASES`` (rows counted by hand, the
first row of the file being line 1). A YAML problem also carries the column of the key it names
(issue 13: "file, line and column from the YAML mark"), checked against the marked line's text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from detente.errors import ScenarioError
from detente.scenario import load_scenario, read_scenario

BROKEN = Path(__file__).parent / "broken"
MARKER = "# <- broken"
YAML_CASES = sorted(BROKEN.glob("*.yaml"))


def _expectation(path: Path) -> tuple[int, str | None]:
    """(marked line, expected field path or None) read from the file's own text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    marked = [k + 1 for k, line in enumerate(lines) if line.rstrip().endswith(MARKER)]
    assert len(marked) == 1, f"{path.name}: exactly one marked line expected"
    expect = next(line.split(":", 1)[1].strip() for line in lines
                  if line.startswith("# expect-path:"))
    return marked[0], None if expect == "-" else expect


def test_enough_distinct_broken_files() -> None:
    # Issue #2, "Done when": at least 15 distinct broken files.
    assert len(YAML_CASES) + len(CSV_CASES) >= 15


@pytest.mark.parametrize("path", YAML_CASES, ids=[p.stem for p in YAML_CASES])
def test_broken_yaml_reports_file_line_and_field(path: Path) -> None:
    line, field = _expectation(path)
    shown = str(path)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(shown)
    problems = caught.value.problems
    hits = [p for p in problems if p.line == line and p.path == field]
    assert hits, [p.format() for p in problems]
    problem = hits[0]
    assert problem.severity == "error"
    assert problem.file == shown
    text = problem.format()
    assert text.startswith(f"{shown}:{line}:{problem.column}: ")
    # the column, found independently by text search: where the path's last key sits on the
    # marked line, when that key appears there once
    marked = path.read_text(encoding="utf-8").splitlines()[line - 1]
    last = re.split(r"[.\[]", field)[-1] if field else ""
    if last and not last.endswith("]") and marked.count(f"{last}:") == 1:
        assert problem.column == marked.index(f"{last}:") + 1, text
    if field is not None:
        assert f": {field}: " in text
    assert problem.allowed, "every problem says what is allowed"
    # the error as a whole names the file and carries the same problems (no traceback needed)
    assert shown in caught.value.format()


# file, line (counted by hand), column name, words the message must contain
CSV_CASES = [
    ("plain_salience_above_100.csv", 4, "Salience", "140"),
    ("plain_capability_not_a_number.csv", 3, "Capability", "'high'"),
    ("plain_capability_negative.csv", 3, "Capability", "-0.08"),
    ("plain_missing_salience_column.csv", 1, "header", "Salience"),
    ("ktab_actor_count_mismatch.csv", 1, "number of actors", "4"),
    ("ktab_position_above_100.csv", 4, "Pstn1", "120"),
    ("ktab_saliences_sum_above_100.csv", 5, "Sal2", "110"),
]


@pytest.mark.parametrize(("name", "line", "column", "words"), CSV_CASES,
                         ids=[c[0] for c in CSV_CASES])
def test_broken_csv_reports_file_row_and_column(name: str, line: int, column: str,
                                                words: str) -> None:
    shown = str(BROKEN / name)
    loaded = read_scenario(shown)
    assert loaded.scenario is None
    hits = [p for p in loaded.errors if p.line == line and p.path == column]
    assert hits, [p.format() for p in loaded.errors]
    assert hits[0].file == shown
    assert words in hits[0].message


def test_missing_file_and_unknown_id_are_scenario_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(missing)
    assert str(missing) in caught.value.format()
    with pytest.raises(ScenarioError) as caught:
        load_scenario("no-such-scenario-id")
    assert "embedded id" in caught.value.problems[0].allowed


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(empty)
    assert caught.value.problems[0].message == "the document is empty"
