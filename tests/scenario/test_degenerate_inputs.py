"""Degenerate inputs are named: a warning where the engines' answer would mean nothing.

The cases are the ones a fault campaign found passing silently (issue 13): every salience 0 (BDM
still reported a forecast while nobody moved), every actor at one position, one actor holding
nearly all capability. Expected texts follow from the definitions, not from a run.
"""

from __future__ import annotations

from pathlib import Path

from detente.scenario.load import read_scenario

HEADER = "Actor,Capability,Position,Salience\n"


def _warnings(tmp_path: Path, rows: str) -> list[str]:
    path = tmp_path / "case.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    loaded = read_scenario(path)
    assert loaded.scenario is not None, loaded.errors
    return [p.message for p in loaded.warnings]


def test_all_saliences_zero_is_named(tmp_path):
    found = _warnings(tmp_path, "A,10,20,0\nB,20,50,0\nC,30,80,0\n")
    assert any("every salience" in m and "is 0" in m for m in found)


def test_every_actor_at_one_position_is_named(tmp_path):
    found = _warnings(tmp_path, "A,10,40,50\nB,20,40,60\nC,30,40,70\n")
    assert any("every actor holds position 40" in m for m in found)


def test_one_dominant_actor_is_named(tmp_path):
    # 990 of 1000 capability units: a 99 % share
    found = _warnings(tmp_path, "A,990,20,50\nB,5,50,60\nC,5,80,70\n")
    assert any("A holds 99% of all capability" in m for m in found)


def test_an_ordinary_table_gets_none_of_these(tmp_path):
    found = _warnings(tmp_path, "A,10,20,50\nB,20,50,60\nC,30,80,70\n")
    assert not any("salience" in m or "holds" in m for m in found)
