r"""Baseline forecasters the dynamic model must beat, and the common forecast container.

Every forecaster sees only a training slice (:meth:`detente.dynamics.fit.TrainingWindow.slice`)
and returns a :class:`CountForecast` over the next ``horizon`` months: sample paths of launch
events, each path's conditional rate and concentration (so log scores and PIT use the exact
mixture), and the monthly probability of a nuclear test.

- **climatology**: :math:`y_t \sim \mathrm{NB2}(\bar y, \hat\phi)` with :math:`\bar y` the
  training mean and :math:`\hat\phi = \bar y^2 / (s^2 - \bar y)` the method-of-moments
  concentration (Poisson when :math:`s^2 \le \bar y`); nuclear test probability per month
  :math:`(\sum n_t + 0.5)/(T + 1)`.
- **persistence**: the same NB2 at the last 12 months' rate
  :math:`(\sum_{12} y + 0.5)/12` (the ½ keeps a quiet year from forecasting "never"), with
  :math:`\hat\phi` from the whole training window; nuclear probability
  :math:`(\sum_{12} n + 0.5)/13`.
- **random walk on the log rate**: yearly log rates :math:`\ell_j = \log((\sum_{\text{year } j}
  y + 0.5)/12)` over the 12-month blocks ending at the origin; the monthly log rate walks from the
  last :math:`\ell` with step sd :math:`\hat\sigma_{\text{year}}/\sqrt{12}`, and
  :math:`y_t \sim \mathrm{Poisson}(e^{\ell_t})`; nuclear probability as climatology.
- **persistence over 24 and 36 months**: as persistence, at the mean rate of the last 24 or 36
  months (``persistence 24``, ``persistence 36``).
- **exponentially weighted mean** (``ewma``): NB2 at :math:`\hat\mu_T = \alpha y_T + (1 -
  \alpha)\hat\mu_{T-1}`, with :math:`\alpha` chosen on the training window by the smallest
  one-step-ahead squared error over a grid (0.02 … 0.5), and :math:`\hat\phi` as climatology.
- **local-level NB** (``local-level NB``): the log rate is a local level — a random walk whose
  current value is the log of the exponentially weighted mean and whose monthly step sd is the
  sd of that smoothed log rate's monthly changes — observed with NB2 noise at :math:`\hat\phi`
  (Harvey 1989, ch. 2, the local-level model; NB observations as in Durbin & Koopman 2012,
  §9.3).
- **count model without regime or policy terms**: :mod:`detente.dynamics.model` variant
  ``no_policy`` (fitted and simulated in :mod:`detente.dynamics.backtest`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detente.dynamics.simulate import Trajectories


@dataclass(frozen=True)
class CountForecast:
    """A forecast of monthly launch events and nuclear tests over ``horizon`` months.

    Parameters
    ----------
    name : str
        Forecaster name.
    launch_events : ndarray of int, shape (n_draws, horizon)
        Sample paths.
    launch_rate : ndarray of float, shape (n_draws, horizon)
        Each path's conditional mean per month.
    concentration : ndarray of float, shape (n_draws,)
        Each path's NB2 concentration (``inf``: Poisson).
    nuclear_prob : ndarray of float, shape (n_draws, horizon)
        Conditional probability of a nuclear test per path and month.
    """

    name: str
    launch_events: np.ndarray
    launch_rate: np.ndarray
    concentration: np.ndarray
    nuclear_prob: np.ndarray

    @classmethod
    def from_trajectories(cls, name: str, traj: Trajectories) -> CountForecast:
        return cls(name, traj.launch_events, traj.launch_rate, np.asarray(traj.concentration),
                   traj.nuclear_prob)

    def p_nuclear_within(self, months: int = 12) -> float:
        """P(≥ 1 nuclear test in the first ``months`` months)."""
        return float(np.mean(1.0 - np.prod(1.0 - self.nuclear_prob[:, :months], axis=1)))


def moment_concentration(y: np.ndarray) -> float:
    """Method-of-moments NB2 concentration :math:`\\bar y^2/(s^2-\\bar y)`; inf if not
    over-dispersed."""
    m, v = float(np.mean(y)), float(np.var(y, ddof=1)) if len(y) > 1 else 0.0
    if v <= m or m <= 0:
        return float("inf")
    return m * m / (v - m)


def _nb_paths(rate: np.ndarray, conc: float, rng: np.random.Generator) -> np.ndarray:
    if np.isinf(conc):
        return rng.poisson(rate)
    return rng.poisson(rng.gamma(conc, rate / conc))


def climatology(train: pd.DataFrame, horizon: int, draws: int, seed: int) -> CountForecast:
    """NB2 at the training mean (module docstring)."""
    y = train["launch_events"].to_numpy(dtype=float)
    n = train["nuclear_test"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    rate = np.full((draws, horizon), max(y.mean(), 1e-9))
    conc = moment_concentration(y)
    p_nuc = (n.sum() + 0.5) / (len(n) + 1.0)
    return CountForecast("climatology", _nb_paths(rate, conc, rng), rate,
                         np.full(draws, conc), np.full((draws, horizon), p_nuc))


def persistence(train: pd.DataFrame, horizon: int, draws: int, seed: int) -> CountForecast:
    """NB2 at the last 12 months' rate (module docstring)."""
    y = train["launch_events"].to_numpy(dtype=float)
    n = train["nuclear_test"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    rate = np.full((draws, horizon), (y[-12:].sum() + 0.5) / 12.0)
    conc = moment_concentration(y)
    p_nuc = (n[-12:].sum() + 0.5) / 13.0
    return CountForecast("persistence", _nb_paths(rate, conc, rng), rate,
                         np.full(draws, conc), np.full((draws, horizon), p_nuc))


def random_walk_log_rate(train: pd.DataFrame, horizon: int, draws: int,
                         seed: int) -> CountForecast:
    """Poisson with a Gaussian random walk on the log rate (module docstring)."""
    y = train["launch_events"].to_numpy(dtype=float)
    n = train["nuclear_test"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    n_years = len(y) // 12
    blocks = y[len(y) - 12 * n_years:].reshape(n_years, 12).sum(axis=1)
    log_rate = np.log((blocks + 0.5) / 12.0)
    sigma_year = float(np.std(np.diff(log_rate), ddof=1)) if n_years > 2 else 1.0
    steps = rng.standard_normal((draws, horizon)) * sigma_year / np.sqrt(12.0)
    rate = np.exp(log_rate[-1] + np.cumsum(steps, axis=1))
    p_nuc = (n.sum() + 0.5) / (len(n) + 1.0)
    return CountForecast("random walk", rng.poisson(rate), rate, np.full(draws, np.inf),
                         np.full((draws, horizon), p_nuc))


def _persistence_over(months: int):
    def forecast(train: pd.DataFrame, horizon: int, draws: int, seed: int) -> CountForecast:
        """NB2 at the mean rate of the last ``months`` months (module docstring)."""
        y = train["launch_events"].to_numpy(dtype=float)
        n = train["nuclear_test"].to_numpy(dtype=float)
        rng = np.random.default_rng(seed)
        rate = np.full((draws, horizon), (y[-months:].sum() + 0.5) / min(months, len(y)))
        conc = moment_concentration(y)
        p_nuc = (n[-months:].sum() + 0.5) / (min(months, len(n)) + 1.0)
        return CountForecast(f"persistence {months}", _nb_paths(rate, conc, rng), rate,
                             np.full(draws, conc), np.full((draws, horizon), p_nuc))
    return forecast


#: Smoothing weights the exponentially weighted mean chooses among (one-step squared error).
EWMA_GRID = np.array([0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5])


def _ewma_path(y: np.ndarray, alpha: float) -> np.ndarray:
    """``m_t``: the exponentially weighted mean after month t (started at the first year's
    mean)."""
    m = np.empty(y.size)
    level = float(np.mean(y[:12])) if y.size else 0.0
    for t, value in enumerate(y):
        level = alpha * value + (1.0 - alpha) * level
        m[t] = level
    return m


def ewma_fit(y: np.ndarray) -> tuple[float, np.ndarray]:
    """The grid weight with the smallest one-step-ahead squared error, and its smoothed path."""
    best = None
    for alpha in EWMA_GRID:
        m = _ewma_path(y, float(alpha))
        err = float(np.mean((y[1:] - m[:-1]) ** 2)) if y.size > 1 else 0.0
        if best is None or err < best[0]:
            best = (err, float(alpha), m)
    assert best is not None
    return best[1], best[2]


def ewma(train: pd.DataFrame, horizon: int, draws: int, seed: int) -> CountForecast:
    """NB2 at the exponentially weighted mean of the training months (module docstring)."""
    y = train["launch_events"].to_numpy(dtype=float)
    n = train["nuclear_test"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    _, m = ewma_fit(y)
    rate = np.full((draws, horizon), max(m[-1], 0.5 / 12))
    conc = moment_concentration(y)
    p_nuc = (n.sum() + 0.5) / (len(n) + 1.0)
    return CountForecast("ewma", _nb_paths(rate, conc, rng), rate, np.full(draws, conc),
                         np.full((draws, horizon), p_nuc))


def local_level_nb(train: pd.DataFrame, horizon: int, draws: int, seed: int) -> CountForecast:
    """A random-walk log rate from the smoothed level, with NB2 noise (module docstring)."""
    y = train["launch_events"].to_numpy(dtype=float)
    n = train["nuclear_test"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    _, m = ewma_fit(y)
    log_level = np.log(np.maximum(m, 0.5 / 12))
    step_sd = float(np.std(np.diff(log_level), ddof=1)) if log_level.size > 2 else 0.1
    steps = rng.standard_normal((draws, horizon)) * step_sd
    rate = np.exp(log_level[-1] + np.cumsum(steps, axis=1))
    conc = moment_concentration(y)
    p_nuc = (n.sum() + 0.5) / (len(n) + 1.0)
    return CountForecast("local-level NB", _nb_paths(rate, conc, rng), rate,
                         np.full(draws, conc), np.full((draws, horizon), p_nuc))


#: The closed-form baselines by name (the no-policy count model is fitted in backtest.py).
BASELINES = {"climatology": climatology, "persistence": persistence,
             "persistence 24": _persistence_over(24), "persistence 36": _persistence_over(36),
             "ewma": ewma, "local-level NB": local_level_nb,
             "random walk": random_walk_log_rate}
