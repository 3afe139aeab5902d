"""Policies as levers: only the choosing actors' inputs change; assumptions are kept apart.

Expected values come from the policy definitions in the embedded korea-2023 scenario (the YAML
the analyst wrote), read through the scenario model, never from the code under test.
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import OptionsError, ScenarioError
from detente.policy import compare, policy_changes, resolve_policies
from detente.scenario import Lever, Policy, apply


def _changed_cells(before, after):
    """(actor, issue, field) of every number that differs between two scenarios' arrays."""
    a, b = before.arrays(), after.arrays()
    out = set()
    for field in ("position", "salience"):
        diff = np.argwhere(getattr(a, field) != getattr(b, field))
        out |= {(a.actor_ids[i], a.issue_ids[k], field) for i, k in diff}
    for i in np.flatnonzero(a.capability != b.capability):
        out.add((a.actor_ids[i], "", "capability"))
    return out


@pytest.mark.parametrize("policy_id", ["engagement-with-incentives", "maximum-pressure",
                                       "summit-diplomacy"])
def test_levers_touch_only_choosing_actors(korea, policy_id):
    """Without its assumptions, a policy changes numbers of its chosen_by actors only."""
    policy = korea.policy(policy_id)
    levers_only = policy.model_copy(update={"assumptions": []})
    changed = _changed_cells(korea, apply(levers_only, korea))
    assert changed, "the policy's levers should change something"
    assert {actor for actor, _, _ in changed} <= set(policy.chosen_by)
    # and every changed cell is one the YAML names as a lever
    named = {(lv.actor, lv.issue or "", lv.field) for lv in policy.levers}
    assert changed <= named


def test_other_actors_change_only_through_listed_assumptions(korea):
    policy = korea.policy("engagement-with-incentives")
    changed = _changed_cells(korea, apply(policy, korea))
    others = {c for c in changed if c[0] not in policy.chosen_by}
    assumed = {(a.actor, a.issue or "", a.field) for a in policy.assumptions}
    assert others and others <= assumed


def test_lever_on_non_choosing_actor_is_a_clear_error(korea):
    """A US policy that tries to move the DPRK's talks position through a lever must fail,
    naming the actor and the rule, before any model runs."""
    bad = Policy(id="force-dprk", name="Force the DPRK", chosen_by=["USA"],
                 levers=[Lever(actor="DPRK", issue="talks", field="position", op="set",
                               value=90, rationale="wishful")])
    with pytest.raises(ScenarioError) as info:
        apply(bad, korea)
    text = info.value.format()
    assert "DPRK" in text and "chosen_by" in text
    with pytest.raises(ScenarioError):  # compare fails the same way, with no posterior given
        compare(korea, [bad], draws=4, seed=1, model="bdm", cross_check=None)


def test_policy_changes_list_every_change_with_its_kind(korea):
    policy = korea.policy("maximum-pressure")
    changes = policy_changes(policy)
    kinds = [c.kind for c in changes]
    assert kinds.count("lever") == len(policy.levers)
    assert kinds.count("assumption") == len(policy.assumptions)
    assert kinds.count("dynamics") == len(policy.dynamics)
    status = {c.field: c.status for c in changes if c.kind == "dynamics"}
    assert status["exercise_scale"].startswith("recorded, not modelled")
    assert "B2" in status["sanctions_pressure"]
    ranges = [c.range for c in changes if c.kind == "assumption"]
    assert all(r is not None for r in ranges)  # every Korea assumption has a range


def test_unknown_and_duplicate_policies_are_option_errors(korea):
    with pytest.raises(OptionsError) as info:
        resolve_policies(korea, "engagement-with-incentives,appeasement")
    assert "appeasement" in info.value.format()
    assert "maximum-pressure" in info.value.format()  # names the known ids
    with pytest.raises(OptionsError):
        resolve_policies(korea, ["maximum-pressure", "maximum-pressure"])
    assert [p.id for p in resolve_policies(korea)] == [p.id for p in korea.policies]
