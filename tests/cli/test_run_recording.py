"""Every ``forecast`` (and ``compare``, ``backtest``) is kept as a run in the DuckDB store
(issue 7: "Every forecast, compare, backtest and sweep is a run").

Expected values are independent of the recording code: the stored scenario hash is recomputed
here from the scenario file as loaded, and the stored forecast is compared with the numbers the
same command printed as JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from detente.runs.store import RunStore, canonical_json
from detente.scenario import load_scenario


def _detente(*args: str, store) -> subprocess.CompletedProcess:
    env = {**os.environ, "DETENTE_STORE": str(store), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "detente.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_forecast_is_recorded_with_scenario_seed_and_results(tmp_path) -> None:
    store = tmp_path / "runs.duckdb"
    proc = _detente("forecast", "korea-2023", "--issue", "talks", "--draws", "64", "--seed", "7",
                    "--json", store=store)
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)  # --json keeps stdout pure JSON; the run id is in it

    with RunStore(store, read_only=True) as st:
        runs = st.list()
        assert list(runs["id"]) == [printed["run"]]
        rec = st.record(printed["run"])
        assert (rec.kind, rec.status, rec.seed) == ("forecast", "done", 7)
        assert "--draws 64" in rec.command
        expected_hash = hashlib.sha256(
            canonical_json(load_scenario("korea-2023")).encode()).hexdigest()
        assert rec.scenario_sha256 == expected_hash
        assert rec.scenario_id == "korea-2023"
        summary = st.table(rec.id, "summary")
        draws = st.table(rec.id, "draws")
        assert st.check().ok
    talks = printed["issues"]["talks"]
    assert summary.loc[0, "forecast"] == pytest.approx(talks["forecast"])
    assert len(draws) == 64
    assert draws["forecast"].median() == pytest.approx(talks["draws"]["quantiles"]["0.5"])


def test_forecast_names_its_run_on_stderr(tmp_path) -> None:
    store = tmp_path / "runs.duckdb"
    proc = _detente("forecast", "korea-2023", "--issue", "talks", store=store)
    assert proc.returncode == 0, proc.stderr
    with RunStore(store, read_only=True) as st:
        (run_id,) = st.list()["id"]
    assert f"run {run_id} stored in {store}" in " ".join(proc.stderr.split())


def test_no_store_records_nothing(tmp_path) -> None:
    store = tmp_path / "runs.duckdb"
    proc = _detente("forecast", "korea-2023", "--issue", "talks", "--no-store", store=store)
    assert proc.returncode == 0, proc.stderr
    assert not store.exists()


def test_runs_list_shows_a_seedless_run(tmp_path) -> None:
    # A forecast without draws has no seed (the point run is deterministic); the store keeps
    # NULL and `runs list` must show it as "–" rather than fail on pandas' NA.
    store = tmp_path / "runs.duckdb"
    assert _detente("forecast", "korea-2023", "--issue", "talks", store=store).returncode == 0
    proc = _detente("runs", "list", store=store)
    assert proc.returncode == 0, proc.stderr
    assert "forecast" in proc.stdout and "korea-2023" in proc.stdout


def test_key_value_options_are_read_one_way() -> None:
    # forecast --set and sweep --option share one reader; a boolean must not stay the
    # (truthy) text "false".
    from detente.cli._app import parse_key_values
    from detente.errors import OptionsError

    got = parse_key_values(["q=0.5", "t=none", "common_random_numbers=false", "draws=40",
                            "capitulation=never"], "--set", "q=0.5")
    assert got == {"q": 0.5, "t": None, "common_random_numbers": False, "draws": 40,
                   "capitulation": "never"}
    assert isinstance(got["draws"], int)
    with pytest.raises(OptionsError, match="not KEY=VALUE"):
        parse_key_values(["nokey"], "--option", "draws=40")
