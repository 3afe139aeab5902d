"""Names and notes from a scenario reach the terminal literally (issue 13 item 5): an actor
named ``[/bold]`` (Rich markup that used to crash ``forecast``), a note with ``[link=…]`` markup,
and names with raw escape sequences (clear screen, an OSC-8 hyperlink) print as text, in every
command; the escape characters themselves never reach the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app

MINI = Path(__file__).resolve().parents[1] / "scenario" / "mini-2023.yaml"
CLEAR, LINK = "\x1b[2J", "\x1b]8;;http://example.invalid\x1b\\click\x1b]8;;\x1b\\"


@pytest.fixture()
def hostile(tmp_path):
    text = MINI.read_text(encoding="utf-8")
    text = text.replace("    name: United States", "    name: \"[/bold] United States\"", 1)
    text = text.replace("    name: North Korea", f"    name: \"North Korea {CLEAR}{LINK}\"", 1)
    text = text.replace("note: Mean of CINC", "note: \"[link=http://example.invalid]x[/link] "
                                                "Mean of CINC", 1)
    text = text.replace("largest actor = 100\n", "largest actor = 100\"\n", 1)
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("args", [
    ["forecast", "{path}", "--model", "bdm", "--no-store"],
    ["forecast", "{path}", "--model", "all", "--no-store"],
    ["show", "{path}"],
    ["validate", "{path}"],
])
def test_every_command_prints_names_literally(hostile, args):
    result = CliRunner().invoke(app, [a.format(path=hostile) for a in args],
                                env={"COLUMNS": "250"})
    assert result.exit_code in (0, 1), result.output
    out = result.output
    assert "\x1b" not in out
    if args[0] == "show":  # show lists notes (and ids, not names)
        assert "[link=http://example.invalid]x[/link]" in " ".join(out.split())
    if args[:3] == ["forecast", "{path}", "--model", "bdm"][:3] and "bdm" in args:
        assert "[/bold] United States" in out  # the movers line names the actors
