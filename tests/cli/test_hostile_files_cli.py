"""Every class of hostile file issue 13's fuzz campaign found ends in exit 2 and one short line.

The classes and their example inputs are the issue's own list (each crashed with a traceback, or
hung, before): YAML nested ≥ 300 levels, a CSV field over 128 KiB, an impossible date
(``2023-02-30``, ``2023-13-45``), a complex mapping key, explicit tags with bad content
(``!!bool maybe``, ``!!float xyz``, ``!!omap``), an integer of more than 4 300 digits, a
billion-laughs alias file, a file over the size bound, a FIFO, a path longer than the OS allows.
Done when (issue 13): "each asserting exit 2, the file and a line or a field, and a message
under 300 characters" — the 300 counted beyond the file's own (pytest-made) path.
"""

from __future__ import annotations

import os
import re

import pytest
from typer.testing import CliRunner

from detente.cli import app

LAUGHS = "\n".join(
    ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{level}: &{level} [" + ", ".join([f"*{prev}"] * 10) + "]"
       for prev, level in zip("abcdefgh", "bcdefghi", strict=True)]) + "\n"

#: name -> (file name, content, expected line or None when the problem is the file as a whole)
CASES = {
    "deep-nesting": ("deep.yaml", "id: x\nitems: " + "[" * 300 + "]" * 300 + "\n", 2),
    "csv-field-over-128KiB": ("field.csv", "Actor,Capability,Position,Salience\n"
                              f'A,10,50,"{"x" * 140_000}"\nB,10,40,30\n', 2),
    "date-feb-30": ("feb30.yaml", "id: x\ntitle: t\nas_of: 2023-02-30\n", 3),
    "date-13-45": ("month13.yaml", "id: x\ntitle: t\nas_of: 2023-13-45\n", 3),
    "complex-key": ("key.yaml", "id: x\ntitle: t\n? [a, b]\n: 1\n", 3),
    "tag-bool-maybe": ("bool.yaml", "id: x\ntitle: t\nflag: !!bool maybe\n", 3),
    "tag-float-xyz": ("float.yaml", "id: x\ntitle: t\nflag: !!float xyz\n", 3),
    "tag-omap": ("omap.yaml", "id: x\ntitle: t\nflag: !!omap [1, 2]\n", 3),
    "tag-python": ("python.yaml", "id: !!python/object/apply:os.system [ls]\n", 1),
    "int-over-4300-digits": ("int.yaml", "id: x\ntitle: t\nbig: " + "9" * 5000 + "\n", 3),
    "billion-laughs": ("laughs.yaml", LAUGHS, 1),
}


def _validate(path: str):
    return CliRunner().invoke(app, ["validate", path], env={"COLUMNS": "1000"})


def _check(result, shown: str, line: int | None) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    problems = [x for x in result.output.splitlines() if x.startswith("error: ")]
    assert problems, result.output
    first = problems[0]
    assert shown in first
    if line is not None:
        assert re.search(rf"{re.escape(shown)}:{line}(:\d+)?: ", first), first
    assert len(first) - len(shown) < 300, first


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_file_exits_2_with_one_short_located_line(tmp_path, case):
    name, content, line = CASES[case]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = _validate(str(path))
    assert result.exit_code == 2, result.output
    _check(result, str(path), line)


def test_a_file_over_the_size_bound_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("DETENTE_MAX_SCENARIO_BYTES", "1000")
    path = tmp_path / "big.yaml"
    path.write_text("id: x\ntitle: t\nsummary: " + "a" * 2000 + "\n", encoding="utf-8")
    result = _validate(str(path))
    _check(result, str(path), None)
    assert "1,000" in result.output or "1000" in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    result = _validate(str(fifo))
    assert result.exit_code == 2 and str(fifo) in result.output, result.output
    _check(result, str(fifo), None)


def test_a_path_longer_than_the_os_allows_is_refused():
    result = _validate("a" * 5000 + ".yaml")
    assert result.exit_code == 2 and "cannot use the path" in result.output
    assert all(len(x) < 400 for x in result.output.splitlines())
