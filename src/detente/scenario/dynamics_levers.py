"""The registry of dynamics levers: the named inputs the dynamic model reads.

A policy (and a scenario's baseline ``dynamics`` block) may set only the names listed here, each
inside its interval; anything else is an error on load (docs/scenario-format.md, "The
dynamics-lever registry"). The dynamic model (``detente.dynamics``) reads these names and falls
back to ``neutral`` where a scenario leaves one unset.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class DynamicsLeverSpec:
    """One named input of the dynamic model.

    Parameters
    ----------
    name : str
        The key used in scenario and policy ``dynamics`` blocks.
    low, high : float
        The closed interval of accepted values.
    neutral : float
        The value the dynamic model assumes when a scenario does not set the lever.
    meaning : str
        What the number means at its ends, in words.
    """

    name: str
    low: float
    high: float
    neutral: float
    meaning: str

    def contains(self, value: float) -> bool:
        """True when ``value`` lies in ``[low, high]``."""
        return self.low <= value <= self.high

    @property
    def interval_text(self) -> str:
        """The interval as it reads in error messages, e.g. ``a number from 0 to 1``."""
        return f"a number from {self.low:g} to {self.high:g}"


_SPECS = (
    DynamicsLeverSpec(
        "talks_offer", 0.0, 1.0, 0.0,
        "a standing US offer of talks (1 = offer 'without preconditions' stands)",
    ),
    DynamicsLeverSpec(
        "incentives_offer", 0.0, 1.0, 0.0,
        "economic/food/health package on the table (1 = Leap-Day-2012 scale or larger)",
    ),
    DynamicsLeverSpec(
        "summit_offer", 0.0, 1.0, 0.0,
        "a leader-level summit on offer (1 = as in 2018)",
    ),
    DynamicsLeverSpec(
        "sanctions_pressure", 0.0, 1.0, 0.5,
        "intensity of the sanctions campaign (0 = lapsed enforcement, 0.5 = existing regime "
        "unevenly enforced, 1 = 2017 maximum pressure)",
    ),
    DynamicsLeverSpec(
        "exercise_scale", 0.0, 1.0, 1.0,
        "scale of US-ROK combined exercises (0 = suspended as in 2018, 1 = full scale)",
    ),
)

#: name -> spec; read-only. The names are those of docs/scenario-format.md.
DYNAMICS_LEVERS: MappingProxyType[str, DynamicsLeverSpec] = MappingProxyType(
    {spec.name: spec for spec in _SPECS}
)

__all__ = ["DYNAMICS_LEVERS", "DynamicsLeverSpec"]
