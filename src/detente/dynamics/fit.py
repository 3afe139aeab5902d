"""Fitting the dynamic model: training windows, NUTS and Laplace fits, diagnostics, disk cache.

No leakage by construction: :func:`fit` receives the whole panel but the *only* thing that reads
it is :meth:`TrainingWindow.slice`, which returns the rows up to and including ``until``. The
model arrays, the end state, and the cache key are all built from that slice, so a row after the
origin cannot reach a fit (``tests/dynamics/test_leakage.py`` changes every later row and checks
the posterior is bit-identical).

Two methods:

- ``"nuts"`` (headline): NumPyro's No-U-Turn sampler (Hoffman & Gelman 2014 [1]_), chains run
  sequentially on one CPU device, with split-R̂ and effective sample size per parameter
  (Vehtari et al. 2021 [2]_) reported and checked (:attr:`Posterior.info` ``converged``).
- ``"laplace"`` (rolling-origin back-tests, ~40 fits per run): the posterior mode in NumPyro's
  unconstrained space by L-BFGS, a Gaussian with the inverse Hessian there, mapped back through
  the constraining transforms (the Laplace approximation, e.g. Gelman et al. *BDA3* §13.3 [3]_).
  One compiled potential serves every origin because arrays are padded to fixed lengths.

The posterior is cached on disk under ``$DETENTE_CACHE`` (default ``~/.cache/detente``), keyed
by the hash of the training rows + the model and prior source + the settings; writes are atomic.

References
----------
.. [1] M. D. Hoffman and A. Gelman, "The No-U-Turn Sampler", *JMLR* 15, 2014.
.. [2] A. Vehtari, A. Gelman, D. Simpson, B. Carpenter and P.-C. Bürkner, "Rank-normalization,
   folding, and localization: an improved R̂", *Bayesian Analysis* 16(2), 2021.
.. [3] A. Gelman et al., *Bayesian Data Analysis*, 3rd ed., CRC Press, 2013.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from detente._memo import cache_dir
from detente.dynamics._spec import OBSERVED_COLUMNS, PANEL_COLUMNS, check_variant
from detente.dynamics.posterior import EndState, Posterior
from detente.dynamics.priors import REGIMES, priors_for
from detente.errors import EnvironmentFault, OptionsError, Problem
from detente.limits import draw_problem
from detente.options import check_arguments, constraint, shown

#: R̂ above this, or a bulk ESS below :data:`ESS_MIN`, marks a NUTS fit as not converged.
RHAT_MAX = 1.05
ESS_MIN = 100.0
METHODS = ("nuts", "laplace")


def last_observed_month(panel: pd.DataFrame) -> pd.Period:
    """The last month of ``panel`` in which every column the model reads is observed."""
    columns = [c for c in OBSERVED_COLUMNS if c in panel.columns]
    complete = ~panel[columns].isna().any(axis=1).to_numpy() if columns else None
    if complete is None or complete.all():
        return panel.index.max()
    if not complete.any():
        raise OptionsError("no month of the panel is fully observed", [Problem(
            "every month has an unobserved column", path="panel",
            allowed="detente.evidence.monthly_panel()")])
    return panel.index[np.flatnonzero(complete)[-1]]


@dataclass(frozen=True)
class TrainingWindow:
    """The months a fit may see: ``first`` … ``until`` inclusive (``first=None``: from the start).

    :meth:`slice` is the one gate between the evidence and every fit.
    """

    until: pd.Period
    first: pd.Period | None = None

    @classmethod
    def parse(cls, until: str | pd.Period | None, panel: pd.DataFrame) -> TrainingWindow:
        """Window ending at ``until`` (``YYYY-MM``; None: the panel's last fully observed
        month — a user's added launches may run past the months their diplomacy, tests and
        sanctions cover)."""
        check_panel(panel)
        if until is None:
            return cls(until=last_observed_month(panel))
        try:
            period = pd.Period(until, freq="M")
        except (ValueError, TypeError) as exc:
            raise OptionsError("bad training end", [Problem(
                f"{until!r} is not a month", path="until", allowed="YYYY-MM, e.g. 2023-09")]) \
                from exc
        lo, hi = panel.index.min(), panel.index.max()
        if not (lo < period <= hi):
            raise OptionsError("training end outside the record", [Problem(
                f"until {period} is outside the panel {lo} … {hi}", path="until",
                allowed=f"a month after {lo} and not after {hi}")])
        return cls(until=period)

    def slice(self, panel: pd.DataFrame) -> pd.DataFrame:
        """The rows a fit may see (a copy: later edits of ``panel`` cannot reach it)."""
        if not isinstance(panel.index, pd.PeriodIndex):
            raise OptionsError("the panel index is not monthly periods", [Problem(
                "index is not a PeriodIndex", path="index",
                allowed="detente.evidence.monthly_panel() (PeriodIndex, freq M)")])
        keep = panel.index <= self.until
        if self.first is not None:
            keep &= panel.index >= self.first
        out = panel.loc[keep, list(PANEL_COLUMNS)].copy()
        if len(out) and out.index.max() > self.until:  # pragma: no cover - guard
            raise AssertionError("training slice contains months after the origin")
        return out


def check_panel(panel: object, columns: tuple[str, ...] = ()) -> None:
    """Refuse anything but a monthly panel (a DataFrame on a non-empty monthly PeriodIndex
    holding ``columns``), located at ``panel``, ``index`` or the missing column.

    Raises
    ------
    OptionsError
    """
    allowed = "detente.evidence.monthly_panel() (PeriodIndex, freq M)"
    if not isinstance(panel, pd.DataFrame):
        raise OptionsError("the panel is not a DataFrame", [Problem(
            f"panel {shown(panel)} ({type(panel).__name__}) is not a DataFrame", path="panel",
            allowed=allowed)])
    if not isinstance(panel.index, pd.PeriodIndex) or len(panel) == 0:
        raise OptionsError("the panel index is not monthly periods", [Problem(
            "index is not a non-empty PeriodIndex", path="index", allowed=allowed)])
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise OptionsError("the panel lacks columns", [Problem(
            f"no column {c!r}", path=c, allowed=allowed) for c in missing])


def _load_panel(panel: pd.DataFrame | None) -> pd.DataFrame:
    if panel is not None:
        return panel
    from detente.evidence import monthly_panel

    return monthly_panel()


#: Source files whose text keys the cache (a change to any of them invalidates cached fits).
MODEL_SOURCES: tuple[str, ...] = ("model.py", "priors.py", "_spec.py", "_memory.py")


@functools.cache
def model_hash() -> str:
    """Hash of the model, prior, data-contract and memory-kernel sources.

    Read as files rather than through ``inspect`` so that a cache hit never imports the model
    (and with it JAX and NumPyro).
    """
    folder = resources.files("detente.dynamics")
    text = "".join(folder.joinpath(name).read_text(encoding="utf-8") for name in MODEL_SOURCES)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def data_hash(train: pd.DataFrame) -> str:
    """Hash of the training rows only (month, and every column the model reads)."""
    payload = train.to_csv(lineterminator="\n").encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def end_state(train: pd.DataFrame) -> EndState:
    """The state of the last training month (start of every simulation)."""
    last = train.iloc[-1]
    recent = train["unsc_resolution"].to_numpy(dtype=float)[-120:]
    return EndState(last_month=str(train.index[-1]),
                    launch_events=train["launch_events"].to_numpy(dtype=np.int64),
                    regime=REGIMES.index(str(last["regime"])),
                    unsc_resolution=int(last["unsc_resolution"]), leader=str(last["leader"]),
                    unsc_resolution_rate=float(recent.mean()))


def fit(panel: pd.DataFrame | None = None, *, until: str | None = None, variant: str = "full",
        method: str = "nuts", chains: int = 2, warmup: int = 500, samples: int = 500,
        seed: int | None = None, cache: bool = True) -> Posterior:
    """Fit the dynamic model on the months up to ``until``.

    Parameters
    ----------
    panel : DataFrame, optional
        A monthly panel in the :func:`detente.evidence.monthly_panel` format; default the cited
        history. Only :meth:`TrainingWindow.slice` reads it.
    until : str, optional
        Last training month ``YYYY-MM`` (inclusive); default the last month of the panel.
    variant : {"full", "no_policy"}
        Model variant (see :mod:`detente.dynamics.model`).
    method : {"nuts", "laplace"}
        NUTS (headline) or Laplace approximation (fast, for back-tests).
    chains, warmup, samples : int
        NUTS settings (chains run sequentially); for Laplace, ``chains * samples`` draws.
    seed : int, optional
        PRNG seed; same seed and data, same posterior (and the same cache entry). None draws
        one, recorded in ``info["settings"]``.
    cache : bool
        Read and write the on-disk cache.

    Returns
    -------
    Posterior
    """
    from detente.bargaining.montecarlo import resolve_seed

    seed = resolve_seed(seed) % 2**32  # JAX's PRNGKey takes 32 bits
    check_variant(variant)
    check_arguments("invalid fit options", {
        "method": (method, constraint(choices=METHODS, words=", ".join(METHODS))),
        "chains": (chains, constraint(interval=(1, math.inf), integer=True)),
        "warmup": (warmup, constraint(interval=(0, math.inf), integer=True)),
        "samples": (samples, constraint(interval=(1, math.inf), integer=True)),
        "cache": (cache, constraint(flag=True)),
    })
    # posterior draws held at once: chains × samples draws of every parameter and the 3 × 3 chain
    too_many = draw_problem(int(chains) * int(samples),
                            {"parameters": len(priors_for(variant)) + len(REGIMES) ** 2})
    if too_many is not None:
        raise OptionsError("too many posterior draws for this machine", [dataclasses.replace(
            too_many, path="samples", message="chains × samples: " + too_many.message)])
    full_panel = _load_panel(panel)
    window = TrainingWindow.parse(until, full_panel)
    train = window.slice(full_panel)  # the only read of the panel
    del full_panel

    settings = {"variant": variant, "method": method, "chains": int(chains),
                "warmup": int(warmup), "samples": int(samples), "seed": int(seed)}
    key = posterior_key(train, settings)
    path = cache_dir() / f"dynamics-{key}.npz"
    if cache and path.exists():
        cached = _read_cache(path)
        if cached is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # used now: the last posterior the size bound removes
            return cached

    if cache:  # before the fit: a cache that cannot take it must not cost the fit
        _check_cache_folder(path.parent)
        _use_compilation_cache(path.parent / "jax")
    from detente.dynamics.model import model_data, sample_transition  # JAX: only on a miss

    data = model_data(train)
    started = time.perf_counter()
    if method == "nuts":
        draws, diagnostics, info = _fit_nuts(data, variant, chains, warmup, samples, seed)
    else:
        draws, diagnostics, info = _fit_laplace(data, variant, chains * samples, seed)
    draws["transition"] = sample_transition(data, len(next(iter(draws.values()))), seed)
    info.update(settings=settings, key=key, seconds=time.perf_counter() - started,
                data_hash=data_hash(train), model_hash=model_hash(), n_months=len(train))
    posterior = Posterior(samples=draws, variant=variant, method=method,
                          first_month=str(train.index[0]), until=str(train.index[-1]),
                          state=end_state(train), diagnostics=diagnostics, info=info)
    if cache:
        try:
            _write_cache(path, posterior)
        except OSError as exc:
            raise _cache_fault(path.parent, exc) from None
        from detente._memo import bound_folder
        from detente.limits import max_posterior_cache_bytes

        bound_folder(path.parent, "dynamics-*.npz", max_posterior_cache_bytes(), keep=path)
    return posterior


# ----------------------------------------------------------------------------------------------
# NUTS


def _fit_nuts(data, variant: str, chains: int, warmup: int, samples: int,
              seed: int) -> tuple[dict[str, np.ndarray], pd.DataFrame, dict]:
    import jax
    import jax.numpy as jnp
    from numpyro.diagnostics import summary
    from numpyro.infer import MCMC, NUTS

    from detente.dynamics.model import dprk_testing_model

    kernel = NUTS(dprk_testing_model, target_accept_prob=0.9)
    mcmc = MCMC(kernel, num_warmup=warmup, num_samples=samples, num_chains=chains,
                chain_method="sequential", progress_bar=False)
    z0 = {k: jnp.full((chains,), v, dtype=jnp.float32) if chains > 1 else jnp.float32(v)
          for k, v in initial_values(variant).items()}
    mcmc.run(jax.random.PRNGKey(seed), data=data, variant=variant, init_params=z0,
             extra_fields=("diverging",))
    by_chain = {k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}
    stats = summary(by_chain, prob=0.9, group_by_chain=True)
    rows = []
    for name, s in stats.items():
        r_hat, n_eff = np.asarray(s["r_hat"]), np.asarray(s["n_eff"])
        rows.append({"parameter": name, "r_hat": float(r_hat), "ess": float(n_eff)})
    diagnostics = pd.DataFrame(rows).set_index("parameter")
    draws = {k: v.reshape((-1, *v.shape[2:])) for k, v in by_chain.items()}
    divergences = int(np.asarray(mcmc.get_extra_fields()["diverging"]).sum())
    # R-hat is undefined for one chain: judge that case on ESS and divergences only
    r_ok = chains < 2 or bool(np.nanmax(diagnostics["r_hat"]) <= RHAT_MAX)
    info = {"divergences": divergences, "max_r_hat": float(np.nanmax(diagnostics["r_hat"])),
            "min_ess": float(np.nanmin(diagnostics["ess"])),
            "converged": bool(r_ok and np.nanmin(diagnostics["ess"]) >= ESS_MIN
                              and divergences == 0)}
    return draws, diagnostics, info


# ----------------------------------------------------------------------------------------------
# Laplace approximation


def initial_values(variant: str) -> dict[str, float]:
    """Start of the optimiser and of NUTS, in NumPyro's unconstrained space: the prior medians.

    Normal sites are unconstrained; HalfNormal and LogNormal sites live on the log scale and
    Beta sites on the logit scale (NumPyro's ``biject_to`` of their supports).
    """
    out = {}
    for spec in priors_for(variant):
        median = float(spec.frozen_scipy().median())
        if spec.dist == "normal":
            out[spec.name] = median
        elif spec.dist == "beta":
            out[spec.name] = float(np.log(median / (1.0 - median)))
        else:
            out[spec.name] = float(np.log(median))
    return out


@functools.cache
def _laplace_functions(variant: str):
    """Jitted potential (value and gradient) and constraining map for ``variant``."""
    import jax
    from numpyro.infer.util import constrain_fn, potential_energy

    from detente.dynamics.model import dprk_testing_model

    def potential(z, data):
        return potential_energy(dprk_testing_model, (), {"data": data, "variant": variant}, z)

    def constrain(z, data):
        return constrain_fn(dprk_testing_model, (), {"data": data, "variant": variant}, z)

    return jax.jit(jax.value_and_grad(potential)), jax.jit(jax.vmap(constrain, in_axes=(0, None)))


def _fit_laplace(data, variant: str, n_draws: int,
                 seed: int) -> tuple[dict[str, np.ndarray], pd.DataFrame, dict]:
    import jax
    import jax.numpy as jnp
    from scipy.optimize import minimize

    value_and_grad, constrain = _laplace_functions(variant)
    names = [spec.name for spec in priors_for(variant)]
    z0 = np.array([initial_values(variant)[n] for n in names])
    data_j = jax.tree_util.tree_map(jnp.asarray, data)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        z = {n: jnp.asarray(v, dtype=jnp.float32) for n, v in zip(names, x, strict=True)}
        v, g = value_and_grad(z, data_j)
        return float(v), np.array([float(g[n]) for n in names])

    result = minimize(objective, z0, jac=True, method="L-BFGS-B", options={"maxiter": 3000})
    mode = result.x
    # Hessian by central differences of the (compiled) gradient: no second compile
    step = 1e-2
    h = np.empty((mode.size, mode.size))
    for i in range(mode.size):
        e = np.zeros(mode.size)
        e[i] = step
        h[i] = (objective(mode + e)[1] - objective(mode - e)[1]) / (2 * step)
    h = 0.5 * (h + h.T)
    eigval, eigvec = np.linalg.eigh(h)
    eigval = np.clip(eigval, 1e-3, None)  # non-positive curvature: treat as flat (sd ≤ 30)
    cov_root = eigvec / np.sqrt(eigval)  # cov = V diag(1/λ) V' = cov_root cov_root'
    rng = np.random.default_rng(seed)
    z = mode + rng.standard_normal((n_draws, mode.size)) @ cov_root.T
    z_tree = {n: jnp.asarray(z[:, i], dtype=jnp.float32) for i, n in enumerate(names)}
    constrained = constrain(z_tree, data_j)
    draws = {n: np.asarray(constrained[n], dtype=float) for n in names}
    diagnostics = pd.DataFrame({"r_hat": np.nan, "ess": float(n_draws)},
                               index=pd.Index(names, name="parameter"))
    info = {"optimizer_converged": bool(result.success), "optimizer_message": str(result.message),
            "grad_norm": float(np.linalg.norm(objective(mode)[1])),
            "min_curvature": float(np.linalg.eigvalsh(h).min()),
            "converged": bool(result.success), "divergences": 0}
    return draws, diagnostics, info


# ----------------------------------------------------------------------------------------------
# cache


def posterior_key(train: pd.DataFrame, settings: dict[str, object]) -> str:
    """The posterior cache's key: the training data, the model source, the fit's settings and
    the numeric libraries' instruction-set level (:func:`detente.numerics.level`; a posterior
    drawn at another level holds other draws, so it must not answer for this one)."""
    from detente.numerics import level

    return hashlib.sha256(json.dumps([data_hash(train), model_hash(), settings, level()],
                                     sort_keys=True).encode()).hexdigest()[:24]


def _cache_fault(folder: Path, exc: OSError) -> EnvironmentFault:
    return EnvironmentFault(f"cannot write the fit cache in {folder}", [Problem(
        exc.strerror or type(exc).__name__, path="DETENTE_CACHE",
        allowed="a writable folder: set DETENTE_CACHE to one, or free disk space")])


def _use_compilation_cache(folder: Path) -> None:
    """Keep JAX's compiled programs in ``folder`` (beside the cached posteriors), unless the
    user configured a compilation cache of their own.

    More than half of a cold NUTS fit is XLA compiling the same few hundred programs; with
    the persistent cache a second machine-cold fit (a new seed, a new training window) skips
    most of it (issue 16). The compiled code is the same, so the draws are identical
    (tests/dynamics/test_fit.py). Called when a fit is about to run, never on import.
    """
    import jax

    if jax.config.jax_compilation_cache_dir:  # the user's own choice wins
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # an unusable folder only costs compile time; the fit cache check reports it
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)


def _check_cache_folder(folder: Path) -> None:
    """Create the cache folder and prove it takes a file, or raise :class:`EnvironmentFault`."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        raise _cache_fault(folder, exc) from None


def _write_cache(path: Path, posterior: Posterior) -> None:
    """Write ``posterior`` to ``path`` atomically (:func:`detente._io.atomic_file`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"variant": posterior.variant, "method": posterior.method,
            "first_month": posterior.first_month, "until": posterior.until,
            "state": {"last_month": posterior.state.last_month, "regime": posterior.state.regime,
                      "unsc_resolution": posterior.state.unsc_resolution,
                      "leader": posterior.state.leader,
                      "unsc_resolution_rate": posterior.state.unsc_resolution_rate},
            "diagnostics": posterior.diagnostics.reset_index().to_dict(orient="list"),
            "info": posterior.info}
    arrays = {f"sample__{k}": v for k, v in posterior.samples.items()}
    arrays["state__launch_events"] = posterior.state.launch_events
    from detente._io import atomic_file

    with atomic_file(path, "wb") as handle:
        np.savez(handle, __meta__=np.array(json.dumps(meta, default=float)), **arrays)


def _read_cache(path: Path) -> Posterior | None:
    """The cached posterior, or None if the file is unreadable (it is then refitted)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(str(npz["__meta__"]))
            samples = {k.removeprefix("sample__"): npz[k] for k in npz.files
                       if k.startswith("sample__")}
            launch_events = npz["state__launch_events"]
    except (OSError, ValueError, KeyError):
        return None
    diagnostics = pd.DataFrame(meta["diagnostics"]).set_index("parameter")
    state = EndState(launch_events=launch_events, **meta["state"])
    return Posterior(samples=samples, variant=meta["variant"], method=meta["method"],
                     first_month=meta["first_month"], until=meta["until"], state=state,
                     diagnostics=diagnostics, info={**meta["info"], "cached": True})


# ----------------------------------------------------------------------------------------------
# frequentist cross-check


#: Coefficient names of :func:`frequentist_check`, in the model's parameter names.
GLM_TERMS: tuple[str, ...] = ("log_base_rate", "log_rate_ratio_dialogue", "log_rate_ratio_crisis",
                              "sanctions_effect", "leader_kim_jong_il", "leader_kim_jong_un",
                              "season_cos", "season_sin", "self_excitation")


def frequentist_check(panel: pd.DataFrame | None = None, *, until: str | None = None,
                      memory_decay: float = 0.6) -> pd.DataFrame:
    """Maximum-likelihood NB2 regression of launch events with the model's covariates.

    The launch-event part of :mod:`detente.dynamics.model` with the memory decay δ fixed (it
    enters non-linearly) and flat priors, fitted by ``statsmodels.discrete.NegativeBinomial``
    (NB2, Greene 2008 / Hilbe 2011 notation, ``alpha = 1/φ``) on the same training slice: a fast
    frequentist cross-check of the Bayesian fit.

    Returns
    -------
    DataFrame
        Index :data:`GLM_TERMS` plus ``concentration``; columns ``estimate``, ``se``,
        ``ci_low``, ``ci_high`` (95 %, Wald; for ``concentration`` the Wald interval of alpha
        mapped to 1/alpha).
    """
    import statsmodels.api as sm

    from detente.dynamics._memory import lagged_launch_events, memory_weights

    full_panel = _load_panel(panel)
    train = TrainingWindow.parse(until, full_panel).slice(full_panel)
    y = train["launch_events"].to_numpy(dtype=float)
    regime = train["regime"].astype(str).to_numpy()
    angle = 2.0 * np.pi * train.index.month.to_numpy() / 12.0
    memory = lagged_launch_events(y) @ memory_weights(memory_decay)
    unsc = train["unsc_resolution"].to_numpy(dtype=float)
    exog = np.column_stack([
        np.ones_like(y), regime == "dialogue", regime == "crisis",
        np.concatenate([[0.0], unsc[:-1]]), train["leader"].to_numpy() == "Kim Jong Il",
        train["leader"].to_numpy() == "Kim Jong Un", np.cos(angle), np.sin(angle),
        np.log1p(memory)]).astype(float)
    result = sm.NegativeBinomial(y, exog, loglike_method="nb2").fit(disp=0, maxiter=500)
    params, se = np.asarray(result.params), np.asarray(result.bse)
    ci = np.asarray(result.conf_int(0.05))
    table = pd.DataFrame({"estimate": params[:-1], "se": se[:-1], "ci_low": ci[:-1, 0],
                          "ci_high": ci[:-1, 1]}, index=pd.Index(GLM_TERMS, name="parameter"))
    alpha, alpha_ci = params[-1], ci[-1]
    table.loc["concentration"] = [1.0 / alpha, se[-1] / alpha**2, 1.0 / alpha_ci[1],
                                  1.0 / max(alpha_ci[0], 1e-12)]
    return table
