"""Metamorphic properties of compare(): they hold whatever the models say.

No expected number here comes from the code under test: each test compares two runs that must
agree (or must differ in a known direction) by construction of the method — common random
numbers keyed by stage, and the status quo as the reference of every bridge rule.
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import OptionsError
from detente.policy import compare
from detente.scenario import Policy

CHEAP = {"model": "bdm", "cross_check": None, "horizon_months": 24}


def _check_same(a, b):
    """Every number of two PolicyOutcomes is identical (bit for bit)."""
    for issue in a.bargaining.distributions:
        assert np.array_equal(a.bargaining.distributions[issue].forecast,
                              b.bargaining.distributions[issue].forecast)
    for name in ("launch_events", "missiles", "regime", "nuclear_prob"):
        assert np.array_equal(getattr(a.trajectories, name), getattr(b.trajectories, name))
    assert np.array_equal(a.dialogue_shift, b.dialogue_shift)
    assert a.unsc_resolution_rate == b.unsc_resolution_rate
    assert a.index == b.index


def test_policy_without_levers_equals_status_quo(korea, posterior, panel):
    nothing = Policy(id="do-nothing", name="Do nothing", chosen_by=["USA"])
    comp = compare(korea, [nothing, "strategic-patience", "engagement-with-incentives"],
                   draws=16, seed=3, posterior=posterior, panel=panel, **CHEAP)
    _check_same(comp.outcome("do-nothing"), comp.status_quo)
    _check_same(comp.outcome("strategic-patience"), comp.status_quo)
    assert np.all(comp.outcome("do-nothing").dialogue_shift == 0.0)
    # and a policy with levers does differ (the test can fail)
    eng = comp.outcome("engagement-with-incentives")
    assert not np.array_equal(eng.bargaining.distributions["talks"].forecast,
                              comp.status_quo.bargaining.distributions["talks"].forecast)


def test_policy_order_changes_nothing(korea, posterior, panel):
    ids = ["maximum-pressure", "engagement-with-incentives", "summit-diplomacy"]
    a = compare(korea, ids, draws=12, seed=5, posterior=posterior, panel=panel, **CHEAP)
    b = compare(korea, ids[::-1], draws=12, seed=5, posterior=posterior, panel=panel, **CHEAP)
    assert b.policy_ids == tuple(ids[::-1])
    for pid in ids:
        _check_same(a.outcome(pid), b.outcome(pid))


def test_policy_compared_with_itself_gives_identical_distributions(korea, posterior, panel):
    eng = korea.policy("engagement-with-incentives")
    twin = eng.model_copy(update={"id": "engagement-twin"})
    comp = compare(korea, [eng, twin], draws=12, seed=9, posterior=posterior, panel=panel,
                   **CHEAP)
    _check_same(comp.outcome(eng.id), comp.outcome("engagement-twin"))


def test_same_seed_same_numbers_other_seed_other_numbers(korea, posterior, panel):
    kw = {"draws": 10, "posterior": posterior, "panel": panel, **CHEAP}
    a = compare(korea, ["engagement-with-incentives"], seed=21, **kw)
    b = compare(korea, ["engagement-with-incentives"], seed=21, **kw)
    c = compare(korea, ["engagement-with-incentives"], seed=22, **kw)
    _check_same(a.outcome("engagement-with-incentives"), b.outcome("engagement-with-incentives"))
    assert a.to_frame().equals(b.to_frame())
    assert not np.array_equal(a.outcomes[0].trajectories.launch_events,
                              c.outcomes[0].trajectories.launch_events)
    assert a.seed == 21


def test_more_draws_shrink_monte_carlo_error_of_medians(korea, posterior, panel):
    """The spread across seeds of the medians shrinks with more draws: the bargaining
    forecast medians (talks, sanctions, incentives) and the median over simulated paths of
    P(nuclear test within the horizon | path). At 16× the draws the standard error should
    fall ~4× (1/√n); we require at least a halving of the summed variance's square root."""

    def medians(draws, seed):
        # 16 paths per draw (the default before it was set by the Monte Carlo error target):
        # the test measures how the error scales with draws, from a noisy start
        comp = compare(korea, ["engagement-with-incentives"], draws=draws, seed=seed,
                       posterior=posterior, panel=panel, paths_per_draw=16, **CHEAP)
        o = comp.outcomes[0]
        p_path = 1.0 - np.prod(1.0 - o.trajectories.nuclear_prob, axis=1)
        return [np.median(o.bargaining.distributions[i].forecast)
                for i in ("talks", "sanctions", "incentives")] + [np.median(p_path)]

    seeds = range(100, 104)
    few = np.array([medians(12, s) for s in seeds])
    many = np.array([medians(192, s) for s in seeds])
    sd_few, sd_many = few.std(axis=0, ddof=1), many.std(axis=0, ddof=1)
    assert np.sqrt(np.sum(sd_many[:3] ** 2)) <= 0.5 * np.sqrt(np.sum(sd_few[:3] ** 2))
    assert sd_many[3] <= 0.5 * sd_few[3] + 1e-12, (sd_few, sd_many)


def test_outputs_have_every_quantity_the_issue_lists(small_comparison):
    comp = small_comparison
    yearly = comp.yearly_frame()
    assert set(yearly["quantity"]) == {"launch_events", "missiles"}
    assert {"median", "q25", "q75", "q10", "q90", "p_dialogue_starts"} <= set(yearly.columns)
    assert len(yearly) == len(comp.outcomes) * 2 * comp.horizon_years
    summary = comp.summary_frame()
    for col in ("p_nuclear_test", "p_dialogue_12m", "scenario_index"):
        assert summary[col].between(0, 100).all()
    assert summary["p_dialogue_12m"].between(0, 1).all()
    positions = comp.positions_frame()
    assert set(positions["engine"]) == {"smp", "bdm"}  # SMP main, BDM beside it
    assert set(positions["issue"]) == {i.id for i in comp.scenario.issues}
    assert (positions["q10"] <= positions["median"]).all()
    assert (positions["median"] <= positions["q90"]).all()


def test_assumptions_are_listed_in_every_output(small_comparison, korea):
    comp = small_comparison
    n_assumed = sum(len(p.assumptions) for p in korea.policies)
    frame = comp.to_frame()
    assert (frame["section"] == "assumption").sum() == n_assumed
    assert (comp.assumptions_frame()["kind"] == "assumption").sum() == n_assumed
    doc = comp.to_dict()
    assert sum(r["kind"] == "assumption" for r in doc["assumptions"]) == n_assumed
    assert "not a probability" in doc["index_label"]


def test_bad_options_are_option_errors(korea, posterior, panel):
    for kw in ({"draws": 1}, {"horizon_months": 0}, {"seed": -3}, {"bridge": {"beta": 1}}):
        with pytest.raises(OptionsError):
            compare(korea, ["maximum-pressure"], posterior=posterior, panel=panel,
                    **{"draws": 4, **kw})


def test_bridge_b1_switched_off_gives_no_dialogue_shift(korea, posterior, panel):
    from detente.policy import BridgeSettings

    comp = compare(korea, ["summit-diplomacy", "engagement-with-incentives"], draws=8, seed=4,
                   posterior=posterior, panel=panel, bridge=BridgeSettings(beta_talks=0.0),
                   **CHEAP)
    for o in comp.outcomes:
        assert np.all(o.dialogue_shift == 0.0)


def test_stronger_talks_link_raises_dialogue_odds_of_a_summit(korea, posterior, panel):
    """Summit diplomacy sets the US talks position to 95, far above the status quo's talks
    forecast, so its B1 shift is positive in (almost) every draw; raising beta_talks from 0
    to 3 must raise P(dialogue within 12 months)."""
    from detente.policy import BridgeSettings

    def p12(beta):
        comp = compare(korea, ["summit-diplomacy"], draws=16, seed=8, posterior=posterior,
                       panel=panel, bridge=BridgeSettings(beta_talks=beta), **CHEAP)
        o = comp.outcomes[0]
        return o.p_dialogue_within(12), float(np.mean(o.dialogue_shift > 0))

    off, _ = p12(0.0)
    on, share_positive = p12(3.0)
    assert share_positive > 0.9
    assert on > off


def test_smp_comparison_keeps_the_no_lever_policy_equal_to_the_status_quo(small_comparison):
    """The same metamorphic property under the default engine (SMP with the BDM cross-check)."""
    _check_same(small_comparison.outcome("strategic-patience"), small_comparison.status_quo)
    sq_cc = small_comparison.status_quo.cross_check.distributions["talks"].forecast
    sp_cc = small_comparison.outcome("strategic-patience").cross_check.distributions["talks"]
    assert np.array_equal(sq_cc, sp_cc.forecast)


def test_scenario_without_a_binding_is_a_bargaining_comparison(reference_dir, posterior, panel):
    """A plain one-issue CSV (a BDM reference case) has no policies (a clear error naming the
    field) and no dynamics binding: compare is then the bargaining comparison alone, with no
    simulated numbers, whatever posterior is passed (it never borrows another case's dynamics)."""
    from detente.scenario import load_scenario

    case = load_scenario(reference_dir / "bargaining" / "bdm" / "cases" / "jmckib_sultan.csv")
    with pytest.raises(OptionsError) as info:
        compare(case, posterior=posterior, panel=panel, draws=4)
    assert "policies" in info.value.format()
    nothing = Policy(id="nothing", name="Nothing", chosen_by=[case.actors[0].id])
    comp = compare(case, [nothing], posterior=posterior, panel=panel, draws=4, seed=1)
    assert not comp.bound and comp.posterior is None
    assert comp.outcomes[0].trajectories is None
    assert comp.yearly_frame().empty
    assert list(comp.summary_frame().columns) == ["name", "issue_median", "n_levers",
                                                  "n_assumptions"]
    assert comp.to_dict()["note"] == comp.UNBOUND_NOTE


def test_paired_differences_are_the_policy_minus_the_status_quo_path_by_path(small_comparison):
    """Recomputed here from the trajectories: the paired difference of each path's launch total,
    and the share of paths with fewer launches; a policy that changes nothing differs by 0."""
    comp = small_comparison
    paired = comp.paired_frame()
    sq = comp.status_quo.trajectories.launch_events.sum(axis=1)
    for o in comp.outcomes:
        d = o.trajectories.launch_events.sum(axis=1) - sq
        row = paired[(paired.policy == o.policy_id) & (paired.quantity == "launch_events")]
        assert row["median"].iloc[0] == pytest.approx(np.median(d))
        assert row["p_better"].iloc[0] == pytest.approx(np.mean(d < 0))
        assert row["q10"].iloc[0] <= row["median"].iloc[0] <= row["q90"].iloc[0]
        if not o.changes:
            assert (d == 0).all() and row["median"].iloc[0] == 0
    assert set(paired["basis"]) == {comp.PAIRED_BASIS}
