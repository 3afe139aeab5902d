"""What produced a result: the versions of détente and of the packages that decide its numbers.

Every stored run (:mod:`detente.runs.store`) and every frozen forecast record keeps these, so a
result can be reproduced with the same code. Versions are read from the installed distributions'
metadata (:func:`importlib.metadata.version`), never by importing the packages: recording a run
must not pay for JAX's import.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

#: The distributions whose versions decide détente's numbers (engines, fits, scores, storage).
NUMERIC_PACKAGES: tuple[str, ...] = (
    "numpy", "scipy", "pandas", "jax", "jaxlib", "numpyro", "SALib", "duckdb", "pyarrow",
    "scoringrules",
)


def package_versions() -> dict[str, str]:
    """``{"detente": "0.1.0", "numpy": "2.4.6", …, "numerics": "x86-64-v3"}``; ``"not
    installed"`` for a missing one. ``numerics`` is the instruction-set level the libraries ran
    at (:func:`detente.numerics.level`): the same seed gives the same numbers at the same level."""
    from detente.numerics import level

    out = {"numerics": level()}
    for name in ("detente", *NUMERIC_PACKAGES):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


__all__ = ["NUMERIC_PACKAGES", "package_versions"]
