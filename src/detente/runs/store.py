"""The run store: every forecast, comparison, back-test and sweep, kept in one DuckDB file.

A *run* is one invocation of a détente verb. The store keeps what is needed to reproduce and
compare it (the command line, the package version, the scenario as canonical JSON with its
SHA-256, the seed, the parameters, start/end times, status and timings) and its result tables.

Schema (DuckDB, one file, embedded; ``./detente-runs.duckdb`` unless ``path`` or the
``DETENTE_STORE`` environment variable names another)::

    meta(key PK, value)                                  schema version
    runs(id PK, kind, command, version, scenario_id, scenario_json, scenario_sha256,
         seed, params_json, started, ended, status, error, host, pid, timings_json)
    result_tables(run_id, name, n_rows, columns_json)    catalogue of each run's tables
    results(run_id, tbl, row, col, value, text)          every cell, long format
    chunks(run_id, chunk, first_row, n_rows, seconds, committed)   finished work units

Result tables are stored in *long* format, one cell per row: numeric cells in ``value``
(DOUBLE), everything else in ``text``. ``columns_json`` keeps the column order and dtypes, so
:meth:`RunStore.table` returns the frame that was added. Long format makes every table of every
run queryable with one SQL shape and exports directly to Parquet.

Consistency: each write is one DuckDB transaction. A chunk of a sweep (its result cells and its
``chunks`` row) is committed together, so a process killed at any instant leaves either the
whole chunk or none of it; :func:`RunStore.check` verifies that invariant and the others listed
there. A damaged file (a block failing DuckDB's checksum, a truncated file) is refused for
writing before any write, with a :class:`StoreCorruptError`. Engines never import this
module: the store is a sink the runner writes to.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import re
import secrets
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd

from detente.errors import EnvironmentFault, OptionsError, Problem

SCHEMA_VERSION = "2"  # 2: runs.versions_json (package versions of each run)
DEFAULT_STORE = "detente-runs.duckdb"
STATUSES = ("running", "done", "failed", "interrupted")
#: The tables of a store (each is read in full to verify its blocks).
STORE_TABLES = ("meta", "runs", "result_tables", "results", "chunks")
_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    command VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    scenario_id VARCHAR,
    scenario_json VARCHAR,
    scenario_sha256 VARCHAR,
    seed BIGINT,
    params_json VARCHAR NOT NULL,
    started TIMESTAMP NOT NULL,
    ended TIMESTAMP,
    status VARCHAR NOT NULL,
    error VARCHAR,
    host VARCHAR,
    pid INTEGER,
    timings_json VARCHAR NOT NULL,
    versions_json VARCHAR
);
CREATE TABLE IF NOT EXISTS result_tables (
    run_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    n_rows BIGINT NOT NULL,
    columns_json VARCHAR NOT NULL,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE IF NOT EXISTS results (
    run_id VARCHAR NOT NULL,
    tbl VARCHAR NOT NULL,
    "row" BIGINT NOT NULL,
    col VARCHAR NOT NULL,
    value DOUBLE,
    text VARCHAR
);
CREATE TABLE IF NOT EXISTS chunks (
    run_id VARCHAR NOT NULL,
    chunk INTEGER NOT NULL,
    first_row BIGINT NOT NULL,
    n_rows INTEGER NOT NULL,
    seconds DOUBLE NOT NULL,
    committed TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, chunk)
);
"""

_RUN_COLUMNS = (
    "id", "kind", "command", "version", "scenario_id", "scenario_json", "scenario_sha256",
    "seed", "params_json", "started", "ended", "status", "error", "host", "pid", "timings_json",
    "versions_json",
)


# --------------------------------------------------------------------------------------------
# canonical JSON and hashing
# --------------------------------------------------------------------------------------------

def _jsonable(obj: Any) -> Any:
    """Turn pydantic models, numpy scalars/arrays, paths and dates into plain JSON values."""
    if hasattr(obj, "model_dump"):
        return _jsonable(obj.model_dump(mode="json"))
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):  # np.float64(nan).item() is a float NaN: judged below
        return _jsonable(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)  # JSON has no inf/nan; keep them readable
    if isinstance(obj, (Path, datetime)):
        return str(obj)
    return obj


def canonical_json(obj: Any) -> str:
    """Canonical JSON of ``obj``: sorted keys, no whitespace, UTF-8, no NaN.

    Two equal scenarios (or parameter sets) give byte-identical text, so its SHA-256
    (:func:`sha256_of`) identifies the input of a run.
    """
    return json.dumps(_jsonable(obj), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)


def sha256_of(text: str) -> str:
    """Hex SHA-256 of a UTF-8 string."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_run_id(kind: str) -> str:
    """A sortable, unique run id: ``<kind>-YYYYMMDD-HHMMSS-<6 hex>`` (UTC)."""
    return f"{kind}-{_now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def default_store_path() -> Path:
    """``$DETENTE_STORE`` if set, else ``./detente-runs.duckdb``."""
    return Path(os.environ.get("DETENTE_STORE") or DEFAULT_STORE)


# --------------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunRecord:
    """One row of the ``runs`` table, decoded.

    ``params`` and ``timings`` are the decoded JSON; ``scenario`` the decoded canonical JSON of
    the scenario (or ``None`` for runs without one).
    """

    id: str
    kind: str
    command: str
    version: str
    scenario_id: str | None
    scenario_sha256: str | None
    seed: int | None
    params: dict[str, Any]
    started: datetime
    ended: datetime | None
    status: str
    error: str | None
    host: str | None
    pid: int | None
    timings: dict[str, float]
    scenario_json: str | None = field(default=None, repr=False)
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def scenario(self) -> Any:
        return None if self.scenario_json is None else json.loads(self.scenario_json)

    @property
    def seconds(self) -> float | None:
        return None if self.ended is None else (self.ended - self.started).total_seconds()

    #: The fields :meth:`to_dict` gives (``detente runs show`` and ``GET /api/runs/{id}``).
    SHOWN = ("id", "kind", "status", "command", "version", "scenario_id", "scenario_sha256",
             "seed", "started", "ended", "seconds", "error", "host", "pid", "params",
             "timings", "versions")

    def to_dict(self) -> dict[str, Any]:
        """What ran, on what, with which seed and how long (the scenario itself left out)."""
        return {k: getattr(self, k) for k in self.SHOWN}

    def to_frame(self) -> pd.DataFrame:
        """:meth:`to_dict` as a one-row frame (params, timings and versions as JSON text)."""
        row = {k: json.dumps(v, default=str) if isinstance(v, dict) else v
               for k, v in self.to_dict().items()}
        return pd.DataFrame([row])


@dataclass(frozen=True)
class IntegrityReport:
    """Result of :meth:`RunStore.check`: ``ok`` is true when no *error* was found.

    Warnings (e.g. a run still marked ``running`` whose process is gone) do not make the
    store inconsistent; they say what to do.
    """

    path: str
    problems: tuple[Problem, ...]
    n_runs: int
    n_cells: int

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)


@dataclass(frozen=True)
class RunDiff:
    """Differences between two runs (:meth:`RunStore.diff`).

    Attributes
    ----------
    a, b : RunRecord
    fields : pandas.DataFrame
        One row per metadata field that differs: ``field, a, b``.
    cells : pandas.DataFrame
        One row per (table, column) present in either run: ``table, column, n_a, n_b,
        only_a, only_b, n_different, max_abs_diff`` (numeric cells compared exactly; text cells
        by equality).
    """

    a: RunRecord
    b: RunRecord
    fields: pd.DataFrame
    cells: pd.DataFrame

    @property
    def identical_results(self) -> bool:
        c = self.cells
        return bool(((c.only_a == 0) & (c.only_b == 0) & (c.n_different == 0)).all())


# --------------------------------------------------------------------------------------------
# long format
# --------------------------------------------------------------------------------------------

def _column_kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_float_dtype(series):
        return "float"
    if pd.api.types.is_numeric_dtype(series):
        return "int"
    return "str"


def _to_long(run_id: str, name: str, frame: pd.DataFrame, first_row: int = 0
             ) -> tuple[Any, list[dict[str, str]]]:
    """Melt ``frame`` into (run_id, tbl, row, col, value, text) cells; return cells and columns.

    The cells are a pyarrow Table built column-wise from numpy arrays (cell order: column by
    column, rows ascending), which DuckDB ingests without a per-row Python loop.
    """
    import pyarrow as pa

    n = len(frame)
    k = frame.shape[1]
    columns = [{"name": str(c), "dtype": _column_kind(frame[c])} for c in frame.columns]
    rows = np.tile(np.arange(first_row, first_row + n, dtype=np.int64), k)
    values = np.full(n * k, np.nan)
    is_text = np.zeros(n * k, dtype=bool)
    texts = np.full(n * k, None, dtype=object)
    for j, (c, meta) in enumerate(zip(frame.columns, columns, strict=True)):
        block = slice(j * n, (j + 1) * n)
        series = frame[c]
        if meta["dtype"] in ("float", "int"):
            values[block] = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            is_text[block] = True
            texts[block] = [None if v is None or (isinstance(v, float) and v != v) else str(v)
                            for v in series.tolist()]
    col_codes = np.repeat(np.arange(k, dtype=np.int32), n)
    cells = pa.table({
        "run_id": pa.DictionaryArray.from_arrays(np.zeros(n * k, dtype=np.int32), [run_id]),
        "tbl": pa.DictionaryArray.from_arrays(np.zeros(n * k, dtype=np.int32), [name]),
        "row": pa.array(rows, type=pa.int64()),
        "col": pa.DictionaryArray.from_arrays(
            col_codes, pa.array([c["name"] for c in columns], type=pa.string())),
        "value": pa.array(values, type=pa.float64(), mask=is_text),  # NULL in text cells
        "text": pa.array(texts, type=pa.string()),
    })
    return cells, columns


def _from_long(cells: Mapping[str, np.ndarray], columns: list[dict[str, str]]) -> pd.DataFrame:
    """Lay long cells (``row, col, value, text`` arrays) back out as the catalogued frame.

    Column order and dtypes come from the catalogue; rows are ordered by row number.
    """
    names = [c["name"] for c in columns]
    rows = np.asarray(cells["row"], dtype=np.int64)
    if rows.size == 0:
        return pd.DataFrame({c["name"]: pd.Series(dtype=_PD_DTYPE[c["dtype"]]) for c in columns})
    row_ids, ri = np.unique(rows, return_inverse=True)
    position = {name: j for j, name in enumerate(names)}
    ci = np.fromiter((position.get(c, -1) for c in cells["col"]), dtype=np.int64,
                     count=rows.size)
    keep = ci >= 0
    n, k = len(row_ids), len(names)
    value = np.ma.filled(np.ma.asarray(cells["value"], dtype=np.float64), np.nan)
    numeric = np.full((n, k), np.nan)
    numeric[ri[keep], ci[keep]] = value[keep]
    text = None
    if any(c["dtype"] in ("str", "bool") for c in columns):
        raw = cells["text"]
        mask = np.ma.getmaskarray(raw) if np.ma.isMaskedArray(raw) else np.zeros(rows.size, bool)
        data = np.asarray(np.ma.getdata(raw), dtype=object)
        data = np.where(mask, None, data)
        text = np.full((n, k), None, dtype=object)
        text[ri[keep], ci[keep]] = data[keep]
    out: dict[str, Any] = {}
    for j, c in enumerate(columns):
        if c["dtype"] == "float":
            out[c["name"]] = numeric[:, j]
        elif c["dtype"] == "int":
            out[c["name"]] = numeric[:, j].astype(np.int64)
        elif c["dtype"] == "bool":
            out[c["name"]] = np.array([v == "True" for v in text[:, j]], dtype=bool)
        else:
            out[c["name"]] = text[:, j]
    return pd.DataFrame(out, index=pd.RangeIndex(n))


_PD_DTYPE = {"float": "float64", "int": "int64", "bool": "bool", "str": "object"}


# --------------------------------------------------------------------------------------------
# a damaged store
# --------------------------------------------------------------------------------------------

#: What to do with a corrupted store (kept short: a problem line elides ``allowed`` past 120).
CORRUPT_FIX = ("restore a backup, `detente runs export` the runs still readable, "
               "or use a new --store path")

#: Words of DuckDB's messages for a damaged file: a block (header, catalogue or data) whose
#: checksum does not match, a block past the end of a truncated file, a header that is not
#: DuckDB's, and the connection DuckDB invalidates after such a failure during a checkpoint.
_CORRUPTION_SIGNS = ("corrupt", "checksum", "could not read enough bytes",
                     "not a valid duckdb database", "invalidated", "fatal error")


class StoreCorruptError(OptionsError):
    """The store file is damaged: a block fails DuckDB's checksum or cannot be read in full."""


def _is_corruption(exc: BaseException) -> bool:
    msg = str(exc).lower()
    return any(sign in msg for sign in _CORRUPTION_SIGNS)


def _corruption_kind(detail: str) -> str:
    """A short account of DuckDB's message: which block, and how it is damaged."""
    low = detail.lower()
    at = re.search(r"location (\d+)", detail)
    where = f" at byte {at.group(1)}" if at else ""
    if "checksum" in low:
        return f"the block{where} fails its checksum"
    if "could not read enough bytes" in low:
        return f"the file ends before the block{where} (truncated?)"
    if "not a valid duckdb" in low:
        return "its header is not a valid DuckDB header"
    return "a block cannot be read"


def _corrupted(path: Path, exc: BaseException | str, *, refused: bool = False
               ) -> StoreCorruptError:
    """The one-line error for a damaged store: the file, what is damaged, and the fix."""
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    head = (f"run store {path} is corrupted ({_corruption_kind(detail)})"
            f"{'; it was not written to' if refused else ''}: {CORRUPT_FIX}")
    return StoreCorruptError(head, [Problem(detail, file=str(path), path="--store",
                                            allowed=CORRUPT_FIX)])


def _guarded(method: Callable[..., _T]) -> Callable[..., _T]:
    """Turn DuckDB's corruption errors raised by a :class:`RunStore` method into
    :class:`StoreCorruptError` (one line naming the file and the fix); others pass through."""
    @functools.wraps(method)
    def wrapper(self: RunStore, *args: Any, **kwargs: Any) -> _T:
        try:
            return method(self, *args, **kwargs)
        except duckdb.Error as exc:
            if _is_write_failure(exc):
                raise _unwritable(self.path, exc) from None
            if not _is_corruption(exc):
                raise
            raise _corrupted(self.path, exc) from None
    return wrapper


#: How DuckDB words an operating-system refusal to write (a full disk, a file-size limit, a
#: read-only filesystem or file).
_WRITE_FAILURES = ("no space left", "file too large", "read-only file system",
                   "permission denied", "disk quota")


def _is_write_failure(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "could not write" in text or any(reason in text for reason in _WRITE_FAILURES)


def _unwritable(path: Path, exc: BaseException) -> EnvironmentFault:
    """A store the disk will not let grow: what was committed before stays (DuckDB rolls the
    failed transaction back); the message names the file and the fix."""
    detail = " ".join(str(exc).split())
    return EnvironmentFault(f"cannot write the run store {path}", [Problem(
        detail, file=str(path), path="--store",
        allowed="free space on its disk or a writable --store; an interrupted sweep resumes "
                "with `detente sweep --resume RUN_ID`")])


# --------------------------------------------------------------------------------------------
# the store
# --------------------------------------------------------------------------------------------

class RunStore:
    """A DuckDB file holding runs and their result tables.

    Parameters
    ----------
    path : str or Path, optional
        The DuckDB file; ``$DETENTE_STORE`` or ``./detente-runs.duckdb`` when omitted. It is
        created (with its schema) on first use.
    read_only : bool
        Open without taking the write lock (for ``runs list/show/export`` while nothing writes).

    Notes
    -----
    DuckDB lets one process write a file at a time; a second writer gets an
    :class:`~detente.errors.OptionsError` naming the file and the fix. Use as a context manager
    (or call :meth:`close`) to release the file.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise OptionsError(
                f"run store {self.path} does not exist",
                [Problem("no such file", file=str(self.path), path="--store",
                         allowed="an existing store, or run a command first to create one")])
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        _refuse_foreign_file(self.path)
        self._con = _connect(self.path, read_only)
        try:
            tables = {r[0] for r in self._con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall()}
            if tables and not read_only and set(STORE_TABLES) <= tables:
                # refused for writing before any write: a store with a block that fails its
                # checksum (or lies past the end of a truncated file) is never written to
                self._verify_blocks()
        except duckdb.Error as exc:
            self._con.close()
            if not _is_corruption(exc):
                raise
            raise _corrupted(self.path, exc, refused=not read_only) from None
        ours = set(STORE_TABLES)
        if (tables and not ours <= tables) or (read_only and not ours <= tables):
            self._con.close()  # a DuckDB file that is not a détente store: never written to
            raise OptionsError(
                f"{self.path} is not a détente run store",
                [Problem("the DuckDB file has other tables and no détente runs/results/meta "
                         "tables; it was left unchanged", file=str(self.path), path="--store",
                         allowed="a store written by détente, or a new path")])
        if not read_only:
            self._con.execute(_SCHEMA)
            # a store of schema 1 gains the versions column (older runs keep NULL there)
            self._con.execute("ALTER TABLE runs ADD COLUMN IF NOT EXISTS versions_json VARCHAR")
            self._con.execute(
                "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO UPDATE SET "
                "value = excluded.value", [SCHEMA_VERSION])
        self.seconds_writing = 0.0  # time spent in store writes (for overhead accounting)

    # -- lifecycle -----------------------------------------------------------------------------
    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._con.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        else:
            con.execute("COMMIT")

    @contextlib.contextmanager
    def _timed(self) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds_writing += time.perf_counter() - t0

    # -- writing ------------------------------------------------------------------------------
    @_guarded
    def create_run(self, *, kind: str, command: str, scenario: Any = None, seed: int | None = None,
                   params: Mapping[str, Any] | None = None, run_id: str | None = None,
                   started: datetime | None = None) -> str:
        """Insert a run with status ``running`` and return its id.

        ``started`` (naive UTC) is when the work began, for a result computed before it is
        recorded; default now. The versions of détente and of the numeric packages are kept
        with the run (:func:`detente.provenance.package_versions`).
        """
        from detente import __version__
        from detente.provenance import package_versions

        self._writable()
        run_id = run_id or new_run_id(kind)
        scenario_json = None if scenario is None else canonical_json(scenario)
        scenario_id = None
        if scenario is not None:
            scenario_id = getattr(scenario, "id", None) or (
                scenario.get("id") if isinstance(scenario, Mapping) else None)
        if seed is not None and not 0 <= int(seed) < 2**63:
            raise OptionsError(f"seed {seed} is out of range",
                               [Problem("seed must fit in 63 bits", path="--seed",
                                        allowed="an integer from 0 to 2**63 - 1")])
        with self._transaction() as con:
            con.execute(
                f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES "
                f"({', '.join('?' * len(_RUN_COLUMNS))})",
                [run_id, kind, command, __version__, scenario_id, scenario_json,
                 None if scenario_json is None else sha256_of(scenario_json),
                 None if seed is None else int(seed), canonical_json(params or {}),
                 started or _now(), None, "running", None, socket.gethostname(), os.getpid(),
                 "{}", canonical_json(package_versions())])
        return run_id

    @_guarded
    def finish_run(self, run_id: str, status: str, *, error: str | None = None,
                   timings: Mapping[str, float] | None = None) -> None:
        """Set a run's final status (``done``, ``failed`` or ``interrupted``) and timings."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        self._writable(run_id)
        with self._transaction() as con:
            old = con.execute("SELECT timings_json FROM runs WHERE id = ?", [run_id]).fetchone()
            merged = json.loads(old[0]) if old else {}
            for k, v in (timings or {}).items():  # accumulate: a resumed run adds its share
                merged[k] = merged.get(k, 0.0) + float(v)
            con.execute("UPDATE runs SET status = ?, ended = ?, error = ?, timings_json = ? "
                        "WHERE id = ?", [status, _now(), error, canonical_json(merged), run_id])

    @_guarded
    def reopen_run(self, run_id: str) -> None:
        """Mark an interrupted (or stale running) run as ``running`` again, for resuming."""
        self._writable(run_id)
        with self._transaction() as con:
            con.execute("UPDATE runs SET status = 'running', ended = NULL, error = NULL, "
                        "host = ?, pid = ? WHERE id = ?", [socket.gethostname(), os.getpid(), run_id])

    @_guarded
    def add_table(self, run_id: str, name: str, frame: pd.DataFrame) -> None:
        """Store a whole result table (replacing one of the same name) in one transaction."""
        self._writable(run_id)
        with self._timed(), self._transaction() as con:
            cells, columns = _to_long(run_id, name, frame)
            con.execute("DELETE FROM results WHERE run_id = ? AND tbl = ?", [run_id, name])
            con.execute("DELETE FROM result_tables WHERE run_id = ? AND name = ?", [run_id, name])
            con.execute("INSERT INTO result_tables VALUES (?, ?, ?, ?)",
                        [run_id, name, len(frame), json.dumps(columns)])
            self._insert_cells(con, cells)

    @_guarded
    def add_chunk(self, run_id: str, chunk: int, name: str, frame: pd.DataFrame, first_row: int,
                  seconds: float) -> None:
        """Append one finished chunk's rows to table ``name`` and record the chunk, atomically.

        Rows ``first_row … first_row + len(frame) - 1`` of the table and the ``chunks`` row are
        written in one transaction, so after a crash a chunk is either fully stored or absent.
        """
        self._writable(run_id)
        with self._timed(), self._transaction() as con:
            cells, columns = _to_long(run_id, name, frame, first_row)
            known = con.execute("SELECT columns_json FROM result_tables WHERE run_id = ? AND "
                                "name = ?", [run_id, name]).fetchone()
            if known is None:
                con.execute("INSERT INTO result_tables VALUES (?, ?, ?, ?)",
                            [run_id, name, len(frame), json.dumps(columns)])
            else:
                con.execute("UPDATE result_tables SET n_rows = n_rows + ? WHERE run_id = ? AND "
                            "name = ?", [len(frame), run_id, name])
            self._insert_cells(con, cells)
            con.execute("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                        [run_id, int(chunk), int(first_row), len(frame), float(seconds), _now()])

    @staticmethod
    def _insert_cells(con: duckdb.DuckDBPyConnection, cells: Any) -> None:
        if len(cells) == 0:
            return
        con.register("_detente_cells", cells)
        try:
            con.execute('INSERT INTO results SELECT run_id::VARCHAR, tbl::VARCHAR, "row", '
                        "col::VARCHAR, value, text FROM _detente_cells")
        finally:
            con.unregister("_detente_cells")

    def _verify_blocks(self) -> None:
        """Read every column of every store table once, so DuckDB verifies the checksum of each
        data block in use (``count(*)`` alone reads only row-group metadata) and fails on a
        block past the end of a truncated file. Raises :class:`duckdb.Error` on the first bad
        block. Catalogue and header blocks are verified by DuckDB when the file is opened."""
        for t in STORE_TABLES:
            self._con.execute(f'SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM "{t}"').fetchall()

    def _writable(self, run_id: str | None = None) -> None:
        """Refuse a write to a read-only store, or to a finished run of an immutable kind."""
        if self.read_only:
            raise OptionsError(f"run store {self.path} was opened read-only")
        if run_id is None:
            return
        row = self._con.execute("SELECT kind, status FROM runs WHERE id = ?", [run_id]).fetchone()
        if row is not None and row[0] in IMMUTABLE_KINDS and row[1] != "running":
            raise OptionsError(f"run {run_id} is a {row[0]} record: it is never changed", [
                Problem("a frozen record is immutable once stored", file=str(self.path),
                        path="RUN_ID", allowed="freeze a new record (another as-of month, "
                        "seed or question set)")])

    @contextlib.contextmanager
    def run(self, *, kind: str, command: str, scenario: Any = None, seed: int | None = None,
            params: Mapping[str, Any] | None = None,
            started: datetime | None = None) -> Iterator[Run]:
        """Record a run around a block of work.

        The run is ``running`` inside the block; ``done`` when the block ends normally,
        ``interrupted`` on Ctrl-C (``KeyboardInterrupt``), ``failed`` on any other exception
        (which is re-raised). Tables added inside the block are committed as they are added.
        ``started`` (naive UTC) dates a result computed before the block: the run's start and
        its ``wall`` timing then count from it.

        Examples
        --------
        >>> with store.run(kind="forecast", command="detente forecast korea-2023",
        ...                scenario=scenario, seed=0, params={"model": "bdm"}) as run:
        ...     run.add_table("forecast", frame)
        """
        run_id = self.create_run(kind=kind, command=command, scenario=scenario, seed=seed,
                                 params=params, started=started)
        run = Run(self, run_id, started=started)
        with run._lifecycle():
            yield run

    def resume(self, run_id: str) -> Run:
        """A :class:`Run` handle on an existing run (for ``--resume``); use ``with run.active():``."""
        return Run(self, self.resolve(run_id))

    # -- reading ------------------------------------------------------------------------------
    @_guarded
    def resolve(self, run_id: str) -> str:
        """The full id of the run whose id is ``run_id`` or starts with it (unique prefix)."""
        exact = self._con.execute("SELECT id FROM runs WHERE id = ?", [run_id]).fetchall()
        if exact:
            return exact[0][0]
        hits = [r[0] for r in self._con.execute(
            "SELECT id FROM runs WHERE starts_with(id, ?) ORDER BY id", [run_id]).fetchall()]
        if len(hits) == 1:
            return hits[0]
        allowed = ("one of " + ", ".join(hits[:5])) if hits else \
            "an id shown by `detente runs list` for this store"
        raise OptionsError(
            f"run {run_id!r} {'is ambiguous' if hits else 'is not'} in store {self.path}",
            [Problem("no unique run with this id or prefix", file=str(self.path), path="RUN_ID",
                     allowed=allowed)])

    @_guarded
    def record(self, run_id: str) -> RunRecord:
        """The :class:`RunRecord` of a run (id or unique prefix)."""
        rid = self.resolve(run_id)
        row = self._con.execute(f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs WHERE id = ?",
                                [rid]).fetchone()
        d = dict(zip(_RUN_COLUMNS, row, strict=True))
        return RunRecord(
            id=d["id"], kind=d["kind"], command=d["command"], version=d["version"],
            scenario_id=d["scenario_id"], scenario_sha256=d["scenario_sha256"], seed=d["seed"],
            params=json.loads(d["params_json"]), started=d["started"], ended=d["ended"],
            status=d["status"], error=d["error"], host=d["host"], pid=d["pid"],
            timings=json.loads(d["timings_json"]), scenario_json=d["scenario_json"],
            versions=json.loads(d["versions_json"]) if d["versions_json"] else {})

    @_guarded
    def list(self, *, kind: str | None = None, status: str | None = None,
             limit: int | None = None) -> pd.DataFrame:
        """Runs, newest first: ``id, kind, status, scenario_id, seed, started, seconds, command``."""
        where, args = [], []
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if status:
            where.append("status = ?")
            args.append(status)
        sql = ("SELECT id, kind, status, scenario_id, seed, started, "
               "date_diff('millisecond', started, ended) / 1000.0 AS seconds, command FROM runs")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY started DESC, id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return self._con.execute(sql, args).df()

    @_guarded
    def tables(self, run_id: str) -> pd.DataFrame:
        """The catalogue of a run's result tables: ``name, n_rows, n_columns``."""
        rid = self.resolve(run_id)
        rows = self._con.execute("SELECT name, n_rows, columns_json FROM result_tables "
                                 "WHERE run_id = ? ORDER BY name", [rid]).fetchall()
        return pd.DataFrame([(n, r, len(json.loads(c))) for n, r, c in rows],
                            columns=["name", "n_rows", "n_columns"])

    @_guarded
    def table(self, run_id: str, name: str) -> pd.DataFrame:
        """A result table of a run, as it was added (rows ordered by row number)."""
        rid = self.resolve(run_id)
        meta = self._con.execute("SELECT columns_json FROM result_tables WHERE run_id = ? AND "
                                 "name = ?", [rid, name]).fetchone()
        if meta is None:
            names = ", ".join(self.tables(rid)["name"]) or "none"
            raise OptionsError(f"run {rid} has no table {name!r}",
                               [Problem("no such result table", file=str(self.path),
                                        path="table", allowed=names)])
        cells = self._con.execute('SELECT "row", col, value, text FROM results WHERE run_id = ? '
                                  'AND tbl = ?', [rid, name]).fetchnumpy()
        return _from_long(cells, json.loads(meta[0]))

    @_guarded
    def done_chunks(self, run_id: str) -> set[int]:
        """Indices of the chunks of a run already committed."""
        return {r[0] for r in self._con.execute("SELECT chunk FROM chunks WHERE run_id = ?",
                                                 [run_id]).fetchall()}

    @_guarded
    def chunk_stats(self, run_id: str) -> pd.DataFrame:
        return self._con.execute("SELECT chunk, first_row, n_rows, seconds, committed FROM chunks "
                                 "WHERE run_id = ? ORDER BY chunk", [run_id]).df()

    # -- export / import ----------------------------------------------------------------------
    @_guarded
    def cells(self, run_id: str) -> pd.DataFrame:
        """All result cells of a run in long format: ``table, row, column, value, text``."""
        rid = self.resolve(run_id)
        return self._con.execute(
            'SELECT tbl AS "table", "row", col AS "column", value, text FROM results '
            'WHERE run_id = ? ORDER BY tbl, "row", col', [rid]).df()

    @_guarded
    def export(self, run_id: str, fmt: str = "parquet", out: str | os.PathLike[str] | None = None
               ) -> Path:
        """Write a run's result cells (long format) to Parquet or CSV; return the path.

        Parquet files carry the run record and table catalogue in the schema metadata key
        ``detente.run``, so :meth:`import_run` restores the run exactly. CSV writes the cells and
        a ``<out>.run.json`` beside them. Files are written to a temporary name and renamed.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        if fmt not in ("parquet", "csv"):
            raise OptionsError(f"unknown export format {fmt!r}",
                               [Problem("unsupported format", path="--format",
                                        allowed="parquet or csv")])
        rec = self.record(run_id)
        out_path = Path(out) if out is not None else Path(f"{rec.id}.{fmt}")
        cells = self.cells(rec.id)
        catalogue = {n: json.loads(c) for n, c in self._con.execute(
            "SELECT name, columns_json FROM result_tables WHERE run_id = ?", [rec.id]).fetchall()}
        header = canonical_json({
            "schema_version": SCHEMA_VERSION,
            "run": {c: getattr(rec, c) for c in (
                "id", "kind", "command", "version", "scenario_id", "scenario_sha256", "seed",
                "params", "started", "ended", "status", "error", "host", "pid", "timings",
                "versions")}
            | {"scenario_json": rec.scenario_json},
            "tables": catalogue,
            "chunks": self.chunk_stats(rec.id).assign(
                committed=lambda f: f.committed.astype(str)).to_dict(orient="records"),
        })
        from detente._io import atomic_file, atomic_write

        with atomic_file(out_path, "wb") as handle:
            if fmt == "parquet":
                table = pa.Table.from_pandas(cells, preserve_index=False)
                table = table.replace_schema_metadata({b"detente.run": header.encode("utf-8")})
                pq.write_table(table, handle)
            else:
                handle.write(cells.to_csv(index=False).encode("utf-8"))
        if fmt == "csv":
            atomic_write(out_path.with_name(out_path.name + ".run.json"), header)
        return out_path

    @_guarded
    def import_run(self, path: str | os.PathLike[str]) -> str:
        """Load a run exported to Parquet by :meth:`export` into this store; return its id."""
        import pyarrow.parquet as pq

        self._writable()
        src = Path(path)
        try:
            table = pq.read_table(src)
        except Exception as exc:
            raise OptionsError(f"cannot read {src}", [Problem(str(exc).splitlines()[0],
                               file=str(src), allowed="a Parquet file from `detente runs export`")]
                               ) from None
        meta = (table.schema.metadata or {}).get(b"detente.run")
        if meta is None:
            raise OptionsError(f"{src} is not a détente run export",
                               [Problem("no detente.run metadata", file=str(src),
                                        allowed="a file written by `detente runs export`")])
        header = json.loads(meta)
        r = header["run"]
        if self._con.execute("SELECT 1 FROM runs WHERE id = ?", [r["id"]]).fetchone():
            raise OptionsError(f"run {r['id']} already exists in {self.path}",
                               [Problem("duplicate run id", file=str(self.path),
                                        allowed="import into another store")])
        cells = table.to_pandas().rename(columns={"table": "tbl", "column": "col"})
        cells.insert(0, "run_id", r["id"])
        with self._transaction() as con:
            con.execute(
                f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES "
                f"({', '.join('?' * len(_RUN_COLUMNS))})",
                [r["id"], r["kind"], r["command"], r["version"], r["scenario_id"],
                 r["scenario_json"], r["scenario_sha256"], r["seed"], canonical_json(r["params"]),
                 r["started"], r["ended"], r["status"], r["error"], r["host"], r["pid"],
                 canonical_json(r["timings"]), canonical_json(r.get("versions") or {})])
            for name, columns in header["tables"].items():
                n = int(cells.loc[cells.tbl == name, "row"].nunique())
                con.execute("INSERT INTO result_tables VALUES (?, ?, ?, ?)",
                            [r["id"], name, n, json.dumps(columns)])
            self._insert_cells(con, cells[["run_id", "tbl", "row", "col", "value", "text"]])
            for c in header["chunks"]:
                con.execute("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)",
                            [r["id"], c["chunk"], c["first_row"], c["n_rows"], c["seconds"],
                             c["committed"]])
        return r["id"]

    # -- diff -----------------------------------------------------------------------------------
    @_guarded
    def diff(self, run_a: str, run_b: str) -> RunDiff:
        """Compare two runs: differing metadata fields and per-(table, column) cell differences."""
        a, b = self.record(run_a), self.record(run_b)
        rows = []
        for f in ("kind", "version", "scenario_id", "scenario_sha256", "seed", "status"):
            if getattr(a, f) != getattr(b, f):
                rows.append((f, str(getattr(a, f)), str(getattr(b, f))))
        for key in sorted(set(a.params) | set(b.params)):
            va, vb = a.params.get(key), b.params.get(key)
            if va != vb:
                rows.append((f"params.{key}", json.dumps(va), json.dumps(vb)))
        fields = pd.DataFrame(rows, columns=["field", "a", "b"])
        cells = self._con.execute(
            """
            WITH ca AS (SELECT tbl, "row", col, value, text FROM results WHERE run_id = ?),
                 cb AS (SELECT tbl, "row", col, value, text FROM results WHERE run_id = ?)
            SELECT coalesce(ca.tbl, cb.tbl) AS "table", coalesce(ca.col, cb.col) AS "column",
                   count(ca.tbl) AS n_a, count(cb.tbl) AS n_b,
                   count(*) FILTER (WHERE cb.tbl IS NULL) AS only_a,
                   count(*) FILTER (WHERE ca.tbl IS NULL) AS only_b,
                   count(*) FILTER (WHERE ca.tbl IS NOT NULL AND cb.tbl IS NOT NULL AND
                       (ca.value IS DISTINCT FROM cb.value OR ca.text IS DISTINCT FROM cb.text)
                       AND NOT (isnan(ca.value) AND isnan(cb.value))) AS n_different,
                   max(abs(ca.value - cb.value)) AS max_abs_diff
            FROM ca FULL OUTER JOIN cb
              ON ca.tbl = cb.tbl AND ca."row" = cb."row" AND ca.col = cb.col
            GROUP BY 1, 2 ORDER BY 1, 2
            """, [a.id, b.id]).df()
        return RunDiff(a=a, b=b, fields=fields, cells=cells)

    # -- integrity ------------------------------------------------------------------------------
    @_guarded
    def check(self) -> IntegrityReport:
        """Verify the store's invariants; return every violation found.

        Checked: every column of every table is readable (DuckDB verifies each data block's
        checksum as it reads it; a damaged table is an error and the rest is skipped);
        statuses are known; finished runs have an end time not before their start; result cells, catalogue entries and chunks belong to existing
        runs; every catalogued table holds exactly ``n_rows`` distinct rows × its columns, with
        no duplicate and no uncatalogued cell; chunk row ranges do not overlap and each chunk's
        rows are all present; a ``done`` sweep has all its chunks. A ``running`` run whose
        process is gone is reported as a warning (it can be resumed).
        """
        con = self._con
        probs: list[Problem] = []
        where = str(self.path)

        def err(msg: str, path: str | None = None, allowed: str | None = None,
                severity: str = "error") -> None:
            probs.append(Problem(msg, file=where, path=path, allowed=allowed, severity=severity))

        unreadable = False
        for t in STORE_TABLES:
            try:  # every column of every row: DuckDB verifies each data block's checksum
                con.execute(f'SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM "{t}"').fetchall()
            except duckdb.Error as exc:
                unreadable = True
                detail = str(exc).splitlines()[0]
                err(f"table {t} is {'corrupted' if _is_corruption(exc) else 'unreadable'}: "
                    f"{_corruption_kind(detail)} ({detail})", t, CORRUPT_FIX)
        n_runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]  # row-group metadata
        n_cells = con.execute("SELECT count(*) FROM results").fetchone()[0]
        if unreadable:  # the invariants below would read the bad blocks again
            return IntegrityReport(path=where, problems=tuple(probs), n_runs=n_runs,
                                   n_cells=n_cells)
        for rid, status in con.execute(
                "SELECT id, status FROM runs WHERE status NOT IN "
                "('running', 'done', 'failed', 'interrupted')").fetchall():
            err(f"unknown status {status!r}", f"runs[{rid}].status", ", ".join(STATUSES))
        for (rid,) in con.execute("SELECT id FROM runs WHERE status <> 'running' AND "
                                  "(ended IS NULL OR ended < started)").fetchall():
            err("finished run without a valid end time", f"runs[{rid}].ended")
        for t, c in (("results", "run_id"), ("result_tables", "run_id"), ("chunks", "run_id")):
            for (rid,) in con.execute(f"SELECT DISTINCT {c} FROM {t} WHERE {c} NOT IN "
                                      "(SELECT id FROM runs)").fetchall():
                err(f"{t} rows for run {rid}, which does not exist", f"{t}[{rid}]")
        for rid, tbl, n in con.execute(
                "SELECT r.run_id, r.tbl, count(*) FROM results r ANTI JOIN result_tables t "
                "ON r.run_id = t.run_id AND r.tbl = t.name GROUP BY ALL").fetchall():
            err(f"{n} cells of table {tbl!r} missing from the catalogue", f"results[{rid}].{tbl}")
        for rid, name, n_rows, cols_json, n_cells_t, n_distinct_rows, n_distinct_cells, lo, hi in \
                con.execute("""
                SELECT t.run_id, t.name, t.n_rows, t.columns_json, count(r.run_id),
                       count(DISTINCT r."row"),
                       count(DISTINCT (r."row", r.col)) FILTER (WHERE r.run_id IS NOT NULL),
                       min(r."row"), max(r."row")
                FROM result_tables t LEFT JOIN results r ON r.run_id = t.run_id AND r.tbl = t.name
                GROUP BY ALL""").fetchall():
            cols = json.loads(cols_json)
            loc = f"results[{rid}].{name}"
            if n_distinct_rows != n_rows:
                err(f"catalogue says {n_rows} rows, {n_distinct_rows} stored", loc)
            if n_cells_t != n_distinct_cells:
                err(f"{n_cells_t - n_distinct_cells} duplicate cells", loc)
            if n_distinct_cells != n_rows * len(cols):
                err(f"{n_distinct_cells} cells for {n_rows} rows × {len(cols)} columns", loc)
            names = {c["name"] for c in cols}
            stray = [c for (c,) in con.execute(
                "SELECT DISTINCT col FROM results WHERE run_id = ? AND tbl = ?",
                [rid, name]).fetchall() if c not in names]
            if stray:
                err(f"cells in undeclared columns {stray}", loc)
            has_chunks = con.execute("SELECT count(*) FROM chunks WHERE run_id = ?",
                                     [rid]).fetchone()[0]
            if not has_chunks and n_rows and (lo != 0 or hi != n_rows - 1):
                err(f"rows numbered {lo}..{hi}, expected 0..{n_rows - 1}", loc)
        # chunks: no overlap, and each chunk's rows present in the chunked table
        for rid, chunk, first, n, nxt in con.execute("""
                SELECT run_id, chunk, first_row, n_rows,
                       lead(first_row) OVER (PARTITION BY run_id ORDER BY first_row)
                FROM chunks""").fetchall():
            if nxt is not None and first + n > nxt:
                err(f"chunk {chunk} overlaps the next chunk", f"chunks[{rid}][{chunk}]")
        for rid, chunk, n, found in con.execute("""
                SELECT c.run_id, c.chunk, c.n_rows, (
                    SELECT count(DISTINCT r."row") FROM results r
                    WHERE r.run_id = c.run_id AND r.tbl = coalesce(
                        (SELECT json_extract_string(params_json, '$.chunk_table') FROM runs
                         WHERE id = c.run_id), 'evaluations')
                      AND r."row" >= c.first_row AND r."row" < c.first_row + c.n_rows)
                FROM chunks c""").fetchall():
            if found != n:
                err(f"chunk {chunk} has {found} of its {n} rows", f"chunks[{rid}][{chunk}]")
        for rid, params_json in con.execute("SELECT id, params_json FROM runs WHERE status = "
                                            "'done' AND kind = 'sweep'").fetchall():
            want = json.loads(params_json).get("n_chunks")
            have = con.execute("SELECT count(*) FROM chunks WHERE run_id = ?", [rid]).fetchone()[0]
            if want is not None and have != want:
                err(f"done sweep has {have} of {want} chunks", f"runs[{rid}]")
        host = socket.gethostname()
        for rid, rhost, pid in con.execute("SELECT id, host, pid FROM runs WHERE status = "
                                           "'running'").fetchall():
            if rhost == host and pid is not None and pid != os.getpid() and not _alive(pid):
                err("marked running but its process is gone", f"runs[{rid}].status",
                    f"`detente sweep --resume {rid}` (sweeps) or rerun", severity="warning")
        return IntegrityReport(path=where, problems=tuple(probs), n_runs=n_runs, n_cells=n_cells)


#: Run kinds whose runs are never changed once finished (issue 14: a frozen forecast record).
IMMUTABLE_KINDS = frozenset({"frozen-forecast"})

#: The first bytes of a DuckDB database file (the magic "DUCK" at offset 8).
DUCKDB_MAGIC_OFFSET, DUCKDB_MAGIC = 8, b"DUCK"

#: How long a command waits for another process's write lock on the store (seconds); override
#: with ``$DETENTE_STORE_TIMEOUT``.
LOCK_TIMEOUT = 60.0


def _refuse_foreign_file(path: Path) -> None:
    """A file that exists and is not a DuckDB database (SQLite, text, …) is refused before
    DuckDB touches it: opening another format can make DuckDB load (or download) a native
    extension for it, and a store must never write into what is not its own."""
    if not path.exists() or path.stat().st_size == 0:
        return
    if not path.is_file():
        raise OptionsError(f"run store {path} is not a regular file", [Problem(
            "not a regular file", file=str(path), path="--store",
            allowed="a DuckDB file written by détente, or a new path")])
    with open(path, "rb") as handle:
        head = handle.read(16)
    magic = head[DUCKDB_MAGIC_OFFSET:DUCKDB_MAGIC_OFFSET + 4]
    if DUCKDB_MAGIC_OFFSET < len(head) < DUCKDB_MAGIC_OFFSET + 4 and \
            DUCKDB_MAGIC.startswith(magic):
        # a DuckDB file cut short inside its first header (a failed copy)
        raise _corrupted(path, f"the file is truncated to {len(head)} bytes "
                               "(not a valid DuckDB database)")
    if magic != DUCKDB_MAGIC:
        kind = "an SQLite database" if head.startswith(b"SQLite format 3") else "not DuckDB"
        raise OptionsError(f"{path} is not a détente run store", [Problem(
            f"the file is {kind}; it was left unchanged", file=str(path), path="--store",
            allowed="a store written by détente, or a new path")])


def _create_whole(path: Path, config: dict[str, Any]) -> None:
    """Make a new, empty DuckDB database at ``path`` so that it appears whole or not at all.

    DuckDB creates a database file before it locks it and writes its header, so a second
    process that opens the path in that moment takes the lock on an empty file and is refused
    ("exists, but it is not a valid DuckDB database file"). Six processes opening a new file
    at once on a loaded 2-core machine were refused 40 times in 1800 opens, and one CI run of
    four forecasts lost a run to a recovery store that way. The database is made under a
    private name beside ``path`` and linked into place; ``os.link`` never replaces a file, so
    when another process got there first its store is kept and this one is dropped. On a file
    system without hard links the store is created in place, as before."""
    spare = path.with_name(f".{path.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        duckdb.connect(str(spare), config=config).close()
        os.link(spare, path)
    except (OSError, duckdb.Error):
        # FileExistsError: another process made the store first, and its file is the store.
        # No hard links here (some network or FAT file systems): the store is created in
        # place. An unwritable folder: the connect that follows reports it with the store's
        # own path.
        pass
    finally:
        for leftover in (spare, spare.with_name(spare.name + ".wal")):
            with contextlib.suppress(OSError):
                leftover.unlink(missing_ok=True)


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the store with extension auto-install and auto-load disabled (a user-supplied path
    must never start an outbound request), waiting for another process's write lock with
    exponential backoff up to :data:`LOCK_TIMEOUT` (``$DETENTE_STORE_TIMEOUT``)."""
    timeout = float(os.environ.get("DETENTE_STORE_TIMEOUT", LOCK_TIMEOUT))
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    if not read_only and not path.exists():
        _create_whole(path, config)
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            msg = str(exc)
            if "lock" in msg.lower() and time.monotonic() + delay < deadline:
                time.sleep(delay * (0.5 + secrets.randbelow(1000) / 1000))  # jittered backoff
                delay = min(delay * 2, 2.0)
                continue
            if "lock" in msg.lower():
                raise StoreBusyError(
                    f"run store {path} is in use by another process (waited {timeout:g} s)",
                    [Problem(msg.splitlines()[0], file=str(path), path="--store",
                             allowed="wait for the other détente process, raise "
                                     "$DETENTE_STORE_TIMEOUT, or pass --store OTHER.duckdb")]
                ) from None
            if _is_corruption(exc):
                raise _corrupted(path, exc, refused=not read_only) from None
            raise OptionsError(f"run store {path} cannot be opened", [Problem(
                msg.splitlines()[0], file=str(path), path="--store",
                allowed="a DuckDB file written by détente (or a new path)")]) from None
        except duckdb.Error as exc:
            if _is_corruption(exc):  # a header or catalogue block fails its checksum
                raise _corrupted(path, exc, refused=not read_only) from None
            raise OptionsError(f"run store {path} cannot be opened", [Problem(
                str(exc).splitlines()[0], file=str(path), path="--store",
                allowed="a DuckDB file written by détente (or a new path)")]) from None


class StoreBusyError(OptionsError):
    """The store stayed locked by another writer for the whole timeout."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Run:
    """A handle on one run in a :class:`RunStore`: add tables and timings while it is running."""

    def __init__(self, store: RunStore, run_id: str, started: datetime | None = None) -> None:
        self.store = store
        self.id = run_id
        self.timings: dict[str, float] = {}
        self._t0 = time.perf_counter()
        # seconds of work done before the run was opened (a result recorded after it finished)
        self._before = 0.0 if started is None else max(0.0, (_now() - started).total_seconds())

    def add_table(self, name: str, frame: pd.DataFrame) -> None:
        """Store a result table (long format, one transaction)."""
        self.store.add_table(self.id, name, frame)

    def add_chunk(self, chunk: int, name: str, frame: pd.DataFrame, first_row: int,
                  seconds: float) -> None:
        """Store one finished chunk of table ``name`` and mark the chunk done (one transaction)."""
        self.store.add_chunk(self.id, chunk, name, frame, first_row, seconds)

    def add_timing(self, name: str, seconds: float) -> None:
        """Accumulate ``seconds`` under ``name`` in the run's timings."""
        self.timings[name] = self.timings.get(name, 0.0) + float(seconds)

    @property
    def record(self) -> RunRecord:
        return self.store.record(self.id)

    @contextlib.contextmanager
    def active(self) -> Iterator[Run]:
        """Reopen an existing run (``--resume``) and finish it like :meth:`RunStore.run` does."""
        self.store.reopen_run(self.id)
        with self._lifecycle():
            yield self

    @contextlib.contextmanager
    def _lifecycle(self) -> Iterator[None]:
        self._t0 = time.perf_counter()
        writing0 = self.store.seconds_writing
        status, error = "done", None
        try:
            yield
        except KeyboardInterrupt:
            status, error = "interrupted", "interrupted by the user (Ctrl-C)"
            raise
        except BaseException as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            self.add_timing("wall", self._before + time.perf_counter() - self._t0)
            self.add_timing("store", self.store.seconds_writing - writing0)
            self.store.finish_run(self.id, status, error=error, timings=self.timings)


def save_run(*, kind: str, command: str, tables: Mapping[str, pd.DataFrame],
             scenario: Any = None, seed: int | None = None,
             params: Mapping[str, Any] | None = None,
             timings: Mapping[str, float] | None = None,
             store: str | os.PathLike[str] | RunStore | None = None,
             started: datetime | None = None) -> str:
    """Record a finished run and its result tables in one call; return the run id.

    For faces (``detente forecast``, ``compare``, ``backtest``) that computed a result and want
    it kept: opens the store (``store`` path, ``$DETENTE_STORE`` or
    ``./detente-runs.duckdb``; or an open :class:`RunStore`), writes the run and each table,
    and marks it ``done``. ``started`` (naive UTC) is when the computation began, so the run's
    start time and ``wall`` timing cover the work, not only the write.

    Examples
    --------
    >>> fc = detente.forecast("korea-2023", draws=1000, seed=1)
    >>> save_run(kind="forecast", command="detente forecast korea-2023 --draws 1000",
    ...          scenario=scenario, seed=fc.seed, params=fc.options,
    ...          tables={"forecast": fc.to_frame()})
    """
    owned = not isinstance(store, RunStore)
    st = RunStore(store) if owned else store
    try:
        with st.run(kind=kind, command=command, scenario=scenario, seed=seed,
                    params=params, started=started) as run:
            for name, frame in tables.items():
                run.add_table(name, frame)
            for name, seconds in (timings or {}).items():
                run.add_timing(name, seconds)
        return run.id
    finally:
        if owned:
            st.close()


#: Name of the result table that holds a run's JSON documents (one row per document).
DOCUMENTS_TABLE = "documents"


def record(result: Any, store: str | os.PathLike[str] | RunStore | None = None, *,
           command: str | None = None,
           documents: Mapping[str, Any] | None = None) -> str:
    """Keep a main-job result (:class:`detente.evaluation.Evaluation`) as a run; return its id.

    The run holds the result's tables (:meth:`Evaluation.tables`), its seed, scenario, the
    options that ran, and the real start time and wall time of the computation. ``documents``
    are JSON-ready dicts kept beside the tables (the CLI stores the report's content, so
    ``detente report RUN_ID`` re-renders it without recomputing).

    Examples
    --------
    >>> result = detente.evaluate("korea-2023", seed=2023)
    >>> run_id = detente.runs.record(result)
    """
    tables = dict(result.tables())
    if documents:
        tables[DOCUMENTS_TABLE] = pd.DataFrame(
            {"name": list(documents), "json": [canonical_json(d) for d in documents.values()]})
    return save_run(kind="compare", command=command or "detente.evaluate(...)", tables=tables,
                    scenario=result.scenario, seed=result.seed, params=result.options,
                    timings={"compute": result.seconds}, store=store, started=result.started)


def read_document(store: RunStore, run_id: str, name: str) -> dict[str, Any]:
    """A JSON document kept with a run by :func:`record` (e.g. ``"report"``).

    Raises
    ------
    OptionsError
        The run keeps no such document (naming the run and what it has).
    """
    rid = store.resolve(run_id)
    have = set(store.tables(rid)["name"])
    docs = store.table(rid, DOCUMENTS_TABLE) if DOCUMENTS_TABLE in have else pd.DataFrame(
        columns=["name", "json"])
    hit = docs[docs["name"] == name]
    if hit.empty:
        raise OptionsError(f"run {rid} keeps no {name} document", [Problem(
            f"no {name!r} document stored with the run", file=str(store.path), path="RUN_ID",
            allowed="a run stored by `detente compare` (it keeps the report's content)")])
    return json.loads(hit["json"].iloc[0])
