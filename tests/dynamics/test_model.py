"""The NumPyro model against its specification: sites, shapes, likelihood, data access."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpyro import handlers
from numpyro.infer.util import log_density
from scipy import stats

from detente.dynamics._memory import MEMORY_LAGS, lagged_launch_events, memory_weights
from detente.dynamics.model import dprk_testing_model, model_data
from detente.dynamics.priors import LEVERS, PRIORS, prior_table, priors_for
from detente.errors import OptionsError

from .conftest import TRUTH


def _trace(panel, variant="full"):
    data = model_data(panel.loc[:"2000-12"])
    with handlers.seed(rng_seed=0):
        return handlers.trace(dprk_testing_model).get_trace(data, variant)


def test_every_parameter_has_exactly_one_sourced_prior(panel):
    """No undocumented parameter: the sampled sites are exactly the prior table's rows."""
    for variant in ("full", "no_policy"):
        tr = _trace(panel, variant)
        sampled = {k for k, v in tr.items() if v["type"] == "sample" and not v["is_observed"]}
        assert sampled == {p.name for p in priors_for(variant)}
    assert all(p.source for p in PRIORS)
    table = prior_table()
    assert (table["prior_q05"] < table["prior_q95"]).all()
    # every lever named on a parameter is a lever simulate() understands
    assert {p.lever for p in PRIORS if p.lever} <= set(LEVERS)


def test_model_shapes(panel):
    """Named plate 'month' spans the padded months; parameters are scalars (format_shapes)."""
    tr = _trace(panel)
    assert tr["launch_events"]["fn"].batch_shape == (600,)
    assert tr["month"]["type"] == "plate"
    assert all(tr[p.name]["value"].shape == () for p in priors_for("full"))


def test_memory_design_by_hand():
    # y = [1, 2, 3]: month 0 has no past, month 1 sees y0 = 1, month 2 sees (y1, y0) = (2, 1)
    lagged = lagged_launch_events(np.array([1, 2, 3]))
    assert lagged.shape == (3, MEMORY_LAGS)
    assert lagged[0].sum() == 0
    assert lagged[1, :2].tolist() == [1, 0]
    assert lagged[2, :2].tolist() == [2, 1]
    # the truncated geometric kernel sums to one, w1/w0 = δ
    w = memory_weights(0.6)
    assert w.sum() == pytest.approx(1.0)
    assert w[1] / w[0] == pytest.approx(0.6)


def test_log_likelihood_equals_an_independent_scipy_computation(panel):
    """The model's joint log density at known parameters equals the sum of scipy log pmfs and
    log pdfs computed here month by month (memory by an explicit loop), plus the priors."""
    train = panel.loc[:"2019-12"]
    data = model_data(train)
    theta = {k: v for k, v in TRUTH.items() if k != "transition"}
    got, _ = log_density(dprk_testing_model, (data, "full"), {}, theta)

    y = train["launch_events"].to_numpy()
    z = train["missiles"].to_numpy()
    n = train["nuclear_test"].to_numpy()
    regime = train["regime"].to_numpy()
    unsc = train["unsc_resolution"].to_numpy()
    leader = train["leader"].to_numpy()
    delta, k_lags = theta["memory_decay"], MEMORY_LAGS
    total = 0.0
    for t in range(len(y)):
        weights = [(1 - delta) * delta**k / (1 - delta**k_lags) for k in range(k_lags)]
        memory = sum(weights[k] * y[t - 1 - k] for k in range(k_lags) if t - 1 - k >= 0)
        month = train.index[t].month
        log_mu = (theta["log_base_rate"]
                  + theta["log_rate_ratio_dialogue"] * (regime[t] == "dialogue")
                  + theta["log_rate_ratio_crisis"] * (regime[t] == "crisis")
                  + theta["sanctions_effect"] * (unsc[t - 1] if t > 0 else 0)
                  + theta["leader_kim_jong_il"] * (leader[t] == "Kim Jong Il")
                  + theta["leader_kim_jong_un"] * (leader[t] == "Kim Jong Un")
                  + theta["season_cos"] * np.cos(2 * np.pi * month / 12)
                  + theta["season_sin"] * np.sin(2 * np.pi * month / 12)
                  + theta["self_excitation"] * np.log1p(memory))
        mu, phi = np.exp(log_mu), theta["concentration"]
        total += stats.nbinom.logpmf(y[t], phi, phi / (phi + mu))
        if y[t] > 0:
            m, c = theta["extra_missiles_per_event"] * y[t], theta["salvo_concentration"] * y[t]
            total += stats.nbinom.logpmf(z[t] - y[t], c, c / (c + m))
        logit = theta["nuclear_logit_base"] + theta["nuclear_log_odds_dialogue"] * (
            regime[t] == "dialogue")
        p = 1 / (1 + np.exp(-logit))
        total += np.log(p if n[t] else 1 - p)
    for spec in priors_for("full"):
        total += spec.frozen_scipy().logpdf(theta[spec.name])
    assert float(got) == pytest.approx(total, rel=2e-4)


def test_model_data_errors_name_the_field(panel):
    with pytest.raises(OptionsError) as err:
        model_data(panel.drop(columns=["regime"]))
    assert err.value.problems[0].path == "regime"
    bad = panel.copy()
    bad.iloc[5, bad.columns.get_loc("missiles")] = -1
    with pytest.raises(OptionsError) as err:
        model_data(bad)
    assert "missiles" in err.value.problems[0].path
    bad = panel.copy()
    bad["regime"] = bad["regime"].replace("crisis", "war")
    with pytest.raises(OptionsError, match="regime"):
        model_data(bad)


def test_model_reads_launch_events_as_primary_series(panel, reference_dir):
    """Yearly sums of the arrays the fit sees equal the record: distinct Korean launch days for
    the primary series (recomputed from the published dates and times,
    tests/evidence/_kst.py), and the reference's ``launches`` plus the launches détente added
    from other primary sources for missiles."""
    from detente import evidence
    from tests.evidence._kst import added_per_year, kst_days_per_year

    annual = pd.read_csv(reference_dir / "history" / "missile_launches_by_year.csv",
                         index_col="year")
    data = model_data(panel)
    years = panel.index.year.to_numpy()
    n_months = len(panel)
    events = pd.Series(data.launch_events[:n_months]).groupby(years).sum()
    missiles = pd.Series(data.missiles[:n_months]).groupby(years).sum()
    flights = evidence.missile_launches()
    assert events.to_dict() == kst_days_per_year(flights, annual.index).to_dict()
    assert missiles.to_dict() == (annual["launches"]
                                  + added_per_year(flights, annual.index)).to_dict()
