"""Printing help must not pay for the science stack (issue 16, "Start-up": lazy imports).

A check of what is imported, not a timing (times go to benchmarks): after ``import detente.cli``
and building ``detente --help``, none of the heavy libraries a command needs only when it runs
(numpy, pandas, pydantic, ruamel, JAX, matplotlib, DuckDB, SciPy) may be in ``sys.modules``, nor
typer's Rich help renderer (``typer.rich_utils``, which loads ``rich.markdown``, markdown-it and
``rich.traceback`` for nothing: a quarter of ``detente --help``; help is click's plain text).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "pandas", "pydantic", "ruamel", "jax", "matplotlib", "duckdb", "scipy",
         "numpyro", "dask", "importlib.metadata", "numba", "llvmlite",
         "typer.rich_utils", "rich.markdown", "markdown_it", "rich.traceback")

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


def test_help_lists_every_command_with_its_first_paragraph_in_full():
    """Plain help must not cut a command's summary: each group's ``--help`` holds the first
    paragraph of every command's docstring (as typer registered it), word for word. Click alone
    would cut ``validate`` at "(e.g." and most others with "..." at 80 columns."""
    import inspect

    import typer.main
    from typer.testing import CliRunner

    from detente.cli import app

    root = typer.main.get_command(app)
    groups = [((), root)] + [((name,), command) for name, command in root.commands.items()
                             if hasattr(command, "commands")]
    assert len(groups) >= 4  # detente, runs, forecasts, evidence
    for path, group in groups:
        result = CliRunner().invoke(app, [*path, "--help"], terminal_width=80)
        assert result.exit_code == 0, result.output
        shown = " ".join(result.output.split("Commands:", 1)[1].split())
        assert "..." not in shown
        for name, command in group.commands.items():
            summary = " ".join(inspect.cleandoc(command.help or "").split("\n\n")[0].split())
            assert summary and f"{name} {summary}" in shown, (path, name)


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
sys.stdout.write("\\nCOMMAND-MODULES " + json.dumps(sorted(
    m for m in sys.modules if m.startswith("detente.cli.") and m != "detente.cli._app")) + "\\n")
"""


def test_forecast_reads_the_scenario_before_importing_the_engines_libraries():
    """``detente forecast`` starts its work (reading the scenario) before it imports NumPy, pandas,
    DuckDB, SciPy, JAX or matplotlib: the engines and the run store come after (issue 16's
    start-up target; the benchmark times it). The case is a CSV, so not even ruamel (the YAML
    reader) is loaded; the output is JSON, so neither is Rich. Of the command modules, only
    forecast_cmd is imported."""
    from pathlib import Path

    case = Path(__file__).parents[1] / "reference" / "bargaining" / "smp" / "cases" / \
        "dummyData_3Dim.csv"
    heavy = {"numpy", "pandas", "duckdb", "scipy", "jax", "matplotlib", "numpyro", "dask",
             "pyarrow", "numba", "ruamel", "rich"}
    code = FIRST_WORK_PROBE.replace("{0}", repr(heavy))
    done = subprocess.run([sys.executable, "-c", code, str(case)], capture_output=True,
                          text=True, timeout=120, check=True)
    line = [x for x in done.stdout.splitlines() if x.startswith("LOADED-WITH ")][-1]
    assert json.loads(line.split(" ", 1)[1]) == []
    line = [x for x in done.stdout.splitlines() if x.startswith("COMMAND-MODULES ")][-1]
    assert json.loads(line.split(" ", 1)[1]) == ["detente.cli.forecast_cmd"]


REGISTERS = """
import json, sys
import typer.main
from detente.cli import _register
print(json.dumps(sorted(typer.main.get_command(_register([sys.argv[1]])).commands)))
"""


def test_each_command_module_registers_exactly_the_names_the_table_gives_it():
    """The script imports only the module ``COMMANDS`` names for the command it runs, so the
    table must be exact: a module alone (a new process) registers precisely its names, and
    the full application has no name the table lacks."""
    import typer.main

    from detente.cli import COMMANDS, app

    assert sorted(typer.main.get_command(app).commands) == sorted(COMMANDS)
    for module in dict.fromkeys(COMMANDS.values()):
        done = subprocess.run([sys.executable, "-c", REGISTERS, module], capture_output=True,
                              text=True, timeout=120, check=True)
        registered = json.loads(done.stdout.strip().splitlines()[-1])
        assert registered == sorted(n for n, m in COMMANDS.items() if m == module), module


def test_the_script_finds_the_command_past_the_options():
    from detente.cli import COMMANDS, command_modules

    everything = list(dict.fromkeys(COMMANDS.values()))
    assert command_modules(["forecast", "x.yaml", "--json"]) == ["forecast_cmd"]
    assert command_modules(["runs", "list"]) == ["runs_cmds"]
    for line in ([], ["--help"], ["--version"], ["forcast"]):
        assert command_modules(line) == everything
