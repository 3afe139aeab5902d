"""The web face of détente (``detente serve``): a FastAPI app over the library verbs.

The web layer never computes: each endpoint calls a public library verb and returns its
``to_dict()``. Long work (compare, back-tests, sweeps) runs as jobs in worker processes.
Importing this package is cheap; :func:`create_app` imports FastAPI.
"""

from __future__ import annotations

from typing import Any


def create_app(store: Any = None, token: str | None = None, limits: Any = None) -> Any:
    """The FastAPI application of ``detente serve`` (see :func:`detente.web.app.create_app`)."""
    from detente.web.app import create_app as _create

    return _create(store=store, token=token, limits=limits)


__all__ = ["create_app"]
