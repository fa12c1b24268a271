"""A sweep from the builder in a real browser: it runs, opens its comparison on its own, and the comparison
answers "which learns the task with the least forgetting", switches baseline and downloads its charts."""

import re
from pathlib import Path

from forgetlab.app.pages.forms import scenario_query
from forgetlab.core.scenario import Scenario, with_overrides

from .conftest import axe_problems, collect_errors, wait_until

SMALL = {"task_examples": 100, "epochs": 2, "eval_every": 2}  # a second or two per run

# Every text of an SVG drawn in the page: the boxes that overlap another or leave the image. The legend of a
# downloaded chart has one entry per run, labelled with its settings, which is where long labels collide.
CLASHES = """svg => {
  const box = document.createElement("div");
  box.innerHTML = svg;
  document.body.appendChild(box);
  const root = box.querySelector("svg"), frame = root.getBoundingClientRect();
  const texts = Array.from(root.querySelectorAll("text")).filter(t => t.textContent.trim());
  const rects = texts.map(t => t.getBoundingClientRect());
  const problems = [];
  rects.forEach((r, i) => {
    if (r.left < frame.left - 0.5 || r.right > frame.right + 0.5 || r.top < frame.top - 0.5 || r.bottom > frame.bottom + 0.5)
      problems.push("outside the image: " + texts[i].textContent);
    for (let j = i + 1; j < rects.length; j++) {
      const o = rects[j];
      if (r.left < o.right - 0.5 && o.left < r.right - 0.5 && r.top < o.bottom - 0.5 && o.top < r.bottom - 0.5)
        problems.push("overlap: " + texts[i].textContent + " / " + texts[j].textContent);
    }
  });
  box.remove();
  return problems;
}"""


def png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_sweep_then_compare(served_lab, browser, tmp_path):
    url, _ = served_lab
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = collect_errors(page)

    page.goto(url + "?" + scenario_query(with_overrides(Scenario(), SMALL)))
    page.select_option("#sweep-field-1", "method")
    page.fill("#sweep-values-1", "full, lora")
    page.select_option("#sweep-field-2", "lr")
    page.fill("#sweep-values-2", "1e-3, 1e-2")
    page.wait_for_selector("#sweep-submit:has-text('Sweep 4 runs'):enabled")
    page.click("#sweep-submit")
    page.wait_for_url(re.compile(r"/sweeps/\d+$"))
    assert page.locator("table.sweep-runs tbody tr").count() == 4
    page.wait_for_url(re.compile(r"/compare\?sweep=\d+$"), timeout=60_000)  # opens by itself when all end
    wait_until(page, "window.forgetlabCompare && window.forgetlabCompare.ready")

    assert re.search(r"learns the task .* with the least forgetting|No run learnt the task",
                     page.locator("#verdict").inner_text())
    assert page.locator("#config-diff thead th").all_inner_texts()[1:3] == ["method", "lr"]
    assert page.locator("figure.chart.cmp canvas").count() >= 6
    assert page.locator("#results tbody tr").count() == 4 and page.locator("#results td.worse, #results td.better").count()
    assert page.locator("#scatter g.pt").count() == 4
    # The point's own circle: the centre of the group's box (circle and label) may fall between the two.
    page.locator("#scatter g.pt").first.locator("circle").last.hover()
    assert page.locator(".tip").inner_text().startswith("run ")  # the point's settings on hover

    # Answer NLL beside accuracy: its rise under each capability's result, and the curves' NLL view.
    assert page.locator("#results td[data-metric='final knowledge'] .nll-rise").count() == 4
    assert all(re.fullmatch(r"NLL [+-]\d+\.\d\d", t)
               for t in page.locator("#results .nll-rise").all_inner_texts())  # these runs stored NLL
    page.check("input[name=chart-measure][value=nll]")
    wait_until(page, "window.forgetlabCompare.view === 'nll'")
    label = page.locator("figure.cmp[data-name=knowledge] .plot").get_attribute("aria-label")
    assert label.startswith("knowledge: answer NLL (nats per token") and not page.locator("#nll-none").is_visible()
    assert page.locator("figure.chart.cmp canvas").count() >= 6
    with page.expect_download() as nll_svg:
        page.click("figure.cmp[data-name=knowledge] .dl button[data-format=svg]")
    text = Path(nll_svg.value.path()).read_text()
    assert "knowledge answer NLL (nats/token)" in text and "NLL, nats/token" in text and "<polyline" in text
    assert page.evaluate(CLASHES, text) == []
    page.check("input[name=chart-measure][value=accuracy]")
    wait_until(page, "window.forgetlabCompare.view === 'accuracy'")

    page.click("#results a:has-text('use as baseline') >> nth=0")
    page.wait_for_url(re.compile(r"&baseline=\d+$"))
    with page.expect_download() as svg:
        page.click("figure.cmp[data-name=knowledge] .dl button[data-format=svg]")
    text = Path(svg.value.path()).read_text()
    assert svg.value.suggested_filename.endswith("-knowledge.svg") and text.startswith("<svg") and "<polyline" in text
    # Every run's legend entry whole and apart (they wrap onto rows), in the SVG and in its PNG, which is the
    # same drawing at twice the size: the image is as tall as the legend needs.
    assert text.count('class="legend-entry"') == 5 and page.evaluate(CLASHES, text) == []
    with page.expect_download() as chart_png:
        page.click("figure.cmp[data-name=knowledge] .dl button[data-format=png]")
    width, height = (int(v) for v in re.search(r'<svg[^>]* width="(\d+)" height="(\d+)"', text).groups())
    assert png_size(Path(chart_png.value.path()).read_bytes()) == (2 * width, 2 * height)
    with page.expect_download() as png:
        page.click("figure.svgfig .dl button[data-format=png]")
    assert Path(png.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    assert not errors, errors


def test_a_seed_sweep_compares_settings_with_bands(served_lab, browser):
    """3 seeds x 2 settings: two groups on every chart (a mean line in a band), a table of seed means with
    intervals, one scatter point per setting with error bars, and a verdict about settings, never one run."""
    url, _ = served_lab
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = collect_errors(page)
    page.goto(url + "?" + scenario_query(with_overrides(Scenario(), SMALL)))
    page.select_option("#sweep-field-1", "lr")
    page.fill("#sweep-values-1", "1e-3, 1e-2")
    page.select_option("#sweep-field-2", "seed")
    page.fill("#sweep-values-2", "0, 1, 2")
    page.wait_for_selector("#sweep-submit:has-text('Sweep 6 runs'):enabled")
    page.click("#sweep-submit")
    page.wait_for_url(re.compile(r"/sweeps/\d+$"))
    page.wait_for_url(re.compile(r"/compare\?sweep=\d+$"), timeout=120_000)
    wait_until(page, "window.forgetlabCompare && window.forgetlabCompare.ready")

    assert page.evaluate("window.forgetlabCompare.groups") == 2
    assert axe_problems(page) == []  # the seed table and the bands' page as well as the plain comparison
    verdict = page.locator("#verdict").inner_text()
    assert re.search(r"^lr=0\.0\d+ \(3 seeds\) learns the task|^No setting learnt the task on its seed mean", verdict)
    assert not re.search(r"\bRun \d+\b", verdict)  # never one seed's run
    assert page.locator("#seed-results th.group").all_inner_texts()[0].startswith("lr=0.001")
    assert page.locator("#seed-results tr[data-metric='mean drop'] small").count() == 2  # an interval per setting
    assert page.locator("#scatter g.pt.group").count() == 2 and page.locator("#scatter line.err").count() >= 2
    assert "seeds' mean" in page.locator("figure.cmp[data-name=knowledge] .plot").get_attribute("aria-label")
    with page.expect_download() as svg:
        page.click("figure.cmp[data-name=knowledge] .dl button[data-format=svg]")
    text = Path(svg.value.path()).read_text()
    assert text.count('class="band"') == 2 and text.count('class="legend-entry"') == 3  # 2 settings + the base
    assert "lr=0.001 (mean of 3 seeds)" in text and page.evaluate(CLASHES, text) == []
    page.check("input[name=chart-measure][value=nll]")
    wait_until(page, "window.forgetlabCompare.view === 'nll'")
    with page.expect_download() as nll_svg:
        page.click("figure.cmp[data-name=knowledge] .dl button[data-format=svg]")
    assert Path(nll_svg.value.path()).read_text().count('class="band"') == 2
    assert not errors, errors
