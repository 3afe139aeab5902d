"""The dashboard page of ``detente serve``: the page, its static files, and chart specs.

The page (``static/index.html`` with ``dashboard.js`` and ``dashboard.css``) is plain HTML and
JavaScript that calls the JSON API and renders its results; charts are Vega-Lite specs built
by :mod:`detente.web.charts` and drawn by the vendored vega-embed (``static/vendor``, see
``VENDOR.md``), so the page works offline: nothing is loaded from anywhere but this server.

Routes
------
``GET /``
    The page. When the request carries ``?token=``, the page's own asset links carry it too,
    so a server that checks the token on every request still serves the page's files.
``GET /static/{path}``
    Files under ``detente/web/static`` (never outside it).
``POST /api/charts/{kind}``
    Body: a result dict as the API returned it; answer: the Vega-Lite spec
    (:func:`detente.web.charts.chart`). A result that lacks what the chart draws is a 422 that
    names the missing key; an unknown kind a 404.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

#: Where the page's files live (shipped in the wheel: hatchling packages src/detente whole).
STATIC = Path(__file__).resolve().parent / "static"

#: Content types of the files the page loads (the rest get FileResponse's guess).
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".html": "text/html; charset=utf-8", ".md": "text/plain; charset=utf-8"}

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def page(request: Request) -> HTMLResponse:
    """The dashboard page; asset links carry the request's ``?token=`` when it has one."""
    token = request.query_params.get("token")
    suffix = "" if not token else "?token=" + quote(token, safe="")
    text = (STATIC / "index.html").read_text(encoding="utf-8")
    # html.escape: the token is the user's own text, placed inside attribute values
    return HTMLResponse(text.replace("{{asset_query}}", html.escape(suffix, quote=True)),
                        headers={"Cache-Control": "no-store"})


@router.get("/static/{path:path}", include_in_schema=False)
def static_file(path: str) -> FileResponse:
    """A file of the page (``static/``); anything outside that folder is a 404."""
    target = (STATIC / path).resolve()
    if not target.is_relative_to(STATIC) or not target.is_file():
        raise HTTPException(status_code=404, detail=f"no static file {path!r}")
    return FileResponse(target, media_type=MEDIA_TYPES.get(target.suffix))


@router.post("/api/charts/{kind}", tags=["charts"])
def chart_spec(kind: str, result: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
    """The Vega-Lite spec of chart ``kind`` (trajectories, positions, fan, paired,
    track-record) for a result dict the API returned; rendering only, nothing is computed.

    An unknown kind is a 404 and a result that lacks what the chart draws a 422, both in the
    API's error form (``detail`` and located ``problems``, :func:`detente.web.app.create_app`).
    """
    from detente.errors import Problem
    from detente.web.app import NotFoundError
    from detente.web.charts import CHARTS, chart

    if kind not in CHARTS:
        raise NotFoundError(f"no chart {kind[:60]!r}", [Problem(
            "unknown chart kind", path="kind", allowed=", ".join(CHARTS))])
    return chart(kind, result)
