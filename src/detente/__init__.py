"""détente: evidence-linked models of nuclear diplomacy.

The public API (each verb also has a CLI command):

- :func:`load_scenario`, :func:`scenarios`, :func:`apply` — scenarios, validation, policy levers
- :func:`forecast` — bargaining forecasts (``model="bdm" | "smp"``; the CLI's ``--model all`` calls it once per engine)
- :func:`monthly_panel` — the cited history as a monthly frame
- :func:`fit`, :func:`simulate`, :func:`backtest` — the dynamic model of DPRK testing
- :func:`compare` — policies side by side (bargaining → bridge rules → dynamics)
- :func:`evaluate` — the main job: the comparison, the back-test and the claims, one result
  (:mod:`detente.report` writes its report, :func:`detente.runs.record` stores it)

Names are imported lazily, so ``import detente`` (and the CLI's start-up) does not pay for JAX or
matplotlib until a verb that needs them is called.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> module that defines it
_API = {
    "load_scenario": "detente.scenario",
    "scenarios": "detente.scenario",
    "apply": "detente.scenario",
    "Scenario": "detente.scenario",
    "forecast": "detente.bargaining.forecast",
    "monthly_panel": "detente.evidence",
    "fit": "detente.dynamics",
    "simulate": "detente.dynamics",
    "backtest": "detente.dynamics",
    "compare": "detente.policy",
    "Comparison": "detente.policy",
    "evaluate": "detente.evaluation",
    "Evaluation": "detente.evaluation",
}

#: Sub-packages reachable as attributes without an explicit import (``detente.report.write``).
_MODULES = ("report", "runs", "scenario", "evidence", "dynamics", "policy", "bargaining",
            "forecasts")


def _version() -> str:
    # importlib.metadata costs about 20 ms: read only when the version is asked for
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("detente")
    except PackageNotFoundError:  # running from a source tree without install
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    if name in _MODULES:
        return importlib.import_module(f"detente.{name}")
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'detente' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*_API, *_MODULES, "__version__"])


__all__ = ["__version__", *_API]
