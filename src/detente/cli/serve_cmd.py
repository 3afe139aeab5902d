"""``detente serve``: the dashboard and the JSON API under uvicorn (thin over detente.web)."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from detente.cli._app import StoreOpt, app, console, err_console, fail, parse_key_values
from detente.errors import DetenteError, OptionsError, Problem

#: The address ``detente serve`` binds to unless told otherwise: this machine only.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def dashboard_url(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """The address of the dashboard page of a server on ``host:port``."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def serve_hint(store: Path | None = None) -> str:
    """The one command that opens the dashboard (printed by ``detente compare``)."""
    import shlex

    where = f" --store {shlex.quote(str(store))}" if store is not None else ""
    return f"detente serve{where}, then open {dashboard_url()}"


def check_bind(host: str, port: int, token: str | None) -> None:
    """Refuse a bind before uvicorn starts: another address without a token, a busy port.

    Raises
    ------
    OptionsError
        Naming ``--host``/``--token`` or ``--port`` and the fix.
    """
    if not is_loopback(host) and not token:
        raise OptionsError(f"--host {host} is reachable from other machines and needs a token",
                           [Problem("no token given", path="--token",
                                    allowed="--token SECRET or $DETENTE_TOKEN (every request "
                                            "then carries it), or --host 127.0.0.1")])
    if not 0 < port < 65536:
        raise OptionsError(f"--port {port} is not a port", [Problem(
            f"{port} is out of range", path="--port", allowed="1–65535, e.g. 8765")])
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise OptionsError(f"cannot listen on {host}:{port}: {exc.strerror}", [Problem(
                str(exc.strerror), path="--port",
                allowed="a free port (e.g. --port 8766) on an address of this machine")]) from None


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (another than 127.0.0.1 needs --token).")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = DEFAULT_PORT,
    store: StoreOpt = None,
    token: Annotated[str | None, typer.Option("--token", envvar="DETENTE_TOKEN", help="Token every request must carry (Authorization: Bearer … or ?token=…); required off 127.0.0.1.")] = None,
    limit: Annotated[list[str] | None, typer.Option("--limit", help="Server limit KEY=VALUE, e.g. max_jobs=4 (repeatable; docs/serve.md, Limits).")] = None,
) -> None:
    """Serve the dashboard and the JSON API (OpenAPI at /docs) until Ctrl-C."""
    try:
        from detente.limits import server_limits

        limits = server_limits(parse_key_values(limit, "--limit", "max_jobs=4"))
        check_bind(host, port, token)
    except DetenteError as err:
        fail(err)
    import uvicorn

    from detente.web import create_app

    try:
        web = create_app(store=store, token=token, limits=limits)
    except DetenteError as err:
        fail(err)
    if not is_loopback(host):
        err_console.print(Text.assemble(("warning: ", "bold yellow"), (
            f"listening on {host}, reachable from other machines: every request must carry "
            "the token (Authorization: Bearer <token> or ?token=<token>); traffic is plain "
            "HTTP, so use it on a trusted network or behind TLS")), highlight=False,
            soft_wrap=True)
    url = dashboard_url(host, port)
    console.print(f"détente serve: dashboard {url}" + ("?token=<token>" if token else "")
                  + f"  API {url}docs  store {web.state.store}  (Ctrl-C stops)",
                  highlight=False, soft_wrap=True)
    uvicorn.run(web, host=host.strip("[]"), port=port, log_level=os.environ.get(
        "DETENTE_SERVE_LOG", "warning"), timeout_graceful_shutdown=10)
