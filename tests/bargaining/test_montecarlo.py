"""Monte Carlo sampling of scenario ranges (detente.bargaining.montecarlo).

Expected values are derived by hand from the laws the module documents:
- triangular(lo, mode, hi): mean (lo + mode + hi)/3, P(X ≤ mode) = (mode − lo)/(hi − lo);
- uniform(lo, hi): mean (lo + hi)/2, variance (hi − lo)²/12;
tolerances are 5 standard errors of the sample mean / proportion.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from detente.bargaining.montecarlo import (
    EngineInputs,
    chunk_slices,
    resolve_seed,
    sample_inputs,
)
from detente.errors import OptionsError


def toy_arrays() -> SimpleNamespace:
    """Three actors, two issues; actor C absent from issue 1; some numbers without a range."""
    present = np.array([[True, True], [True, True], [True, False]])
    position = np.array([[20.0, 80.0], [60.0, 10.0], [90.0, 0.0]])
    salience = np.array([[50.0, 70.0], [40.0, 100.0], [30.0, 0.0]])
    pos_range = np.stack([position, position], axis=-1)
    pos_range[0, 0] = [10.0, 50.0]  # triangular(10, 20, 50)
    sal_range = np.stack([salience, salience], axis=-1)
    sal_range[1, 1] = [60.0, 100.0]  # mode at the top end
    cap = np.array([10.0, 2.0, 5.0])
    cap_range = np.stack([cap, cap], axis=-1)
    cap_range[1] = [1.0, 4.0]
    return SimpleNamespace(actor_ids=("A", "B", "C"), issue_ids=("i0", "i1"), capability=cap,
                           position=position, salience=salience, present=present,
                           capability_range=cap_range, position_range=pos_range,
                           salience_range=sal_range)


def test_same_seed_same_numbers_and_different_seed_differs():
    a = sample_inputs(toy_arrays(), 200, seed=11)
    b = sample_inputs(toy_arrays(), 200, seed=11)
    c = sample_inputs(toy_arrays(), 200, seed=12)
    np.testing.assert_array_equal(a.position, b.position)
    np.testing.assert_array_equal(a.capability, b.capability)
    assert not np.array_equal(a.position, c.position)


def test_prefix_of_a_larger_run_is_the_smaller_run():
    """Draws are generated up front per stream, so the first k of N draws equal a k-draw run
    (numpy's generators fill arrays in order) — chunking the engine never changes the inputs."""
    small = sample_inputs(toy_arrays(), 50, seed=3)
    large = sample_inputs(toy_arrays(), 500, seed=3)
    np.testing.assert_array_equal(large.take(slice(0, 50)).position, small.position)


def test_numbers_without_a_range_stay_fixed_and_absent_stays_zero():
    arr = toy_arrays()
    out = sample_inputs(arr, 300, seed=5)
    assert np.all(out.capability[:, 0] == 10.0)
    assert np.all(out.position[:, 1, 0] == 60.0)
    assert np.all(out.position[:, 2, 1] == 0.0) and np.all(out.salience[:, 2, 1] == 0.0)


def test_triangular_law_matches_hand_derivation():
    n = 40_000
    out = sample_inputs(toy_arrays(), n, seed=2024)
    x = out.position[:, 0, 0]  # triangular(10, 20, 50)
    mean = (10 + 20 + 50) / 3
    var = (10**2 + 20**2 + 50**2 - 10 * 20 - 10 * 50 - 20 * 50) / 18
    assert abs(x.mean() - mean) < 5 * np.sqrt(var / n)
    p_mode = (20 - 10) / (50 - 10)
    assert abs(np.mean(x <= 20) - p_mode) < 5 * np.sqrt(p_mode * (1 - p_mode) / n)
    assert x.min() >= 10 and x.max() <= 50
    # mode at the upper end: triangular(60, 100, 100), mean 260/3
    s = out.salience[:, 1, 1]
    assert abs(s.mean() - 260 / 3) < 5 * np.sqrt((60**2 + 2 * 100**2 - 2 * 60 * 100 - 100**2) / 18 / n)


def test_uniform_law_matches_hand_derivation():
    n = 40_000
    out = sample_inputs(toy_arrays(), n, seed=7, distribution="uniform")
    cap = out.capability[:, 1]  # uniform(1, 4)
    assert abs(cap.mean() - 2.5) < 5 * np.sqrt(9 / 12 / n)
    assert abs(cap.var() - 9 / 12) < 0.05


def test_perturbation_is_bounded_and_clipped():
    arr = toy_arrays()
    out = sample_inputs(arr, 2000, seed=9, perturbation=15.0)
    fixed_pos = out.position[:, 1, 0]  # value 60, no range
    assert fixed_pos.min() >= 45 - 1e-9 and fixed_pos.max() <= 75 + 1e-9
    assert fixed_pos.std() > 5  # uniform(−15, 15) has sd 8.66
    assert out.position.min() >= 0 and out.position.max() <= 100
    assert out.salience.min() >= 0 and out.salience.max() <= 100
    assert np.all(out.position[:, 2, 1] == 0.0)  # absent stays absent


def test_same_seed_gives_same_range_draws_with_or_without_perturbation():
    """Common random numbers: the perturbation stream is separate from the range streams."""
    a = sample_inputs(toy_arrays(), 100, seed=1)
    b = sample_inputs(toy_arrays(), 100, seed=1, perturbation=5.0)
    np.testing.assert_array_equal(a.capability, b.capability)


def test_point_inputs_and_issue_slices():
    arr = toy_arrays()
    point = EngineInputs.from_arrays(arr)
    assert point.n_draws == 1
    ids, c, x, s = point.issue(1)
    np.testing.assert_array_equal(c, [[10.0, 2.0]])
    np.testing.assert_array_equal(s, [[70.0, 100.0]])
    assert ids == ("A", "B")
    np.testing.assert_array_equal(x, [[80.0, 10.0]])


def test_seed_resolution_and_chunks():
    assert resolve_seed(5) == 5
    drawn = resolve_seed(None)
    assert isinstance(drawn, int) and drawn >= 0
    assert [(s.start, s.stop) for s in chunk_slices(10, 4)] == [(0, 4), (4, 8), (8, 10)]


@pytest.mark.parametrize("kwargs, field", [
    ({"draws": 0}, "draws"),
    ({"draws": 10, "perturbation": -1.0}, "perturbation"),
    ({"draws": 10, "distribution": "normal"}, "distribution"),
])
def test_bad_options_name_the_field(kwargs, field):
    draws = kwargs.pop("draws")
    with pytest.raises(OptionsError) as err:
        sample_inputs(toy_arrays(), draws, seed=1, **kwargs)
    assert any(p.path == field for p in err.value.problems)


def test_bad_seed_is_an_options_error():
    with pytest.raises(OptionsError):
        resolve_seed(-3)
