"""``detente scenarios | show | validate`` run as real subprocesses (exit codes, no tracebacks).

Expected values: the fixture tests/scenario/mini-2023.yaml (3 actors, 2 issues, all numbers
sourced), the shared plain CSV bdm1994_ec_emissions.csv (10 actors, no sources), and a broken
file whose marked line is found by text search.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO_TESTS = Path(__file__).resolve().parents[1] / "scenario"
MINI = SCENARIO_TESTS / "mini-2023.yaml"
BROKEN = SCENARIO_TESTS / "broken" / "salience_above_100.yaml"


def detente(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from detente.cli import main; main()", *args],
        capture_output=True, text=True, timeout=120,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
    )


def test_scenarios_lists_embedded() -> None:
    from detente.scenario import scenarios

    run = detente("scenarios")
    assert run.returncode == 0, run.stderr
    for scenario_id, _title in scenarios():
        assert scenario_id in run.stdout


def test_show_json_is_the_canonical_dump() -> None:
    run = detente("show", str(MINI), "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["id"] == "mini-2023"
    assert [a["id"] for a in data["actors"]] == ["USA", "DPRK", "ROK"]
    # USA talks position 55 sourced to yonhap-2023-07-18 (fixture text)
    talks = data["actors"][0]["stances"]["talks"]["position"]
    assert (talks["value"], talks["source"]) == (55.0, "yonhap-2023-07-18")


def test_show_table_has_actors_issues_and_sources() -> None:
    run = detente("show", str(MINI))
    assert run.returncode == 0, run.stderr
    for text in ("USA", "DPRK", "ROK", "talks", "sanctions", "55 / 40", "nmc-v6",
                 "engagement-with-incentives", "Correlates of War Project"):
        assert text in run.stdout


def test_validate_clean_file_exits_0() -> None:
    run = detente("validate", str(MINI))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 error(s), 0 warning(s), 0 unsourced" in run.stdout


def test_validate_unsourced_csv_exits_1(reference_dir: Path) -> None:
    path = reference_dir / "bargaining" / "bdm" / "cases" / "bdm1994_ec_emissions.csv"
    run = detente("validate", str(path))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "30 unsourced number(s)" in run.stdout  # 10 actors x 3 numbers
    assert f"{path}:2: Salience: unsourced number 80" in run.stdout


def test_validate_broken_file_exits_2_without_traceback() -> None:
    line, text = next((k + 1, text) for k, text in enumerate(BROKEN.read_text().splitlines())
                      if text.endswith("# <- broken"))
    column = text.index("value:") + 1  # the key the field path ends in, found by text search
    run = detente("validate", str(BROKEN))
    assert run.returncode == 2
    assert f"{BROKEN}:{line}:{column}: actors[1].stances.talks.salience.value" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.parametrize("command", ["show", "validate"])
def test_unknown_scenario_exits_2(command: str) -> None:
    run = detente(command, "no-such-scenario")
    assert run.returncode == 2
    assert "no such file or embedded scenario" in run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr


def test_show_broken_file_exits_2_with_located_problem() -> None:
    run = detente("show", str(BROKEN))
    assert run.returncode == 2
    assert "actors[1].stances.talks.salience.value" in run.stderr
    assert "Traceback" not in run.stderr
