"""Embedded scenarios: the ``*.yaml`` files shipped in the ``detente/scenarios/`` folder.

A scenario's id is its file name without ``.yaml`` (``korea-2023.yaml`` -> ``korea-2023``); the
YAML's own ``id`` field must match it. Files are read through :mod:`importlib.resources`, so they
work from an installed wheel as well as from a source tree.

The folder is plain package data (no ``__init__.py``), addressed from the ``detente`` package:
it is never imported as a module, so it cannot shadow the public function
:func:`detente.scenarios`.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def _files() -> dict[str, Traversable]:
    folder = resources.files("detente").joinpath("scenarios")
    if not folder.is_dir():
        return {}
    return {
        entry.name.removesuffix(".yaml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml") and entry.is_file()
    }


def embedded_ids() -> list[str]:
    """Ids of the embedded scenarios, sorted."""
    return sorted(_files())


def embedded_text(scenario_id: str) -> tuple[str, str]:
    """``(YAML text, displayed file name)`` of the embedded scenario ``scenario_id``.

    Raises
    ------
    KeyError
        No embedded scenario has that id.
    """
    entry = _files()[scenario_id]
    return entry.read_text(encoding="utf-8"), str(entry)


__all__ = ["embedded_ids", "embedded_text"]
