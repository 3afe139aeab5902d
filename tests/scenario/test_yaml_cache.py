"""The stage cache of YAML reads (issue 16): a warm read is the cold read, problems included.

A scenario's YAML text read once is kept under the SHA-256 of the text and of the reader's rules
(:func:`detente.scenario.load.read_yaml_document`). Expected lines come from the fixture text
itself (the line the test wrote the field on), never from a first read; the hit is proven by
making the round-trip reader unusable for the second read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.scenario import load as scenario_load
from detente.scenario import load_scenario, validate

MINI = Path(__file__).parent / "mini-2023.yaml"


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("DETENTE_CACHE", str(cache))
    return cache / "stages"


def _no_reader(text: str, display: str) -> object:
    raise AssertionError("the round-trip reader ran: the cache did not answer")


def _entries(stages: Path) -> list[Path]:
    return sorted(stages.glob("yaml-*.pickle")) if stages.exists() else []


def test_a_warm_read_locates_warnings_on_the_lines_of_the_text(
        tmp_path: Path, own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # one unsourced number: validate warns for it on the line the test wrote it on
    text = MINI.read_text(encoding="utf-8").replace(
        "capability: {value: 7.3, source: nmc-v6, note: same construction as USA}",
        "capability: 7.3")
    line = text.splitlines().index("    capability: 7.3") + 1
    path = tmp_path / "bare.yaml"
    path.write_text(text, encoding="utf-8")
    expected = [("warning", line, "actors[2].capability", str(path))]

    cold = validate(path)
    assert [(p.severity, p.line, p.path, p.file) for p in cold] == expected
    assert len(_entries(own_cache)) == 1
    monkeypatch.setattr(scenario_load, "_parse_yaml", _no_reader)
    warm = validate(path)
    assert warm == cold
    # the same text under another name: the cached marks, the new file name
    other = tmp_path / "renamed.yaml"
    other.write_text(text, encoding="utf-8")
    assert [(p.line, p.file) for p in validate(other)] == [(line, str(other))]


def test_a_warm_read_gives_the_scenario_of_a_cold_one(
        own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = load_scenario(MINI)
    monkeypatch.setattr(scenario_load, "_parse_yaml", _no_reader)
    warm = load_scenario(MINI)
    assert warm == cold
    assert warm.model_dump(mode="json") == cold.model_dump(mode="json")


def test_a_refused_document_is_not_kept_and_names_each_file(
        tmp_path: Path, own_cache: Path) -> None:
    text = MINI.read_text(encoding="utf-8") + "\n\tbad: tab\n"  # YAML forbids tabs
    problems = []
    for name in ("a.yaml", "b.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        problems.append(validate(path))
    assert [p.file for found in problems for p in found] == [str(tmp_path / "a.yaml"),
                                                             str(tmp_path / "b.yaml")]
    assert all("tab" in found[0].allowed for found in problems)
    assert _entries(own_cache) == []


def test_an_entry_kept_under_a_larger_bound_does_not_answer_under_a_smaller_one(
        own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_scenario(MINI).id == "mini-2023"  # kept under the default bound
    monkeypatch.setenv("DETENTE_MAX_YAML_VALUES", "50")
    problems = validate(MINI)
    assert len(problems) == 1 and "more than 50 values" in problems[0].message


def test_a_damaged_entry_is_read_again(own_cache: Path) -> None:
    cold = load_scenario(MINI)
    (entry,) = _entries(own_cache)
    entry.write_bytes(b"not a pickle")
    assert load_scenario(MINI) == cold
    assert entry.read_bytes() != b"not a pickle"  # rewritten by the new read


_READ_PROBE = """
import json, sys
from detente.scenario import load_scenario
scenario = load_scenario(sys.argv[1])
print(json.dumps({"ruamel": sorted(m for m in sys.modules if m.split(".")[0] == "ruamel"),
                  "scenario": scenario.model_dump(mode="json")}, sort_keys=True))
"""


def _read_in_new_process(path: Path, cache: Path) -> dict:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "DETENTE_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", _READ_PROBE, str(path)], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ruamel_is_imported_only_to_parse_a_text_the_cache_lacks(tmp_path: Path) -> None:
    """ruamel's reader is the only user of ruamel on a read (issue 16 start-up): a new process
    that finds the YAML text in the cache, or reads a CSV scenario, never imports it, and the
    cold process (which must parse) does."""
    cache = tmp_path / "cache"
    cold = _read_in_new_process(MINI, cache)
    assert cold["ruamel"]  # parsing needs it
    warm = _read_in_new_process(MINI, cache)
    assert warm["ruamel"] == []
    assert warm["scenario"] == cold["scenario"]
    ktab = Path(__file__).parents[1] / "reference" / "bargaining" / "smp" / "cases" / \
        "dummyData_3Dim.csv"
    assert _read_in_new_process(ktab, tmp_path / "other-cache")["ruamel"] == []


def _typed(value: object) -> object:
    """A value with the type of every node spelled out (1 and 1.0, dates and text differ)."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, repr(value))


SHIPPED = sorted((Path(scenario_load.__file__).parents[1] / "scenarios").rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_yaml_file_reads_as_ruamels_safe_loader_reads_it(path: Path) -> None:
    """The argument, the outcome codings and the embedded scenarios are all read by the one
    shared reader (``read_yaml_document``); ruamel's own safe loader, which two of them used
    before, is the oracle: same nodes, same types."""
    from ruamel.yaml import YAML

    text = path.read_text(encoding="utf-8")
    doc = scenario_load.read_yaml_document(text, str(path))
    assert doc.problem is None
    assert _typed(doc.data) == _typed(YAML(typ="safe").load(text))


def test_argument_outcomes_and_titles_come_from_the_cache_when_warm(
        own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from detente.backcast import load_outcomes, outcome_cases
    from detente.policy.claims import load_argument
    from detente.scenario import scenarios

    assert len(SHIPPED) >= 7
    cold = (load_argument("korea-2023-column"),
            [load_outcomes(case) for case in outcome_cases()], scenarios())
    import ruamel.yaml

    # warm, no YAML parser may run at all: neither the shared reader's nor ruamel's own
    monkeypatch.setattr(scenario_load, "_parse_yaml", _no_reader)
    monkeypatch.setattr(ruamel.yaml, "YAML", _no_reader)
    warm = (load_argument("korea-2023-column"),
            [load_outcomes(case) for case in outcome_cases()], scenarios())
    assert warm == cold
    assert len(cold[1]) == 3 and cold[0]["claims"]
    assert [title for _, title in cold[2]] != [sid for sid, _ in cold[2]]  # titles were read


def test_a_shipped_data_file_that_is_not_a_mapping_is_refused_with_its_name(
        own_cache: Path) -> None:
    from detente.errors import ScenarioError

    with pytest.raises(ScenarioError) as caught:
        scenario_load.read_yaml_data("- a\n- b\n", "scenarios/outcomes/x.yaml", "an outcome file")
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.allowed) == (
        "scenarios/outcomes/x.yaml", 1, "an outcome file")
    with pytest.raises(ScenarioError) as caught:
        scenario_load.read_yaml_data("a: [1\n", "scenarios/arguments/y.yaml", "an argument")
    assert caught.value.problems[0].file == "scenarios/arguments/y.yaml"
    assert caught.value.problems[0].line is not None
