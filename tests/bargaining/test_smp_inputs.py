"""SMP inputs: KTAB's validation rules, the salience conversion, options, API and CLI faces.

Expected values: KTAB's input rules are SPEC §1 of the SMP reference; the salience rule is the
one documented in ``detente.bargaining.smp`` (worked by hand below); CLI expectations are the
exit codes of ``detente.errors`` (2 for bad input) and the texts the command must show.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.bargaining import smp
from detente.bargaining.forecast import forecast
from detente.cli import app
from detente.errors import OptionsError, ScenarioError


def _ok(n: int = 4, m: int = 2):
    cap = np.linspace(10, 40, n)
    pos = np.linspace(5, 95, n * m).reshape(n, m)
    sal = np.full((n, m), 100.0 / (m + 1))
    return cap, pos, sal


# ----------------------------------------------------------------------------- KTAB rules (§1)
@pytest.mark.parametrize("mutate, path, words", [
    (lambda c, p, s: (c[:2], p[:2], s[:2]), "actors", "3 to 250"),
    (lambda c, p, s: (c, p.__setitem__((1, 0), 120.0) or p, s), "actors[1].stances.d0.position",
     "[0, 100]"),
    (lambda c, p, s: (c, p.__setitem__((2, 1), -1.0) or p, s), "actors[2].stances.d1.position",
     "[0, 100]"),
    (lambda c, p, s: (c, p, s.__setitem__((0, 0), 101.0) or s), "actors[0].stances.d0.salience",
     "[0, 100]"),
    (lambda c, p, s: (c, p, s.__setitem__((3, slice(None)), 60.0) or s), "actors[3].stances",
     "sum to 120"),
    (lambda c, p, s: (c.__setitem__(0, 0.0) or c, p, s), "actors[0].capability", "(0, 1e8]"),
    (lambda c, p, s: (c.__setitem__(1, 2e8) or c, p, s), "actors[1].capability", "(0, 1e8]"),
    (lambda c, p, s: (c.__setitem__(2, np.nan) or c, p, s), "actors[2].capability", "(0, 1e8]"),
    (lambda c, p, s: (c, p, s.__setitem__((1, slice(None)), 0.0) or s), "actors[1].stances",
     "salience 0 on every issue"),
])
def test_ktab_input_rules_raise_located_errors(mutate, path, words):
    cap, pos, sal = mutate(*_ok())
    with pytest.raises(ScenarioError) as info:
        smp.run_smp(cap, pos, sal, actor_ids=tuple(f"A{i}" for i in range(len(cap))),
                    dim_ids=("d0", "d1"), file="case.csv")
    problems = info.value.problems
    assert any(p.path == path and words in p.message and p.file == "case.csv"
               and p.allowed for p in problems), [p.format() for p in problems]


def test_too_many_actors_is_rejected():
    cap = np.ones(251)
    pos = np.linspace(0, 100, 251)[:, None]
    with pytest.raises(ScenarioError, match="3 to 250"):
        smp.run_smp(cap, pos, np.full((251, 1), 50.0))


def test_identical_actors_give_a_clear_error_not_a_crash():
    """Equal actors make every win probability equal; R = 0/0 (SPEC §4 step 4)."""
    with pytest.raises(ScenarioError, match="equally likely"):
        smp.run_smp(np.ones(3), np.full((3, 1), 50.0), np.full((3, 1), 50.0))


def test_options_are_validated_with_named_fields():
    with pytest.raises(OptionsError) as info:
        smp.SMPOptions(voting_rule="majority", rounds=0, stop_ratio=2.0)
    paths = {p.path for p in info.value.problems}
    assert paths == {"smp.voting_rule", "smp.rounds", "smp.stop_ratio"}
    with pytest.raises(OptionsError, match="unknown smp options"):
        smp.run_smp(*_ok(), options={"bogus": 1})


# ----------------------------------------------------------------------------- salience rule
def test_salience_budget_rule_by_hand():
    """Ratings (50, 30, 40) sum to 120 > 100 → shares of 100: (41.67, 25, 33.33);
    ratings (20, 30, 0) sum to 50 → unchanged; (100, 0, 0) → unchanged (exactly 100)."""
    got = smp.ktab_saliences(np.array([[50.0, 30.0, 40.0], [20.0, 30.0, 0.0],
                                       [100.0, 0.0, 0.0]]))
    np.testing.assert_allclose(got, [[250 / 6, 25.0, 100 / 3], [20, 30, 0], [100, 0, 0]],
                               rtol=1e-15)


def test_one_issue_runs_keep_their_ratings():
    sal = np.array([[80.0], [15.0], [100.0]])
    np.testing.assert_array_equal(smp.ktab_saliences(sal), sal)


def test_salience_rule_is_applied_in_forecasts_and_shown():
    """Korea 2023: every actor rates its six issues above 100 in total, so each issue's
    salience used is the rating over the actor's total × 100 (recomputed from the scenario),
    also on the issues bargained in runs of their own (issue influence, bilateral rules): the
    attention budget is the actor's across all its issues."""
    from detente.scenario import load_scenario

    arrays = load_scenario("korea-2023").arrays()
    fc = forecast("korea-2023", model="smp")
    assert fc.options["salience_rule"] == "budget"
    totals = arrays.salience.sum(axis=1)
    for k, issue in enumerate(arrays.issue_ids):
        res = fc.results[issue]
        rows = [arrays.actor_ids.index(a) for a in res.actor_ids]
        np.testing.assert_allclose(res.salience_used, 100 * arrays.salience[rows, k]
                                   / totals[rows], rtol=1e-12)
        assert 0.0 <= res.forecast <= 100.0
        assert 0.0 < res.modal_probability <= 1.0
        assert res.stop_reason in ("converged", "turn-limit", "consensus")


def test_as_is_rule_refuses_ratings_above_the_budget():
    with pytest.raises(ScenarioError, match="sum to"):
        forecast("korea-2023", model="smp", options={"salience_rule": "as-is"})


def test_absent_actor_is_left_out_of_that_issue():
    """An actor absent from an issue has no row in that issue's result (result.py contract)."""
    from detente.scenario import load_scenario

    text = """\
id: smp-absent
title: Absent actor fixture
issues:
  - {id: a, name: A, low: none, high: all}
  - {id: b, name: B, low: none, high: all, absent: [Z]}
actors:
  - {id: X, name: X, capability: 40, stances: {a: {position: 10, salience: 40}, b: {position: 30, salience: 50}}}
  - {id: Y, name: Y, capability: 30, stances: {a: {position: 70, salience: 30}, b: {position: 80, salience: 60}}}
  - {id: W, name: W, capability: 20, stances: {a: {position: 40, salience: 50}, b: {position: 55, salience: 20}}}
  - {id: Z, name: Z, capability: 25, stances: {a: {position: 90, salience: 60}}}
"""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "absent.yaml"
        path.write_text(text)
        fc = forecast(load_scenario(path), model="smp", draws=4, seed=2, perturbation=3.0)
        slow = forecast(load_scenario(path), model="smp", draws=4, seed=2, perturbation=3.0,
                        options={"pce": "markov-uniform"})  # not in lockstep: one run per draw
    assert fc.distributions["b"].n_draws == 4 and slow.distributions["b"].n_draws == 4
    assert fc.results["a"].actor_ids == ("X", "Y", "W", "Z")
    assert fc.results["b"].actor_ids == ("X", "Y", "W")
    assert fc.results["b"].positions.shape[1] == 3


# ----------------------------------------------------------------------------- faces
def test_draws_give_a_distribution_and_are_reproducible():
    a = forecast("korea-2023", model="smp", issue="talks", draws=6, seed=5, perturbation=5.0)
    b = forecast("korea-2023", model="smp", issue="talks", draws=6, seed=5, perturbation=5.0)
    dist = a.distributions["talks"]
    assert dist.n_draws == 6
    np.testing.assert_array_equal(dist.forecast, b.distributions["talks"].forecast)
    assert np.ptp(dist.forecast) > 0  # perturbed inputs move the forecast


def test_cli_runs_a_ktab_csv_directly(reference_dir):
    path = reference_dir / "bargaining" / "smp" / "cases" / "dummyData_3Dim.csv"
    result = CliRunner().invoke(app, ["forecast", str(path), "--model", "smp"])
    assert result.exit_code == 0, result.output
    assert "SMP forecast" in result.output
    assert "most likely" in result.output
    assert "probability-weighted expected outcome after 10 turns" in result.output


def test_cli_model_all_shows_both_engines_per_issue():
    result = CliRunner().invoke(app, ["forecast", "korea-2023", "--model", "all",
                                      "--issue", "talks"])
    assert result.exit_code == 0, result.output
    assert "BDM" in result.output and "SMP" in result.output
    assert "models differ by" in result.output
    json_out = CliRunner().invoke(app, ["forecast", "korea-2023", "--model", "all", "--issue",
                                        "talks", "--json"])
    assert set(json.loads(json_out.stdout)) == {"bdm", "smp", "run"}  # run: its id in the store


def test_cli_bad_input_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "two.csv"
    bad.write_text("Two,Too few actors,2,1,\nActor,Description,Power,P,S,\n"
                   "A,a,10,20,50,\nB,b,20,80,50,\n")
    result = CliRunner().invoke(app, ["forecast", str(bad), "--model", "smp"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "3 to 250" in result.output
    assert str(bad) in result.output  # the engine's rule is reported against the file
    opt = CliRunner().invoke(app, ["forecast", "korea-2023", "--model", "smp", "--set",
                                   "voting_rule=majority"])
    assert opt.exit_code == 2
    assert "smp.voting_rule" in opt.output


def test_cli_sets_non_default_options():
    """``--set`` values arrive as text; the boolean switch must accept true/false."""
    result = CliRunner().invoke(app, ["forecast", "korea-2023", "--model", "smp", "--issue",
                                      "talks", "--set", "bargain_model=init-rcvr", "--set",
                                      "fix_ktab_quirks=true", "--json"])
    assert result.exit_code == 0, result.output
    options = json.loads(result.stdout)["options"]
    assert options["fix_ktab_quirks"] is True and options["bargain_model"] == "init-rcvr"


def test_draw_summaries_equal_the_detailed_run_of_each_draw():
    """The fast per-draw path (no result frames) must give the numbers the detailed run gives
    for the same draw: start median voter and final expected outcome, bit for bit."""
    from detente.bargaining.montecarlo import sample_inputs
    from detente.scenario import load_scenario

    arrays = load_scenario("korea-2023").arrays()
    batch = sample_inputs(arrays, 3, 11, perturbation=5.0)
    paths = smp._median_paths(batch, smp.SMPOptions())
    for b in range(3):
        detailed = smp._point_results(batch.take(slice(b, b + 1)), smp.SMPOptions())
        for issue, res in detailed.items():
            assert paths[issue][0][b, 0] == res.median[0]
            assert paths[issue][0][b, 1] == res.forecast


def test_mismatched_arrays_raise_a_scenario_error():
    cap, pos, sal = _ok()
    with pytest.raises(ScenarioError, match="do not fit"):
        smp.run_smp(cap, pos[:, 0], sal)
    with pytest.raises(ScenarioError, match="do not fit"):
        smp.run_smp(cap[:3], pos, sal)
    with pytest.raises(ScenarioError, match="names do not fit"):
        smp.run_smp(cap, pos, sal, actor_ids=("a", "b"))
