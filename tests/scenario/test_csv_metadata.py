"""A CSV scenario can carry what a table cannot: ``# as_of:`` and a ``Source`` column.

Issue 13 found that a CSV scenario could never validate clean (an unfixable "no as_of" warning,
and no way to source a number). docs/scenario-format.md ("Other formats read") now documents a
leading ``# as_of: YYYY-MM-DD`` comment line for plain and KTAB CSV and an optional ``Source``
column for plain CSV; these tests hold the loader to that text. Expected values are the
reference tables' own numbers (tests/reference/bargaining/*/cases, copied from their papers).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from detente.scenario.load import read_scenario

CHINA = "bargaining/bdm/cases/masad_china.csv"  # dmasad/BDM_DecisionModel_Replication
KTAB = "bargaining/smp/cases/SOE-Policy.csv"


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "detente.cli", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)


def _with_source(text: str, source: str) -> str:
    lines = text.strip().splitlines()
    return "\n".join([lines[0] + ",Source", *(row + f",{source}" for row in lines[1:])]) + "\n"


def test_plain_csv_with_as_of_and_sources_validates_clean(tmp_path, reference_dir):
    table = (reference_dir / CHINA).read_text(encoding="utf-8")
    path = tmp_path / "china.csv"
    path.write_text("# China case, Masad replication data\n# as_of: 2013-01-01\n"
                    + _with_source(table, "Masad replication ChinaData.csv"), encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 error(s), 0 warning(s), 0 unsourced number(s)" in done.stdout
    scenario = read_scenario(path).scenario
    assert scenario.as_of == dt.date(2013, 1, 1)
    assert {a.capability.source for a in scenario.actors} == {"Masad replication ChinaData.csv"}
    # the numbers are the table's, unchanged by the comment lines and the extra column
    plain = tmp_path / "plain.csv"
    plain.write_text(table, encoding="utf-8")
    base = read_scenario(plain).scenario
    assert [a.capability.value for a in scenario.actors] == [a.capability.value
                                                            for a in base.actors]


def test_bad_as_of_comment_is_located_at_its_line(tmp_path, reference_dir):
    table = (reference_dir / CHINA).read_text(encoding="utf-8")
    path = tmp_path / "china.csv"
    path.write_text("# free text first\n# as_of: 2023-13-45\n" + table, encoding="utf-8")
    loaded = read_scenario(path)
    assert loaded.scenario is None
    [problem] = loaded.errors
    assert (problem.line, problem.path) == (2, "# as_of") and "not a date" in problem.message
    done = _validate(path)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_unknown_source_id_in_the_source_column_is_one_problem(tmp_path, reference_dir):
    table = (reference_dir / CHINA).read_text(encoding="utf-8")
    path = tmp_path / "china.csv"
    path.write_text(_with_source(table, "nmc"), encoding="utf-8")  # an id, not a citation
    errors = read_scenario(path).errors
    rows = len(table.strip().splitlines()) - 1
    # one problem per row (its three numbers share the cell), at the Source column
    assert len(errors) == rows and {p.path for p in errors} == {"Source"}
    assert [p.line for p in errors] == list(range(2, rows + 2))


def test_ktab_csv_takes_an_as_of_comment_and_keeps_its_numbers(tmp_path, reference_dir):
    table = (reference_dir / KTAB).read_text(encoding="utf-8")
    path = tmp_path / "soe.csv"
    path.write_text("# as_of: 2012-06-30\n" + table, encoding="utf-8")
    dated = read_scenario(path)
    plain = tmp_path / "plain.csv"
    plain.write_text(table, encoding="utf-8")
    base = read_scenario(plain).scenario
    assert dated.scenario is not None, [p.format() for p in dated.errors]
    assert dated.scenario.as_of == dt.date(2012, 6, 30)
    assert not any("as_of" in p.message for p in dated.problems)
    assert [a.capability.value for a in dated.scenario.actors] == [
        a.capability.value for a in base.actors]


def test_a_hash_space_comment_is_not_read_as_a_decide_file(reference_dir, tmp_path):
    # decide's rows start with a tag (#A, #P, #M, #D, #0, #O, #/); '# ' is a comment
    from detente.scenario.interop import looks_like_decide

    assert looks_like_decide((reference_dir / "interop/decide/cop21.csv").read_text())
    assert not looks_like_decide("# as_of: 2023-09-14\nActor,Capability,Position,Salience\n")
