"""The builder's "Use your own data" in a real browser: errors beside the file input, then the new task picked."""

import json
import re

from forgetlab.core.tiers.synthetic import world


def test_upload_shows_bad_lines_then_picks_the_new_task(served_lab, browser, tmp_path):
    url, _ = served_lab
    bad, good = tmp_path / "bad.jsonl", tmp_path / "good.jsonl"
    bad.write_text('{"prompt": "a"}\nnope\n')
    pairs = dict(world.examples("shift", 60, 1))
    good.write_text("\n".join(json.dumps({"prompt": p, "response": r}) for p, r in pairs.items()))
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)

    page.set_input_files("#dataset-file", str(bad))
    page.click("#dataset-upload button")
    page.wait_for_selector("#dataset-result .dataset-errors")  # a 422, swapped in all the same
    assert "line 1: response" in page.locator("#dataset-result").inner_text()
    assert page.get_attribute("#dataset-file", "aria-invalid") == "true"

    page.set_input_files("#dataset-file", str(good))
    page.click("#dataset-upload button")
    page.wait_for_selector("#dataset-result [data-task]")
    task = page.get_attribute("#dataset-result [data-task]", "data-task")
    assert page.eval_on_selector("#f-task", "s => s.value") == task
    assert page.get_attribute("#dataset-file", "aria-invalid") == "false"
    page.wait_for_url(re.compile(r"task=data"))  # the scenario form revalidated, and the address follows
    assert page.locator("#scenario button[type=submit]").is_enabled()
    assert not errors, errors
