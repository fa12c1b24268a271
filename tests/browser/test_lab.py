"""A learner's path in a real browser: builder, preset, inline validation, run, live curves, summary."""

import re
from pathlib import Path

from forgetlab.app.pages.forms import scenario_query
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import with_overrides

from .conftest import collect_errors, wait_until

SMALL = {"task_examples": 100, "epochs": 2, "eval_every": 2}  # keeps the test's run to a second or two


def test_pick_a_preset_run_it_and_watch_it_forget(served_lab, browser, tmp_path):
    url, _ = served_lab
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = collect_errors(page)

    preset = PRESETS["break-it"].scenario()
    page.goto(url)
    page.click('a[data-preset="break-it"]')
    page.wait_for_url(url + "?" + scenario_query(preset))
    assert page.locator(".preset.current").inner_text().startswith("Break it")

    # Validation inline as you type: a bad value names its range, and the run button waits.
    page.fill("#f-lr", "5")
    page.wait_for_selector("#err-lr:has-text('allowed: 1e-06 to 0.1')")
    assert page.locator("#scenario button[type=submit]").is_disabled()
    page.fill("#f-lr", str(preset.lr))
    for name, value in SMALL.items():
        page.fill(f"#f-{name}", str(value))
    page.wait_for_url(url + "?" + scenario_query(with_overrides(preset, SMALL)))  # the URL holds it all
    page.wait_for_selector("#err-lr:empty", state="attached")
    assert page.locator("#scenario button[type=submit]").is_enabled()

    page.click("#scenario button[type=submit]")
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    # Switch the capability charts to answer NLL while points stream (or just after): the same points, their own
    # axis, said in each chart's accessible label and in its "now" figure, and live updates carry on.
    # Generous: the session's lab may still be finishing an earlier test's runs; this is no timing test.
    wait_until(page, "window.forgetlab && window.forgetlab.points >= 1", 120)
    page.check("input[name=chart-measure][value=nll]")
    wait_until(page, "window.forgetlab && window.forgetlab.points >= 5", 30)
    page.wait_for_selector("#summary-headline", timeout=30_000)
    wait_until(page, "window.forgetlab.view === 'nll' && window.forgetlab.drawnStep === window.forgetlab.lastStep")
    knowledge = "figure.chart[data-key='cap.knowledge.accuracy']"
    wait_until(page, f"document.querySelector(\"{knowledge} .plot\").getAttribute('aria-label').includes('answer NLL')")
    assert page.locator(f"{knowledge} .plot").get_attribute("aria-label").startswith("knowledge: answer NLL (nats per token")
    assert re.fullmatch(r"\d+\.\d\d \(base \d+\.\d\d\)", page.locator(f"{knowledge} .now").inner_text())
    assert page.locator("small[data-view=nll]").is_visible() and not page.locator("small[data-view=accuracy]").is_visible()
    assert not page.locator("#nll-none").is_visible()  # this run stored NLL
    page.check("input[name=chart-measure][value=accuracy]")
    wait_until(page, f"document.querySelector(\"{knowledge} .plot\").getAttribute('aria-label').startsWith('knowledge: accuracy')")
    assert page.locator("figure.chart canvas").count() >= 8
    assert page.locator("#status-badge").inner_text() == "succeeded"
    assert page.locator("[data-now='cap.knowledge.accuracy']").inner_text().endswith("%)")  # now vs base
    assert page.locator("#samples table tbody tr").count() >= 5
    assert page.locator("table.forgetting tbody tr").count() == 6
    page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
    assert not errors, errors


def test_the_served_web_process_has_no_torch_in_memory(served_lab):
    _, pid = served_lab
    maps = Path(f"/proc/{pid}/maps").read_text()
    assert "libtorch" not in maps and "torch/lib" not in maps
