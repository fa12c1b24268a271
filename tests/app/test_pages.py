"""HTML pages: builder fields come from the schema, htmx gets fragments, links reproduce scenarios."""

import re

from forgetlab.app.pages.forms import scenario_query
from forgetlab.core.presets import PRESETS
from forgetlab.core.scenario import Scenario, field_help, parse
from forgetlab.core.tiers.synthetic.world import CAPABILITIES, FAMILIES

HX = {"HX-Request": "true"}


def test_builder_shows_every_field_with_its_explanation_and_range(client):
    html = client.get("/").text
    for name in Scenario.model_fields:
        if name == "version":
            continue
        assert f'name="{name}"' in html, name
        assert field_help(name)["description"].replace("'", "&#39;") in html, name
    assert "allowed: 1e-06 to 0.1" in html
    for preset in PRESETS.values():
        assert f'href="/?preset={preset.name}"' in html and preset.title.replace("'", "&#39;") in html


def test_a_preset_link_expands_into_the_url(client):
    r = client.get("/?preset=break-it", follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert 'class="preset current"' in page and "preset break-it" in page
    epochs = PRESETS["break-it"].overrides["epochs"]
    assert f'id="f-epochs" name="epochs" value="{epochs}"' in page  # the preset's values fill the form


def test_an_unknown_preset_says_so(client):
    r = client.get("/?preset=nope")
    assert r.status_code == 200 and "There is no preset &#39;nope&#39;" in r.text


def test_htmx_validation_returns_only_the_fragment_with_field_errors(client):
    r = client.get("/?lr=5&epochs=2", headers={**HX, "HX-Target": "validation"})
    assert r.status_code == 200
    assert "HX-Request" in r.headers["vary"]
    assert not r.text.lstrip().startswith("<!doctype")
    assert r.text.lstrip().startswith('<div id="validation"')
    assert "disabled" in r.text  # the run button
    assert re.search(r'id="err-lr" hx-swap-oob="true">[^<]*allowed: 1e-06 to 0.1', r.text)
    assert r.headers["HX-Replace-Url"] == "/?lr=5&epochs=2"


def test_htmx_validation_of_a_good_scenario_canonicalises_the_url(client):
    r = client.get("/?epochs=2&lr=0.001&method=lora&lora_targets=q_proj&lora_targets=v_proj&wise_ft=false"
                   "&wise_ft=true", headers={**HX, "HX-Target": "validation"})
    assert "Ready:" in r.text and "disabled" not in r.text
    expected = parse({"epochs": 2, "lr": 0.001, "method": "lora", "lora_targets": ["q_proj", "v_proj"], "wise_ft": True})
    assert r.headers["HX-Replace-Url"] == "/?" + scenario_query(expected)  # only what differs from the defaults


def test_full_page_shows_inline_errors_too(client):
    html = client.get("/?epochs=99").text
    assert re.search(r'id="err-epochs">[^<]*allowed: 1 to 20', html)


def token(client) -> str:
    """The CSRF token a page gives this browser (app/auth/csrf.py): forms repeat it."""
    client.get("/runs")
    return client.cookies.get("forgetlab_csrf")


def test_form_post_runs_or_reshows_errors(client):
    client.headers["X-CSRF-Token"] = token(client)
    r = client.post("/runs", data={"epochs": "99"}, follow_redirects=False)
    assert r.status_code == 422 and "allowed: 1 to 20" in r.text
    r = client.post("/runs", data={"task_examples": "50", "epochs": "1", "eval_every": "2",
                                   "lora_targets": ["", "q_proj", "v_proj"], "wise_ft": "false"},
                    follow_redirects=False)
    assert r.status_code == 303 and re.fullmatch(r"/runs/\d+", r.headers["location"])
    run = client.get("/api" + r.headers["location"]).json()
    assert run["config"]["task_examples"] == 50 and run["config"]["lora_targets"] == ["q_proj", "v_proj"]


def test_run_page_and_its_fragments(client):
    run_id = client.post("/api/runs", json={"task_examples": 50, "epochs": 1}).json()["id"]
    html = client.get(f"/runs/{run_id}").text
    for cap in CAPABILITIES:
        assert f'data-key="cap.{cap}.accuracy"' in html and FAMILIES[cap].description in html
        assert f'data-nll-key="cap.{cap}.nll"' in html  # the same chart's answer NLL view
    assert 'data-nll-key="task.nll"' in html and 'name="chart-measure" value="nll"' in html
    assert "Cancel" in html and "queued" in html
    fragment = client.get(f"/runs/{run_id}", headers={**HX, "HX-Target": "samples"}).text
    assert fragment.lstrip().startswith('<section id="samples"')
    r = client.post(f"/runs/{run_id}/cancel", headers={**HX, "HX-Target": "run-header", "X-CSRF-Token": token(client)})
    assert r.text.lstrip().startswith('<section id="run-header"') and "cancelled" in r.text


def test_runs_list(client):
    assert "No runs yet" in client.get("/runs").text
    client.post("/api/runs", json={"task_examples": 50, "epochs": 1})
    html = client.get("/runs").text
    assert 'href="/runs/1"' in html and 'hx-trigger="every 2s"' in html  # refreshes while a run is active


def test_unknown_run_page_is_an_html_404(client):
    for path in ("/runs/999", "/runs/abc", "/nowhere"):
        r = client.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert "Not found" in r.text
