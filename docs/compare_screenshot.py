"""Regenerate docs/compare.png: sweep method x lr x mix on break-it in a served lab, photograph the comparison.

    forgetlab serve --port 8123 --data-dir /tmp/shot &   # then:
    .venv/bin/python docs/compare_screenshot.py http://localhost:8123/ docs/compare.png
"""

import json
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SWEEP = {"preset": "break-it", "base": {"wise_ft": True},
         "grid": {"method": ["full", "lora"], "lr": [1e-4, 1e-3], "mix_ratio": [0, 0.2]}}


def call(url: str, data: dict | None = None) -> dict:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, body, {"content-type": "application/json"} if body else {})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def main(url: str, out: str, width: int = 1280) -> None:
    sweep = call(url + "api/sweeps", SWEEP)
    while not call(url + sweep["api"].lstrip("/"))["finished"]:
        time.sleep(1)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.goto(url + sweep["compare"].lstrip("/"))
        # Polled from here: wait_for_function compiles its predicate with eval, which the lab's CSP forbids.
        deadline = time.monotonic() + 60
        while not page.evaluate("!!(window.forgetlabCompare && window.forgetlabCompare.ready)"):
            if time.monotonic() > deadline:
                raise RuntimeError("the comparison page never said it was ready")
            page.wait_for_timeout(100)
        page.wait_for_timeout(500)
        page.screenshot(path=out)  # the first screen: the README's images stay small
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
