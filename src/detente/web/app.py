"""The FastAPI application of ``detente serve``.

Skeleton: the JSON API is added endpoint by endpoint; the dashboard page is
:data:`detente.web.dashboard.router`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI


def create_app(store: Path | str | None = None, token: str | None = None,
               limits: Any = None) -> FastAPI:
    """Build the app: the JSON API under ``/api`` and the dashboard router.

    ``store`` is the run store (DuckDB file; default as the CLI's ``--store``), ``token`` the
    bearer token every request must carry (None: no check, for 127.0.0.1), ``limits`` the
    server limits (:class:`detente.limits.ServerLimits`; default limits when None).
    """
    from detente.web import dashboard

    app = FastAPI(title="détente", docs_url="/docs")
    app.state.store = Path(store) if store is not None else None
    app.state.token = token
    app.state.limits = limits
    app.include_router(dashboard.router)
    return app
