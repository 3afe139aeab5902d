"""Sweep models that call détente's engines (registered when :mod:`detente.runs` is imported).

``bargaining``
    The bargaining forecast (default engine: BDM as reconstructed by Scholz, Calbert & Smith
    2011) on the scenario's arrays with the swept numbers replaced, batched over the sample
    rows as one array program per issue. Outputs per issue: ``<issue>.forecast`` (the summary
    forecast: median of the median-voter path over the rounds after burn-in),
    ``<issue>.cycle_low`` and ``<issue>.cycle_high`` (its range over those rounds), all on the
    issue's 0–100 scale. Extra inputs ``<engine>.<option>`` (e.g. ``bdm.q``, ``bdm.t``) sweep a
    numeric engine option; rows are then grouped by option value.

Adding the policy comparison (issue #6) is one more :func:`register_sweep_model` call with its
own ``prepare``/``evaluate`` (outputs: the comparison's named outcomes; extra inputs: policy
assumptions and bridge-rule parameters).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from detente.errors import OptionsError, Problem
from detente.runs.sweep import SweepInput, SweepModel, register_sweep_model, scenario_inputs

BARGAINING_OUTPUTS = ("forecast", "cycle_low", "cycle_high")


def _bargaining_inputs(scenario: Any, options: Mapping[str, Any]) -> list[SweepInput]:
    return scenario_inputs(scenario.arrays(issue=options.get("issue")))


def _bargaining_outputs(scenario: Any, options: Mapping[str, Any]) -> list[str]:
    issues = scenario.arrays(issue=options.get("issue")).issue_ids
    return [f"{issue}.{what}" for issue in issues for what in BARGAINING_OUTPUTS]


def _bargaining_prepare(scenario: Any, inputs: Sequence[SweepInput], options: Mapping[str, Any]
                        ) -> dict[str, Any]:
    """Resolve each input to an array slot (or an engine option) once, in the coordinator."""
    from detente.bargaining.forecast import engine_options, get_engine

    engine_name = str(options.get("model", "bdm"))
    engine = get_engine(engine_name)
    opts = engine_options(engine, options.get("engine_options"), options.get("rounds"))
    arrays = scenario.arrays(issue=options.get("issue"))
    actor = {a: i for i, a in enumerate(arrays.actor_ids)}
    issue = {k: i for i, k in enumerate(arrays.issue_ids)}
    option_fields = {f.name for f in dataclasses.fields(opts)}
    slots: list[tuple[str, int, int]] = []
    problems = []
    for inp in inputs:
        parts = inp.name.split(".")
        if parts[0] == "capability" and len(parts) == 2 and parts[1] in actor:
            slots.append(("capability", actor[parts[1]], -1))
        elif (parts[0] in ("position", "salience") and len(parts) == 3 and parts[1] in actor
              and parts[2] in issue):
            slots.append((parts[0], actor[parts[1]], issue[parts[2]]))
        elif parts[0] == engine_name and len(parts) == 2 and parts[1] in option_fields:
            slots.append(("option:" + parts[1], -1, -1))
        else:
            problems.append(Problem(f"input {inp.name!r} is not a number of this scenario",
                                    path="--param",
                                    allowed="capability.ACTOR, position.ACTOR.ISSUE, "
                                            f"salience.ACTOR.ISSUE or {engine_name}.OPTION"))
    if problems:
        raise OptionsError("the bargaining sweep model cannot place every input", problems)
    return {"engine": engine_name, "options": opts, "arrays": arrays, "slots": slots}


def _bargaining_evaluate(context: Mapping[str, Any], X: np.ndarray, seed: np.random.SeedSequence
                         ) -> dict[str, np.ndarray]:
    """Forecast every row of ``X`` (deterministic engine: ``seed`` is unused)."""
    from detente.bargaining.forecast import get_engine
    from detente.bargaining.montecarlo import EngineInputs
    from detente.bargaining.result import summarise_median_path

    engine = get_engine(context["engine"])
    arrays = context["arrays"]
    m = X.shape[0]
    capability = np.repeat(np.asarray(arrays.capability, dtype=float)[None], m, axis=0)
    position = np.repeat(np.asarray(arrays.position, dtype=float)[None], m, axis=0)
    salience = np.repeat(np.asarray(arrays.salience, dtype=float)[None], m, axis=0)
    option_cols: dict[str, int] = {}
    for j, (kind, a, k) in enumerate(context["slots"]):
        if kind == "capability":
            capability[:, a] = X[:, j]
        elif kind == "position":
            position[:, a, k] = X[:, j]
        elif kind == "salience":
            salience[:, a, k] = X[:, j]
        else:
            option_cols[kind.removeprefix("option:")] = j
    # an issue's weights: the stance's own influence where the scenario gives one, else the
    # (swept) capability — the rule of detente.bargaining.montecarlo
    own = np.asarray(arrays.has_influence, dtype=bool)
    influence = np.where(own[None], np.asarray(arrays.influence, dtype=float)[None],
                         capability[:, :, None])
    rule_fields = {"has_influence": own, "status_quo": arrays.status_quo, "rules": arrays.rules}
    inputs = EngineInputs(actor_ids=tuple(arrays.actor_ids), issue_ids=tuple(arrays.issue_ids),
                          capability=capability, position=position, salience=salience,
                          present=np.asarray(arrays.present, dtype=bool), influence=influence,
                          **rule_fields)
    base_opts = context["options"]
    out = {f"{i}.{w}": np.empty(m) for i in arrays.issue_ids for w in BARGAINING_OUTPUTS}
    # rows sharing engine-option values run as one batch
    if option_cols:
        keys = np.stack([X[:, j] for j in option_cols.values()], axis=1)
        groups, inverse = np.unique(keys, axis=0, return_inverse=True)
        batches = [(np.flatnonzero(inverse.ravel() == g),
                    dataclasses.replace(base_opts, **{n: float(v) for n, v in
                                                      zip(option_cols, groups[g], strict=True)}))
                   for g in range(len(groups))]
    else:
        batches = [(np.arange(m), base_opts)]
    for rows, opts in batches:
        sub = inputs.take(rows)
        for issue_id, (median_path, rounds_run) in engine.median_paths(sub, opts).items():
            fc, low, high = summarise_median_path(median_path, opts.burn_in, rounds_run)
            out[f"{issue_id}.forecast"][rows] = fc
            out[f"{issue_id}.cycle_low"][rows] = low
            out[f"{issue_id}.cycle_high"][rows] = high
    return out


register_sweep_model(SweepModel(
    name="bargaining", prepare=_bargaining_prepare, evaluate=_bargaining_evaluate,
    inputs=_bargaining_inputs, outputs=_bargaining_outputs, needs_scenario=True,
    # ~0.5 s of BDM work per chunk on one core: one DuckDB commit (~10-20 ms) stays ≤ 5%
    default_chunk=1024,
    description="bargaining forecast (BDM, Scholz et al. 2011) per issue: forecast, cycle range"))
