"""A real ``detente serve`` for the API tests: the CLI command in a subprocess, on a free
127.0.0.1 port, with a temporary run store, waited for until it answers.

The server is the shipped command (uvicorn, the spawned job workers, DuckDB), not a test client:
what the tests see is what a browser or ``curl`` sees.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

#: Seconds a server has to answer after it was started (imports, uvicorn start-up).
READY_TIMEOUT = 90.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``detente serve``: its base URL, store and process."""

    url: str
    store: Path
    process: subprocess.Popen
    token: str | None = None

    def client(self, **kw) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return httpx.Client(base_url=self.url, timeout=kw.pop("timeout", 120), headers=headers,
                            **kw)


@contextlib.contextmanager
def serve(tmp: Path, *args: str, host: str = "127.0.0.1", token: str | None = None,
          env: dict[str, str] | None = None) -> Iterator[Server]:
    """Start ``detente serve --port <free> --store <tmp>/runs.duckdb *args`` and wait for it."""
    port = free_port()
    store = tmp / "runs.duckdb"
    command = [sys.executable, "-m", "detente.cli", "serve", "--host", host, "--port",
               str(port), "--store", str(store), *args]
    full_env = {**os.environ, "DETENTE_STORE_TIMEOUT": "20", **(env or {})}
    log = (tmp / f"serve-{port}.log").open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=full_env)
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    deadline = time.monotonic() + READY_TIMEOUT
    try:
        while True:
            if process.poll() is not None:
                log.flush()
                raise RuntimeError(f"detente serve exited with {process.returncode}:\n"
                                   + (tmp / f"serve-{port}.log").read_text())
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/api/limits", headers=headers, timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"detente serve did not answer within {READY_TIMEOUT:.0f} s")
            time.sleep(0.2)
        yield Server(url=url, store=store, process=process, token=token)
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server with the default limits for the read-only endpoint tests."""
    with serve(tmp_path_factory.mktemp("api")) as server:
        yield server


@pytest.fixture()
def start_server(tmp_path: Path) -> Iterator[Callable[..., contextlib.AbstractContextManager]]:
    """A factory of servers with their own arguments (limits, token, host) and store."""
    def start(*args: str, **kw) -> contextlib.AbstractContextManager[Server]:
        folder = tmp_path / f"server-{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        return serve(folder, *args, **kw)

    yield start
