"""The SMP reproduces KTAB ``smpc`` on KTAB's six shipped example cases.

Expected numbers: ``reference/bargaining/smp/expected/`` — KTAB's own output (SQLite tables
``VectorPosition`` and ``PosProb`` and its printed log), produced by KTAB at c57b72a0 built with
gcc -O2 (see the reference README). Tolerances are the README's: same number of turns; every
position of every turn within 1e-6 on 0–100; printed probabilities equal at 4 decimals;
per-estimator probabilities within 1e-9; the last printed fractional change equal at 4 decimals.

The cases are read through détente's own loader (``load_scenario`` on the KTAB CSV), so the
test also covers the path an analyst uses; the salience rule must leave KTAB's numbers alone.
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from detente.bargaining import smp
from detente.scenario import load_scenario

CASES = ["dummyData_3Dim", "SOE-Pol-Comp", "SOE-Policy", "SOE-Competitive", "dummyData_6Dim",
         "dummyData-a040"]
WITH_ESTIMATORS = ["dummyData_3Dim", "SOE-Pol-Comp", "SOE-Policy", "SOE-Competitive"]


def _smp_dir(reference_dir):
    return reference_dir / "bargaining" / "smp"


def _run(reference_dir, case: str, per_estimator: bool = False) -> smp.SMPRun:
    scenario = load_scenario(_smp_dir(reference_dir) / "cases" / f"{case}.csv")
    arrays = scenario.arrays()
    return smp.run_smp(arrays.capability, arrays.position,
                       smp.ktab_saliences(arrays.salience), smp.SMPOptions(),
                       actor_ids=arrays.actor_ids, dim_ids=arrays.issue_ids,
                       per_estimator=per_estimator)


@pytest.fixture(scope="module")
def runs(reference_dir):
    return {case: _run(reference_dir, case) for case in CASES}


def _expected_positions(reference_dir, case: str, shape: tuple[int, int]) -> np.ndarray:
    frame = pd.read_csv(_smp_dir(reference_dir) / "expected" / f"{case}__positions.csv")
    out = np.full((frame["turn"].max() + 1, *shape), np.nan)
    out[frame["turn"], frame["actor"], frame["dim"]] = frame["position"]
    return out


@pytest.mark.parametrize("case", CASES)
def test_turns_and_positions_match_ktab(case, runs, reference_dir):
    run = runs[case]
    cases = pd.read_csv(_smp_dir(reference_dir) / "expected" / "cases.csv").set_index("case")
    assert run.turns == cases.loc[case, "turns"]
    assert run.positions.shape[1:] == (cases.loc[case, "actors"], cases.loc[case, "dims"])
    expected = _expected_positions(reference_dir, case, run.positions.shape[1:])
    assert expected.shape == run.positions.shape
    worst = np.max(np.abs(run.positions - expected))
    assert worst <= 1e-6, f"{case}: largest position difference {worst:g}"
    assert run.stop_reason == "converged"
    # KTAB logs "Fractional change compared to first step: %.4f" every turn (SPEC §9)
    assert f"{run.fractional_change[-1]:.4f}" == (
        f"{cases.loc[case, 'final_fractional_change_printed']:.4f}")


@pytest.mark.parametrize("case", CASES)
def test_printed_win_probabilities_match_ktab(case, runs, reference_dir):
    run = runs[case]
    frame = pd.read_csv(_smp_dir(reference_dir) / "expected" / f"{case}__probs.csv")
    got = run.win_prob[frame["turn"], frame["actor"]]
    assert len(frame) == run.win_prob.size
    mismatched = [(t, a, g, e) for t, a, g, e in zip(frame["turn"], frame["actor"], got,
                                                     frame["prob"], strict=True)
                  if f"{g:.4f}" != f"{e:.4f}"]
    assert not mismatched, mismatched[:5]


@pytest.mark.parametrize("case", WITH_ESTIMATORS)
def test_per_estimator_probabilities_match_ktab(case, reference_dir):
    run = _run(reference_dir, case, per_estimator=True)
    frame = pd.read_csv(_smp_dir(reference_dir) / "expected" / f"{case}__probs_by_est.csv")
    assert len(frame) == run.per_estimator.size
    got = run.per_estimator[frame["turn"], frame["est"], frame["actor"]]
    assert np.max(np.abs(got - frame["prob"].to_numpy())) <= 1e-9


def test_ktab_csv_numbers_pass_unchanged(reference_dir):
    """KTAB files keep their saliences (they already satisfy the budget) and capabilities.

    Expected values are read straight from the CSV text here, independently of the loader.
    """
    path = _smp_dir(reference_dir) / "cases" / "SOE-Pol-Comp.csv"
    rows = list(csv.reader(path.read_text().splitlines()))
    n, m = int(rows[0][2]), int(rows[0][3])
    body = rows[2 : 2 + n]
    cap = np.array([float(r[2]) for r in body])
    pos = np.array([[float(r[3 + 2 * k]) for k in range(m)] for r in body])
    sal = np.array([[float(r[4 + 2 * k]) for k in range(m)] for r in body])
    run = smp.run_scenario(load_scenario(path), smp.SMPOptions(rounds=2))
    np.testing.assert_array_equal(run.salience, sal)
    np.testing.assert_array_equal(run.capability, cap)
    np.testing.assert_array_equal(run.positions[0], pos)


def test_forecast_is_the_expected_outcome_of_the_final_state(runs):
    """Output item 3: expected outcome = Σ_q π_q x_q over the final unique positions.

    Independent check: recompute it from the final positions grouped by the 0.1-point
    equivalence rule (SPEC §7) and the reported per-actor probabilities, taking each class once.
    """
    run = runs["SOE-Policy"]
    final = run.positions[-1, :, 0]
    seen: list[float] = []
    total = 0.0
    weighted = 0.0
    for i, x in enumerate(final):
        if any(abs(x - y) < 0.1 for y in seen):
            continue
        seen.append(x)
        total += run.win_prob[-1, i]
        weighted += run.win_prob[-1, i] * x
    assert total == pytest.approx(1.0, abs=1e-9)
    assert run.expected_outcome[0] == pytest.approx(weighted, abs=1e-9)
    assert run.modal_probability == pytest.approx(run.win_prob[-1].max(), abs=1e-12)
