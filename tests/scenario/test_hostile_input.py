"""Hostile and malformed scenario files end in located problems, never a traceback or a hang.

Expected outcomes come from the YAML 1.2 specification (aliases, tags, complex keys), the
calendar (2023-13-45 is no date) and POSIX file types; nothing here is a number détente computed.
The fuzz test mutates the embedded Korea scenario at random and requires that reading it either
succeeds or reports problems — any other exception is a bug.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente import limits
from detente.cli import app
from detente.errors import OptionsError, Problem
from detente.scenario.embedded import embedded_text
from detente.scenario.load import read_scenario


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _only_error(loaded) -> Problem:
    assert loaded.scenario is None
    assert len(loaded.errors) == 1, loaded.errors
    return loaded.errors[0]


def test_billion_laughs_is_refused_before_expansion(tmp_path):
    # nine levels of ten aliases each expand to 10**9 strings if followed
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    prev = "a"
    for level in "bcdefghi":
        lines.append(f"{level}: &{level} [" + ", ".join([f"*{prev}"] * 10) + "]")
        prev = level
    path = _write(tmp_path, "laughs.yaml", "\n".join(lines) + "\n")
    problem = _only_error(read_scenario(path))
    assert "expands to more than" in problem.message and problem.file == str(path)


def test_deep_nesting_is_refused(tmp_path):
    path = _write(tmp_path, "deep.yaml", "[" * 5000 + "]" * 5000 + "\n")
    assert "nesting deeper" in _only_error(read_scenario(path)).message
    path = _write(tmp_path, "deep2.yaml", "[" * 60 + "]" * 60 + "\n")
    assert "nesting deeper" in _only_error(read_scenario(path)).message


def test_python_tag_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, "tag.yaml", "title: t\nid: !!python/object/apply:os.system [ls]\n")
    problem = _only_error(read_scenario(path))
    assert "tag" in problem.message and problem.line == 2


def test_complex_key_is_refused_with_its_line(tmp_path):
    path = _write(tmp_path, "key.yaml", "title: t\n? [a, b]\n: 1\n")
    problem = _only_error(read_scenario(path))
    assert "key must be text" in problem.message and problem.line == 2


def test_impossible_date_is_located(tmp_path):
    path = _write(tmp_path, "date.yaml", "id: x\ntitle: t\nas_of: 2023-13-45\n")
    problem = _only_error(read_scenario(path))
    assert "2023-13-45 is not a calendar date" in problem.message and problem.line == 3


def test_enormous_integer_is_located(tmp_path):
    # CPython refuses int strings over sys.get_int_max_str_digits() (4300 by default) with a
    # bare ValueError; the reader names the line instead
    path = _write(tmp_path, "int.yaml", "id: x\ntitle: t\nbig: " + "9" * 5000 + "\n")
    problem = _only_error(read_scenario(path))
    assert "digits" in problem.message and problem.line == 3


def test_csv_error_does_not_echo_an_enormous_cell(tmp_path):
    path = _write(tmp_path, "big.csv", "Actor,Capability,Position,Salience\n"
                  f"A,{'9' * 5000}x,50,50\nB,10,40,30\nC,10,60,20\n")
    problem = _only_error(read_scenario(path))
    assert problem.line == 2 and len(problem.format()) < 300


def test_csv_field_over_the_csv_module_limit_is_located(tmp_path):
    # the csv module refuses fields over csv.field_size_limit() (131 072) with csv.Error
    path = _write(tmp_path, "field.csv", "Actor,Capability,Position,Salience\n"
                  f'A,10,50,"{"x" * 200_000}"\nB,10,40,30\nC,10,60,20\n')
    problem = _only_error(read_scenario(path))
    assert "CSV row cannot be read" in problem.message and problem.line is not None


@pytest.mark.parametrize("value", ["!!bool maybe", "!!float xyz", "!!omap [1, 2]"])
def test_tag_ruamel_cannot_build_is_located(tmp_path, value):
    path = _write(tmp_path, "badtag.yaml", f"id: x\ntitle: t\nflag: {value}\n")
    problem = _only_error(read_scenario(path))
    assert ("tag" in problem.message or "cannot be built" in problem.message)
    assert problem.line == 3


def test_path_longer_than_the_os_allows_is_a_problem():
    problem = _only_error(read_scenario("a" * 5000 + ".yaml"))
    assert "cannot use the path" in problem.message and len(problem.format()) < 300


MINI = Path(__file__).parent / "mini-2023.yaml"


def test_long_id_is_refused_in_a_short_line(tmp_path):
    # ids are slugs of at most 64 characters (docs/scenario-format.md); the message elides
    text = MINI.read_text(encoding="utf-8").replace("id: mini-2023", "id: " + "a" * 10_000, 1)
    path = _write(tmp_path, "id.yaml", text)
    problem = _only_error(read_scenario(path))
    assert problem.path == "id" and "not a valid id" in problem.message
    assert (problem.line, problem.column) == (4, 1)  # the id key of mini-2023.yaml, line 4
    # the bound is on what détente adds: the temporary folder's own path is pytest's
    assert len(problem.format()) - len(str(path)) < 300 and "\n" not in problem.format()


def test_million_character_text_is_refused_at_its_field(tmp_path):
    # docs/scenario-format.md "Limits": text values of at most MAX_TEXT_CHARS characters
    text = MINI.read_text(encoding="utf-8").replace(
        "title: Korean Peninsula subset, mid-September 2023", "title: " + "a" * 1_000_000, 1)
    path = _write(tmp_path, "title.yaml", text)
    problem = _only_error(read_scenario(path))
    assert problem.path == "title" and "1,000,000 characters" in problem.message
    assert problem.line == 5 and f"{limits.MAX_TEXT_CHARS:,}" in problem.allowed
    assert len(problem.format()) - len(str(path)) < 300


def test_a_scenario_without_actors_or_issues_is_refused(tmp_path):
    # nothing to bargain over: issue 13 ("a scenario with no issues or no actors")
    path = _write(tmp_path, "empty.yaml", "id: e\ntitle: t\nas_of: 2023-09-14\nsummary: s\n"
                  "sources: []\nissues: []\nactors: []\n")
    loaded = read_scenario(path)
    assert loaded.scenario is None
    assert sorted(p.path for p in loaded.errors) == ["actors", "issues"]
    assert all(p.line in (6, 7) for p in loaded.errors)


def test_actor_count_beyond_the_bound_is_refused(tmp_path, monkeypatch):
    # mini-2023 has three actors; a bound of two refuses it and names the override
    monkeypatch.setenv("DETENTE_MAX_ACTORS", "2")
    problem = _only_error(read_scenario(MINI))
    assert problem.path == "actors" and "3 actors" in problem.message
    assert "DETENTE_MAX_ACTORS" in problem.allowed


def test_problem_lines_stay_one_bounded_line():
    long = Problem("x\n" * 10_000, file="f" * 10_000, line=2, path="p" * 10_000,
                   allowed="q" * 10_000).format()
    assert "\n" not in long and " … " in long and len(long) < 700  # 300 + 80 + 160 + 120 + glue


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    # reading a FIFO with no writer blocks forever; run it in a thread so a regression fails
    result: list = []
    worker = threading.Thread(target=lambda: result.append(read_scenario(fifo)), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # unblock the reader before failing
        with open(fifo, "w"):
            pass
        pytest.fail("read_scenario blocked on a FIFO")
    assert "not a regular file" in _only_error(result[0]).message


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setenv("DETENTE_MAX_SCENARIO_BYTES", "1000")
    path = _write(tmp_path, "big.yaml", "# " + "x" * 2000 + "\n")
    problem = _only_error(read_scenario(path))
    assert "more than the 1,000" in problem.message


def test_too_many_draws_is_refused_with_the_memory_estimate(monkeypatch):
    from detente.bargaining.forecast import forecast
    from detente.scenario.load import load_scenario

    scenario = load_scenario("korea-2023")
    monkeypatch.setenv("DETENTE_MAX_DRAW_CELLS", "1000")
    with pytest.raises(OptionsError) as caught:
        forecast(scenario, model="bdm", draws=100, seed=1)
    problem = caught.value.problems[0]
    assert problem.path == "draws" and "GiB" in problem.message
    # the bound states how many draws would fit: 1000 cells / (actors × issues)
    n_cells = len(scenario.actors) * len(scenario.issues)
    assert f"at most {1000 // n_cells:,} draws" in problem.allowed


def test_cli_refuses_ten_million_draws_without_a_traceback(tmp_path):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "detente.cli", "forecast", "korea-2023",
                          "--draws", "10000000"], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "Traceback" not in run.stderr + run.stdout
    assert "GiB" in run.stderr + run.stdout


KOREA_TEXT = embedded_text("korea-2023")[0]
#: Examples per fuzz test: a bounded budget in `make test`; `make fuzz` sets
#: DETENTE_FUZZ_EXAMPLES for a longer, randomised search.
FUZZ_EXAMPLES = int(os.environ.get("DETENTE_FUZZ_EXAMPLES", "0"))


def _exits_cleanly(path: Path) -> None:
    """`detente validate` on the file: exit 0, 1 or 2 and no exception (issue 13, item 8)."""
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code in (0, 1, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output


@settings(max_examples=FUZZ_EXAMPLES or 150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.integers(0, len(KOREA_TEXT) - 1),
                                st.integers(0, 40),
                                st.text(alphabet=st.sampled_from(list(":-[]{}&*!?|>'\"#\n\t 0123456789.ae")),
                                        max_size=6)),
                      min_size=1, max_size=4))
def test_fuzzed_korea_scenario_never_raises(tmp_path, edits):
    text = KOREA_TEXT
    for start, length, insert in edits:
        start %= max(len(text), 1)
        text = text[:start] + insert + text[start + length:]
    path = tmp_path / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = read_scenario(path)  # any exception fails the test
    assert loaded.scenario is not None or loaded.errors
    for problem in loaded.problems:
        assert problem.file == str(path)
    _exits_cleanly(path)


REFERENCE = Path(__file__).resolve().parents[1] / "reference"
#: one file per tabular format: plain stakeholder CSV (BDM 1994 EC emissions, the Scholz et al.
#: 2011 table), KTAB SMP CSV, decide's tagged file
TABLES = {
    "plain.csv": REFERENCE / "bargaining/bdm/cases/bdm1994_ec_emissions.csv",
    "ktab.csv": REFERENCE / "bargaining/smp/cases/SOE-Policy.csv",
    "decide.csv": REFERENCE / "interop/decide/copenhagen.csv",
}


@pytest.mark.parametrize("name", sorted(TABLES))
@settings(max_examples=FUZZ_EXAMPLES or 60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_tables_never_raise(tmp_path, name, data):
    text = TABLES[name].read_text(encoding="utf-8-sig")
    edits = data.draw(st.lists(st.tuples(
        st.integers(0, len(text) - 1), st.integers(0, 20),
        st.text(alphabet=st.sampled_from(list(',;"\'#\t\n\r 0123456789.-eEnaiAP\x00')),
                max_size=5)), min_size=1, max_size=4))
    for start, length, insert in edits:
        start %= max(len(text), 1)
        text = text[:start] + insert + text[start + length:]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    loaded = read_scenario(path)  # any exception fails the test
    assert loaded.scenario is not None or loaded.errors
    _exits_cleanly(path)


def test_a_document_over_the_value_bound_is_refused_before_it_is_built(monkeypatch):
    # mini-2023.yaml holds a few hundred values: a bound of 100 stops it at a line, counted by
    # libyaml before the (slow) round-trip reader builds anything
    monkeypatch.setenv("DETENTE_MAX_YAML_VALUES", "100")
    problem = _only_error(read_scenario(MINI))
    assert "more than 100 values" in problem.message and problem.line is not None
    assert "DETENTE_MAX_YAML_VALUES" in problem.allowed


def test_libyaml_depth_limit_is_reported_as_nesting():
    # 5 000 open brackets: libyaml stops at its own 1 000-level bound before any event
    from detente.scenario.load import _prescan

    problem = _prescan("[" * 5000 + "]" * 5000 + "\n", "deep.yaml")
    assert problem is not None and "nesting deeper" in problem.message and problem.line == 1
