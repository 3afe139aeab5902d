"""Policies as levers: what a policy changes, listed so every output can show it.

A policy changes only the inputs of the actors who choose it (``chosen_by``); how the others
respond is the models' job. :func:`detente.scenario.apply` enforces that rule (a lever on a
non-choosing actor is a :class:`~detente.errors.ScenarioError`); this module resolves the
policies a comparison asks for and lays every change out as a row: the levers (chosen), the
assumptions (responses an analyst assumed anyway, each with its rationale and range) and the
dynamics levers (with the bridge status of each, :data:`~detente.policy.bridge.DYNAMICS_LEVER_STATUS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from detente.errors import OptionsError, Problem
from detente.options import check_arguments, constraint, shown
from detente.policy.bridge import DYNAMICS_LEVER_STATUS


@dataclass(frozen=True)
class PolicyChange:
    """One change a policy makes, as every output lists it.

    Attributes
    ----------
    kind : {"lever", "assumption", "dynamics"}
        A chosen lever, an assumed response of another actor, or a dynamic-model input.
    actor, issue, field : str
        What is changed ("" for dynamics levers, whose name is in ``field``).
    op : str
        ``set``, ``shift`` or ``scale`` (``set`` for dynamics levers).
    value : float
    range : tuple of float or None
        The assumption's range (sampled in the Monte Carlo draws).
    rationale : str
    status : str
        For dynamics levers, how the bridge uses it (modelled or recorded, not modelled);
        "applied" for bargaining levers, "assumed" for assumptions.
    """

    kind: str
    actor: str
    issue: str
    field: str
    op: str
    value: float
    range: tuple[float, float] | None
    rationale: str
    status: str

    def describe(self) -> str:
        """One line, e.g. ``USA talks position set 65``."""
        if self.kind == "dynamics":
            return f"{self.field} = {self.value:g}"
        rng = f" (range {self.range[0]:g} to {self.range[1]:g})" if self.range else ""
        return f"{self.actor} {self.issue} {self.field} {self.op} {self.value:g}{rng}"


def policy_changes(policy: Any) -> tuple[PolicyChange, ...]:
    """Every change of ``policy`` (a :class:`detente.scenario.Policy`), in file order."""
    rows = []
    for lever in policy.levers:
        rows.append(PolicyChange("lever", lever.actor, lever.issue or "", lever.field, lever.op,
                                 float(lever.value), None, lever.rationale or "", "applied"))
    for a in policy.assumptions:
        rng = tuple(float(v) for v in a.range) if a.range is not None else None
        rows.append(PolicyChange("assumption", a.actor, a.issue or "", a.field, a.op,
                                 float(a.value), rng, a.rationale or "", "assumed"))
    for d in policy.dynamics:
        rows.append(PolicyChange("dynamics", "", "", d.name, "set", float(d.value), None,
                                 d.rationale or "", DYNAMICS_LEVER_STATUS.get(d.name,
                                                                        "recorded, not modelled")))
    return tuple(rows)


def resolve_policies(scenario: Any, policies: Any = None) -> list[Any]:
    """The Policy objects a comparison asks for.

    Parameters
    ----------
    scenario : Scenario
    policies : None, str, or sequence of (str or Policy)
        None: every policy of the scenario. A string may list ids separated by commas.

    Raises
    ------
    OptionsError
        Unknown id (naming the known ones), duplicate ids, or an empty list.
    """
    from detente.scenario import Policy

    if policies is None:
        chosen: list[Any] = list(scenario.policies)
    else:
        if isinstance(policies, str):
            policies = [p.strip() for p in policies.split(",") if p.strip()]
        check_arguments("invalid policies", {"policies": (policies, constraint(
            instance=Iterable, words="policy ids (a list, or one comma-separated string) "
                                     "or Policy objects"))})
        policies = list(policies)
        known = {p.id: p for p in scenario.policies}
        chosen, problems = [], []
        for k, item in enumerate(policies):
            if isinstance(item, str):
                if item not in known:
                    problems.append(Problem(f"scenario {scenario.id!r} has no policy "
                                            f"{shown(item)}", path=f"policies[{k}]",
                                            allowed=", ".join(known) or "(none defined)"))
                    continue
                chosen.append(known[item])
            elif isinstance(item, Policy):
                chosen.append(item)
            else:
                problems.append(Problem(
                    f"policies[{k}] {shown(item)} ({type(item).__name__}) is not a policy",
                    path=f"policies[{k}]", allowed="a policy id of the scenario or a Policy"))
        if problems:
            raise OptionsError("unknown policies", problems)
    if not chosen:
        raise OptionsError("nothing to compare", [Problem(
            f"scenario {scenario.id!r} defines no policies and none were given",
            path="policies", allowed="policy ids of the scenario, or Policy objects")])
    ids = [p.id for p in chosen]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise OptionsError("a policy is listed twice", [Problem(
            f"duplicate policy ids: {', '.join(dupes)}", path="policies",
            allowed="each policy once")])
    return chosen
