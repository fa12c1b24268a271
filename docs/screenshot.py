"""Regenerate docs/screenshot.png: run a preset in a served lab and photograph the run page when it ends.

    forgetlab serve --port 8123 --data-dir /tmp/shot &   # then:
    .venv/bin/python docs/screenshot.py http://localhost:8123/ break-it docs/screenshot.png
"""

import sys

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def main(url: str, preset: str, out: str, width: int = 1280, height: int = 1000) -> None:
    """The first screen of the run page (not the whole page: the README's images stay small), and beside
    `out` a phone's view of the same run (`-phone` before the suffix), 390 px wide."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{url}?preset={preset}")
        page.click("#run-submit")
        page.wait_for_selector("#summary-headline", timeout=600_000)
        page.wait_for_timeout(500)
        page.screenshot(path=out)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(page.url)
        phone.wait_for_selector("#summary-headline")
        phone.wait_for_timeout(500)
        phone.screenshot(path=out.replace(".png", "-phone.png"))
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
