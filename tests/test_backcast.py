"""Back-casts (docs/backcasts.md): the JSON shape other tools read, and scores recomputed here.

Expected values are independent of ``detente.backcast``'s arithmetic: each score is recomputed in
the test from the forecast's median/interval, the coded outcome and the status quo read from the
scenario and the outcome files themselves.
"""

from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from detente.backcast import load_outcomes, outcome_cases
from detente.cli import app
from detente.scenario import load_scenario


def test_every_case_has_a_complete_sourced_coding():
    cases = outcome_cases()
    assert {"korea-2002", "korea-2017", "korea-2023"} <= set(cases)
    for case in cases:
        scn = load_scenario(case)
        coding = load_outcomes(case, scn)  # raises on a missing issue or an unknown source
        assert coding.outcome_date > str(scn.as_of)
        for issue_id, item in coding.issues.items():
            assert item.sources, (case, issue_id)
            assert item.range[0] <= item.value <= item.range[1]


@pytest.fixture(scope="module")
def backcast_json():
    result = CliRunner().invoke(app, ["backcast", "--json", "--draws", "24", "--seed", "5",
                                      "--no-store"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_backcast_json_shape_and_scores(backcast_json):
    doc = backcast_json
    assert len(doc["cases"]) >= 3
    yaml = YAML(typ="safe")
    for case in doc["cases"]:
        assert {"scenario", "as_of", "outcome_date", "issues"} <= set(case)
        scn = load_scenario(case["scenario"])
        from importlib import resources

        coded = yaml.load(resources.files("detente").joinpath(
            "scenarios", "outcomes", f"{case['scenario']}.yaml").read_text(encoding="utf-8"))
        for issue_id, item in case["issues"].items():
            sq = scn.issue(issue_id).status_quo.value
            outcome = coded["issues"][issue_id]["value"]
            assert item["status_quo"] == sq and item["outcome"] == outcome
            assert item["outcome_sources"]
            assert {"smp", "bdm", "nothing_changes"} <= set(item["forecasts"])
            for name, fc in item["forecasts"].items():
                for key in ("median", "lo", "hi", "abs_error", "direction_correct",
                            "in_interval"):
                    assert key in fc, (name, key)
                assert fc["lo"] <= fc["median"] <= fc["hi"]
                assert fc["abs_error"] == pytest.approx(abs(fc["median"] - outcome))
                assert fc["in_interval"] == (fc["lo"] <= outcome <= fc["hi"])

                assert fc["direction_correct"] == (_way(fc["median"], sq) == _way(outcome, sq))
            naive = item["forecasts"]["nothing_changes"]
            assert naive["median"] == naive["lo"] == naive["hi"] == sq


def _way(value: float, status_quo: float) -> int:
    """Direction of a change from the status quo, with the documented 2.5-point band."""
    return 0 if abs(value - status_quo) < 2.5 else (1 if value > status_quo else -1)


def test_backcast_summary_counts_the_cases(backcast_json):
    summary = backcast_json["summary"]
    per = summary["forecasters"]
    n = sum(len(c["issues"]) for c in backcast_json["cases"])
    for name in ("smp", "bdm", "nothing_changes"):
        assert per[name]["n_issues"] == n
        right = sum(c["issues"][i]["forecasts"][name]["direction_correct"]
                    for c in backcast_json["cases"] for i in c["issues"])
        assert per[name]["direction_correct"] == right
    for name in ("smp", "bdm"):
        assert per[name]["verdict"] in ("beats", "beaten", "tie")
        assert 0.0 <= per[name]["sign_test_p"] <= 1.0
    assert any("nothing changes" in line for line in backcast_json["lines"])
