"""Scenarios: the pydantic model, loading with located errors, policy levers, arrays.

- :func:`load_scenario` reads an embedded id (``korea-2023``), a YAML file, or a plain/KTAB CSV;
  bad input raises one :class:`detente.errors.ScenarioError` listing every problem.
- :func:`validate` returns every problem (errors and warnings such as unsourced numbers).
- :func:`apply` returns the scenario under a policy; the original is untouched.
- :meth:`Scenario.arrays` gives the numpy arrays the engines take.
"""

from __future__ import annotations

from typing import Any

from detente.scenario.dynamics_levers import DYNAMICS_LEVERS, DynamicsLeverSpec
from detente.scenario.load import (
    Loaded,
    dump,
    load_embedded,
    load_scenario,
    read_scenario,
    read_scenario_data,
    read_scenario_text,
    scenario_problems,
    validate,
)
from detente.scenario.model import (
    Actor,
    Assumption,
    Binding,
    Decision,
    DynamicsLever,
    Issue,
    Lever,
    Policy,
    Quantity,
    Scenario,
    Source,
    Stance,
)
from detente.scenario.policy import apply


def __getattr__(name: str) -> Any:
    # the arrays (NumPy) on first use: reading a scenario does not need NumPy, and a command
    # starts its work sooner without it (issue 16)
    if name in ("ScenarioArrays", "scenario_arrays"):
        from detente.scenario import arrays

        return getattr(arrays, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def scenarios() -> list[tuple[str, str]]:
    """``(id, title)`` of every embedded scenario, sorted by id.

    The title is read from each file's top level; a file too broken to show one is listed with
    its id as the title (``detente validate <id>`` says what is wrong).
    """
    from detente.scenario.embedded import embedded_ids, embedded_text
    from detente.scenario.load import read_yaml_document

    out = []
    for scenario_id in embedded_ids():
        text, display = embedded_text(scenario_id)
        # the reader (and stage-cache entry) that loading the scenario uses: listing them
        # after one is loaded parses nothing again
        doc = read_yaml_document(text, display).data
        title = doc.get("title") if isinstance(doc, dict) else None
        out.append((scenario_id, str(title) if title else scenario_id))
    return out


__all__ = [
    "DYNAMICS_LEVERS",
    "Actor",
    "Assumption",
    "Binding",
    "Decision",
    "DynamicsLever",
    "DynamicsLeverSpec",
    "Issue",
    "Lever",
    "Loaded",
    "Policy",
    "Quantity",
    "Scenario",
    "ScenarioArrays",
    "Source",
    "Stance",
    "apply",
    "dump",
    "load_embedded",
    "load_scenario",
    "read_scenario",
    "read_scenario_data",
    "read_scenario_text",
    "scenario_arrays",
    "scenario_problems",
    "scenarios",
    "validate",
]
