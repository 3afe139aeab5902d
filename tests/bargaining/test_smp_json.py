"""``detente forecast KTAB.csv --model smp --json`` carries the SMP-only fields.

Expected numbers come from the shared reference: the saliences from the KTAB input file itself
(KTAB CSVs keep their numbers: docs/smp.md), and the number of turns from
``smp/expected/cases.csv`` (KTAB's own run).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest


def _ktab_saliences(path) -> dict[str, float]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    # row 0: scenario line; row 1: header; then Actor, Description, Capability, pos, sal, ...
    return {row[0].strip(): float(row[4]) for row in rows[2:] if row and row[0].strip()}


def test_smp_json_has_modal_position_stop_reason_and_saliences(reference_dir) -> None:
    case = reference_dir / "bargaining" / "smp" / "cases" / "SOE-Policy.csv"
    with open(reference_dir / "bargaining" / "smp" / "expected" / "cases.csv",
              encoding="utf-8") as fh:
        turns = {r["case"]: int(r["turns"]) for r in csv.DictReader(fh)}["SOE-Policy"]
    proc = subprocess.run(
        [sys.executable, "-m", "detente.cli", "forecast", str(case), "--model", "smp", "--json"],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    (issue,) = out["issues"].values()
    assert issue["stop_reason"]
    assert 0.0 < issue["modal_probability"] <= 1.0
    assert min(issue["positions_by_round"][-1]) <= issue["modal_position"] <= 100.0
    assert len(issue["expected_by_turn"]) == turns + 1
    expected = _ktab_saliences(case)
    assert sorted(issue["salience_used"].values()) == pytest.approx(sorted(expected.values()))
