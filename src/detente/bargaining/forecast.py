"""The public verb :func:`forecast` and the registry of bargaining engines.

``forecast(scenario, model="bdm", draws=N, seed=S)`` runs an engine on a scenario's point values
(a detailed :class:`~detente.bargaining.result.IssueResult` per issue) and, when ``draws > 0``,
on ``draws`` Monte Carlo samples of every number that has a range
(:mod:`detente.bargaining.montecarlo`), giving the distribution of each issue's summary
forecast. The draws run as chunked array programs; chunking never changes the numbers because
all inputs are sampled up front.

Adding an engine
----------------
Give the engine module an ``ENGINE = Engine(...)`` and add one entry to :data:`ENGINES`
(``"name": "module.path:ENGINE"``). Engines are imported only when used.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from detente.bargaining.montecarlo import (
    Distribution,
    EngineInputs,
    check_monte_carlo,
    chunk_slices,
    resolve_seed,
    sample_inputs,
)
from detente.bargaining.result import (
    Forecast,
    IssueDistribution,
    IssueResult,
    summarise_median_path,
)
from detente.errors import OptionsError, Problem
from detente.options import check_arguments, constraint, shown

#: Working-set budget of one engine chunk (bytes); chunks are sized to stay under it. Small
#: enough to keep a chunk's (draws, n, n) arrays in cache, large enough to amortise numpy calls.
CHUNK_BYTES = 8 * 2**20


@dataclass(frozen=True)
class Engine:
    """A bargaining engine as the forecast verb sees it.

    Attributes
    ----------
    name : str
        Registry key (``"bdm"``).
    title : str
        One line for tables and ``--help``.
    options_type : type
        Frozen dataclass of the engine's options. It must validate itself on construction
        (raising OptionsError) and have the fields ``rounds`` and ``burn_in``.
    point_results : callable (EngineInputs, options) -> dict[str, IssueResult]
        Detailed run on draw 0 of the inputs, per issue.
    median_paths : callable (EngineInputs, options) -> dict[str, (ndarray, ndarray)]
        Batched run: per issue, the median-voter path ``(n_draws, rounds + 1)`` and the last
        round run ``(n_draws,)``.
    bytes_per_draw : callable (n_actors, options) -> int
        Peak working memory of one draw of one issue, used to size chunks.
    """

    name: str
    title: str
    options_type: type
    point_results: Callable[[EngineInputs, Any], dict[str, IssueResult]]
    median_paths: Callable[[EngineInputs, Any], dict[str, tuple[np.ndarray, np.ndarray]]]
    bytes_per_draw: Callable[[int, Any], int]


#: name -> "module:attribute" of its :class:`Engine` (imported on first use).
ENGINES: dict[str, str] = {
    "bdm": "detente.bargaining.bdm:ENGINE",
    "smp": "detente.bargaining.smp:ENGINE",
}


def get_engine(name: str, path: str = "model") -> Engine:
    """The registered engine ``name``; an OptionsError lists the known names otherwise.

    ``path`` names the argument in the error (``"cross_check"`` for compare's second engine).
    """
    target = ENGINES.get(name) if isinstance(name, str) else None
    if target is None:
        raise OptionsError(
            f"unknown {path} {shown(name)}",
            [Problem(f"no bargaining engine named {shown(name)}", path=path,
                     allowed=" | ".join(sorted(ENGINES)))],
        )
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


def engine_options(engine: Engine, options: Any = None, rounds: int | None = None) -> Any:
    """Build the engine's options from None, a mapping or an options object; ``rounds`` wins."""
    if options is None:
        opts = engine.options_type()
    elif isinstance(options, engine.options_type):
        opts = options
    elif isinstance(options, Mapping):
        from detente.options import settings_from_mapping

        opts = settings_from_mapping(engine.options_type, options, engine.name)
    else:
        raise OptionsError(
            f"options for {engine.name} must be a mapping or {engine.options_type.__name__}",
            [Problem(f"got {type(options).__name__}", path="options",
                     allowed=f"dict or {engine.options_type.__name__}")],
        )
    if rounds is not None:
        opts = dataclasses.replace(opts, rounds=rounds)
    return opts


def options_by_engine(options: Mapping[str, Any] | None,
                      models: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Split ``KEY=VALUE`` engine options among the engines of one run.

    A key ``bdm.q`` goes to BDM only; an unprefixed key (``rounds``) goes to every engine of the
    run, and must be an option of each of them. So ``--model all --set rounds=2`` runs two
    rounds in both engines, and ``--model all --set q=0.5`` is refused (``q`` is a BDM option:
    write ``bdm.q=0.5``). The engines then validate the values (:func:`engine_options`).

    Raises
    ------
    OptionsError
        A prefix that names no engine of the run, or an unprefixed key that is not an option of
        every engine of the run.
    """
    out: dict[str, dict[str, Any]] = {m: {} for m in models}
    problems = []
    for key, value in (options or {}).items():
        head, dot, rest = key.partition(".")
        if dot:
            if head not in out:
                problems.append(Problem(f"option {key!r} names engine {head!r}, which is not run",
                                        path=key, allowed="a prefix among " + ", ".join(models)))
                continue
            out[head][rest] = value
            continue
        lacking = [m for m in models
                   if key not in {f.name for f in dataclasses.fields(get_engine(m).options_type)}]
        if lacking:
            having = [m for m in models if m not in lacking]
            hint = (f"{having[0]}.{key}=… to set it for {having[0]} only" if having
                    else "an option of the engine (see docs/smp.md, the BDM module table)")
            problems.append(Problem(f"{key!r} is not an option of {', '.join(lacking)}",
                                    path=key, allowed=hint))
            continue
        for m in models:
            out[m][key] = value
    if problems:
        raise OptionsError("engine options that cannot be applied", problems)
    return out


def _load(scenario: Any, policy: Any) -> tuple[Any, str | None]:
    """Resolve a scenario id/path/object and apply ``policy`` (an id or a Policy)."""
    from detente import scenario as scenario_api  # lazy: the scenario package is heavier

    check_arguments("invalid forecast arguments", {
        "policy": (policy, constraint(instance=(str, scenario_api.Policy), optional=True,
                                      words="a policy id of the scenario or a Policy, or none"))})
    scenario = resolve_scenario(scenario)
    policy_id = None
    if policy is not None:
        policy_id = policy if isinstance(policy, str) else getattr(policy, "id", str(policy))
        scenario = scenario_api.apply(policy, scenario)
    return scenario, policy_id


def resolve_scenario(scenario: Any) -> Any:
    """A Scenario (any object with ``arrays()``) as given, or loaded from an id or a path.

    Raises
    ------
    OptionsError
        ``scenario`` is neither (a dict, None, a number …), located at ``scenario``.
    ScenarioError
        The id or file cannot be loaded.
    """
    if isinstance(scenario, str | Path):
        from detente.scenario import load_scenario

        return load_scenario(scenario)
    if callable(getattr(scenario, "arrays", None)):
        return scenario
    check_arguments("invalid scenario argument", {"scenario": (scenario, constraint(
        instance=(str, Path), words="a Scenario, an embedded scenario id or a file path"))})
    return scenario  # pragma: no cover - check_arguments raised


def _thresholds(scenario: Any, issue_ids: tuple[str, ...], point: Mapping[str, IssueResult],
                extra: Mapping[str, float] | None) -> dict[str, dict[str, float]]:
    """Named thresholds per issue: the start median, the status quo if given, and ``extra``."""
    status_quo = {}
    for issue in getattr(scenario, "issues", ()):
        sq = getattr(issue, "status_quo", None)
        if sq is not None:
            status_quo[issue.id] = float(getattr(sq, "value", sq))
    out = {}
    for issue_id in issue_ids:
        named = {"start median": point[issue_id].start_median}
        if issue_id in status_quo:
            named["status quo"] = status_quo[issue_id]
        named.update({str(k): float(v) for k, v in (extra or {}).items()})
        out[issue_id] = named
    return out


def run_draws(
    engine: Engine, inputs: EngineInputs, options: Any, chunk_size: int | None = None,
    workers: int | None = None, progress: Callable[[int, int], None] | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Run ``engine`` on every draw of ``inputs`` in chunks; concatenated median paths per issue.

    Chunks are independent array programs; with ``workers > 1`` they run on a thread pool
    (numpy releases the GIL inside its array loops). Results are joined in draw order, so
    neither ``chunk_size`` nor ``workers`` changes any number. ``workers`` defaults to the
    machine's core count. ``progress(done, total)`` is called after each chunk (draws done).
    """
    if chunk_size is None:
        # engines may stack issues on the draw axis (BDM does), so budget for all of them
        per_draw = max(1, engine.bytes_per_draw(len(inputs.actor_ids), options)
                       * max(1, len(inputs.issue_ids)))
        chunk_size = max(1, CHUNK_BYTES // per_draw)
    slices = list(chunk_slices(inputs.n_draws, chunk_size))
    n_workers = max(1, min(workers or os.cpu_count() or 1, len(slices)))

    def run_chunk(sl: slice) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return engine.median_paths(inputs.take(sl), options)

    chunks = []
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        results = pool.map(run_chunk, slices) if n_workers > 1 else map(run_chunk, slices)
        for sl, chunk in zip(slices, results, strict=True):
            chunks.append(chunk)
            if progress is not None:
                progress(sl.stop, inputs.n_draws)
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {i: [] for i in inputs.issue_ids}
    for chunk in chunks:
        for issue_id, pair in chunk.items():
            parts[issue_id].append(pair)
    return {
        issue_id: (np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs]))
        for issue_id, pairs in parts.items()
    }


def forecast(
    scenario: Any,
    model: str = "bdm",
    rounds: int | None = None,
    policy: Any = None,
    draws: int = 0,
    seed: int | None = None,
    *,
    options: Any = None,
    issue: str | None = None,
    perturbation: float = 0.0,
    distribution: Distribution = "triangular",
    thresholds: Mapping[str, float] | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Forecast:
    """Where the bargaining on each issue ends up, and how sure we are.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A Scenario, an embedded scenario id (``"korea-2023"``) or a file path.
    model : str
        Engine name in :data:`ENGINES` (``"bdm"``).
    rounds : int, optional
        Rounds to run (overrides ``options.rounds``; BDM default 10).
    policy : Policy or str, optional
        Applied with ``detente.scenario.apply`` before the run.
    draws : int
        Monte Carlo draws (0 = the point run only).
    seed : int, optional
        Root seed of the draws; None draws one from entropy and records it in the result.
    options : engine options object or mapping, optional
        E.g. ``{"capitulation": "never"}`` for BDM (see :class:`detente.bargaining.bdm.BDMOptions`).
    issue : str, optional
        Restrict the run to one issue.
    perturbation : float
        Global ± perturbation (0–100 points) of every position and salience in the draws.
    distribution : {"triangular", "uniform"}
        Law used on each range (see :mod:`detente.bargaining.montecarlo`).
    thresholds : dict of str to float, optional
        Extra named positions for the threshold probabilities (the start median and the issue's
        status quo are always included).
    chunk_size : int, optional
        Draws per engine chunk (default: sized to an 8 MB working set). Never changes results.
    workers : int, optional
        Threads running chunks in parallel (default: the core count). Never changes results.
    progress : callable (done, total) -> None, optional
        Called after each chunk of draws (for progress bars in the faces).

    Returns
    -------
    Forecast
    """
    engine = get_engine(model)
    opts = engine_options(engine, options, rounds)
    check_monte_carlo(draws, perturbation, distribution, min_draws=0)
    if seed is not None:
        resolve_seed(seed)  # a bad seed is refused even when no draw needs it
    check_arguments("invalid forecast arguments", {
        "issue": (issue, constraint(instance=str, optional=True,
                                    words="an issue id of the scenario, or none")),
        "thresholds": (thresholds, constraint(instance=Mapping, optional=True,
                                              words="a dict of names to positions, or none")),
        "chunk_size": (chunk_size, constraint(interval=(1, math.inf), integer=True,
                                              optional=True)),
        "workers": (workers, constraint(interval=(1, math.inf), integer=True, optional=True)),
        "progress": (progress, constraint(instance=Callable, optional=True,
                                          words="a function (done, total) -> None, or none")),
    })
    check_arguments("invalid forecast thresholds", {
        f"thresholds.{shown(k) if not isinstance(k, str) else k}": (v, constraint(
            interval=(-math.inf, math.inf), words="a finite number (a position on the scale)"))
        for k, v in (thresholds or {}).items()})
    scen, policy_id = _load(scenario, policy)
    arrays = scen.arrays(issue=issue)
    point = engine.point_results(EngineInputs.from_arrays(arrays), opts)
    distributions: dict[str, IssueDistribution] = {}
    used_seed = None
    mc_settings: dict[str, Any] = {}
    if draws > 0:
        used_seed = resolve_seed(seed)
        batch = sample_inputs(arrays, int(draws), used_seed, perturbation=perturbation,
                              distribution=distribution)
        paths = run_draws(engine, batch, opts, chunk_size, workers, progress)
        named = _thresholds(scen, tuple(arrays.issue_ids), point, thresholds)
        for issue_id, (median_path, rounds_run) in paths.items():
            fc, low, high = summarise_median_path(median_path, opts.burn_in, rounds_run)
            distributions[issue_id] = IssueDistribution(
                issue_id=issue_id, forecast=fc, cycle_low=low, cycle_high=high,
                start_median=median_path[:, 0], thresholds=named[issue_id])
        mc_settings = {"perturbation": perturbation, "distribution": distribution}
    return Forecast(
        model=engine.name,
        scenario_id=str(getattr(scen, "id", "scenario")),
        policy_id=policy_id,
        results=point,
        distributions=distributions,
        draws=int(draws),
        seed=used_seed,
        options={**dataclasses.asdict(opts), **mc_settings},
        actor_names={a.id: str(getattr(a, "name", None) or a.id)
                     for a in getattr(scen, "actors", ())},
    )
