"""Writing scenarios: YAML text that loads back to an equal Scenario, written atomically.

This module needs nothing from :mod:`detente.scenario.model` (it dumps the pydantic model it is
given), so the model can offer :meth:`Scenario.to_yaml` and the loader can re-export
:func:`dump` without an import cycle between them.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

_QUANTITY_KEYS = {"value", "source", "note", "range"}


def _short(obj: dict[str, Any]) -> bool:
    """True when a mapping fits on one line in flow style (numbers, levers)."""
    return sum(len(str(k)) + len(str(v)) + 4 for k, v in obj.items()) <= 88


def _to_nodes(obj: Any, key: str | None = None, in_change_list: bool = False) -> Any:
    """Plain dumped data -> ruamel nodes; short numbers and levers in compact flow style."""
    # ruamel is imported when a scenario is written, not when this module is (see load.py)
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(obj, dict):
        node = CommentedMap()
        for k, v in obj.items():
            node[k] = _to_nodes(v, k)
        is_quantity = bool(obj) and "value" in obj and set(obj) <= _QUANTITY_KEYS
        if (is_quantity or in_change_list) and _short(obj):
            node.fa.set_flow_style()
        return node
    if isinstance(obj, list | tuple):
        in_changes = key in ("levers", "assumptions", "dynamics")
        seq = CommentedSeq(_to_nodes(v, in_change_list=in_changes) for v in obj)
        if key in ("range", "chosen_by", "absent"):
            seq.fa.set_flow_style()
        return seq
    return obj


def scenario_to_yaml(scenario: Any) -> str:
    """YAML text of ``scenario`` that :func:`load_scenario` reads back to an equal Scenario."""
    from ruamel.yaml import YAML

    data = scenario.model_dump(mode="python", exclude_none=True)
    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml.dump(_to_nodes(data), buffer)
    return buffer.getvalue()


def dump(scenario: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``scenario`` as YAML to ``path`` atomically (:func:`detente._io.atomic_write`)."""
    from detente._io import atomic_write

    return atomic_write(path, scenario_to_yaml(scenario))


__all__ = ["dump", "scenario_to_yaml"]
