"""Runs, sensitivity sweeps and scale-out.

- :mod:`detente.runs.store` — :class:`RunStore`, the DuckDB file every run is kept in
  (``with store.run(kind=..., command=..., scenario=..., seed=..., params=...) as run:
  run.add_table(name, frame)``), with list/show/export/import/diff and an integrity check.
- :mod:`detente.runs.sweep` — inputs, SALib designs (Sobol', Morris, grid), the sweep-model
  registry (:data:`SWEEP_MODELS`) and the analysis (Sobol' S1/ST, Morris μ*/σ).
- :mod:`detente.runs.models` — the registered ``bargaining`` sweep model.
- :mod:`detente.runs.executors` — :class:`LocalRunner`, :class:`PoolRunner`, :class:`DaskRunner`.
- :mod:`detente.runs.orchestrate` — :func:`run_sweep` / :func:`resume_sweep`: chunks, seeds,
  commits, resume.

Engines never import this package; it calls them.
"""

from __future__ import annotations

from detente.runs import compare_model as _compare_model  # noqa: F401  (registers "compare")
from detente.runs import models as _models  # noqa: F401  (registers the "bargaining" model)
from detente.runs.executors import DaskRunner, LocalRunner, PoolRunner, Runner, make_runner
from detente.runs.orchestrate import (
    SweepSpec,
    plan_sweep,
    resume_sweep,
    run_sweep,
    sweep_design,
)
from detente.runs.store import (
    IntegrityReport,
    Run,
    RunDiff,
    RunRecord,
    RunStore,
    read_document,
    record,
    save_run,
)
from detente.runs.sweep import (
    SWEEP_MODELS,
    Design,
    SweepInput,
    SweepModel,
    SweepResult,
    analyse,
    make_design,
    register_sweep_model,
)

__all__ = [
    "SWEEP_MODELS",
    "DaskRunner",
    "Design",
    "IntegrityReport",
    "LocalRunner",
    "PoolRunner",
    "Run",
    "RunDiff",
    "RunRecord",
    "RunStore",
    "Runner",
    "SweepInput",
    "SweepModel",
    "SweepResult",
    "SweepSpec",
    "analyse",
    "make_design",
    "make_runner",
    "plan_sweep",
    "read_document",
    "record",
    "register_sweep_model",
    "resume_sweep",
    "run_sweep",
    "save_run",
    "sweep_design",
]
