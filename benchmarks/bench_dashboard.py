"""Dashboard: "lever move → forecast shown", on the server and in the browser.

A lever move on the page is: upload the edited scenario (``POST /api/scenarios``), run the
forecast (``POST /api/forecast``), then fetch the two chart specs (``POST /api/charts/...``)
and draw them with vega-embed. Measured against a real ``detente serve`` (uvicorn, a fresh
DuckDB store) on 127.0.0.1 and Debian Chromium (Playwright), each against a baseline taken in
the same run:

- **server**: wall time of each request over loopback, against (a) the library call alone
  (``detente.forecast`` in this process on the same edited scenario: the web layer's overhead)
  and (b) a trivial request (``GET /api/limits``: the round-trip floor);
- **browser**: time from pressing *Run forecast* to the table and both charts drawn, measured
  by the page itself (``performance.now()``; ``body[data-forecast-ms]``), after moving the
  talks lever of ``engagement-with-incentives`` to a new value each time. Target: < 1 s.
- **compare job**: ``POST /api/jobs`` with the page's default comparison (20 draws, seed 2023,
  3 years, back-casts, no back-test) until the job is done, polled as the page polls; run twice
  (the second with the stage cache the first filled, as a room re-running it would see).

Issue 16's targets (``targets()``): a lever move ≤ 0.5 s of server time, a compare job ≤ 3 s.

Run alone: ``python benchmarks/bench_dashboard.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' `detente serve` helper (tests/web/conftest.py)

SCENARIO = "korea-2023"
POLICY = "engagement-with-incentives"
REPEATS = 8
DRAWS = (0, 20)  # the point run, and the page's default Monte Carlo draws
TARGET_S = 1.0
#: Issue 16: server time of a lever move, and a compare job.
MOVE_TARGET_S = 0.5
COMPARE_TARGET_S = 3.0
#: The page's default comparison (static/index.html).
COMPARE_PARAMS = {"scenario": SCENARIO, "draws": 20, "seed": 2023, "horizon_months": 36,
                  "backtest": False, "backcast": True}
_RESULTS: dict[str, Any] = {}


def _compare_job(url: str, token: str) -> float:
    """Seconds from POST /api/jobs to the job done, polling every 250 ms like the page."""
    import httpx

    with httpx.Client(base_url=url, timeout=300,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        t = time.perf_counter()
        job = client.post("/api/jobs", json={"kind": "compare", "params": COMPARE_PARAMS})
        job.raise_for_status()
        job_id = job.json()["job_id"]
        while True:
            state = client.get(f"/api/jobs/{job_id}").json()["state"]
            if state in ("done", "failed", "cancelled"):
                break
            time.sleep(0.25)
        if state != "done":
            raise RuntimeError(f"compare job ended {state}")
        return time.perf_counter() - t


def targets() -> list[dict[str, Any]]:
    """Issue 16's dashboard targets, from :func:`main`'s measurements."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _measure import target

    if not _RESULTS:
        main()
    rows = _RESULTS["rows"][DRAWS[-1]]
    return [target(f"lever move, server time ({DRAWS[-1]} draws)", rows["move"] / 1000, "s",
                   MOVE_TARGET_S, "library forecast alone", rows["library"] / 1000),
            target("compare job (page defaults), second run", _RESULTS["compare"][1], "s",
                   COMPARE_TARGET_S, "first run (stage cache empty)", _RESULTS["compare"][0])]


def _edited(value: float) -> dict[str, Any]:
    """The scenario dict with the policy's talks lever at ``value`` (what a slider sends)."""
    from detente.scenario import load_scenario

    data = load_scenario(SCENARIO).model_dump(mode="json")
    pol = next(p for p in data["policies"] if p["id"] == POLICY)
    lever = next(lv for lv in pol["levers"] if lv["issue"] == "talks" and lv["op"] == "set")
    lever["value"] = value
    return data


def _median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def _server(url: str, token: str, draws: int) -> dict[str, float]:
    import httpx

    from detente.bargaining.forecast import forecast
    from detente.scenario import read_scenario_data

    out: dict[str, list[float]] = {k: [] for k in ("floor", "library", "upload", "forecast",
                                                   "charts", "move")}
    with httpx.Client(base_url=url, timeout=120,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        client.post("/api/forecast", json={"scenario": SCENARIO, "model": "smp",
                                           "draws": draws, "seed": 1})  # warm the engine
        for k in range(REPEATS):
            data = _edited(40.0 + 5 * k)
            t = time.perf_counter()
            client.get("/api/limits").raise_for_status()
            out["floor"].append(time.perf_counter() - t)
            t = time.perf_counter()
            scenario = read_scenario_data(data).scenario
            forecast(scenario, model="smp", policy=POLICY, draws=draws, seed=1).to_dict()
            out["library"].append(time.perf_counter() - t)
            t0 = time.perf_counter()
            sid = client.post("/api/scenarios", json={"scenario": data}).json()["id"]
            t1 = time.perf_counter()
            fc = client.post("/api/forecast", json={"scenario": sid, "model": "smp",
                                                    "policy": POLICY, "draws": draws,
                                                    "seed": 1})
            fc.raise_for_status()
            t2 = time.perf_counter()
            for kind in ("positions", "trajectories"):
                client.post(f"/api/charts/{kind}", json=fc.json()).raise_for_status()
            t3 = time.perf_counter()
            out["upload"].append(t1 - t0)
            out["forecast"].append(t2 - t1)
            out["charts"].append(t3 - t2)
            out["move"].append(t3 - t0)
    return {k: _median_ms(v) for k, v in out.items()}


def _browser(url: str, token: str, draws: int) -> list[float]:
    from playwright.sync_api import sync_playwright
    from tests.report.test_report_browser import ARGS, CHROMIUM

    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.goto(f"{url}/?token={token}")
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            page.select_option("#policy", POLICY)
            page.fill("#draws", str(draws))
            slider = page.eval_on_selector_all(
                "#levers input[type=range]", "els => els.map(e => [e.id, e.labels[0].innerText])")
            talks = next(i for i, label in slider if "talks" in label and "(set)" in label)
            for k in range(REPEATS + 1):  # the first press warms the page's code paths
                page.fill(f"#{talks}", str(40 + 5 * k))
                page.click("#run")
                page.wait_for_selector(f"body[data-forecast-runs='{k + 1}']", timeout=60_000)
                if k:
                    times.append(float(page.get_attribute("body", "data-forecast-ms")) / 1000)
        finally:
            browser.close()
    return times


def main() -> None:
    import os

    from tests.web.conftest import serve

    token = "bench"
    print(f"bench_dashboard: {REPEATS} lever moves per setting, medians; load average "
          f"{os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp, \
            serve(Path(tmp), "--token", token, token=token) as server:
        server_url = server.url
        rows = {d: _server(server_url, token, d) for d in DRAWS}
        shown = {d: _browser(server_url, token, d) for d in DRAWS}
        jobs = [_compare_job(server_url, token) for _ in range(2)]
    _RESULTS.update(rows=rows, compare=jobs)
    print("| draws | GET /api/limits (floor) | library forecast | upload | POST /api/forecast "
          "| 2 chart specs | lever move on the server | × library | press → charts drawn "
          "(browser, median / max) | target < 1 s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for d in DRAWS:
        r, b = rows[d], shown[d]
        med, worst = statistics.median(b), max(b)
        print(f"| {d} | {r['floor']:.1f} ms | {r['library']:.0f} ms | {r['upload']:.0f} ms | "
              f"{r['forecast']:.0f} ms | {r['charts']:.0f} ms | {r['move']:.0f} ms | "
              f"{r['move'] / r['library']:.2f}× | {1000 * med:.0f} / {1000 * worst:.0f} ms | "
              f"{'met' if med < TARGET_S else 'NOT MET'} |")
    print(f"compare job with the page's defaults: {jobs[0]:.1f} s, again {jobs[1]:.1f} s "
          f"(target ≤ {COMPARE_TARGET_S:g} s)")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
