"""The README's pictures of the report, taken from a report written by the current code.

Opens ``out/korea-2023-comparison.html`` (written by ``make run``) in Debian's headless
chromium through Playwright and saves the first screen (``docs/img/report.png``) and the fan
charts figure (``docs/img/fan-charts.png``).

Usage::

    make run && .venv/bin/python scripts/report_pictures.py [--report out/korea-2023-comparison.html]
"""

from __future__ import annotations

import argparse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=REPO / "out" / "korea-2023-comparison.html")
    args = parser.parse_args()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 860, "height": 890})
            page.goto(args.report.resolve().as_uri())
            page.wait_for_load_state("load")
            page.screenshot(path=str(REPO / "docs" / "img" / "report.png"))
            page.locator("#fig-fan img").screenshot(path=str(REPO / "docs" / "img" / "fan-charts.png"))
        finally:
            browser.close()


if __name__ == "__main__":
    main()
