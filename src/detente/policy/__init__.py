"""Policies as levers, and :func:`compare`: policies side by side with honest uncertainty.

- :func:`compare` joins the bargaining forecast (SMP by default, BDM as cross-check) to the
  fitted dynamic model through the named bridge rules of :mod:`detente.policy.bridge`.
- :class:`BridgeSettings` holds the bridge parameters (defaults, ranges, reasons).
- :func:`bridge_grid` and :func:`monte_carlo_check` (:mod:`detente.policy.sensitivity`): the
  β_T × β_D sensitivity grid and the Monte Carlo error target of the paired table.
- :func:`claims_table` puts each claim of the founding column to the comparison.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it; imported on first use (``detente.policy.DEFAULT_DRAWS``
# must not cost the comparison's imports)
_NAMES = {
    "INDEX_LABEL": "bridge", "BridgeSettings": "bridge", "rules_text": "bridge",
    "Claim": "claims", "claims_table": "claims",
    "DEFAULT_DRAWS": "defaults", "DEFAULT_PATHS_PER_DRAW": "defaults",
    "STATUS_QUO_ID": "compare", "Comparison": "compare", "PolicyOutcome": "compare",
    "compare": "compare",
    "PolicyChange": "levers", "policy_changes": "levers", "resolve_policies": "levers",
    "MC_TARGET": "sensitivity", "BridgeGrid": "sensitivity", "bridge_grid": "sensitivity",
    "monte_carlo_check": "sensitivity",
}


def __getattr__(name: str) -> Any:
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'detente.policy' has no attribute {name!r}")
    return getattr(importlib.import_module(f"detente.policy.{module}"), name)


def __dir__() -> list[str]:
    return sorted(_NAMES)


__all__ = sorted(_NAMES)
