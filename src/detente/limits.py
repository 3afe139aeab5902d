"""Work and input bounds: how much détente agrees to read or compute before refusing.

Each bound exists because the input that exceeds it is either hostile (a YAML "billion laughs"
document, a FIFO named like a scenario) or a slip that would exhaust this machine's memory
(``--draws 10000000``). The numbers are far above any real scenario: the largest reference case
(KTAB's 100-actor run) is 30 kB and the Korea default 60 kB. An environment variable raises a
bound for a user who really needs more; it is read when the check runs, never on import.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from typing import Any

from detente.errors import OptionsError, Problem
from detente.options import check_settings, setting, settings_from_mapping

#: Largest scenario file read (bytes); ``DETENTE_MAX_SCENARIO_BYTES`` overrides.
MAX_SCENARIO_BYTES = 8 * 1024 * 1024
#: Most YAML values a document may hold or expand to, aliases counted at every use
#: (``DETENTE_MAX_YAML_VALUES`` overrides). The Korea default holds about 2 800; a 1 000-actor,
#: 10-issue scenario with sourced numbers about 70 000. The bound also bounds the YAML reader's
#: time: a 2.4 MB list of 400 000 numbers took 15 s and 500 MB before it was counted first.
MAX_YAML_VALUES = 100_000
#: Deepest YAML nesting accepted (a scenario needs about 6 levels).
MAX_YAML_DEPTH = 40
#: Longest text value (a title, summary, note or rationale) in characters; the Korea default's
#: longest is under 1 600.
MAX_TEXT_CHARS = 20_000
#: Most actors in one scenario; ``DETENTE_MAX_ACTORS`` overrides. SMP's work per turn grows with
#: the square of the actor count (KTAB's largest reference case has 100 actors).
MAX_ACTORS = 1_000
#: Most issues in one scenario; ``DETENTE_MAX_ISSUES`` overrides.
MAX_ISSUES = 200
#: Largest Monte Carlo batch, in draw × actor × issue cells; ``DETENTE_MAX_DRAW_CELLS`` overrides.
MAX_DRAW_CELLS = 200_000_000
#: Bytes per draw cell held at once by a batched engine run (inputs, pair tables, paths), a
#: deliberately generous estimate so the refusal comes before the machine swaps.
BYTES_PER_DRAW_CELL = 64
#: Largest size of the stage cache (``$DETENTE_CACHE/stages``, :mod:`detente._memo`) in MiB;
#: ``DETENTE_MAX_STAGE_CACHE_MB`` overrides. One `detente compare` adds about 1.5 MiB (back-test,
#: audit, back-casts, grid, report); past the bound the least recently used entries go.
MAX_STAGE_CACHE_MB = 1024
#: Largest size of the fitted posteriors (``$DETENTE_CACHE/dynamics-*.npz``,
#: :func:`detente.dynamics.fit`) in MiB; ``DETENTE_MAX_POSTERIOR_CACHE_MB`` overrides. One
#: `detente compare` adds about 12 MiB (some 60 fits of about 0.2 MiB: the main fit and the
#: back-tests' rolling fits); past the bound the least recently used posteriors go.
MAX_POSTERIOR_CACHE_MB = 1024


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise OptionsError(f"{name}={text!r} is not a whole number",
                           [Problem(f"{text!r} is not a whole number", path=name,
                                    allowed="a positive whole number, e.g. 100000000")]) from None
    if value < 1:
        raise OptionsError(f"{name}={value} must be positive",
                           [Problem(f"{value} must be positive", path=name,
                                    allowed="a positive whole number")])
    return value


def max_stage_cache_bytes() -> int:
    """The stage cache's size bound in bytes (:data:`MAX_STAGE_CACHE_MB` or
    ``DETENTE_MAX_STAGE_CACHE_MB``)."""
    return _env_int("DETENTE_MAX_STAGE_CACHE_MB", MAX_STAGE_CACHE_MB) * 1024 * 1024


def max_posterior_cache_bytes() -> int:
    """The posterior cache's size bound in bytes (:data:`MAX_POSTERIOR_CACHE_MB` or
    ``DETENTE_MAX_POSTERIOR_CACHE_MB``)."""
    return _env_int("DETENTE_MAX_POSTERIOR_CACHE_MB", MAX_POSTERIOR_CACHE_MB) * 1024 * 1024


def max_scenario_bytes() -> int:
    """The scenario file size bound in force (:data:`MAX_SCENARIO_BYTES` or its override)."""
    return _env_int("DETENTE_MAX_SCENARIO_BYTES", MAX_SCENARIO_BYTES)


def max_yaml_values() -> int:
    """The YAML value bound in force (:data:`MAX_YAML_VALUES` or its override)."""
    return _env_int("DETENTE_MAX_YAML_VALUES", MAX_YAML_VALUES)


def max_actors() -> int:
    """The actor-count bound in force (:data:`MAX_ACTORS` or ``DETENTE_MAX_ACTORS``)."""
    return _env_int("DETENTE_MAX_ACTORS", MAX_ACTORS)


def max_issues() -> int:
    """The issue-count bound in force (:data:`MAX_ISSUES` or ``DETENTE_MAX_ISSUES``)."""
    return _env_int("DETENTE_MAX_ISSUES", MAX_ISSUES)


def draw_problem(draws: int, per_draw: dict[str, int]) -> Problem | None:
    """A problem when ``draws`` samples would exceed the work bound, else None.

    ``per_draw`` names the axes each draw carries (``{"actors": 6, "issues": 4}`` for a bargaining
    batch, ``{"months": 60}`` for a simulation). The estimate is ``draws × Π per_draw`` cells ×
    :data:`BYTES_PER_DRAW_CELL`; the message states it and how many draws would fit.
    """
    size = 1
    for extent in per_draw.values():
        size *= max(int(extent), 1)
    cells = int(draws) * size
    limit = _env_int("DETENTE_MAX_DRAW_CELLS", MAX_DRAW_CELLS)
    if cells <= limit:
        return None
    fits = max(limit // size, 1)
    gib = cells * BYTES_PER_DRAW_CELL / 2**30
    axes = " × ".join(f"{extent} {name}" for name, extent in per_draw.items())
    return Problem(
        f"draws {int(draws):,} on {axes} would need about {gib:,.1f} GiB", path="draws",
        allowed=f"at most {fits:,} draws here (or raise DETENTE_MAX_DRAW_CELLS)")


# --- server limits (``detente serve``) --------------------------------------------------------
# A server answers strangers' requests (on another address than 127.0.0.1, anyone holding the
# token): each bound caps what one request may make this machine do, and a request over it gets
# a 4xx naming the bound. The defaults fit a laptop running the dashboard.

#: Largest request body (bytes): a posted scenario is YAML or JSON text, and the embedded Korea
#: scenario is about 60 kB; JSON of the same scenario about twice that.
SERVE_MAX_BODY_BYTES = 2 * 1024 * 1024
#: Most Monte Carlo draws one request may ask for (a forecast is answered in the request: 2 000
#: SMP draws of the Korea scenario take a few seconds).
SERVE_MAX_DRAWS = 2_000
#: Most draw × round work of one forecast request: draws (at least 1, the point run) times the
#: rounds or turns run. 200 000 is 2 000 SMP draws of 100 turns, about 10 s on one core of the
#: benchmark machine; ``rounds`` up to the engines' 10 000 would otherwise make one request
#: run for minutes.
SERVE_MAX_DRAW_ROUNDS = 200_000
#: Most draws of a job (compare, back-cast): jobs run in worker processes, off the event loop.
SERVE_MAX_JOB_DRAWS = 2_000
#: Longest compare horizon in months (the CLI allows 1–10 years).
SERVE_MAX_HORIZON_MONTHS = 120
#: Jobs queued or running at once: each is a worker process, and this machine's cores are few.
SERVE_MAX_JOBS = 2
#: Uploaded scenarios kept in memory (the oldest is dropped first).
SERVE_MAX_UPLOADS = 64
#: Most evaluations of a sweep job (samples × design rows).
SERVE_MAX_SWEEP_SAMPLES = 1024


@dataclasses.dataclass(frozen=True)
class ServerLimits:
    """What one request to ``detente serve`` may ask for (docs/serve.md, "Limits").

    Checked by the one options validator on construction; :func:`server_limits` builds one from
    a mapping (``--limit KEY=VALUE``), refusing unknown keys.
    """

    max_body_bytes: int = setting(SERVE_MAX_BODY_BYTES, interval=(1, math.inf), integer=True)
    max_draws: int = setting(SERVE_MAX_DRAWS, interval=(0, math.inf), integer=True)
    max_draw_rounds: int = setting(SERVE_MAX_DRAW_ROUNDS, interval=(1, math.inf),
                                   integer=True)
    max_job_draws: int = setting(SERVE_MAX_JOB_DRAWS, interval=(2, math.inf), integer=True)
    max_horizon_months: int = setting(SERVE_MAX_HORIZON_MONTHS, interval=(1, math.inf),
                                      integer=True)
    max_jobs: int = setting(SERVE_MAX_JOBS, interval=(1, math.inf), integer=True)
    max_uploads: int = setting(SERVE_MAX_UPLOADS, interval=(1, math.inf), integer=True)
    max_sweep_samples: int = setting(SERVE_MAX_SWEEP_SAMPLES, interval=(1, math.inf),
                                     integer=True)

    def __post_init__(self) -> None:
        check_settings(self, "limits", "invalid server limits")

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame([{"limit": k, "value": v} for k, v in self.to_dict().items()])


def server_limits(values: Mapping[str, Any] | None = None) -> ServerLimits:
    """The server limits: the defaults above, overridden by ``values``.

    Raises
    ------
    OptionsError
        An unknown key (naming the known ones) or a bad value (``limits.<key>``).
    """
    return settings_from_mapping(ServerLimits, dict(values or {}), "limits")
