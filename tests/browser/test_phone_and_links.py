"""Phones and shared links in a real browser, on a phone (390x844) and a laptop (1366x900): no page scrolls
sideways, the phone builder puts the form before the preset cards, a shared link keeps a preset and its
overrides, a sweep starts from the builder with Enter, the sample answers show a probe that break-it
made the model forget, and axe-core finds no serious or critical accessibility problem on the
builder, run, runs-list, sweep and compare pages."""

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from .conftest import axe_problems, collect_errors, wait_until

PHONE, LAPTOP = {"width": 390, "height": 844}, {"width": 1366, "height": 900}
# Break-it, small enough to take seconds, long enough to forget (knowledge, format, safety fall).
FORGETS = "/?preset=break-it&task_examples=150&epochs=2&eval_every=4"
TINY = "task_examples=50&epochs=1&eval_every=2"


def no_sideways_scroll(page) -> None:
    wide = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert wide[0] <= wide[1], f"{page.url} is {wide[0]} px wide in a {wide[1]} px window"


@pytest.fixture(scope="module")
def lab_pages(served_lab, browser):
    """One break-it run and one two-run sweep, made through the builder, and the pages they give."""
    url, _ = served_lab
    page = browser.new_page(viewport=LAPTOP)
    errors = collect_errors(page)
    page.goto(url.rstrip("/") + FORGETS)
    page.wait_for_selector("#run-submit:enabled")
    page.click("#run-submit")
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    run = page.url
    page.wait_for_selector("#summary-headline", timeout=90_000)

    # A sweep from the builder: fill a row and press Enter in a field; the sweep is the main action.
    page.goto(url + "?" + TINY)
    page.select_option("#sweep-field-1", "lr")
    page.fill("#sweep-values-1", "1e-3, 3e-3")
    page.wait_for_selector("#sweep-submit:has-text('Sweep 2 runs'):enabled")
    assert page.locator("#sweep-warning").is_visible()
    assert ("sweep_field", "lr") in parse_qsl(urlsplit(page.url).query)  # the address holds the rows
    page.press("#f-epochs", "Enter")
    page.wait_for_url(re.compile(r"/sweeps/\d+$"))
    sweep = page.url
    page.wait_for_url(re.compile(r"/compare\?sweep=\d+$"), timeout=90_000)
    compare = page.url
    assert not errors, errors
    page.close()
    return {"run": run, "sweep": sweep, "compare": compare, "runs": url + "runs", "builder": url + "?preset=fix-it"}


def test_break_it_samples_show_a_forgotten_probe(lab_pages, browser):
    page = browser.new_page(viewport=LAPTOP)
    page.goto(lab_pages["run"])
    forgotten = page.locator("#samples tr.forgotten")
    assert forgotten.count() >= 1  # a question the base got right and the fine-tuned model now gets wrong
    cells = forgotten.first.locator("td")
    assert cells.nth(2).inner_text() == cells.nth(3).inner_text() != cells.nth(4).inner_text()
    page.close()


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_a_shared_link_keeps_the_preset_and_its_overrides(served_lab, browser, viewport):
    url, _ = served_lab
    page = browser.new_page(viewport=viewport)
    errors = collect_errors(page)
    page.goto(url + "?preset=break-it&lr=0.0005&epochs=2&task=shift")
    query = dict(parse_qsl(urlsplit(page.url).query))
    assert query["lr"] == "0.0005" and query["epochs"] == "2" and query["task"] == "shift"
    assert page.input_value("#f-lr") == "0.0005" and page.input_value("#f-epochs") == "2"
    assert page.input_value("#f-task") == "shift"
    page.fill("#f-seed", "3")  # a change after load keeps the overrides in the address
    page.wait_for_url(re.compile(r"seed=3"))
    assert "lr=0.0005" in page.url and "task=shift" in page.url
    no_sideways_scroll(page)
    assert not errors, errors
    page.close()


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_no_page_scrolls_sideways_and_axe_finds_nothing_serious(lab_pages, browser, viewport):
    page = browser.new_page(viewport=viewport)
    errors = collect_errors(page)
    problems = {}
    for name in ("builder", "run", "runs", "sweep", "compare"):
        page.goto(lab_pages[name])
        if name == "run":
            wait_until(page, "window.forgetlab && window.forgetlab.points >= 2")
        if name == "compare":
            wait_until(page, "window.forgetlabCompare && window.forgetlabCompare.ready")
        no_sideways_scroll(page)
        if name in ("run", "compare"):  # charts fit their boxes: no canvas wider than its figure
            assert page.evaluate("""Array.from(document.querySelectorAll('figure.chart canvas')).every(
                c => c.getBoundingClientRect().right <= c.closest('figure').getBoundingClientRect().right + 1)""")
            page.check("input[name=chart-measure][value=nll]")  # the answer NLL view fits as well
            state = "forgetlab" if name == "run" else "forgetlabCompare"
            wait_until(page, f"window.{state}.view === 'nll'")
            no_sideways_scroll(page)
            assert page.evaluate("""Array.from(document.querySelectorAll('figure.chart canvas')).every(
                c => c.getBoundingClientRect().right <= c.closest('figure').getBoundingClientRect().right + 1)""")
        found = axe_problems(page)
        if found:
            problems[name] = found
    assert not problems, problems
    assert not errors, errors
    page.close()


def test_the_phone_builder_puts_the_form_first_and_the_nav_fits(served_lab, browser):
    url, _ = served_lab
    page = browser.new_page(viewport=PHONE)
    page.goto(url)
    form_top = page.locator("#scenario").bounding_box()["y"]
    assert form_top < page.locator("#presets").bounding_box()["y"]
    assert form_top < 400  # the first field is on the first screen, not 1,780 px down
    for link in page.locator("header.top nav a").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.keyboard.press("Tab")  # the skip link is the first stop and leads to the content
    assert page.evaluate("document.activeElement.className") == "skip"
    page.close()
