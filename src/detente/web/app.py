"""The FastAPI application of ``detente serve``: a JSON API over the library verbs.

Every endpoint calls a public verb and returns its ``to_dict()`` (or reads the run store); the
web layer computes nothing of its own. Long work runs as jobs in worker processes
(:mod:`detente.web.jobs`). The endpoints, limits, token rule and job life cycle are described in
docs/serve.md; the dashboard page is :data:`detente.web.dashboard.router`.

Safety rules kept here:

- a scenario is named by an embedded id or an upload id (``^[a-z0-9][a-z0-9._-]{0,63}$``), never
  by a path: ids are looked up in the embedded set and the server's uploads only, so
  ``../../etc/passwd`` and ``/etc/passwd`` name nothing;
- every request over a limit (:class:`detente.limits.ServerLimits`) gets a 4xx naming the limit;
- every :class:`~detente.errors.DetenteError` is a 4xx ``{"detail": ..., "problems": [...]}``
  (a busy or unusable run store a 503 saying so): bad input never gets a 5xx;
- with a token, every request carries it (``Authorization: Bearer …`` or ``?token=``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import hmac
import io
import json
import math
import re
import threading
import zipfile
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from detente.errors import DetenteError, EnvironmentFault, OptionsError, Problem, elide
from detente.web.jobs import (
    JOB_KINDS,
    TERMINAL,
    JobLimitError,
    JobManager,
    UnknownJobError,
    _jsonable,
)

#: Scenario ids a client may name: embedded ids and ``upload-<hash12>``.
SCENARIO_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
#: Run ids (``compare-20260102-030405-abcdef``) or unique prefixes of them.
RUN_ID = re.compile(r"[a-z][a-z0-9._-]{0,127}")
JOB_ID = re.compile(r"job-[0-9a-f]{12}")
#: Most rows of a stored table one request returns (GET /api/runs/{id}/tables/{name}).
MAX_TABLE_ROWS = 100_000


class NotFoundError(DetenteError):
    """What a request names does not exist (HTTP 404)."""


class LimitError(OptionsError):
    """A request over one of the server's limits (HTTP 422, or 413 for a body)."""


def _status(err: DetenteError) -> int:
    from detente.runs.store import StoreBusyError, StoreCorruptError

    if isinstance(err, NotFoundError | UnknownJobError):
        return 404
    if isinstance(err, JobLimitError):
        return 429
    if isinstance(err, StoreBusyError | StoreCorruptError | EnvironmentFault):
        return 503  # the server's own store, not the request, is the trouble
    return 422


def problem_dict(p: Problem) -> dict[str, Any]:
    """A located problem as the API returns it (``field`` is the field path)."""
    return {"field": p.path, "line": p.line, "column": p.column, "message": p.message,
            "severity": p.severity, "allowed": p.allowed, "file": p.file}


class SafeJSONResponse(JSONResponse):
    """JSON with NaN and infinities as null, numpy values as numbers, dates as ISO text."""

    def render(self, content: Any) -> bytes:
        return json.dumps(_jsonable(content), ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")


def _error(status: int, detail: str, problems: list[Problem] | None = None,
           headers: dict[str, str] | None = None) -> SafeJSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if problems is not None:
        body["problems"] = [problem_dict(p) for p in problems]
    return SafeJSONResponse(body, status_code=status, headers=headers)


# --------------------------------------------------------------------------------------------
# middleware: the token and the body limit (plain ASGI, so they also guard /docs and streams)
# --------------------------------------------------------------------------------------------


#: Host names a server without a token answers to (it listens on a loopback address).
_LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


class _TokenGuard:
    def __init__(self, app: Any, token: str | None) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.token is None:
            # no token: only this machine may talk to the server, so a page elsewhere that
            # points a DNS name at 127.0.0.1 (DNS rebinding) is refused by its Host header
            host = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                         if k == b"host"), "")
            name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
            if name not in _LOCAL_NAMES:
                response = _error(400, f"Host {elide(host, 60)!r} is not this machine: without "
                                       "a token the server answers requests to 127.0.0.1 or "
                                       "localhost only (start it with --token to serve other "
                                       "names)")
                await response(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        given = None
        for key, value in scope.get("headers", ()):
            if key == b"authorization":
                text = value.decode("latin-1")
                if text[:7].lower() == "bearer ":
                    given = text[7:].strip()
        if given is None:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            given = (query.get("token") or [None])[0]
        if given is None or not hmac.compare_digest(given.encode("utf-8", "replace"),
                                                    self.token.encode("utf-8")):
            response = _error(401, "this server needs its token: send the header "
                                   "'Authorization: Bearer <token>' or add ?token=<token> "
                                   "(the token given to detente serve --token or "
                                   "$DETENTE_TOKEN)", headers={"WWW-Authenticate": "Bearer"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class _BodyLimit:
    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    def _refusal(self, size: int | None) -> SafeJSONResponse:
        said = f"{size:,} bytes" if size is not None else "more"
        return _error(413, f"the request body is {said}, over this server's limit of "
                           f"{self.limit:,} bytes (limits.max_body_bytes; detente serve "
                           "--limit max_body_bytes=N raises it)")

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", ()):
            if key == b"content-length":
                try:
                    size = int(value)
                except ValueError:
                    size = -1
                if size > self.limit:
                    await self._refusal(size)(scope, receive, send)
                    return
        seen = 0
        started = refused = False

        async def counted() -> dict:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit and not started:
                    # answered here and now: the app's own reply (it sees a disconnect) is
                    # dropped, so the 413 is what the client reads whatever the app makes of it
                    refused = True
                    await self._refusal(None)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def watched(message: dict) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted, watched)


# --------------------------------------------------------------------------------------------
# scenarios: embedded ids and uploads, never paths
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Upload:
    scenario: Any
    problems: list[Problem]


class ScenarioBook:
    """The scenarios a server knows: the embedded ones and this server's uploads (in memory,
    named by the SHA-256 of their YAML, the oldest dropped past ``max_uploads``)."""

    def __init__(self, max_uploads: int) -> None:
        self.max_uploads = max_uploads
        self._uploads: OrderedDict[str, _Upload] = OrderedDict()
        self._embedded: dict[str, _Upload] = {}
        self._lock = threading.Lock()

    def embedded_ids(self) -> list[str]:
        from detente.scenario.embedded import embedded_ids

        return embedded_ids()

    def ids(self) -> list[str]:
        return [*self.embedded_ids(), *self._uploads]

    def get(self, scenario_id: Any, path: str = "scenario") -> _Upload:
        """The scenario ``scenario_id`` names; NotFoundError for anything else."""
        if not isinstance(scenario_id, str) or SCENARIO_ID.fullmatch(scenario_id) is None:
            raise NotFoundError(f"no scenario {elide(repr(scenario_id), 80)}", [Problem(
                "scenario ids are embedded ids or upload ids, never file paths", path=path,
                allowed=r"an id matching ^[a-z0-9][a-z0-9._-]{0,63}$ from GET /api/scenarios")])
        with self._lock:
            hit = self._uploads.get(scenario_id) or self._embedded.get(scenario_id)
        if hit is not None:
            return hit
        if scenario_id in self.embedded_ids():
            from detente.scenario import load_embedded, scenario_problems

            loaded = load_embedded(scenario_id)
            if loaded.scenario is None:  # a broken embedded file: the server's fault, said
                raise EnvironmentFault(f"the embedded scenario {scenario_id} does not load",
                                       loaded.errors)
            entry = _Upload(loaded.scenario, scenario_problems(loaded.scenario))
            with self._lock:
                self._embedded[scenario_id] = entry
            return entry
        raise NotFoundError(f"no scenario {scenario_id!r}", [Problem(
            "not an embedded scenario nor an upload of this server", path=path,
            allowed="one of " + ", ".join(self.ids()))])

    def add(self, text: str, scenario: Any, problems: list[Problem]) -> str:
        key = "upload-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        with self._lock:
            self._uploads[key] = _Upload(scenario, problems)
            self._uploads.move_to_end(key)
            while len(self._uploads) > self.max_uploads:
                self._uploads.popitem(last=False)
        return key

    def uploads(self) -> list[str]:
        with self._lock:
            return list(self._uploads)


def _summary(scenario_id: str, scenario: Any, origin: str) -> dict[str, Any]:
    return {"id": scenario_id, "title": scenario.title,
            "as_of": scenario.as_of.isoformat() if scenario.as_of else None,
            "actors": list(scenario.actor_ids), "issues": list(scenario.issue_ids),
            "policies": [p.id for p in scenario.policies], "origin": origin,
            "scenario_id": scenario.id}


# --------------------------------------------------------------------------------------------
# request bodies (the OpenAPI schema at /docs is built from these)
# --------------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # true is not 1, "5" not 5


class ScenarioBody(_Body):
    """A scenario as YAML text or as its dict form (GET /api/scenarios/{id}); exactly one."""

    yaml: str | None = Field(None, description="The scenario's YAML text.")
    scenario: dict[str, Any] | None = Field(
        None, description="The scenario as a dict (the form GET /api/scenarios/{id} returns; "
                          "its read-only 'meta' key is ignored).")


class ForecastBody(_Body):
    """A bargaining forecast (detente.forecast), answered in the request."""

    scenario: str = Field(..., description="An embedded id or an upload id.")
    model: Literal["bdm", "smp"] = "bdm"
    levers: dict[str, Any] = Field(
        default_factory=dict,
        description='Ad hoc levers: {"<actor>.<issue>.position": 70, "<actor>.capability": '
                    '{"op": "scale", "value": 1.2}} (detente.scenario.policy.lever_policy).')
    policy: str | None = Field(None, description="A policy id of the scenario, applied first.")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="Engine options KEY: VALUE (as detente forecast "
                                            "--set), e.g. {\"capitulation\": \"never\"}.")
    draws: int = Field(0, description="Monte Carlo draws (0: the point run only).")
    seed: int | None = Field(None, description="Root seed of the draws; drawn and returned "
                                               "when omitted.")
    rounds: int | None = None
    issue: str | None = None
    perturbation: float = 0.0


class JobBody(_Body):
    """A job: what to run, and its parameters (docs/serve.md, "Jobs")."""

    kind: Literal["compare", "backtest", "backcast", "sweep"]
    params: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# job parameters: checked before a worker starts (the one options validator)
# --------------------------------------------------------------------------------------------

_JOB_PARAMS: dict[str, tuple[str, ...]] = {
    "compare": ("scenario", "policies", "horizon_months", "draws", "seed", "bridge",
                "backtest", "backcast"),
    "backtest": ("draws", "seed", "method", "horizon_months", "origins", "episodes",
                 "crisis_rule"),
    "backcast": ("scenarios", "draws", "seed"),
    "sweep": ("scenario", "model", "method", "samples", "seed", "outputs", "inputs", "options",
              "policy"),
}


def _check_limit(name: str, value: Any, limit: int, key: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value > limit:
        raise LimitError(f"{name} {value:,} is over this server's limit of {limit:,} "
                         f"(limits.{key})", [Problem(f"{name} {value:,} is over the limit",
                                                     path=name,
                                                     allowed=f"at most {limit:,} (limits.{key})")])


def _job_params(kind: str, params: Mapping[str, Any], book: ScenarioBook,
                limits: Any) -> dict[str, Any]:
    """The worker's parameters: checked, with the scenario resolved (never a path)."""
    from detente.options import check_arguments, constraint

    known = _JOB_PARAMS[kind]
    unknown = sorted(str(k) for k in params if k not in known)
    if unknown:
        raise OptionsError(f"unknown {kind} parameters: " + ", ".join(
            elide(k, 40) for k in unknown), [Problem(f"unknown parameter {elide(k, 40)!r}",
                                                     path=f"params.{elide(k, 40)}",
                                                     allowed=", ".join(known))
                                             for k in unknown])
    whole = (0, 2**63 - 1)
    text_list = constraint(instance=list, optional=True, words="a list of ids, or none")
    checks = {
        "seed": constraint(interval=whole, integer=True, optional=True),
        "draws": constraint(interval=(2, math.inf), integer=True, optional=True),
        "horizon_months": constraint(interval=(1, math.inf), integer=True, optional=True),
        "samples": constraint(interval=(1, math.inf), integer=True, optional=True),
        "backtest": constraint(flag=True, optional=True),
        "backcast": constraint(flag=True, optional=True),
        "episodes": constraint(flag=True, optional=True),
        "policies": text_list, "origins": text_list, "scenarios": text_list,
        "outputs": text_list, "inputs": text_list,
        "bridge": constraint(instance=dict, optional=True, words="a mapping KEY: VALUE"),
        "options": constraint(instance=dict, optional=True, words="a mapping KEY: VALUE"),
        "method": constraint(instance=str, optional=True, words="a method name"),
        "model": constraint(instance=str, optional=True, words="a sweep model name"),
        "crisis_rule": constraint(instance=str, optional=True, words="a crisis rule name"),
        "policy": constraint(instance=str, optional=True, words="a policy id, or none"),
    }
    check_arguments(f"invalid {kind} parameters", {
        f"params.{k}": (v, checks[k]) for k, v in params.items() if k in checks})
    for key in ("policies", "origins", "scenarios", "outputs", "inputs"):
        items = params.get(key) or []
        bad = [x for x in items if not isinstance(x, str)]
        if bad:
            raise OptionsError(f"params.{key} must list text", [Problem(
                "an item is not text", path=f"params.{key}", allowed="a list of ids")])
    _check_limit("params.draws", params.get("draws"), limits.max_job_draws, "max_job_draws")
    _check_limit("params.horizon_months", params.get("horizon_months"),
                 limits.max_horizon_months, "max_horizon_months")
    _check_limit("params.samples", params.get("samples"), limits.max_sweep_samples,
                 "max_sweep_samples")
    options = params.get("options") or {}
    _check_limit("params.options.draws", options.get("draws"), limits.max_job_draws,
                 "max_job_draws")
    out: dict[str, Any] = {k: v for k, v in params.items() if k != "scenario"}
    out["echo"] = dict(params)
    if kind in ("compare", "sweep"):
        if kind == "compare" and params.get("scenario") is None:
            raise OptionsError("a compare job needs a scenario", [Problem(
                "no scenario given", path="params.scenario",
                allowed="an id from GET /api/scenarios")])
        if params.get("scenario") is not None:
            out["scenario"] = book.get(params["scenario"], "params.scenario").scenario
    if kind == "compare" and params.get("bridge"):
        from detente.policy import BridgeSettings

        BridgeSettings.from_mapping(params["bridge"])  # refused now, not in the worker
    if kind == "backcast":  # embedded ids only: backcast() would read a file of that name
        embedded = set(book.embedded_ids())
        for sid in params.get("scenarios") or []:
            if sid not in embedded:
                raise NotFoundError(f"no embedded scenario {elide(repr(sid), 60)}", [Problem(
                    "back-casts run on embedded scenarios with an outcome coding",
                    path="params.scenarios", allowed=", ".join(sorted(embedded)))])
    return out


# --------------------------------------------------------------------------------------------
# the app
# --------------------------------------------------------------------------------------------


def _problems_of(loaded: Any) -> list[dict[str, Any]]:
    return [problem_dict(p) for p in loaded.problems]


def _read_body(body: ScenarioBody, name: str = "<posted scenario>") -> tuple[Any, str]:
    """The Loaded of a posted scenario, and the text its upload id is hashed from: the YAML as
    posted, or the posted dict as canonical JSON (sorted keys). Not the dict dumped to YAML:
    that took 130–210 ms of every dashboard lever move (issue 16), for a name."""
    from detente.scenario import read_scenario_data, read_scenario_text

    if (body.yaml is None) == (body.scenario is None):
        raise OptionsError("send the scenario as 'yaml' (text) or as 'scenario' (a dict), one "
                           "of the two", [Problem("neither or both given", path="body",
                                                  allowed='{"yaml": "..."} or '
                                                          '{"scenario": {...}}')])
    if body.yaml is not None:
        loaded = read_scenario_text(body.yaml, name)
        return loaded, body.yaml
    data = {k: v for k, v in body.scenario.items() if k != "meta"}
    loaded = read_scenario_data(data, name)
    return loaded, json.dumps(data, sort_keys=True, ensure_ascii=False)


def create_app(store: Path | str | None = None, token: str | None = None,
               limits: Any = None) -> FastAPI:
    """Build the app: the JSON API under ``/api``, its OpenAPI page at ``/docs``, and the
    dashboard router.

    Parameters
    ----------
    store : path, optional
        The run store (DuckDB file) jobs write to and the API reads; default as the CLI's
        ``--store`` (``$DETENTE_STORE`` or ``./detente-runs.duckdb``), resolved once here.
    token : str, optional
        When given, every request must carry it (``Authorization: Bearer <token>`` or
        ``?token=<token>``); None (127.0.0.1) checks nothing.
    limits : ServerLimits or mapping, optional
        The server's limits (:func:`detente.limits.server_limits`); the defaults when None.
    """
    from detente.limits import ServerLimits, server_limits
    from detente.runs.store import default_store_path
    from detente.web import dashboard

    if not isinstance(limits, ServerLimits):
        limits = server_limits(limits)
    store_path = (Path(store) if store is not None else default_store_path()).absolute()
    book = ScenarioBook(limits.max_uploads)
    jobs = JobManager(store_path, limits.max_jobs)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    # /docs is served below from the vendored Swagger UI, not FastAPI's CDN page: offline too
    app = FastAPI(title="détente", version=_version(), docs_url=None, redoc_url=None,
                  default_response_class=SafeJSONResponse, lifespan=lifespan,
                  description="The JSON API of détente (docs/serve.md): scenarios, forecasts, "
                              "jobs (compare, back-tests, back-casts, sweeps), runs, claims "
                              "and frozen forecast records.")
    app.state.store = store_path
    app.state.token = token
    app.state.limits = limits
    app.state.scenarios = book
    app.state.jobs = jobs
    app.add_middleware(_BodyLimit, limit=limits.max_body_bytes)
    app.add_middleware(_TokenGuard, token=token)

    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> HTMLResponse:
        """The OpenAPI page, every file from static/vendor (VENDOR.md); the token, when the
        page was opened with one, goes on to the schema and the files."""
        from urllib.parse import quote

        from fastapi.openapi.docs import get_swagger_ui_html

        given = request.query_params.get("token")
        suffix = f"?token={quote(given, safe='')}" if given else ""
        return get_swagger_ui_html(
            openapi_url=f"/openapi.json{suffix}", title="détente API",
            swagger_js_url=f"/static/vendor/swagger-ui-bundle.js{suffix}",
            swagger_css_url=f"/static/vendor/swagger-ui.css{suffix}",
            swagger_favicon_url=f"/static/vendor/swagger-favicon-32x32.png{suffix}")

    @app.exception_handler(DetenteError)
    async def _detente_error(_: Request, err: DetenteError) -> Response:
        status = _status(err)
        return _error(status, str(err), err.problems,
                      headers={"Retry-After": "5"} if status == 503 else None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, err: RequestValidationError) -> Response:
        problems = []
        for e in err.errors():
            where = ".".join(str(x) for x in e.get("loc", ()))
            problems.append(Problem(elide(str(e.get("msg", "invalid")), 200),
                                    path=elide(where, 120), allowed=None))
        return _error(422, "invalid request: " + "; ".join(
            f"{p.path}: {p.message}" for p in problems[:5]), problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> Response:
        detail = str(err.detail)
        if err.status_code == 404:
            detail = (f"no such endpoint: {request.method} "
                      f"{elide(request.url.path, 120)} (the API is listed at /docs)")
        elif err.status_code == 405:
            detail = (f"{request.method} is not allowed on {elide(request.url.path, 120)} "
                      "(the API is listed at /docs)")
        return _error(err.status_code, detail, headers=getattr(err, "headers", None))

    @app.exception_handler(RecursionError)
    async def _deep(_: Request, err: RecursionError) -> Response:
        return _error(400, "the request is nested too deeply to read (a scenario needs about "
                           "6 levels)")

    def _open_store() -> Any:
        from detente.runs.store import RunStore

        if not store_path.exists():
            raise NotFoundError(f"no run store at {store_path} yet", [Problem(
                "nothing has been stored", path="store",
                allowed="run a job first (POST /api/jobs), or serve an existing --store")])
        return RunStore(store_path, read_only=True)

    def _run_id(run_id: str) -> str:
        if RUN_ID.fullmatch(run_id) is None:
            raise NotFoundError(f"no run {elide(repr(run_id), 80)}", [Problem(
                "not a run id", path="run_id", allowed="an id from GET /api/runs")])
        return run_id

    def _resolve(st: Any, run_id: str) -> str:
        try:
            return st.resolve(_run_id(run_id))
        except NotFoundError:
            raise
        except OptionsError as err:
            raise NotFoundError(str(err), err.problems) from None

    # -- scenarios ------------------------------------------------------------------------
    @app.get("/api/scenarios", tags=["scenarios"])
    def list_scenarios() -> list[dict[str, Any]]:
        """Embedded scenarios and this server's uploads: id, title, as_of, actors, issues."""
        out = []
        for sid in book.embedded_ids():
            with contextlib.suppress(DetenteError):  # a broken file is listed by GET {id}
                out.append(_summary(sid, book.get(sid).scenario, "embedded"))
        for sid in book.uploads():
            with contextlib.suppress(DetenteError):
                out.append(_summary(sid, book.get(sid).scenario, "upload"))
        return out

    @app.get("/api/scenarios/{scenario_id}", tags=["scenarios"])
    def show_scenario(scenario_id: str) -> dict[str, Any]:
        """The scenario as a dict (every number with source, note and range; policies with
        levers and assumptions), plus a read-only ``meta``: its warnings, the bridge
        coefficients and the dynamics levers with their ranges."""
        from detente.options import settings_table
        from detente.policy import BridgeSettings
        from detente.scenario import DYNAMICS_LEVERS

        entry = book.get(scenario_id, "scenario_id")
        data = entry.scenario.model_dump(mode="json")
        data["meta"] = {
            "id": scenario_id, "problems": [problem_dict(p) for p in entry.problems],
            "bridge": settings_table(BridgeSettings),
            "dynamics_levers": [dataclasses.asdict(s) for s in DYNAMICS_LEVERS.values()]}
        return data

    @app.post("/api/scenarios/validate", tags=["scenarios"])
    def validate_scenario(body: ScenarioBody) -> dict[str, Any]:
        """Every problem of a posted scenario, each at its field (and line, for YAML)."""
        loaded, _ = _read_body(body)
        return {"ok": loaded.scenario is not None and not loaded.errors,
                "problems": _problems_of(loaded)}

    @app.post("/api/scenarios", tags=["scenarios"], status_code=201)
    def upload_scenario(body: ScenarioBody) -> Response:
        """Validate a scenario and keep it as an upload of this server (``upload-<hash12>``)."""
        loaded, text = _read_body(body, "<uploaded scenario>")
        if loaded.scenario is None:
            return _error(422, f"the scenario has {len(loaded.errors)} error(s) and was not "
                               "uploaded", loaded.problems)
        key = book.add(text, loaded.scenario, loaded.problems)
        return SafeJSONResponse({"id": key, "title": loaded.scenario.title,
                                 "problems": _problems_of(loaded)}, status_code=201)

    @app.post("/api/scenarios/export", tags=["scenarios"],
              responses={200: {"content": {"application/x-yaml": {}}}})
    def export_scenario(body: ScenarioBody) -> Response:
        """The validated scenario as a YAML file download (embedded files are never changed)."""
        loaded, _ = _read_body(body, "<exported scenario>")
        if loaded.scenario is None:
            return _error(422, f"the scenario has {len(loaded.errors)} error(s); fix them "
                               "before saving", loaded.problems)
        name = f"{loaded.scenario.id}-edited.yaml"  # the id pattern keeps it a plain name
        return Response(loaded.scenario.to_yaml(), media_type="application/x-yaml",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    # -- forecast -------------------------------------------------------------------------
    @app.post("/api/forecast", tags=["forecast"])
    def forecast(body: ForecastBody) -> dict[str, Any]:
        """A bargaining forecast (``detente forecast``): the result's ``to_dict()``."""
        from detente.bargaining.forecast import forecast as run
        from detente.bargaining.forecast import get_engine, options_by_engine
        from detente.scenario.policy import lever_policy

        _check_limit("draws", body.draws, limits.max_draws, "max_draws")
        scenario = book.get(body.scenario).scenario
        policy: Any = body.policy
        if body.levers:
            policy = lever_policy(scenario, body.levers, body.policy)
        try:
            options = options_by_engine(body.set or None, (body.model,))[body.model]
        except OptionsError as err:  # located at the key; in the body it sits under "set"
            raise OptionsError(str(err), [dataclasses.replace(p, path=f"set.{p.path}")
                                          for p in err.problems]) from None
        rounds = body.rounds if body.rounds is not None else options.get(
            "rounds", get_engine(body.model).options_type().rounds)
        if isinstance(rounds, int) and not isinstance(rounds, bool):
            work = max(body.draws, 1) * rounds
            if work > limits.max_draw_rounds:
                raise LimitError(
                    f"{max(body.draws, 1):,} draws × {rounds:,} rounds is {work:,} draw-rounds, "
                    f"over this server's limit of {limits.max_draw_rounds:,} "
                    "(limits.max_draw_rounds)", [Problem(
                        "too much work for one request", path="draws",
                        allowed=f"draws × rounds ≤ {limits.max_draw_rounds:,} (fewer draws or "
                                "rounds)")])
        result = run(scenario, model=body.model, rounds=body.rounds, policy=policy,
                     draws=body.draws, seed=body.seed, options=options or None,
                     issue=body.issue, perturbation=body.perturbation)
        return result.to_dict()

    # -- jobs -----------------------------------------------------------------------------
    @app.post("/api/jobs", tags=["jobs"], status_code=202)
    def start_job(body: JobBody) -> Response:
        """Start a job in a worker process; returns its id at once (202)."""
        params = _job_params(body.kind, body.params, book, limits)
        job = jobs.submit(body.kind, params)
        return SafeJSONResponse({"job_id": job.id, **job.to_dict(False)}, status_code=202,
                                headers={"Location": f"/api/jobs/{job.id}"})

    def _job(job_id: str) -> Any:
        if JOB_ID.fullmatch(job_id) is None:
            raise UnknownJobError(f"no job {elide(repr(job_id), 60)}", [Problem(
                "not a job id", path="job_id", allowed="an id returned by POST /api/jobs")])
        return jobs.get(job_id)

    @app.get("/api/jobs", tags=["jobs"])
    def list_jobs() -> list[dict[str, Any]]:
        """This server's jobs, newest first (without their results)."""
        return [j.to_dict(False) for j in jobs.list()]

    @app.get("/api/jobs/{job_id}", tags=["jobs"])
    def job_status(job_id: str) -> dict[str, Any]:
        """A job's state, progress, run id, and its result once done."""
        return _job(job_id).to_dict()

    @app.get("/api/jobs/{job_id}/events", tags=["jobs"],
             responses={200: {"content": {"text/event-stream": {}}}})
    async def job_events(job_id: str, request: Request) -> StreamingResponse:
        """Server-sent events: the job's status object at every change, until it ends."""
        job = _job(job_id)

        async def stream() -> AsyncIterator[bytes]:
            seen, idle = -1, 0.0
            while True:
                if job.version != seen:
                    seen = job.version
                    status = job.to_dict(with_result=job.state in TERMINAL)
                    text = json.dumps(_jsonable(status), ensure_ascii=False)
                    yield f"event: status\ndata: {text}\n\n".encode()
                    idle = 0.0
                    if job.state in TERMINAL:
                        return
                elif idle >= 15.0:  # a comment keeps proxies from closing a quiet stream
                    yield b": still running\n\n"
                    idle = 0.0
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.2)
                idle += 0.2

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    @app.delete("/api/jobs/{job_id}", tags=["jobs"])
    def cancel_job(job_id: str) -> dict[str, Any]:
        """Cancel a job: its worker is stopped (a store write in progress finishes first)."""
        _job(job_id)
        return jobs.cancel(job_id).to_dict(False)

    # -- runs -----------------------------------------------------------------------------
    @app.get("/api/runs", tags=["runs"])
    def list_runs(kind: str | None = Query(None, max_length=64),
                  status: str | None = Query(None, max_length=64),
                  limit: int = Query(50, ge=1, le=1000)) -> list[dict[str, Any]]:
        """Stored runs, newest first (``detente runs list``)."""
        if not store_path.exists():
            return []
        with _open_store() as st:
            frame = st.list(kind=kind, status=status, limit=limit)
        frame = frame.assign(started=frame["started"].astype(str))
        return frame.to_dict(orient="records")

    @app.get("/api/runs/{run_id}", tags=["runs"])
    def show_run(run_id: str) -> dict[str, Any]:
        """One run: what ran, on what, with which seed, how long, and its result tables."""
        with _open_store() as st:
            rid = _resolve(st, run_id)
            rec = st.record(rid)
            tables = st.tables(rid)
        return {**rec.to_dict(), "tables": tables.to_dict(orient="records"),
                "report": f"/api/runs/{rid}/report" if rec.kind == "compare" else None}

    @app.get("/api/runs/{run_id}/tables/{name}", tags=["runs"])
    def run_table(run_id: str, name: str,
                  limit: int = Query(10_000, ge=1, le=MAX_TABLE_ROWS)) -> dict[str, Any]:
        """One stored result table as records (the first ``limit`` rows)."""
        with _open_store() as st:
            rid = _resolve(st, run_id)
            if name not in set(st.tables(rid)["name"]):
                raise NotFoundError(f"run {rid} has no table {elide(repr(name), 60)}", [Problem(
                    "no such table", path="name",
                    allowed=", ".join(st.tables(rid)["name"]) or "none")])
            frame = st.table(rid, name)
        return {"run_id": rid, "name": name, "n_rows": len(frame),
                "rows": frame.head(limit).to_dict(orient="records")}

    @app.get("/api/runs/{run_id}/export", tags=["runs"],
             responses={200: {"content": {"application/zip": {}}}})
    def export_run(run_id: str) -> Response:
        """A zip of the run's tables as CSV and its record as ``run.json``."""
        with _open_store() as st:
            rid = _resolve(st, run_id)
            rec = st.record(rid)
            frames = {n: st.table(rid, n) for n in st.tables(rid)["name"]}
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("run.json", json.dumps(_jsonable(rec.to_dict()), indent=1,
                                               ensure_ascii=False))
            for name, frame in frames.items():
                zf.writestr(f"{name}.csv", frame.to_csv(index=False))
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{rid}.zip"'})

    @app.get("/api/runs/{run_id}/report", tags=["runs"], response_class=HTMLResponse)
    def run_report(run_id: str) -> HTMLResponse:
        """The HTML report of a stored compare run, re-rendered from what the run keeps
        (``detente report RUN_ID``: nothing is recomputed)."""
        from detente.report import render_context
        from detente.runs.store import read_document

        with _open_store() as st:
            rid = _resolve(st, run_id)
            try:
                content = read_document(st, rid, "report")
            except OptionsError as err:
                raise NotFoundError(str(err), err.problems) from None
        return HTMLResponse(render_context(content))

    # -- stored results -------------------------------------------------------------------
    def _latest(wanted: list[tuple[str, str]], scenario: str | None, what: str,
                fix: str) -> tuple[Any, Any]:
        """The newest done run of the first (kind, table) that has one; NotFoundError else."""
        if store_path.exists():
            with _open_store() as st:
                for kind, table in wanted:
                    runs = st.list(kind=kind, status="done")
                    if scenario is not None:
                        runs = runs[runs["scenario_id"] == scenario]
                    for rid in runs["id"]:
                        if table in set(st.tables(rid)["name"]):
                            return st.record(rid), st.table(rid, table)
        raise NotFoundError(f"no stored {what}: {fix}", [Problem(
            f"no stored {what}", path="store", allowed=fix)])

    @app.get("/api/claims", tags=["results"])
    def claims(scenario: str = Query("korea-2023", max_length=64)) -> dict[str, Any]:
        """The claims and their verdicts from the newest stored compare run of ``scenario``."""
        if SCENARIO_ID.fullmatch(scenario) is None:
            raise NotFoundError(f"no scenario {elide(repr(scenario), 60)}", [Problem(
                "not a scenario id", path="scenario", allowed="an id from GET /api/scenarios")])
        sid = book.get(scenario).scenario.id
        rec, frame = _latest([("compare", "claims")], sid, f"compare run of {sid} with claims",
                             f"run a compare first (POST /api/jobs with kind compare and "
                             f"params.scenario {scenario}, or detente compare {sid})")
        return {"scenario": sid, "run_id": rec.id, "started": rec.started,
                "claims": frame.to_dict(orient="records")}

    @app.get("/api/backtest", tags=["results"])
    def backtest_results() -> dict[str, Any]:
        """The newest stored back-test: summary and skill per kind (``detente backtest``); a
        compare run's episode back-test when no back-test run is stored."""
        fix = "run a back-test first (POST /api/jobs with kind backtest, or detente backtest)"
        if store_path.exists():
            with _open_store() as st:
                for rid in st.list(kind="backtest", status="done")["id"]:
                    rec = st.record(rid)
                    names = [n for n in st.tables(rid)["name"] if n != "scores"]
                    return {"run_id": rid, "kind": "backtest", "started": rec.started,
                            "params": rec.params,
                            "tables": {n: st.table(rid, n).to_dict(orient="records")
                                       for n in names}}
        rec, frame = _latest([("compare", "backtest_episodes")], None, "back-test", fix)
        return {"run_id": rec.id, "kind": "compare", "started": rec.started,
                "params": rec.params,
                "tables": {"summary.episode": frame.to_dict(orient="records")}}

    @app.get("/api/backcast", tags=["results"])
    def backcast_results() -> dict[str, Any]:
        """The newest stored back-casts of the bargaining engines (``detente backcast``, or a
        compare run's track record)."""
        rec, frame = _latest([("backcast", "scores"), ("compare", "backcast")], None,
                             "back-cast", "run a back-cast first (POST /api/jobs with kind "
                                          "backcast, or detente backcast)")
        return {"run_id": rec.id, "kind": rec.kind, "started": rec.started,
                "params": rec.params, "scores": frame.to_dict(orient="records")}

    @app.get("/api/records", tags=["results"])
    def records() -> dict[str, Any]:
        """The frozen forecast records (shipped, and the store's) with their scores."""
        from detente.evaluation import score_records

        return score_records(store_path if store_path.exists() else None).to_dict()

    @app.get("/api/limits", tags=["server"])
    def server_limits_() -> dict[str, Any]:
        """This server's limits (every over-limit request names the one it broke)."""
        return {**limits.to_dict(), "job_kinds": list(JOB_KINDS),
                "token_required": token is not None}

    app.include_router(dashboard.router)
    return app


def _version() -> str:
    from detente import __version__

    return __version__
