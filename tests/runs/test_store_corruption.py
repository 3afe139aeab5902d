"""A corrupted run store is detected, refused for writing and reported (issue 13, item 3).

Issue 13 ("Hostile input and faults"), item 3: "a corrupted store is detected (checksum errors,
unreadable blocks) and refused for writing with a clear message, and `runs check` reports it."
Each corruption below is one found by damaging a real store by hand (see the store module's
``_verify_blocks``): DuckDB checks a block's checksum when it reads the block, headers and the
catalogue at open, data blocks only when a query reads them; a truncated file fails on the first
block past its end. The expectations, observable from outside: ``detente runs check`` exits
non-zero with a line naming the file and the word "corrupted", never a traceback; a command
that would write (``forecast``, ``compare``, ``sweep``) leaves the file byte for byte unchanged.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from detente.runs.store import RunStore, save_run

from .conftest import DETENTE, cli_env

HEADER = 3 * 4096  # DuckDB: the main header and the two database headers precede block 0


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = cli_env() | {"COLUMNS": "1000"}  # one message, one line: no wrapping by the terminal
    return subprocess.run([*DETENTE, *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real store written by the library: three runs and a table large enough that
    ``results`` spans several data blocks."""
    path = tmp_path_factory.mktemp("healthy") / "runs.duckdb"
    for seed in range(3):
        n = 60_000 if seed == 0 else 50
        frame = pd.DataFrame({"draw": range(n), "p": [i / n for i in range(n)],
                              "actor": [f"a{i % 7}" for i in range(n)]})
        save_run(kind="forecast", command="detente forecast korea-2023", seed=seed,
                 params={"draws": n}, tables={"draws": frame, "summary": frame.head(3)},
                 store=path)
    return path


def _blocks(path: Path, table: str) -> tuple[int, list[int]]:
    """DuckDB's block size and the data blocks holding ``table``."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        block_size = con.execute("PRAGMA database_size").fetchone()[2]
        ids = [r[0] for r in con.execute(
            f"SELECT DISTINCT block_id FROM pragma_storage_info('{table}') "
            "WHERE block_id >= 0 ORDER BY 1").fetchall()]
    finally:
        con.close()
    return block_size, ids


def _poke(path: Path, at: int, n: int) -> None:
    rnd = random.Random(at)
    with open(path, "r+b") as handle:
        handle.seek(at)
        handle.write(bytes(rnd.randrange(256) for _ in range(n)))


def _data_block(table: str, zero: bool = False) -> Callable[[Path], None]:
    def corrupt(path: Path) -> None:
        size, ids = _blocks(path, table)
        at = HEADER + ids[len(ids) // 2] * size
        if zero:  # a block the disk returned as zeros
            with open(path, "r+b") as handle:
                handle.seek(at)
                handle.write(b"\0" * size)
        else:
            _poke(path, at + size // 3, 64)
    return corrupt


def _catalogue(path: Path) -> None:
    """Damage a metadata sub-block in use (the catalogue: tables, row groups, indexes)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        size = con.execute("PRAGMA database_size").fetchone()[2]
        block, count, _, free = con.execute("SELECT block_id, total_blocks, free_blocks, "
                                            "free_list FROM pragma_metadata_info()").fetchone()
    finally:
        con.close()
    used = sorted(set(range(count)) - set(free))
    _poke(path, HEADER + block * size + used[-1] * (size // count) + 200, 64)


def _truncate(keep: Callable[[int], int]) -> Callable[[Path], None]:
    def corrupt(path: Path) -> None:
        with open(path, "r+b") as handle:
            handle.truncate(keep(path.stat().st_size))
    return corrupt


#: Corruptions DuckDB detects, and how far a read-only command gets: "open" (the file cannot be
#: opened at all: `runs check` exits 2) or "scan" (it opens; `runs check` finds the bad table and
#: exits 1, as for any inconsistent store).
CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str]] = {
    "results data block, random bytes": (_data_block("results"), "scan"),
    "results data block, zeroed": (_data_block("results", zero=True), "scan"),
    "runs data block, random bytes": (_data_block("runs"), "scan"),
    "main header (first 4 KiB)": (lambda p: _poke(p, 16, 64), "open"),
    "database header at 4096": (lambda p: _poke(p, 4096 + 16, 64), "open"),
    "database header at 8192": (lambda p: _poke(p, 8192 + 16, 64), "open"),
    "all of the first 12 KiB": (lambda p: _poke(p, 16, HEADER - 16), "open"),
    "catalogue (a metadata block)": (_catalogue, "open"),
    "truncated to half": (_truncate(lambda n: n // 2), "scan"),
    "truncated to its headers": (_truncate(lambda n: HEADER), "open"),
    "truncated inside the first header": (_truncate(lambda n: 2000), "open"),
    "truncated to 10 bytes": (_truncate(lambda n: 10), "open"),
}


@pytest.fixture(params=list(CORRUPTIONS), ids=list(CORRUPTIONS))
def corrupt(request: pytest.FixtureRequest, healthy: Path, tmp_path: Path
            ) -> tuple[Path, str]:
    damage, stage = CORRUPTIONS[request.param]
    path = tmp_path / "corrupt.duckdb"
    shutil.copyfile(healthy, path)
    damage(path)
    return path, stage


def _says_corrupted(result: subprocess.CompletedProcess[str], path: Path) -> None:
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    lines = [ln for ln in out.splitlines() if str(path) in ln and "corrupted" in ln]
    assert lines, out


def test_the_healthy_store_passes_check(healthy):
    """Issue 13, item 3: the corruption checks must not flag a healthy store."""
    result = _cli("runs", "check", "--store", str(healthy))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "consistent" in result.stdout


def test_runs_check_reports_the_corruption(corrupt):
    """Issue 13, item 3: "`runs check` reports it" — non-zero exit, one line naming the file
    and saying it is corrupted, no traceback, even when the file cannot be opened at all."""
    path, stage = corrupt
    before = _digest(path)
    result = _cli("runs", "check", "--store", str(path))
    assert result.returncode == (2 if stage == "open" else 1), result.stdout + result.stderr
    _says_corrupted(result, path)
    assert _digest(path) == before


def test_a_forecast_refuses_the_corrupted_store_before_writing(corrupt):
    """Issue 13, item 3: "refused for writing with a clear message" — the store file is byte for
    byte unchanged. The run itself is kept in a recovery store and the command exits 1, as for
    any store that cannot take a run (issue 13: a run is never lost)."""
    path, _ = corrupt
    before = _digest(path)
    result = _cli("forecast", "korea-2023", "--draws", "5", "--seed", "1", "--store", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    _says_corrupted(result, path)
    assert "recovery" in result.stderr
    assert _digest(path) == before
    assert not Path(f"{path}.wal").exists()


@pytest.mark.parametrize("name", ["results data block, random bytes", "database header at 4096",
                                  "truncated to half"])
def test_a_sweep_refuses_the_corrupted_store_with_exit_2(name, healthy, tmp_path):
    """Issue 13, item 3: a command that opens the store itself to write (``sweep``) stops with
    the one-line error and exit 2 before any work, leaving the file unchanged."""
    path = tmp_path / "corrupt.duckdb"
    shutil.copyfile(healthy, path)
    CORRUPTIONS[name][0](path)
    before = _digest(path)
    result = _cli("sweep", "--model", "ishigami", "--samples", "8", "--store", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    _says_corrupted(result, path)
    assert "it was not written to" in result.stderr
    assert _digest(path) == before


def test_a_compare_leaves_the_corrupted_store_unchanged(healthy, tmp_path):
    """Issue 13, item 3: ``compare`` is refused like ``forecast`` (the file is unchanged)."""
    path = tmp_path / "corrupt.duckdb"
    shutil.copyfile(healthy, path)
    _data_block("results")(path)
    before = _digest(path)
    result = _cli("compare", "korea-2023", "--draws", "4", "--years", "1", "--no-backtest",
                  "--seed", "1", "--out", str(tmp_path / "out"), "--store", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    _says_corrupted(result, path)
    assert _digest(path) == before


def test_read_commands_give_one_line_not_a_traceback(healthy, tmp_path):
    """Issue 13, item 3: reading a corrupted block (``runs list`` on a damaged ``runs`` table,
    ``runs show`` on a truncated file) ends in the one-line error and exit 2."""
    for name, cmd in (("runs data block, random bytes", ["runs", "list"]),
                      ("truncated to half", ["runs", "list"])):
        path = tmp_path / f"{len(name)}.duckdb"
        shutil.copyfile(healthy, path)
        CORRUPTIONS[name][0](path)
        result = _cli(*cmd, "--store", str(path))
        assert result.returncode == 2, (name, result.stdout + result.stderr)
        _says_corrupted(result, path)


def test_the_library_refuses_to_open_a_corrupted_store_for_writing(healthy, tmp_path):
    """Issue 13, item 3: ``RunStore(path)`` (for writing) raises the OptionsError naming the
    file before any write; read-only it opens, and its check reports the bad table."""
    from detente.runs.store import StoreCorruptError

    path = tmp_path / "corrupt.duckdb"
    shutil.copyfile(healthy, path)
    _data_block("results")(path)
    before = _digest(path)
    with pytest.raises(StoreCorruptError, match="corrupted") as info:
        RunStore(path)
    assert str(path) in str(info.value) and info.value.exit_code == 2
    with RunStore(path, read_only=True) as st:
        assert len(st.list()) == 3  # the runs table is intact: runs can still be exported
        report = st.check()
    assert not report.ok
    assert any(p.path == "results" and "corrupted" in p.message for p in report.problems)
    assert _digest(path) == before


def test_garbage_appended_after_the_last_block_is_harmless(healthy, tmp_path):
    """Issue 13, item 3 (finding): DuckDB ignores bytes past its last block, so a store with
    garbage appended stays readable and writable, and ``runs check`` passes."""
    path = tmp_path / "appended.duckdb"
    shutil.copyfile(healthy, path)
    with open(path, "ab") as handle:
        handle.write(random.Random(1).randbytes(100_000))
    assert _cli("runs", "check", "--store", str(path)).returncode == 0
    with RunStore(path) as st:
        assert len(st.list()) == 3
