"""Printing help must not pay for the science stack (issue 16, "Start-up": lazy imports).

A check of what is imported, not a timing (times go to benchmarks): after ``import detente.cli``
and building ``detente --help``, none of the heavy libraries a command needs only when it runs
(numpy, pandas, pydantic, ruamel, JAX, matplotlib, DuckDB, SciPy) may be in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "pandas", "pydantic", "ruamel", "jax", "matplotlib", "duckdb", "scipy",
         "numpyro", "dask", "importlib.metadata", "numba", "llvmlite")

PROBE = """
import json, sys
from typer.testing import CliRunner
from detente.cli import app
result = CliRunner().invoke(app, ["--help"])
assert result.exit_code == 0, result.output
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {0} or m in {0})))
"""


def test_help_imports_none_of_the_heavy_libraries():
    code = PROBE.replace("{0}", repr(set(HEAVY)))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
