"""The public API named in DESIGN.md ("the public API: load_scenario, forecast, fit, simulate,
compare, backtest") resolves to the functions each module defines."""

from __future__ import annotations

import importlib

import pytest

import detente

# name -> (module, attribute), from DESIGN.md's layout
EXPECTED = {
    "load_scenario": ("detente.scenario", "load_scenario"),
    "scenarios": ("detente.scenario", "scenarios"),
    "forecast": ("detente.bargaining.forecast", "forecast"),
    "fit": ("detente.dynamics", "fit"),
    "simulate": ("detente.dynamics", "simulate"),
    "backtest": ("detente.dynamics", "backtest"),
    "compare": ("detente.policy", "compare"),
    "monthly_panel": ("detente.evidence", "monthly_panel"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_public_verb_is_the_module_function(name: str) -> None:
    module, attr = EXPECTED[name]
    assert getattr(detente, name) is getattr(importlib.import_module(module), attr)
    assert callable(getattr(detente, name))


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        detente.nope  # noqa: B018
