"""The ``compare`` sweep model: which assumption drives the policy comparison? (issue #7)

Each evaluation is one :func:`detente.policy.compare` run (bargaining forecast by SMP joined to
the fitted dynamic model through the bridge rules of :mod:`detente.policy.bridge`) with the
swept numbers set. Registered when :mod:`detente.runs` is imported.

Inputs
------
``capability.<actor>``, ``position.<actor>.<issue>``, ``salience.<actor>.<issue>``
    Every scenario number with a ``range`` (:func:`~detente.runs.sweep.scenario_inputs`).
``dynamics.<name>``
    Every scenario ``dynamics`` value with a ``range`` (Korea: ``sanctions_pressure``, read by
    rule B2 through ``gamma_pressure``).
``bridge.<name>``
    Every :class:`~detente.policy.bridge.BridgeSettings` parameter over the ``range`` in its
    field metadata. ``bridge.unsc_base_since`` is a month written as a decimal year
    (``2018.0`` = 2018-01, ``2013.75`` = 2013-10; floored to the month).
``assumption.<policy>.<field>.<actor>.<issue>`` (``assumption.<policy>.capability.<actor>``)
    Every assumption with a ``range`` of a compared policy, over that range; it sets the
    assumption's ``value`` (the amount of its ``set``/``shift``/``scale``). Two assumptions of
    one policy on the same number get the suffix ``#<k>`` (k its index in the policy's list).

A swept number is set and its range removed before :func:`compare` runs, so compare's own
Monte Carlo does not re-draw it; ranged numbers *not* swept are still drawn there. Restrict
the inputs with ``--inputs`` globs (``'bridge.*'``, ``'assumption.summit-diplomacy.*'``).

Outputs
-------
Named after the columns of :meth:`Comparison.summary_frame`, for each compared policy and
for the status quo (``status-quo.<metric>``, the scenario as written):

``<policy>.launch_events_median``
    Median over simulated paths of the launch events summed over the horizon.
``<policy>.p_nuclear_test``
    P(at least one nuclear test within the horizon).
``<policy>.p_dialogue_12m``
    Share of simulated paths with a dialogue month within the first 12 months.
``<policy>.scenario_index``
    The conflict-risk scenario index (0–100; rule I) — a scenario index, not a probability.
    NaN in a row where every index weight is 0 (the weighted mean is then undefined).
``<policy>.talks_median``
    Median over the Monte Carlo draws of the SMP forecast position on the talks issue.
``<policy>.vs_status_quo.launch_events_median``, ``<policy>.vs_status_quo.p_dialogue_12m``
    The policy's value minus the status quo's in the same evaluation (same seed: common
    random numbers, with the limit given under Noise).

Noise
-----
Every evaluation carries compare's own Monte Carlo noise: ``draws`` bargaining draws (default
:data:`DEFAULT_SWEEP_DRAWS`) times ``paths_per_draw`` simulated paths. By default
(``common_random_numbers=True``) every evaluation of a sweep uses the same compare seed, the
sweep's root seed: differences between evaluations then come from the inputs alone, an
output that no input reaches (the status quo's dialogue odds under ``bridge.beta_talks``) is
exactly constant, and the indices describe the model *conditional on one realisation* of its
Monte Carlo draws. With ``common_random_numbers=False`` each evaluation gets its own seed
(from the chunk's :class:`~numpy.random.SeedSequence` and the row): the output is then a noisy
function of the inputs, and noise adds variance no input explains — it inflates the
total-order Sobol' indices ST (Saltelli et al. 2010's estimator puts noise into every ST), makes
S1 estimates scatter, and adds σ to Morris elementary effects. Either way, raise ``draws``
(and ``paths_per_draw``) for precision. Measured on korea-2023 (bridge defaults, 12 seeds at
fixed inputs): at 8 draws (128 paths) the seed-to-seed standard deviation of
``summit-diplomacy.p_dialogue_12m`` is 0.06, of its ``vs_status_quo`` difference 0.04, of
``talks_median`` 4.7 points; at 40 draws 0.026, 0.020 and 1.4 points — while sweeping
``beta_talks`` from 0 to 3 moves the difference by about 0.3.

The policy−status-quo differences use compare's common random numbers, in the bargaining and
in the simulation (:func:`detente.dynamics.simulate` draws the regime chain, counts, tests and
resolutions from separate streams, so a policy that changes one rate leaves the others' draws
shared).

Options (``SweepSpec.options``)
-------------------------------
``draws`` (8), ``horizon_months`` (36), ``paths_per_draw`` (16), ``model`` ("smp"),
``common_random_numbers`` (True, see Noise),
``policies`` (ids, default every policy of the scenario), ``bridge`` (fixed BridgeSettings
values for the parameters not swept), ``fit_method`` ("nuts", as compare's default fit;
"laplace" is the fast approximation). The cross-check engine is off (``cross_check=None``):
no output reads it. ``detente sweep --model compare`` passes no options, so it runs these
defaults; with ``--policy P`` the scenario under P is the status quo every policy is compared
with.

References
----------
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., & Tarantola, S. (2010).
    Variance based sensitivity analysis of model output. Computer Physics Communications, 181(2).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from detente.errors import OptionsError, Problem
from detente.runs.sweep import SweepInput, SweepModel, register_sweep_model, scenario_inputs

#: Per-policy outcomes (names of :meth:`Comparison.summary_frame` columns).
COMPARE_METRICS: tuple[str, ...] = ("launch_events_median", "p_nuclear_test", "p_dialogue_12m",
                                    "scenario_index", "talks_median")
#: Outcomes also reported as the difference policy − status quo.
VS_STATUS_QUO_METRICS: tuple[str, ...] = ("launch_events_median", "p_dialogue_12m")
#: Monte Carlo draws of compare per evaluation (compare's own default is 40).
DEFAULT_SWEEP_DRAWS = 8
#: Months are swept as decimal years: ``year + (month - 1) / 12``.
MONTH_FIELDS = ("unsc_base_since",)
WEIGHT_FIELDS = ("weight_launches", "weight_nuclear", "weight_crisis", "weight_polarisation")


# --------------------------------------------------------------------------------------------
# names and intervals
# --------------------------------------------------------------------------------------------

def month_to_decimal_year(month: str) -> float:
    """``"2018-01"`` → 2018.0, ``"2013-10"`` → 2013.75."""
    year, mon = (int(v) for v in month.split("-"))
    return year + (mon - 1) / 12.0


def decimal_year_to_month(value: float) -> str:
    """Inverse of :func:`month_to_decimal_year`, floored to the month (``2013.8`` → 2013-10)."""
    index = math.floor(float(value) * 12.0 + 1e-6)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The model's settings with defaults, checked (a bad one names the option and its fix)."""
    out = {"draws": options.get("draws", DEFAULT_SWEEP_DRAWS),
           "horizon_months": options.get("horizon_months", 36),
           "paths_per_draw": options.get("paths_per_draw", 16),
           "model": str(options.get("model", "smp")),
           "fit_method": str(options.get("fit_method", "nuts")),
           "common_random_numbers": bool(options.get("common_random_numbers", True)),
           "bridge": dict(options.get("bridge") or {})}
    problems = []
    for name, low, high in (("draws", 2, 100_000), ("horizon_months", 12, 120),
                            ("paths_per_draw", 1, 1000)):
        value = out[name]
        if isinstance(value, bool) or not isinstance(value, int | np.integer) \
                or not low <= value <= high:
            problems.append(Problem(f"{name} = {value!r}", path=f"options.{name}",
                                    allowed=f"an integer from {low} to {high}"))
    if out["fit_method"] not in ("nuts", "laplace"):
        problems.append(Problem(f"fit_method = {out['fit_method']!r}", path="options.fit_method",
                                allowed="nuts | laplace"))
    if problems:
        raise OptionsError("invalid options of the compare sweep model", problems)
    return out


def _bridge_base(options: Mapping[str, Any]) -> Any:
    from detente.policy.bridge import BridgeSettings

    fixed = _options(options)["bridge"]
    known = {f.name for f in dataclasses.fields(BridgeSettings)}
    unknown = sorted(set(fixed) - known)
    if unknown:
        raise OptionsError("unknown bridge settings", [Problem(
            f"no bridge parameter {name!r}", path=f"options.bridge.{name}",
            allowed=", ".join(sorted(known))) for name in unknown])
    return BridgeSettings(**fixed)


def _assumption_names(policy: Any) -> list[tuple[int, str]]:
    """``(k, name)`` for every ranged assumption of ``policy`` (file order)."""
    def stem(a: Any) -> str:
        where = a.actor if a.field == "capability" else f"{a.actor}.{a.issue}"
        return f"assumption.{policy.id}.{a.field}.{where}"

    stems = [stem(a) for a in policy.assumptions]
    return [(k, s if stems.count(s) == 1 else f"{s}#{k}")
            for k, (s, a) in enumerate(zip(stems, policy.assumptions, strict=True))
            if a.range is not None]


def _compare_inputs(scenario: Any, options: Mapping[str, Any]) -> list[SweepInput]:
    """Scenario numbers, dynamics values, bridge parameters and assumptions with a range."""
    from detente.policy.levers import resolve_policies

    out = scenario_inputs(scenario.arrays())
    for name, q in (scenario.dynamics or {}).items():
        if q.range is not None and q.range[1] > q.range[0]:
            out.append(SweepInput(f"dynamics.{name}", float(q.range[0]), float(q.range[1]),
                                  float(q.value)))
    base = _bridge_base(options)
    for f in dataclasses.fields(base):
        lo, hi = f.metadata["range"]
        value = getattr(base, f.name)
        if f.name in MONTH_FIELDS:
            lo, hi, value = (month_to_decimal_year(v) for v in (lo, hi, value))
        out.append(SweepInput(f"bridge.{f.name}", float(lo), float(hi), float(value)))
    for policy in resolve_policies(scenario, options.get("policies")):
        for k, name in _assumption_names(policy):
            a = policy.assumptions[k]
            out.append(SweepInput(name, float(a.range[0]), float(a.range[1]), float(a.value)))
    return out


def _compare_outputs(scenario: Any, options: Mapping[str, Any]) -> list[str]:
    from detente.policy.compare import STATUS_QUO_ID
    from detente.policy.levers import resolve_policies

    out = []
    for policy in resolve_policies(scenario, options.get("policies")):
        out += [f"{policy.id}.{m}" for m in COMPARE_METRICS]
        out += [f"{policy.id}.vs_status_quo.{m}" for m in VS_STATUS_QUO_METRICS]
    return out + [f"{STATUS_QUO_ID}.{m}" for m in COMPARE_METRICS]


# --------------------------------------------------------------------------------------------
# prepare (coordinator) and evaluate (workers)
# --------------------------------------------------------------------------------------------

def _compare_prepare(scenario: Any, inputs: Sequence[SweepInput], options: Mapping[str, Any]
                     ) -> dict[str, Any]:
    """Resolve every input to a slot, fit (or read) the posterior once, keep the panel's UNSC
    column; everything a worker needs, picklable (plain dicts, arrays, the Posterior)."""
    import pandas as pd

    from detente.policy.bridge import BridgeSettings
    from detente.policy.levers import resolve_policies

    settings = _options(options)
    base_bridge = _bridge_base(options)
    policies = resolve_policies(scenario, options.get("policies"))
    if scenario.binding is None:
        raise OptionsError(f"scenario {scenario.id!r} is not bound to a dynamic model", [
            Problem("the compare sweep model needs the dynamics", path="binding",
                    allowed="a scenario with a `binding:` block (docs/scenario-format.md), or "
                            "the bargaining sweep model")])
    arrays = scenario.arrays()
    present = {(a, k) for i, a in enumerate(arrays.actor_ids)
               for j, k in enumerate(arrays.issue_ids) if arrays.present[i, j]}
    assumption_slot = {name: (p, k) for p, pol in enumerate(policies)
                       for k, name in _assumption_names(pol)}
    bridge_fields = {f.name: f.metadata["range"] for f in dataclasses.fields(BridgeSettings)}
    slots: list[tuple[Any, ...]] = []
    problems = []
    for inp in inputs:
        parts = inp.name.split(".")
        if parts[0] == "capability" and len(parts) == 2 and parts[1] in arrays.actor_ids:
            slots.append(("capability", parts[1]))
        elif (parts[0] in ("position", "salience") and len(parts) == 3
              and (parts[1], parts[2]) in present):
            slots.append((parts[0], parts[1], parts[2]))
        elif parts[0] == "dynamics" and len(parts) == 2 and parts[1] in (scenario.dynamics or {}):
            slots.append(("dynamics", parts[1]))
        elif parts[0] == "bridge" and len(parts) == 2 and parts[1] in bridge_fields:
            lo, hi = bridge_fields[parts[1]]
            if parts[1] in MONTH_FIELDS:
                lo, hi = month_to_decimal_year(lo), month_to_decimal_year(hi)
            if not lo <= inp.lo <= inp.hi <= hi:
                problems.append(Problem(f"{inp.name} over [{inp.lo:g}, {inp.hi:g}] leaves the "
                                        "parameter's range", path="--param",
                                        allowed=f"an interval within [{lo:g}, {hi:g}]"))
            slots.append(("bridge", parts[1]))
        elif inp.name in assumption_slot:
            slots.append(("assumption", *assumption_slot[inp.name]))
        else:
            problems.append(Problem(f"input {inp.name!r} is not a number of this comparison",
                                    path="--inputs",
                                    allowed="capability.ACTOR, position.ACTOR.ISSUE, "
                                            "salience.ACTOR.ISSUE, dynamics.NAME, "
                                            "bridge.PARAMETER or assumption.POLICY.FIELD.ACTOR"
                                            ".ISSUE (see `detente sweep --model compare`)"))
    if problems:
        raise OptionsError("the compare sweep model cannot place every input", problems)

    from detente.dynamics.fit import fit
    from detente.evidence import monthly_panel
    from detente.policy.compare import FIT_SEED

    until = None if scenario.as_of is None else str(pd.Period(scenario.as_of, freq="M"))
    posterior = fit(until=until, method=settings["fit_method"], seed=FIT_SEED)
    return {
        "scenario": scenario.model_dump(mode="json"),
        "policies": [p.model_dump(mode="json") for p in policies],
        "slots": slots,
        "bridge": dataclasses.asdict(base_bridge),
        "settings": settings,
        "posterior": posterior,
        # compare reads the panel's UNSC column only (rule B2's base window)
        "panel": monthly_panel()[["unsc_resolution"]].copy(),
    }


def row_seed(seed: np.random.SeedSequence, row: int) -> int:
    """The compare seed of row ``row`` of a chunk: a 63-bit integer from the chunk's
    SeedSequence extended by the row (independent of executor, worker and earlier rows)."""
    child = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, int(row)))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def evaluation_seed(seed: np.random.SeedSequence, row: int, settings: Mapping[str, Any]) -> int:
    """The compare seed of one evaluation: the sweep's root seed for every row under common
    random numbers (the chunk's SeedSequence carries it as its entropy), else :func:`row_seed`."""
    if settings.get("common_random_numbers", True):
        root = np.random.SeedSequence(seed.entropy)
        return int(root.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    return row_seed(seed, row)


def _set_number(quantity: dict[str, Any], value: float) -> None:
    quantity["value"] = float(value)
    quantity["range"] = None  # swept: compare's Monte Carlo must not re-draw it


def build_evaluation(context: Mapping[str, Any], x: np.ndarray
                     ) -> tuple[Any, list[Any], Any, bool]:
    """The scenario, policies and bridge settings of one design row ``x``.

    Returns
    -------
    scenario : Scenario
        With every swept number set and its range removed.
    policies : list of Policy
        The compared policies with every swept assumption's value set and its range removed.
    bridge : BridgeSettings
        The swept values over the fixed ones.
    index_defined : bool
        False when every index weight is 0: the index (a weighted mean) is then undefined, the
        comparison runs with the default weights and the ``scenario_index`` outputs are NaN.
    """
    from detente.policy.bridge import BridgeSettings
    from detente.scenario import Policy, Scenario

    data = copy.deepcopy(context["scenario"])
    policies = copy.deepcopy(context["policies"])
    bridge = dict(context["bridge"])
    actors = {a["id"]: a for a in data["actors"]}
    for slot, value in zip(context["slots"], x, strict=True):
        kind = slot[0]
        if kind == "capability":
            _set_number(actors[slot[1]]["capability"], value)
        elif kind in ("position", "salience"):
            _set_number(actors[slot[1]]["stances"][slot[2]][kind], value)
        elif kind == "dynamics":
            _set_number(data["dynamics"][slot[1]], value)
        elif kind == "bridge":
            bridge[slot[1]] = (decimal_year_to_month(value) if slot[1] in MONTH_FIELDS
                               else float(value))
        else:  # assumption
            _set_number(policies[slot[1]]["assumptions"][slot[2]], value)
    index_defined = any(bridge[w] > 0 for w in WEIGHT_FIELDS)
    if not index_defined:
        bridge = {k: v for k, v in bridge.items() if k not in WEIGHT_FIELDS}
    return (Scenario.model_validate(data), [Policy.model_validate(p) for p in policies],
            BridgeSettings(**bridge), index_defined)


def comparison_outcomes(comparison: Any, index_defined: bool = True) -> dict[str, float]:
    """The named outcomes (module docstring) of one :class:`Comparison`."""
    from detente.policy.compare import STATUS_QUO_ID

    table = comparison.summary_frame()
    sq = dataclasses.replace(comparison, outcomes=(comparison.status_quo,)).summary_frame()
    out: dict[str, float] = {}
    for policy, row in (*table.iterrows(), (STATUS_QUO_ID, sq.iloc[0])):
        for m in COMPARE_METRICS:
            out[f"{policy}.{m}"] = float(row[m])
        if not index_defined:
            out[f"{policy}.scenario_index"] = math.nan
    for policy in table.index:
        for m in VS_STATUS_QUO_METRICS:
            out[f"{policy}.vs_status_quo.{m}"] = out[f"{policy}.{m}"] - out[f"{STATUS_QUO_ID}.{m}"]
    return out


def _compare_evaluate(context: Mapping[str, Any], X: np.ndarray, seed: np.random.SeedSequence
                      ) -> dict[str, np.ndarray]:
    """Run :func:`detente.policy.compare` for every row of ``X``: with the sweep's root seed for
    every row (common random numbers, the default) or seeded per row from ``seed``."""
    from detente.policy.compare import compare

    s = context["settings"]
    out: dict[str, np.ndarray] = {}
    for i, x in enumerate(np.asarray(X, dtype=float)):
        scenario, policies, bridge, index_defined = build_evaluation(context, x)
        comparison = compare(scenario, policies, horizon_months=int(s["horizon_months"]),
                             draws=int(s["draws"]), seed=evaluation_seed(seed, i, s),
                             model=s["model"],
                             cross_check=None, paths_per_draw=int(s["paths_per_draw"]),
                             bridge=bridge, posterior=context["posterior"],
                             panel=context["panel"])
        for name, value in comparison_outcomes(comparison, index_defined).items():
            out.setdefault(name, np.full(X.shape[0], np.nan))[i] = value
    return out


register_sweep_model(SweepModel(
    name="compare", prepare=_compare_prepare, evaluate=_compare_evaluate,
    inputs=_compare_inputs, outputs=_compare_outputs, needs_scenario=True,
    # one evaluation is one compare run: 0.33 s on one core at 8 draws, 4 policies, 3 years
    # (0.26 s at 2 draws, 0.54 s at 40); 4 rows per chunk keep a DuckDB commit (~10-20 ms)
    # near 1 % and still spread small sweeps over the workers
    default_chunk=4,
    description="policy comparison (SMP bargaining + dynamic model via the bridge rules): "
                "launches, P(nuclear test), P(dialogue 12 m), scenario index, talks per policy"))
