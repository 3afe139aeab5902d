"""Every embedded scenario loads, validates with no errors and no unsourced number (issue #2)."""

from __future__ import annotations

import pytest

from detente.scenario import load_scenario, scenarios, validate
from detente.scenario.embedded import embedded_ids

IDS = embedded_ids()


def test_listing_matches_files() -> None:
    assert [sid for sid, _ in scenarios()] == IDS


@pytest.mark.skipif(not IDS, reason="no embedded scenario committed yet")
@pytest.mark.parametrize("scenario_id", IDS)
def test_embedded_scenario_is_clean(scenario_id: str) -> None:
    scn = load_scenario(scenario_id)
    assert scn.id == scenario_id  # the file name is the id
    problems = validate(scenario_id)
    assert [p.format() for p in problems if p.severity == "error"] == []
    assert [p.format() for p in problems if p.message.startswith("unsourced number")] == []


def test_public_scenarios_is_the_function_not_the_data_folder() -> None:
    # detente/scenarios/ is a plain data folder (no __init__.py), read through
    # importlib.resources; it must never shadow the public function detente.scenarios().
    import detente
    from detente.scenario.embedded import embedded_ids

    assert callable(detente.scenarios)
    assert detente.scenarios() == scenarios()
    assert [sid for sid, _title in detente.scenarios()] == embedded_ids()
    assert "korea-2023" in embedded_ids()
