"""The strict Content-Security-Policy (app/middleware/security.py) holds in Chromium: every kind of page, charts drawn and
htmx swaps made, raises no violation. A violation is caught twice: the `securitypolicyviolation` event (an init
script forwards it) and Chromium's console message, so a page that needs an inline script, a style attribute or
eval fails here."""

import json
import time
import urllib.request

from forgetlab.app.middleware.security import DOCS_CSP, PAGE_CSP

from .conftest import collect_errors, wait_until

SMALL = {"task_examples": 100, "epochs": 2, "eval_every": 2}  # a second or two per run

REPORT = """document.addEventListener("securitypolicyviolation", function (e) {
  window.cspViolation(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
                      e.sourceFile + ":" + e.lineNumber + " " + (e.sample || ""));
});"""


def post_json(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def watch(page) -> list[str]:
    """Every CSP violation the page reports, by event or console, across navigations."""
    seen: list[str] = []
    page.expose_function("cspViolation", lambda text: seen.append(text))
    page.add_init_script(REPORT)
    page.on("console", lambda m: seen.append("console: " + m.text) if "Content Security Policy" in m.text else None)
    return seen


def finished_sweep(url: str) -> dict:
    made = post_json(url + "api/sweeps", {"base": SMALL, "grid": {"method": ["full", "lora"]}})
    deadline = time.monotonic() + 120
    while not (sweep := get_json(url + f"api/sweeps/{made['id']}"))["finished"]:
        assert time.monotonic() < deadline, sweep["progress"]
        time.sleep(0.5)
    return sweep


def test_no_page_violates_the_strict_policy(served_lab, browser):
    url, _ = served_lab
    assert "unsafe" not in PAGE_CSP
    sweep = finished_sweep(url)
    run_id = sweep["points"][0]["run_id"]
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    violations, errors = watch(page), collect_errors(page)

    response = page.goto(url)  # the builder, with a live validation swap
    assert response.headers["content-security-policy"] == PAGE_CSP
    page.fill("#f-lr", "5")
    page.wait_for_selector("#err-lr:has-text('allowed')")

    page.goto(url + f"runs/{run_id}")  # a finished run: uPlot charts, samples, the forgetting table
    page.wait_for_selector("#summary-headline")
    wait_until(page, "document.querySelectorAll('figure.chart canvas').length >= 8")

    page.goto(url + "runs")
    page.wait_for_selector("table")
    page.goto(url + f"sweeps/{sweep['id']}")
    page.wait_for_selector("table.sweep-runs tbody tr")

    page.goto(url + f"compare?sweep={sweep['id']}")  # charts, colour swatches and the scatter's tooltip
    wait_until(page, "window.forgetlabCompare && window.forgetlabCompare.ready")
    page.hover("#scatter g.pt circle >> nth=-1")  # the dot itself (the group holds its label too)
    page.wait_for_selector(".tip")
    assert not violations, violations
    assert not errors, errors

    # The watch itself works: an inline style element is refused and reported.
    page.evaluate("document.head.insertAdjacentHTML('beforeend', '<style>body{color:red}</style>')")
    deadline = time.monotonic() + 5
    while not violations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert any("style-src" in v for v in violations), violations


def test_the_docs_pages_run_under_their_own_policy(served_lab, browser):
    """Swagger UI and ReDoc start from files of ours: no inline script anywhere, and Swagger UI needs nothing
    beyond the pages' policy. ReDoc's one expected report is its maker's logo from a CDN, which the policy
    blocks on purpose (the lab makes no request off the machine)."""
    url, _ = served_lab
    assert DOCS_CSP["/docs"] == PAGE_CSP and "script-src 'self';" in DOCS_CSP["/redoc"]
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    violations = watch(page)
    response = page.goto(url + "docs")
    assert response.headers["content-security-policy"] == PAGE_CSP
    page.wait_for_selector(".opblock-tag", timeout=30_000)  # Swagger UI drew the operations
    page.click(".opblock-summary >> nth=0")  # and opens one
    page.wait_for_selector(".opblock-body")
    response = page.goto(url + "redoc")
    assert response.headers["content-security-policy"] == DOCS_CSP["/redoc"]
    page.wait_for_selector(".menu-content", timeout=30_000)  # ReDoc drew its menu
    page.fill("[role=search] input", "runs")  # its search runs in the blob: worker
    page.wait_for_selector("[data-role='search:results'] li", timeout=10_000)
    unexpected = [v for v in violations if "cdn.redoc.ly/redoc/logo-mini.svg" not in v]
    assert not unexpected, unexpected
