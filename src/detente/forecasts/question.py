"""Questions: resolvable, dated forecasting questions, and the YAML files that hold them.

A question names the outcome it reads from the evidence (:data:`OUTCOMES`), its type
(``binary``, ``count`` or ``quantity``), its window (first and last month, inclusive) and the
source that will resolve it. A window bound is a month ``YYYY-MM`` or an offset ``+N``: N
months after the as-of month of the freeze (``+1`` is the first month after it). The text and
the resolution may say ``{start}`` and ``{end}``; a freeze fills them in with the window's months.

Types:

- ``binary``: does the outcome's total over the window reach ``at_least`` (default 1)?
- ``count``: the outcome's value in one month (the window is a single month);
- ``quantity``: the outcome's total over a window of one or more months.

Files are read like scenarios (ruamel round-trip, :mod:`detente.scenario.load`): every problem
is located by file, line, column and field, and all of them are reported at once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from detente.errors import OptionsError, Problem, ScenarioError

#: outcome name → (what it counts, the panel column whose missing values mark an unobserved
#: month, the source that resolves it).
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "launch_days": ("distinct launch days in the month (the panel's launch_events)",
                    "launch_events", "CNS North Korea Missile Test Database "
                    "(detente.evidence.launch_events), plus the user evidence layer"),
    "missiles": ("missiles and space launchers flown in the month", "missiles",
                 "CNS North Korea Missile Test Database (detente.evidence.missile_launches)"),
    "nuclear_test": ("a nuclear test in the month (0/1)", "nuclear_test",
                     "CTBTO / USGS record (detente.evidence.nuclear_tests)"),
    "new_system_debut": ("first flights of a missile type not flown before",
                         "missiles", "CNS database missile types "
                         "(detente.evidence.outcomes.new_system_debuts)"),
    "us_dprk_leader_meeting": ("a summit of the US and DPRK leaders touching the month (0/1)",
                               "summit", "diplomacy record (detente.evidence.diplomacy_events)"),
    "unsc_sanctions_resolution": ("a UN Security Council sanctions resolution on the DPRK "
                                  "adopted in the month (0/1)", "unsc_resolution",
                                  "UN Security Council record (detente.evidence.sanctions)"),
    "dialogue_onset": ("a month coded dialogue after a month that was not (0/1)", "regime",
                       "the regime rule of detente.evidence.regime over the diplomacy record"),
}
TYPES = ("binary", "count", "quantity")
ID_RE = r"^[a-z0-9][a-z0-9._-]{0,79}$"
_BOUND = re.compile(r"^(\d{4}-(0[1-9]|1[0-2])|\+[1-9]\d{0,2})$")
#: Latest window end, in months after the as-of month (ten years).
MAX_MONTHS_AHEAD = 120

OutcomeName = Literal["launch_days", "missiles", "nuclear_test", "new_system_debut",
                      "us_dprk_leader_meeting", "unsc_sanctions_resolution", "dialogue_onset"]


class Window(BaseModel):
    """First and last month of a question, inclusive: ``YYYY-MM`` or ``+N`` (months after as-of)."""

    model_config = ConfigDict(extra="forbid")
    start: str
    end: str

    @field_validator("start", "end", mode="before")
    @classmethod
    def _bound(cls, value: Any) -> str:
        text = str(value).strip() if isinstance(value, str | int) else value
        if isinstance(value, int) and not isinstance(value, bool):
            text = f"+{value}"
        if not isinstance(text, str) or not _BOUND.match(text):
            raise ValueError(f"{value!r} is not a month | allowed: YYYY-MM, or +N months "
                             "after the as-of month (+1 to +120)")
        return text


class Question(BaseModel):
    """One resolvable, dated question (module docstring)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_RE)
    text: str = Field(min_length=1, max_length=2000)
    resolution: str = Field(min_length=1, max_length=4000)
    outcome: OutcomeName
    type: Literal["binary", "count", "quantity"]
    window: Window
    source: str = Field(min_length=1, max_length=1000)
    at_least: int | None = Field(default=None, ge=1, le=100000)

    @model_validator(mode="after")
    def _rules(self) -> Question:
        if self.at_least is not None and self.type != "binary":
            raise ValueError("at_least is for binary questions | allowed: drop at_least, or "
                             "type: binary")
        if self.type == "count" and self.window.start != self.window.end:
            raise ValueError("a count question reads one month | allowed: window start equal "
                             "to end, or type: quantity for a total over several months")
        return self


class QuestionSet(BaseModel):
    """A named set of questions (a ``questions`` YAML file)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_RE)
    title: str = Field(min_length=1, max_length=400)
    description: str | None = Field(default=None, max_length=20000)
    questions: list[Question] = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _unique(self) -> QuestionSet:
        seen: set[str] = set()
        for q in self.questions:
            if q.id in seen:
                raise ValueError(f"question id {q.id!r} appears twice | allowed: each id once")
            seen.add(q.id)
        return self


@dataclass(frozen=True)
class DatedQuestion:
    """A question with its window fixed in calendar months (what a frozen record holds)."""

    id: str
    text: str
    resolution: str
    outcome: str
    type: str
    window_start: str
    window_end: str
    source: str
    at_least: int | None = None

    @property
    def months(self) -> pd.PeriodIndex:
        return pd.period_range(self.window_start, self.window_end, freq="M")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "resolution": self.resolution,
                "outcome": self.outcome, "type": self.type, "window_start": self.window_start,
                "window_end": self.window_end, "source": self.source, "at_least": self.at_least}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DatedQuestion:
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__})


def date_questions(qset: QuestionSet, as_of: str | pd.Period) -> list[DatedQuestion]:
    """Fix every window in calendar months relative to ``as_of``.

    Raises
    ------
    OptionsError
        A window that starts on or before the as-of month (its outcome would be known at the
        freeze), ends before it starts, or ends more than :data:`MAX_MONTHS_AHEAD` months ahead.
    """
    origin = pd.Period(as_of, freq="M")
    out, problems = [], []
    for k, q in enumerate(qset.questions):
        bounds = {}
        for name in ("start", "end"):
            text = getattr(q.window, name)
            bounds[name] = origin + int(text[1:]) if text.startswith("+") else pd.Period(
                text, freq="M")
        start, end = bounds["start"], bounds["end"]
        where = f"questions[{k}].window"
        if start <= origin:
            problems.append(Problem(f"question {q.id!r} opens {start}, not after the as-of "
                                    f"month {origin}", path=f"{where}.start",
                                    allowed=f"{origin + 1} or later, or +1"))
        elif end < start:
            problems.append(Problem(f"question {q.id!r} closes {end}, before it opens {start}",
                                    path=f"{where}.end", allowed=f"{start} or later"))
        elif (end - origin).n > MAX_MONTHS_AHEAD:
            problems.append(Problem(f"question {q.id!r} closes {end}, more than "
                                    f"{MAX_MONTHS_AHEAD} months after {origin}",
                                    path=f"{where}.end", allowed=f"{origin + MAX_MONTHS_AHEAD} "
                                    "or earlier"))
        def fill(t: str, start: pd.Period = start, end: pd.Period = end) -> str:
            return t.replace("{start}", str(start)).replace("{end}", str(end))

        out.append(DatedQuestion(id=q.id, text=fill(q.text), resolution=fill(q.resolution),
                                 outcome=q.outcome, type=q.type, window_start=str(start),
                                 window_end=str(end), source=q.source,
                                 at_least=(q.at_least or 1) if q.type == "binary" else None))
    if problems:
        raise OptionsError(f"questions {qset.id!r} cannot be asked as of {origin}", problems)
    return out


# ----------------------------------------------------------------------------------------------
# reading files

DEFAULT_QUESTIONS = "korea-default"


def _default_path():  # -> Traversable
    return resources.files("detente.forecasts").joinpath("questions", f"{DEFAULT_QUESTIONS}.yaml")


def load_questions(path: str | os.PathLike[str] | None = None) -> QuestionSet:
    """Read a questions YAML file (default: the shipped Korea set ``korea-default``).

    Raises
    ------
    ScenarioError
        One located :class:`~detente.errors.Problem` per thing wrong (file, line, column,
        field, what is allowed).
    """
    if path is None:
        return parse_questions(_default_path().read_text(encoding="utf-8"),
                               f"<detente>/forecasts/questions/{DEFAULT_QUESTIONS}.yaml")
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise ScenarioError(f"cannot read questions file {p}", [Problem(
            str(reason), file=str(p), path="--questions",
            allowed="a readable UTF-8 YAML file of questions")]) from None
    return parse_questions(text, str(p))


def parse_questions(text: str, display: str = "<questions>") -> QuestionSet:
    """Validate the text of a questions file; see :func:`load_questions`."""
    from detente.scenario.load import read_yaml_document

    doc = read_yaml_document(text, display)
    if doc.problem is not None:
        raise ScenarioError(f"questions file {display} cannot be read", [doc.problem])
    if not isinstance(doc.data, dict):
        raise ScenarioError(f"questions file {display} is not a mapping", [Problem(
            "the document is not a mapping", file=display, line=doc.line, column=1,
            allowed="a mapping with id, title, questions")])
    data, origin = doc.data, doc.origin
    try:
        return QuestionSet.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e, origin) for e in exc.errors()]
        problems = sorted(dict.fromkeys(problems), key=lambda p: (p.line or 0, p.column or 0))
        raise ScenarioError(f"questions file {display} is invalid", problems) from None


def _fields(model: type[BaseModel]) -> str:
    return "the fields " + ", ".join(n + ("" if f.is_required() else "?")
                                     for n, f in model.model_fields.items()) + " (? = optional)"


def _problem(err: Any, origin: Any) -> Problem:
    """A pydantic error as a located Problem (the scenario loader's wording, this file's
    models for the lists of allowed fields and outcomes)."""
    from detente.scenario.load import _pydantic_problem

    loc = tuple(err["loc"])
    kind = err["type"]
    if kind in ("extra_forbidden", "model_type", "model_attributes_type", "dict_type"):
        parent = loc[:-1] if kind == "extra_forbidden" else loc
        model: type[BaseModel] = QuestionSet
        if len(parent) >= 2 and parent[0] == "questions":
            model = Window if len(parent) >= 3 and parent[2] == "window" else Question
        if kind == "extra_forbidden":
            return origin.problem(loc, f"unknown field {loc[-1]!r}", _fields(model))
        return origin.problem(loc, "not a mapping", f"a mapping with {_fields(model)}")
    if kind == "literal_error" and loc and loc[-1] == "outcome":
        return origin.problem(loc, f"outcome {err.get('input')!r} is not known",
                              "one of " + ", ".join(OUTCOMES))
    if kind == "string_pattern_mismatch":
        return origin.problem(loc, f"{err.get('input')!r} is not an id",
                              "lower-case letters, digits, '.', '_' and '-', at most 80")
    return _pydantic_problem(err, origin)
