"""The store never loses a run and never touches what is not its own (issue 13 item 3).

Expected behaviour, observable from outside: four processes started at the same moment all
land their runs (they wait for DuckDB's single-writer lock); a foreign DuckDB file and an
SQLite file given as --store are refused and left byte for byte unchanged; a run that cannot
be stored is kept in a recovery store and the command exits 1; ``runs check`` passes on a
healthy store holding a forecast without draws (its empty draws table); a new store appears
whole (DuckDB creates its file before it locks it and writes the header, so a writer that
opened it in that moment was refused: one CI run lost a run that way).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from detente.cli import app
from detente.runs import RunStore

runner = CliRunner()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_four_writers_at_once_all_land(tmp_path):
    store = tmp_path / "runs.duckdb"
    env = {**os.environ, "DETENTE_STORE": str(store), "DETENTE_STORE_TIMEOUT": "120"}
    cmd = [sys.executable, "-m", "detente.cli", "forecast", "korea-2023", "--model", "bdm",
           "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                              text=True) for _ in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], "\n".join(o[1] for o in outs)
    ids = {json.loads(o[0])["run"] for o in outs}
    with RunStore(store, read_only=True) as st:
        assert ids <= set(st.list()["id"]) and len(ids) == 4
        assert st.check().ok
    check = runner.invoke(app, ["runs", "check", "--store", str(store)])
    assert check.exit_code == 0, check.output


_WATCHER = """
import os, sys
path, stop, seen = sys.argv[1], sys.argv[2], 0
print("ready", flush=True)
while not os.path.exists(stop):
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError:
        continue  # not there (yet, or no more)
    seen += head[8:12] != b"DUCK"  # there, but without its header: what a writer is refused on
print(seen)
"""


def test_a_new_store_appears_whole(tmp_path):
    """A second process polling the path never finds the store file without its DuckDB header
    while 60 stores are created there one after another. On the code before the fix, with
    DuckDB creating the file in place, this test's watcher saw such a file 1549 times in the
    60 creations on the machine it was written on."""
    path, stop = tmp_path / "runs.duckdb", tmp_path / "stop"
    watcher = subprocess.Popen([sys.executable, "-c", _WATCHER, str(path), str(stop)],
                               stdout=subprocess.PIPE, text=True)
    assert watcher.stdout is not None and watcher.stdout.readline().strip() == "ready"
    try:
        for _ in range(60):
            RunStore(path).close()
            path.unlink()
    finally:
        stop.touch()
    seen = int(watcher.communicate(timeout=60)[0])
    assert seen == 0, f"a store file without its header was seen {seen} times"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stop"]  # no spare file left


def test_a_foreign_duckdb_file_is_refused_unchanged(tmp_path):
    foreign = tmp_path / "other.duckdb"
    con = duckdb.connect(str(foreign))
    con.execute("CREATE TABLE accounts (id INTEGER, balance DOUBLE)")
    con.execute("INSERT INTO accounts VALUES (1, 10.0)")
    con.close()
    before = _digest(foreign)
    result = runner.invoke(app, ["forecast", "korea-2023", "--store", str(foreign)],
                           env={"COLUMNS": "400"})
    assert result.exit_code == 1  # the run went to a recovery store, named in the message
    assert "not a détente run store" in result.output and "recovery" in result.output
    assert _digest(foreign) == before
    recovered = list(tmp_path.glob("other.duckdb.recovery-*.duckdb"))
    assert len(recovered) == 1
    with RunStore(recovered[0], read_only=True) as st:
        assert len(st.list()) == 1


def test_an_sqlite_file_is_refused_unchanged_before_duckdb_opens_it(tmp_path):
    lite = tmp_path / "runs.sqlite"
    con = sqlite3.connect(lite)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = _digest(lite)
    result = runner.invoke(app, ["runs", "list", "--store", str(lite)])
    assert result.exit_code == 2 and "SQLite" in result.output
    assert _digest(lite) == before


def test_runs_check_passes_with_an_empty_draws_table(tmp_path):
    store = tmp_path / "runs.duckdb"
    result = runner.invoke(app, ["forecast", "korea-2023", "--model", "bdm", "--store",
                                 str(store)])  # no draws: its draws table is empty
    assert result.exit_code == 0, result.output
    check = runner.invoke(app, ["runs", "check", "--store", str(store)])
    assert check.exit_code == 0, check.output
