"""``detente serve`` under load: 20 concurrent clients of ``POST /api/forecast`` for 30 s on
loopback; no request may be lost, and the latency is reported as p50 / p95 / p99.

Baselines measured in the same run:

- **in-process**: the same forecast called through the library (``detente.forecast``) in this
  process, so the server's share of a request's time is visible (server p50 ÷ library median);
- **one client**: the same requests sent one at a time for :data:`SOLO_SECONDS`, so the cost of
  concurrency is visible (20-client p50 ÷ one-client p50).

The server is the shipped command (``detente serve`` under uvicorn, one process) with a fresh
temporary run store. A request is *lost* when it raises (connection refused or reset, timeout)
or gets any status but 200; the target is zero lost. Results go to
``benchmarks/results/serve.md``, with the machine and its load average during the run.

Run alone: ``python benchmarks/bench_serve.py`` (about 45 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
CLIENTS = 20
SECONDS = 30.0
SOLO_SECONDS = 5.0
#: The request: both engines in turn, a small Monte Carlo batch with a seed per request.
DRAWS = 20
TIMEOUT = 60.0


def _body(k: int) -> dict:
    return {"scenario": "korea-2023", "model": "smp" if k % 2 else "bdm", "draws": DRAWS,
            "seed": k}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _server(store: Path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "detente.cli", "serve", "--port", str(port),
                             "--store", str(store)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/api/limits", timeout=5).status_code == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("detente serve did not start within 120 s")
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


async def _client(url: str, until: float, first: int, step: int,
                  latencies: list[float], lost: list[str]) -> int:
    sent = 0
    async with httpx.AsyncClient(base_url=url, timeout=TIMEOUT) as client:
        k = first
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            try:
                r = await client.post("/api/forecast", json=_body(k))
                if r.status_code == 200 and r.json().get("seed") == k:
                    latencies.append(time.perf_counter() - t0)
                else:
                    lost.append(f"status {r.status_code}")
            except Exception as exc:  # a lost request, whatever the reason: counted, shown
                lost.append(f"{type(exc).__name__}: {exc}")
            sent += 1
            k += step
    return sent


async def _load(url: str, clients: int, seconds: float) -> tuple[int, list[float], list[str]]:
    latencies: list[float] = []
    lost: list[str] = []
    until = time.perf_counter() + seconds
    sent = await asyncio.gather(*(_client(url, until, c, clients, latencies, lost)
                                  for c in range(clients)))
    return sum(sent), latencies, lost


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _q(values: list[float], q: float) -> float:
    return float(np.quantile(np.asarray(values), q)) if values else float("nan")


def main() -> None:
    sys.path.insert(0, str(HERE))
    import detente
    from detente._io import atomic_write
    from run_all import machine

    scenario = detente.load_scenario("korea-2023")
    library = []
    for k in range(4):  # warm-up, as the server gets: first calls import and cache the engines
        detente.forecast(scenario, **{key: v for key, v in _body(k).items() if key != "scenario"})
    for k in range(40):
        t0 = time.perf_counter()
        detente.forecast(scenario, **{key: v for key, v in _body(k).items()
                                      if key != "scenario"})
        library.append(time.perf_counter() - t0)
    lib_median = statistics.median(library)

    started = datetime.now(UTC)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp, _server(Path(tmp) / "runs.duckdb") as (url, pid):
        asyncio.run(_load(url, 2, 2.0))  # warm-up: imports, first engine calls
        solo_sent, solo, solo_lost = asyncio.run(_load(url, 1, SOLO_SECONDS))
        cpu0, wall0 = _cpu_seconds(pid), time.perf_counter()
        sent, lat, lost = asyncio.run(_load(url, CLIENTS, SECONDS))
        wall = time.perf_counter() - wall0
        server_cpu = _cpu_seconds(pid) - cpu0
    load_after = os.getloadavg()

    p50, p95, p99 = (_q(lat, q) for q in (0.5, 0.95, 0.99))
    solo_p50 = _q(solo, 0.5)
    rows = [
        ("requests sent (20 clients, 30 s)", f"{sent:,}"),
        ("answered 200 with the asked seed", f"{len(lat):,}"),
        ("lost (error, timeout or non-200)", f"**{len(lost)}** (target 0)"),
        ("throughput", f"{len(lat) / wall:.1f} requests/s"),
        ("latency p50 / p95 / p99", f"{p50 * 1e3:.0f} / {p95 * 1e3:.0f} / {p99 * 1e3:.0f} ms"),
        ("latency max", f"{max(lat) * 1e3:.0f} ms" if lat else "–"),
        ("server CPU during the load", f"{server_cpu / wall:.2f} cores"),
        ("one client: p50 (requests)", f"{solo_p50 * 1e3:.0f} ms ({solo_sent}, "
                                       f"{len(solo_lost)} lost)"),
        ("library in-process: median", f"{lib_median * 1e3:.0f} ms"),
        ("one-client p50 ÷ library median (the server's own share)",
         f"{solo_p50 / lib_median:.2f}×"),
        ("20-client p50 ÷ one-client p50", f"{p50 / solo_p50:.1f}×"),
    ]
    for name, value in rows:
        print(f"{name:40s} {value}")
    if lost:
        print("first losses:", lost[:5])
    text = "\n".join([
        "# bench_serve: `detente serve` under load",
        "",
        f"`python benchmarks/bench_serve.py`, {started:%Y-%m-%d %H:%M} UTC.",
        "",
        f"**Machine:** {machine()}.",
        "",
        f"**Conditions:** load average {load_before[0]:.1f} before and {load_after[0]:.1f} "
        f"after (1-minute averages; the load the 20 clients and the server make themselves "
        f"shows in the second), niceness {os.nice(0)}. With 20 clients on 2 cores the "
        "latencies are queueing time; the lost-request count is the target.",
        "",
        f"**Workload:** {CLIENTS} concurrent clients (httpx, one connection each, on loopback) "
        f"sending `POST /api/forecast` for {SECONDS:.0f} s, each request the next of "
        f"`korea-2023`, BDM and SMP in turn, {DRAWS} Monte Carlo draws, its own seed (the "
        "answer must carry it back). The server is `detente serve` (uvicorn, one process) with "
        "a fresh run store. Baselines in the same run: one client alone for "
        f"{SOLO_SECONDS:.0f} s, and the same forecasts through the library in-process.",
        "",
        "| measure | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in rows),
        "",
    ])
    atomic_write(HERE / "results" / "serve.md", text)
    print(f"wrote {HERE / 'results' / 'serve.md'}")


if __name__ == "__main__":
    main()
