"""Bargaining engines: where does the bargaining on each issue end up?

- :mod:`detente.bargaining.bdm` — Bueno de Mesquita's expected-utility model as reconstructed by
  Scholz, Calbert & Smith (2011), vectorised over actor pairs and Monte Carlo draws.
- :mod:`detente.bargaining.result` — the result family every engine returns
  (:class:`IssueResult`, :class:`IssueDistribution`, :class:`Forecast`).
- :mod:`detente.bargaining.montecarlo` — sampling of scenario ranges into engine input batches.
- :mod:`detente.bargaining.forecast` — the public verb :func:`forecast` and the engine registry.
"""

from __future__ import annotations

from detente.bargaining.result import Forecast, IssueDistribution, IssueResult

__all__ = ["Forecast", "IssueDistribution", "IssueResult"]
