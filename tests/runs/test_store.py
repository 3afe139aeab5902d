"""The DuckDB run store: lifecycle, long-format tables, atomic chunks, integrity, export, diff.

Expected values here are the inputs themselves (what goes in must come out), independently
computed hashes (``hashlib`` over ``json.dumps`` with sorted keys), or counts derived by hand.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from detente.errors import OptionsError
from detente.runs.store import RunStore, canonical_json

from .conftest import run_cli

FRAME = pd.DataFrame({
    "actor": ["USA", "DPRK", "ROK"],
    "position": [55.0, 10.5, np.nan],
    "round": [1, 2, 3],
    "accepted": [True, False, True],
})


def test_run_records_inputs_and_marks_done(store: RunStore) -> None:
    scenario = {"id": "toy", "actors": [{"id": "A", "capability": 1.5}], "b": "é"}
    with store.run(kind="forecast", command="detente forecast toy", scenario=scenario, seed=7,
                   params={"model": "bdm", "rounds": 10}) as run:
        run.add_table("forecast", FRAME)
    rec = store.record(run.id)
    # independent canonical form: sorted keys, compact separators, UTF-8
    expected_json = json.dumps(scenario, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert rec.scenario_json == expected_json
    assert rec.scenario_sha256 == hashlib.sha256(expected_json.encode()).hexdigest()
    assert (rec.status, rec.kind, rec.seed, rec.scenario_id) == ("done", "forecast", 7, "toy")
    assert rec.params == {"model": "bdm", "rounds": 10}
    assert rec.ended is not None and rec.ended >= rec.started
    assert {"wall", "store"} <= set(rec.timings)
    assert rec.version  # the installed package version


def test_table_round_trips_with_order_and_dtypes(store: RunStore) -> None:
    with store.run(kind="forecast", command="x") as run:
        run.add_table("forecast", FRAME)
    back = store.table(run.id, "forecast")
    pd.testing.assert_frame_equal(back, FRAME, check_dtype=False)
    assert list(back.columns) == list(FRAME.columns)
    assert back["round"].dtype == np.int64 and back["accepted"].dtype == bool


def test_failed_and_interrupted_runs_are_marked(store: RunStore) -> None:
    with pytest.raises(ZeroDivisionError), store.run(kind="backtest", command="x") as run_a:
        run_a.add_table("partial", FRAME)
        1 / 0  # noqa: B018
    with pytest.raises(KeyboardInterrupt), store.run(kind="sweep", command="x") as run_b:
        raise KeyboardInterrupt
    a, b = store.record(run_a.id), store.record(run_b.id)
    assert a.status == "failed" and "ZeroDivisionError" in a.error
    assert b.status == "interrupted"
    assert store.table(run_a.id, "partial").shape == FRAME.shape  # committed before the failure
    assert store.check().ok


def test_chunk_commit_is_atomic(store: RunStore) -> None:
    """A chunk whose ``chunks`` row violates the primary key rolls back its cells too."""
    run_id = store.create_run(kind="sweep", command="x", params={"n_chunks": 2})
    store.add_chunk(run_id, 0, "evaluations", pd.DataFrame({"y": [1.0, 2.0]}), 0, 0.1)
    with pytest.raises(duckdb.ConstraintException):
        # same chunk index again: the cells are inserted first, then the chunks row fails
        store.add_chunk(run_id, 0, "evaluations", pd.DataFrame({"y": [3.0, 4.0]}), 2, 0.1)
    assert store.done_chunks(run_id) == {0}
    assert store.table(run_id, "evaluations")["y"].tolist() == [1.0, 2.0]
    assert store.check().ok


def test_integrity_check_finds_a_missing_cell(store: RunStore, store_path: Path) -> None:
    with store.run(kind="forecast", command="x") as run:
        run.add_table("forecast", FRAME)
    assert store.check().ok
    store._con.execute("DELETE FROM results WHERE col = 'round' AND \"row\" = 1")
    report = store.check()
    assert not report.ok
    assert any("forecast" in (p.path or "") for p in report.problems)


def test_integrity_check_finds_a_done_sweep_with_missing_chunks(store: RunStore) -> None:
    run_id = store.create_run(kind="sweep", command="x", params={"n_chunks": 3})
    store.add_chunk(run_id, 0, "evaluations", pd.DataFrame({"y": [1.0]}), 0, 0.1)
    store.finish_run(run_id, "done")
    report = store.check()
    assert not report.ok
    assert any("1 of 3 chunks" in p.message for p in report.problems)


def test_parquet_export_round_trips(store: RunStore, tmp_path: Path) -> None:
    with store.run(kind="forecast", command="detente forecast toy", scenario={"id": "toy"},
                   seed=3, params={"model": "bdm"}) as run:
        run.add_table("forecast", FRAME)
        run.add_table("summary", pd.DataFrame({"issue": ["talks"], "forecast": [61.25]}))
    out = store.export(run.id, "parquet", tmp_path / "run.parquet")
    # read it back with pyarrow alone: the long cells are the frame's cells
    table = pq.read_table(out)
    cells = table.to_pandas()
    assert set(cells["table"]) == {"forecast", "summary"}
    pos = cells[(cells["table"] == "forecast") & (cells["column"] == "position")]
    assert pos.sort_values("row")["value"].tolist()[:2] == [55.0, 10.5]
    assert len(cells) == FRAME.size + 2
    assert json.loads(table.schema.metadata[b"detente.run"])["run"]["id"] == run.id
    # and import into a fresh store: every table and the run record come back
    with RunStore(tmp_path / "other.duckdb") as other:
        assert other.import_run(out) == run.id
        for name in ("forecast", "summary"):
            pd.testing.assert_frame_equal(other.table(run.id, name), store.table(run.id, name))
        a, b = store.record(run.id), other.record(run.id)
        assert (a.scenario_sha256, a.seed, a.params, a.status) == \
            (b.scenario_sha256, b.seed, b.params, b.status)
        assert other.check().ok


def test_cli_export_parquet_and_csv(store: RunStore, store_path: Path, tmp_path: Path) -> None:
    with store.run(kind="forecast", command="x") as run:
        run.add_table("forecast", FRAME)
    store.close()
    pq_out, csv_out = tmp_path / "r.parquet", tmp_path / "r.csv"
    res = run_cli("runs", "export", run.id[:-2], "--format", "parquet", "--out", str(pq_out),
                  "--store", str(store_path))
    assert res.returncode == 0, res.stderr
    res = run_cli("runs", "export", run.id, "--format", "csv", "--out", str(csv_out),
                  "--store", str(store_path))
    assert res.returncode == 0, res.stderr
    a = pq.read_table(pq_out).to_pandas()
    b = pd.read_csv(csv_out)
    assert len(a) == len(b) == FRAME.size
    np.testing.assert_array_equal(a["value"].to_numpy(), b["value"].to_numpy())
    assert Path(str(csv_out) + ".run.json").exists()
    bad = run_cli("runs", "export", run.id, "--format", "xlsx", "--store", str(store_path))
    assert bad.returncode == 2 and "--format" in bad.stderr and "parquet or csv" in bad.stderr


def test_diff_reports_inputs_and_cells(store: RunStore) -> None:
    with store.run(kind="forecast", command="x", seed=1, params={"rounds": 10}) as a:
        a.add_table("t", pd.DataFrame({"y": [1.0, 2.0, 3.0]}))
    with store.run(kind="forecast", command="x", seed=2, params={"rounds": 10}) as b:
        b.add_table("t", pd.DataFrame({"y": [1.0, 2.5, 3.0, 4.0]}))
    d = store.diff(a.id, b.id)
    assert d.fields.set_index("field").loc["seed"].tolist() == ["1", "2"]
    row = d.cells.set_index(["table", "column"]).loc[("t", "y")]
    # by hand: rows 0 and 2 equal, row 1 differs by 0.5, row 3 only in b
    assert (row.n_a, row.n_b, row.only_a, row.only_b, row.n_different) == (3, 4, 0, 1, 1)
    assert row.max_abs_diff == pytest.approx(0.5)
    assert not d.identical_results
    assert store.diff(a.id, a.id).identical_results


def test_unknown_and_ambiguous_ids_name_the_fix(store: RunStore) -> None:
    with store.run(kind="forecast", command="x") as run:
        pass
    with pytest.raises(OptionsError) as err:
        store.record("nope")
    assert "detente runs list" in err.value.format()
    assert store.resolve(run.id[:12]) == run.id


def test_second_writer_gets_a_clear_error(store: RunStore, store_path: Path) -> None:
    """DuckDB allows one writing process: another process must get a message, not a traceback."""
    res = run_cli("runs", "list", "--store", str(store_path))
    assert res.returncode == 2
    assert "in use by another process" in res.stderr and "Traceback" not in res.stderr


def test_canonical_json_is_order_independent() -> None:
    assert canonical_json({"b": 1, "a": [1, 2]}) == canonical_json({"a": [1, 2], "b": 1})


def test_canonical_json_gives_a_numpy_scalar_the_text_of_its_python_value() -> None:
    """A NumPy NaN or infinity (a parameter read from an array) is written like Python's own,
    as readable text: JSON has no NaN. The expected text is Python's ``str(float("nan"))``.
    Before, ``np.float64("nan")`` bypassed the non-finite rule and the run could not be stored
    (json.dumps refused the NaN)."""
    import numpy as np

    for value in (float("nan"), float("inf"), -float("inf"), 0.25, 3, True):
        numpy_value = np.asarray(value)[()]
        assert isinstance(numpy_value, np.generic)
        assert canonical_json({"p": numpy_value}) == canonical_json({"p": value})
    assert canonical_json({"p": np.float32("nan")}) == '{"p":"nan"}'


def test_foreign_duckdb_file_is_refused_by_name(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    res = run_cli("runs", "list", "--store", str(other))
    assert res.returncode == 2
    assert "not a détente run store" in res.stderr and str(other) in res.stderr
    assert "Traceback" not in res.stderr


def test_save_run_records_a_finished_result(store_path: Path) -> None:
    from detente.runs import save_run

    run_id = save_run(kind="forecast", command="detente forecast toy", tables={"forecast": FRAME},
                      scenario={"id": "toy"}, seed=4, params={"draws": 0},
                      timings={"engine": 0.5}, store=store_path)
    with RunStore(store_path, read_only=True) as st:
        rec = st.record(run_id)
        assert (rec.kind, rec.status, rec.seed) == ("forecast", "done", 4)
        assert rec.timings["engine"] == 0.5
        pd.testing.assert_frame_equal(st.table(run_id, "forecast"), FRAME, check_dtype=False)


def test_cli_list_show_diff_check(store_path: Path) -> None:
    """The faces over a store holding two sweeps that differ only in their seed."""
    from detente.runs import SweepSpec, run_sweep

    with RunStore(store_path) as st:
        a = run_sweep(None, SweepSpec("ishigami", "morris", samples=4, seed=1), store=st)
        b = run_sweep(None, SweepSpec("ishigami", "morris", samples=4, seed=2), store=st)
    listed = json.loads(run_cli("runs", "list", "--json", "--store", str(store_path)).stdout)
    assert {r["id"] for r in listed} == {a.run_id, b.run_id}
    shown = json.loads(run_cli("runs", "show", a.run_id, "--json", "--store",
                               str(store_path)).stdout)
    assert shown["params"]["method"] == "morris" and shown["chunks_done"] == 1
    # 3 inputs × (mu, mu_star, sigma) rows
    assert len(shown["indices"]) == 9
    diff = json.loads(run_cli("runs", "diff", a.run_id, b.run_id, "--json", "--store",
                              str(store_path)).stdout)
    assert not diff["identical_results"]
    assert {f["field"] for f in diff["fields"]} == {"seed", "params.design_sha256"}
    check = run_cli("runs", "check", "--store", str(store_path))
    assert check.returncode == 0 and "consistent" in check.stdout
