"""The scenario as numpy arrays: the single entry point of the bargaining engines.

The engines (Scholz, Calbert & Smith 2011; KTAB SMP) take capability ``c[n]``, position
``x[n, d]`` and salience ``s[n, d]``; this module lays a validated :class:`Scenario` out that way,
with the uncertainty ranges beside the values for Monte Carlo runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from detente.errors import OptionsError, Problem

if TYPE_CHECKING:
    from detente.scenario.model import Scenario


@dataclass(frozen=True)
class ScenarioArrays:
    """Actors × issues arrays of one scenario (read-only).

    Attributes
    ----------
    actor_ids : tuple of str, length n
    issue_ids : tuple of str, length d
    capability : ndarray of shape (n,)
        Capability as in the file (> 0, any scale).
    position : ndarray of shape (n, d)
        Positions on 0–100; 0 where ``present`` is False.
    salience : ndarray of shape (n, d)
        Saliences on 0–100 as in the file; 0 where ``present`` is False.
    present : bool ndarray of shape (n, d)
        False where the issue lists the actor as absent.
    capability_range : ndarray of shape (n, 2)
        ``[lo, hi]`` per actor; ``lo == hi == value`` where no range is given.
    position_range, salience_range : ndarray of shape (n, d, 2)
        ``[lo, hi]`` per actor and issue, as above; 0 where absent.
    influence : ndarray of shape (n, d)
        Each actor's clout on each issue: the stance's ``influence`` where given, else the
        actor's global capability (so without any ``influence`` every column equals
        ``capability``, bit for bit).
    influence_range : ndarray of shape (n, d, 2)
        ``[lo, hi]`` of the influence (the capability's range where no influence is given).
    has_influence : bool ndarray of shape (n, d)
        True where a stance gives its own influence.
    status_quo : ndarray of shape (d,)
        Each issue's status quo (NaN where the issue gives none).
    rules : tuple of (str, tuple of int), length d
        Each issue's decision rule and the indices (into ``actor_ids``) of the actors it names
        (``("collective", ())`` by default); see :mod:`detente.bargaining.rules`.
    """

    actor_ids: tuple[str, ...]
    issue_ids: tuple[str, ...]
    capability: np.ndarray
    position: np.ndarray
    salience: np.ndarray
    present: np.ndarray
    capability_range: np.ndarray
    position_range: np.ndarray
    salience_range: np.ndarray
    influence: np.ndarray | None = None
    influence_range: np.ndarray | None = None
    has_influence: np.ndarray | None = None
    status_quo: np.ndarray | None = None
    rules: tuple[tuple[str, tuple[int, ...]], ...] = ()

    @property
    def n_actors(self) -> int:
        return len(self.actor_ids)

    @property
    def n_issues(self) -> int:
        return len(self.issue_ids)


def scenario_arrays(scenario: Scenario, issue: str | None = None) -> ScenarioArrays:
    """Lay ``scenario`` out as arrays, all issues or the single issue ``issue`` (d = 1).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    issue : str or None
        An issue id; None gives every issue in file order.

    Returns
    -------
    ScenarioArrays
        Read-only arrays; actors and issues in file order.

    Raises
    ------
    OptionsError
        ``issue`` is not an issue of the scenario.
    """
    issues = list(scenario.issues)
    if issue is not None:
        chosen = [i for i in issues if i.id == issue]
        if not chosen:
            raise OptionsError(
                f"scenario {scenario.id!r} has no issue {issue!r}",
                [Problem(f"no issue {issue!r}", path="issue",
                         allowed="one of " + ", ".join(i.id for i in issues))],
            )
        issues = chosen
    n, d = len(scenario.actors), len(issues)
    capability = np.empty(n)
    capability_range = np.empty((n, 2))
    position = np.zeros((n, d))
    salience = np.zeros((n, d))
    present = np.zeros((n, d), dtype=bool)
    position_range = np.zeros((n, d, 2))
    salience_range = np.zeros((n, d, 2))
    influence = np.empty((n, d))
    influence_range = np.empty((n, d, 2))
    has_influence = np.zeros((n, d), dtype=bool)
    for a, actor in enumerate(scenario.actors):
        capability[a] = actor.capability.value
        capability_range[a] = actor.capability.bounds
        influence[a] = capability[a]  # the global capability, unless the stance says otherwise
        influence_range[a] = capability_range[a]
        for k, iss in enumerate(issues):
            stance = actor.stances.get(iss.id)
            if stance is None or actor.id in iss.absent:
                continue
            present[a, k] = True
            position[a, k] = stance.position.value
            salience[a, k] = stance.salience.value
            position_range[a, k] = stance.position.bounds
            salience_range[a, k] = stance.salience.bounds
            if stance.influence is not None:
                has_influence[a, k] = True
                influence[a, k] = stance.influence.value
                influence_range[a, k] = stance.influence.bounds
    ids = [a.id for a in scenario.actors]
    status_quo = np.array([np.nan if i.status_quo is None else i.status_quo.value
                           for i in issues])
    rules = tuple((i.rule, tuple(ids.index(a) for a in (i.decision.actors if i.decision else ())))
                  for i in issues)
    arrays = (capability, position, salience, present, capability_range, position_range,
              salience_range, influence, influence_range, has_influence, status_quo)
    for arr in arrays:
        arr.setflags(write=False)
    return ScenarioArrays(
        actor_ids=tuple(a.id for a in scenario.actors),
        issue_ids=tuple(i.id for i in issues),
        capability=capability,
        position=position,
        salience=salience,
        present=present,
        capability_range=capability_range,
        position_range=position_range,
        salience_range=salience_range,
        influence=influence,
        influence_range=influence_range,
        has_influence=has_influence,
        status_quo=status_quo,
        rules=rules,
    )
