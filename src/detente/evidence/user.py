"""The user evidence layer: your own dated observations, on top of the shipped record.

``detente evidence add FILE --through YYYY-MM-DD`` (or :func:`add_evidence`) checks every row
of a CSV of missile launches, nuclear tests, diplomacy events or UN Security Council actions,
and keeps it as a *batch* in the user layer folder:

- ``$DETENTE_DATA/evidence/`` if the environment variable ``DETENTE_DATA`` is set (read when
  called, never on import), else ``~/.local/share/detente/evidence/``;
- ``index.json`` lists the batches (id, kind, ``through``, source file name, added-at time,
  SHA-256 of the file, row count); ``<id>.csv`` is the added file, byte for byte.

The shipped data (``detente/evidence/data/*.csv``) are never written. The loaders
(:func:`detente.evidence.missile_launches`, …, :func:`detente.evidence.monthly_panel`) add the
layer's rows to the shipped ones unless called with ``user_layer=False``.

``through`` is the date up to which the added source is complete. A calendar month is observed
by a batch only if ``through`` is on or after the month's last day; a later month is
*unobserved* (absent from the panel, or NaN), never a zero.

Every bad row is its own located :class:`~detente.errors.Problem` (file, line, field, what is
allowed); any problem raises one :class:`EvidenceError` listing them all, and nothing is
written.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from detente._io import atomic_write
from detente.errors import DetenteError, EnvironmentFault, OptionsError, Problem
from detente.evidence.regime import INCIDENT_TYPES

#: The environment variable naming the user data folder.
DATA_ENV = "DETENTE_DATA"
#: Subfolder of the data folder holding the evidence layer.
LAYER_FOLDER = "evidence"
INDEX_NAME = "index.json"
INDEX_VERSION = 1

LAUNCHES = "launches"
NUCLEAR_TESTS = "nuclear-tests"
DIPLOMACY = "diplomacy"
SANCTIONS = "sanctions"
#: The kinds of added evidence, in the order ``--kind`` lists them.
KINDS = (LAUNCHES, NUCLEAR_TESTS, DIPLOMACY, SANCTIONS)

#: Required columns, then optional columns, of each kind's CSV.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    LAUNCHES: (("date", "time_utc", "missile", "facility", "outcome", "source"),
               ("missiles", "missile_class")),
    NUCLEAR_TESTS: (("date", "site", "source"),
                    ("test_no", "magnitude_mb", "yield_low_kt", "yield_high_kt")),
    DIPLOMACY: (("date_start", "date_end", "date_precision", "type", "parties", "label",
                 "signed_document", "source"), ("note",)),
    SANCTIONS: (("resolution", "date", "kind", "status", "vote", "trigger", "source"), ()),
}

OUTCOMES = ("success", "failure", "unknown")
MISSILE_CLASSES = ("ICBM", "IRBM", "MRBM", "SRBM", "SLBM", "HGV", "SLV", "Unknown")
#: The diplomacy record's event types: the regime markers, then the incident types the regime
#: rule ignores (military deployments, provocations; :data:`regime.INCIDENT_TYPES`).
DIPLOMACY_TYPES = ("summit", "talks", "agreement", "breakdown", "channel", *INCIDENT_TYPES)
SANCTION_KINDS = ("sanctions", "panel_renewal", "veto")
PRECISIONS = {"day": (r"\d{4}-\d{2}-\d{2}", "YYYY-MM-DD"), "month": (r"\d{4}-\d{2}", "YYYY-MM"),
              "year": (r"\d{4}", "YYYY")}
#: The first day a row may be dated (the shipped record starts in 1984).
FIRST_DAY = dt.date(1984, 1, 1)
#: ``status`` of added launch rows in :func:`detente.evidence.missile_launches`.
USER_STATUS = "user"
#: Largest file ``add`` reads (a user CSV of observations is small).
MAX_BYTES = 20_000_000

_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_SOURCE_ALLOWED = "the report this row comes from: a web address or a citation"


class EvidenceError(DetenteError):
    """An added evidence file (or the user layer holding it) is invalid."""


@dataclass(frozen=True)
class Batch:
    """One added file in the user layer (an entry of ``index.json``)."""

    id: str
    kind: str
    through: str
    source_file: str
    added_at: str
    sha256: str
    rows: int
    first_date: str
    last_date: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ----------------------------------------------------------------------------------------------
# Where the layer lives


def data_dir() -> Path:
    """``$DETENTE_DATA`` or ``~/.local/share/detente`` (read now, not on import)."""
    value = os.environ.get(DATA_ENV)
    return Path(value) if value else Path.home() / ".local" / "share" / "detente"


def layer_dir() -> Path:
    """The evidence layer folder inside :func:`data_dir`."""
    return data_dir() / LAYER_FOLDER


def _index_path() -> Path:
    return layer_dir() / INDEX_NAME


def _read_index_bytes() -> bytes | None:
    path = _index_path()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _fault(path, exc) from None


def _fault(path: Path, exc: OSError) -> EnvironmentFault:
    return EnvironmentFault(f"the user evidence layer cannot be used: {exc.strerror or exc}", [
        Problem(exc.strerror or type(exc).__name__, file=str(path), path=DATA_ENV,
                allowed="a writable folder: set DETENTE_DATA to one, or free disk space")])


def list_added() -> list[Batch]:
    """The batches in the user layer, oldest first (empty if there is no layer)."""
    raw = _read_index_bytes()
    if raw is None:
        return []
    path = _index_path()
    try:
        doc = json.loads(raw.decode("utf-8"))
        return [Batch(**entry) for entry in doc["batches"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise EvidenceError("the user evidence index is damaged", [Problem(
            f"cannot read it: {exc}", file=str(path),
            allowed="the index detente wrote; move it away to start an empty layer")]) from None


def layer_key() -> str:
    """SHA-256 of the layer's index ("" when the layer holds no batch): it changes whenever a
    batch is added or removed, and keys the caches of merged frames."""
    raw = _read_index_bytes()
    if raw is None or not list_added():
        return ""
    return hashlib.sha256(raw).hexdigest()


def _write_index(batches: list[Batch]) -> None:
    doc = {"version": INDEX_VERSION, "batches": [b.as_dict() for b in batches]}
    atomic_write(_index_path(), json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


# ----------------------------------------------------------------------------------------------
# Reading a CSV


@dataclass
class _Row:
    line: int
    cells: dict[str, str]
    positions: dict[str, int]


def _read_csv(raw: bytes, name: str) -> tuple[list[str], list[_Row], list[Problem]]:
    """Header, rows (with their first line number) and structural problems of a CSV."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [], [Problem(f"not UTF-8 text (byte {exc.start})", file=name, line=None,
                                allowed="a UTF-8 CSV file")]
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[Problem] = []
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return [], [], [Problem("the file is empty", file=name, line=1,
                                allowed="a header line, then one row per observation")]
    except csv.Error as exc:
        return [], [], [Problem(f"not a CSV file: {exc}", file=name, line=1)]
    rows: list[_Row] = []
    start = reader.line_num + 1
    try:
        for values in reader:
            line = start
            start = reader.line_num + 1
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                problems.append(Problem(
                    f"{len(values)} fields, the header has {len(header)}", file=name,
                    line=line, allowed="one field per header column (quote a field with a comma)"))
                continue
            rows.append(_Row(line, {h: v.strip() for h, v in zip(header, values, strict=True)},
                             {h: i + 1 for i, h in enumerate(header)}))
    except csv.Error as exc:
        problems.append(Problem(f"not a CSV file: {exc}", file=name, line=start))
    return header, rows, problems


def infer_kind(header: list[str]) -> str | None:
    """The kind whose required columns the header holds most of (None on a tie or no match)."""
    scores = {kind: len(set(COLUMNS[kind][0]) & set(header)) for kind in KINDS}
    best = max(scores.values())
    winners = [k for k, s in scores.items() if s == best]
    return winners[0] if best and len(winners) == 1 else None


def _header_problems(header: list[str], kind: str, name: str) -> list[Problem]:
    required, optional = COLUMNS[kind]
    allowed = f"the columns of a {kind} file: " + ",".join(required) + (
        f" (optional: {','.join(optional)})" if optional else "")
    problems = [Problem(f"no column {col!r}", file=name, line=1, path=col, allowed=allowed)
                for col in required if col not in header]
    for i, col in enumerate(header):
        if col not in required and col not in optional:
            problems.append(Problem(f"{col!r} is not a column of a {kind} file", file=name,
                                    line=1, path=col or f"column {i + 1}", column=i + 1,
                                    allowed=allowed))
        elif header.index(col) != i:
            problems.append(Problem(f"column {col!r} appears twice", file=name, line=1, path=col,
                                    column=i + 1, allowed="each column once"))
    return problems


# ----------------------------------------------------------------------------------------------
# Row rules


class _Checker:
    """Collects located problems for one file."""

    def __init__(self, name: str, through: dt.date, today: dt.date) -> None:
        self.name, self.through, self.today = name, through, today
        self.problems: list[Problem] = []

    def add(self, row: _Row, field: str, message: str, allowed: str | None) -> None:
        self.problems.append(Problem(message, file=self.name, line=row.line, path=field,
                                     column=row.positions.get(field), allowed=allowed))

    def required(self, row: _Row, field: str, allowed: str) -> str | None:
        value = row.cells.get(field, "")
        if not value:
            what = "missing source" if field == "source" else f"no {field}"
            self.add(row, field, what, allowed)
            return None
        return value

    def choice(self, row: _Row, field: str, options: tuple[str, ...]) -> str | None:
        value = row.cells.get(field, "")
        if value not in options:
            self.add(row, field, f"{value!r} is not one of the allowed values" if value
                     else f"no {field}", ", ".join(options))
            return None
        return value

    def date(self, row: _Row, field: str, precision: str = "day",
             empty_ok: bool = False) -> dt.date | None:
        """A date in the row's precision, checked against the record start, today and
        ``through`` (the first day of a month or year is what is compared)."""
        value = row.cells.get(field, "")
        pattern, shape = PRECISIONS[precision]
        if not value:
            if not empty_ok:
                self.add(row, field, f"no {field}", f"a date {shape}")
            return None
        day: dt.date | None = None
        if re.fullmatch(pattern, value):
            try:
                day = dt.date.fromisoformat(
                    {"day": value, "month": value + "-01", "year": value + "-01-01"}[precision])
            except ValueError:
                day = None
        if day is None:
            self.add(row, field, f"{value!r} is not a date", f"a date {shape}"
                     + (" (the date as published, UTC where a time is given)"
                        if field == "date" else ""))
            return None
        if day < FIRST_DAY:
            self.add(row, field, f"{value} is before the record", f"a date from {FIRST_DAY}")
        elif day > self.today:
            self.add(row, field, f"{value} is in the future (today is {self.today})",
                     f"a date on or before {self.today}")
        elif day > self.through:
            self.add(row, field, f"{value} is after --through {self.through}",
                     f"a date on or before {self.through}, the date the file is complete to "
                     "(or a later --through)")
        return day

    def number(self, row: _Row, field: str, integer: bool = False,
               minimum: float = 0.0) -> float | None:
        value = row.cells.get(field, "")
        if not value:
            return None
        try:
            number = int(value) if integer else float(value)
        except ValueError:
            number = None
        if number is None or not math.isfinite(number) or number < minimum:
            kind = "an integer" if integer else "a number"
            self.add(row, field, f"{value!r} is not {kind} ≥ {minimum:g}",
                     f"{kind} ≥ {minimum:g}, or an empty cell")
            return None
        return float(number)


def _norm(text: str) -> str:
    return re.sub(r"[\s_]+", "-", text.strip().lower())


def _missile_lookup(shipped: pd.DataFrame) -> dict[str, tuple[str, str, str]]:
    """Normalised slug or name → (slug, name, class) of the shipped missile types."""
    out: dict[str, tuple[str, str, str]] = {}
    for slug, name, klass in shipped[["missile", "missile_name", "missile_class"]].drop_duplicates(
            ).itertuples(index=False):
        out.setdefault(_norm(slug), (slug, name, klass))
        out.setdefault(_norm(name), (slug, name, klass))
    return out


def _launch_records(rows: list[_Row], check: _Checker | None) -> list[dict[str, Any]]:
    """Launch rows as flights of :func:`detente.evidence.missile_launches` (``check`` None: a
    stored batch, already checked)."""
    from detente.evidence import _data

    shipped = _data.missile_launches(user_layer=False)
    lookup = _missile_lookup(shipped)
    out = []
    for row in rows:
        c = row.cells
        if check is not None:
            check.date(row, "date")
            time = c.get("time_utc", "")
            if not (time == "unknown" or _TIME.fullmatch(time)):
                check.add(row, "time_utc", f"{time!r} is not a UTC time" if time
                          else "no time_utc", "HH:MM (UTC, 24-hour), or unknown")
            check.required(row, "missile", "the missile type, e.g. Hwasong-18 or unknown")
            check.required(row, "facility", "the launch site, or unknown")
            check.choice(row, "outcome", OUTCOMES)
            check.required(row, "source", _SOURCE_ALLOWED)
            check.number(row, "missiles", integer=True, minimum=1)
            if c.get("missile_class"):
                check.choice(row, "missile_class", MISSILE_CLASSES)
        slug, name, klass = lookup.get(_norm(c.get("missile", "")),
                                       (_norm(c.get("missile", "")), c.get("missile", ""),
                                        "Unknown"))
        if c.get("missile_class") in MISSILE_CLASSES:
            klass = c["missile_class"]
        time = c.get("time_utc", "")
        record = {"date": c.get("date", ""), "date_precision": "day",
                  "launch_time_utc": time if _TIME.fullmatch(time) else "",
                  "missile": slug, "missile_name": name, "missile_class": klass,
                  "facility": c.get("facility", ""), "outcome": c.get("outcome", ""),
                  "status": USER_STATUS, "source": c.get("source", ""),
                  "_line": row.line, "_count": c.get("missiles", "") or "1"}
        out.append(record)
    return out


def _kst(records: list[dict[str, Any]]) -> list[str]:
    """The KST date of each launch record, by the shipped data's own rule."""
    from detente.evidence import _data

    frame = pd.DataFrame(records, columns=["date", "launch_time_utc", "date_precision"])
    valid = frame["date"].map(lambda d: bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)))
    ok = frame[valid].copy()
    try:
        out = _data.kst_dates(ok["date"], ok["launch_time_utc"], ok["date_precision"])
    except ValueError:  # an impossible date; reported by the date rule
        out = ok["date"]
    result = frame["date"].copy()
    result[valid] = out
    return list(result)


# ----------------------------------------------------------------------------------------------
# Duplicate keys per kind


def _keys(kind: str, records: list[dict[str, Any]]) -> list[tuple]:
    if kind == LAUNCHES:
        return [(k, r["missile"]) for k, r in zip(_kst(records), records, strict=True)]
    if kind == NUCLEAR_TESTS:
        return [(r["date"],) for r in records]
    if kind == DIPLOMACY:
        return [(r["date_start"], r["type"], frozenset(_parties(r["parties"]))) for r in records]
    return [(r["date"], r["kind"]) for r in records]


def _parties(text: str) -> list[str]:
    return [p.strip().lower() for p in re.split(r"[;,]", text) if p.strip()]


def _describe(kind: str, key: tuple) -> str:
    if kind == LAUNCHES:
        return f"{key[1]} on {key[0]} (KST)"
    if kind == DIPLOMACY:
        return f"{key[1]} of {key[0]}"
    if kind == SANCTIONS:
        return f"{key[1]} of {key[0]}"
    return f"test of {key[0]}"


def _shipped_keys(kind: str) -> set[tuple]:
    from detente.evidence import _data

    if kind == LAUNCHES:
        f = _data.missile_launches(user_layer=False)
        return set(zip(f["date"], f["missile"], strict=True))
    if kind == NUCLEAR_TESTS:
        f = _data.nuclear_tests(user_layer=False)
        return {(d.strftime("%Y-%m-%d"),) for d in f["date"]}
    if kind == DIPLOMACY:
        f = _data.diplomacy_events(user_layer=False)
        return {(s, t, frozenset(_parties(p)))
                for s, t, p in zip(f["date_start"], f["type"], f["parties"], strict=True)}
    f = _data.sanctions(user_layer=False)
    return {(d.strftime("%Y-%m-%d"), k) for d, k in zip(f["date"], f["kind"], strict=True)}


def _shipped_resolutions() -> set[str]:
    from detente.evidence import _data

    return {r.strip().lower() for r in _data.sanctions(user_layer=False)["resolution"]}


# ----------------------------------------------------------------------------------------------
# Records of the other kinds


def _plain_records(kind: str, rows: list[_Row], check: _Checker | None) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        c = dict(row.cells)
        if check is not None:
            check.required(row, "source", _SOURCE_ALLOWED)
            if kind == NUCLEAR_TESTS:
                check.date(row, "date")
                check.required(row, "site", "the test site, e.g. Punggye-ri, or unknown")
                check.number(row, "test_no", integer=True, minimum=1)
                for field in ("magnitude_mb", "yield_low_kt", "yield_high_kt"):
                    check.number(row, field)
            elif kind == DIPLOMACY:
                precision = check.choice(row, "date_precision", tuple(PRECISIONS))
                if precision:
                    start = check.date(row, "date_start", precision)
                    end = check.date(row, "date_end", precision, empty_ok=True)
                    if start and end and end < start:
                        check.add(row, "date_end", f"{c['date_end']} is before date_start",
                                  "an end on or after the start, or an empty cell")
                check.choice(row, "type", DIPLOMACY_TYPES)
                check.required(row, "parties", "the parties, ';'-separated, e.g. US; DPRK")
                check.required(row, "label", "a short label of the event")
                check.choice(row, "signed_document", ("0", "1"))
            else:
                check.required(row, "resolution", "the resolution or draft, e.g. S/RES/2397 (2017)")
                check.date(row, "date")
                check.choice(row, "kind", SANCTION_KINDS)
                check.required(row, "status", "adopted, or vetoed (by whom)")
        c["_line"] = row.line
        out.append(c)
    return out


def _records(kind: str, rows: list[_Row], check: _Checker | None) -> list[dict[str, Any]]:
    return (_launch_records(rows, check) if kind == LAUNCHES
            else _plain_records(kind, rows, check))


# ----------------------------------------------------------------------------------------------
# Adding, listing, removing


def _parse_through(through: dt.date | str, today: dt.date) -> dt.date:
    if isinstance(through, dt.datetime):
        through = through.date()
    if isinstance(through, str):
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", through):
                raise ValueError
            through = dt.date.fromisoformat(through)
        except ValueError:
            raise OptionsError(f"--through {through!r} is not a date", [Problem(
                f"{through!r} is not a date", path="--through",
                allowed="YYYY-MM-DD: the date up to which the added source is complete")]
                ) from None
    if not isinstance(through, dt.date):
        raise OptionsError("--through is not a date", [Problem(
            f"{through!r} is not a date", path="--through", allowed="YYYY-MM-DD")])
    if through > today:
        raise OptionsError(f"--through {through} is in the future", [Problem(
            f"{through} is after today ({today})", path="--through",
            allowed=f"a date on or before {today}: a source cannot be complete to a later day")])
    if through < FIRST_DAY:
        raise OptionsError(f"--through {through} is before the record", [Problem(
            f"{through} is before {FIRST_DAY}", path="--through",
            allowed=f"a date from {FIRST_DAY}")])
    return through


def add_evidence(path: str | os.PathLike[str], *, through: dt.date | str,
                 kind: str | None = None, today: dt.date | None = None) -> Batch:
    """Check a CSV of dated observations and keep it as a batch in the user layer.

    Parameters
    ----------
    path : path
        The CSV file. Launches: ``date,time_utc,missile,facility,outcome,source`` (``date`` as
        published, UTC where a time is given; ``time_utc`` ``HH:MM`` or ``unknown``; optional
        ``missiles``, the number flown, default 1, and ``missile_class``). Nuclear tests:
        ``date,site,source`` (optional ``test_no,magnitude_mb,yield_low_kt,yield_high_kt``).
        Diplomacy and sanctions: the columns of the shipped ``diplomacy_events.csv`` and
        ``sanctions.csv``.
    through : date or ``YYYY-MM-DD``
        The date up to which the file is complete; no row may be later. Months after it stay
        unobserved.
    kind : {"launches", "nuclear-tests", "diplomacy", "sanctions"}, optional
        Default: inferred from the header.
    today : date, optional
        The day after which a date is "in the future" (default: today, UTC).

    Returns
    -------
    Batch
        The stored batch (``id`` is the first 12 hex digits of the file's SHA-256).

    Raises
    ------
    EvidenceError
        One located problem per bad row and field (nothing is written).
    OptionsError
        A bad ``through`` or ``kind``.
    EnvironmentFault
        The layer folder cannot be written.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    through_day = _parse_through(through, today)
    name = os.fspath(path)
    if kind is not None and kind not in KINDS:
        raise OptionsError(f"--kind {kind!r} is not a kind of evidence", [Problem(
            f"{kind!r} is not a kind", path="--kind", allowed=", ".join(KINDS))])
    try:
        with open(name, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise EvidenceError(f"cannot read {name}", [Problem(
            exc.strerror or type(exc).__name__, file=name,
            allowed="a readable CSV file")]) from None
    if len(raw) > MAX_BYTES:
        raise EvidenceError(f"{name} is too large", [Problem(
            f"more than {MAX_BYTES} bytes", file=name, allowed="a smaller CSV file")])
    header, rows, problems = _read_csv(raw, name)
    if header and kind is None:
        kind = infer_kind(header)
        if kind is None:
            problems.insert(0, Problem(
                "cannot tell the kind of evidence from the header", file=name, line=1,
                allowed="pass --kind (" + ", ".join(KINDS) + "), or use the columns of one: "
                + "; ".join(f"{k}: {','.join(COLUMNS[k][0])}" for k in KINDS)))
    if kind is not None and header:
        problems = _header_problems(header, kind, name) + problems
    if header and not rows and not problems:
        problems.append(Problem("no rows", file=name, line=2,
                                allowed="one row per observation below the header"))
    if problems:
        raise EvidenceError(f"{name}: the evidence file is invalid", problems)
    assert kind is not None

    check = _Checker(name, through_day, today)
    records = _records(kind, rows, check)
    shipped = _shipped_keys(kind)
    resolutions = _shipped_resolutions() if kind == SANCTIONS else set()
    added: dict[tuple, str] = {}
    batches = list_added()
    for batch in batches:
        if batch.kind != kind:
            continue
        for rec_key, rec in zip(*_batch_keys(batch), strict=True):
            added.setdefault(rec_key, f"batch {batch.id} ({batch.source_file}) line {rec['_line']}")
    seen: dict[tuple, int] = {}
    field = {LAUNCHES: "date", NUCLEAR_TESTS: "date", DIPLOMACY: "date_start",
             SANCTIONS: "date"}[kind]
    row_of = {row.line: row for row in rows}
    for key, rec in zip(_keys(kind, records), records, strict=True):
        row = row_of[rec["_line"]]
        what = _describe(kind, key)
        if kind == SANCTIONS and rec.get("resolution", "").lower() in resolutions:
            check.add(row, "resolution", f"duplicates a shipped UNSC action: {rec['resolution']}",
                      "an action not in the shipped sanctions.csv")
        elif key in shipped:
            check.add(row, field, f"duplicates a shipped event: {what}",
                      "an event not in the shipped record (detente history --events lists it)")
        elif key in added:
            check.add(row, field, f"duplicates an added event: {what}, {added[key]}",
                      "an event not yet in the user layer (detente evidence list --added)")
        elif key in seen:
            check.add(row, field, f"duplicates line {seen[key]} of this file: {what}",
                      "each event once (a salvo of one missile type: one row with a missiles "
                      "count)" if kind == LAUNCHES else "each event once")
        else:
            seen[key] = rec["_line"]
    if check.problems:
        problems = sorted(check.problems, key=lambda p: (p.line or 0, p.column or 0))
        raise EvidenceError(f"{name}: {len(problems)} problem(s); nothing was added", problems)

    digest = hashlib.sha256(raw).hexdigest()
    batch_id = digest[:12]
    if any(b.id == batch_id for b in batches):  # pragma: no cover - caught as duplicates above
        raise EvidenceError(f"{name} is already in the user layer", [Problem(
            f"the same file is batch {batch_id}", file=name,
            allowed=f"detente evidence remove {batch_id} first")])
    dates = sorted(rec.get(field, "") for rec in records)
    batch = Batch(id=batch_id, kind=kind, through=through_day.isoformat(),
                  source_file=Path(name).name,
                  added_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                  sha256=digest, rows=len(records), first_date=dates[0], last_date=dates[-1])
    folder = layer_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / f"{batch_id}.csv", raw)
        _write_index([*batches, batch])
    except OSError as exc:
        raise _fault(folder, exc) from None
    return batch


def remove_added(batch_id: str) -> Batch:
    """Remove one batch (its id, or a unique prefix of at least 4 characters) from the layer.

    Raises
    ------
    EvidenceError
        No batch, or more than one, has that id.
    """
    batches = list_added()
    matches = [b for b in batches if b.id == batch_id
               or (len(batch_id) >= 4 and b.id.startswith(batch_id))]
    if len(matches) != 1:
        allowed = ", ".join(b.id for b in batches) or "none: the user layer is empty"
        raise EvidenceError(f"no added batch {batch_id!r}" if not matches
                            else f"{batch_id!r} names more than one batch", [Problem(
                                f"{batch_id!r} is not the id of one added batch", path="ID",
                                allowed=f"an id from detente evidence list --added ({allowed})")])
    gone = matches[0]
    folder = layer_dir()
    try:
        _write_index([b for b in batches if b.id != gone.id])
        (folder / f"{gone.id}.csv").unlink(missing_ok=True)
    except OSError as exc:
        raise _fault(folder, exc) from None
    return gone


# ----------------------------------------------------------------------------------------------
# Reading the layer back (for the loaders)


def _batch_rows(batch: Batch) -> list[_Row]:
    path = layer_dir() / f"{batch.id}.csv"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise EvidenceError("a batch of the user evidence layer is missing", [Problem(
            f"batch {batch.id} ({batch.source_file}) has no file", file=str(path),
            allowed=f"detente evidence remove {batch.id}, then add the file again")]) from None
    except OSError as exc:
        raise _fault(path, exc) from None
    if hashlib.sha256(raw).hexdigest() != batch.sha256:
        raise EvidenceError("a batch of the user evidence layer was changed", [Problem(
            f"batch {batch.id} ({batch.source_file}) no longer has SHA-256 {batch.sha256[:12]}…",
            file=str(path),
            allowed=f"detente evidence remove {batch.id}, then add the corrected file")])
    _, rows, _ = _read_csv(raw, str(path))
    return rows


def _batch_keys(batch: Batch) -> tuple[list[tuple], list[dict[str, Any]]]:
    records = _records(batch.kind, _batch_rows(batch), None)
    return _keys(batch.kind, records), records


def added_records(kind: str) -> pd.DataFrame:
    """The added rows of one kind, as strings, with ``batch`` (its id) and ``through``.

    Launches come as flights (one row per missile, ``missiles`` expanded) in the shipped
    ``missile_launches.csv`` columns, ``status`` ``"user"``; the other kinds in their shipped
    CSV's columns.
    """
    frames = []
    for batch in list_added():
        if batch.kind != kind:
            continue
        records = _records(kind, _batch_rows(batch), None)
        if kind == LAUNCHES:
            records = [r for r in records for _ in range(int(r["_count"]))]
        frame = pd.DataFrame(records)
        frame["batch"] = batch.id
        frame["through"] = batch.through
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True).fillna("")
    return out.drop(columns=[c for c in ("_line", "_count") if c in out.columns])


def complete_month(day: dt.date | str) -> pd.Period:
    """The last calendar month a source complete through ``day`` observes in full."""
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    month = pd.Period(day, freq="M")
    return month if day == month.end_time.date() else month - 1


def coverage(user_layer: bool = True) -> dict[str, pd.Period]:
    """The last fully observed month of each kind: the shipped record's end (2025-12), or a
    later month a batch of that kind is complete through (``through`` on the month's last day
    or after)."""
    from detente.evidence import _data

    out = {kind: _data.RECORD_END for kind in KINDS}
    if user_layer:
        for batch in list_added():
            out[batch.kind] = max(out[batch.kind], complete_month(batch.through))
    return out


__all__ = [
    "COLUMNS",
    "DATA_ENV",
    "KINDS",
    "Batch",
    "EvidenceError",
    "add_evidence",
    "added_records",
    "complete_month",
    "coverage",
    "data_dir",
    "infer_kind",
    "layer_dir",
    "layer_key",
    "list_added",
    "remove_added",
]
