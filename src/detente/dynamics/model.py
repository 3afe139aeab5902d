r"""The dynamic model of DPRK testing: its docstring is the specification.

Data
----
One row per calendar month :math:`t = 1, \dots, T` of :func:`detente.evidence.monthly_panel`
(``T = 504`` for 1984-01 … 2025-12; arrays of shape ``(600,)`` after padding), cut at the training origin before anything here sees it
(:class:`detente.dynamics.fit.TrainingWindow`). Arrays are padded to a multiple of
:data:`PAD_MONTHS` with ``mask = False`` so that one compiled program serves every origin.

- :math:`y_t` launch events (distinct launch days), :math:`z_t` missiles launched,
- :math:`n_t \in \{0,1\}` nuclear test,
- :math:`r_t \in \{D, S, C\}` the coded regime (dialogue, stalemate, crisis),
- :math:`u_{t-1}` a UNSC sanctions resolution adopted in the previous month,
- :math:`\ell_t` the DPRK leader (Kim Il Sung is the reference), :math:`m_t` the calendar month.

Launch events (negative binomial with self-excitation)
-----------------------------------------------------
.. math::

    M_t &= \sum_{k=0}^{K-1} w_k\, y_{t-1-k}, \qquad
        w_k = \frac{(1-\delta)\,\delta^k}{1-\delta^K}, \quad K = 36
        \quad\text{(a geometrically weighted mean of the last three years' launch events;}\\
        &\qquad y_s = 0 \text{ before the record starts)}\\
    \log \mu_t &= \alpha + \beta_D [r_t = D] + \beta_C [r_t = C] + \beta_U u_{t-1}
        + \gamma_{KJI} [\ell_t = \text{KJI}] + \gamma_{KJU} [\ell_t = \text{KJU}] \\
        &\quad + s_c \cos(2\pi m_t/12) + s_s \sin(2\pi m_t/12) + \kappa \log(1 + M_t) \\
    y_t \mid \text{past} &\sim \operatorname{NB2}(\mu_t, \phi),
        \qquad \operatorname{E} y_t = \mu_t,\ \operatorname{Var} y_t = \mu_t + \mu_t^2/\phi

with :math:`\kappa \in (0, 1)` (a stable level needs :math:`\kappa < 1`; see the prior table)
and :math:`\log\mu_t` clipped at :math:`\log 31` (a month has at most 31 launch days).
The NB2 parameterisation follows Hilbe (2011) [1]_; the log-linear self-excitation on
:math:`\log(1 + M_t)` is the log-linear Poisson/NB autoregression of Fokianos & Tjøstheim
(2011) [2]_ with a geometric memory, so the likelihood is the product of one-step-ahead
conditionals (the model conditions on the observed past; :mod:`detente.dynamics.simulate` is its
generative form and draws :math:`y_t` forward).

Missiles per launch event (secondary series)
--------------------------------------------
.. math::

    z_t - y_t \mid y_t > 0 \sim \operatorname{NB2}(\omega\, y_t,\ \psi\, y_t)

the sum of :math:`y_t` independent NB2(:math:`\omega, \psi`) salvos (a sum of negative binomials
with a common success probability is negative binomial with the summed size).

Nuclear tests (rare binary event, strong priors)
------------------------------------------------
.. math::

    n_t \sim \operatorname{Bernoulli}\!\big(\operatorname{logit}^{-1}(\nu_0 + \nu_D [r_t = D])\big)

Regime (Markov chain on the coded regime)
-----------------------------------------
.. math::

    P_{i\cdot} \sim \operatorname{Dirichlet}(a_i), \qquad r_t \mid r_{t-1} \sim
    \operatorname{Categorical}(P_{r_{t-1}\cdot})

Its likelihood factorises from the rest of the model, so :func:`sample_transition` draws the
exact Dirichlet posterior outside the sampler (conjugacy) and :func:`dprk_testing_model` holds the
other 15 parameters only.

The regime is *coded* from diplomacy, sanctions and policy records only (never from launches or
tests; see :mod:`detente.evidence`), so it enters as data, and its chain is fitted so that
:func:`~detente.dynamics.simulate` can draw future regimes. Policy levers act only through
:math:`P_{S D}, P_{C D}` (``p_enter_dialogue``), :math:`1 - P_{D D}` (``p_leave_dialogue``),
:math:`\exp\beta_D` (``dialogue_rate_ratio``),
:math:`\exp\beta_U` (``sanctions_effect``) and the rate of :math:`u_t` (``unsc_resolution_rate``).

Priors are in :mod:`detente.dynamics.priors` (one table with provenance). 15 scalar parameters
(11 for launches, 2 for nuclear tests, 2 for salvos) plus the 3 × 3 transition matrix (6 free).

Variants (same signature, as in NumPyro's baseball example)
-----------------------------------------------------------
``"full"`` is the model above. ``"no_policy"`` drops every regime and policy term
(:math:`\beta_D, \beta_C, \beta_U, \nu_D`): the back-test baseline "count model without regime or
policy terms". Its regime chain is still fitted (and ignored by the launch rate).

References
----------
.. [1] J. M. Hilbe, *Negative Binomial Regression*, 2nd ed., Cambridge University Press, 2011.
.. [2] K. Fokianos and D. Tjøstheim, "Log-linear Poisson autoregression", *Journal of
   Multivariate Analysis* 102(3), 563–578, 2011.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd

from detente.dynamics._memory import MAX_LOG_RATE, lagged_launch_events, memory_weights
from detente.dynamics._spec import (  # noqa: F401
    OBSERVED_COLUMNS,
    PANEL_COLUMNS,
    VARIANTS,
    check_variant,
)
from detente.dynamics.priors import (
    DIALOGUE,
    REGIMES,
    TRANSITION_MOVE,
    TRANSITION_STAY,
    PriorSpec,
    priors_for,
)
from detente.errors import OptionsError, Problem

#: Arrays are padded to a multiple of this many months: one compiled program serves every
#: training window of up to 50 years (1984-01 … 2033-12).
PAD_MONTHS = 600

LEADERS: tuple[str, ...] = ("Kim Il Sung", "Kim Jong Il", "Kim Jong Un")


class ModelData(NamedTuple):
    """Model inputs as arrays of shape (n_months_padded,); a JAX pytree.

    ``mask`` is False on padding months; ``trans_mask`` is False on the first month (which has no
    observed predecessor) and on padding.
    """

    launch_events: np.ndarray  # int (T,)
    missiles: np.ndarray  # int (T,)
    nuclear_test: np.ndarray  # int (T,)
    regime: np.ndarray  # int (T,) codes of REGIMES
    regime_prev: np.ndarray  # int (T,)
    unsc_prev: np.ndarray  # float (T,) resolution in month t-1
    kim_jong_il: np.ndarray  # float (T,)
    kim_jong_un: np.ndarray  # float (T,)
    month_of_year: np.ndarray  # float (T,) 1..12
    lagged_events: np.ndarray  # float (T, MEMORY_LAGS), see lagged_launch_events
    mask: np.ndarray  # bool (T,)
    trans_mask: np.ndarray  # bool (T,)


def model_data(panel: pd.DataFrame, pad_to: int = PAD_MONTHS) -> ModelData:
    """Arrays for :func:`dprk_testing_model` from a (training-window) monthly panel.

    Parameters
    ----------
    panel : DataFrame
        Rows of :func:`detente.evidence.monthly_panel`, consecutive months, index a monthly
        ``PeriodIndex``; columns :data:`PANEL_COLUMNS`.
    pad_to : int
        Pad the month axis with masked rows to a multiple of this.

    Raises
    ------
    OptionsError
        If a column is missing or holds values the model cannot read.
    """
    problems = [Problem(f"column {c!r} is missing", path=c,
                        allowed="the columns of detente.evidence.monthly_panel()")
                for c in PANEL_COLUMNS if c not in panel.columns]
    if problems:
        raise OptionsError("the monthly panel cannot be read by the dynamic model", problems)
    if len(panel) < 2:
        raise OptionsError("the training window holds fewer than 2 months",
                           [Problem("too few months", path="until",
                                    allowed="an origin at least two months after the start")])
    unobserved = [(c, panel.index[np.flatnonzero(panel[c].isna().to_numpy())[0]])
                  for c in OBSERVED_COLUMNS if panel[c].isna().any()]
    if unobserved:  # a month the evidence does not cover is never read as a zero
        raise OptionsError("the training window holds unobserved months", [Problem(
            f"{c} is not observed in {month}", path=c,
            allowed="a training end (until) at or before the last fully observed month "
                    "(detente evidence list)") for c, month in unobserved])
    n_months = len(panel)
    y = panel["launch_events"].to_numpy(dtype=np.int64)
    z = panel["missiles"].to_numpy(dtype=np.int64)
    bad = np.flatnonzero((z < y) | (y < 0))
    if bad.size:
        raise OptionsError("missiles below launch events", [Problem(
            f"month {panel.index[bad[0]]}: missiles {z[bad[0]]} < launch events {y[bad[0]]}",
            path="missiles", allowed="missiles ≥ launch events ≥ 0")])
    regime_names = panel["regime"].astype(str).to_numpy()
    unknown = sorted(set(regime_names) - set(REGIMES))
    if unknown:
        raise OptionsError("unknown regime codes", [Problem(
            f"regime values {unknown}", path="regime", allowed=", ".join(REGIMES))])
    leaders = panel["leader"].astype(str).to_numpy()
    unknown = sorted(set(leaders) - set(LEADERS))
    if unknown:
        raise OptionsError("unknown DPRK leader", [Problem(
            f"leader values {unknown}", path="leader", allowed=", ".join(LEADERS))])
    regime = np.array([REGIMES.index(name) for name in regime_names], dtype=np.int64)
    unsc = panel["unsc_resolution"].to_numpy(dtype=float)
    months = panel.index.month.to_numpy() if hasattr(panel.index, "month") else np.ones(n_months)

    total = int(np.ceil(n_months / pad_to) * pad_to)

    def pad(a: np.ndarray, fill: float | int = 0) -> np.ndarray:
        out = np.full(total, fill, dtype=a.dtype)
        out[:n_months] = a
        return out

    regime_prev = np.concatenate([[regime[0]], regime[:-1]])
    unsc_prev = np.concatenate([[0.0], unsc[:-1]])
    mask = pad(np.ones(n_months, dtype=bool), False)
    trans_mask = mask.copy()
    trans_mask[0] = False
    return ModelData(
        launch_events=pad(y), missiles=pad(z),
        nuclear_test=pad(panel["nuclear_test"].to_numpy(dtype=np.int64)),
        regime=pad(regime.astype(np.int64), 1), regime_prev=pad(regime_prev.astype(np.int64), 1),
        unsc_prev=pad(unsc_prev),
        kim_jong_il=pad((leaders == "Kim Jong Il").astype(float)),
        kim_jong_un=pad((leaders == "Kim Jong Un").astype(float)),
        month_of_year=pad(months.astype(float), 1.0),
        lagged_events=np.pad(lagged_launch_events(y), ((0, total - n_months), (0, 0))),
        mask=mask, trans_mask=trans_mask)


def _sample_prior(spec: PriorSpec) -> jnp.ndarray:
    if spec.dist == "normal":
        d = dist.Normal(spec.a, spec.b)
    elif spec.dist == "halfnormal":
        d = dist.HalfNormal(spec.a)
    elif spec.dist == "beta":
        d = dist.Beta(spec.a, spec.b)
    elif spec.dist == "lognormal":
        d = dist.LogNormal(spec.a, spec.b)
    else:  # pragma: no cover - the table is fixed
        raise ValueError(spec.dist)
    return numpyro.sample(spec.name, d)


def dprk_testing_model(data: ModelData, variant: str = "full") -> None:
    """NumPyro model of monthly DPRK launch events, missiles and nuclear tests.

    Parameters
    ----------
    data : ModelData
        Arrays of shape (n_months_padded,) from :func:`model_data`; the observed series are in it
        (the likelihood conditions each month on the observed past, see the module docstring).
    variant : {"full", "no_policy"}
        Model variant; ``no_policy`` drops the regime and policy terms.
    """
    full = variant == "full"
    # hyperparameters: the one prior table (detente.dynamics.priors)
    theta = {spec.name: _sample_prior(spec) for spec in priors_for(variant)}
    y = jnp.asarray(data.launch_events, dtype=jnp.float32)
    regime = jnp.asarray(data.regime)
    dialogue = (regime == DIALOGUE).astype(jnp.float32)
    crisis = (regime == 2).astype(jnp.float32)
    angle = 2.0 * jnp.pi * jnp.asarray(data.month_of_year) / 12.0
    memory = jnp.asarray(data.lagged_events) @ memory_weights(theta["memory_decay"], xp=jnp)

    # launch-event rate (log link), module docstring equation for log mu_t
    log_mu = (theta["log_base_rate"]
              + theta["leader_kim_jong_il"] * data.kim_jong_il
              + theta["leader_kim_jong_un"] * data.kim_jong_un
              + theta["season_cos"] * jnp.cos(angle) + theta["season_sin"] * jnp.sin(angle)
              + theta["self_excitation"] * jnp.log1p(memory))
    nuclear_logit = theta["nuclear_logit_base"] * jnp.ones_like(y)
    if full:
        log_mu = (log_mu + theta["log_rate_ratio_dialogue"] * dialogue
                  + theta["log_rate_ratio_crisis"] * crisis
                  + theta["sanctions_effect"] * data.unsc_prev)
        nuclear_logit = nuclear_logit + theta["nuclear_log_odds_dialogue"] * dialogue
    mu = jnp.exp(jnp.clip(log_mu, -20.0, MAX_LOG_RATE))

    mask = jnp.asarray(data.mask)
    has_launch = jnp.asarray(data.launch_events) > 0
    salvos = jnp.where(has_launch, y, 1.0)
    with numpyro.plate("month", y.shape[0]):
        # likelihood
        numpyro.sample("launch_events",
                       dist.NegativeBinomial2(mu, theta["concentration"]).mask(mask),
                       obs=data.launch_events)
        numpyro.sample("extra_missiles",
                       dist.NegativeBinomial2(theta["extra_missiles_per_event"] * salvos,
                                              theta["salvo_concentration"] * salvos)
                       .mask(mask & has_launch),
                       obs=data.missiles - data.launch_events)
        numpyro.sample("nuclear_test", dist.Bernoulli(logits=nuclear_logit).mask(mask),
                       obs=data.nuclear_test)


def transition_concentration() -> np.ndarray:
    """Prior Dirichlet concentration of the transition matrix, (from, to)."""
    conc = np.full((len(REGIMES), len(REGIMES)), TRANSITION_MOVE)
    return conc + np.eye(len(REGIMES)) * (TRANSITION_STAY - TRANSITION_MOVE)


def transition_counts(data: ModelData) -> np.ndarray:
    """Observed regime transitions, (from, to) counts over months with ``trans_mask``."""
    counts = np.zeros((len(REGIMES), len(REGIMES)))
    keep = np.asarray(data.trans_mask)
    np.add.at(counts, (np.asarray(data.regime_prev)[keep], np.asarray(data.regime)[keep]), 1.0)
    return counts


def sample_transition(data: ModelData, n_draws: int, seed: int) -> np.ndarray:
    """Exact posterior draws of the transition matrix, shape (n_draws, 3, 3).

    The regime is data and its likelihood factorises from the rest, so each row's posterior is
    Dirichlet(prior concentration + observed transition counts) (Dirichlet–multinomial
    conjugacy, e.g. Gelman et al. *BDA3* §3.4); no sampler is needed.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    post = transition_concentration() + transition_counts(data)
    return np.stack([rng.dirichlet(row, size=n_draws) for row in post], axis=1)
