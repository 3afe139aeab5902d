"""Objects shared by tests/policy and tests/report, built once per process (functools.cache).

The dynamic fit is the module's fast Laplace fit on months up to 2023-09, cached on disk under
``$DETENTE_CACHE``, so only the first run pays for it. No test checks fitted values: every
property tested here holds whatever the posterior says.
"""

from __future__ import annotations

import functools


@functools.cache
def korea():
    from detente.scenario import load_scenario

    return load_scenario("korea-2023")


@functools.cache
def posterior():
    from detente.dynamics.fit import fit

    return fit(until="2023-09", method="laplace", seed=0)


@functools.cache
def panel():
    from detente.evidence import monthly_panel

    return monthly_panel()


@functools.cache
def small_comparison():
    """Every Korea policy, SMP with the BDM cross-check, 12 draws, 2 years, seed 7."""
    from detente.policy import compare

    return compare(korea(), horizon_months=24, draws=12, seed=7, posterior=posterior(),
                   panel=panel())


@functools.cache
def episode_backtest():
    """The dynamic model's episode back-test (``origins=[]``), as ``detente compare`` runs it but
    with 200 draws per forecast; its Laplace fits are cached on disk like the posterior's."""
    import warnings

    from detente.dynamics import backtest

    with warnings.catch_warnings():  # log(0) inside a baseline's score (scoringrules)
        warnings.simplefilter("ignore", RuntimeWarning)
        return backtest(panel(), origins=[], episodes=True, draws=200, seed=1)
