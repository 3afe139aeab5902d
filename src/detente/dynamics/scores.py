r"""Proper scores for count and binary forecasts (via ``scoringrules``), coverage, PIT, skill.

Conventions: every score is negatively oriented (smaller is better). Arrays are
``obs`` of shape (n,) and forecasts with the draws on the last axis, (n, n_draws).

- CRPS of a sample forecast: the energy form of Gneiting & Raftery (2007) [1]_ eq. (21),
  :math:`\operatorname{E}|X-y| - \tfrac12\operatorname{E}|X-X'|` over the empirical distribution
  of the draws, computed by ``scoringrules.crps_ensemble(estimator="qd")``: the quantile
  decomposition over the sorted draws, equal to the energy form to 4e-16 (tested) in
  O(n·m log m) time and O(n·m) memory, where the direct "nrg" form builds an (n, m, m) array
  (288 MB per back-test call; issue 16).
- Log score of a negative-binomial mixture (the Rao–Blackwellised predictive of a simulation:
  each draw's conditional NB2(:math:`\mu_d, \phi_d`)): :math:`-\log \frac1D \sum_d
  \mathrm{NB}(y; \mu_d, \phi_d)`, each term from ``scipy.stats.nbinom.logpmf``
  (``scoringrules.logs_poisson`` where :math:`\phi = \infty`). ``scoringrules.logs_negbinom``
  (0.10) returns ``inf`` for concentrations below 1 (e.g. y = 5, μ = 0.2, φ = 0.3, where the
  log score is 6.98), which this model's posterior often has, so it is not used.
- Brier score :math:`(p - o)^2` (Brier 1950) via ``scoringrules.brier_score``.
- Central-interval coverage from the draws' quantiles.
- The non-randomised PIT histogram for counts of Czado, Gneiting & Held (2009) [2]_ eq. (2).
- Skill against a reference: :math:`1 - S/S_\text{ref}` (CRPS, Brier); for the log score the
  mean difference in nats :math:`S_\text{ref} - S` (both positive when the forecast is better).

References
----------
.. [1] T. Gneiting and A. E. Raftery, "Strictly proper scoring rules, prediction, and
   estimation", *JASA* 102(477), 359–378, 2007.
.. [2] C. Czado, T. Gneiting and L. Held, "Predictive model assessment for count data",
   *Biometrics* 65(4), 1254–1261, 2009.
"""

from __future__ import annotations

import numpy as np
import scoringrules as sr
from scipy import stats
from scipy.special import logsumexp

INTERVAL_LEVELS: tuple[float, ...] = (0.5, 0.8, 0.95)


def crps_sample(obs: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """CRPS of sample forecasts, shape (n,); ``draws`` of shape (n, n_draws)."""
    obs = np.asarray(obs, dtype=float)
    draws = np.asarray(draws, dtype=float)
    return np.asarray(sr.crps_ensemble(obs, draws, estimator="qd"), dtype=float)


def _log_pmf_terms(obs: np.ndarray, mean: np.ndarray, concentration: np.ndarray) -> np.ndarray:
    """log NB2(obs; mean, concentration) per draw, shape (n, n_draws); Poisson where conc = ∞."""
    obs = np.asarray(obs, dtype=float)[:, None]
    mean = np.asarray(mean, dtype=float)
    conc = np.broadcast_to(np.asarray(concentration, dtype=float), mean.shape)
    mean = np.maximum(mean, 1e-12)
    finite = np.isfinite(conc)
    obs_b = np.broadcast_to(obs, mean.shape)
    out = np.empty(mean.shape)
    if finite.any():  # scipy, not sr.logs_negbinom: see the module docstring
        c = conc[finite]
        out[finite] = stats.nbinom.logpmf(obs_b[finite], c, c / (c + mean[finite]))
    if (~finite).any():
        out[~finite] = -np.asarray(sr.logs_poisson(obs_b[~finite], mean[~finite]), dtype=float)
    return out


def log_score_nb_mixture(obs: np.ndarray, mean: np.ndarray,
                         concentration: np.ndarray) -> np.ndarray:
    """Log score of an equal-weight mixture of NB2 draws, shape (n,).

    Parameters
    ----------
    obs : ndarray of shape (n,)
        Observed counts.
    mean : ndarray of shape (n, n_draws)
        Each draw's conditional mean.
    concentration : ndarray broadcastable to (n, n_draws)
        Each draw's NB2 concentration; ``inf`` means Poisson.
    """
    terms = _log_pmf_terms(obs, mean, concentration)
    return -(logsumexp(terms, axis=-1) - np.log(terms.shape[-1]))


def prob_at_least_one(mean: np.ndarray, concentration: np.ndarray) -> np.ndarray:
    r"""P(y ≥ 1) of an NB2 mixture: :math:`1 - \frac1D\sum_d (\phi_d/(\phi_d+\mu_d))^{\phi_d}`."""
    mean = np.asarray(mean, dtype=float)
    conc = np.broadcast_to(np.asarray(concentration, dtype=float), mean.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = np.where(np.isfinite(conc), np.exp(conc * (np.log(conc) - np.log(conc + mean))),
                      np.exp(-mean))
    return 1.0 - p0.mean(axis=-1)


def brier(obs: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """Brier score :math:`(p - o)^2`, shape (n,)."""
    return np.asarray(sr.brier_score(np.asarray(obs, dtype=float),
                                     np.clip(np.asarray(prob, dtype=float), 0.0, 1.0)),
                      dtype=float)


def interval_coverage(obs: np.ndarray, draws: np.ndarray,
                      levels: tuple[float, ...] = INTERVAL_LEVELS) -> dict[float, np.ndarray]:
    """Whether each observation lies in the central interval of each level (bool (n,) per level).

    The interval of level :math:`\\ell` runs from the :math:`(1-\\ell)/2` to the
    :math:`(1+\\ell)/2` quantile of the draws (inverted-CDF quantiles, so the bounds are counts),
    both ends inclusive.
    """
    obs = np.asarray(obs, dtype=float)
    out = {}
    for level in levels:
        lo = np.quantile(draws, (1 - level) / 2, axis=-1, method="inverted_cdf")
        hi = np.quantile(draws, (1 + level) / 2, axis=-1, method="inverted_cdf")
        out[level] = (obs >= lo) & (obs <= hi)
    return out


def mixture_cdf(k: np.ndarray, mean: np.ndarray, concentration: np.ndarray) -> np.ndarray:
    """CDF at ``k`` (shape (n,)) of the NB2 mixture with draws on the last axis."""
    k = np.asarray(k, dtype=float)[:, None]
    mean = np.maximum(np.asarray(mean, dtype=float), 1e-12)
    conc = np.broadcast_to(np.asarray(concentration, dtype=float), mean.shape)
    finite = np.isfinite(conc)
    k_b = np.broadcast_to(k, mean.shape)
    cdf = np.empty(mean.shape)
    cdf[finite] = stats.nbinom.cdf(k_b[finite], conc[finite],
                                   conc[finite] / (conc[finite] + mean[finite]))
    cdf[~finite] = stats.poisson.cdf(k_b[~finite], mean[~finite])
    return cdf.mean(axis=-1)


def pit_histogram(obs: np.ndarray, mean: np.ndarray, concentration: np.ndarray,
                  bins: int = 10) -> np.ndarray:
    """Non-randomised PIT histogram of count forecasts (Czado et al. 2009, eq. 2), shape (bins,).

    For each observation the PIT is uniform on :math:`[P(y-1), P(y)]`; its CDF
    :math:`F(u)` is averaged over observations and the bin heights are
    :math:`\\bar F(j/J) - \\bar F((j-1)/J)` (they sum to 1; a calibrated forecast gives 1/J).
    """
    obs = np.asarray(obs, dtype=float)
    upper = mixture_cdf(obs, mean, concentration)
    lower = np.where(obs > 0, mixture_cdf(obs - 1, mean, concentration), 0.0)
    return pit_from_cdf(lower, upper, bins)


def pit_from_cdf(lower: np.ndarray, upper: np.ndarray, bins: int = 10) -> np.ndarray:
    """The non-randomised PIT histogram (Czado et al. 2009, eq. 2) from each observation's
    predictive CDF just below and at it, ``P(y − 1)`` and ``P(y)``: the one PIT of détente.

    Each PIT is uniform on ``[lower, upper]``; the bin heights are
    :math:`\bar F(j/J) - \bar F((j-1)/J)` of the mean CDF (they sum to 1; calibrated: 1/J).
    """
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    u = np.linspace(0.0, 1.0, bins + 1)[:, None]  # (bins+1, n)
    width = np.maximum(upper - lower, 1e-12)
    f = np.clip((u - lower) / width, 0.0, 1.0)
    f = np.where(u >= upper, 1.0, f)
    return np.diff(f.mean(axis=1))


def skill(score: float, reference: float, orientation: str = "ratio") -> float:
    """Skill of a mean score against a reference's mean score (positive: better than reference).

    ``ratio``: :math:`1 - S/S_\\text{ref}` (CRPS, Brier); ``difference``: :math:`S_\\text{ref}
    - S` (log score, in nats).
    """
    if orientation == "difference":
        return float(reference - score)
    if reference == 0:
        return 0.0 if score == 0 else -np.inf
    return float(1.0 - score / reference)
