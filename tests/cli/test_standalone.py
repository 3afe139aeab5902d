"""Issue 10: every result is a run, the main job is a library verb, layers flow one way.

Expected values are independent of the code under test: the seed a command prints is read from
its own output and must equal the stored one; the backend check compares matplotlib's backend
before and after an import in a fresh interpreter; the unbound scenario is written here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.runs import RunStore

runner = CliRunner()


def _stored_seed(store: Path, run_id: str) -> int | None:
    with RunStore(store, read_only=True) as st:
        return st.record(run_id).seed


def test_seedless_forecast_is_stored_with_the_seed_it_prints(tmp_path):
    store = tmp_path / "runs.duckdb"
    result = runner.invoke(app, ["forecast", "korea-2023", "--model", "bdm", "--draws", "4",
                                 "--store", str(store)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    printed = int(re.search(r"4 draws, seed (\d+)", result.output).group(1))
    run_id = re.search(r"run (forecast-\S+) stored", result.output).group(1)
    assert _stored_seed(store, run_id) == printed
    assert printed < 2**63


def test_run_records_the_package_versions(tmp_path):
    store = tmp_path / "runs.duckdb"
    result = runner.invoke(app, ["forecast", "korea-2023", "--json", "--store", str(store)])
    run_id = json.loads(result.stdout)["run"]
    shown = runner.invoke(app, ["runs", "show", run_id, "--store", str(store), "--json"])
    versions = json.loads(shown.stdout)["versions"]
    from importlib.metadata import version

    for name in ("numpy", "scipy", "pandas", "jax", "jaxlib", "numpyro", "SALib", "duckdb",
                 "pyarrow", "scoringrules", "detente"):
        assert versions[name] == version(name)


def test_model_all_applies_set_to_every_engine(tmp_path):
    result = runner.invoke(app, ["forecast", "korea-2023", "--model", "all", "--set",
                                 "rounds=2", "--json", "--no-store"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["bdm"]["options"]["rounds"] == 2
    # BDM runs exactly 2 rounds: the per-round medians are the input plus two rounds
    assert all(len(i["median_by_round"]) == 3 for i in doc["bdm"]["issues"].values())
    assert doc["smp"]["options"]["rounds"] == 2


def test_model_all_refuses_an_option_of_one_engine_only():
    result = runner.invoke(app, ["forecast", "korea-2023", "--model", "all", "--set", "q=0.5",
                                 "--no-store"])
    assert result.exit_code == 2
    assert "bdm.q" in result.output


def test_importing_the_library_leaves_the_matplotlib_backend_alone():
    code = ("import matplotlib; before = matplotlib.get_backend(); "
            "import detente.policy, detente.report, detente.report.figures, detente.evaluation; "
            "assert matplotlib.get_backend() == before, (before, matplotlib.get_backend()); "
            "print(before)")
    env = {**os.environ, "MPLBACKEND": "svg"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "svg"


def test_policy_package_does_not_import_the_report():
    code = ("import sys, detente.policy, detente.evaluation; "
            "print(any(m.startswith('detente.report') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


UNBOUND = """\
id: iran-2015
title: Iran nuclear talks, spring 2015 (test scenario, no dynamics binding)
as_of: 2015-03-01
issues:
  - {id: talks, name: P5+1 talks, low: none, high: a signed deal,
     status_quo: {value: 50, source: analyst}}
  - {id: sanctions, name: Sanctions on Iran, low: lifted, high: maximum,
     status_quo: {value: 80, source: analyst}}
actors:
  - id: USA
    name: United States
    capability: {value: 80, source: analyst}
    stances:
      talks: {position: {value: 70, source: analyst}, salience: {value: 80, source: analyst}}
      sanctions: {position: {value: 60, source: analyst}, salience: {value: 60, source: analyst}}
  - id: IRN
    name: Iran
    capability: {value: 10, source: analyst}
    stances:
      talks: {position: {value: 60, source: analyst}, salience: {value: 90, source: analyst}}
      sanctions: {position: {value: 0, source: analyst}, salience: {value: 90, source: analyst}}
  - id: RUS
    name: Russia
    capability: {value: 20, source: analyst}
    stances:
      talks: {position: {value: 65, source: analyst}, salience: {value: 40, source: analyst}}
      sanctions: {position: {value: 20, source: analyst}, salience: {value: 30, source: analyst}}
policies:
  - id: status-quo
    name: Status quo
    chosen_by: [USA]
  - id: pressure
    name: More pressure
    chosen_by: [USA]
    levers:
      - {actor: USA, issue: sanctions, field: position, op: set, value: 90, rationale: test}
"""


def test_compare_without_a_binding_is_bargaining_only(tmp_path):
    path = tmp_path / "iran.yaml"
    path.write_text(UNBOUND, encoding="utf-8")
    store = tmp_path / "runs.duckdb"
    result = runner.invoke(app, ["compare", str(path), "--draws", "4", "--seed", "3",
                                 "--out", str(tmp_path), "--store", str(store),
                                 "--export", str(tmp_path / "tables")],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    import pandas as pd

    summary = pd.read_csv(tmp_path / "tables" / "summary.csv")  # --export: every table as CSV
    assert list(summary["policy"]) == ["status-quo", "pressure"]
    assert not (tmp_path / "tables" / "paired.csv").exists()  # nothing simulated, nothing paired
    from detente.policy import Comparison

    text = " ".join(result.output.split())  # Rich wraps lines
    note = " ".join(Comparison.UNBOUND_NOTE.split())
    assert note in text
    rest = text.replace(note, "")  # the one line that says why; no numbers of these kinds
    for word in ("launch", "nuclear", "P(nuc)", "P(talks)", "C1", "claims, tested", "index"):
        assert word not in rest, word
    html = (tmp_path / "iran-2015-comparison.html").read_text(encoding="utf-8")
    assert "bargaining comparison only" in html
    assert "fan-charts" not in html and "launch events" not in html


@pytest.mark.slow
def test_seedless_compare_is_stored_with_its_seed_and_wall_time(tmp_path):
    path = tmp_path / "iran.yaml"
    path.write_text(UNBOUND, encoding="utf-8")
    store = tmp_path / "runs.duckdb"
    result = runner.invoke(app, ["compare", str(path), "--draws", "4", "--out", str(tmp_path),
                                 "--store", str(store)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    printed = int(re.search(r"seed (\d+)\)", result.output).group(1))
    run_id = re.search(r"run (compare-\S+) stored", result.output).group(1)
    with RunStore(store, read_only=True) as st:
        rec = st.record(run_id)
    assert rec.seed == printed
    assert rec.timings["wall"] >= rec.timings["compute"] > 0
    assert rec.seconds >= rec.timings["compute"]
    # the stored report re-renders without recomputing
    again = runner.invoke(app, ["report", run_id, "--store", str(store), "--out",
                                str(tmp_path / "again.html")])
    assert again.exit_code == 0, again.output
    first = (tmp_path / "iran-2015-comparison.html").read_text(encoding="utf-8")
    assert (tmp_path / "again.html").read_text(encoding="utf-8") == first


def test_version_option():
    from detente import __version__
    from detente.numerics import level

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"detente {__version__} (numerics {level()})"


def test_no_test_reads_outside_the_repository():
    root = Path(__file__).resolve().parents[2]
    hits = []
    for folder in ("tests", "benchmarks", "src", "scripts"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".yaml", ".toml", ".md", ".cfg", ".j2") \
                    and "reference" not in path.parts:
                if "shared/" in path.read_text(encoding="utf-8", errors="ignore"):
                    hits.append(str(path.relative_to(root)))
    assert hits == [] or hits == ["tests/cli/test_standalone.py"]
