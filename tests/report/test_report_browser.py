"""The report in a real browser: headless Debian Chromium via Playwright.

Opens the report over file://, fails on any console error or page error, checks that every
figure rendered with a non-zero size, and saves a full-page screenshot under
``test-artifacts/`` (gitignored). Chromium comes from Debian (``.ci/run`` installs it); the test
never downloads a browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.report import write_report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.mark.slow
def test_report_renders_in_chromium(small_comparison, panel, episode_backtest, sweep_store,
                                    tmp_path):
    if not CHROMIUM.exists():
        pytest.fail("Debian chromium not found at /usr/bin/chromium (.ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from detente.cli.compare_cmd import load_sensitivity
    from detente.dynamics.audit import audit
    from detente.evaluation import score_records

    sensitivity = load_sensitivity(sweep_store[1], sweep_store[0])
    path = write_report(small_comparison, tmp_path, panel=panel, backtest=episode_backtest,
                        sensitivity=sensitivity,
                        audit=audit(panel, until=small_comparison.posterior.until),
                        forecast_record=score_records())
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            sizes = page.eval_on_selector_all(
                "figure img, figure svg",
                "els => els.map(e => [e.closest('figure').id, e.getBoundingClientRect().width,"
                " e.getBoundingClientRect().height, e.naturalWidth || 1])")
            # the regime-coding audit renders: the variant table, the placebo, the event study
            audit_boxes = page.eval_on_selector_all(
                "#coding-variants, #placebo, #event-study, #track-record",
                "els => els.map(e => [e.id, e.getBoundingClientRect().height, "
                "e.innerText.length])")
            # the calibration section: its three figures loaded, the coverage table's levels
            calibration = page.eval_on_selector_all(
                "#calibration figure img",
                "els => els.map(e => [e.closest('figure').id, e.naturalWidth, "
                "e.getBoundingClientRect().height])")
            nominal = page.eval_on_selector_all(
                "#coverage-table th.nominal", "els => els.map(e => e.innerText)")
            coverage_rows = page.eval_on_selector_all(
                "#coverage-table tr", "els => els.filter(e => e.querySelector('td')).length")
            # the forecast record: the shipped record's hash and counts are on the page
            record = page.eval_on_selector(
                "#forecast-record-0", "e => [e.getBoundingClientRect().height, e.innerText]")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert sorted(b[0] for b in audit_boxes) == ["coding-variants", "event-study", "placebo",
                                                  "track-record"]
    assert all(height > 0 and chars > 0 for _, height, chars in audit_boxes)
    assert sorted(c[0] for c in calibration) == ["fig-calibration-launch",
                                                 "fig-calibration-nuclear", "fig-pit"]
    assert all(natural > 0 and height > 0 for _, natural, height in calibration)
    assert [n.split(" interval")[0] for n in nominal] == ["50 %", "80 %", "95 %"]
    assert coverage_rows == 2 * 4  # the model and the strongest baseline, four episodes
    from detente.forecasts import read_record

    assert record[0] > 0 and read_record().sha256 in record[1]
    # FIGURES, the back-test figure, one trajectory figure per policy, one tornado per output
    expected = 7 + 1 + len(small_comparison.policy_ids) + len(sensitivity.outputs())
    assert sum(fig_id.startswith("fig-tornado") for fig_id, *_ in sizes) == 2
    assert len(sizes) >= expected
    for fig_id, width, height, natural in sizes:
        assert width > 0 and height > 0 and natural > 0, fig_id
