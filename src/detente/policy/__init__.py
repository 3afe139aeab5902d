"""Policies as levers, and :func:`compare`: policies side by side with honest uncertainty.

- :func:`compare` joins the bargaining forecast (SMP by default, BDM as cross-check) to the
  fitted dynamic model through the named bridge rules of :mod:`detente.policy.bridge`.
- :class:`BridgeSettings` holds the bridge parameters (defaults, ranges, reasons).
- :func:`bridge_grid` and :func:`monte_carlo_check` (:mod:`detente.policy.sensitivity`): the
  β_T × β_D sensitivity grid and the Monte Carlo error target of the paired table.
- :func:`claims_table` puts each claim of the founding column to the comparison.
"""

from __future__ import annotations

from detente.policy.bridge import INDEX_LABEL, BridgeSettings, rules_text
from detente.policy.claims import Claim, claims_table
from detente.policy.compare import (
    DEFAULT_DRAWS,
    DEFAULT_PATHS_PER_DRAW,
    STATUS_QUO_ID,
    Comparison,
    PolicyOutcome,
    compare,
)
from detente.policy.levers import PolicyChange, policy_changes, resolve_policies
from detente.policy.sensitivity import MC_TARGET, BridgeGrid, bridge_grid, monte_carlo_check

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_PATHS_PER_DRAW",
    "INDEX_LABEL",
    "MC_TARGET",
    "STATUS_QUO_ID",
    "BridgeGrid",
    "BridgeSettings",
    "Claim",
    "Comparison",
    "PolicyChange",
    "PolicyOutcome",
    "bridge_grid",
    "claims_table",
    "compare",
    "monte_carlo_check",
    "policy_changes",
    "resolve_policies",
    "rules_text",
]
