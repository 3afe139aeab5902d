r"""Decision rules: how an issue's bargained outcome is constrained by who decides it.

Both engines settle every issue as one collective decision (BDM's median voter, SMP's expected
outcome of a probabilistic Condorcet election). Few real issues are decided that way. A scenario
may declare, per issue (``docs/decision-rules.md``):

``collective``
    The engine's own outcome, unchanged (the default: the published models).
``unilateral: X``
    The outcome is X's own position at that round: X decides alone; the others move the outcome
    only by moving X in the bargaining.
``veto: [V…]``
    The outcome must lie in every veto holder's win-set of the status quo ``q``: no veto holder
    ends farther from its own position than ``q`` is (Tsebelis 2002). On one issue dimension the
    win-set of holder ``v`` at position :math:`x_v` is the interval
    :math:`[x_v - |q - x_v|,\ x_v + |q - x_v|]`; their intersection
    :math:`[\max_v (x_v - d_v),\ \min_v (x_v + d_v)]` always contains ``q``. The outcome is the
    collective outcome moved to the nearest point of that intersection (it is unchanged when it
    already lies inside); when the win-sets meet only at ``q`` (holders on both sides of it),
    the outcome is ``q``.
``joint: [A, B]``
    A veto rule with those two: both must accept.
``bilateral: [A, B]``
    Only A and B bargain (the engines run on those two actors alone, so nobody else's numbers
    can change the outcome), then the ``joint`` rule applies.

The rule is applied to each round's (BDM) or turn's (SMP) outcome with the named actors'
positions at that round, so a summary over rounds (a cycling BDM run) summarises constrained
outcomes. These are pure functions over arrays; the engines' scenario adapters call them.

References
----------
.. [1] G. Tsebelis, *Veto Players: How Political Institutions Work*, Princeton University Press,
   2002, ch. 1 (the win-set of the status quo; the core of a set of veto players).
.. [2] B. Bueno de Mesquita, *The Predictioneer's Game*, Random House, 2009, and Bueno de
   Mesquita (1994): the practice of issue-specific "clout" (the capability an actor brings to
   one issue), which ``influence`` implements.
"""

from __future__ import annotations

import numpy as np

RULES: tuple[str, ...] = ("collective", "unilateral", "veto", "joint", "bilateral")


def veto_interval(holders: np.ndarray, status_quo: float) -> tuple[np.ndarray, np.ndarray]:
    """The intersection of the veto holders' win-sets of the status quo.

    Parameters
    ----------
    holders : ndarray of shape (..., v)
        The veto holders' positions.
    status_quo : float

    Returns
    -------
    lo, hi : ndarrays of shape (...)
        ``lo = max_v (x_v - |q - x_v|)``, ``hi = min_v (x_v + |q - x_v|)``; ``lo ≤ q ≤ hi``.
    """
    x = np.asarray(holders, dtype=float)
    reach = np.abs(status_quo - x)
    return (x - reach).max(axis=-1), (x + reach).min(axis=-1)


def constrain(outcome: np.ndarray, positions: np.ndarray, rule: str, named: np.ndarray,
              status_quo: float) -> np.ndarray:
    """The outcome of an issue under its decision rule.

    Parameters
    ----------
    outcome : ndarray of shape (...)
        The engine's collective outcome (per draw and/or round).
    positions : ndarray of shape (..., n)
        The actors' positions at the same draw/round (the engine's actor order).
    rule : str
        One of :data:`RULES`.
    named : int ndarray of shape (k,)
        Indices (into the last axis of ``positions``) of the actors the rule names.
    status_quo : float
        The issue's status quo (needed by ``veto``, ``joint``, ``bilateral``).

    Returns
    -------
    ndarray of shape (...)
        ``outcome`` itself (the same object) for ``collective``.
    """
    if rule == "collective":
        return outcome
    pos = np.asarray(positions, dtype=float)
    if rule == "unilateral":
        return pos[..., int(named[0])]
    lo, hi = veto_interval(pos[..., np.asarray(named, dtype=int)], status_quo)
    return np.clip(np.asarray(outcome, dtype=float), lo, hi)


__all__ = ["RULES", "constrain", "veto_interval"]
