"""Run a sweep: design → chunks → runner → run store → analysis, resumable.

The evaluations are cut into fixed chunks of ``chunk_size`` rows of the design. Chunk ``i``
gets the seed ``SeedSequence(seed, spawn_key=(i,))`` — the ``i``-th child of
``SeedSequence(seed).spawn`` — whatever the runner and worker count, and results are written
by row number, so a sweep gives identical numbers in-process, on a pool, or on Dask.

Each finished chunk is committed to the store in one transaction (its rows and its ``chunks``
entry). :func:`resume_sweep` regenerates the design from the stored parameters, checks its
hash, and evaluates only the chunks not yet stored. The analysis always reads the evaluations
back from the store, so a resumed sweep and an uninterrupted one are analysed from the same
numbers.

The design (the sample matrix) is *not* stored as cells by default: it is regenerated exactly
from the run's parameters (method, inputs, samples, seed) and checked against the stored
``design_sha256`` (:func:`sweep_design`). ``store_design=True`` also stores it as the table
``design`` (about 0.5 s per 500,000 cells: the largest share of store time on big sweeps).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detente.errors import OptionsError, Problem
from detente.runs.executors import LocalRunner, Runner
from detente.runs.store import Run, RunStore
from detente.runs.sweep import (
    INDEX_COLUMNS,
    Design,
    SweepInput,
    SweepModel,
    SweepResult,
    analyse_output,
    analysis_context,
    extra_inputs,
    get_sweep_model,
    make_design,
    select_inputs,
    select_outputs,
)

EVALUATIONS = "evaluations"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SweepPlan:
    """Everything that fixes a sweep's numbers (stored as the run's parameters)."""

    model: str
    method: str
    samples: int
    seed: int
    chunk_size: int
    inputs: tuple[SweepInput, ...]
    outputs: tuple[str, ...]
    options: dict[str, Any]
    policy: str | None

    def params(self, design: Design) -> dict[str, Any]:
        return {
            "model": self.model, "method": self.method, "samples": self.samples,
            "chunk_size": self.chunk_size, "inputs": [i.as_dict() for i in self.inputs],
            "outputs": list(self.outputs), "options": self.options, "policy": self.policy,
            "n_evaluations": design.n_evaluations, "n_chunks": n_chunks(design, self.chunk_size),
            "design_sha256": design.sha256(), "levels": design.levels,
            "chunk_table": EVALUATIONS,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any], seed: int) -> SweepPlan:
        return cls(model=params["model"], method=params["method"], samples=int(params["samples"]),
                   seed=int(seed), chunk_size=int(params["chunk_size"]),
                   inputs=tuple(SweepInput(**i) for i in params["inputs"]),
                   outputs=tuple(params["outputs"]), options=dict(params["options"]),
                   policy=params.get("policy"))


def n_chunks(design: Design, chunk_size: int) -> int:
    return math.ceil(design.n_evaluations / chunk_size)


def chunk_seed(root: int, chunk: int) -> np.random.SeedSequence:
    """The seed of chunk ``chunk``: ``SeedSequence(root).spawn(n)[chunk]`` for any ``n``."""
    return np.random.SeedSequence(root, spawn_key=(chunk,))


def _evaluate_chunk(shared: tuple[SweepModel, Any, tuple[str, ...]],
                    payload: tuple[int, np.ndarray, np.random.SeedSequence]
                    ) -> tuple[dict[str, np.ndarray], float, float]:
    """Worker side: evaluate one chunk; return its outputs, wall seconds and CPU seconds."""
    model, context, outputs = shared
    _chunk, X, seed = payload
    t0, c0 = time.perf_counter(), time.process_time()
    result = model.evaluate(context, X, seed)
    values = {o: np.asarray(result[o], dtype=np.float64).reshape(X.shape[0]) for o in outputs}
    return values, time.perf_counter() - t0, time.process_time() - c0


@dataclass(frozen=True)
class SweepSpec:
    """What to sweep, as asked (before inputs and outputs are resolved against a scenario).

    Attributes
    ----------
    model : str
        A name in :data:`~detente.runs.sweep.SWEEP_MODELS` (``bargaining``, ``ishigami``).
    method : {"sobol", "morris", "grid"}
    samples : int
        Sobol' base samples (a power of two), Morris trajectories, or the grid budget
        (see :func:`~detente.runs.sweep.make_design`).
    seed : int
        Root seed: design, chunk streams and bootstrap all derive from it.
    outputs, inputs : tuple of str, optional
        Globs selecting among the model's outputs and inputs (default: all).
    extra : tuple of (name, lo, hi)
        Extra swept parameters the model understands (e.g. ``("bdm.q", 0.5, 1.0)``; for the
        comparison: policy assumptions and bridge-rule parameters).
    chunk_size : int, optional
        Evaluations per chunk (default: the model's ``default_chunk``).
    options : mapping, optional
        The model's settings (bargaining: ``engine``, ``engine_options``, ``rounds``, ``issue``).
    policy : str, optional
        The policy id already applied to the scenario (recorded with the run).
    store_design : bool
        Also store the sample matrix as the table ``design`` (it can always be regenerated
        with :func:`sweep_design`).
    """

    model: str = "bargaining"
    method: str = "sobol"
    samples: int = 64
    seed: int = 0
    outputs: tuple[str, ...] | None = None
    inputs: tuple[str, ...] | None = None
    extra: tuple[tuple[str, float, float], ...] = ()
    chunk_size: int | None = None
    options: Mapping[str, Any] | None = None
    policy: str | None = None
    store_design: bool = False


def plan_sweep(scenario: Any, spec: SweepSpec) -> tuple[SweepPlan, Design]:
    """Resolve a sweep's inputs, outputs and design against ``scenario``; run nothing."""
    sweep_model = get_sweep_model(spec.model)
    options = dict(spec.options or {})
    if sweep_model.needs_scenario and scenario is None:
        raise OptionsError(f"the {spec.model!r} sweep model needs a scenario",
                           [Problem("no scenario given", path="SCENARIO",
                                    allowed="an embedded id such as korea-2023, or a YAML path")])
    if not 0 <= int(spec.seed) < 2**63:
        raise OptionsError(f"seed {spec.seed} is out of range",
                           [Problem("seed must be a non-negative 63-bit integer", path="--seed",
                                    allowed="an integer from 0 to 2**63 - 1")])
    if spec.chunk_size is not None and spec.chunk_size < 1:
        raise OptionsError(f"--chunk-size {spec.chunk_size} must be positive",
                           [Problem("not a chunk size", path="--chunk-size",
                                    allowed="an integer ≥ 1")])
    all_inputs = [*sweep_model.inputs(scenario, options), *extra_inputs(spec.extra)]
    chosen = select_inputs(all_inputs, spec.inputs)
    outs = select_outputs(sweep_model.outputs(scenario, options), spec.outputs)
    design = make_design(spec.method, chosen, spec.samples, spec.seed)
    plan = SweepPlan(model=spec.model, method=spec.method, samples=int(spec.samples),
                     seed=int(spec.seed),
                     chunk_size=int(spec.chunk_size or sweep_model.default_chunk),
                     inputs=tuple(chosen), outputs=tuple(outs), options=options,
                     policy=spec.policy)
    return plan, design


def run_sweep(scenario: Any, spec: SweepSpec, *, store: RunStore, runner: Runner | None = None,
              command: str = "", progress: Progress | None = None,
              on_start: Callable[[str], None] | None = None) -> SweepResult:
    """Run a sensitivity sweep and record it as a run in ``store``.

    Parameters
    ----------
    scenario : Scenario or None
        The scenario (already with ``spec.policy`` applied, if any); None for models that need
        none.
    spec : SweepSpec
        What to sweep.
    store : RunStore
        Where the run, each finished chunk, and the indices are committed.
    runner : Runner, optional
        An *entered* runner; :class:`~detente.runs.executors.LocalRunner` by default.
    command : str
        The command line to record.
    progress : callable ``(done_evaluations, total_evaluations)``, optional
        Called once at the start and after every committed chunk.
    on_start : callable ``(run_id)``, optional
        Called when the run exists in the store (before any evaluation), e.g. so the CLI can
        print the resume command if interrupted.

    Returns
    -------
    SweepResult

    Raises
    ------
    KeyboardInterrupt
        Re-raised after the run is marked ``interrupted``; finished chunks stay stored.
    """
    plan, design = plan_sweep(scenario, spec)
    sweep_model = get_sweep_model(plan.model)
    context = sweep_model.prepare(scenario, plan.inputs, plan.options)
    params = plan.params(design) | {"store_design": bool(spec.store_design)}
    with store.run(kind="sweep", command=command, scenario=scenario, seed=plan.seed,
                   params=params) as run:
        if on_start is not None:
            on_start(run.id)
        if spec.store_design:
            run.add_table("design", design.frame())
        return _execute(run, plan, design, sweep_model, context, runner, progress, set())


def resume_sweep(store: RunStore, run_id: str, *, runner: Runner | None = None,
                 progress: Progress | None = None,
                 load_scenario: Callable[[Any], Any] | None = None) -> SweepResult:
    """Continue an interrupted sweep: evaluate only the chunks not yet in the store.

    Parameters
    ----------
    store : RunStore
    run_id : str
        Id (or unique prefix) of a sweep run with status ``interrupted``, ``failed`` or a stale
        ``running``.
    load_scenario : callable, optional
        Rebuilds the scenario from its stored canonical JSON (default:
        ``detente.scenario.Scenario.model_validate``).
    """
    rec = store.record(run_id)
    if rec.kind != "sweep":
        raise OptionsError(f"run {rec.id} is a {rec.kind}, not a sweep",
                           [Problem("only sweeps can be resumed", path="--resume",
                                    allowed="the id of a sweep run")])
    if rec.status == "done":
        raise OptionsError(f"sweep {rec.id} is already done",
                           [Problem("nothing to resume", path="--resume",
                                    allowed=f"`detente runs show {rec.id}` to see its results")])
    plan = SweepPlan.from_params(rec.params, rec.seed or 0)
    sweep_model = get_sweep_model(plan.model)
    scenario = None
    if rec.scenario_json is not None:
        raw = json.loads(rec.scenario_json)
        if load_scenario is None:
            from detente.scenario import Scenario

            scenario = Scenario.model_validate(raw)
        else:
            scenario = load_scenario(raw)
    design = sweep_design(rec)
    context = sweep_model.prepare(scenario, plan.inputs, plan.options)
    run = store.resume(rec.id)
    with run.active():
        done = store.done_chunks(rec.id)
        if rec.params.get("store_design") and "design" not in set(store.tables(rec.id)["name"]):
            run.add_table("design", design.frame())
        return _execute(run, plan, design, sweep_model, context, runner, progress, done)


def sweep_design(record: Any) -> Design:
    """The sample matrix of a stored sweep, regenerated from its parameters and hash-checked.

    Parameters
    ----------
    record : RunRecord
        ``RunStore.record(run_id)`` of a sweep.

    Raises
    ------
    OptionsError
        The regenerated design differs from the stored hash (e.g. another SALib version).
    """
    plan = SweepPlan.from_params(record.params, record.seed or 0)
    design = make_design(plan.method, plan.inputs, plan.samples, plan.seed)
    if design.sha256() != record.params.get("design_sha256"):
        raise OptionsError(
            f"the design of sweep {record.id} does not regenerate identically",
            [Problem("design hash differs (SALib or détente version changed?)", path="RUN_ID",
                     allowed=f"rerun the sweep; it was made with détente {record.version}")])
    return design


def _execute(run: Run, plan: SweepPlan, design: Design, sweep_model: SweepModel, context: Any,
             runner: Runner | None, progress: Progress | None, done: set[int]) -> SweepResult:
    t_start = time.perf_counter()
    total = design.n_evaluations
    size = plan.chunk_size
    count = n_chunks(design, size)
    todo = [c for c in range(count) if c not in done]
    done_rows = total - sum(min(size, total - c * size) for c in todo)
    if progress is not None:
        progress(done_rows, total)

    def tasks() -> Iterator[tuple[int, tuple[int, np.ndarray, np.random.SeedSequence]]]:
        for c in todo:
            lo = c * size
            yield c, (c, design.X[lo:lo + size], chunk_seed(plan.seed, c))

    shared = (sweep_model, context, plan.outputs)
    runner = runner if runner is not None else LocalRunner()
    compute = compute_cpu = 0.0
    for c, (values, seconds, cpu) in runner.map_unordered(_evaluate_chunk, shared, tasks()):
        frame = pd.DataFrame({o: values[o] for o in plan.outputs})
        run.add_chunk(c, EVALUATIONS, frame, first_row=c * size, seconds=seconds)
        compute += seconds
        compute_cpu += cpu
        done_rows += len(frame)
        if progress is not None:
            progress(done_rows, total)
    run.add_timing("compute", compute)  # summed over workers: wall time inside the model
    run.add_timing("compute_cpu", compute_cpu)  # and the CPU time the workers actually got
    run.add_timing("evaluate_wall", time.perf_counter() - t_start)
    evaluations = run.store.table(run.id, EVALUATIONS)[list(plan.outputs)]
    t_an = time.perf_counter()
    # one task per output on the same runner: the bootstrap is the largest serial cost left
    context = analysis_context(design, plan.seed)
    per_output = dict(runner.map_unordered(
        analyse_output, context,
        ((o, (o, evaluations[o].to_numpy())) for o in plan.outputs)))
    indices = pd.DataFrame([row for o in plan.outputs for row in per_output[o]],
                           columns=INDEX_COLUMNS)
    run.add_timing("analyse", time.perf_counter() - t_an)
    run.add_table("indices", indices)
    return SweepResult(run_id=run.id, model=plan.model, method=plan.method, design=design,
                       evaluations=evaluations, indices=indices,
                       seconds=time.perf_counter() - t_start, store_path=str(run.store.path),
                       resumed_chunks=len(done))
