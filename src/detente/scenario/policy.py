"""Applying a policy to a scenario: levers, assumptions and dynamics values.

docs/scenario-format.md, "Applying a policy": ``set`` replaces a number, ``shift`` adds to it,
``scale`` multiplies it; a changed position or salience is clipped to [0, 100] and a capability
kept above 0. A lever's new number is sourced ``policy:<id>``, an assumption's
``assumption:<id>``, each with the rationale as its note, so every output can say which policy
changed what and which changes were only assumed. An assumption's ``range`` is combined with the
changed number's own range (interval arithmetic through the same operation; a ``set`` replaces
it), so Monte Carlo runs sample both uncertainties.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from detente.errors import Problem, ScenarioError
from detente.scenario.model import (
    Assumption,
    Lever,
    Policy,
    Scenario,
    format_loc,
    policy_findings,
)

#: Smallest capability a shift may leave (capability must stay > 0; only ratios matter).
CAPABILITY_FLOOR = 1e-9


def _clip(field: str, value: float) -> float:
    if field == "capability":
        return max(value, CAPABILITY_FLOOR)
    return min(max(value, 0.0), 100.0)


def _operate(op: str, current: float, amount: float) -> float:
    if op == "set":
        return amount
    if op == "shift":
        return current + amount
    return current * amount  # scale


def _change(quantity: dict[str, Any], change: Lever, policy_id: str) -> dict[str, Any]:
    """The changed number (a plain dict) for one lever or assumption."""
    field = change.field
    value = float(quantity["value"])
    new_value = _clip(field, _operate(change.op, value, change.value))
    is_assumption = isinstance(change, Assumption)
    new: dict[str, Any] = {
        "value": new_value,
        "source": f"{'assumption' if is_assumption else 'policy'}:{policy_id}",
        "note": change.rationale,
    }
    if is_assumption and change.range is not None:
        if change.op == "set":
            # A set discards the old number, and with it the old number's uncertainty.
            lo, hi = (_clip(field, r) for r in change.range)
        else:
            # Both uncertainties count: the number's own range [lo, hi] moves by the assumed
            # change's range (interval arithmetic; shift and scale by factors ≥ 0 are monotone).
            # Replacing it instead would make a policy run look surer than the baseline.
            base_lo, base_hi = quantity.get("range") or (value, value)
            lo = _clip(field, _operate(change.op, base_lo, change.range[0]))
            hi = _clip(field, _operate(change.op, base_hi, change.range[1]))
        new["range"] = [min(lo, new_value), max(hi, new_value)]
    elif change.op != "set" and quantity.get("range") is not None:
        # The number's prior uncertainty moves with it (shift/scale are monotone for factors ≥ 0).
        lo, hi = (_clip(field, _operate(change.op, r, change.value)) for r in quantity["range"])
        new["range"] = [min(lo, new_value), max(hi, new_value)]
    return new


def apply(policy: Policy | str, scenario: Scenario) -> Scenario:
    """The scenario as it would be under ``policy``; ``scenario`` itself is left untouched.

    Parameters
    ----------
    policy : Policy or str
        A policy object, or the id of one of ``scenario.policies``.
    scenario : Scenario
        The baseline.

    Returns
    -------
    Scenario
        A new, validated scenario: levers and assumptions applied to the actors' numbers in
        order, dynamics values written into ``dynamics``. Its ``policies`` are the baseline's.

    Raises
    ------
    ScenarioError
        Unknown policy id, or a policy whose levers break the rules of the scenario format
        (unknown actor or issue, a lever outside ``chosen_by``, a value out of range, ...).
    """
    if not isinstance(scenario, Scenario):
        raise ScenarioError("apply needs a Scenario", [Problem(
            f"{type(scenario).__name__} is not a Scenario", path="scenario",
            allowed="a Scenario from detente.load_scenario(...)")])
    if not isinstance(policy, str | Policy):
        raise ScenarioError("apply needs a policy", [Problem(
            f"{type(policy).__name__} is not a policy", path="policy",
            allowed="a Policy, or the id of one of the scenario's policies")])
    if isinstance(policy, str):
        try:
            policy = scenario.policy(policy)
        except KeyError:
            raise ScenarioError(
                f"scenario {scenario.id!r} has no policy {policy!r}",
                [Problem(f"no policy {policy!r}", path="policy",
                         allowed="one of " + (", ".join(p.id for p in scenario.policies)
                                              or "(the scenario has no policies)"))],
            ) from None
    errors = [f for f in policy_findings(policy, scenario, ("policy",))
              if f.severity == "error"]
    if errors:
        raise ScenarioError(
            f"policy {policy.id!r} cannot be applied to scenario {scenario.id!r}",
            [Problem(f.message, path=format_loc(f.loc), allowed=f.allowed) for f in errors],
        )
    data = scenario.model_dump(mode="python")
    actors = {a["id"]: a for a in data["actors"]}
    for change in [*policy.levers, *policy.assumptions]:
        actor = actors[change.actor]
        if change.field == "capability":
            actor["capability"] = _change(actor["capability"], change, policy.id)
        else:
            stance = actor["stances"][change.issue]
            stance[change.field] = _change(stance[change.field], change, policy.id)
    for d in policy.dynamics:
        data["dynamics"][d.name] = {"value": d.value, "source": f"policy:{policy.id}",
                                    "note": d.rationale}
    return Scenario.model_validate(data)


#: The id of the policy :func:`lever_policy` builds from ad hoc levers.
CUSTOM_POLICY = "custom-levers"


def lever_policy(scenario: Scenario, levers: Any, policy: Policy | str | None = None) -> Policy:
    """A policy made of ad hoc levers (what-if settings), on top of ``policy`` if given.

    ``levers`` maps ``"<actor>.<issue>.<position|salience>"`` or ``"<actor>.capability"`` to a
    number (``set`` it) or to ``{"op": "set" | "shift" | "scale", "value": x, "rationale": …}``.
    Each lever changes its own actor's number (docs/scenario-format.md, "Applying a policy"),
    so its actor joins ``chosen_by``. The result is applied with :func:`apply` like any policy.

    Raises
    ------
    ScenarioError
        A key that names no actor, issue or field, or a value that is not a number or a
        ``{"op", "value"}`` mapping, each located at ``levers.<key>``.
    """
    from collections.abc import Mapping

    if not isinstance(levers, Mapping):
        raise ScenarioError("levers must be a mapping", [Problem(
            f"{type(levers).__name__} is not a mapping", path="levers",
            allowed='{"<actor>.<issue>.<position|salience>" or "<actor>.capability": number}')])
    base: Policy | None = None
    if isinstance(policy, str):
        try:
            base = scenario.policy(policy)
        except KeyError:
            raise ScenarioError(f"scenario {scenario.id!r} has no policy {policy!r}", [Problem(
                f"no policy {policy!r}", path="policy",
                allowed="one of " + (", ".join(p.id for p in scenario.policies) or "none"))]
            ) from None
    elif policy is not None:
        base = policy
    problems: list[Problem] = []
    made: list[Lever] = []
    actors, issues = set(scenario.actor_ids), set(scenario.issue_ids)
    for key, raw in levers.items():
        where = f"levers.{key}"
        parts = str(key).split(".")
        if len(parts) == 2 and parts[1] == "capability":
            actor, issue, field = parts[0], None, "capability"
        elif len(parts) == 3 and parts[2] in ("position", "salience"):
            actor, issue, field = parts
        else:
            problems.append(Problem(f"cannot read the lever {str(key)[:80]!r}", path=where,
                                    allowed="<actor>.<issue>.position, <actor>.<issue>.salience "
                                            "or <actor>.capability"))
            continue
        if actor not in actors or (issue is not None and issue not in issues):
            problems.append(Problem(f"no actor {actor!r}" if actor not in actors
                                    else f"no issue {issue!r}", path=where,
                                    allowed="actors: " + ", ".join(sorted(actors))
                                    + "; issues: " + ", ".join(sorted(issues))))
            continue
        spec = raw if isinstance(raw, Mapping) else {"op": "set", "value": raw}
        try:
            made.append(Lever.model_validate({"actor": actor, "issue": issue, "field": field,
                                              "op": spec.get("op", "set"),
                                              "value": spec.get("value"),
                                              "rationale": spec.get("rationale")}))
        except ValidationError as exc:  # a value that is not a number, an unknown op
            first = exc.errors()[0]
            problems.append(Problem(str(first.get("msg", "invalid lever")), path=where,
                                    allowed='a number, or {"op": "set|shift|scale", '
                                            '"value": number}'))
    if problems:
        raise ScenarioError(f"{len(problems)} lever(s) cannot be read", problems)
    chosen = list(base.chosen_by) if base is not None else []
    for lever in made:
        if lever.actor not in chosen:
            chosen.append(lever.actor)
    return Policy(id=f"{base.id}+levers" if base is not None else CUSTOM_POLICY,
                  name=(f"{base.name} with levers" if base is not None else "ad hoc levers"),
                  chosen_by=chosen or [scenario.actor_ids[0]],
                  levers=[*(base.levers if base else ()), *made],
                  assumptions=list(base.assumptions) if base else [],
                  dynamics=list(base.dynamics) if base else [])
