"""The dynamic model of DPRK testing: fit to the cited history, simulate under policy levers,
back-test against baselines.

- :func:`fit` — NUTS (headline) or Laplace (back-tests) fit on a training window → Posterior
- :func:`simulate` — trajectories under named policy levers, vectorised over draws
- :func:`backtest` — rolling-origin and episode back-tests with proper scores and baselines

The specification is the docstring of :mod:`detente.dynamics.model`; the priors and their
provenance are :mod:`detente.dynamics.priors`; ``docs/model.md`` is the reader's version.

The verbs share their names with their modules (``fit.py`` defines ``fit``), so they are bound
here eagerly: ``detente.dynamics.fit`` is always the function, the module is
``sys.modules["detente.dynamics.fit"]``.
"""

from __future__ import annotations

from detente.dynamics.backtest import BacktestResult, backtest
from detente.dynamics.fit import TrainingWindow, fit
from detente.dynamics.posterior import EndState, Posterior
from detente.dynamics.priors import LEVERS, PRIORS
from detente.dynamics.simulate import Trajectories, simulate

__all__ = [
           "LEVERS",
           "PRIORS",
           "BacktestResult",
           "EndState",
           "Posterior",
           "TrainingWindow",
           "Trajectories",
           "backtest",
           "fit",
           "simulate",
]
