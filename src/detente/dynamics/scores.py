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

from typing import NamedTuple

import numpy as np

# scoringrules and scipy are imported where a score is computed: importing them costs ≈ 0.5 s,
# and a warm main job (every score cached) or a simulation never computes one (issue 16)

INTERVAL_LEVELS: tuple[float, ...] = (0.5, 0.8, 0.95)


def crps_sample(obs: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """CRPS of sample forecasts, shape (n,); ``draws`` of shape (n, n_draws)."""
    obs = np.asarray(obs, dtype=float)
    draws = np.asarray(draws, dtype=float)
    import scoringrules as sr

    return np.asarray(sr.crps_ensemble(obs, draws, estimator="qd"), dtype=float)


#: The largest count the Rao–Blackwellised CRPS sums to; rows whose mixture puts more mass
#: beyond it fall back to the sample CRPS (:func:`crps_counts`).
CRPS_MAX_COUNT = 256


class CountScores(NamedTuple):
    """:func:`crps_counts`' result: the CRPS (n,), its value on each block of draws
    (n, batches), and the mixture's CDF at ``obs − 1`` and at ``obs`` (the PIT's inputs)."""

    crps: np.ndarray
    crps_blocks: np.ndarray
    cdf_below: np.ndarray
    cdf_at: np.ndarray


def crps_counts(obs: np.ndarray, mean: np.ndarray, concentration: np.ndarray,
                paths: np.ndarray, batches: int = 1) -> CountScores:
    r"""CRPS of a count simulation, shape (n,), and its value on each of ``batches``
    contiguous blocks of the draws, shape (n, batches) (the batch means behind the Monte Carlo
    error of a mean score difference, :func:`batch_mc_se`); with the mixture's CDF below and
    at each observation, which the same sums give for free.

    Where it can, this is the Rao–Blackwellised CRPS: the CRPS of the equal-weight mixture of
    each draw's conditional NB2(:math:`\mu_d, \phi_d`) (Poisson where :math:`\phi = \infty`),
    which for a forecast on the integers is :math:`\sum_{k\ge 0} (F(k) - \mathbb 1\{k \ge
    y\})^2` (Gneiting & Raftery 2007, eq. 20; Czado, Gneiting & Held 2009, §2.3) with
    :math:`F(k) = \frac1D \sum_d \mathrm{NB}(\le k; \mu_d, \phi_d)`. It leaves out the
    sampling noise of the simulated counts, which made back-test verdicts move with the seed
    (issue 12): only the draws of the rate stay random. The sum runs to the first K (from 16,
    doubling) where the truncation bound :math:`S(K-1)\,\mathrm E[(X-K+1)^+] < 10^{-10}`
    holds (S the mixture's survival function), at most :data:`CRPS_MAX_COUNT`. A row whose
    mixture still has mass beyond that (draws of a random-walk rate that explode) gets the
    sample CRPS of ``paths`` instead (:func:`crps_sample`), noisy but unbiased in the same way.

    Parameters
    ----------
    obs : ndarray of shape (n,)
    mean, concentration : ndarray of shape (n, n_draws) (concentration broadcastable)
    paths : ndarray of shape (n, n_draws)
        The simulated counts (used only where the mixture's tail is too long).
    batches : int
    """
    obs = np.asarray(obs, dtype=float)
    mean = np.maximum(np.asarray(mean, dtype=float), 1e-12)
    conc = np.broadcast_to(np.asarray(concentration, dtype=float), mean.shape)
    n, draws = mean.shape
    blocks = draw_blocks(draws, batches)
    total = np.full(n, np.nan)
    per_block = np.full((n, len(blocks)), np.nan)
    below = np.full(n, np.nan)
    at = np.full(n, np.nan)
    rows = max(1, 2_000_000 // (draws * 32))
    for lo in range(0, n, rows):
        part = slice(lo, min(n, lo + rows))
        total[part], per_block[part], below[part], at[part] = _crps_nb_rows(
            obs[part], mean[part], conc[part], blocks)
    left = np.isnan(total)
    if left.any():
        paths = np.asarray(paths, dtype=float)
        total[left] = crps_sample(obs[left], paths[left])
        for b, block in enumerate(blocks):
            per_block[left, b] = crps_sample(obs[left], paths[left][:, block])
        at[left] = mixture_cdf(obs[left], mean[left], conc[left])
        below[left] = np.where(obs[left] > 0,
                               mixture_cdf(np.maximum(obs[left] - 1, 0), mean[left], conc[left]),
                               0.0)
    return CountScores(total, per_block, below, at)


def _crps_nb_rows(obs: np.ndarray, mean: np.ndarray, conc: np.ndarray,
                  blocks: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """:func:`crps_counts` on a few rows (NaN where K would pass the cap)."""
    from scipy.special import gammaln

    finite = np.isfinite(conc)
    r = np.where(finite, conc, 1.0)
    # log NB2 pmf: log p0 + log Γ(k+φ) − log Γ(φ) − log k! + k log q; Poisson: −μ − log k! + k log μ
    log_p0 = np.where(finite, -r * np.log1p(mean / r), -mean)
    log_q = np.where(finite, np.log(mean) - np.log(mean + r), np.log(mean))
    expected = mean.mean(axis=1)
    k_max = 16
    while k_max < obs.max(initial=0.0) + 2:
        k_max *= 2
    # log Γ(k+φ)/Γ(φ)/k! depends on the draw's φ only: once per draw when rows share them
    shared = bool(np.all(r == r[:1]) and np.all(finite == finite[:1]))
    rr, ff = (r[:1], finite[:1]) if shared else (r, finite)
    pmf = np.empty((*mean.shape, 0))  # (rows, D, K), one column per count k
    pmf_mean = np.empty((mean.shape[0], 0))  # its mean over the draws, (rows, K)
    while True:
        # a doubling of K computes only the new counts' columns: each column (and its mean
        # over the draws) is the same number whatever K is, so the result is unchanged; the
        # cumulative sum is redone whole, since a sum continued from a partial one rounds
        # differently
        k = np.arange(pmf.shape[-1], k_max, dtype=float)
        rising = np.where(ff[..., None], gammaln(k + rr[..., None]) - gammaln(rr[..., None]),
                          0.0) - gammaln(k + 1.0)
        more = np.exp(log_p0[..., None] + rising + k * log_q[..., None])
        pmf = np.concatenate([pmf, more], axis=-1)
        pmf_mean = np.concatenate([pmf_mean, more.mean(axis=1)], axis=-1)
        mixture = np.minimum(np.cumsum(pmf_mean, axis=-1), 1.0)
        survival = 1.0 - mixture
        tail_mean = np.maximum(expected - survival[:, :-1].sum(axis=1), 0.0)
        done = survival[:, -1] * tail_mean < 1e-10
        if done.all() or k_max >= CRPS_MAX_COUNT:
            break
        k_max *= 2
    above = (np.arange(k_max)[None, :] >= obs[:, None]).astype(float)
    total = np.where(done, np.sum((mixture - above) ** 2, axis=-1), np.nan)
    per_block = np.stack(
        [np.sum((np.minimum(np.cumsum(pmf[:, b].mean(axis=1), axis=-1), 1.0) - above) ** 2,
                axis=-1) for b in blocks], axis=1)
    per_block[~done] = np.nan
    y = np.minimum(obs.astype(int), k_max - 1)
    at = np.where(done, np.take_along_axis(mixture, y[:, None], axis=1)[:, 0], np.nan)
    below = np.where(obs > 0, np.take_along_axis(mixture, np.maximum(y - 1, 0)[:, None],
                                                 axis=1)[:, 0], 0.0)
    return total, per_block, np.where(done, below, np.nan), at


def batch_mc_se(per_block: np.ndarray) -> float:
    """Monte Carlo standard error of a mean score (or mean score difference) from its values
    on B contiguous blocks of the draws (batch means; Flegal & Jones 2010): sd / √B."""
    values = np.asarray(per_block, dtype=float)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return 0.0
    return float(np.std(values, ddof=1) / np.sqrt(values.size))


def _log_pmf_terms(obs: np.ndarray, mean: np.ndarray, concentration: np.ndarray) -> np.ndarray:
    """log NB2(obs; mean, concentration) per draw, shape (n, n_draws); Poisson where conc = ∞."""
    obs = np.asarray(obs, dtype=float)[:, None]
    mean = np.asarray(mean, dtype=float)
    conc = np.broadcast_to(np.asarray(concentration, dtype=float), mean.shape)
    mean = np.maximum(mean, 1e-12)
    finite = np.isfinite(conc)
    obs_b = np.broadcast_to(obs, mean.shape)
    out = np.empty(mean.shape)
    import scoringrules as sr
    from scipy import stats

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
    from scipy.special import logsumexp

    terms = _log_pmf_terms(obs, mean, concentration)
    return -(logsumexp(terms, axis=-1) - np.log(terms.shape[-1]))


def log_score_nb_blocks(obs: np.ndarray, mean: np.ndarray, concentration: np.ndarray,
                        blocks: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`log_score_nb_mixture` of all draws, shape (n,), and of each block of draws,
    shape (n, len(blocks)), from one evaluation of the per-draw log pmf."""
    from scipy.special import logsumexp

    terms = _log_pmf_terms(obs, mean, concentration)
    total = -(logsumexp(terms, axis=-1) - np.log(terms.shape[-1]))
    per_block = np.stack([-(logsumexp(terms[:, b], axis=-1) - np.log(len(b))) for b in blocks],
                         axis=1)
    return total, per_block


def draw_blocks(draws: int, batches: int) -> list[np.ndarray]:
    """The contiguous blocks of draw indices behind batch-means Monte Carlo errors."""
    return np.array_split(np.arange(draws), max(batches, 1))


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
    import scoringrules as sr

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
    from scipy import stats

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
