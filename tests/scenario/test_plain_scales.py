"""Plain stakeholder tables on other scales (issue 10 item 8): 0–1 tables are read as 0–1 and
mapped to 0–100 with a warning; 1–10 tables get a warning naming --scale (their numbers are valid
0–100 positions, so nothing is changed without it); --scale 1,10 maps them. Expected values are
the linear maps computed here by hand."""

from __future__ import annotations

import pytest

from detente.scenario import read_scenario

TABLE = "Actor,Capability,Position,Salience\nA,50,{a},0.8\nB,30,{b},0.5\nC,20,{c},0.9\n"


def _positions(loaded):
    return [a.stances["issue"].position.value for a in loaded.scenario.actors]


def test_a_zero_one_table_is_mapped_with_a_warning(tmp_path):
    path = tmp_path / "fractions.csv"
    path.write_text(TABLE.format(a=0.2, b=0.5, c=0.9), encoding="utf-8")
    loaded = read_scenario(path)
    assert _positions(loaded) == pytest.approx([20.0, 50.0, 90.0])
    assert any("0–1" in p.message and p.severity == "warning" for p in loaded.problems)


def test_a_one_to_ten_table_is_named_then_mapped_with_scale(tmp_path):
    path = tmp_path / "ten.csv"
    path.write_text(TABLE.format(a=1, b=4, c=10), encoding="utf-8")
    plain = read_scenario(path)
    assert _positions(plain) == [1.0, 4.0, 10.0]
    assert any("--scale 1,10" in (p.allowed or "") for p in plain.warnings)
    mapped = read_scenario(path, scale=(1, 10))
    assert _positions(mapped) == pytest.approx([0.0, 100 * 3 / 9, 100.0])
