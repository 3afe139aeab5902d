"""Errors détente raises for bad input.

Library code raises these; only the faces (``detente.cli``, ``detente.web``) turn them into
messages and exit codes. A :class:`Problem` is one thing wrong with one input, located as
precisely as the input allows: the file, the line, and the field path
(``actors[3].stances.sanctions.salience``), what is wrong, and what is allowed instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in one input.

    Parameters
    ----------
    message : str
        What is wrong, in words ("salience 140 is above the scale").
    file : str or None
        The file the problem is in, as the user named it.
    line : int or None
        1-based line number in ``file``, where the format has lines.
    path : str or None
        Field path inside the document, e.g. ``actors[3].stances.sanctions.salience``.
    allowed : str or None
        What would be accepted instead ("a number from 0 to 100").
    severity : {"error", "warning"}
        Errors stop a run; warnings (e.g. an unsourced number) do not.
    column : int or None
        1-based column on ``line`` where the problem starts (YAML files: the key or value the
        field path names; CSV files: the field's position in its row).
    """

    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None
    allowed: str | None = None
    severity: str = "error"
    column: int | None = None

    def format(self) -> str:
        """``file:line:column: field: message (allowed: ...)`` — one line, for terminals and logs.

        Each part is put on one line and elided in the middle past its bound, so a hostile value
        (a 1 000 000-character id) cannot flood a terminal or a CI log.
        """
        where = ""
        if self.file:
            where = elide(self.file, 300)
            if self.line:
                where += f":{self.line}" + (f":{self.column}" if self.column else "")
        head = ": ".join(p for p in (where, self.path and elide(self.path, 80)) if p)
        message = elide(self.message, 160)
        text = f"{head}: {message}" if head else message
        if self.allowed:
            text += f" (allowed: {elide(self.allowed, 120)})"
        return text


def elide(text: str, limit: int) -> str:
    """``text`` on one line, with its middle replaced by `` … `` when longer than ``limit``."""
    flat = " ".join(str(text).split())
    if len(flat) <= limit:
        return flat
    keep = limit - 3
    return flat[: keep - keep // 3] + " … " + flat[len(flat) - keep // 3:]


class DetenteError(Exception):
    """Base class of every error détente raises on purpose (bad input, bad options).

    Faces catch this class only; anything else is a bug and may show a traceback.
    """

    exit_code: int = 2

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = list(problems or [])

    def format(self) -> str:
        if not self.problems:
            return str(self)
        return "\n".join([str(self), *("  " + p.format() for p in self.problems)])


class ScenarioError(DetenteError):
    """A scenario file (YAML or CSV) or a policy application is invalid."""


class EnvironmentFault(DetenteError):
    """A folder or file détente needs cannot be used: read-only, not a folder, the disk full."""


class OptionsError(DetenteError):
    """An engine or command was given options that are out of range or inconsistent."""
