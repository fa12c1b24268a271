"""The run page's live contract comes from the server (app/views/charts.py), one JSON blob in the page: the
JavaScript spells no run status, metric key or chart colour of its own."""

import json
import re
from pathlib import Path

from forgetlab.app.views.charts import CLOCK, PALETTE, SERIES, run_live
from forgetlab.app.views.comparison import MAX_RUNS
from forgetlab.core.results import SCALAR_KEYS
from forgetlab.core.store.models import STATUSES, TERMINAL

ROOT = Path(__file__).resolve().parents[3]
SCRIPTS = sorted((ROOT / "static").glob("*.js"))  # ours; static/vendor/ holds the libraries


def test_the_contract_names_core_keys_and_statuses():
    live = run_live()
    assert set(live["terminal"]) == TERMINAL
    keys = [line["key"] for lines in live["series"].values() for line in lines]
    assert set(keys) | {CLOCK} <= set(SCALAR_KEYS) and len(keys) == len(set(keys))
    assert len(set(PALETTE)) == len(PALETTE) >= MAX_RUNS  # every run of a comparison its own colour
    assert {line["color"] for lines in live["series"].values() for line in lines} <= set(PALETTE)


def test_the_run_page_renders_the_contract_and_names_its_series(client):
    run_id = client.post("/api/runs", json={"task_examples": 50, "epochs": 1}).json()["id"]
    html = client.get(f"/runs/{run_id}").text
    blob = re.search(r'<script type="application/json" id="run-live">(.*?)</script>', html, re.S).group(1)
    assert json.loads(blob) == run_live()
    for name in SERIES:
        assert f'data-series="{name}"' in html


def test_no_script_spells_a_status_a_metric_key_or_a_palette_colour():
    assert SCRIPTS
    spelled = [*STATUSES, *SCALAR_KEYS, *PALETTE]
    for path in SCRIPTS:
        text = path.read_text()
        found = [word for word in spelled if f'"{word}"' in text or f"'{word}'" in text]
        assert not found, f"{path.name} spells {found}: read them from the page (app/views/charts.py)"


def test_no_template_spells_a_series_key():
    for path in (ROOT / "templates").glob("*.html"):
        text = path.read_text()
        found = [key for lines in SERIES.values() for key, _, _ in lines if re.search(rf"[\"',]{key}[\"',]", text)]
        assert not found, f"{path.name} spells {found}"
