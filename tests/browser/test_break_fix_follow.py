"""The learners' central lesson in a real browser: Break it, then Fix it, then a one-click follow-up, with each
page's words checked against its own numbers and against the preset card's measured ranges.

The runs use the presets as shipped (base 0, seed 0: one of the units `forgetlab presets --measure` stored), so
what the page says must agree with what the card quoted before the run.
"""

import re

from forgetlab.app.views.percent import percent
from forgetlab.core.preset_outcomes import load_measured
from forgetlab.core.presets import PRESETS

from .conftest import collect_errors

STORED = load_measured()["presets"]


def _stored(name: str) -> dict:
    return next(r for r in STORED[name] if (r["base_seed"], r["seed"]) == (0, 0))


def _number(text: str) -> int:
    return int(text.replace("−", "-").replace(" pts", "").replace("%", "").strip() or 0)


def _table(page) -> tuple[dict[str, tuple[int, int, int]], tuple[int, int]]:
    """capability -> (base %, after %, change in points) and the task's (base %, after %), as the page shows them."""
    caps, task = {}, None
    for row in page.locator("#summary table.forgetting").first.locator("tbody tr").all():
        cells = [c.inner_text() for c in row.locator("td").all()]
        if cells[0].startswith("task"):
            task = (_number(cells[1]), _number(cells[2]))
        else:
            caps[cells[0]] = (_number(cells[1]), _number(cells[2]), _number(cells[3]))
    return caps, task


def _run_preset(page, url: str, name: str) -> None:
    page.goto(url)
    page.click(f'a[data-preset="{name}"]')
    page.wait_for_selector(".preset.current")
    page.click("#scenario button[type=submit]")
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    page.wait_for_selector("#summary-headline", timeout=180_000)


def _check_words_match_numbers(page, name: str | None) -> dict:
    """The headline's and the explanation's figures are the table's; the table is the stored run of the preset."""
    caps, task = _table(page)
    headline = page.locator("#summary-headline").inner_text()
    drops = sorted(-change for _, _, change in caps.values())
    if m := re.fullmatch(r"Forgot (\w+): it fell (\d+) points \((\d+)% to (\d+)%\)\.", headline):
        name_, points, base, final = m.group(1), *map(int, m.groups()[1:])
        assert caps[name_] == (base, final, -points), (headline, caps)
    elif m := re.search(r"all \d fell (\d+) to (\d+) points", headline):
        assert (int(m.group(1)), int(m.group(2))) == (drops[0], drops[-1]), (headline, caps)
    elif m := re.fullmatch(r"Forgot (.+): they fell (\d+) to (\d+) points\.", headline):
        named = re.split(r", | and ", m.group(1))
        fell = sorted(-caps[n][2] for n in named)
        assert (fell[0], fell[-1]) == (int(m.group(2)), int(m.group(3))), (headline, caps)
    else:
        for cap, points in re.findall(r"(\w+) slipped (\d+) points", headline):
            assert -caps[cap][2] == int(points), (headline, caps)
        assert headline.startswith(("Little was forgotten", "Nothing important")), headline
    words = page.locator("#summary").inner_text()
    if m := re.search(r"the task itself went from (\d+)% to (\d+)%", words):
        assert (int(m.group(1)), int(m.group(2))) == task
    if name:
        stored = _stored(name)
        assert task[1] == percent(stored["task"])
        assert max(drops) == percent(stored["worst_drop"])
    return {"caps": caps, "task": task, "headline": headline}


def test_break_it_then_fix_it_then_a_follow_up(served_lab, browser):
    url, _ = served_lab
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = collect_errors(page)

    page.goto(url)
    for name in ("break-it", "fix-it"):  # each card quotes the lab's measured ranges, from the stored runs
        card = page.locator(f'li.preset:has(a[data-preset="{name}"])').inner_text()
        assert "In the lab's own runs (6: 3 bases × 2 seeds)" in card, card
        lo, hi = min(r["task"] for r in STORED[name]), max(r["task"] for r in STORED[name])
        assert f"task {lo:.2f}" in card and (lo == hi or f"-{hi:.2f}" in card)

    _run_preset(page, url, "break-it")
    broken = _check_words_match_numbers(page, "break-it")
    assert broken["headline"].startswith("Forgot")
    follow_ups = page.locator("form.follow")
    assert follow_ups.count() >= 1
    # A follow-up that leads to a measured preset quotes its stored ranges, in the words of those ranges.
    broken_url = page.url
    lora = page.locator("form.follow:has(button:text-is('Try LoRA'))")
    assert lora.count() == 1
    measured = lora.locator(".measured").inner_text()
    runs = STORED["lora"]
    lo, hi = min(r["task"] for r in runs), max(r["task"] for r in runs)
    assert f"task {lo:.2f}-{hi:.2f}" in measured.lower(), measured
    assert (hi < 0.9) == ("does not always learn the task" in measured), measured  # what it costs, plainly

    _run_preset(page, url, "fix-it")
    fixed = _check_words_match_numbers(page, "fix-it")
    assert fixed["task"][1] >= 100 * PRESETS["fix-it"].expect.task_min
    assert max(-c for _, _, c in fixed["caps"].values()) < max(-c for _, _, c in broken["caps"].values())

    # Back on Break it's page, one click on "Try LoRA" runs it as Break it's child and says what changed.
    page.goto(broken_url)
    page.locator("form.follow:has(button:text-is('Try LoRA')) button").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    page.wait_for_selector("#summary-headline", timeout=180_000)
    _check_words_match_numbers(page, "lora")  # Break it with LoRA is the lora preset: its stored unit
    assert "method" in page.locator("#vs-parent").inner_text()
    assert not errors, errors
