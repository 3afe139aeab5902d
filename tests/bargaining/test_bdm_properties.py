"""Property tests of the BDM engine (hypothesis; small n, few examples, derandomised).

Each property is derived from the model's definition (Scholz, Calbert & Smith 2011; spec
§1–§9), not from the engine's output:
- every move goes to a convex combination of existing positions (spec §1), so positions never
  leave the initial range;
- nothing depends on actor labels (all sums run over actors; inputs are continuous so the
  "first in actor order" tie-breaks of spec §8 never fire);
- capability enters only through ratios of c_k s_k (spec §1), so scaling it changes nothing;
- an actor with s_k = 0 has no vote (w_k = 0) and, from the receiver's view, b = E^i(U_ki) =
  U_s − U_sq − s_i (1 − P_ki)(U_s − U_f) ≤ a = E^i(U_ik) = U_s − U_sq, so none of its offers
  can be accepted (spec §5.2, §7);
- the batch axis is independent: N identical draws give N copies of the single run.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.bargaining.bdm import BDMOptions, run_bdm

FAST = settings(max_examples=25, deadline=None, derandomize=True)

OPTION_VARIANTS = [
    BDMOptions(),
    BDMOptions.jmckib(),
    BDMOptions.paper(),
    BDMOptions(q=0.5, compromise_key="least_movement", perception="own", range_rule="recomputed"),
    BDMOptions(q=0.25, t=1.0, compromise_key="signed", stop_tolerance=1e-6),
]


def random_issue(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Continuous random inputs: capability (0.1, 10), position (0, 100), salience (0.05, 1)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.1, 10, n), rng.uniform(0, 100, n), rng.uniform(0.05, 1, n)


@FAST
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 9),
       variant=st.sampled_from(range(len(OPTION_VARIANTS))))
def test_positions_never_leave_initial_range(seed, n, variant):
    c, x, s = random_issue(seed, n)
    traj = run_bdm(c, x, s, OPTION_VARIANTS[variant])
    assert traj.positions.min() >= x.min() - 1e-12
    assert traj.positions.max() <= x.max() + 1e-12
    assert np.all((traj.median >= x.min()) & (traj.median <= x.max()))


@FAST
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 9))
def test_relabelling_actors_permutes_the_result(seed, n):
    c, x, s = random_issue(seed, n)
    perm = np.random.default_rng(seed + 1).permutation(n)
    base = run_bdm(c, x, s)
    relabelled = run_bdm(c[perm], x[perm], s[perm])
    np.testing.assert_allclose(relabelled.positions[0], base.positions[0][:, perm], atol=1e-9)
    np.testing.assert_allclose(relabelled.r[0], base.r[0][:, perm], atol=1e-9)
    np.testing.assert_allclose(relabelled.median, base.median, atol=1e-9)
    np.testing.assert_allclose(relabelled.mean, base.mean, atol=1e-9)


@FAST
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 9),
       scale=st.sampled_from([1e-3, 0.37, 2.0, 55.5, 1e4]))
def test_scaling_capabilities_changes_nothing(seed, n, scale):
    c, x, s = random_issue(seed, n)
    base = run_bdm(c, x, s)
    scaled = run_bdm(c * scale, x, s)
    np.testing.assert_allclose(scaled.positions, base.positions, atol=1e-9)
    np.testing.assert_allclose(scaled.median, base.median, atol=1e-9)


@FAST
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 9))
def test_zero_salience_actor_never_moves_others(seed, n):
    c, x, s = random_issue(seed, n)
    k = seed % n
    s = s.copy()
    s[k] = 0.0
    traj = run_bdm(c, x, s, record_offers=True)
    assert not np.any(traj.proposer == k)
    # its offers are never even of a kind that could be accepted
    assert not np.any(traj.kind[0, :, :, k])


@FAST
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 8), draws=st.integers(1, 6))
def test_batch_of_identical_draws_is_copies_of_single_run(seed, n, draws):
    c, x, s = random_issue(seed, n)
    single = run_bdm(c, x, s)
    batch = run_bdm(np.tile(c, (draws, 1)), np.tile(x, (draws, 1)), np.tile(s, (draws, 1)))
    for field in ("positions", "median", "mean", "r"):
        np.testing.assert_array_equal(getattr(batch, field),
                                      np.repeat(getattr(single, field), draws, axis=0))


def test_batched_different_draws_equal_separate_runs():
    """Draws do not interact: a batch of different inputs equals running each alone."""
    inputs = [random_issue(seed, 7) for seed in range(5)]
    batch = run_bdm(*(np.stack([inp[i] for inp in inputs]) for i in range(3)))
    for b, inp in enumerate(inputs):
        alone = run_bdm(*inp)
        np.testing.assert_allclose(batch.positions[b], alone.positions[0], atol=1e-12)
