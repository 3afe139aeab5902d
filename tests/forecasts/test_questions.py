"""Question files: the shipped set, and located errors in a user's file."""

from __future__ import annotations

import pytest

from detente.errors import OptionsError, ScenarioError
from detente.forecasts import date_questions, load_questions, parse_questions


def test_the_default_set_is_dated_from_the_as_of_month():
    qset = load_questions()
    dated = date_questions(qset, "2025-12")
    ids = [q.id for q in dated]
    assert qset.id == "korea-default" and len(ids) == len(set(ids)) == 20
    monthly = [q for q in dated if q.type == "count"]
    assert [q.window_start for q in monthly] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert all(q.window_start == q.window_end for q in monthly)
    by_id = {q.id: q for q in dated}
    assert (by_id["nuclear-test-6m"].window_start, by_id["nuclear-test-6m"].window_end) == (
        "2026-01", "2026-06")
    assert by_id["nuclear-test-12m"].window_end == "2026-12"
    assert {q.outcome for q in dated} >= {"launch_days", "nuclear_test", "new_system_debut",
                                          "us_dprk_leader_meeting", "unsc_sanctions_resolution"}
    assert "{start}" not in by_id["launch-days-m03"].text and "2026-03" in by_id[
        "launch-days-m03"].text


GOOD = """\
id: mine
title: Mine
questions:
  - id: a
    text: t
    resolution: r
    outcome: launch_days
    type: count
    window: {start: "2030-01", end: "2030-01"}
    source: s
"""


def _problems(text: str):
    with pytest.raises(ScenarioError) as err:
        parse_questions(text, "mine.yaml")
    return err.value.problems


def test_a_good_file_reads():
    q = parse_questions(GOOD, "mine.yaml")
    assert q.questions[0].window.start == "2030-01"


def test_errors_are_located_by_line_and_field():
    bad = GOOD.replace("    source: s\n", "    source: s\n    colour: red\n").replace(
        "outcome: launch_days", "outcome: launch_dayz")
    problems = _problems(bad)
    by_path = {p.path: p for p in problems}
    assert by_path["questions[0].colour"].line == 11
    assert "source" in by_path["questions[0].colour"].allowed
    assert by_path["questions[0].outcome"].line == 7
    assert "new_system_debut" in by_path["questions[0].outcome"].allowed
    assert all(p.file == "mine.yaml" for p in problems)


def test_a_count_over_several_months_and_a_bad_month_are_refused():
    problems = _problems(GOOD.replace('end: "2030-01"', 'end: "2030-03"'))
    assert "one month" in problems[0].message and problems[0].line == 4
    problems = _problems(GOOD.replace('start: "2030-01"', 'start: "2030-13"'))
    assert problems[0].path == "questions[0].window.start" and problems[0].line == 9
    assert "+N" in problems[0].allowed


def test_syntax_errors_duplicates_and_missing_fields():
    problems = _problems("id: x\ntitle: [unclosed\n")
    assert problems[0].line is not None and "YAML" in problems[0].message
    twice = GOOD + GOOD.split("questions:\n")[1]
    assert "twice" in _problems(twice)[0].message
    problems = _problems(GOOD.replace("    source: s\n", ""))
    assert problems[0].path == "questions[0].source" and "missing" in problems[0].message


def test_a_window_not_after_the_as_of_month_is_refused():
    qset = parse_questions(GOOD, "mine.yaml")
    with pytest.raises(OptionsError) as err:
        date_questions(qset, "2030-01")
    assert err.value.problems[0].path == "questions[0].window.start"
