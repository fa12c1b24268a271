"""The charts' JavaScript (static/charts.js) rounds percentages exactly as the server's pages do
(app/views/percent.py), so a chart and the summary beside it never differ by one."""

import random
from pathlib import Path

from forgetlab.app.views.percent import pct, percent

CHARTS = Path(__file__).resolve().parents[2] / "static" / "charts.js"


def test_charts_js_rounds_like_the_pages(browser):
    rng = random.Random(0)
    values = ([k / 1000 for k in range(-1000, 1001)] + [k / 800 for k in range(-800, 801)]
              + [rng.uniform(-1, 1) for _ in range(2000)] + [0.125, -0.125, 0.145, 0.005, -0.005, 0.0])
    page = browser.new_page()
    try:
        page.add_script_tag(content=CHARTS.read_text())
        got = page.evaluate("vs => vs.map(window.forgetlabCharts.percent)", values)
        shown = page.evaluate("vs => vs.map(window.forgetlabCharts.pct)", [0.125, 0.875, None])
    finally:
        page.close()
    assert got == [percent(v) for v in values]
    assert shown == [pct(0.125), pct(0.875), "–"] == ["13%", "88%", "–"]
