"""Sensitivity of the policy channel: the β_T × β_D grid and the Monte Carlo error target.

Independent checks: the grid cell with the shipped β_T and the posterior's own β_D is the main
paired-difference row number for number (same seed, same draws); β_T = 0 leaves the
dialogue-onset channel exactly unchanged (rule B1's formula gives a zero shift); the Monte Carlo
check's standard errors are the binomial formula recomputed here from the trajectories.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from detente.policy import compare
from detente.policy.bridge import talks_log_odds_shift
from detente.policy.sensitivity import (
    BETA_DIALOGUE_LEVELS,
    BETA_TALKS_GRID,
    MC_TARGET,
    bridge_grid,
    monte_carlo_check,
)

CHEAP = {"model": "bdm", "cross_check": None, "horizon_months": 24}


@pytest.fixture(scope="module")
def grid(small_comparison):
    return small_comparison.bridge_sensitivity


def _binomial_se(comp, policy_id):
    """P(fewer launches) and its binomial SE, recomputed from the trajectories (p(1 − p)
    floored at 1/n, as documented in detente.policy.compare.share_se)."""
    d = (comp.outcome(policy_id).trajectories.launch_events.sum(axis=1)
         - comp.status_quo.trajectories.launch_events.sum(axis=1))
    p = float(np.mean(d < 0))
    return p, math.sqrt(max(p * (1 - p), 1 / d.size) / d.size)


def test_grid_cell_with_shipped_beta_and_posterior_draws_is_the_main_row(small_comparison,
                                                                         grid):
    """Same seed, same pairing, same bargaining draws: the (1.5, posterior) cell reproduces the
    paired table exactly, for every policy."""
    assert small_comparison.bridge.beta_talks == 1.5 and 1.5 in grid.beta_talks
    paired = small_comparison.paired_frame()
    main = paired[paired.quantity == "launch_events"].set_index("policy")
    for pid in small_comparison.policy_ids:
        cell = grid.cell(pid, 1.5, "posterior")
        row = main.loc[pid]
        assert cell["median"] == row["median"]
        assert cell["q10"] == row["q10"] and cell["q90"] == row["q90"]
        assert cell["p_fewer"] == row["p_better"]
        assert cell["p_fewer_se"] == row["p_better_se"]
        assert cell["n_pairs"] == row["n_pairs"]


def test_beta_talks_zero_leaves_the_dialogue_onset_channel_unchanged(small_comparison, grid):
    """B1: shift = β_T (T_policy − T_sq)/50 is exactly 0 at β_T = 0, so under every β_D the
    policy's regime paths are the status quo's: zero difference in dialogue onsets."""
    sq_t = small_comparison.status_quo.bargaining.distributions["talks"].forecast
    for o in small_comparison.outcomes:
        t = o.bargaining.distributions["talks"].forecast
        assert (talks_log_odds_shift(t, sq_t, 0.0) == 0).all()
    zero = grid.cells[grid.cells.beta_talks == 0.0]
    assert len(zero) == len(small_comparison.policy_ids) * len(grid.levels)
    assert (zero.dialogue_onsets_diff == 0).all() and (zero.dialogue_12m_diff == 0).all()
    # …and the channel is alive where β_T > 0: the summit raises talks, so dialogue onsets rise
    summit = grid.cell("summit-diplomacy", 3.0, "posterior")
    assert summit["dialogue_onsets_diff"] > 0


def test_grid_axes_and_levels(small_comparison, grid, posterior):
    """β_T axis as documented; β_D levels are 0 and the posterior's quantiles, fixed."""
    assert grid.beta_talks == sorted(set(BETA_TALKS_GRID) | {1.5})
    assert list(grid.levels) == list(BETA_DIALOGUE_LEVELS)
    draws = np.asarray(posterior.samples["log_rate_ratio_dialogue"])
    assert grid.levels["none"] == 0.0 and grid.levels["posterior"] is None
    for lv, q in (("q05", 0.05), ("q50", 0.5), ("q95", 0.95)):
        assert grid.levels[lv] == pytest.approx(np.quantile(draws, q))
    # a policy that changes nothing is the status quo in every cell
    sp = grid.cells[grid.cells.policy == "strategic-patience"]
    assert (sp[["median", "q10", "q90", "mean", "p_fewer"]].to_numpy() == 0).all()
    assert grid.verdicts()["strategic-patience"] == "identical to the status quo in every cell"
    # the β_D level changes the numbers (the grid is not the same cell twenty times)
    summit = grid.cells[(grid.cells.policy == "summit-diplomacy")
                        & (grid.cells.beta_talks == 3.0)]
    assert summit["mean"].nunique() > 1


def test_grid_reruns_only_the_simulation_and_is_deterministic(small_comparison, grid):
    again = bridge_grid(small_comparison)
    cols = ["median", "q10", "q90", "mean", "p_fewer", "dialogue_onsets_diff"]
    assert np.array_equal(again.cells[cols].to_numpy(), grid.cells[cols].to_numpy())
    custom = small_comparison.bridge_grid(beta_talks=[0.0, 1.5], beta_dialogue=["posterior"])
    assert len(custom.cells) == 2 * len(small_comparison.policy_ids)
    assert custom.cell("summit-diplomacy", 1.5, "posterior")["mean"] == \
        grid.cell("summit-diplomacy", 1.5, "posterior")["mean"]


def test_json_carries_the_grid_and_the_monte_carlo_check(small_comparison):
    doc = json.loads(json.dumps(small_comparison.to_dict(), allow_nan=False))
    sens = doc["bridge_sensitivity"]
    assert sens["shipped_beta_talks"] == 1.5 and "assumption-driven" in sens["basis"]
    assert {c["beta_dialogue"] for c in sens["cells"]} == set(BETA_DIALOGUE_LEVELS)
    assert set(sens["verdicts"]) == set(small_comparison.policy_ids)
    mc = doc["monte_carlo"]
    assert mc["target"] == MC_TARGET and isinstance(mc["met"], bool)
    assert mc["draws_needed"] >= mc["draws"]


def test_monte_carlo_check_flags_too_few_draws(korea, posterior, panel):
    """8 pairs: the binomial SE of P(fewer launches) is far above 0.02, so the check fails and
    asks for the draws that bring every SE to its target (SE ∝ 1/√n)."""
    comp = compare(korea, ["summit-diplomacy"], draws=4, paths_per_draw=2, seed=3,
                   posterior=posterior, panel=panel, **CHEAP)
    check = comp.monte_carlo
    rows = check.rows.set_index(["policy", "quantity", "statistic"])
    _p, se = _binomial_se(comp, "summit-diplomacy")
    got = rows.loc[("summit-diplomacy", "launch_events", "p_better_se")]
    assert got["se"] == pytest.approx(se)
    assert not got["met"]  # 8 pairs: at least 1/8 = 0.125 > 0.02 even when p is 0 or 1
    assert got["draws_needed"] == math.ceil(4 * (se / MC_TARGET["p_better_se"]) ** 2 - 1e-9)
    assert not check.met and check.draws_needed > 4
    assert check.label().startswith(
        f"Monte Carlo error above target: rerun with --draws {check.draws_needed}")


def test_monte_carlo_check_passes_with_enough_pairs(korea, posterior, panel):
    """4,000 pairs: every binomial SE is below 0.02 by the formula itself (≤ 0.5/√4000)."""
    comp = compare(korea, ["summit-diplomacy"], draws=4, paths_per_draw=1000, seed=3,
                   posterior=posterior, panel=panel, **CHEAP)
    _p, se = _binomial_se(comp, "summit-diplomacy")
    assert se <= 0.5 / math.sqrt(4000) < MC_TARGET["p_better_se"]
    check = comp.monte_carlo
    rows = check.rows.set_index(["policy", "quantity", "statistic"])
    assert rows.loc[("summit-diplomacy", "launch_events", "p_better_se"), "se"] == \
        pytest.approx(se)
    assert check.met, check.rows
    assert check.draws_needed == 4
    assert check.label().startswith("Monte Carlo error within target")
    # a stricter target on the same run is flagged, with the draws the formula asks for
    strict = monte_carlo_check(comp, target={"p_better_se": 0.001, "median_se": 10.0})
    assert not strict.met
    assert strict.draws_needed >= math.ceil(4 * (se / 0.001) ** 2 - 1e-9)


def test_unbound_comparison_has_no_grid_and_no_check(reference_dir, posterior, panel):
    from detente.scenario import Policy, load_scenario

    case = load_scenario(reference_dir / "bargaining" / "bdm" / "cases" / "jmckib_sultan.csv")
    nothing = Policy(id="nothing", name="Nothing", chosen_by=[case.actors[0].id])
    comp = compare(case, [nothing], posterior=posterior, panel=panel, draws=4, seed=1)
    assert comp.bridge_sensitivity is None and comp.monte_carlo is None
    doc = comp.to_dict()
    assert doc["bridge_sensitivity"] is None and doc["monte_carlo"] is None


def test_bad_grid_axes_are_option_errors(small_comparison):
    from detente.errors import OptionsError

    with pytest.raises(OptionsError, match="invalid sensitivity grid"):
        small_comparison.bridge_grid(beta_dialogue=["q42"])
    with pytest.raises(OptionsError, match="invalid sensitivity grid"):
        small_comparison.bridge_grid(beta_talks=[float("nan")])
