"""Parameter recovery: fit (NUTS) on data simulated from the model with known parameters.

The truth is :data:`tests.dynamics.conftest.TRUTH`; the panel comes from
:func:`detente.dynamics.simulate.synthetic_panel` (numpy generative code, independent of the
NumPyro likelihood). The frequentist cross-check (statsmodels NB2 MLE, a different algorithm)
must agree with the truth and with the posterior.
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.dynamics import fit
from detente.dynamics.fit import GLM_TERMS, frequentist_check
from detente.dynamics.priors import REGIMES, priors_for
from detente.dynamics.simulate import synthetic_panel

from .conftest import TRUTH

# 600 months (50 years) so regime and leader effects are identified
LEADERS = (("Kim Il Sung", 150), ("Kim Jong Il", 200), ("Kim Jong Un", 250))


@pytest.fixture(scope="module")
def simulated():
    return synthetic_panel(TRUTH, leaders=LEADERS, unsc_resolution_rate=0.05, seed=11)


@pytest.fixture(scope="module")
def posterior(simulated):
    return fit(simulated, method="nuts", chains=2, warmup=250, samples=250, seed=1, cache=False)


@pytest.mark.slow
def test_nuts_converges_on_simulated_data(posterior):
    assert posterior.info["max_r_hat"] < 1.05
    assert posterior.info["min_ess"] > 100
    assert posterior.info["divergences"] <= 5


@pytest.mark.slow
def test_truth_in_90_percent_interval_for_most_parameters(posterior):
    inside = {}
    for spec in priors_for("full"):
        lo, hi = np.quantile(posterior.samples[spec.name], [0.05, 0.95])
        inside[spec.name] = bool(lo <= TRUTH[spec.name] <= hi)
    # 15 parameters at nominal 90 %: expect 13.5; require at least 12
    assert sum(inside.values()) >= 12, inside
    lo, hi = np.quantile(posterior.samples["transition"], [0.05, 0.95], axis=0)
    truth = TRUTH["transition"]
    covered = (lo <= truth) & (truth <= hi)
    assert covered.sum() >= 7, dict(zip(REGIMES, covered.tolist(), strict=True))


@pytest.mark.slow
def test_statsmodels_cross_check_agrees_with_truth_and_posterior(simulated, posterior):
    glm = frequentist_check(simulated, memory_decay=TRUTH["memory_decay"])
    truth_inside = [glm.loc[t, "ci_low"] <= TRUTH[t] <= glm.loc[t, "ci_high"] for t in GLM_TERMS]
    assert sum(truth_inside) >= 8, dict(zip(GLM_TERMS, truth_inside, strict=True))
    agree = []
    for term in GLM_TERMS:
        draws = posterior.samples[term]
        gap = abs(glm.loc[term, "estimate"] - draws.mean())
        agree.append(gap < 2 * max(draws.std(), glm.loc[term, "se"]))
    assert sum(agree) >= 8, dict(zip(GLM_TERMS, agree, strict=True))
