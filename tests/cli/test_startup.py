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


FIRST_WORK_PROBE = """
import json, sys
import detente.scenario as scenario
real = scenario.load_scenario
seen = []
def stamped(*args, **kwargs):
    seen.extend(sorted(m for m in sys.modules if m.split(".")[0] in {0}))
    return real(*args, **kwargs)
scenario.load_scenario = stamped
from detente.cli import main
sys.argv = ["detente", "forecast", sys.argv[1], "--model", "smp", "--json", "--no-store"]
try:
    main()
except SystemExit:
    pass
sys.stdout.write("\\nLOADED-WITH " + json.dumps(seen) + "\\n")
"""


def test_forecast_reads_the_scenario_before_importing_the_engines_libraries():
    """``detente forecast`` starts its work (reading the scenario) before it imports NumPy, pandas,
    DuckDB, SciPy, JAX or matplotlib: the engines and the run store come after (issue 16's
    start-up target; the benchmark times it)."""
    from pathlib import Path

    case = Path(__file__).parents[1] / "reference" / "bargaining" / "smp" / "cases" / \
        "dummyData_3Dim.csv"
    heavy = {"numpy", "pandas", "duckdb", "scipy", "jax", "matplotlib", "numpyro", "dask",
             "pyarrow", "numba"}
    code = FIRST_WORK_PROBE.replace("{0}", repr(heavy))
    done = subprocess.run([sys.executable, "-c", code, str(case)], capture_output=True,
                          text=True, timeout=120, check=True)
    line = [x for x in done.stdout.splitlines() if x.startswith("LOADED-WITH ")][-1]
    assert json.loads(line.split(" ", 1)[1]) == []
