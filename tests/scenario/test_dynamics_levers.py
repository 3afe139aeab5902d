"""The dynamics-lever registry matches the table in docs/scenario-format.md."""

from __future__ import annotations

import re
from pathlib import Path

from detente.scenario import DYNAMICS_LEVERS

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenario-format.md"


def test_registry_matches_the_documented_table() -> None:
    rows = re.findall(r"^\| `(\w+)` \| \[(\S+), (\S+)\] \| (\S+) \|", DOC.read_text(encoding="utf-8"),
                      flags=re.MULTILINE)
    assert rows, "the registry table is missing from docs/scenario-format.md"
    documented = {name: (float(lo), float(hi), float(neutral)) for name, lo, hi, neutral in rows}
    registered = {s.name: (s.low, s.high, s.neutral) for s in DYNAMICS_LEVERS.values()}
    assert registered == documented
