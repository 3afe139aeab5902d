"""Scenario.arrays(): the layout the engines read (values from mini-2023.yaml by hand)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.errors import OptionsError
from detente.scenario import load_scenario

MINI = Path(__file__).parent / "mini-2023.yaml"


def test_layout_and_values() -> None:
    arrays = load_scenario(MINI).arrays()
    assert arrays.actor_ids == ("USA", "DPRK", "ROK")
    assert arrays.issue_ids == ("talks", "sanctions")
    np.testing.assert_array_equal(arrays.capability, [85.9, 2.3, 7.3])
    np.testing.assert_array_equal(arrays.position, [[55, 85], [10, 0], [45, 85]])
    np.testing.assert_array_equal(arrays.salience, [[40, 65], [45, 80], [40, 70]])
    assert arrays.present.all()
    # ranges: USA [70, 95], DPRK [1.5, 4], ROK none -> [7.3, 7.3]
    np.testing.assert_array_equal(arrays.capability_range, [[70, 95], [1.5, 4], [7.3, 7.3]])
    np.testing.assert_array_equal(arrays.position_range[..., 0], arrays.position)
    np.testing.assert_array_equal(arrays.salience_range[..., 1], arrays.salience)
    for arr in (arrays.capability, arrays.position, arrays.salience, arrays.present):
        assert not arr.flags.writeable


def test_single_issue() -> None:
    arrays = load_scenario(MINI).arrays(issue="sanctions")
    assert arrays.issue_ids == ("sanctions",)
    np.testing.assert_array_equal(arrays.position, [[85], [0], [85]])
    assert arrays.position.shape == arrays.salience.shape == (3, 1)


def test_absent_actor(tmp_path: Path) -> None:
    # ROK listed as absent from sanctions, its sanctions stance removed
    text = MINI.read_text(encoding="utf-8").replace("    absent: []", "    absent: [ROK]")
    lines = text.splitlines()
    rok = lines.index("  - id: ROK")
    start = lines.index("      sanctions:", rok)
    del lines[start:start + 3]
    path = tmp_path / "absent.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    arrays = load_scenario(path).arrays()
    np.testing.assert_array_equal(arrays.present, [[True, True], [True, True], [True, False]])
    assert arrays.position[2, 1] == 0 and arrays.salience[2, 1] == 0
    np.testing.assert_array_equal(arrays.position_range[2, 1], [0, 0])


def test_unknown_issue() -> None:
    with pytest.raises(OptionsError) as caught:
        load_scenario(MINI).arrays(issue="nukes")
    assert "talks" in caught.value.problems[0].allowed
