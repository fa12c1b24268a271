"""A real `forgetlab serve` (embedded) on a free port, and headless Debian Chromium driven by Playwright.

Skipped only when chromium is absent and FORGETLAB_REQUIRE_SERVICES is unset; never `playwright install`.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe-4.10.2.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def served_lab(tmp_path_factory):
    """(base URL, server pid) of `forgetlab serve`, once a warm worker process is ready. One lab per test module:
    runs a module leaves behind die with its lab instead of queuing ahead of the next module's."""
    port = free_port()
    data = tmp_path_factory.mktemp("served")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    proc = subprocess.Popen([sys.executable, "-m", "forgetlab.core.cli", "serve", "--port", str(port), "--data-dir", str(data),
                             "--log-level", "warning"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    first = proc.stdout.readline()
    url = f"http://localhost:{port}/"
    try:
        assert url in first, first + proc.stdout.read() if proc.poll() is not None else first
        deadline = time.monotonic() + 90
        while True:
            try:
                if get_json(url + "api/health")["executor"]["warm"] >= 1:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the lab never had a warm worker process"
            time.sleep(0.2)
        yield url, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


IDLE_WAIT = 300  # seconds an earlier test's runs in the same module may take to finish


@pytest.fixture(autouse=True)
def idle_lab(request):
    """A test that uses the lab starts when the lab is idle, so that the waits it makes for its own runs do not
    also pay for an earlier test's: nothing queued, nothing running."""
    if "served_lab" not in request.fixturenames:
        return
    url, _ = request.getfixturevalue("served_lab")
    deadline = time.monotonic() + IDLE_WAIT
    while (busy := get_json(url + "api/health")["executor"])["pending"] or busy["running"]:
        assert time.monotonic() < deadline, f"the lab was still busy after {IDLE_WAIT} s: {busy}"
        time.sleep(0.5)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("FORGETLAB_REQUIRE_SERVICES") == "1":
            pytest.fail("chromium is required (FORGETLAB_REQUIRE_SERVICES=1): apt-get install chromium")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# htmx reports a request it cancels as a console error: a form's live validation still in flight when
# the user presses Run and the page navigates away, or a refresh superseded by a newer swap. On a busy
# machine those races happen; they lose nothing. Every other console error fails the tests.
CANCELLED = ("htmx:sendAbort", "htmx:afterRequest")


def collect_errors(page) -> list[str]:
    """Page errors and console errors of a page, less htmx's notices of requests it cancelled."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith(CANCELLED) else None)
    return errors


def wait_until(page, expression: str, timeout: float = 30.0) -> None:
    """Poll a JavaScript expression from the test until it is truthy. Playwright's wait_for_function compiles
    its predicate inside the page with eval, which the lab's CSP (script-src 'self') forbids once it has to
    poll; page.evaluate goes through the DevTools protocol, which the CSP does not govern."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {expression}")
        page.wait_for_timeout(100)


def axe_problems(page) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now."""
    # Evaluated through the DevTools protocol: a <script> tag of inline code would break the page's CSP.
    page.evaluate(AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]
