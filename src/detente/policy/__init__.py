"""Policies as levers, and :func:`compare`: policies side by side with honest uncertainty.

- :func:`compare` joins the bargaining forecast (SMP by default, BDM as cross-check) to the
  fitted dynamic model through the named bridge rules of :mod:`detente.policy.bridge`.
- :class:`BridgeSettings` holds the bridge parameters (defaults, ranges, reasons).
- :func:`claims_table` puts each claim of the founding column to the comparison.
"""

from __future__ import annotations

from detente.policy.bridge import INDEX_LABEL, BridgeSettings, rules_text
from detente.policy.claims import Claim, claims_table
from detente.policy.compare import (
    DEFAULT_DRAWS,
    STATUS_QUO_ID,
    Comparison,
    PolicyOutcome,
    compare,
)
from detente.policy.levers import PolicyChange, policy_changes, resolve_policies

__all__ = [
    "DEFAULT_DRAWS",
    "INDEX_LABEL",
    "STATUS_QUO_ID",
    "BridgeSettings",
    "Claim",
    "Comparison",
    "PolicyChange",
    "PolicyOutcome",
    "claims_table",
    "compare",
    "policy_changes",
    "resolve_policies",
    "rules_text",
]
