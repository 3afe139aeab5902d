"""Scores against hand-computed values (each test says how the expected number was derived)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.dynamics.scores import (
    brier,
    crps_sample,
    interval_coverage,
    log_score_nb_mixture,
    pit_histogram,
    prob_at_least_one,
    skill,
)


def test_crps_of_two_member_ensemble_by_hand():
    # y = 1, ensemble {0, 2}: the empirical CDF is 0.5 on [0, 2); the integral of
    # (F(x) - 1{x >= 1})^2 is 0.25 * 1 + 0.25 * 1 = 0.5.
    # y = 3, ensemble {1}: CRPS of a point forecast is |3 - 1| = 2.
    # y = 0, ensemble {0, 0, 0}: a perfect point forecast scores 0.
    assert crps_sample(np.array([3.0]), np.array([[1.0, 1.0]]))[0] == pytest.approx(2.0)
    assert crps_sample(np.array([0.0]), np.array([[0.0, 0.0, 0.0]]))[0] == pytest.approx(0.0)
    assert crps_sample(np.array([1.0]), np.array([[0.0, 2.0]]))[0] == pytest.approx(0.5)


def test_crps_equals_the_energy_form_it_implements():
    # Gneiting & Raftery (2007) eq. (21) over the empirical distribution, written out here:
    # mean |X - y| - 0.5 mean |X - X'| over all ordered pairs of draws
    rng = np.random.default_rng(7)
    obs = rng.poisson(1.5, size=40).astype(float)
    draws = rng.negative_binomial(2, 0.4, size=(40, 57)).astype(float)
    first = np.abs(draws - obs[:, None]).mean(axis=1)
    second = 0.5 * np.abs(draws[:, :, None] - draws[:, None, :]).mean(axis=(1, 2))
    np.testing.assert_allclose(crps_sample(obs, draws), first - second, rtol=0, atol=1e-12)


def test_negative_binomial_log_scores_by_hand():
    # NB2(mu=1, phi=1) is geometric with p = 1/2: P(0) = 1/2, P(2) = (1/2)(1/2)^2 = 1/8.
    assert log_score_nb_mixture(np.array([0.0]), np.array([[1.0]]), 1.0)[0] == \
        pytest.approx(math.log(2.0))
    assert log_score_nb_mixture(np.array([2.0]), np.array([[1.0]]), 1.0)[0] == \
        pytest.approx(math.log(8.0))
    # equal mixture of NB2(1, 1) and NB2(3, 1): P(0) = (1/2 + 1/4) / 2 = 3/8
    assert log_score_nb_mixture(np.array([0.0]), np.array([[1.0, 3.0]]), 1.0)[0] == \
        pytest.approx(-math.log(0.375))
    # phi = inf is Poisson: P(1 | mu=2) = 2 e^-2
    assert log_score_nb_mixture(np.array([1.0]), np.array([[2.0]]), np.inf)[0] == \
        pytest.approx(-math.log(2.0 * math.exp(-2.0)))
    # a small concentration (scoringrules 0.10's logs_negbinom gives inf here): y=5, mu=0.2,
    # phi=0.3: P(5) = Γ(5.3)/(Γ(0.3) 5!) (0.3/0.5)^0.3 (0.2/0.5)^5
    p5 = (math.gamma(5.3) / (math.gamma(0.3) * 120.0)) * 0.6**0.3 * 0.4**5
    assert log_score_nb_mixture(np.array([5.0]), np.array([[0.2]]), 0.3)[0] == \
        pytest.approx(-math.log(p5))


def test_brier_and_probability_of_a_launch_by_hand():
    # (0.8 - 1)^2 = 0.04, (0.3 - 0)^2 = 0.09
    assert brier(np.array([1.0, 0.0]), np.array([0.8, 0.3])) == pytest.approx([0.04, 0.09])
    # NB2(1, 1): P(y >= 1) = 1 - 1/2; Poisson(ln 2): 1 - e^{-ln 2} = 1/2
    assert prob_at_least_one(np.array([[1.0]]), 1.0)[0] == pytest.approx(0.5)
    assert prob_at_least_one(np.array([[math.log(2.0)]]), np.inf)[0] == pytest.approx(0.5)


def test_interval_coverage_on_the_integers_0_to_99():
    # draws 0..99: inverted-CDF quantiles 0.25/0.75 are 24/74, 0.1/0.9 are 9/89,
    # 0.025/0.975 are 2/97 (the smallest x with F(x) >= q, F(x) = (x+1)/100)
    draws = np.tile(np.arange(100.0), (3, 1))
    cover = interval_coverage(np.array([50.0, 80.0, 99.0]), draws)
    assert cover[0.5].tolist() == [True, False, False]
    assert cover[0.8].tolist() == [True, True, False]
    assert cover[0.95].tolist() == [True, True, False]


def test_pit_histogram_by_hand():
    # predictive NB2(1, 1): F(0) = 1/2, F(1) = 3/4. y = 0 -> PIT uniform on [0, 1/2]: 4 bins
    # get 1/2, 1/2, 0, 0. y = 1 -> uniform on [1/2, 3/4]: all mass in bin 3.
    assert pit_histogram(np.array([0.0]), np.array([[1.0]]), 1.0, bins=4) == \
        pytest.approx([0.5, 0.5, 0.0, 0.0])
    assert pit_histogram(np.array([1.0]), np.array([[1.0]]), 1.0, bins=4) == \
        pytest.approx([0.0, 0.0, 1.0, 0.0])


def test_skill_orientation():
    # CRPS 0.5 against 1.0: half the reference's error; log score 1.2 vs 1.5: 0.3 nats better
    assert skill(0.5, 1.0) == pytest.approx(0.5)
    assert skill(1.2, 1.5, "difference") == pytest.approx(0.3)
    assert skill(2.0, 1.0) == pytest.approx(-1.0)


def _mixture_crps_by_energy_form(y, mean, conc, k_max=3000):
    """CRPS = E|X − y| − ½ E|X − X'| (Gneiting & Raftery 2007, eq. 21) on the exact pmf of the
    NB2/Poisson mixture from scipy, summed to ``k_max``: an independent route to the value."""
    from scipy import stats

    k = np.arange(k_max)
    out = []
    for i in range(len(y)):
        pmf = np.zeros(k_max)
        for m, c in zip(mean[i], conc[i], strict=True):
            pmf += (stats.poisson.pmf(k, m) if np.isinf(c) else
                    stats.nbinom.pmf(k, c, c / (c + m)))
        pmf /= len(mean[i])
        cdf = np.cumsum(pmf)
        # ½ E|X − X'| = Σ_k F(k)(1 − F(k)) for integer X (the Gini mean difference's CDF form)
        out.append(float(np.sum(pmf * np.abs(k - y[i])) - np.sum(cdf * (1 - cdf))))
    return np.array(out)


def test_rao_blackwellised_crps_equals_the_energy_form_of_the_mixture():
    from detente.dynamics.scores import crps_counts

    rng = np.random.default_rng(1)
    n, draws = 6, 120
    mean = rng.gamma(1.0, 2.0, (n, draws))
    conc = np.broadcast_to(np.where(np.arange(draws) < 20, np.inf,
                                    0.3 + rng.gamma(1.0, 1.0, draws)), (n, draws))
    y = np.array([0.0, 1.0, 2.0, 5.0, 9.0, 3.0])
    got = crps_counts(y, mean, conc, paths=np.zeros((n, draws)), batches=4)
    np.testing.assert_allclose(got.crps, _mixture_crps_by_energy_form(y, mean, conc),
                               rtol=0, atol=1e-9)
    # each block is the CRPS of the mixture of its own draws
    block = np.arange(draws)[90:]
    np.testing.assert_allclose(got.crps_blocks[:, 3],
                               _mixture_crps_by_energy_form(y, mean[:, block], conc[:, block]),
                               rtol=0, atol=1e-9)
    # the CDF below and at y are the mixture's (scipy, draw by draw)
    from scipy import stats
    at = np.mean([[stats.poisson.cdf(y[i], m) if np.isinf(c) else
                   stats.nbinom.cdf(y[i], c, c / (c + m))
                   for m, c in zip(mean[i], conc[i], strict=True)] for i in range(n)], axis=1)
    np.testing.assert_allclose(got.cdf_at, at, rtol=0, atol=1e-12)


def test_crps_falls_back_to_the_sample_where_the_mixture_tail_is_too_long():
    from detente.dynamics.scores import CRPS_MAX_COUNT, crps_counts

    # one row with a draw whose NB2 rate explodes (a random walk's tail): its mixture has mass
    # far beyond the cap, so the row's CRPS is the sample CRPS of its paths (energy form by hand)
    mean = np.array([[0.5, 0.5, 50_000.0, 0.5], [0.5, 0.4, 0.6, 0.5]])
    conc = np.full_like(mean, 0.3)
    paths = np.array([[0.0, 1.0, 40_000.0, 0.0], [0.0, 1.0, 0.0, 2.0]])
    y = np.array([1.0, 1.0])
    got = crps_counts(y, mean, conc, paths, batches=1)
    x = paths[0]
    by_hand = np.mean(np.abs(x - 1.0)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :]))
    assert got.crps[0] == pytest.approx(by_hand, rel=1e-12)
    assert CRPS_MAX_COUNT < 40_000
    np.testing.assert_allclose(got.crps[1:], _mixture_crps_by_energy_form(y[1:], mean[1:],
                                                                         conc[1:]), atol=1e-9)


def test_batch_mc_se_is_the_standard_error_of_the_batch_means():
    from detente.dynamics.scores import batch_mc_se

    # values 1, 2, 3, 4: sd (ddof 1) = √(5/3), over √4
    assert batch_mc_se([1.0, 2.0, 3.0, 4.0]) == pytest.approx(math.sqrt(5 / 3) / 2)
    assert batch_mc_se([2.0]) == 0.0
