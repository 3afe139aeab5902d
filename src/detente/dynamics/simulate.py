r"""Forward simulation of the dynamic model: trajectories under policy levers.

The generative form of :mod:`detente.dynamics.model`, in numpy, vectorised over draws (one
Python step per month, none per draw). Each month, for every draw :math:`d`:

1. regime :math:`r_t \sim \operatorname{Categorical}(P^{(d)}_{r_{t-1}\cdot})` (levers may
   overwrite the entries into and out of dialogue),
2. :math:`\mu_t` from the module equation for :math:`\log\mu_t` with the draw's parameters,
3. :math:`y_t \sim \operatorname{NB2}(\mu_t, \phi)` as a gamma–Poisson mixture, capped at the
   month's number of days (launch events are distinct launch days),
   :math:`z_t = y_t + \operatorname{NB2}(\omega y_t, \psi y_t)`,
   :math:`n_t \sim \operatorname{Bernoulli}(\operatorname{logit}^{-1}(\nu_0 + \nu_D[r_t=D]))`,
4. :math:`u_t \sim \operatorname{Bernoulli}(\text{unsc\_resolution\_rate})` (exogenous), and
   :math:`y_t` joins the last :math:`K` months that make the launch memory :math:`M_{t+1}`.

The leader is held at the last training month's leader. Same seed, same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detente.dynamics._memory import MAX_LOG_RATE, MEMORY_LAGS, memory_weights
from detente.dynamics.posterior import EndState, Posterior
from detente.dynamics.priors import CRISIS, DIALOGUE, LEVERS, REGIMES, STALEMATE
from detente.errors import OptionsError, Problem
from detente.limits import draw_problem
from detente.options import check_arguments, constraint

#: Most months one simulation runs (the horizon plus any gap before ``start``): a century. The
#: leader and the end state are held fixed, so a longer run means nothing (and a hostile
#: ``months=10**9`` would run for hours, one Python step per month).
MAX_SIMULATED_MONTHS = 1200


@dataclass(frozen=True)
class Trajectories:
    """Simulated monthly paths; every array has shape (n_draws, n_months) unless stated.

    Parameters
    ----------
    months : PeriodIndex of length n_months
    launch_events, missiles, nuclear_test, unsc_resolution : ndarray of int
    regime : ndarray of int8, codes of ``priors.REGIMES``
    launch_rate : ndarray of float
        The conditional mean :math:`\\mu_t` of each draw's launch-event count (for exact
        mixture scores).
    concentration : ndarray of shape (n_draws,)
        The NB2 concentration :math:`\\phi` of each draw.
    nuclear_prob : ndarray of float
        The conditional probability of a nuclear test in each draw and month.
    levers : dict
        The lever values used (unset levers are absent).
    seed : int
    """

    months: pd.PeriodIndex
    launch_events: np.ndarray
    missiles: np.ndarray
    nuclear_test: np.ndarray
    regime: np.ndarray
    unsc_resolution: np.ndarray
    launch_rate: np.ndarray
    concentration: np.ndarray
    nuclear_prob: np.ndarray
    levers: dict = field(default_factory=dict)
    seed: int = 0

    @property
    def n_draws(self) -> int:
        return int(self.launch_events.shape[0])

    def p_nuclear_within(self, months: int = 12) -> float:
        """P(at least one nuclear test in the first ``months`` months), Rao–Blackwellised."""
        p = self.nuclear_prob[:, :months]
        return float(np.mean(1.0 - np.prod(1.0 - p, axis=1)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready per-month summary (:meth:`to_frame`), the levers and the seed."""
        frame = self.to_frame()
        return {"months": [str(m) for m in frame.index], "draws": self.n_draws,
                "levers": dict(self.levers), "seed": self.seed,
                "summary": {c: frame[c].tolist() for c in frame.columns}}

    def to_frame(self) -> pd.DataFrame:
        """Per-month summary: mean and 5/50/95 % quantiles of launch events and missiles,
        P(≥ 1 launch event), P(nuclear test), and the share of draws in each regime."""
        q = np.quantile(self.launch_events, [0.05, 0.5, 0.95], axis=0)
        qm = np.quantile(self.missiles, [0.05, 0.5, 0.95], axis=0)
        frame = pd.DataFrame({
            "launch_events_mean": self.launch_events.mean(axis=0),
            "launch_events_q05": q[0], "launch_events_q50": q[1], "launch_events_q95": q[2],
            "missiles_mean": self.missiles.mean(axis=0),
            "missiles_q05": qm[0], "missiles_q50": qm[1], "missiles_q95": qm[2],
            "p_launch": (self.launch_events > 0).mean(axis=0),
            "p_nuclear_test": self.nuclear_prob.mean(axis=0),
        }, index=self.months)
        for code, name in enumerate(REGIMES):
            frame[f"share_{name}"] = (self.regime == code).mean(axis=0)
        return frame


#: A bound on the extra missiles of one month's salvos (a guard for the inversion loop; the
#: record's largest month has 16 missiles).
MAX_EXTRA_MISSILES = 1000


def nb_quantile(u: np.ndarray, mean: np.ndarray, concentration: np.ndarray, *,
                cap: int) -> np.ndarray:
    """The NB2(mean, concentration) quantile at ``u``: the smallest k with F(k) ≥ u, at most
    ``cap`` (vectorised over paths).

    NB2 is the gamma–Poisson mixture of docs/model.md, P(0) = (φ/(φ+μ))^φ and
    P(k+1) = P(k) (k+φ)/(k+1) · μ/(φ+μ); the CDF is summed upwards only while some path's
    uniform lies above it, so the cost follows the largest count, not the cap. A concentration
    of 0 (no events to carry salvos) gives 0.
    """
    mean = np.broadcast_to(np.asarray(mean, dtype=float), u.shape)
    conc = np.broadcast_to(np.asarray(concentration, dtype=float), u.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(mean > 0, mean / (conc + mean), 0.0)
        pmf = np.where(conc > 0, np.exp(conc * np.log1p(-q)), 1.0)
    cdf = pmf.copy()
    k = np.zeros(u.shape, dtype=np.int64)
    active = u > cdf
    j = 0
    while j < cap and active.any():
        pmf = pmf * ((j + conc) / (j + 1)) * q
        cdf += pmf
        k += active
        j += 1
        active &= u > cdf
    return k


def check_levers(levers: dict[str, float] | None, variant: str) -> dict[str, float]:
    """Validate policy levers against :data:`detente.dynamics.priors.LEVERS`.

    Raises
    ------
    OptionsError
        Naming the lever, the value and the allowed range or names.
    """
    check_arguments("invalid policy levers for the dynamic model", {"levers": (levers, constraint(
        instance=Mapping, optional=True, words="a dict of lever names to numbers, or none"))})
    levers = dict(levers or {})
    problems = []
    for name, value in levers.items():
        if name not in LEVERS:
            problems.append(Problem(f"unknown lever {name!r}", path=f"levers.{name}",
                                    allowed=", ".join(LEVERS)))
            continue
        _, lo, hi = LEVERS[name]
        try:
            if isinstance(value, bool):
                raise TypeError("a flag is not a lever value")
            v = float(value)
        except (TypeError, ValueError):
            problems.append(Problem(f"value {value!r} is not a number", path=f"levers.{name}",
                                    allowed=f"a number from {lo:g} to {hi:g}"))
            continue
        if not (lo <= v <= hi) or not np.isfinite(v):
            problems.append(Problem(f"value {v:g} is out of range", path=f"levers.{name}",
                                    allowed=f"a number from {lo:g} to {hi:g}"))
        if variant != "full" and name in ("dialogue_rate_ratio", "sanctions_effect"):
            problems.append(Problem(f"lever {name!r} has no parameter in the "
                                    f"{variant!r} model", path=f"levers.{name}",
                                    allowed="a posterior fitted with variant='full'"))
        levers[name] = v
    if problems:
        raise OptionsError("invalid policy levers for the dynamic model", problems)
    return levers


def _apply_transition_levers(transition: np.ndarray, levers: dict[str, float]) -> np.ndarray:
    """Overwrite entries of (draws, 3, 3) transition matrices; rows stay stochastic.

    ``p_enter_dialogue`` sets column D of rows S and C, ``p_leave_dialogue`` sets 1 − P[D, D];
    the other entries of a changed row keep their proportions.
    """
    out = transition.copy()

    def set_entry(row: int, col: int, value: float) -> None:
        others = np.ones(out.shape[-1], dtype=bool)
        others[col] = False
        rest = out[:, row, others]
        total = rest.sum(axis=1, keepdims=True)
        share = np.where(total > 0, rest / np.where(total > 0, total, 1.0), 1.0 / rest.shape[1])
        out[:, row, others] = share * (1.0 - value)
        out[:, row, col] = value

    if "p_enter_dialogue" in levers:
        for row in (STALEMATE, CRISIS):
            set_entry(row, DIALOGUE, levers["p_enter_dialogue"])
    if "p_leave_dialogue" in levers:
        set_entry(DIALOGUE, DIALOGUE, 1.0 - levers["p_leave_dialogue"])
    return out


def simulate(posterior: Posterior, start: str | None = None, months: int = 36,
             levers: dict[str, float] | None = None, draws: int = 1000,
             seed: int | None = None) -> Trajectories:
    """Simulate monthly trajectories from a fitted posterior under policy levers.

    Parameters
    ----------
    posterior : Posterior
        From :func:`detente.dynamics.fit`.
    start : str, optional
        First simulated month ``YYYY-MM``; default the month after the training window. A later
        start simulates the months in between (unobserved) and drops them.
    months : int
        Number of months returned (the horizon), 1 to :data:`MAX_SIMULATED_MONTHS` (also the
        bound on the gap before ``start`` plus the horizon).
    levers : dict, optional
        Named policy parameters (see :data:`detente.dynamics.priors.LEVERS`):
        ``p_enter_dialogue``, ``p_leave_dialogue``, ``dialogue_rate_ratio``,
        ``sanctions_effect``, ``unsc_resolution_rate``. A set lever replaces the parameter in
        every draw; unset levers keep the posterior draws.
    draws : int
        Number of simulated paths; posterior draws are resampled with replacement.
    seed : int, optional
        Seed of the numpy Generator; same seed, same trajectories. None draws one, recorded
        in :attr:`Trajectories.seed`.

    Returns
    -------
    Trajectories
        Arrays of shape (draws, months).
    """
    check_arguments("invalid simulation options", {
        "posterior": (posterior, constraint(instance=Posterior,
                                            words="a Posterior from detente.fit(...)")),
        "months": (months, constraint(interval=(1, MAX_SIMULATED_MONTHS), integer=True)),
        "draws": (draws, constraint(interval=(1, math.inf), integer=True)),
    })
    too_many = draw_problem(int(draws), {"months": int(months)})
    if too_many is not None:
        raise OptionsError("too many simulated paths for this machine", [too_many])
    levers = check_levers(levers, posterior.variant)
    first = pd.Period(posterior.until, freq="M") + 1
    if start is None:
        start_period = first
    else:
        try:
            start_period = pd.Period(start, freq="M")
        except (ValueError, TypeError) as exc:
            raise OptionsError("bad start month", [Problem(
                f"{start!r} is not a month", path="start", allowed="YYYY-MM")]) from exc
        if start_period < first:
            raise OptionsError("simulation would start inside the training window", [Problem(
                f"start {start_period} is not after the training window ending {posterior.until}",
                path="start", allowed=f"{first} or later (or refit with an earlier --until)")])
    gap = int((start_period - first).n)
    total = gap + int(months)
    if total > MAX_SIMULATED_MONTHS:
        raise OptionsError("simulation too long", [Problem(
            f"start {start_period} and {int(months)} months run {total} months from the end of "
            f"training ({posterior.until})", path="start",
            allowed=f"at most {MAX_SIMULATED_MONTHS} months from {first} to the last month")])

    # One child stream per kind of draw, so that a lever that changes one quantity (e.g. the
    # UNSC rate, or a launch rate that makes the gamma-Poisson draws consume a different amount
    # of randomness) leaves the other draws of the same seed untouched: policies simulated with
    # the same seed then share their regime, nuclear and UNSC uniforms (common random numbers).
    if not isinstance(seed, np.random.SeedSequence):
        from detente.bargaining.montecarlo import resolve_seed

        seed = resolve_seed(seed)
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng_pick, rng_regime, rng_counts, rng_nuclear, rng_unsc = (
        np.random.default_rng(child) for child in root.spawn(5))
    s = posterior.samples
    pick = rng_pick.integers(0, posterior.n_draws, size=int(draws))
    par = {name: np.asarray(value)[pick] for name, value in s.items()}
    full = posterior.variant == "full"

    transition = _apply_transition_levers(par["transition"], levers)
    cum_transition = np.cumsum(transition, axis=-1)  # (draws, from, to)
    weights = memory_weights(par["memory_decay"][:, None], xp=np)  # (draws, K)
    past = np.asarray(posterior.state.launch_events, dtype=float)[::-1][:MEMORY_LAGS]
    recent = np.zeros((int(draws), MEMORY_LAGS))  # column k: launch events k+1 months ago
    recent[:, : past.size] = past

    leader = posterior.state.leader
    base = (par["log_base_rate"]
            + par["leader_kim_jong_il"] * (leader == "Kim Jong Il")
            + par["leader_kim_jong_un"] * (leader == "Kim Jong Un"))
    beta_d = np.zeros(draws)
    beta_c = np.zeros(draws)
    beta_u = np.zeros(draws)
    nu_d = np.zeros(draws)
    if full:
        beta_d = (np.full(draws, np.log(levers["dialogue_rate_ratio"]))
                  if "dialogue_rate_ratio" in levers else par["log_rate_ratio_dialogue"])
        beta_u = (np.full(draws, np.log(levers["sanctions_effect"]))
                  if "sanctions_effect" in levers else par["sanctions_effect"])
        beta_c = par["log_rate_ratio_crisis"]
        nu_d = par["nuclear_log_odds_dialogue"]
    unsc_rate = levers.get("unsc_resolution_rate", posterior.state.unsc_resolution_rate)
    phi = par["concentration"]
    omega = par["extra_missiles_per_event"]
    psi = par["salvo_concentration"]

    shape = (int(draws), total)
    launch_events = np.zeros(shape, dtype=np.int64)
    missiles = np.zeros(shape, dtype=np.int64)
    nuclear = np.zeros(shape, dtype=np.int8)
    regime_path = np.zeros(shape, dtype=np.int8)
    unsc = np.zeros(shape, dtype=np.int8)
    rate = np.zeros(shape)
    nuclear_prob = np.zeros(shape)

    regime = np.full(draws, posterior.state.regime, dtype=np.int64)
    unsc_prev = np.full(draws, float(posterior.state.unsc_resolution))
    rows = np.arange(draws)
    for t in range(total):
        period = start_period - gap + t
        month, days_in_month = period.month, period.days_in_month
        angle = 2.0 * np.pi * month / 12.0
        # 1. regime chain
        u = rng_regime.random(draws)
        regime = np.minimum((u[:, None] > cum_transition[rows, regime]).sum(axis=1), 2)
        dialogue = regime == DIALOGUE
        # 2. launch rate, model.py equation for log mu_t
        log_mu = (base + par["season_cos"] * np.cos(angle) + par["season_sin"] * np.sin(angle)
                  + par["self_excitation"] * np.log1p((recent * weights).sum(axis=1))
                  + beta_d * dialogue + beta_c * (regime == CRISIS) + beta_u * unsc_prev)
        mu = np.exp(np.clip(log_mu, -20.0, MAX_LOG_RATE))
        # 3. counts: NB2 by inversion of one uniform per path and month, at most one event
        # per day of the month; salvos likewise. Inversion keeps common random numbers exact:
        # a policy that changes one path's rate moves only that path's count, where a
        # gamma-Poisson sampler would shift the stream under every later path and month.
        y = nb_quantile(rng_counts.random(draws), mu, phi, cap=days_in_month)
        extra = nb_quantile(rng_counts.random(draws), omega * y, psi * y, cap=MAX_EXTRA_MISSILES)
        p_nuc = 1.0 / (1.0 + np.exp(-(par["nuclear_logit_base"] + nu_d * dialogue)))
        n = rng_nuclear.random(draws) < p_nuc
        # 4. exogenous UNSC resolutions; launch memory
        res = rng_unsc.random(draws) < unsc_rate
        recent = np.concatenate([y[:, None].astype(float), recent[:, :-1]], axis=1)
        unsc_prev = res.astype(float)

        launch_events[:, t] = y
        missiles[:, t] = y + extra
        nuclear[:, t] = n
        regime_path[:, t] = regime
        unsc[:, t] = res
        rate[:, t] = mu
        nuclear_prob[:, t] = p_nuc

    keep = slice(gap, total)
    return Trajectories(
        months=pd.period_range(start_period, periods=int(months), freq="M"),
        launch_events=launch_events[:, keep], missiles=missiles[:, keep],
        nuclear_test=nuclear[:, keep], regime=regime_path[:, keep],
        unsc_resolution=unsc[:, keep], launch_rate=rate[:, keep], concentration=phi,
        nuclear_prob=nuclear_prob[:, keep], levers=levers, seed=int(seed))


def synthetic_panel(parameters: dict[str, float | np.ndarray], *, start: str = "1984-01",
                    leaders: tuple[tuple[str, int], ...] = (("Kim Il Sung", 126),
                                                            ("Kim Jong Il", 210),
                                                            ("Kim Jong Un", 168)),
                    unsc_resolution_rate: float = 0.03, seed: int = 0) -> pd.DataFrame:
    """A monthly panel drawn from the model with known parameters (for parameter recovery).

    Parameters
    ----------
    parameters : dict
        One value per parameter of the ``full`` model (see :data:`priors.PRIORS`) and
        ``transition`` of shape (3, 3), rows the regime from, columns the regime to.
    start : str
        First month.
    leaders : tuple of (leader, n_months)
        Leader spells in order; the panel has their total length. Defaults follow the DPRK
        record's spell lengths from 1984-01 (KIS to 1994-06, KJI to 2011-12, KJU to 2025-12).
    unsc_resolution_rate : float
        Monthly probability of a UNSC resolution (exogenous covariate).
    seed : int
        Seed; same seed, same panel.

    Returns
    -------
    DataFrame
        In the :func:`detente.evidence.monthly_panel` format (the columns the model reads).
    """
    samples = {k: np.asarray(v, dtype=float)[None, ...] for k, v in parameters.items()}
    seeds = np.random.SeedSequence(seed).spawn(len(leaders))
    history = np.zeros(0, dtype=np.int64)
    regime, unsc_last = STALEMATE, 0
    month = pd.Period(start, freq="M")
    frames = []
    for (leader, n_months), child in zip(leaders, seeds, strict=True):
        state = EndState(last_month=str(month - 1), launch_events=history, regime=regime,
                         unsc_resolution=unsc_last, leader=leader,
                         unsc_resolution_rate=unsc_resolution_rate)
        post = Posterior(samples=samples, variant="full", method="truth",
                         first_month=str(month), until=str(month - 1), state=state,
                         diagnostics=pd.DataFrame())
        seg = simulate(post, months=n_months, draws=1,
                       seed=int(child.generate_state(1)[0]))
        frames.append(pd.DataFrame({
            "launch_events": seg.launch_events[0], "missiles": seg.missiles[0],
            "nuclear_test": seg.nuclear_test[0].astype(np.int64),
            "unsc_resolution": seg.unsc_resolution[0].astype(np.int64), "leader": leader,
            "regime": [REGIMES[r] for r in seg.regime[0]]}, index=seg.months))
        history = np.concatenate([history, seg.launch_events[0]])
        regime, unsc_last = int(seg.regime[0, -1]), int(seg.unsc_resolution[0, -1])
        month = month + n_months
    panel = pd.concat(frames)
    panel.index = pd.PeriodIndex(panel.index, freq="M", name="month")
    return panel
