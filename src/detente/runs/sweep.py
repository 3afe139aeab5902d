"""Sensitivity sweeps: which assumption drives the conclusion?

A sweep has three layers, each ignorant of the next (EMA Workbench's split of samplers,
evaluators and callbacks; STYLE.md §4):

1. **Inputs and design.** The inputs are every scenario number that carries a ``range``
   (``capability.<actor>``, ``position.<actor>.<issue>``, ``salience.<actor>.<issue>``; after
   ``policy=`` is applied, so a policy's assumption ranges are inputs too) plus named extra
   parameters ``(name, lo, hi)`` that the model understands. :func:`make_design` lays out the
   sample matrix with SALib: Saltelli/Sobol' sequences (Saltelli 2002; Saltelli et al. 2010),
   Morris trajectories (Morris 1991; Campolongo, Cariboni & Saltelli 2007), or a full-factorial
   grid.
2. **Model.** A *sweep model* (:class:`SweepModel`) is registered by name in
   :data:`SWEEP_MODELS`: ``prepare(scenario, inputs, options) -> context`` once, then
   ``evaluate(context, X, seed) -> {output: values}`` on a batch ``X`` of shape
   ``(m, n_inputs)``. Registered: ``"bargaining"`` (the BDM forecast on the modified arrays) and
   ``"ishigami"`` (the Ishigami & Homma 1990 test function, with analytic indices). The policy
   comparison of issue #6 joins with one more :func:`register_sweep_model` entry.
3. **Analysis.** :func:`analyse` turns the evaluations into first-order and total Sobol'
   indices with bootstrap confidence intervals (Saltelli et al. 2010 estimators, as in SALib),
   Morris μ, μ* and σ, or grid main effects.

Execution (chunks, runners, the run store, resume) lives in :mod:`detente.runs.orchestrate`.

References
----------
Campolongo, F., Cariboni, J., & Saltelli, A. (2007). An effective screening design for
    sensitivity analysis of large models. Environmental Modelling & Software, 22(10).
Ishigami, T., & Homma, T. (1990). An importance quantification technique in uncertainty
    analysis for computer models. ISUMA '90.
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
    Technometrics, 33(2).
Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity indices.
    Computer Physics Communications, 145(2).
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., & Tarantola, S. (2010).
    Variance based sensitivity analysis of model output. Computer Physics Communications, 181(2).
"""

from __future__ import annotations

import fnmatch
import hashlib
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detente.errors import OptionsError, Problem

METHODS = ("sobol", "morris", "grid")
MAX_SWEEP_EVALUATIONS = 1_000_000
MORRIS_LEVELS = 4


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepInput:
    """One swept number: its name, its interval ``[lo, hi]`` and its point value ``base``."""

    name: str
    lo: float
    hi: float
    base: float

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "lo": self.lo, "hi": self.hi, "base": self.base}


def scenario_inputs(arrays: Any) -> list[SweepInput]:
    """Every ranged number of a scenario, as sweep inputs (file order: actors, then issues).

    Parameters
    ----------
    arrays : ScenarioArrays
        From ``Scenario.arrays()``: ``capability_range`` (n, 2), ``position_range`` and
        ``salience_range`` (n, d, 2); a number without range has ``lo == hi`` and is skipped.

    Returns
    -------
    list of SweepInput
        Names ``capability.<actor>``, ``position.<actor>.<issue>``, ``salience.<actor>.<issue>``.
    """
    out: list[SweepInput] = []
    for a, actor in enumerate(arrays.actor_ids):
        lo, hi = (float(v) for v in arrays.capability_range[a])
        if hi > lo:
            out.append(SweepInput(f"capability.{actor}", lo, hi, float(arrays.capability[a])))
    for a, actor in enumerate(arrays.actor_ids):
        for k, issue in enumerate(arrays.issue_ids):
            if not arrays.present[a, k]:
                continue
            for fld, rng, val in (("position", arrays.position_range, arrays.position),
                                  ("salience", arrays.salience_range, arrays.salience)):
                lo, hi = (float(v) for v in rng[a, k])
                if hi > lo:
                    out.append(SweepInput(f"{fld}.{actor}.{issue}", lo, hi, float(val[a, k])))
    return out


def extra_inputs(extra: Sequence[tuple[str, float, float]] | None) -> list[SweepInput]:
    """Named extra parameters ``(name, lo, hi)`` (policy assumptions, bridge-rule parameters).

    The base value is the interval's midpoint.
    """
    out = []
    for item in extra or ():
        name, lo, hi = item
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
            raise OptionsError(f"extra parameter {name!r} has no interval",
                               [Problem(f"[{lo}, {hi}] is empty or not finite", path="--param",
                                        allowed="NAME=LO:HI with LO < HI")])
        out.append(SweepInput(str(name), float(lo), float(hi), (float(lo) + float(hi)) / 2))
    return out


def select_inputs(inputs: Sequence[SweepInput], patterns: Sequence[str] | None
                  ) -> list[SweepInput]:
    """The inputs whose names match any glob in ``patterns`` (all when ``patterns`` is empty)."""
    if not patterns:
        return list(inputs)
    chosen = [i for i in inputs if any(fnmatch.fnmatchcase(i.name, p) for p in patterns)]
    if not chosen:
        raise OptionsError("no sweep input matches --inputs",
                           [Problem(f"{list(patterns)} matches none of {len(inputs)} inputs",
                                    path="--inputs",
                                    allowed="globs such as 'capability.*' or "
                                            "'position.DPRK.*'")])
    return chosen


# --------------------------------------------------------------------------------------------
# designs
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Design:
    """A sweep's sample matrix and what SALib needs to analyse it.

    Attributes
    ----------
    method : {"sobol", "morris", "grid"}
    inputs : tuple of SweepInput, length k
    samples : int
        The ``--samples`` asked for (Sobol' base samples N, Morris trajectories, grid budget).
    X : ndarray of shape (n_evaluations, k)
        One row per model evaluation; column j is input j.
    levels : int
        Morris levels, or grid points per input (0 for Sobol').
    """

    method: str
    inputs: tuple[SweepInput, ...]
    samples: int
    X: np.ndarray
    levels: int = 0

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.inputs]

    @property
    def n_evaluations(self) -> int:
        return int(self.X.shape[0])

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem dict."""
        return {"num_vars": len(self.inputs), "names": self.names,
                "bounds": [[i.lo, i.hi] for i in self.inputs]}

    def sha256(self) -> str:
        """Hash of the sample matrix (checked on resume: the design must regenerate exactly)."""
        return hashlib.sha256(np.ascontiguousarray(self.X, dtype="<f8").tobytes()).hexdigest()

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.X, columns=self.names)


def _int_seed(root: int, purpose: int) -> int:
    """A 32-bit seed for SALib, derived from the root seed for one ``purpose`` (no overlap with
    the chunk streams, whose spawn keys are the chunk indices)."""
    ss = np.random.SeedSequence(root, spawn_key=(2**31 + purpose,))
    return int(ss.generate_state(1, dtype=np.uint32)[0])


def make_design(method: str, inputs: Sequence[SweepInput], samples: int, seed: int) -> Design:
    """Lay out the sample matrix.

    Parameters
    ----------
    method : {"sobol", "morris", "grid"}
        ``sobol``: Saltelli's scheme on a scrambled Sobol' sequence (SALib ``sample.sobol``,
        ``calc_second_order=False``): ``samples`` (a power of two) base rows give
        ``samples × (k + 2)`` evaluations. ``morris``: ``samples`` one-at-a-time trajectories on a
        4-level grid (Morris 1991), ``samples × (k + 1)`` evaluations. ``grid``: full factorial
        with ``L = max(2, ⌊samples^(1/k)⌋)`` evenly spaced points per input, ``L^k`` evaluations.
    inputs : sequence of SweepInput
    samples : int
    seed : int
        Root seed; the Sobol' scrambling and Morris trajectories are drawn from it.
    """
    inputs = tuple(inputs)
    k = len(inputs)
    problems = []
    if method not in METHODS:
        problems.append(Problem(f"unknown method {method!r}", path="--method",
                                allowed=" | ".join(METHODS)))
    if k == 0:
        problems.append(Problem("nothing to sweep: no input has a range", path="inputs",
                                allowed="add `range: [lo, hi]` to scenario numbers, or --param "
                                        "NAME=LO:HI"))
    if samples < 1:
        problems.append(Problem(f"--samples {samples} must be positive", path="--samples",
                                allowed="an integer ≥ 1"))
    elif method == "sobol" and samples & (samples - 1):
        lower = 1 << (samples.bit_length() - 1)
        problems.append(Problem(f"--samples {samples} is not a power of two (Sobol' sequences "
                                "keep their balance only at powers of two)", path="--samples",
                                allowed=f"{lower} or {lower * 2}"))
    per_sample = {"sobol": k + 2, "morris": k + 1}.get(method)
    if not problems and per_sample is not None and samples * per_sample > MAX_SWEEP_EVALUATIONS:
        # refuse before SALib allocates the design (10 M Morris trajectories crashed it)
        fits = MAX_SWEEP_EVALUATIONS // per_sample
        if method == "sobol":
            fits = 1 << (fits.bit_length() - 1)
        problems.append(Problem(
            f"--samples {samples:,} gives {samples * per_sample:,} evaluations, above the "
            f"{MAX_SWEEP_EVALUATIONS:,} limit", path="--samples",
            allowed=f"at most {fits:,} samples for {k} inputs"))
    if problems:
        raise OptionsError("invalid sweep design", problems)
    names = [i.name for i in inputs]
    problem = {"num_vars": k, "names": names, "bounds": [[i.lo, i.hi] for i in inputs]}
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        X = sobol_sample.sample(problem, samples, calc_second_order=False, scramble=True,
                                seed=_int_seed(seed, 0))
        levels = 0
    elif method == "morris":
        from SALib.sample import morris as morris_sample

        X = morris_sample.sample(problem, samples, num_levels=MORRIS_LEVELS,
                                 seed=_int_seed(seed, 1))
        levels = MORRIS_LEVELS
    else:
        levels = max(2, math.floor(samples ** (1.0 / k) + 1e-9))
        total = levels**k
        if total > MAX_SWEEP_EVALUATIONS:
            raise OptionsError(
                f"a grid over {k} inputs needs at least 2^{k} evaluations",
                [Problem(f"{levels}^{k} = {total:.3g} evaluations is above the "
                         f"{MAX_SWEEP_EVALUATIONS:,} limit", path="--method grid",
                         allowed="fewer inputs (--inputs 'capability.*') or --method "
                                 "sobol | morris")])
        axes = [np.linspace(i.lo, i.hi, levels) for i in inputs]
        X = np.stack([m.ravel() for m in np.meshgrid(*axes, indexing="ij")], axis=1)
    return Design(method=method, inputs=inputs, samples=int(samples),
                  X=np.ascontiguousarray(X, dtype=np.float64), levels=levels)


# --------------------------------------------------------------------------------------------
# sweep models
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepModel:
    """A model a sweep can evaluate, registered by name.

    Attributes
    ----------
    name : str
    prepare : callable ``(scenario, inputs, options) -> context``
        Called once in the coordinating process. ``inputs`` are the swept inputs (in design
        column order); ``options`` the model's settings. The returned context is sent once to
        every worker, so it must be picklable and small (arrays, not the Scenario).
    evaluate : callable ``(context, X, seed) -> dict[str, ndarray]``
        Evaluate a batch ``X`` of shape ``(m, k)``; return each named scalar outcome as an
        array of shape ``(m,)``. ``seed`` is the chunk's ``numpy.random.SeedSequence``: a
        stochastic model must draw from it only, so results do not depend on the executor.
    inputs : callable ``(scenario, options) -> list[SweepInput]``
        The model's default inputs (for ``bargaining``: the scenario's ranged numbers).
    outputs : callable ``(scenario, options) -> list[str]``
        Names of the outcomes ``evaluate`` returns.
    needs_scenario : bool
    default_chunk : int
        Evaluations per chunk (a unit of work and of commit); fixed per run, so results do not
        depend on the worker count.
    description : str

    Notes
    -----
    The callables must be module-level functions (not lambdas or closures): the model is
    pickled to pool and Dask workers, which import the defining module.
    """

    name: str
    prepare: Callable[[Any, Sequence[SweepInput], Mapping[str, Any]], Any]
    evaluate: Callable[[Any, np.ndarray, np.random.SeedSequence], dict[str, np.ndarray]]
    inputs: Callable[[Any, Mapping[str, Any]], list[SweepInput]]
    outputs: Callable[[Any, Mapping[str, Any]], list[str]]
    needs_scenario: bool = True
    default_chunk: int = 256
    description: str = ""


SWEEP_MODELS: dict[str, SweepModel] = {}


def register_sweep_model(model: SweepModel) -> SweepModel:
    """Add ``model`` to :data:`SWEEP_MODELS` (replacing one of the same name)."""
    SWEEP_MODELS[model.name] = model
    return model


def get_sweep_model(name: str) -> SweepModel:
    try:
        return SWEEP_MODELS[name]
    except KeyError:
        raise OptionsError(f"unknown sweep model {name!r}",
                           [Problem("not a registered sweep model", path="--model",
                                    allowed=" | ".join(sorted(SWEEP_MODELS)))]) from None


def select_outputs(available: Sequence[str], patterns: Sequence[str] | None) -> list[str]:
    """The outputs matching any glob in ``patterns`` (all when empty), in model order."""
    if not patterns:
        return list(available)
    chosen = [o for o in available if any(fnmatch.fnmatchcase(o, p) for p in patterns)]
    if not chosen:
        raise OptionsError("no model output matches --outputs",
                           [Problem(f"{list(patterns)} matches nothing", path="--outputs",
                                    allowed=", ".join(available))])
    return chosen


# -- Ishigami ----------------------------------------------------------------------------------

ISHIGAMI_A = 7.0
ISHIGAMI_B = 0.1


def ishigami(X: np.ndarray, a: float = ISHIGAMI_A, b: float = ISHIGAMI_B) -> np.ndarray:
    r"""The Ishigami function (Ishigami & Homma 1990).

    .. math:: f(x) = \sin x_1 + a \sin^2 x_2 + b\, x_3^4 \sin x_1, \quad x_i \sim U(-\pi, \pi)

    Parameters
    ----------
    X : ndarray of shape (m, 3)
    """
    x1, x2, x3 = X[:, 0], X[:, 1], X[:, 2]
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def _ishigami_inputs(scenario: Any, options: Mapping[str, Any]) -> list[SweepInput]:
    return [SweepInput(f"x{i}", -math.pi, math.pi, 0.0) for i in (1, 2, 3)]


def _ishigami_prepare(scenario: Any, inputs: Sequence[SweepInput], options: Mapping[str, Any]
                      ) -> dict[str, Any]:
    names = [i.name for i in inputs]
    if names != ["x1", "x2", "x3"]:
        raise OptionsError("the ishigami model takes exactly the inputs x1, x2, x3",
                           [Problem(f"got {names}", path="--inputs", allowed="x1, x2, x3")])
    return {"a": float(options.get("a", ISHIGAMI_A)), "b": float(options.get("b", ISHIGAMI_B))}


def _ishigami_evaluate(context: Mapping[str, Any], X: np.ndarray, seed: np.random.SeedSequence
                       ) -> dict[str, np.ndarray]:
    return {"y": ishigami(X, context["a"], context["b"])}


def _ishigami_outputs(scenario: Any, options: Mapping[str, Any]) -> list[str]:
    return ["y"]


register_sweep_model(SweepModel(
    name="ishigami", prepare=_ishigami_prepare, evaluate=_ishigami_evaluate,
    inputs=_ishigami_inputs, outputs=_ishigami_outputs, needs_scenario=False,
    default_chunk=4096,
    description="Ishigami & Homma (1990) test function, a=7, b=0.1; known Sobol' indices"))


# -- bargaining ----------------------------------------------------------------------------------
# (registered in detente.runs.models to keep this module free of engine imports)


# --------------------------------------------------------------------------------------------
# analysis
# --------------------------------------------------------------------------------------------

INDEX_COLUMNS = ["output", "input", "index", "value", "conf"]


def analysis_context(design: Design, seed: int, *, conf_level: float = 0.95,
                     num_resamples: int = 200) -> dict[str, Any]:
    """What :func:`analyse_output` needs from a design: small enough to ship to workers.

    The sample matrix is included only where the method needs it (Morris, grid); Sobol'
    indices need only the row count and the problem.
    """
    return {"method": design.method, "problem": design.problem, "names": design.names,
            "n": design.n_evaluations, "levels": design.levels,
            "X": None if design.method == "sobol" else design.X,
            "boot_seed": _int_seed(seed, 2), "conf_level": conf_level,
            "num_resamples": num_resamples}


def analyse_output(context: Mapping[str, Any], task: tuple[str, np.ndarray]
                   ) -> list[tuple[str, str, str, float, float]]:
    """Indices of one output (rows of :func:`analyse`'s table); a runner task.

    ``context`` is :func:`analysis_context`; ``task`` is ``(output name, Y)`` with ``Y`` of
    shape (n_evaluations,). The bootstrap seed is the same for every output and every
    executor, so the indices do not depend on where they are computed.
    """
    out, Y = task
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    names, method = context["names"], context["method"]
    if Y.shape[0] != context["n"]:
        raise ValueError(f"{out}: {Y.shape[0]} evaluations for {context['n']} rows")
    # an output that does not vary (to rounding) has no variance to apportion
    constant = (not np.isfinite(Y).all()
                or float(np.ptp(Y)) <= 1e-9 * max(1.0, float(np.abs(Y).max())))
    kw = {"num_resamples": context["num_resamples"], "conf_level": context["conf_level"],
          "seed": context["boot_seed"]}
    rows: list[tuple[str, str, str, float, float]] = []
    if method == "sobol":
        if constant:
            res = {k: np.zeros(len(names)) for k in ("S1", "S1_conf", "ST", "ST_conf")}
        else:
            from SALib.analyze import sobol as sobol_analyze

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = sobol_analyze.analyze(context["problem"], Y, calc_second_order=False, **kw)
        for j, name in enumerate(names):
            rows.append((out, name, "S1", float(res["S1"][j]), float(res["S1_conf"][j])))
            rows.append((out, name, "ST", float(res["ST"][j]), float(res["ST_conf"][j])))
    elif method == "morris":
        if constant:
            res = {k: np.zeros(len(names)) for k in ("mu", "mu_star", "sigma", "mu_star_conf")}
        else:
            from SALib.analyze import morris as morris_analyze

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = morris_analyze.analyze(context["problem"], context["X"], Y,
                                             num_levels=context["levels"], **kw)
        for j, name in enumerate(names):
            rows.append((out, name, "mu", float(res["mu"][j]), math.nan))
            rows.append((out, name, "mu_star", float(res["mu_star"][j]),
                         float(res["mu_star_conf"][j])))
            rows.append((out, name, "sigma", float(res["sigma"][j]), math.nan))
    else:
        total_var = float(np.var(Y))
        X = context["X"]
        for j, name in enumerate(names):
            if constant or total_var == 0.0:
                rows.append((out, name, "main", 0.0, 0.0))
                continue
            # main effect: variance over the levels of x_j of the mean of Y at that level
            means = pd.Series(Y).groupby(X[:, j]).mean()
            rows.append((out, name, "main", float(np.var(means.to_numpy()) / total_var),
                         math.nan))
    return rows


def analyse(design: Design, evaluations: pd.DataFrame, seed: int, *,
            conf_level: float = 0.95, num_resamples: int = 200) -> pd.DataFrame:
    """Sensitivity indices of every output column of ``evaluations``.

    Parameters
    ----------
    design : Design
    evaluations : DataFrame of shape (n_evaluations, n_outputs)
        Row i is the model at ``design.X[i]``.
    seed : int
        Root seed of the run (the bootstrap resamples are drawn from it).

    Returns
    -------
    DataFrame with columns ``output, input, index, value, conf``
        ``index`` is ``S1`` and ``ST`` (Sobol'; Saltelli et al. 2010 estimators, ``conf`` the
        half-width of the bootstrap ``conf_level`` interval), ``mu``, ``mu_star``, ``sigma``
        (Morris; ``conf`` on μ* only), or ``main`` (grid: Var(E[Y | x_i]) / Var(Y), no
        interval). An output that does not vary gets indices of 0 with ``conf`` 0.
    """
    context = analysis_context(design, seed, conf_level=conf_level, num_resamples=num_resamples)
    rows = [row for out in evaluations.columns
            for row in analyse_output(context, (str(out), evaluations[out].to_numpy()))]
    return pd.DataFrame(rows, columns=INDEX_COLUMNS)


def ishigami_analytic_indices(a: float = ISHIGAMI_A, b: float = ISHIGAMI_B
                              ) -> dict[str, dict[str, float]]:
    r"""Analytic first-order and total Sobol' indices of the Ishigami function.

    With :math:`x_i \sim U(-\pi, \pi)` (Ishigami & Homma 1990; derivation e.g. in Saltelli
    et al. 2008, *Global Sensitivity Analysis: The Primer*, §4.8):

    .. math::
        V_1 = \tfrac12 (1 + b\pi^4/5)^2,\; V_2 = a^2/8,\; V_{13} = b^2\pi^8 (1/18 - 1/50),
        V = V_1 + V_2 + V_{13}

    so :math:`S_1 = V_1/V,\ S_2 = V_2/V,\ S_3 = 0,\ S_{T1} = (V_1+V_{13})/V,\ S_{T2} = S_2,\
    S_{T3} = V_{13}/V`.
    """
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": {"x1": v1 / v, "x2": v2 / v, "x3": 0.0},
            "ST": {"x1": (v1 + v13) / v, "x2": v2 / v, "x3": v13 / v}}


@dataclass(frozen=True)
class SweepResult:
    """What a finished sweep returns (and what its run stores).

    Attributes
    ----------
    run_id : str
    model, method : str
    design : Design
    evaluations : DataFrame of shape (n_evaluations, n_outputs)
        Row i is the model at ``design.X[i]``.
    indices : DataFrame
        :func:`analyse`'s table.
    seconds : float
        Wall time of this invocation (a resumed sweep counts only its own part).
    """

    run_id: str
    model: str
    method: str
    design: Design
    evaluations: pd.DataFrame
    indices: pd.DataFrame
    seconds: float
    store_path: str = ""
    resumed_chunks: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outputs(self) -> list[str]:
        return list(self.evaluations.columns)

    def tornado(self, output: str, index: str | None = None, top: int = 10) -> pd.DataFrame:
        """The ``top`` inputs by ``index`` for one output, largest first (for a tornado chart).

        ``index`` defaults to ``ST`` (Sobol'), ``mu_star`` (Morris) or ``main`` (grid).
        """
        return tornado_frame(self.indices, output, index or default_index(self.method), top)

    def to_frame(self) -> pd.DataFrame:
        """The sensitivity indices (``output, input, index, value, conf``)."""
        return self.indices.copy()

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "model": self.model, "method": self.method,
            "n_evaluations": self.design.n_evaluations, "inputs": self.design.names,
            "outputs": self.outputs, "seconds": self.seconds, "store": self.store_path,
            "indices": self.indices.replace({np.nan: None}).to_dict(orient="records"),
        }


def default_index(method: str) -> str:
    return {"sobol": "ST", "morris": "mu_star", "grid": "main"}[method]


def tornado_frame(indices: pd.DataFrame, output: str, index: str, top: int = 10) -> pd.DataFrame:
    """Rows of ``indices`` for ``output`` and ``index``, sorted by value, largest first."""
    sub = indices[(indices["output"] == output) & (indices["index"] == index)]
    return sub.sort_values("value", ascending=False, kind="stable").head(top).reset_index(drop=True)
