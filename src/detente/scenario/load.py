"""Reading and writing scenarios: YAML (with line numbers), plain and KTAB CSV, embedded ids.

Every problem in an input becomes one :class:`detente.errors.Problem` with the file, the line,
the field path (``actors[3].stances.sanctions.salience``), what is wrong and what is allowed; all
problems of a file are raised together as one :class:`detente.errors.ScenarioError`. Line numbers
come from ruamel.yaml's round-trip loader, whose nodes remember where each key and item began.

Formats (docs/scenario-format.md):

- YAML, the détente contract;
- plain stakeholder CSV ``Actor,Capability,Position,Salience`` (one issue, id ``issue``), the table
  of Bueno de Mesquita (1994) and Scholz, Calbert & Smith (2011, Table 1); saliences all ≤ 1 are
  read as fractions and multiplied by 100;
- KTAB SMP CSV (KTAB ``smpc --csv``): row 1 ``name, description, N, M``, row 2 the header
  ``Actor, Description, <capability>, <dim>, <dim salience>, …``, then N actor rows; numbers kept
  unchanged, and KTAB's own input checks applied (positions and saliences on 0–100, an actor's
  saliences summing to at most 100);
- KTAB XML and decide's tagged files (:mod:`detente.scenario.interop`, chosen in
  :func:`read_scenario` by suffix and first line).
"""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import io
import math
import os
import re
import stat
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from detente import limits
from detente.errors import Problem, ScenarioError
from detente.scenario.dump import dump, scenario_to_yaml
from detente.scenario.model import (
    ID_PATTERN,
    MAX_ID_LENGTH,
    Finding,
    Loc,
    Scenario,
    format_loc,
    scenario_findings,
)

# --------------------------------------------------------------------------------------------
# Where a scenario came from, and how a field path maps to a line
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """The file a scenario was read from and the map from field paths to lines.

    For YAML, ``marks`` maps the path of every mapping key and list item to the 1-based
    ``(line, column)`` where ruamel's round-trip reader saw it (``()`` is the document itself);
    for CSV, ``cells`` maps a field path to ``(line, column name)``.
    """

    file: str
    marks: dict[Loc, Mark] = field(default_factory=dict)
    cells: dict[Loc, tuple[int, str]] = field(default_factory=dict)

    def locate(self, loc: Loc) -> tuple[Mark, str]:
        """``((line, column), displayed path)`` for a field path: in YAML, the deepest key or
        item of ``loc`` the document holds."""
        if self.marks:
            for cut in range(len(loc), 0, -1):
                hit = self.marks.get(tuple(loc[:cut]))
                if hit is not None:
                    return hit, format_loc(loc)
            return self.marks[()], format_loc(loc)
        for cut in range(len(loc), -1, -1):
            hit = self.cells.get(tuple(loc[:cut]))
            if hit is not None:
                line, column = hit
                return (line, None), column
        return (None, None), format_loc(loc)

    def problem(self, loc: Loc, message: str, allowed: str | None = None,
                severity: str = "error") -> Problem:
        (line, column), path = self.locate(loc)
        return Problem(message=message, file=self.file, line=line, column=column,
                       path=path or None, allowed=allowed, severity=severity)


#: Where in a file a value sits: 1-based (line, column); either may be unknown.
Mark = tuple[int | None, int | None]


# --------------------------------------------------------------------------------------------
# Pydantic errors -> Problems
# --------------------------------------------------------------------------------------------


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The pydantic model class that holds the field at ``loc`` (for 'allowed' field lists)."""
    tp: Any = Scenario
    for part in loc:
        while True:  # unwrap containers and Optional
            origin = typing.get_origin(tp)
            if origin in (list, tuple) and isinstance(part, int):
                tp = typing.get_args(tp)[0]
                break
            if origin is dict:
                tp = typing.get_args(tp)[1]
                break
            if origin in (typing.Union, types.UnionType):
                args = [a for a in typing.get_args(tp) if a is not type(None)]
                tp = args[0]
                continue
            if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
                info = tp.model_fields.get(part)
                if info is None:
                    return tp
                tp = info.annotation
                break
            return None
    while typing.get_origin(tp) is not None and typing.get_origin(tp) not in (list, tuple, dict):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if not args:
            break
        tp = args[0]
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _fields_text(model: type[BaseModel] | None) -> str | None:
    if model is None:
        return None
    names = [n + ("" if f.is_required() else "?") for n, f in model.model_fields.items()]
    return "the fields " + ", ".join(names) + " (? = optional)"


def _shown(value: Any) -> str:
    if isinstance(value, dict | list):
        return (type(value).__name__ == "dict" and "a mapping") or "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _pydantic_problem(err: Any, origin: Origin) -> Problem:
    """One pydantic error as a located Problem with 'what is allowed' in words."""
    loc: Loc = tuple(err["loc"])
    kind = err["type"]
    got = err.get("input")
    if kind == "missing":
        return origin.problem(loc, f"required field {loc[-1]!r} is missing",
                              f"add {loc[-1]}: …")
    if kind == "extra_forbidden":
        return origin.problem(loc, f"unknown field {loc[-1]!r}",
                              _fields_text(_model_at(loc[:-1])))
    if kind in ("float_parsing", "float_type", "finite_number", "value_error") and (
        kind != "value_error" or "true/false" in err["msg"]
    ):
        return origin.problem(loc, f"{_shown(got)} is not a number", "a finite number")
    if kind == "string_type":
        return origin.problem(loc, f"{_shown(got)} is not text", "text (quote it if needed)")
    if kind == "literal_error":
        return origin.problem(loc, f"{_shown(got)} is not allowed",
                              "one of " + str(err.get("ctx", {}).get("expected", "")))
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        model = _model_at(loc)
        want = "a mapping" + (f" with {_fields_text(model)}" if model else "")
        if model is not None and "value" in model.model_fields:
            return origin.problem(loc, f"{_shown(got)} is not a number",
                                  "a number, or " + want)
        return origin.problem(loc, f"{_shown(got)} has the wrong shape", want)
    if kind in ("list_type", "tuple_type"):
        return origin.problem(loc, f"{_shown(got)} is not a list", "a list [ ... ]")
    if kind in ("too_short", "too_long"):
        return origin.problem(loc, f"{_shown(got)} has the wrong length", "[lo, hi]: two numbers")
    if kind.startswith("date"):
        return origin.problem(loc, f"{_shown(got)} is not a date", "a date YYYY-MM-DD")
    message, _, allowed = str(err["msg"]).removeprefix("Value error, ").partition(" | allowed: ")
    return origin.problem(loc, message, allowed or None)


# --------------------------------------------------------------------------------------------
# Building a Scenario from plain data
# --------------------------------------------------------------------------------------------


@dataclass
class Loaded:
    """A load attempt: the scenario (None when it has errors) and every problem found.

    ``engine_options`` holds the engine settings a file declares, by engine name (a KTAB XML
    file's model parameters as SMPOptions fields under ``"smp"``); empty for other formats.
    """

    scenario: Scenario | None
    problems: list[Problem]
    engine_options: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def _sorted(problems: list[Problem]) -> list[Problem]:
    """In file order, each distinct problem once (a CSV Source cell shared by three numbers is
    one problem, not three)."""
    return sorted(dict.fromkeys(problems), key=lambda p: (p.file or "", p.line or 0,
                                                          p.column or 0))


def _build(data: Any, origin: Origin, doc_line: int = 1) -> Loaded:
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        return Loaded(None, [Problem(
            f"the document is {what}", file=origin.file, line=doc_line, column=1,
            allowed="a mapping with id, title, as_of, summary, sources, issues, actors, policies",
        )])
    too_long = [origin.problem(loc, f"text of {n:,} characters", f"at most "
                               f"{limits.MAX_TEXT_CHARS:,} characters (put long prose in a "
                               "source document and cite it)")
                for loc, n in _long_texts(data, ())]
    if too_long:
        return Loaded(None, _sorted(too_long))
    try:
        scenario = Scenario.model_validate(data, context={"defer_rules": True})
    except ValidationError as exc:
        return Loaded(None, _sorted([_pydantic_problem(e, origin) for e in exc.errors()]))
    problems = [_finding_problem(f, origin) for f in scenario_findings(scenario)]
    if any(p.severity == "error" for p in problems):
        return Loaded(None, _sorted(problems))
    scenario._origin = origin
    return Loaded(scenario, _sorted(problems))


def _long_texts(node: Any, loc: Loc) -> Iterator[tuple[Loc, int]]:
    """Field paths of text values (or keys) longer than :data:`~detente.limits.MAX_TEXT_CHARS`."""
    if isinstance(node, str):
        if len(node) > limits.MAX_TEXT_CHARS:
            yield loc, len(node)
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and len(key) > limits.MAX_TEXT_CHARS:
                yield loc, len(key)
            yield from _long_texts(value, (*loc, key))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            yield from _long_texts(value, (*loc, k))


def _finding_problem(f: Finding, origin: Origin) -> Problem:
    return origin.problem(f.loc, f.message, f.allowed, f.severity)


def scenario_problems(scenario: Scenario) -> list[Problem]:
    """Every warning (and error) of a scenario, located in its file when it was read from one."""
    origin = scenario._origin or Origin(file=f"<scenario {scenario.id}>")
    return _sorted([_finding_problem(f, origin) for f in scenario_findings(scenario)])


# --------------------------------------------------------------------------------------------
# YAML
# --------------------------------------------------------------------------------------------


class _Refused(Exception):
    """A YAML document détente will not turn into data (its problem says where and why)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Plainer:
    """ruamel round-trip nodes -> plain dict / list / str / int / float / bool / date.

    Refuses, with the line, what a scenario never contains and a hostile file might: more values
    than :func:`~detente.limits.max_yaml_values` (a "billion laughs" document whose aliases
    expand exponentially is stopped here, before it is expanded), nesting deeper than
    :data:`~detente.limits.MAX_YAML_DEPTH`, tagged values (``!!python/object`` and any other
    explicit tag) and keys that are not text or numbers (YAML's complex ``? [a, b]`` keys).
    """

    def __init__(self, display: str) -> None:
        self.display = display
        self.values = 0
        self.budget = limits.max_yaml_values()
        from ruamel.yaml.comments import TaggedScalar  # imported when a YAML text is parsed

        self._tagged = TaggedScalar
        #: where each mapping key and list item was seen, by its path (:attr:`Origin.marks`)
        self.marks: dict[Loc, Mark] = {}

    def refuse(self, message: str, at: Mark, allowed: str) -> _Refused:
        return _Refused(Problem(message, file=self.display, line=at[0], column=at[1],
                                allowed=allowed))

    def convert(self, node: Any, at: Mark, depth: int = 0, path: Loc = ()) -> Any:
        self.values += 1
        if self.values > self.budget:
            raise self.refuse(f"the document expands to more than {self.budget:,} "
                              "values (YAML aliases repeated inside each other?)", at,
                              "a scenario without nested alias chains (write the values out)")
        if depth > limits.MAX_YAML_DEPTH:
            raise self.refuse(f"nesting deeper than {limits.MAX_YAML_DEPTH} levels", at,
                              "the scenario structure of docs/scenario-format.md")
        tag = getattr(getattr(node, "tag", None), "value", None)  # ruamel keeps explicit tags
        if tag or isinstance(node, self._tagged):
            raise self.refuse(f"YAML tag {tag or '(unnamed)'} is not allowed", at,
                              "plain values: text, numbers, dates, lists and mappings")
        entry = self.marks.get(path, (1, 1))
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                key_at = _mark_of(node, "key", key, at)
                if not isinstance(key, str | int | float | bool):  # a TaggedScalar is none
                    raise self.refuse(f"a mapping key must be text, not {_describe(key)}",
                                      key_at, "'name: value' with a plain text name")
                plain_key = self.convert(key, key_at, depth + 1)
                # a key ruamel kept no line for (merged in with <<) is placed at its parent
                self.marks[(*path, plain_key)] = _mark_of(node, "key", key, entry)
                out[plain_key] = self.convert(value, _mark_of(node, "value", key, key_at),
                                              depth + 1, (*path, plain_key))
            return out
        if isinstance(node, list | tuple):
            items = []
            for i, value in enumerate(node):
                self.marks[(*path, i)] = _mark_of(node, "item", i, entry)
                items.append(self.convert(value, _mark_of(node, "item", i, at), depth + 1,
                                          (*path, i)))
            return items
        if isinstance(node, bool):
            return bool(node)
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            return str(node)
        return node


def _mark_of(node: Any, kind: str, ref: Any, default: Mark) -> Mark:
    """The 1-based (line, column) where ruamel saw a mapping key, its value, or a list item
    (``kind`` "key", "value" or "item")."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    try:
        found = getattr(lc, kind)(ref)
        return found[0] + 1, found[1] + 1
    except (KeyError, TypeError, IndexError):
        return default


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


_DATE_LIKE = re.compile(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w.-])")


def _bad_date_line(text: str) -> tuple[int, str] | None:
    """The first line holding a YYYY-MM-DD that is not a calendar date (ruamel's constructor
    raises a bare ValueError without a position for those)."""
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _DATE_LIKE.finditer(line.split("#", 1)[0]):
            year, month, day = (int(g) for g in match.groups())
            try:
                datetime.date(year, month, day)
            except ValueError:
                return number, match.group(0)
    return None


def _long_number_line(text: str) -> int | None:
    """The first line with a digit run Python refuses to turn into an int (a bare ValueError)."""
    limit = sys.get_int_max_str_digits()
    run = re.compile(r"\d{" + str(limit + 1) + ",}")
    for number, line in enumerate(text.splitlines(), start=1):
        if run.search(line):
            return number
    return None


_EXPLICIT_TAG = re.compile(r"(?:^|[\s\[{,])(![^\s,\]}]*)")


def _unconstructible(text: str, display: str, exc: Exception) -> Problem:
    """A located problem for a value ruamel failed to build without saying where."""
    bad = _bad_date_line(text)
    if bad is not None:
        return Problem(f"{bad[1]} is not a calendar date ({exc})", file=display, line=bad[0],
                       allowed="a real date as YYYY-MM-DD")
    long_number = _long_number_line(text)
    if long_number is not None:
        return Problem(f"a number with more than {sys.get_int_max_str_digits():,} digits",
                       file=display, line=long_number,
                       allowed="a number of ordinary size (or quote it as text)")
    for number, line in enumerate(text.splitlines(), start=1):
        tag = _EXPLICIT_TAG.search(line.split("#", 1)[0])
        if tag is not None:
            return Problem(f"YAML tag {_shown(tag.group(1))[1:-1]} is not allowed",
                           file=display, line=number,
                           allowed="plain values: text, numbers, dates, lists and mappings")
    return Problem(f"YAML value cannot be read: {_shown(str(exc))[1:-1]}", file=display,
                   allowed="plain YAML values")


def _prescan(text: str, display: str) -> Problem | None:
    """Count a YAML document's nodes and nesting with libyaml's C parser before the (pure
    Python, about 6 s per MB) round-trip reader builds it: a document over the value or depth
    bound is refused in a fraction of a second. Aliases are not followed here (the expansion
    is bounded later, by :class:`_Plainer`); a syntax error is left for the round-trip reader,
    which reports it with its line. Without libyaml the bounds apply after reading."""
    try:
        import yaml as libyaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        return None
    if not getattr(libyaml, "__with_libyaml__", False):  # pragma: no cover - wheels have it
        return None
    budget, nodes, depth = limits.max_yaml_values(), 0, 0
    starts = (libyaml.MappingStartEvent, libyaml.SequenceStartEvent)
    ends = (libyaml.MappingEndEvent, libyaml.SequenceEndEvent)
    counted = (libyaml.ScalarEvent, libyaml.AliasEvent, *starts)
    try:
        for event in libyaml.parse(text, Loader=libyaml.CSafeLoader):
            if isinstance(event, counted):
                nodes += 1
            if isinstance(event, starts):
                depth += 1
            elif isinstance(event, ends):
                depth -= 1
            line = event.start_mark.line + 1
            if nodes > budget:
                return Problem(f"the document holds more than {budget:,} values", file=display,
                               line=line, allowed="a smaller scenario, or raise "
                               "DETENTE_MAX_YAML_VALUES")
            if depth > limits.MAX_YAML_DEPTH:
                return Problem(f"nesting deeper than {limits.MAX_YAML_DEPTH} levels",
                               file=display, line=line,
                               allowed="the scenario structure of docs/scenario-format.md")
    except libyaml.YAMLError as exc:
        if "nesting depth" in str(exc):  # libyaml's own bound (1 000) is met before any event
            mark = getattr(exc, "problem_mark", None)
            return Problem(f"nesting deeper than {limits.MAX_YAML_DEPTH} levels", file=display,
                           line=mark.line + 1 if mark is not None else None,
                           allowed="the scenario structure of docs/scenario-format.md")
        return None
    return None


class YamlDocument(typing.NamedTuple):
    """A YAML file read as plain data (:func:`read_yaml_document`): ``data`` (None when
    ``problem`` says why it could not be read), the :class:`Origin` that locates field paths,
    and the document's first line."""

    data: Any
    origin: Origin | None
    line: int
    problem: Problem | None


def read_yaml_document(text: str, display: str) -> YamlDocument:
    """Read YAML text as plain data, refusing with one located problem what :mod:`detente`
    never reads: syntax errors, more values or deeper nesting than :mod:`detente.limits`
    allows, tags, complex keys, values ruamel cannot build. Shared by scenario and question
    files, so both get the same bounds and messages.

    A document read without a problem is kept in the stage cache (:func:`detente._memo.kept`)
    under the SHA-256 of its text and of the rules that read it (:func:`_document_key`), so the
    next command that reads the same text skips ruamel's pure-Python reader, about 0.4 s for
    the Korea scenario (issue 16). A refused document is read again each time: its problem
    names the file it came from."""
    from detente._memo import kept

    try:
        (data, marks, doc_line), _ = kept(f"yaml-{_document_key(text)[:32]}.pickle",
                                          lambda: _parse_yaml(text, display))
    except _Refused as stop:
        return YamlDocument(None, None, 1, stop.problem)
    return YamlDocument(data, Origin(file=display, marks=marks), doc_line, None)


def read_yaml_data(text: str, display: str, allowed: str) -> dict[str, Any]:
    """The mapping a shipped YAML data file holds (an argument, an outcome coding), read by
    :func:`read_yaml_document` (same bounds, same stage cache).

    Raises
    ------
    ScenarioError
        The text cannot be read, or is not a mapping; its one problem names ``display`` and
        says what the file must be (``allowed``).
    """
    doc = read_yaml_document(text, display)
    if doc.problem is not None:
        raise ScenarioError(f"{display}: not readable YAML", [doc.problem])
    if not isinstance(doc.data, dict):
        raise ScenarioError(f"{display}: not a YAML mapping", [Problem(
            f"the document is {type(doc.data).__name__}, not a mapping", file=display,
            line=doc.line, allowed=allowed)])
    return doc.data


@functools.cache
def _reader_hash() -> str:
    """SHA-256 of what decides how a YAML text becomes data: this module and
    :mod:`detente.limits` (their source), ruamel.yaml's version and Python's."""
    from importlib import metadata

    digest = hashlib.sha256()
    for source in (Path(__file__), Path(limits.__file__)):
        digest.update(source.read_bytes() + b"\0")
    digest.update(f"ruamel.yaml={metadata.version('ruamel.yaml')}\0".encode())
    digest.update(f"python={sys.version_info[:2]}".encode())
    return digest.hexdigest()


def _document_key(text: str) -> str:
    """The stage-cache key of one YAML text: the text, the reader (:func:`_reader_hash`) and
    the bounds in force (an entry read under a larger ``DETENTE_MAX_YAML_VALUES`` must not
    answer under a smaller one)."""
    bounds = f"{limits.max_yaml_values()}/{limits.MAX_YAML_DEPTH}"
    payload = "\0".join((_reader_hash(), bounds, text))
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def _parse_yaml(text: str, display: str) -> tuple[Any, dict[Loc, Mark], int]:
    """``(plain data, marks, first line)`` of a YAML text, or :class:`_Refused`."""
    # ruamel is imported only here: a CSV scenario, and a YAML text the stage cache already
    # holds, never load it (about 9 ms of every command's start-up; benchmarks/README.md)
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.constructor import ConstructorError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    counted = _prescan(text, display)
    if counted is not None:
        raise _Refused(counted)
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        hint = "spaces for indentation (no tabs), 'key: value' pairs, matching quotes/brackets"
        if "found character '\\t'" in what:
            hint = "spaces for indentation; YAML forbids tabs"
        if "duplicate key" in what:
            hint = "each key once per mapping"
        kind = "syntax error"
        if isinstance(exc, ConstructorError):  # well-formed, but a (tagged) value cannot be built
            kind = "value cannot be built"
            hint = "plain values: text, numbers, dates, lists and mappings (no tags)"
        raise _Refused(Problem(f"YAML {kind}: {what}", file=display, line=line,
                               column=column, allowed=hint)) from None
    except RecursionError:
        raise _Refused(Problem(f"nesting deeper than {limits.MAX_YAML_DEPTH} levels",
                               file=display,
                               allowed="the scenario structure of docs/scenario-format.md")) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # ruamel builds values while composing and raises these without a mark: an impossible
        # date (2023-13-45), an int over CPython's digit limit, a tag it cannot build
        # (``!!bool maybe``)
        raise _Refused(_unconstructible(text, display, exc)) from None
    except YAMLError as exc:  # pragma: no cover - unmarked ruamel errors are rare
        raise _Refused(Problem(f"YAML error: {exc}", file=display)) from None
    lc = getattr(tree, "lc", None)
    doc_line = lc.line + 1 if lc is not None and lc.line is not None else 1
    plainer = _Plainer(display)
    if isinstance(tree, CommentedMap):  # a document that is not a mapping locates nothing
        plainer.marks[()] = ((lc.line + 1, lc.col + 1) if lc is not None and lc.line is not None
                             else (1, 1))
    data = plainer.convert(tree, (doc_line, None))
    return data, (plainer.marks if isinstance(tree, CommentedMap) else {}), doc_line


def _read_yaml_text(text: str, display: str) -> Loaded:
    doc = read_yaml_document(text, display)
    if doc.problem is not None:
        return Loaded(None, [doc.problem])
    return _build(doc.data, doc.origin, doc.line)


# --------------------------------------------------------------------------------------------
# CSV: plain stakeholder table and KTAB SMP
# --------------------------------------------------------------------------------------------


def slug_actor_id(name: str) -> str:
    """An actor id from a CSV name: characters outside ``[A-Za-z0-9_-]`` become ``_``."""
    text = re.sub(r"[^A-Za-z0-9_-]+", "_", name.strip()).strip("_")
    if text and not text[0].isalpha():
        text = "A" + text
    return text[:MAX_ID_LENGTH]


def slug_issue_id(name: str) -> str:
    """An issue or scenario id from free text: lowercase words joined by ``-``."""
    text = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    if text and not text[0].isalpha():
        text = "issue-" + text
    return text[:MAX_ID_LENGTH].rstrip("-")


def _csv_rows(text: str, display: str, **dialect: Any) -> list[tuple[int, list[str]]]:
    """``(line number, stripped fields)`` per non-blank row; trailing empty fields dropped.

    ``dialect`` goes to :func:`csv.reader` (decide files are tab-separated, single-quoted). A row
    the csv module refuses (a field over its 131 072-character limit, a NUL byte) raises
    :class:`_Refused` with the row's line, which :func:`read_scenario` reports.
    """
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), **dialect)
    try:
        for fields in reader:
            line = reader.line_num
            cells = [c.strip() for c in fields]
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                rows.append((line, cells))
    except csv.Error as exc:
        raise _Refused(Problem(f"CSV row cannot be read: {exc}", file=display,
                               line=max(reader.line_num, 1),  # the line it stopped on
                               allowed=f"fields under {csv.field_size_limit():,} characters, "
                               "no NUL bytes")) from None
    return rows


@dataclass
class _CsvBuild:
    display: str
    problems: list[Problem] = field(default_factory=list)
    cells: dict[Loc, tuple[int, str]] = field(default_factory=dict)

    def number(self, text: str, line: int, column: str) -> float | None:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if value != value or value in (float("inf"), float("-inf")):
            self.problems.append(Problem(f"{_shown(text)} is not a number", file=self.display,
                                         line=line, path=column, allowed="a finite number"))
            return None
        return value

    def fail(self, message: str, line: int | None, column: str | None,
             allowed: str | None = None) -> None:
        self.problems.append(Problem(message, file=self.display, line=line, path=column,
                                     allowed=allowed))


def _actor_entry(b: _CsvBuild, k: int, line: int, name: str, capability: float | None) -> dict:
    actor_id = slug_actor_id(name)
    if not actor_id:
        b.fail(f"actor name {name!r} has no letters or digits", line, "Actor",
               "a name with letters")
    b.cells[("actors", k)] = (line, "Actor")
    b.cells[("actors", k, "capability")] = (line, "Capability")
    return {"id": actor_id or f"actor{k}", "name": name, "capability": capability,
            "stances": {}}


def _rescale_positions(b: _CsvBuild, found: list[tuple[float, dict, int, str]],
                       scale: tuple[float, float] | None) -> tuple[float, float] | None:
    """Map the plain table's positions linearly to 0–100: from ``scale``, or, when positions
    leave 0–100 and no scale is given, from the data's own range (with a warning).

    ``found`` holds ``(position, stance, line, column)``. Returns the range mapped from (None
    when positions stay as they are).
    """
    if scale is None:
        lo, hi = min(p for p, *_ in found), max(p for p, *_ in found)
        line, column = found[0][2], found[0][3]
        if 0 <= lo and hi <= 1 and hi > lo:  # a 0–1 table, like fractional saliences
            b.problems.append(Problem(
                "every position lies within 0–1: read as a 0–1 scale, mapped to 0–100",
                file=b.display, line=line, path=column, severity="warning",
                allowed="--scale 0,100 to keep the numbers as they are"))
            lo, hi = 0.0, 1.0
            found_scale = (lo, hi)
            for p, stance, *_ in found:
                stance["position"] = {"value": 100 * p, "note": f"{p:g} on a 0–1 scale, "
                                      "mapped linearly to 0–100"}
            return found_scale
        if all(0 <= p <= 100 for p, *_ in found):
            if hi <= 10:  # 1–10 and 0–10 tables are common; say so, change nothing
                b.problems.append(Problem(
                    f"every position lies within {lo:g}–{hi:g}: if the table is on a 1–10 or "
                    "0–10 scale, name it", file=b.display, line=line, path=column,
                    severity="warning", allowed="--scale 1,10 (or 0,10) to map it to 0–100"))
            return None
        if lo == hi:
            b.fail(f"every position is {lo:g}, outside 0–100: no range to map from", line,
                   column, "positions from 0 to 100, or --scale LO,HI")
            return None
        b.problems.append(Problem(
            f"positions leave 0–100: mapped linearly from the data's range {lo:g}–{hi:g}",
            file=b.display, line=line, path=column, severity="warning",
            allowed=f"--scale LO,HI (scale=(lo, hi)) to name the table's scale, e.g. "
            f"--scale {lo:g},{hi:g}"))
    else:
        lo, hi = scale
        for p, _, line, column in found:
            if not lo <= p <= hi:
                b.fail(f"position {p:g} is outside the scale {lo:g}–{hi:g}", line, column,
                       f"a position from {lo:g} to {hi:g} (--scale)")
    for p, stance, *_ in found:
        stance["position"] = {"value": 100 * (p - lo) / (hi - lo),
                              "note": f"{p:g} on the table's {lo:g}–{hi:g} scale, mapped "
                              "linearly to 0–100"}
    return (lo, hi)


def _read_plain_csv(rows: list[tuple[int, list[str]]], display: str, stem: str,
                    scale: tuple[float, float] | None = None,
                    meta: dict[str, tuple[int, str]] | None = None) -> Loaded:
    b = _CsvBuild(display)
    header_line, header = rows[0]
    names = [h.lower() for h in header]
    columns = {}
    for want in ("actor", "capability", "position", "salience"):
        if want not in names:
            b.fail(f"no {want.capitalize()} column", header_line, "header",
                   "a header Actor,Capability,Position,Salience")
        else:
            columns[want] = names.index(want)
    if b.problems:
        return Loaded(None, b.problems)
    # an optional Source column sources every number of its row (a citation, or 'analyst')
    source_col = names.index("source") if "source" in names else None
    row_sources: list[tuple[int, str]] = []
    issue = "issue"
    actors: list[dict] = []
    saliences: list[tuple[float, dict]] = []
    found: list[tuple[float, dict, int, str]] = []
    for k, (line, cells) in enumerate(rows[1:]):
        cells = cells + [""] * (len(header) - len(cells))
        values = {}
        for col in ("capability", "position", "salience"):
            values[col] = b.number(cells[columns[col]], line, header[columns[col]])
        actor = _actor_entry(b, k, line, cells[columns["actor"]], values["capability"])
        b.cells[("actors", k, "capability")] = (line, header[columns["capability"]])
        b.cells[("actors", k, "stances", issue, "position")] = (line, header[columns["position"]])
        b.cells[("actors", k, "stances", issue, "salience")] = (line, header[columns["salience"]])
        stance = {"position": values["position"], "salience": values["salience"]}
        actor["stances"][issue] = stance
        if values["salience"] is not None:
            saliences.append((values["salience"], stance))
        if values["position"] is not None:
            found.append((values["position"], stance, line, header[columns["position"]]))
        if source_col is not None and cells[source_col]:
            row_sources.append((k, cells[source_col]))
            for loc in (("capability",), ("stances", issue, "position"),
                        ("stances", issue, "salience")):
                b.cells[("actors", k, *loc, "source")] = (line, header[source_col])
        actors.append(actor)
    if not actors:
        b.fail("no actor rows after the header", header_line, None, "one row per actor")
    if b.problems:
        return Loaded(None, b.problems)
    mapped = _rescale_positions(b, found, scale)
    if any(p.severity == "error" for p in b.problems):
        return Loaded(None, b.problems)
    if saliences and all(s <= 1 for s, _ in saliences):  # fractions -> percentages
        for s, stance in saliences:
            stance["salience"] = s * 100
    for k, source in row_sources:
        actor = actors[k]
        actor["capability"] = {"value": actor["capability"], "source": source}
        stance = actor["stances"][issue]
        for key in ("position", "salience"):
            stance[key] = {"value": stance[key], "source": source}
    lo, hi = mapped or (0.0, 100.0)
    data = {
        "id": slug_issue_id(stem) or "scenario",
        "title": stem,
        "summary": f"Imported from the stakeholder table {Path(display).name}.",
        "issues": [{"id": issue, "name": stem, "low": f"{lo:g} on the table's scale",
                    "high": f"{hi:g} on the table's scale"}],
        "actors": actors,
    }
    b.cells[("issues", 0)] = (header_line, "Position")
    _add_meta(data, b, meta)
    loaded = _build(data, Origin(file=display, cells=b.cells))
    loaded.problems = _sorted(loaded.problems + b.problems)
    return loaded


def _read_ktab_csv(rows: list[tuple[int, list[str]]], display: str,
                   meta: dict[str, tuple[int, str]] | None = None) -> Loaded:
    b = _CsvBuild(display)
    first_line, first = rows[0]
    if len(first) < 4:
        b.fail("the first row needs 4 fields", first_line, "row 1",
               "scenario name, description, number of actors, number of dimensions")
        return Loaded(None, b.problems)
    name, description = first[0], first[1]
    n_actors = b.number(first[2], first_line, "number of actors")
    n_dims = b.number(first[3], first_line, "number of dimensions")
    if b.problems:
        return Loaded(None, b.problems)
    assert n_actors is not None and n_dims is not None
    if n_dims < 1 or n_dims != int(n_dims):
        b.fail(f"number of dimensions {first[3]!r} is not a whole number ≥ 1", first_line,
               "number of dimensions", "1, 2, 3, …")
    if n_actors < 1 or n_actors != int(n_actors):
        b.fail(f"number of actors {first[2]!r} is not a whole number ≥ 1", first_line,
               "number of actors", "1, 2, 3, …")
    if len(rows) < 2:
        b.fail("no header row", first_line, None,
               "Actor,Description,Capability,<dim>,<dim salience>,…")
    if b.problems:
        return Loaded(None, b.problems)
    m, n = int(n_dims), int(n_actors)
    header_line, header = rows[1]
    if len(header) < 3 + 2 * m:
        b.fail(f"the header has {len(header)} columns; {m} dimension(s) need {3 + 2 * m}",
               header_line, "header", "Actor,Description,Capability, then position and "
               "salience columns per dimension")
        return Loaded(None, b.problems)
    dims = [header[3 + 2 * j] for j in range(m)]
    issue_ids = [slug_issue_id(d) or f"dim{j}" for j, d in enumerate(dims)]
    body = rows[2:]
    if len(body) != n:
        b.fail(f"the first row says {n} actors but {len(body)} actor rows follow", first_line,
               "number of actors", f"{len(body)}, or one row per actor")
    actors = []
    for k, (line, cells) in enumerate(body):
        cells = cells + [""] * (3 + 2 * m - len(cells))
        capability = b.number(cells[2], line, header[2])
        actor = _actor_entry(b, k, line, cells[0], capability)
        b.cells[("actors", k, "capability")] = (line, header[2])
        if cells[1]:
            actor["name"] = f"{cells[0]} ({cells[1]})" if cells[1] != cells[0] else cells[0]
        total = 0.0
        for j, issue_id in enumerate(issue_ids):
            pcol, scol = header[3 + 2 * j], header[4 + 2 * j]
            position = b.number(cells[3 + 2 * j], line, pcol)
            salience = b.number(cells[4 + 2 * j], line, scol)
            b.cells[("actors", k, "stances", issue_id)] = (line, pcol)
            b.cells[("actors", k, "stances", issue_id, "position")] = (line, pcol)
            b.cells[("actors", k, "stances", issue_id, "salience")] = (line, scol)
            actor["stances"][issue_id] = {"position": position, "salience": salience}
            total += salience or 0.0
        if total > 100 + 1e-9:
            b.fail(f"saliences of {cells[0]} sum to {total:g}, above 100", line,
                   header[4 + 2 * (m - 1)], "saliences summing to at most 100 (KTAB's rule)")
        actors.append(actor)
    for j, dim in enumerate(dims):
        b.cells[("issues", j)] = (header_line, dim)
    if b.problems:
        return Loaded(None, b.problems)
    data = {
        "id": slug_issue_id(name) or "scenario",
        "title": name,
        "summary": description or None,
        "issues": [{"id": iid, "name": d, "low": f"0 on {d}", "high": f"100 on {d}"}
                   for iid, d in zip(issue_ids, dims, strict=True)],
        "actors": actors,
    }
    b.cells[("id",)] = (first_line, "scenario name")
    _add_meta(data, b, meta)
    return _build(data, Origin(file=display, cells=b.cells))


#: Comment lines a CSV scenario may start with, ``# as_of: 2023-09-14``: the fields a table
#: cannot carry in its cells.
CSV_META_FIELDS = ("as_of",)


def _csv_meta(rows: list[tuple[int, list[str]]]) -> dict[str, tuple[int, str]]:
    """Peel the leading comment rows off ``rows`` (in place); return the ``# key: value`` ones
    whose key is in :data:`CSV_META_FIELDS` (other comment lines are free text)."""
    meta: dict[str, tuple[int, str]] = {}
    while rows and rows[0][1][0].startswith("#"):
        line, cells = rows.pop(0)
        key, sep, value = ",".join(cells).lstrip("#").partition(":")
        if sep and key.strip() in CSV_META_FIELDS:
            meta[key.strip()] = (line, value.strip())
    return meta


def _add_meta(data: dict[str, Any], b: _CsvBuild, meta: dict[str, tuple[int, str]] | None
              ) -> None:
    for key, (line, value) in (meta or {}).items():
        data[key] = value
        b.cells[(key,)] = (line, f"# {key}")


def _read_csv_text(text: str, display: str, stem: str,
                   scale: tuple[float, float] | None = None) -> Loaded:
    rows = _csv_rows(text, display)
    meta = _csv_meta(rows)
    if not rows:
        return Loaded(None, [Problem("the file is empty", file=display, line=1,
                                     allowed="a header Actor,Capability,Position,Salience or "
                                     "a KTAB first row")])
    first = [c.lower() for c in rows[0][1]]
    if first and first[0] == "actor" and "capability" in first:
        return _read_plain_csv(rows, display, stem, scale, meta)
    return _read_ktab_csv(rows, display, meta)


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def read_scenario(id_or_path: str | os.PathLike[str],
                  scale: tuple[float, float] | None = None) -> Loaded:
    """Read a scenario and collect every problem, raising nothing for bad content.

    Parameters
    ----------
    id_or_path : str or path
        An embedded scenario id (``korea-2023``), or the path of a YAML, plain CSV, KTAB CSV,
        KTAB XML (``.xml``) or decide file (a ``.csv``/``.txt`` whose first non-blank line
        starts with ``#``; :mod:`detente.scenario.interop`).
    scale : (float, float) or None
        The plain stakeholder CSV's position scale ``(lo, hi)``, mapped linearly to 0–100
        (positions outside it are errors). Without it, positions outside 0–100 are mapped from
        the data's own range, with a warning. Other formats ignore it (with a warning).

    Returns
    -------
    Loaded
        The scenario (None if any error) and the problems, errors and warnings, by line.
    """
    from detente.scenario.embedded import embedded_ids, embedded_text

    if not isinstance(id_or_path, str | os.PathLike):
        return Loaded(None, [Problem(
            f"{_shown(id_or_path)} ({type(id_or_path).__name__}) is not a scenario id or path",
            path="scenario", allowed="an embedded id such as korea-2023, or a file's path")])
    name = os.fspath(id_or_path)
    if not isinstance(name, str):  # a bytes path
        name = os.fsdecode(name)
    path = Path(name)
    try:
        exists = path.exists()
    except OSError as exc:  # a name longer than the OS allows, a path through a file
        return Loaded(None, [Problem(f"cannot use the path: {exc.strerror}", file=_shown(name),
                                     allowed="an existing file's path")])
    if not exists and isinstance(id_or_path, str) and name in embedded_ids():
        text, display = embedded_text(name)
        return _read_yaml_text(text, display)
    if not exists:
        known = ", ".join(embedded_ids()) or "none"
        return Loaded(None, [Problem(
            f"no such file or embedded scenario: {name!r}", file=name,
            allowed=f"an embedded id ({known}) or the path of a .yaml or .csv file")])
    if path.is_dir():
        return Loaded(None, [Problem(f"{name!r} is a folder", file=name,
                                     allowed="a .yaml or .csv file")])
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # a FIFO or device would block or never end; only regular files are scenarios
            return Loaded(None, [Problem(f"{name!r} is not a regular file", file=name,
                                         allowed="a .yaml or .csv file on disk")])
        biggest = limits.max_scenario_bytes()
        if info.st_size > biggest:
            return Loaded(None, [Problem(
                f"the file is {info.st_size:,} bytes, more than the {biggest:,} a scenario may "
                "have", file=name,
                allowed="a scenario file under the limit (or raise DETENTE_MAX_SCENARIO_BYTES)")])
        with path.open("rb") as handle:
            raw = handle.read(biggest + 1)  # the file may grow between stat and read
        if len(raw) > biggest:
            return Loaded(None, [Problem(f"the file grew past {biggest:,} bytes while read",
                                         file=name, allowed="a file that is not being written")])
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return Loaded(None, [Problem(f"cannot read the file: {exc}", file=name,
                                     allowed="a readable UTF-8 text file")])
    if scale is not None and not (len(scale) == 2 and all(map(math.isfinite, scale))
                                  and scale[0] < scale[1]):
        return Loaded(None, [Problem(f"scale {tuple(scale)!r} is not a range", file=name,
                                     path="scale", allowed="(lo, hi) with lo < hi")])
    try:
        loaded = _read_text(text, name, path, scale)
    except _Refused as refused:
        return Loaded(None, [refused.problem])
    return loaded


def _read_text(text: str, name: str, path: Path, scale: tuple[float, float] | None) -> Loaded:
    """Dispatch a file's text to its format's reader (:func:`read_scenario` has checked it)."""
    from detente.scenario import interop

    suffix = path.suffix.lower()
    if suffix == ".xml":
        loaded = interop.read_ktab_xml(text, name)
    elif suffix in (".csv", ".txt") and interop.looks_like_decide(text):
        loaded = interop.read_decide(text, name, path.stem)
    elif suffix == ".csv":
        return _read_csv_text(text, name, path.stem, scale)
    else:
        loaded = _read_yaml_text(text, name)
    if scale is not None:
        loaded.problems.append(Problem("scale is ignored: it applies to plain stakeholder CSV "
                                       "only", file=name, path="scale", severity="warning",
                                       allowed="no --scale for this format"))
    return loaded


def load_scenario(id_or_path: str | os.PathLike[str],
                  scale: tuple[float, float] | None = None) -> Scenario:
    """Load and validate a scenario from an embedded id or a file (see :func:`read_scenario`).

    Raises
    ------
    ScenarioError
        One error listing every problem (file, line, field path, what is allowed).
    """
    loaded = read_scenario(id_or_path, scale)
    if loaded.scenario is None:
        errors = loaded.errors
        file = errors[0].file if errors and errors[0].file else "scenario"
        raise ScenarioError(f"{file}: {len(errors)} problem(s); the scenario was not loaded",
                            errors)
    return loaded.scenario


def read_scenario_text(text: str, name: str = "<scenario>") -> Loaded:
    """Read a scenario from YAML ``text`` (an upload, a posted document), never from a path.

    The same bounds and located problems as a file (:func:`read_scenario`): the size limit of
    :func:`detente.limits.max_scenario_bytes`, then the YAML reader; ``name`` is the file the
    problems name. Raises nothing for bad content.
    """
    if not isinstance(text, str):
        return Loaded(None, [Problem(f"{_shown(text)} ({type(text).__name__}) is not YAML text",
                                     file=name, allowed="the text of a YAML scenario")])
    biggest = limits.max_scenario_bytes()
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > biggest:
        return Loaded(None, [Problem(
            f"the text is {size:,} bytes, more than the {biggest:,} a scenario may have",
            file=name, allowed="a scenario under the limit (or raise DETENTE_MAX_SCENARIO_BYTES)")])
    try:
        return _read_yaml_text(text.removeprefix("\ufeff"), name)
    except _Refused as refused:
        return Loaded(None, [refused.problem])


def read_scenario_data(data: Any, name: str = "<scenario>") -> Loaded:
    """Read a scenario from plain data (the dict form of :meth:`Scenario.model_dump`, e.g. a
    posted JSON document) with the rules of a file; problems are located by field path (there
    are no lines). Raises nothing for bad content."""
    return _build(data, Origin(file=name))


def load_embedded(scenario_id: str) -> Loaded:
    """Read the embedded scenario ``scenario_id`` only: unlike :func:`read_scenario`, never a
    file of that name (for faces that take ids from untrusted clients)."""
    from detente.scenario.embedded import embedded_ids, embedded_text

    if not isinstance(scenario_id, str) or scenario_id not in embedded_ids():
        known = ", ".join(embedded_ids()) or "none"
        return Loaded(None, [Problem(f"no embedded scenario {_shown(scenario_id)}",
                                     path="scenario", allowed=f"one of {known}")])
    text, display = embedded_text(scenario_id)
    return _read_yaml_text(text, display)


def validate(id_or_path: str | os.PathLike[str],
             scale: tuple[float, float] | None = None) -> list[Problem]:
    """Every problem of a scenario: errors (rules broken) and warnings (e.g. unsourced numbers).

    Never raises for bad content; the severity of each Problem says which is which.
    """
    return read_scenario(id_or_path, scale).problems


__all__ = [
    "ID_PATTERN",
    "Loaded",
    "Origin",
    "dump",
    "load_embedded",
    "load_scenario",
    "read_scenario",
    "read_scenario_data",
    "read_scenario_text",
    "scenario_problems",
    "scenario_to_yaml",
    "slug_actor_id",
    "slug_issue_id",
    "validate",
]
