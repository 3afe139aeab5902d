"""The scenario model: pydantic v2 classes for the YAML contract of docs/scenario-format.md.

A :class:`Scenario` states who bargains (actors), over what (issues, each a 0–100 scale described
in words at both ends), how strong each actor is (capability), where each stands (position), how
much it cares (salience), and which policies an analyst wants to compare. Every number is a
:class:`Quantity` carrying its source and rationale.

The inputs are those of the expected-utility and spatial bargaining models (Bueno de Mesquita
1994; Scholz, Calbert & Smith 2011, Table 1: capability, position, salience per actor) and of
KTAB's Spatial Model of Politics (one position and salience per actor and dimension).

Checks happen in two layers. Pydantic checks types and shapes (every class forbids unknown keys,
so a misspelt field is an error). :func:`scenario_findings` then checks the rules that span
objects (ids, cross-references, intervals, policies) and returns located findings; the loader
(:mod:`detente.scenario.load`) turns both into :class:`detente.errors.Problem` lines with file and
line. Constructing a :class:`Scenario` directly runs the same rules and raises
:class:`detente.errors.ScenarioError`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from detente import limits
from detente.errors import Problem, ScenarioError
from detente.scenario.dynamics_levers import DYNAMICS_LEVERS

if TYPE_CHECKING:
    from detente.scenario.arrays import ScenarioArrays

#: ids: a letter, then letters, digits, ``_`` or ``-`` (docs/scenario-format.md, "Rules").
#: Ids are short slugs: they key tables, file names and URLs (a hostile 1 000 000-character id
#: used to validate clean).
MAX_ID_LENGTH = 64
ID_PATTERN = re.compile(rf"[A-Za-z][A-Za-z0-9_-]{{0,{MAX_ID_LENGTH - 1}}}")
ID_ALLOWED = f"a letter followed by letters, digits, '_' or '-', at most {MAX_ID_LENGTH} characters"

#: A source naming the analyst's own judgement; needs no entry in ``sources``.
ANALYST_SOURCE = "analyst"

#: Domains that mirror or aggregate other publishers' documents (encyclopedia mirrors, document
#: dumps, content farms): a number sourced there should cite the primary document instead
#: (UN documents, official statements, CNS, established outlets). ``detente validate`` warns on
#: each source whose address is on one of them (docs/scenario-format.md, "Source quality").
MIRROR_DOMAINS: tuple[str, ...] = (
    "wikisum.wiki", "zxc.wiki", "wiki.li", "datana.cloud", "wn.com", "docslib.org",
    "indexmundi.com", "statista.com", "wikiwand.com", "everybodywiki.com", "dbpedia.org",
    "encyclopedia.pub", "infogalactic.com", "alchetron.com", "studylib.net", "scribd.com",
    "yumpu.com", "coursehero.com", "peoplepill.com", "famousfix.com",
    # found in the evidence's source-quality pass (issue 12, item 7)
    "wikimili.com", "owiki.org", "howlingpixel.com", "liquisearch.com", "sagapedia.com",
    "a2zcore.com", "doczz.net", "menafn.com", "news-pravda.com",
)


def mirror_domain(address: str | None) -> str | None:
    """The mirror or aggregator domain an address is on (:data:`MIRROR_DOMAINS`), or None."""
    if not address:
        return None
    host = re.sub(r"^[a-z]+://", "", address.strip().lower()).split("/", 1)[0]
    for domain in MIRROR_DOMAINS:
        if host == domain or host.endswith("." + domain):
            return domain
    return None

#: The closed interval of positions, saliences and status-quo values.
SCALE_LOW, SCALE_HIGH = 0.0, 100.0

FieldName = Literal["position", "salience", "capability"]
OpName = Literal["set", "shift", "scale"]


def _reject_bool(value: Any) -> Any:
    """YAML ``yes``/``true`` is not a number; pydantic's lax mode would read it as 1.0."""
    if isinstance(value, bool):
        raise ValueError("a true/false value is not a number | allowed: a finite number")
    return value


Number = Annotated[float, BeforeValidator(_reject_bool), Field(allow_inf_nan=False)]
NumberRange = tuple[Number, Number]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quantity(_Model):
    """A number with its provenance.

    A bare number in the file (``salience: 60``) is read as ``{value: 60}``.

    Parameters
    ----------
    value : float
        The number.
    source : str or None
        A source id from the scenario's ``sources``, ``analyst``, or a free-text citation.
    note : str or None
        The rationale: why this number.
    range : (float, float) or None
        ``[lo, hi]`` containing ``value``: the plausible interval that Monte Carlo and
        sensitivity runs sample.
    """

    value: Number
    source: str | None = None
    note: str | None = None
    range: NumberRange | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: Any) -> Any:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"value": data}
        return data

    @property
    def bounds(self) -> tuple[float, float]:
        """``(lo, hi)``; both equal ``value`` when no range is given."""
        if self.range is None:
            return (self.value, self.value)
        return (self.range[0], self.range[1])


class Source(_Model):
    """A cited document; numbers refer to it by ``id``.

    ``date`` is the publication date as ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``. A copy on a
    mirror or aggregator names its primary document's source entry in ``primary`` (so the
    reader can check the number at its publisher).
    """

    id: str
    title: str
    publisher: str | None = None
    date: str | None = None
    address: str | None = None
    primary: str | None = None  # for a copy on a mirror: the id of the primary document

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("date")
    @classmethod
    def _date_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
            raise ValueError(f"date {value!r} is not a date | allowed: YYYY-MM-DD, YYYY-MM or YYYY")
        return value


#: Decision rules an issue may declare (docs/decision-rules.md). ``collective`` is the engines as
#: published; the others constrain the bargained outcome (Tsebelis 2002, veto players).
RuleName = Literal["collective", "unilateral", "veto", "joint", "bilateral"]
DECISION_RULES: tuple[str, ...] = ("collective", "unilateral", "veto", "joint", "bilateral")


class Decision(_Model):
    """How an issue is decided: a rule, the actors it names, and why (with a source).

    ``collective`` (the default) names no actors; ``unilateral`` names exactly one (the actor who
    decides alone); ``veto`` one or more veto holders; ``joint`` and ``bilateral`` exactly two.
    """

    rule: RuleName = "collective"
    actors: list[str] = Field(default_factory=list)
    source: str | None = None
    note: str | None = None


class Issue(_Model):
    """One issue: a 0–100 scale with both ends (and optionally the middle) described in words."""

    id: str
    name: str
    low: str
    high: str
    mid: str | None = None
    status_quo: Quantity | None = None
    absent: list[str] = Field(default_factory=list)
    decision: Decision | None = None

    @property
    def rule(self) -> str:
        """The decision rule in force (``collective`` when none is declared)."""
        return "collective" if self.decision is None else self.decision.rule


class Stance(_Model):
    """An actor's position (0–100 on the issue's scale) and salience (0–100) on one issue.

    ``influence`` (optional) is the actor's clout on this issue, on the same scale as its global
    ``capability``; where given it replaces the capability on this issue in both engines.
    """

    position: Quantity
    salience: Quantity
    influence: Quantity | None = None


class Actor(_Model):
    """A party to the bargaining: capability (> 0, any scale) and a stance per issue."""

    id: str
    name: str
    capability: Quantity
    stances: dict[str, Stance] = Field(default_factory=dict)


class Lever(_Model):
    """A change a policy makes to one of its choosing actors' own numbers.

    ``op`` is ``set`` (replace), ``shift`` (add) or ``scale`` (multiply). ``issue`` names the issue
    for ``position`` and ``salience``; a ``capability`` lever needs none.
    """

    actor: str
    issue: str | None = None
    field: FieldName
    op: OpName
    value: Number
    rationale: str | None = None


class Assumption(Lever):
    """A change to another actor's number that the analyst assumes the policy causes.

    Same shape as :class:`Lever`, plus an optional ``range`` on ``value``; always kept apart from
    levers and shown as an assumption.
    """

    range: NumberRange | None = None


class DynamicsLever(_Model):
    """A value for a named input of the dynamic model (see ``DYNAMICS_LEVERS``)."""

    name: str
    value: Number
    rationale: str | None = None


class Policy(_Model):
    """A named policy: who adopts it and what it changes (levers, assumptions, dynamics)."""

    id: str
    name: str
    summary: str | None = None
    chosen_by: list[str]
    levers: list[Lever] = Field(default_factory=list)
    assumptions: list[Assumption] = Field(default_factory=list)
    dynamics: list[DynamicsLever] = Field(default_factory=list)


#: Fitted dynamic models a scenario can bind to (``binding.model``); see :class:`Binding`.
DYNAMIC_MODELS: dict[str, str] = {
    "dprk-testing": "the dynamic model of DPRK missile and nuclear testing (detente.dynamics), "
                    "fitted on the cited 1984–2025 record",
}

#: Arguments (claims with their tests) a scenario can declare (``argument``).
ARGUMENTS: dict[str, str] = {
    "korea-2023-column": "the claims C1–C10 of the September 2023 column on US policy toward "
                         "North Korea (tests/reference/korea-2023/claims.md)",
}


class Binding(_Model):
    """A scenario's binding to a fitted dynamic model: which model, and which issues feed which
    bridge rule (docs/report.md, rules B1 and B2).

    Without a binding, ``compare`` is a bargaining comparison only: it never borrows another
    case's dynamics.
    """

    model: str
    talks_issue: str
    sanctions_issue: str
    note: str | None = None


class Scenario(_Model):
    """A whole scenario: sources, issues, actors, policies and baseline dynamics values.

    Construction checks every rule of docs/scenario-format.md and raises
    :class:`detente.errors.ScenarioError` listing all problems. Instances are frozen;
    :func:`detente.scenario.apply` returns a new one.
    """

    id: str
    title: str
    as_of: dt.date | None = None
    summary: str | None = None
    sources: list[Source] = Field(default_factory=list)
    issues: list[Issue]
    actors: list[Actor]
    policies: list[Policy] = Field(default_factory=list)
    dynamics: dict[str, Quantity] = Field(default_factory=dict)
    binding: Binding | None = None
    argument: str | None = None

    # Where the scenario was read from (for located warnings); not part of equality or dumps.
    _origin: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get("defer_rules"):
            return self
        findings = [f for f in scenario_findings(self) if f.severity == "error"]
        if findings:
            raise ScenarioError(
                f"scenario {self.id!r} breaks {len(findings)} rule(s)",
                [f.problem() for f in findings],
            )
        return self

    def __eq__(self, other: object) -> bool:
        # Equal when the fields are equal; where the scenario was read from does not count.
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]

    # --- lookups -------------------------------------------------------------------------
    @property
    def actor_ids(self) -> tuple[str, ...]:
        return tuple(a.id for a in self.actors)

    @property
    def issue_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.issues)

    def actor(self, actor_id: str) -> Actor:
        """The actor with id ``actor_id``."""
        for a in self.actors:
            if a.id == actor_id:
                return a
        raise KeyError(actor_id)

    def issue(self, issue_id: str) -> Issue:
        """The issue with id ``issue_id``."""
        for i in self.issues:
            if i.id == issue_id:
                return i
        raise KeyError(issue_id)

    def policy(self, policy_id: str) -> Policy:
        """The policy with id ``policy_id``."""
        for p in self.policies:
            if p.id == policy_id:
                return p
        raise KeyError(policy_id)

    def source(self, source_id: str) -> Source | None:
        """The cited source with id ``source_id``, or None."""
        for s in self.sources:
            if s.id == source_id:
                return s
        return None

    # --- outputs -------------------------------------------------------------------------
    def arrays(self, issue: str | None = None) -> ScenarioArrays:
        """Capability, positions and saliences as numpy arrays: the engines' single entry point.

        See :func:`detente.scenario.arrays.scenario_arrays`.
        """
        from detente.scenario.arrays import scenario_arrays

        return scenario_arrays(self, issue)

    def to_yaml(self) -> str:
        """The scenario as YAML text that loads back to an equal Scenario."""
        from detente.scenario.dump import scenario_to_yaml

        return scenario_to_yaml(self)


# --- rules that span objects ---------------------------------------------------------------
Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    """A rule broken at a field path (``loc``), before a file and line are attached."""

    loc: Loc
    message: str
    allowed: str | None = None
    severity: str = "error"

    def problem(self, file: str | None = None, line: int | None = None) -> Problem:
        return Problem(
            message=self.message,
            file=file,
            line=line,
            path=format_loc(self.loc),
            allowed=self.allowed,
            severity=self.severity,
        )


def format_loc(loc: Loc) -> str:
    """``("actors", 3, "stances", "sanctions")`` -> ``actors[3].stances.sanctions``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def field_interval(field: str) -> tuple[float, float, str]:
    """The allowed interval of a field: ``(lo, hi, words)``; capability is open at 0."""
    if field == "capability":
        return (0.0, math.inf, "a number above 0")
    return (SCALE_LOW, SCALE_HIGH, "a number from 0 to 100")


def _in_field(field: str, value: float) -> bool:
    lo, hi, _ = field_interval(field)
    if field == "capability":
        return value > lo
    return lo <= value <= hi


def _check_quantity(q: Quantity, field: str, loc: Loc, out: list[Finding]) -> None:
    """A number inside its field's interval, with a range that contains it (format, "Rules")."""
    _, _, words = field_interval(field)
    if not _in_field(field, q.value):
        what = "not above 0" if field == "capability" else "outside the 0–100 scale"
        out.append(Finding((*loc, "value"), f"{field} {q.value:g} is {what}", words))
    if q.range is not None:
        lo, hi = q.range
        if lo > hi:
            out.append(Finding((*loc, "range"), f"range [{lo:g}, {hi:g}] has lo > hi",
                               "[lo, hi] with lo ≤ hi"))
        elif not lo <= q.value <= hi:
            out.append(Finding((*loc, "range"),
                               f"range [{lo:g}, {hi:g}] does not contain the value {q.value:g}",
                               "[lo, hi] with lo ≤ value ≤ hi"))
        if not (_in_field(field, lo) and _in_field(field, hi)):
            out.append(Finding((*loc, "range"),
                               f"range [{lo:g}, {hi:g}] leaves the {field} interval", words))


def _looks_like_id(text: str) -> bool:
    return ID_PATTERN.fullmatch(text) is not None


def _check_source(q: Quantity, loc: Loc, source_ids: set[str], out: list[Finding]) -> None:
    s = q.source
    if s is not None and _looks_like_id(s) and s != ANALYST_SOURCE and s not in source_ids:
        out.append(Finding((*loc, "source"), f"source {s!r} is not among the scenario's sources",
                           "a source id from `sources`, 'analyst', or a free citation with spaces"))


def _check_ids(items: list[Any], kind: str, out: list[Finding]) -> None:
    seen: dict[str, int] = {}
    for k, item in enumerate(items):
        if not _looks_like_id(item.id):
            out.append(Finding((kind, k, "id"), f"id {item.id!r} is not a valid id", ID_ALLOWED))
        if item.id in seen:
            out.append(Finding((kind, k, "id"),
                               f"id {item.id!r} repeats {kind}[{seen[item.id]}]",
                               f"ids unique among {kind}"))
        else:
            seen[item.id] = k


def _check_dynamics_value(name: str, value: float, loc_name: Loc, loc_value: Loc,
                          out: list[Finding]) -> None:
    spec = DYNAMICS_LEVERS.get(name)
    if spec is None:
        out.append(Finding(loc_name, f"{name!r} is not a dynamics lever",
                           "one of " + ", ".join(DYNAMICS_LEVERS)))
    elif not spec.contains(value):
        out.append(Finding(loc_value, f"{name} = {value:g} is outside its interval",
                           spec.interval_text))


def _check_change(change: Lever, loc: Loc, scn: Scenario, policy: Policy,
                  out: list[Finding]) -> None:
    """One lever or assumption of ``policy`` (format, "Rules": policies)."""
    is_assumption = isinstance(change, Assumption)
    actors = {a.id: a for a in scn.actors}
    issues = {i.id: i for i in scn.issues}
    if change.actor not in actors:
        out.append(Finding((*loc, "actor"), f"actor {change.actor!r} does not exist",
                           "one of " + ", ".join(actors)))
    elif is_assumption and change.actor in policy.chosen_by:
        out.append(Finding((*loc, "actor"),
                           f"assumption on {change.actor}, who chooses the policy",
                           "an actor outside chosen_by (use a lever for a chooser)"))
    elif not is_assumption and change.actor not in policy.chosen_by:
        out.append(Finding((*loc, "actor"),
                           f"lever on {change.actor}, who does not choose the policy",
                           "an actor in chosen_by "
                           f"({', '.join(policy.chosen_by)}); use an assumption for others"))
    if change.field != "capability":
        if change.issue is None:
            out.append(Finding((*loc, "issue"), f"a {change.field} change needs an issue",
                               "one of " + ", ".join(issues)))
        elif change.issue not in issues:
            out.append(Finding((*loc, "issue"), f"issue {change.issue!r} does not exist",
                               "one of " + ", ".join(issues)))
        elif change.actor in issues[change.issue].absent:
            out.append(Finding((*loc, "issue"),
                               f"{change.actor} is absent from {change.issue}: nothing to change",
                               "an issue the actor takes part in"))
    elif change.issue is not None and change.issue not in issues:
        out.append(Finding((*loc, "issue"), f"issue {change.issue!r} does not exist",
                           "one of " + ", ".join(issues) + " (or none: capability has no issue)"))
    words = field_interval(change.field)[2]
    values = [change.value]
    if is_assumption and change.range is not None:  # type: ignore[union-attr]
        rlo, rhi = change.range  # type: ignore[union-attr]
        if not rlo <= change.value <= rhi:
            out.append(Finding((*loc, "range"),
                               f"range [{rlo:g}, {rhi:g}] does not contain the value "
                               f"{change.value:g}", "[lo, hi] with lo ≤ value ≤ hi"))
        values += [rlo, rhi]
    for v in values:
        where = (*loc, "value") if v is change.value else (*loc, "range")
        if change.op == "set" and not _in_field(change.field, v):
            out.append(Finding(where, f"set {change.field} to {v:g} leaves its interval", words))
            break
        if change.op == "scale" and (v < 0 or (change.field == "capability" and v <= 0)):
            out.append(Finding(where, f"scale factor {v:g} is negative or zero",
                               "a factor above 0" if change.field == "capability"
                               else "a factor of 0 or more"))
            break
    if not change.rationale:
        kind = "assumption" if is_assumption else "lever"
        out.append(Finding((*loc, "rationale"), f"{kind} has no rationale",
                           "a rationale saying why", severity="warning"))


#: How many actors each decision rule names: (minimum, maximum).
_RULE_ACTORS: dict[str, tuple[int, int]] = {
    "collective": (0, 0), "unilateral": (1, 1), "veto": (1, 10_000), "joint": (2, 2),
    "bilateral": (2, 2),
}


def _check_decision(issue: Issue, loc: Loc, scn: Scenario, source_ids: set[str],
                    out: list[Finding]) -> None:
    """An issue's decision rule: the right number of actors, each one taking part in the issue,
    a status quo where the rule needs one, and a source (docs/decision-rules.md)."""
    d = issue.decision
    assert d is not None
    lo, hi = _RULE_ACTORS[d.rule]
    n = len(d.actors)
    if not lo <= n <= hi:
        want = ("no actors" if hi == 0 else f"exactly {lo} actor{'s' if lo > 1 else ''}"
                if lo == hi else f"at least {lo} actor")
        out.append(Finding((*loc, "actors"), f"rule {d.rule!r} names {n} actor(s)",
                           f"{want} for {d.rule}"))
    actor_ids = set(scn.actor_ids)
    seen: set[str] = set()
    for j, a in enumerate(d.actors):
        if a not in actor_ids:
            out.append(Finding((*loc, "actors", j), f"actor {a!r} does not exist",
                               "one of " + ", ".join(scn.actor_ids)))
        elif a in issue.absent:
            out.append(Finding((*loc, "actors", j),
                               f"{a} is absent from {issue.id} but named by its decision rule",
                               "an actor that takes part in the issue"))
        if a in seen:
            out.append(Finding((*loc, "actors", j), f"actor {a!r} is named twice",
                               "each actor once"))
        seen.add(a)
    if d.rule in ("veto", "joint", "bilateral") and issue.status_quo is None:
        out.append(Finding((*loc, "rule"), f"rule {d.rule!r} needs the issue's status_quo",
                           "a status_quo on the issue (the point veto holders can keep)"))
    if d.rule != "collective":
        if d.source is None:
            out.append(Finding((*loc, "source"), f"decision rule {d.rule!r} has no source",
                               "a source id, 'analyst', or a citation", severity="warning"))
        elif (_looks_like_id(d.source) and d.source != ANALYST_SOURCE
              and d.source not in source_ids):
            out.append(Finding((*loc, "source"),
                               f"source {d.source!r} is not among the scenario's sources",
                               "a source id from `sources`, 'analyst', or a free citation "
                               "with spaces"))


def policy_findings(policy: Policy, scn: Scenario, loc: Loc) -> list[Finding]:
    """Rules for one policy against a scenario (also used by ``apply`` for outside policies)."""
    out: list[Finding] = []
    actor_ids = set(scn.actor_ids)
    for k, a in enumerate(policy.chosen_by):
        if a not in actor_ids:
            out.append(Finding((*loc, "chosen_by", k), f"actor {a!r} does not exist",
                               "one of " + ", ".join(scn.actor_ids)))
    for k, lever in enumerate(policy.levers):
        _check_change(lever, (*loc, "levers", k), scn, policy, out)
    for k, assumption in enumerate(policy.assumptions):
        _check_change(assumption, (*loc, "assumptions", k), scn, policy, out)
    for k, d in enumerate(policy.dynamics):
        _check_dynamics_value(d.name, d.value, (*loc, "dynamics", k, "name"),
                              (*loc, "dynamics", k, "value"), out)
        if not d.rationale:
            out.append(Finding((*loc, "dynamics", k, "rationale"), "dynamics lever has no rationale",
                               "a rationale saying why", severity="warning"))
    return out


#: Capability share above which one actor decides every collective issue alone.
DOMINANT_CAPABILITY_SHARE = 0.95


def _degenerate_findings(scn: Scenario, out: list[Finding]) -> None:
    """Warnings for inputs on which the engines' answer means nothing (point values).

    Every salience 0: nobody cares, yet BDM still reports a median forecast while no actor moves.
    Every actor at one position: there is nothing to bargain over. One actor above
    :data:`DOMINANT_CAPABILITY_SHARE` of all capability: the forecast is that actor's position,
    whatever the others hold.
    """
    for k, issue in enumerate(scn.issues):
        stances = [a.stances[issue.id] for a in scn.actors if issue.id in a.stances]
        if len(stances) < 2:
            continue
        if all(st.salience.value == 0 for st in stances):
            out.append(Finding(("issues", k), f"every salience on {issue.id!r} is 0: no actor "
                               "cares, so any forecast of it is meaningless",
                               "a salience > 0 for the actors who care", severity="warning"))
        positions = {st.position.value for st in stances}
        if len(positions) == 1:
            out.append(Finding(("issues", k), f"every actor holds position "
                               f"{positions.pop():g} on {issue.id!r}: nothing to bargain over",
                               "the positions the actors really hold", severity="warning"))
    total = sum(a.capability.value for a in scn.actors)
    if len(scn.actors) >= 2 and total > 0:
        for k, actor in enumerate(scn.actors):
            share = actor.capability.value / total
            if share > DOMINANT_CAPABILITY_SHARE:
                out.append(Finding(("actors", k, "capability"),
                                   f"{actor.id} holds {share:.0%} of all capability: collective "
                                   "forecasts are its own position, whatever the others hold",
                                   "capabilities on one scale for every actor",
                                   severity="warning"))


def _size_findings(scn: Scenario, out: list[Finding]) -> None:
    """A scenario the engines can bargain over: an actor and an issue (two actors, or a warning),
    and no more
    than the bounds of :mod:`detente.limits` (the engines' work grows with the actor count)."""
    if not scn.issues:
        out.append(Finding(("issues",), "the scenario has no issues: there is nothing to "
                           "bargain over", "at least one issue"))
    if not scn.actors:
        out.append(Finding(("actors",), "the scenario has no actors: nobody bargains",
                           "at least two actors"))
    elif len(scn.actors) == 1:  # a forecast is that actor's own position: meaningless, not wrong
        out.append(Finding(("actors",), f"one actor ({scn.actors[0].id}): the forecast is its "
                           "own position", "at least two actors", severity="warning"))
    for kind, bound in (("actors", limits.max_actors()), ("issues", limits.max_issues())):
        count = len(getattr(scn, kind))
        if count > bound:
            env = f"DETENTE_MAX_{kind.upper()}"
            out.append(Finding((kind,), f"{count:,} {kind}, more than détente accepts",
                               f"at most {bound:,} {kind} (or raise {env})"))


def scenario_findings(scn: Scenario) -> list[Finding]:
    """Every rule of docs/scenario-format.md ("Rules checked on load") plus warnings.

    Returns
    -------
    list of Finding
        Errors (rules broken) and warnings (numbers without a source, levers without a
        rationale, no ``as_of`` date), in document order.
    """
    out: list[Finding] = []
    _size_findings(scn, out)
    if not _looks_like_id(scn.id):
        out.append(Finding(("id",), f"id {scn.id!r} is not a valid id", ID_ALLOWED))
    if scn.as_of is None:
        out.append(Finding(("as_of",), "no as_of date: the information date is unstated",
                           "a date YYYY-MM-DD", severity="warning"))
    for kind in ("sources", "issues", "actors", "policies"):
        _check_ids(getattr(scn, kind), kind, out)
    known_sources = {src.id for src in scn.sources}
    for k, src in enumerate(scn.sources):
        if src.primary is not None and src.primary not in known_sources:
            out.append(Finding(("sources", k, "primary"),
                               f"primary {src.primary!r} is not among the scenario's sources",
                               "the id of the primary document's own source entry"))
        domain = mirror_domain(src.address)
        if domain is not None and src.primary is None:
            out.append(Finding(("sources", k, "address"),
                               f"source {src.id!r} is on {domain}, a mirror or aggregator",
                               "the primary document (UN document, official statement, CNS, "
                               "the original outlet)", severity="warning"))
    source_ids = {s.id for s in scn.sources}
    actor_ids = set(scn.actor_ids)
    issue_ids = scn.issue_ids
    quantities: list[tuple[Quantity, Loc]] = []

    for k, issue in enumerate(scn.issues):
        for j, a in enumerate(issue.absent):
            if a not in actor_ids:
                out.append(Finding(("issues", k, "absent", j), f"actor {a!r} does not exist",
                                   "one of " + ", ".join(scn.actor_ids)))
        if issue.status_quo is not None:
            loc = ("issues", k, "status_quo")
            _check_quantity(issue.status_quo, "position", loc, out)
            quantities.append((issue.status_quo, loc))
        if issue.decision is not None:
            _check_decision(issue, ("issues", k, "decision"), scn, source_ids, out)

    for k, actor in enumerate(scn.actors):
        loc = ("actors", k, "capability")
        _check_quantity(actor.capability, "capability", loc, out)
        quantities.append((actor.capability, loc))
        for issue_id, stance in actor.stances.items():
            sloc: Loc = ("actors", k, "stances", issue_id)
            if issue_id not in issue_ids:
                out.append(Finding(sloc, f"stance on {issue_id!r}, which is not an issue",
                                   "one of " + ", ".join(issue_ids)))
            elif actor.id in scn.issue(issue_id).absent:
                out.append(Finding(sloc, f"{actor.id} is listed as absent from {issue_id} but "
                                   "has a stance", "remove the stance or the absent entry"))
            for field in ("position", "salience"):
                q = getattr(stance, field)
                _check_quantity(q, field, (*sloc, field), out)
                quantities.append((q, (*sloc, field)))
            if stance.influence is not None:
                _check_quantity(stance.influence, "capability", (*sloc, "influence"), out)
                quantities.append((stance.influence, (*sloc, "influence")))
        for issue in scn.issues:
            if issue.id not in actor.stances and actor.id not in issue.absent:
                out.append(Finding(("actors", k, "stances"),
                                   f"{actor.id} has no stance on issue {issue.id!r}",
                                   f"a stances.{issue.id} entry, or {actor.id} listed in "
                                   f"issues[{issue_ids.index(issue.id)}].absent"))

    _degenerate_findings(scn, out)

    for k, policy in enumerate(scn.policies):
        out.extend(policy_findings(policy, scn, ("policies", k)))

    if scn.binding is not None:
        b = scn.binding
        if b.model not in DYNAMIC_MODELS:
            out.append(Finding(("binding", "model"), f"{b.model!r} is not a fitted dynamic model",
                               "one of " + ", ".join(DYNAMIC_MODELS)))
        for field in ("talks_issue", "sanctions_issue"):
            issue_id = getattr(b, field)
            if issue_id not in issue_ids:
                out.append(Finding(("binding", field), f"issue {issue_id!r} does not exist",
                                   "one of " + ", ".join(issue_ids)))
        if b.talks_issue == b.sanctions_issue:
            out.append(Finding(("binding", "sanctions_issue"),
                               "the talks and sanctions rules read the same issue",
                               "two different issues"))
    if scn.argument is not None and scn.argument not in ARGUMENTS:
        out.append(Finding(("argument",), f"{scn.argument!r} is not a known argument",
                           "one of " + ", ".join(ARGUMENTS) + ", or no argument"))
    elif scn.argument is not None and scn.binding is None:
        out.append(Finding(("argument",), f"argument {scn.argument!r} needs a dynamics binding",
                           "a `binding:` block (its claims are tested on the dynamic model)"))

    for name, q in scn.dynamics.items():
        loc = ("dynamics", name)
        _check_dynamics_value(name, q.value, loc, (*loc, "value"), out)
        spec = DYNAMICS_LEVERS.get(name)
        if spec is not None and q.range is not None:
            lo, hi = q.range
            if not (lo <= q.value <= hi and spec.contains(lo) and spec.contains(hi)):
                out.append(Finding((*loc, "range"),
                                   f"range [{lo:g}, {hi:g}] must contain {q.value:g} and stay "
                                   "inside the lever's interval", spec.interval_text))
        quantities.append((q, loc))

    for q, loc in quantities:
        _check_source(q, loc, source_ids, out)
        if q.source is None:
            out.append(Finding(loc, f"unsourced number {q.value:g}",
                               "a source: a source id, 'analyst', or a citation",
                               severity="warning"))
    return out
