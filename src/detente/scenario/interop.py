"""Other tools' scenario files: KTAB XML and decide's tagged files in, KTAB SMP CSV out.

Readers follow the contract of :mod:`detente.scenario.load`: they return
:class:`~detente.scenario.load.Loaded` and never raise for bad content; every problem is one
:class:`detente.errors.Problem` with the file, the line and what is allowed.

- **KTAB XML** (KTAB ``smpc`` scenario files, schema ``smpSchema.xsd``): name, description, PRNG
  seed, model parameters, dimensions, and actors with capability, one position (``dCoord``) and
  one salience (``dSal``) per dimension. Numbers are kept in KTAB's units, unchanged, exactly as
  the KTAB CSV reader keeps them (positions and saliences on 0–100, an actor's saliences summing
  to at most 100), so an XML file and the CSV file of the same case give the same arrays. The
  allowed values of the model parameters and the bounds of the numbers are read from KTAB's own
  schema (package data ``data/ktab-smpSchema.xsd``); :data:`KTAB_PARAMETERS` maps each value to
  the :class:`~detente.bargaining.smp.SMPOptions` field value, and the options a file declares
  are kept in ``Loaded.engine_options["smp"]`` (:func:`ktab_smp_options` gives them as
  ``SMPOptions``). XML is parsed with ``defusedxml``: a DTD or an entity declaration is refused.
- **decide** (``decide-exchange-model`` input): tab-separated, optionally single-quoted rows
  tagged ``#A`` (actor key, name, comment), ``#P`` (issue key, name, comment), ``#M`` (issue key,
  a position, what it means), ``#D`` (actor, issue, position, salience, power on that issue);
  ``#0``, ``#O`` and ``#/`` are comments. See :func:`read_decide`.
- **KTAB SMP CSV** out: :func:`write_ktab_csv`.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from detente.errors import Problem, ScenarioError
from detente.scenario.load import (
    Loaded,
    Origin,
    _build,
    _csv_rows,
    _shown,
    _sorted,
    read_scenario,
    slug_actor_id,
    slug_issue_id,
)
from detente.scenario.model import Loc, Scenario

# --------------------------------------------------------------------------------------------
# KTAB's schema and the map of its model parameters to SMPOptions
# --------------------------------------------------------------------------------------------

_XS = "{http://www.w3.org/2001/XMLSchema}"

#: KTAB's model parameters (the ``ModelParameters`` elements of smpSchema.xsd) -> the
#: :class:`~detente.bargaining.smp.SMPOptions` field and, per value KTAB allows, the value of
#: that field (the names in brackets of the table in :mod:`detente.bargaining.smp`). Which values
#: are allowed is read from the schema, not from this table; a test checks that the two agree.
KTAB_PARAMETERS: dict[str, tuple[str, dict[str, str]]] = {
    "VictoryProbModel": ("victory_law", {"Linear": "linear", "Square": "square",
                                         "Quartic": "quartic", "Octic": "octic",
                                         "Binary": "binary"}),
    "PCEModel": ("pce", {"Conditional": "conditional", "MarkovIncentive": "markov-incentive",
                         "MarkovUniform": "markov-uniform"}),
    "StateTransitions": ("transitions", {"Deterministic": "deterministic",
                                         "Stochastic": "stochastic"}),
    "VotingRule": ("voting_rule", {"Binary": "binary", "PropBin": "prop-bin",
                                   "Proportional": "proportional", "PropCbc": "prop-cubic",
                                   "Cubic": "cubic", "ASymProsp": "asym-prospect"}),
    "BigRAdjust": ("risk_adjust", {"Full": "full", "TwoThirds": "two-thirds", "Half": "half",
                                   "OneThird": "one-third", "No": "none"}),
    "BigRRange": ("risk_range", {"Min": "min", "Mid": "mid", "Max": "max"}),
    "ThirdPartyCommit": ("third_party_commit", {"NoCommit": "none", "SemiCommit": "semi",
                                                "FullCommit": "full"}),
    "InterVecBrgn": ("bargain_interpolation", {"S1P1": "s1p1", "S2P2": "s2p2",
                                               "S2PMax": "s2pmax"}),
    "BargnModel": ("bargain_model", {"InitOnlyInterp": "init-only",
                                     "InitRcvrInterp": "init-rcvr",
                                     "PWCompInterp": "pw-comp"}),
}


@dataclass(frozen=True)
class KtabSchema:
    """What KTAB's smpSchema.xsd allows, as read from it.

    Attributes
    ----------
    parameters : dict of str to tuple of str
        Each ``ModelParameters`` element, in schema order, and its allowed values.
    bounds : dict of str to (float, float)
        ``capability``, ``dCoord`` and ``dSal``: ``(minInclusive, maxInclusive)``.
    min_actors : int
        ``minOccurs`` of ``Actor`` in ``Actors``.
    """

    parameters: dict[str, tuple[str, ...]]
    bounds: dict[str, tuple[float, float]]
    min_actors: int


def _local(tag: Any) -> str:
    return str(tag).rpartition("}")[2]


@lru_cache(maxsize=1)
def ktab_schema() -> KtabSchema:
    """KTAB's schema read from the package data ``data/ktab-smpSchema.xsd`` (cached)."""
    blob = resources.files("detente.scenario").joinpath("data").joinpath("ktab-smpSchema.xsd")
    parser = DefusedXMLParser(forbid_dtd=True)
    parser.feed(blob.read_bytes())
    root = parser.close()
    enums = {st.get("name"): tuple(str(e.get("value")) for e in st.iter(_XS + "enumeration"))
             for st in root.iter(_XS + "simpleType") if st.get("name")}
    elements = {el.get("name"): el for el in root.iter(_XS + "element") if el.get("name")}
    parameters = {str(el.get("name")): enums[el.get("type")]
                  for el in elements["ModelParameters"].iter(_XS + "element")
                  if el.get("name") and el.get("type") in enums}
    bounds = {}
    for name in ("capability", "dCoord", "dSal"):
        lo = next(elements[name].iter(_XS + "minInclusive")).get("value")
        hi = next(elements[name].iter(_XS + "maxInclusive")).get("value")
        bounds[name] = (float(str(lo)), float(str(hi)))
    actor_ref = next(el for el in elements["Actors"].iter(_XS + "element")
                     if el.get("ref") == "Actor")
    return KtabSchema(parameters, bounds, int(actor_ref.get("minOccurs", "1")))


# --------------------------------------------------------------------------------------------
# KTAB XML
# --------------------------------------------------------------------------------------------

_SCENARIO_CHILDREN = ("name", "desc", "prngSeed", "ModelParameters", "Dimensions", "Actors",
                      "IdealAdjustment")
_SCHEMA = "KTAB's smpSchema.xsd"


class _LineParser(DefusedXMLParser):
    """defusedxml's parser (DTDs and entities refused) that remembers each element's line."""

    def __init__(self) -> None:
        super().__init__(forbid_dtd=True, forbid_entities=True, forbid_external=True)
        self.lines: dict[int, int] = {}
        self.keep: list[Any] = []

    def _start(self, tag: str, attr_list: Any) -> Any:
        elem = super()._start(tag, attr_list)
        self.lines[id(elem)] = self.parser.CurrentLineNumber
        self.keep.append(elem)  # ids stay unique while the elements live
        return elem


@dataclass
class _Xml:
    display: str
    lines: dict[int, int]
    problems: list[Problem] = field(default_factory=list)
    cells: dict[Loc, tuple[int, str]] = field(default_factory=dict)

    def line(self, el: Any) -> int | None:
        return self.lines.get(id(el))

    def fail(self, message: str, el: Any, path: str, allowed: str | None = None,
             severity: str = "error") -> None:
        self.problems.append(Problem(message, file=self.display, line=self.line(el), path=path,
                                     allowed=allowed, severity=severity))

    def child(self, parent: Any, tag: str, path: str) -> Any:
        """The first child ``tag`` of ``parent``; a located error when there is none."""
        for el in parent:
            if _local(el.tag) == tag:
                return el
        self.fail(f"<{_local(parent.tag)}> has no <{tag}> element", parent, path,
                  f"a <{tag}> element inside <{_local(parent.tag)}> ({_SCHEMA})")
        return None

    def number(self, el: Any, path: str, kind: str) -> float | None:
        """The decimal text of ``el`` inside the schema's bounds of ``kind``."""
        lo, hi = ktab_schema().bounds[kind]
        words = f"a decimal number from {lo:g} to {hi:g} ({_SCHEMA}, {kind})"
        text = (el.text or "").strip()
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value):
            self.fail(f"{_shown(text)} is not a number", el, path, words)
            return None
        if not lo <= value <= hi:
            self.fail(f"{kind} {value:g} is outside {lo:g}–{hi:g}", el, path, words)
            return None
        return value


def _text(el: Any) -> str:
    return "" if el is None else (el.text or "").strip()


def _xml_parameters(x: _Xml, params: Any, out: dict[str, Any]) -> None:
    """``ModelParameters``: each value allowed by the schema, mapped to an SMPOptions field."""
    schema = ktab_schema().parameters
    seen: set[str] = set()
    for el in params:
        name = _local(el.tag)
        path = f"Scenario.ModelParameters.{name}"
        if name not in schema:
            x.fail(f"unknown model parameter <{name}>", el, path,
                   "the elements " + ", ".join(schema) + f" ({_SCHEMA})")
            continue
        seen.add(name)
        value, allowed = _text(el), schema[name]
        if value not in allowed:
            x.fail(f"{name} {value!r} is not allowed", el, path,
                   "one of " + " | ".join(allowed) + f" ({_SCHEMA})")
        elif name not in KTAB_PARAMETERS or value not in KTAB_PARAMETERS[name][1]:
            x.fail(f"{name} {value!r} has no SMP option in détente", el, path,
                   "one of " + " | ".join(KTAB_PARAMETERS.get(name, ("", {}))[1]))
        else:
            option, table = KTAB_PARAMETERS[name]
            out[option] = table[value]
    for name, allowed in schema.items():
        if name not in seen:
            x.fail(f"<ModelParameters> has no <{name}>", params, "Scenario.ModelParameters",
                   f"a <{name}> element: one of " + " | ".join(allowed) + f" ({_SCHEMA})")


def read_ktab_xml(text: str, display: str) -> Loaded:
    """Read a KTAB SMP XML scenario.

    Parameters
    ----------
    text : str
        The file's text.
    display : str
        The file name to report problems against.

    Returns
    -------
    Loaded
        The scenario (None on any error), every problem with its line, and
        ``engine_options["smp"]``: the SMPOptions fields the file declares (model parameters
        mapped by :data:`KTAB_PARAMETERS`; ``prngSeed`` as ``transition_seed``, which seeds
        détente's PCG64 stream, not KTAB's PRNG).

    Notes
    -----
    Positions and saliences are kept in KTAB's units (0–100, unchanged), as the KTAB CSV reader
    keeps them; an actor's saliences must sum to at most 100 (KTAB's rule). An empty ``dCoord``
    or ``dSal`` (as in KTAB's own ``smpExample.xml``) is not a number: the actor is listed as
    absent from that dimension, with a warning. ``IdealAdjustment`` is not used (warning).
    """
    parser = _LineParser()
    try:
        parser.feed(text)
        root = parser.close()
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else None
        return Loaded(None, [Problem(f"malformed XML: {exc}", file=display, line=line,
                                     allowed=f"well-formed XML laid out as {_SCHEMA}")])
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
        return Loaded(None, [Problem(
            f"refused: the file declares a DTD or an entity ({type(exc).__name__})",
            file=display, line=parser.parser.CurrentLineNumber, path="<!DOCTYPE>/<!ENTITY>",
            allowed="XML without <!DOCTYPE> or <!ENTITY> declarations (KTAB's files have none)")])
    x = _Xml(display, parser.lines)
    if _local(root.tag) != "Scenario":
        x.fail(f"the root element is <{_local(root.tag)}>", root, _local(root.tag),
               f"a <Scenario> root element ({_SCHEMA})")
        return Loaded(None, x.problems)
    for el in root:
        if _local(el.tag) not in _SCENARIO_CHILDREN:
            x.fail(f"unknown element <{_local(el.tag)}>", el, f"Scenario.{_local(el.tag)}",
                   "the elements " + ", ".join(_SCENARIO_CHILDREN) + f" ({_SCHEMA})")
    name_el = x.child(root, "name", "Scenario")
    desc_el = x.child(root, "desc", "Scenario")
    seed_el = x.child(root, "prngSeed", "Scenario")
    actors_el = x.child(root, "Actors", "Scenario")
    params_el = next((el for el in root if _local(el.tag) == "ModelParameters"), None)
    dims_el = next((el for el in root if _local(el.tag) == "Dimensions"), None)
    ideal_el = next((el for el in root if _local(el.tag) == "IdealAdjustment"), None)

    smp: dict[str, Any] = {}
    if params_el is not None:
        _xml_parameters(x, params_el, smp)
    seed = _text(seed_el)
    if seed_el is not None:
        if not seed.isdigit() or int(seed) >= 2**64:
            x.fail(f"prngSeed {seed!r} is not an unsigned 64-bit integer", seed_el,
                   "Scenario.prngSeed", "decimal digits, below 2^64 (KTAB's PRNG seed)")
        else:
            smp["transition_seed"] = int(seed)
    if ideal_el is not None:
        x.fail("<IdealAdjustment> (ideal-point adjustment) is not used by détente: ignored",
               ideal_el, "Scenario.IdealAdjustment", "nothing: détente has no ideal points",
               severity="warning")

    actor_els = [] if actors_el is None else list(actors_el)
    for el in actor_els:
        if _local(el.tag) != "Actor":
            x.fail(f"unknown element <{_local(el.tag)}>", el, "Scenario.Actors",
                   f"<Actor> elements ({_SCHEMA})")
    actor_els = [el for el in actor_els if _local(el.tag) == "Actor"]
    minimum = ktab_schema().min_actors
    if actors_el is not None and len(actor_els) < minimum:
        x.fail(f"{len(actor_els)} actor(s)", actors_el, "Scenario.Actors",
               f"at least {minimum} <Actor> elements ({_SCHEMA})")

    if dims_el is not None:
        dim_els = [el for el in dims_el if _local(el.tag) == "dName"]
        dims = [_text(el) for el in dim_els]
        for j, el in enumerate(dim_els):
            if not dims[j]:
                x.fail("empty dimension name", el, f"Scenario.Dimensions.dName[{j}]",
                       "a name, e.g. <dName>Policy</dName>")
            x.cells[("issues", j)] = (x.line(el) or 0, f"Scenario.Dimensions.dName[{j}]")
        if not dim_els:
            x.fail("<Dimensions> lists no <dName>", dims_el, "Scenario.Dimensions",
                   f"one <dName> per dimension ({_SCHEMA})")
    else:  # the schema makes <Dimensions> optional: name them by number
        first = actor_els[0] if actor_els else None
        pos = (None if first is None
               else next((el for el in first if _local(el.tag) == "Position"), None))
        count = len([el for el in pos if _local(el.tag) == "dCoord"]) if pos is not None else 1
        dims = [f"Dim{j + 1}" for j in range(max(count, 1))]
    issue_ids = [slug_issue_id(d) or f"dim{j}" for j, d in enumerate(dims)]
    m = len(dims)
    issues: list[dict[str, Any]] = [
        {"id": iid, "name": d, "low": f"0 on {d}", "high": f"100 on {d}", "absent": []}
        for iid, d in zip(issue_ids, dims, strict=True)]

    actors = []
    for k, el in enumerate(actor_els):
        path = f"Scenario.Actors.Actor[{k}]"
        a_name = _text(x.child(el, "name", path))
        a_desc = _text(x.child(el, "description", path))
        cap_el = x.child(el, "capability", path)
        capability = None if cap_el is None else x.number(cap_el, f"{path}.capability",
                                                          "capability")
        actor_id = slug_actor_id(a_name)
        if not actor_id:
            x.fail(f"actor name {a_name!r} has no letters or digits", el, f"{path}.name",
                   "a name with letters")
        actor_id = actor_id or f"actor{k}"
        x.cells[("actors", k)] = (x.line(el) or 0, path)
        if cap_el is not None:
            x.cells[("actors", k, "capability")] = (x.line(cap_el) or 0, f"{path}.capability")
        name = f"{a_name} ({a_desc})" if a_desc and a_desc != a_name else a_name
        actor: dict[str, Any] = {"id": actor_id, "name": name or actor_id,
                                 "capability": capability, "stances": {}}
        values: dict[str, list[Any]] = {}
        for block, item in (("Position", "dCoord"), ("Salience", "dSal")):
            block_el = x.child(el, block, path)
            items = [] if block_el is None else [c for c in block_el if _local(c.tag) == item]
            if block_el is not None and len(items) != m:
                x.fail(f"{len(items)} <{item}> for {m} dimension(s)", block_el,
                       f"{path}.{block}", f"{m} <{item}> elements, one per <dName>")
            values[block] = items
        total = 0.0
        for j, iid in enumerate(issue_ids):
            pair = [values[b][j] if j < len(values[b]) else None for b in ("Position", "Salience")]
            if None in pair:
                continue
            p_el, s_el = pair
            where = [f"{path}.Position.dCoord[{j}]", f"{path}.Salience.dSal[{j}]"]
            if not _text(p_el) or not _text(s_el):
                empty = 0 if not _text(p_el) else 1
                x.fail(f"empty <{'dCoord' if empty == 0 else 'dSal'}>: {actor_id} is taken as "
                       f"absent from {dims[j]}", pair[empty], where[empty],
                       "a decimal number from 0 to 100", severity="warning")
                issues[j]["absent"].append(actor_id)
                continue
            position = x.number(p_el, where[0], "dCoord")
            salience = x.number(s_el, where[1], "dSal")
            x.cells[("actors", k, "stances", iid)] = (x.line(p_el) or 0, where[0])
            x.cells[("actors", k, "stances", iid, "position")] = (x.line(p_el) or 0, where[0])
            x.cells[("actors", k, "stances", iid, "salience")] = (x.line(s_el) or 0, where[1])
            actor["stances"][iid] = {"position": position, "salience": salience}
            total += salience or 0.0
        if total > 100 + 1e-9:
            x.fail(f"saliences of {a_name} sum to {total:g}, above 100", el, f"{path}.Salience",
                   "saliences summing to at most 100 (KTAB's rule)")
        actors.append(actor)

    if any(p.severity == "error" for p in x.problems):
        return Loaded(None, _sorted(x.problems))
    title = _text(name_el)
    data = {
        "id": slug_issue_id(title) or "scenario",
        "title": title or Path(display).stem,
        "summary": _text(desc_el) or None,
        "issues": [{k: v for k, v in i.items() if k != "absent" or v} for i in issues],
        "actors": actors,
    }
    x.cells[("id",)] = (x.line(name_el) or 0, "Scenario.name")
    loaded = _build(data, Origin(file=display, cells=x.cells))
    loaded.problems = _sorted(loaded.problems + x.problems)
    if loaded.scenario is not None:
        loaded.engine_options = {"smp": smp}
    return loaded


def ktab_smp_options(path: str | os.PathLike[str]) -> Any:
    """The SMP options a KTAB XML file declares, as :class:`~detente.bargaining.smp.SMPOptions`.

    Fields the file does not declare keep SMPOptions' defaults (KTAB's CSV defaults).

    Raises
    ------
    ScenarioError
        The file has errors (each a located Problem).
    """
    from detente.bargaining.smp import SMPOptions

    loaded = read_scenario(path)
    if loaded.scenario is None:
        raise ScenarioError(f"{os.fspath(path)}: {len(loaded.errors)} problem(s)", loaded.errors)
    return SMPOptions(**loaded.engine_options.get("smp", {}))


# --------------------------------------------------------------------------------------------
# decide
# --------------------------------------------------------------------------------------------

_DECIDE_COMMENTS = ("#0", "#O", "#/")
_DECIDE_TAGS = "#A, #P, #M, #D, or a comment #0 / #O / #/"


def looks_like_decide(text: str) -> bool:
    """True when the first non-blank line starts with ``#`` and a letter, digit or ``/``
    (quoted or not): decide's tags. ``# as_of: …`` (hash, space) opens a commented plain or
    KTAB CSV instead."""
    for line in text.splitlines():
        if line.strip():
            head = line.strip().lstrip("'\"")
            return head.startswith("#") and head[1:2] not in ("", " ", "\t")
    return False


@dataclass
class _Decide:
    display: str
    problems: list[Problem] = field(default_factory=list)

    def fail(self, message: str, line: int, path: str, allowed: str | None = None,
             severity: str = "error") -> None:
        self.problems.append(Problem(message, file=self.display, line=line, path=path,
                                     allowed=allowed, severity=severity))

    def number(self, text: str, line: int, path: str) -> float | None:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value):
            self.fail(f"{_shown(text)} is not a number", line, path, "a finite number")
            return None
        return value


def _keyed(b: _Decide, line: int, cells: list[str], tag: str, known: dict[str, Any],
           ids: dict[str, str], slug: Any) -> dict[str, Any] | None:
    """An ``#A`` or ``#P`` row: key, name, comment; the key unique and its id unique."""
    if len(cells) < 2 or not cells[1]:
        b.fail(f"{tag} row without a key", line, f"{tag} key", f"{tag}<tab>key<tab>name")
        return None
    key = cells[1]
    if key in known:
        b.fail(f"{tag} key {key!r} repeats line {known[key]['line']}", line, f"{tag} key",
               "each key once")
        return None
    new_id = slug(key)
    if not new_id:
        b.fail(f"key {key!r} has no letters or digits", line, f"{tag} key", "a key with letters")
        return None
    if new_id in ids:
        b.fail(f"key {key!r} gives the id {new_id!r}, as {ids[new_id]!r} does", line,
               f"{tag} key", "keys that differ in more than punctuation or case")
        return None
    ids[new_id] = key
    entry = {"line": line, "id": new_id, "name": cells[2] if len(cells) > 2 and cells[2] else key}
    known[key] = entry
    return entry


def read_decide(text: str, display: str, stem: str) -> Loaded:
    """Read a decide input file (tagged, tab-separated, optionally single-quoted rows).

    Parameters
    ----------
    text : str
        The file's text.
    display : str
        The file name to report problems against.
    stem : str
        The file name without folder and suffix (the scenario's id and default title).

    Returns
    -------
    Loaded
        The scenario (None on any error) and every problem (file, line, ``#D position`` …).

    Notes
    -----
    - Positions are on each issue's own scale: from the lowest to the highest of its ``#M``
      positions, else 0–100. They are mapped linearly to 0–100; a position outside the bounds is
      an error. The ``#M`` rows at the bounds give the issue's ``low`` and ``high`` words, an
      ``#M`` row between them (the one nearest the middle) its ``mid``.
    - Saliences are read on 0–100; when all of the file's saliences are ≤ 1 they are fractions
      and are multiplied by 100 (as the plain CSV reader does).
    - The power on an issue becomes the stance's ``influence``. détente also needs one global
      capability per actor: it is the mean of the actor's powers over its ``#D`` rows (stated in
      the capability's note). Power must be above 0.
    - An actor without a ``#D`` row for an issue is listed in that issue's ``absent``; an actor
      with no ``#D`` row at all is left out, with a warning.
    - Actor ids are the keys with characters outside ``[A-Za-z0-9_-]`` replaced by ``_``; issue
      ids are the keys slugified (``adapt_legal`` -> ``adapt-legal``).
    """
    b = _Decide(display)
    rows = _csv_rows(text, display, delimiter="\t", quotechar="'")
    actors: dict[str, dict[str, Any]] = {}
    issues: dict[str, dict[str, Any]] = {}
    actor_ids: dict[str, str] = {}
    issue_ids: dict[str, str] = {}
    marks: list[tuple[int, list[str]]] = []
    data_rows: list[tuple[int, list[str]]] = []
    title = ""
    for line, cells in rows:
        tag = cells[0].upper().replace("#0", "#O")
        if tag == "#A":
            _keyed(b, line, cells, "#A", actors, actor_ids, slug_actor_id)
        elif tag == "#P":
            _keyed(b, line, cells, "#P", issues, issue_ids, slug_issue_id)
        elif tag == "#M":
            marks.append((line, cells))
        elif tag == "#D":
            data_rows.append((line, cells))
        elif tag in _DECIDE_COMMENTS:
            if tag == "#O" and not title and len(cells) > 1:
                title = cells[1]
        else:
            b.fail(f"unknown tag {cells[0]!r}", line, "tag", _DECIDE_TAGS)
    if not rows:
        b.fail("the file has no rows", 1, "tag", _DECIDE_TAGS)

    bounds_rows: dict[str, list[tuple[float, str, int]]] = {}
    for line, cells in marks:
        if len(cells) < 3:
            b.fail("#M row needs an issue key and a position", line, "#M",
                   "#M<tab>issue key<tab>position<tab>meaning")
            continue
        if cells[1] not in issues:
            b.fail(f"#M names issue {cells[1]!r}, which has no #P row", line, "#M issue",
                   "a key of a #P row")
            continue
        value = b.number(cells[2], line, "#M position")
        if value is not None:
            bounds_rows.setdefault(cells[1], []).append(
                (value, cells[3] if len(cells) > 3 else "", line))
    scales: dict[str, tuple[float, float]] = {}
    for key in issues:
        got = sorted(bounds_rows.get(key, []))
        if not got:
            scales[key] = (0.0, 100.0)
        elif got[0][0] == got[-1][0]:
            b.fail(f"issue {key!r} has #M rows at one position only ({got[0][0]:g})",
                   got[0][2], "#M position", "#M rows at the lowest and the highest position, "
                   "or none (0–100)")
        else:
            scales[key] = (got[0][0], got[-1][0])

    stances: dict[tuple[str, str], dict[str, Any]] = {}
    for line, cells in data_rows:
        if len(cells) < 6:
            b.fail(f"#D row has {len(cells) - 1} field(s)", line, "#D",
                   "#D<tab>actor<tab>issue<tab>position<tab>salience<tab>power")
            continue
        a_key, i_key = cells[1], cells[2]
        if a_key not in actors:
            b.fail(f"actor {a_key!r} has no #A row", line, "#D actor", "a key of an #A row")
        if i_key not in issues:
            b.fail(f"issue {i_key!r} has no #P row", line, "#D issue", "a key of a #P row")
        position = b.number(cells[3], line, "#D position")
        salience = b.number(cells[4], line, "#D salience")
        power = b.number(cells[5], line, "#D power")
        if a_key not in actors or i_key not in issues:
            continue
        if (a_key, i_key) in stances:
            b.fail(f"a second #D row for {a_key} on {i_key} (first on line "
                   f"{stances[(a_key, i_key)]['line']})", line, "#D", "one #D row per actor "
                   "and issue")
            continue
        lo, hi = scales.get(i_key, (0.0, 100.0))
        if position is not None and not lo <= position <= hi:
            where = "its #M rows" if i_key in bounds_rows else "no #M rows, so 0–100"
            b.fail(f"position {position:g} is outside issue {i_key}'s scale", line,
                   "#D position", f"a position from {lo:g} to {hi:g} ({where})")
            position = None
        if salience is not None and salience < 0:
            b.fail(f"salience {salience:g} is negative", line, "#D salience",
                   "a number from 0 to 1 (a fraction) or from 0 to 100")
            salience = None
        if power is not None and power <= 0:
            b.fail(f"power {power:g} is not above 0", line, "#D power",
                   "a number above 0 (the actor's power on the issue)")
            power = None
        stances[(a_key, i_key)] = {"line": line, "position": position, "salience": salience,
                                   "power": power}
    values = [s["salience"] for s in stances.values() if s["salience"] is not None]
    fractions = bool(values) and all(v <= 1 for v in values)
    for s in stances.values():
        if s["salience"] is not None and fractions:
            s["salience"] *= 100
        if s["salience"] is not None and s["salience"] > 100:
            b.fail(f"salience {s['salience']:g} is above 100", s["line"], "#D salience",
                   "a number from 0 to 100, or fractions from 0 to 1 throughout the file")
    if not issues and rows:
        b.fail("no #P row: the file declares no issue", rows[0][0], "#P",
               "one #P row per issue")
    if any(p.severity == "error" for p in b.problems):
        return Loaded(None, _sorted(b.problems))

    cells: dict[Loc, tuple[int, str]] = {}
    issue_list = []
    for j, (key, issue) in enumerate(issues.items()):
        lo, hi = scales[key]
        got = sorted(bounds_rows.get(key, []))
        low = got[0][1] if got and got[0][1] else f"{lo:g} on the file's scale of {issue['name']}"
        high = (got[-1][1] if got and got[-1][1]
                else f"{hi:g} on the file's scale of {issue['name']}")
        entry: dict[str, Any] = {"id": issue["id"], "name": issue["name"], "low": low,
                                 "high": high, "absent": []}
        inner = [g for g in got[1:-1] if g[1]]
        if inner:
            mid = min(inner, key=lambda g: abs(g[0] - (lo + hi) / 2))
            at = 100 * (mid[0] - lo) / (hi - lo)
            entry["mid"] = mid[1] if abs(at - 50) < 1e-9 else f"{mid[1]} (at {at:g})"
        issue_list.append(entry)
        cells[("issues", j)] = (issue["line"], "#P")
    actor_list = []
    for key, actor in actors.items():
        mine = {i: stances[(key, i)] for i in issues if (key, i) in stances}
        if not mine:
            b.fail(f"actor {key!r} has no #D row: left out", actor["line"], "#A",
                   f"#D rows for {key}", severity="warning")
            continue
        k = len(actor_list)
        powers = [s["power"] for s in mine.values()]
        entry = {"id": actor["id"], "name": actor["name"], "capability": {
            "value": float(np.mean(powers)),
            "note": f"mean of {key}'s power over its {len(powers)} issue(s) in the decide file "
                    "(détente needs one capability per actor; each stance's influence is the "
                    "power on that issue)"}, "stances": {}}
        cells[("actors", k)] = (actor["line"], "#A")
        cells[("actors", k, "capability")] = (actor["line"], "#A (mean #D power)")
        for j, (i_key, issue) in enumerate(issues.items()):
            s = mine.get(i_key)
            if s is None:
                issue_list[j]["absent"].append(actor["id"])
                continue
            lo, hi = scales[i_key]
            mapped = 100 * (s["position"] - lo) / (hi - lo)
            position: dict[str, Any] = {"value": mapped}
            if (lo, hi) != (0.0, 100.0):
                position["note"] = (f"{s['position']:g} on the file's {lo:g}–{hi:g} scale, "
                                    "mapped linearly to 0–100")
            entry["stances"][issue["id"]] = {"position": position, "salience": s["salience"],
                                             "influence": s["power"]}
            base: Loc = ("actors", k, "stances", issue["id"])
            cells[base] = (s["line"], "#D")
            for f, col in (("position", "#D position"), ("salience", "#D salience"),
                           ("influence", "#D power")):
                cells[(*base, f)] = (s["line"], col)
        actor_list.append(entry)
    if not actor_list:
        b.fail("no actor has a #D row: nothing to bargain", rows[0][0], "#D",
               "#D rows: actor, issue, position, salience, power")
        return Loaded(None, _sorted(b.problems))
    data = {
        "id": slug_issue_id(stem) or "scenario",
        "title": title or stem,
        "summary": f"Imported from the decide input file {Path(display).name}: positions mapped "
                   "to 0–100 from each issue's bounds; capability is each actor's mean power, "
                   "and the power on each issue is the stance's influence.",
        "issues": [{k: v for k, v in i.items() if k != "absent" or v} for i in issue_list],
        "actors": actor_list,
    }
    loaded = _build(data, Origin(file=display, cells=cells))
    loaded.problems = _sorted(loaded.problems + b.problems)
    return loaded


# --------------------------------------------------------------------------------------------
# KTAB SMP CSV out
# --------------------------------------------------------------------------------------------


def ktab_csv_text(scenario: Scenario) -> str:
    """The KTAB SMP CSV text of ``scenario`` (see :func:`write_ktab_csv`)."""
    from detente.bargaining._kernels import weighted_median
    from detente.bargaining.smp import ktab_saliences

    arrays = scenario.arrays()
    present = np.asarray(arrays.present, dtype=bool)
    taking_part = present.any(axis=1)
    cap = np.asarray(arrays.capability, dtype=float)
    pos = np.array(arrays.position, dtype=float)
    sal = np.where(present, np.asarray(arrays.salience, dtype=float), 0.0)
    for k in range(pos.shape[1]):
        here = present[:, k]
        if not here.all():  # an absent actor sits at the weighted median, as the SMP puts it
            pos[~here, k] = weighted_median(pos[here, k][None, :],
                                            (cap[here] * sal[here, k])[None, :])[0]
    sal = ktab_saliences(sal)
    one_line = " ".join((scenario.summary or "").split())
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow([scenario.title, one_line, int(taking_part.sum()), len(arrays.issue_ids)])
    header = ["Actor", "Description", "Capability"]
    for issue_id in arrays.issue_ids:
        header += [issue_id, f"{issue_id} salience"]
    out.writerow(header)
    for a, actor in enumerate(scenario.actors):
        if not taking_part[a]:
            continue
        row: list[Any] = [actor.id, actor.name, repr(float(cap[a]))]
        for k in range(len(arrays.issue_ids)):
            row += [repr(float(pos[a, k])), repr(float(sal[a, k]))]
        out.writerow(row)
    return buffer.getvalue()


def write_ktab_csv(scenario: Scenario, path: str | os.PathLike[str]) -> Path:
    """Write ``scenario`` as a KTAB SMP CSV file, atomically (temporary file, then os.replace).

    The layout is the one :func:`detente.scenario.read_scenario` reads as KTAB CSV (and KTAB
    ``smpc --csv`` reads): row 1 ``name, description, N, M``; row 2 the header ``Actor,
    Description, Capability, <issue id>, <issue id> salience, …``; then N actor rows. Numbers
    are written in full precision.

    KTAB requires an actor's saliences to sum to at most 100: the saliences written are
    :func:`detente.bargaining.smp.ktab_saliences` of the scenario's (an actor over the budget
    spreads 100 points over its issues in proportion to its ratings; one within it keeps
    them), the rule détente's SMP engine applies. KTAB has no absent actors: an actor absent
    from an issue gets salience 0 there and the capability×salience-weighted median position
    of the others (where détente's SMP places it); an actor absent from every issue is left
    out. Per-issue ``influence``, ranges, sources and notes have no place in KTAB CSV and are
    not written.
    """
    from detente._io import atomic_write

    return atomic_write(path, ktab_csv_text(scenario).encode("utf-8"))


__all__ = [
    "KTAB_PARAMETERS",
    "KtabSchema",
    "ktab_csv_text",
    "ktab_schema",
    "ktab_smp_options",
    "looks_like_decide",
    "read_decide",
    "read_ktab_xml",
    "write_ktab_csv",
]
