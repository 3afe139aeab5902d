"""The dashboard in a real browser: Debian Chromium via Playwright, against a real ``detente serve``
(uvicorn) on 127.0.0.1 with a token and a fresh DuckDB run store.

Every page is opened with the network cut except for the local server (each request to any
other host is aborted and recorded), so the page is shown to work offline. Expected numbers
come from the library run directly (``detente.forecast`` on the same edited scenario), from the
scenario file (actor names, lever values), and from the library's own validation messages; the
page must show what the library computes, never numbers of its own.

The server is the shipped ``detente serve`` command (tests/web/conftest.py). The README's screenshot (docs/img/dashboard.png) is written by
``test_compare_job_shows_progress_and_its_result`` when ``DETENTE_README_SCREENSHOT=1``; every
run writes its screenshots under ``test-artifacts/``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from tests.report.test_report_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.web.conftest import Server, serve

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "korea-2023"
POLICY = "engagement-with-incentives"
TOKEN = "s3cret token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``detente serve --token`` with a fresh run store (the API tests' helper)."""
    with serve(tmp_path_factory.mktemp("dashboard"), "--token", TOKEN, token=TOKEN) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium not found at /usr/bin/chromium (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Watched:
    """A page with the network cut but for 127.0.0.1, and everything that went wrong on it."""

    def __init__(self, browser: Any, server: Server) -> None:
        self.context = browser.new_context(viewport={"width": 1300, "height": 1000},
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.server = server
        self.errors: list[str] = []
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.bad_status: list[str] = []
        self.context.route("**/*", self._only_local)
        self.page.on("console", lambda m: self.errors.append(m.text)
                     if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("response", lambda r: self.bad_status.append(f"{r.status} {r.url}")
                     if r.status >= 400 else None)

    def _only_local(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")

    def open(self, query: str = "") -> Any:
        self.page.goto(f"{self.server.url}/?token={TOKEN.replace(' ', '%20')}{query}")
        self.page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        return self.page

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.failed == [], self.failed
        assert self.blocked == [], self.blocked
        assert self.bad_status == [], self.bad_status


@pytest.fixture
def watched(browser: Any, server: Server) -> Iterator[Watched]:
    w = Watched(browser, server)
    try:
        yield w
    finally:
        w.context.close()


def _scenario() -> Any:
    from detente.scenario import load_scenario

    return load_scenario(SCENARIO)


def _svg(page: Any, target: str) -> str:
    return page.inner_html(f"#{target} svg")


# ------------------------------------------------------------------ the tests
@pytest.mark.slow
def test_page_loads_offline_with_no_errors(watched):
    page = watched.open()
    scenario = _scenario()
    rows = page.eval_on_selector_all("#stances tbody th[scope=row]",
                                     "els => els.map(e => e.innerText)")
    assert rows == [a.name for a in scenario.actors]
    heads = page.eval_on_selector_all("#stances thead th", "els => els.map(e => e.innerText)")
    assert heads[2:] == [i.name for i in scenario.issues]
    # every cell shows its number and its source (the scenario file's, by title)
    us = scenario.actors[0]
    talks = us.stances["talks"]
    cell = page.inner_text("#stances tbody tr:first-child td:nth-child(5)")
    assert f"{talks.position.value:.0f} / {talks.salience.value:.0f}" in cell
    title = next(s.title for s in scenario.sources if s.id == talks.position.source)
    assert title in cell
    # the assets came from this server only, and the page loaded its vendored vega-embed
    assert page.evaluate("typeof vegaEmbed === 'function' && vega.version.startsWith('6.')")
    # every control has a label (the sliders too, once a policy shows them)
    page.select_option("#policy", POLICY)
    unlabelled = page.eval_on_selector_all(
        "input, select", "els => els.filter(e => !e.labels || !e.labels.length).map(e => e.id)")
    assert unlabelled == []
    n_changes = len(scenario.policy(POLICY).levers) + len(scenario.policy(POLICY).assumptions)
    assert page.eval_on_selector_all("#levers input[type=range]:not([id^=slider-dynamics])",
                                     "els => els.length") == n_changes
    # each slider starts at the scenario file's value (a step grid must not move it)
    policy = scenario.policy(POLICY)
    for kind, changes in (("levers", policy.levers), ("assumptions", policy.assumptions)):
        for j, change in enumerate(changes):
            value = page.eval_on_selector(f"#slider-{kind}-{j}", "e => Number(e.value)")
            assert value == change.value, (kind, j)
    watched.clean()


@pytest.mark.slow
def test_lever_move_changes_the_forecast_table_and_chart(watched):
    from detente.bargaining.forecast import forecast
    from detente.scenario import read_scenario_data

    page = watched.open()
    page.select_option("#policy", POLICY)
    scenario = _scenario()
    k = [p.id for p in scenario.policies].index(POLICY)
    levers = scenario.policies[k].levers
    j = next(i for i, lv in enumerate(levers) if lv.issue == "talks" and lv.op == "set")
    label = page.inner_text(f"label[for=slider-levers-{j}]")
    assert "talks" in label and "[0 – 100]" in label
    rationale = page.inner_text(f"#slider-levers-{j} ~ .rationale")
    assert levers[j].rationale in rationale
    page.fill("#draws", "0")
    page.click("#run")
    page.wait_for_selector("body[data-forecast-runs='1']", timeout=60_000)
    before = page.inner_text("#forecast-table")
    chart_before = _svg(page, "chart-trajectories")
    moved = 100.0 if levers[j].value < 90 else 0.0
    page.fill(f"#slider-levers-{j}", str(moved))
    page.click("#run")
    page.wait_for_selector("body[data-forecast-runs='2']", timeout=60_000)
    after = page.inner_text("#forecast-table")
    assert after != before
    assert _svg(page, "chart-trajectories") != chart_before
    # the page shows what the library computes on the same edit
    data = scenario.model_dump(mode="json")
    data["policies"][k]["levers"][j]["value"] = moved
    edited = read_scenario_data(data).scenario
    expected = forecast(edited, model="smp", policy=POLICY, draws=0).to_dict()
    cells = page.eval_on_selector_all(
        "#forecast-table tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))")
    shown = {row[0]: row[2] for row in cells}
    assert shown == {issue: f"{item['forecast']:.1f}"
                     for issue, item in expected["issues"].items()}
    watched.clean()


@pytest.mark.slow
def test_broken_edit_shows_the_error_at_its_field(watched):
    page = watched.open()
    path = "actors[0].stances.talks.salience"
    old = page.inner_text(f"button[data-path='{path}']")
    page.click(f"button[data-path='{path}']")
    page.fill("#edit-value", "140")
    page.click("#edit-apply")
    error = page.wait_for_selector("#editor .field-error", timeout=30_000)
    assert page.get_attribute("#edit-value", "aria-invalid") == "true"
    # the message is the library's, shown in the value field's own label
    assert page.evaluate("document.querySelector('#editor .field-error')"
                         ".closest('label').contains(document.getElementById('edit-value'))")
    assert "0–100" in error.inner_text() or "100" in error.inner_text()
    assert page.inner_text(f"button[data-path='{path}']") == old  # nothing was applied
    # a range that does not contain the value is shown at the range fields
    page.fill("#edit-value", "50")
    page.fill("#edit-lo", "60")
    page.fill("#edit-hi", "70")
    page.click("#edit-apply")
    page.wait_for_selector("#edit-lo[aria-invalid=true], #edit-hi[aria-invalid=true]",
                           timeout=30_000)
    # a good edit is taken, and the cell shows it
    page.fill("#edit-lo", "")
    page.fill("#edit-hi", "")
    page.fill("#edit-value", "55")
    page.click("#edit-apply")
    page.wait_for_function(f"document.querySelector(\"button[data-path='{path}']\")"
                           ".innerText === '55'", timeout=30_000)
    # the server's validation answers 200 with problems: nothing failed on the way
    watched.clean()


@pytest.mark.slow
def test_added_lever_is_checked_and_saved_as_a_new_file(watched):
    from detente.scenario import read_scenario_text
    from detente.scenario.embedded import embedded_text

    page = watched.open()
    page.select_option("#policy", POLICY)
    page.select_option("#new-actor", "USA")
    page.select_option("#new-issue", "deterrence")
    page.select_option("#new-field", "position")
    page.fill("#new-value", "150")
    page.click("#new-add")
    page.wait_for_selector("#add-lever .field-error", timeout=30_000)
    assert page.get_attribute("#new-value", "aria-invalid") == "true"
    page.fill("#new-value", "70")
    page.fill("#new-rationale", "a test lever")
    page.click("#new-add")
    page.wait_for_function("document.getElementById('status').innerText.includes('Lever added')",
                           timeout=30_000)
    original = embedded_text(SCENARIO)[0]
    with page.expect_download() as info:
        page.click("#export")
    download = info.value
    assert download.suggested_filename == f"{SCENARIO}-edited.yaml"
    text = Path(download.path()).read_text(encoding="utf-8")
    loaded = read_scenario_text(text, download.suggested_filename)
    assert loaded.errors == []
    levers = loaded.scenario.policy(POLICY).levers
    assert (levers[-1].actor, levers[-1].issue, levers[-1].value, levers[-1].rationale) == \
        ("USA", "deterrence", 70.0, "a test lever")
    assert embedded_text(SCENARIO)[0] == original  # never overwritten
    watched.clean()


@pytest.mark.slow
def test_compare_job_shows_progress_and_its_result(watched):
    page = watched.context.pages[0]
    # record every progress text the page shows (the job's stages as they come)
    page.add_init_script("""
      window.__progress = [];
      new MutationObserver(() => {
        const el = document.getElementById('progress-text');
        if (el) window.__progress.push(el.innerText + ' @' +
                                       document.getElementById('progress').value);
      }).observe(document, {subtree: true, childList: true, characterData: true});
    """)
    page = watched.open()
    page.select_option("#policy", POLICY)
    page.click("#run")  # a forecast too, for the screenshot
    page.wait_for_selector("body[data-forecast-runs='1']", timeout=60_000)
    page.fill("#draws", "4")
    page.fill("#years", "1")
    page.uncheck("#with-backtest")
    page.uncheck("#with-backcast")
    page.click("#compare")
    page.wait_for_selector("body[data-compare-shown]", timeout=300_000)
    seen = page.evaluate("window.__progress")
    stages = [s for s in seen if not s.startswith(("starting", "done", "failed"))]
    assert stages, seen  # at least one stage was shown while the job ran
    assert seen[-1].startswith("done") or any(s.startswith("done") for s in seen)
    assert page.evaluate("document.getElementById('progress').value") == 1
    scenario = _scenario()
    names = page.eval_on_selector_all("#summary-table tbody tr td:first-child",
                                      "els => els.map(e => e.innerText)")
    assert names == [p.name for p in scenario.policies]
    paired = page.eval_on_selector_all("#paired-table tbody tr", "els => els.length")
    assert paired == 3 * len(scenario.policies)  # launches, P(nuclear), dialogue per policy
    for chart in ("chart-fan", "chart-paired"):
        assert page.eval_on_selector(f"#{chart} svg", "e => e.getBoundingClientRect().height") > 0
    claims = page.eval_on_selector_all("#claims-table tbody tr td:first-child",
                                       "els => els.map(e => e.innerText)")
    assert claims[:2] == ["C1", "C2"]
    # the run is stored and opens with its report
    page.wait_for_selector("#report-frame", timeout=60_000)
    href = page.get_attribute("#report-download", "href")
    assert re.fullmatch(r"/api/runs/compare-[\w.-]+/report\?token=.+", href), href
    frame = page.frame_locator("#report-frame")
    assert "Policy comparison" in frame.locator("h1").first.inner_text(timeout=30_000)
    _screenshots(page)
    watched.clean()


@pytest.mark.slow
def test_a_running_compare_can_be_cancelled(watched, server):
    import httpx

    page = watched.open()
    page.check("#with-backcast")  # the longest job the page can start
    page.click("#compare")
    page.wait_for_selector("#cancel:not([hidden])", timeout=60_000)
    page.click("#cancel")
    page.wait_for_function("document.getElementById('progress-text').innerText === 'cancelled'",
                           timeout=120_000)
    assert page.inner_text("#status") == "Comparison cancelled."
    assert page.is_hidden("#cancel") and page.is_enabled("#compare")
    jobs = httpx.get(server.url + "/api/jobs", headers={"Authorization": f"Bearer {TOKEN}"},
                     timeout=30).json()
    assert jobs[0]["state"] == "cancelled"  # the server's word, not the page's
    watched.clean()


def _screenshots(page: Any) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-full.png"), full_page=True)
    # the README picture: the levers, the forecast and the comparison
    top = page.eval_on_selector("#levers-section", "e => e.getBoundingClientRect().top "
                                "+ window.scrollY")
    bottom = page.eval_on_selector("#compare-section", "e => e.getBoundingClientRect().bottom "
                                   "+ window.scrollY")
    clip = {"x": 0, "y": top - 10, "width": 1300, "height": min(bottom - top + 20, 3200)}
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True, clip=clip)
    if os.environ.get("DETENTE_README_SCREENSHOT") == "1":
        (ROOT / "docs" / "img" / "dashboard.png").write_bytes(
            (ARTIFACTS / "dashboard.png").read_bytes())


@pytest.mark.slow
def test_api_docs_page_renders_offline(watched):
    # /docs is Swagger UI from static/vendor (VENDOR.md), not FastAPI's CDN copy: with every
    # host but 127.0.0.1 cut off it still draws the operations of the OpenAPI schema
    page = watched.page
    page.goto(f"{watched.server.url}/docs?token={TOKEN.replace(' ', '%20')}")
    page.wait_for_selector(".opblock-summary-path", timeout=60_000)
    paths = page.eval_on_selector_all(".opblock-summary-path",
                                      "els => els.map(e => e.innerText.trim())")
    assert "/api/scenarios" in paths and "/api/jobs/{job_id}" in paths
    watched.clean()
