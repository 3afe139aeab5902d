"""The one options validator: settings declared with their constraints in field metadata.

An options dataclass (``BDMOptions``, ``SMPOptions``, ``BridgeSettings``, …) declares each field
with :func:`setting` — its default, what is allowed (a set of choices, an interval, an integer,
a month, or none) and, where useful, the rule it belongs to and the reason for its default — and
calls :func:`check_settings` in ``__post_init__``. Every bad value becomes one located
:class:`~detente.errors.Problem` (``<prefix>.<field>``, what is wrong, what is allowed), all raised
together (scikit-learn's ``_parameter_constraints``, one checker for every options object).
:func:`settings_from_mapping` builds one from a plain mapping (CLI ``KEY=VALUE``, JSON), refusing
unknown keys with the known ones.

The same constraints check the plain arguments of the public verbs (``draws``, ``seed``,
``horizon_months``, ``progress`` …): :func:`constraint` builds one without a dataclass field and
:func:`check_arguments` checks a verb's arguments against theirs, each bad one a Problem located
at the argument's name.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
from collections.abc import Mapping
from typing import Any

from detente.errors import OptionsError, Problem, elide

#: Characters of a bad value quoted in an error message (a hostile value cannot flood it).
SHOWN_CHARS = 40


def constraint(*, choices: tuple[Any, ...] | None = None,
               interval: tuple[float, float] | None = None, integer: bool = False,
               flag: bool = False, month: tuple[str, str] | None = None, optional: bool = False,
               open_low: bool = False, open_high: bool = False,
               instance: type | tuple[type, ...] | None = None, words: str | None = None,
               rule: str | None = None, reason: str | None = None) -> dict[str, Any]:
    """The metadata of one constraint (the keywords of :func:`setting`), for a setting's field
    or for a verb's argument (:func:`check_arguments`).

    ``instance`` (a type or a tuple of types) requires ``isinstance(value, instance)``; give
    ``words`` with it, since a type's name is not what a user reads.
    """
    meta = {"choices": choices, "interval": interval, "integer": integer, "flag": flag,
            "month": month, "optional": optional, "open": (open_low, open_high),
            "instance": instance, "words": words, "rule": rule, "reason": reason}
    if interval is not None:
        meta["range"] = interval
    elif month is not None:
        meta["range"] = month
    return meta


def setting(default: Any, *, choices: tuple[Any, ...] | None = None,
            interval: tuple[float, float] | None = None, integer: bool = False,
            flag: bool = False, month: tuple[str, str] | None = None, optional: bool = False,
            open_low: bool = False, open_high: bool = False, words: str | None = None,
            rule: str | None = None, reason: str | None = None) -> Any:
    """A dataclass field whose constraint lives in its metadata (:func:`check_settings`).

    Parameters
    ----------
    default : any
    choices : tuple, optional
        The allowed values (strings).
    interval : (low, high), optional
        Bounds of a number (closed unless ``open_low``/``open_high``).
    integer : bool
        The number must be an integer.
    flag : bool
        A true/false value ("true"/"false" text from the CLI is accepted).
    month : (first, last), optional
        A month ``YYYY-MM`` within the two.
    optional : bool
        None is also allowed.
    words : str, optional
        How the allowed values read in an error (default: built from the constraint).
    rule, reason : str, optional
        Documentation kept beside the value (shown in report tables).
    """
    meta = constraint(choices=choices, interval=interval, integer=integer, flag=flag,
                      month=month, optional=optional, open_low=open_low, open_high=open_high,
                      words=words, rule=rule, reason=reason)
    return dataclasses.field(default=default, metadata=meta)


def _numpy_types(*names: str) -> tuple[type, ...]:
    """NumPy's scalar types of these names, or none when NumPy is not imported: a value cannot
    be a NumPy scalar then, and checking a setting must not import NumPy (a command's start-up,
    issue 16)."""
    np = sys.modules.get("numpy")
    return tuple(getattr(np, name) for name in names) if np is not None else ()


def _is_real(v: Any) -> bool:
    return (isinstance(v, (int, float, *_numpy_types("integer", "floating")))
            and not isinstance(v, bool) and math.isfinite(float(v)))


def allowed_words(meta: Mapping[str, Any]) -> str:
    """What a setting allows, in words (for error messages and tables)."""
    if meta.get("words"):
        return str(meta["words"])
    if meta.get("choices"):
        text = " | ".join(str(c) for c in meta["choices"])
    elif meta.get("flag"):
        text = "true | false"
    elif meta.get("month"):
        first, last = meta["month"]
        text = f"a month YYYY-MM from {first} to {last}"
    elif meta.get("interval"):
        lo, hi = meta["interval"]
        kind = "an integer" if meta.get("integer") else "a number"
        left, right = meta.get("open", (False, False))
        if math.isinf(hi):
            text = f"{kind} {'>' if left else '≥'} {lo:g}"
        else:
            text = (f"{kind} in {'(' if left else '['}{lo:g}, {hi:g}{')' if right else ']'}")
    elif meta.get("instance") is not None:
        kinds = meta["instance"] if isinstance(meta["instance"], tuple) else (meta["instance"],)
        text = " or ".join(k.__name__ for k in kinds)
    else:
        text = "any value"
    return text + (", or none" if meta.get("optional") else "")


def shown(value: Any) -> str:
    """``repr(value)`` on one line, cut to :data:`SHOWN_CHARS` characters (for messages)."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not hide the real problem
        text = f"<{type(value).__name__}>"
    return elide(text, SHOWN_CHARS)


def _problem(meta: Mapping[str, Any], value: Any) -> str | None:
    """What is wrong with ``value`` under the constraint ``meta`` (None: nothing)."""
    if value is None and meta.get("optional"):
        return None
    if meta.get("instance") is not None:
        if not isinstance(value, meta["instance"]):
            return f"{shown(value)} ({type(value).__name__}) is not allowed"
        return None
    if meta.get("choices"):
        try:
            known = bool(value in meta["choices"])
        except (TypeError, ValueError):  # an array or an uncomparable value is no choice
            known = False
        return None if known else f"{shown(value)} is not a known choice"
    if meta.get("flag"):
        return None if isinstance(value, bool) else f"{shown(value)} is not true or false"
    if meta.get("month"):
        first, last = meta["month"]
        ok = (isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value) is not None
              and first <= value <= last)
        return None if ok else f"{shown(value)} is not a month in range"
    if meta.get("interval"):
        lo, hi = meta["interval"]
        if meta.get("integer") and (isinstance(value, bool)
                                    or not isinstance(value, (int, *_numpy_types("integer")))):
            return f"{shown(value)} is not an integer"
        if not _is_real(value):
            return f"{shown(value)} is not a finite number"
        left, right = meta.get("open", (False, False))
        v = float(value)
        below = v <= lo if left else v < lo
        above = v >= hi if right else v > hi
        return f"{shown(value)} is out of range" if below or above else None
    return None


def coerce_flags(obj: Any) -> None:
    """``"true"``/``"false"`` text (from ``--set``) in a flag field becomes a bool, in place."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.metadata.get("flag") and isinstance(value, str):
            flag = {"true": True, "false": False}.get(value.strip().lower())
            if flag is not None:
                object.__setattr__(obj, f.name, flag)


def check_settings(obj: Any, prefix: str, title: str) -> None:
    """Check every declared field of a frozen options dataclass; raise them all at once.

    Raises
    ------
    OptionsError
        ``title`` with one Problem per bad field, path ``<prefix>.<field>``.
    """
    coerce_flags(obj)
    problems = []
    for f in dataclasses.fields(obj):
        if not f.metadata:
            continue
        wrong = _problem(f.metadata, getattr(obj, f.name))
        if wrong is not None:
            problems.append(Problem(f"{f.name} {wrong}", path=f"{prefix}.{f.name}",
                                    allowed=allowed_words(f.metadata)))
    if problems:
        raise OptionsError(title, problems)


def check_arguments(title: str, arguments: Mapping[str, tuple[Any, Mapping[str, Any]]]) -> None:
    """Check a verb's arguments against their constraints; raise every bad one at once.

    Parameters
    ----------
    title : str
        The error's first line (``"invalid forecast arguments"``).
    arguments : mapping of name to (value, constraint)
        Each argument's value and its :func:`constraint`.

    Raises
    ------
    OptionsError
        ``title`` with one Problem per bad argument, located at its name (``path="draws"``),
        quoting the value (cut to :data:`SHOWN_CHARS` characters) and what is allowed.
    """
    problems = []
    for name, (value, meta) in arguments.items():
        wrong = _problem(meta, value)
        if wrong is not None:
            problems.append(Problem(f"{name} {wrong}", path=name, allowed=allowed_words(meta)))
    if problems:
        raise OptionsError(f"{title}: " + ", ".join(p.path or "" for p in problems), problems)


def settings_from_mapping(cls: type, values: Mapping[str, Any], prefix: str) -> Any:
    """``cls(**values)``, refusing unknown keys (each named, with the known ones).

    Raises
    ------
    OptionsError
        ``unknown <prefix> options: …`` for keys that are not fields of ``cls``; the values are
        then checked by the class itself.
    """
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(elide(k, SHOWN_CHARS) if isinstance(k, str) else shown(k)
                     for k in values if not isinstance(k, str) or k not in known)
    if unknown:
        raise OptionsError(
            f"unknown {prefix} options: " + ", ".join(unknown),
            [Problem(f"unknown option {k!r}", path=f"{prefix}.{k}",
                     allowed=", ".join(sorted(known))) for k in unknown])
    return cls(**values)


def choices_of(cls: type) -> dict[str, tuple[Any, ...]]:
    """The allowed values of every choice field of an options class: ``{field: choices}``."""
    return {f.name: tuple(f.metadata["choices"]) for f in dataclasses.fields(cls)
            if f.metadata.get("choices")}


def settings_table(cls: type) -> list[dict[str, Any]]:
    """One row per declared field: ``name, default, allowed, rule, reason`` (for reports)."""
    return [{"name": f.name, "default": f.default, "allowed": allowed_words(f.metadata),
             "range": f.metadata.get("range"), "rule": f.metadata.get("rule"),
             "reason": f.metadata.get("reason")}
            for f in dataclasses.fields(cls) if f.metadata]


__all__ = ["SHOWN_CHARS", "allowed_words", "check_arguments", "check_settings", "choices_of",
           "coerce_flags", "constraint", "setting", "settings_from_mapping", "settings_table",
           "shown"]
