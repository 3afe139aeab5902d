"""The dynamic model's contract with its data and callers, importable without JAX.

:mod:`detente.dynamics.model` (NumPyro, JAX) re-exports these names; :mod:`detente.dynamics.fit`
needs them before it knows whether a cached posterior exists, and so must not import the model
itself on that path (a cached ``detente compare`` would otherwise pay JAX's start-up).
"""

from __future__ import annotations

from detente.errors import OptionsError, Problem

VARIANTS: tuple[str, ...] = ("full", "no_policy")

#: Panel columns the model reads (the evidence → dynamics interface).
PANEL_COLUMNS: tuple[str, ...] = ("launch_events", "missiles", "nuclear_test", "unsc_resolution",
                                  "leader", "regime")


def check_variant(variant: str) -> str:
    """Return ``variant`` if known, else raise OptionsError naming the allowed ones."""
    if variant not in VARIANTS:
        raise OptionsError(f"unknown model variant {variant!r}",
                           [Problem(f"variant {variant!r}", path="variant",
                                    allowed=", ".join(VARIANTS))])
    return variant


#: The panel columns the dynamic model reads as observations: a month where one is missing
#: (a user's added launches past the months their tests or sanctions cover) is never a zero.
OBSERVED_COLUMNS = ("launch_events", "missiles", "nuclear_test", "unsc_resolution")
