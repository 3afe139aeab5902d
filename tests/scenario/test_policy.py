"""apply(policy, scenario): levers, assumptions and dynamics values (docs/scenario-format.md,
"Applying a policy"). Expected numbers are computed by hand from mini-2023.yaml in the comments.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from detente.errors import ScenarioError
from detente.scenario import Assumption, Lever, Policy, apply, load_scenario

MINI = Path(__file__).parent / "mini-2023.yaml"


@pytest.fixture()
def mini():
    return load_scenario(MINI)


def test_levers_assumptions_and_dynamics_are_applied(mini) -> None:
    before = copy.deepcopy(mini.model_dump())
    after = apply("engagement-with-incentives", mini)
    # lever 1: USA talks position set 55 -> 75
    usa_talks = after.actor("USA").stances["talks"].position
    assert usa_talks.value == 75
    assert usa_talks.source == "policy:engagement-with-incentives"
    assert usa_talks.note == "senior-level talks offered"
    # lever 2: USA sanctions salience shift 65 - 15 = 50
    assert after.actor("USA").stances["sanctions"].salience.value == 50
    # assumption: DPRK talks position shift 10 + 15 = 25, range 10 + [0, 30] = [10, 40]
    dprk_talks = after.actor("DPRK").stances["talks"].position
    assert (dprk_talks.value, dprk_talks.range) == (25, (10, 40))
    assert dprk_talks.source == "assumption:engagement-with-incentives"
    # dynamics: talks_offer overwritten (1.0), sanctions_pressure added (0.3)
    assert after.dynamics["talks_offer"].value == 1.0
    assert after.dynamics["talks_offer"].source == "policy:engagement-with-incentives"
    assert after.dynamics["sanctions_pressure"].value == 0.3
    # untouched numbers stay as they were
    assert after.actor("ROK") == mini.actor("ROK")
    # the original is not mutated
    assert mini.model_dump() == before
    assert mini.actor("USA").stances["talks"].position.value == 55


def test_scale_on_capability_and_policy_object(mini) -> None:
    policy = mini.policy("maximum-pressure")
    after = apply(policy, mini)
    # ROK capability 7.3 x 1.1 = 8.03
    assert after.actor("ROK").capability.value == pytest.approx(8.03)
    assert after.actor("USA").stances["sanctions"].position.value == 100


def test_shift_is_clipped_and_moves_the_range(mini) -> None:
    # USA capability 85.9 with range [70, 95]; shift -100 -> clipped above 0 (a capability stays
    # > 0); position shift +60 from 55 -> clipped to 100.
    policy = Policy(id="extreme", name="Extreme", chosen_by=["USA"], levers=[
        Lever(actor="USA", issue="talks", field="position", op="shift", value=60, rationale="x"),
        Lever(actor="USA", field="capability", op="scale", value=0.5, rationale="halved"),
    ])
    after = apply(policy, mini)
    assert after.actor("USA").stances["talks"].position.value == 100
    cap = after.actor("USA").capability
    # 85.9 * 0.5 = 42.95; range [70, 95] * 0.5 = [35, 47.5]
    assert cap.value == pytest.approx(42.95)
    assert cap.range == pytest.approx((35.0, 47.5))


def test_assumption_range_is_clipped_to_the_scale(mini) -> None:
    # DPRK talks position 10, shift -5 with range [-20, 0]: value 5, range clip([-10, 10]) = [0, 10]
    policy = Policy(id="a", name="A", chosen_by=["USA"], assumptions=[
        Assumption(actor="DPRK", issue="talks", field="position", op="shift", value=-5,
                   range=(-20, 0), rationale="r"),
    ])
    pos = apply(policy, mini).actor("DPRK").stances["talks"].position
    assert (pos.value, pos.range) == (5, (0, 10))


def test_assumption_range_combines_with_the_numbers_own_range(mini) -> None:
    # docs/scenario-format.md, "Applying a policy": interval arithmetic, so a policy run is
    # never surer than the baseline. DPRK capability 2.3 with range [1.5, 4] (mini-2023.yaml).
    def assumed(op: str, value: float, rng: tuple[float, float]):
        policy = Policy(id="a", name="A", chosen_by=["USA"], assumptions=[
            Assumption(actor="DPRK", field="capability", op=op, value=value, range=rng,
                       rationale="r")])
        return apply(policy, mini).actor("DPRK").capability

    # shift +2 in [0, 5]: value 4.3, range [1.5 + 0, 4 + 5] = [1.5, 9]
    cap = assumed("shift", 2, (0, 5))
    assert (cap.value, tuple(cap.range)) == (pytest.approx(4.3), pytest.approx((1.5, 9.0)))
    # scale x2 in [1, 3]: value 4.6, range [1.5 * 1, 4 * 3] = [1.5, 12]
    cap = assumed("scale", 2, (1, 3))
    assert (cap.value, tuple(cap.range)) == (pytest.approx(4.6), pytest.approx((1.5, 12.0)))
    # set 10 in [5, 20]: the old number and its range are gone
    cap = assumed("set", 10, (5, 20))
    assert (cap.value, tuple(cap.range)) == (10, (5, 20))


@pytest.mark.parametrize(("change", "path"), [
    (Lever(actor="DPRK", issue="talks", field="position", op="set", value=50, rationale="r"),
     "policy.levers[0].actor"),       # a lever on an actor outside chosen_by
    (Lever(actor="USA", issue="nukes", field="position", op="set", value=50, rationale="r"),
     "policy.levers[0].issue"),       # unknown issue
    (Lever(actor="CHN", issue="talks", field="position", op="set", value=50, rationale="r"),
     "policy.levers[0].actor"),       # unknown actor
    (Lever(actor="USA", issue="talks", field="salience", op="set", value=150, rationale="r"),
     "policy.levers[0].value"),       # set outside 0-100
])
def test_invalid_levers_are_rejected(mini, change: Lever, path: str) -> None:
    policy = Policy(id="bad", name="Bad", chosen_by=["USA"], levers=[change])
    with pytest.raises(ScenarioError) as caught:
        apply(policy, mini)
    assert [p.path for p in caught.value.problems] == [path]


def test_assumption_on_a_chooser_is_rejected(mini) -> None:
    policy = Policy(id="bad", name="Bad", chosen_by=["USA"], assumptions=[
        Assumption(actor="USA", issue="talks", field="position", op="set", value=50)])
    with pytest.raises(ScenarioError, match="cannot be applied"):
        apply(policy, mini)


def test_unknown_dynamics_lever_is_rejected(mini) -> None:
    policy = Policy(id="bad", name="Bad", chosen_by=["USA"],
                    dynamics=[{"name": "regime_change", "value": 1.0}])
    with pytest.raises(ScenarioError) as caught:
        apply(policy, mini)
    assert caught.value.problems[0].path == "policy.dynamics[0].name"


def test_unknown_policy_id(mini) -> None:
    with pytest.raises(ScenarioError) as caught:
        apply("appeasement", mini)
    assert "engagement-with-incentives" in caught.value.problems[0].allowed


def test_scenario_is_frozen(mini) -> None:
    with pytest.raises(ValidationError):  # assignment to a frozen model
        mini.actors[0].capability.value = 1.0  # type: ignore[misc]


_MINI = load_scenario(MINI)


@settings(max_examples=60, deadline=None)
@given(
    actor=st.sampled_from(["DPRK", "ROK"]),
    issue=st.sampled_from(["talks", "sanctions"]),
    field=st.sampled_from(["position", "salience"]),
    amount=st.floats(-150, 150, allow_nan=False),
)
def test_assumed_shift_equals_clipped_sum(actor: str, issue: str, field: str,
                                          amount: float) -> None:
    # Independent derivation: numpy's clip of (baseline + amount) to [0, 100].
    mini = _MINI
    baseline = getattr(mini.actor(actor).stances[issue], field).value
    policy = Policy(id="p", name="P", chosen_by=["USA"], assumptions=[
        Assumption(actor=actor, issue=issue, field=field, op="shift", value=amount,
                   rationale="r")])
    after = apply(policy, mini)
    assert getattr(after.actor(actor).stances[issue], field).value == float(
        np.clip(baseline + amount, 0.0, 100.0))
    assert getattr(mini.actor(actor).stances[issue], field).value == baseline
