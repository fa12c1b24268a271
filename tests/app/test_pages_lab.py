"""The lab as people use it: shared links keep every setting, filled sweep rows are never dropped, one-click
follow-ups know their parent, the runs list filters, marks repeats and takes labels, fields are
labelled for people and screen readers."""

import re
from urllib.parse import parse_qsl, urlsplit

from forgetlab.app.pages.forms import label_of
from forgetlab.core.presets import PRESETS
from forgetlab.core.store import runs

from .conftest import metrics_event, record, summary
from .test_pages import HX, token


def _query(location: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(location).query)


def test_a_preset_link_with_overrides_keeps_them(client):
    r = client.get("/?preset=break-it&lr=0.0005&epochs=2&task=shift", follow_redirects=False)
    assert r.status_code == 303
    query = dict(_query(r.headers["location"]))
    assert query["lr"] == "0.0005" and query["epochs"] == "2" and query["task"] == "shift"
    fix = dict(_query(client.get("/?preset=fix-it&lr=0.0005", follow_redirects=False).headers["location"]))
    assert fix["lr"] == "0.0005" and fix["method"] == "lora" and fix["mix_ratio"] == "0.5"  # the rest of the preset
    html = client.get(r.headers["location"]).text
    assert 'id="f-lr" name="lr" value="0.0005"' in html and 'id="f-epochs" name="epochs" value="2"' in html
    assert '<option value="shift" selected>' in html


def test_sweep_rows_stay_in_the_address(client):
    r = client.get("/?preset=break-it&sweep_field=lr&sweep_values=1e-4,1e-3", follow_redirects=False)
    assert ("sweep_field", "lr") in _query(r.headers["location"])
    assert ("sweep_values", "1e-4,1e-3") in _query(r.headers["location"])
    fragment = client.get("/?epochs=2&sweep_field=lr&sweep_values=1e-4,1e-3", headers={**HX, "HX-Target": "validation"})
    replaced = _query(fragment.headers["HX-Replace-Url"])
    assert ("epochs", "2") in replaced and ("sweep_field", "lr") in replaced
    assert ("sweep_values", "1e-4,1e-3") in replaced


def test_filled_sweep_rows_make_the_sweep_the_main_action(client):
    html = client.get("/?epochs=2&sweep_field=lr&sweep_values=1e-4,1e-3", headers={**HX, "HX-Target": "validation"}).text
    # The sweep is the first submit button (Enter presses it); the single run says it ignores the rows.
    assert html.index('id="sweep-submit"') < html.index('id="run-submit"')
    assert "Run once, without the sweep" in html and 'id="sweep-warning"' in html
    form = {"epochs": "1", "task_examples": "50", "sweep_field": ["lr"], "sweep_values": ["1e-4, 1e-3"],
            "csrf_token": token(client)}
    r = client.post("/runs", data=form, follow_redirects=False)
    assert r.status_code == 409 and "The sweep rows are filled" in r.text
    assert client.get("/api/runs").json()["runs"] == []  # nothing was started
    r = client.post("/runs", data={**form, "single": "1"}, follow_redirects=False)
    assert r.status_code == 303


def test_a_follow_up_is_one_post_and_its_page_shows_its_parent(client, sessions):
    parent = client.post("/api/runs", json={"task_examples": 50, "epochs": 1}).json()["id"]
    with sessions() as session:
        record(sessions, parent, metrics_event(0, knowledge=1.0))
        runs.finish(session, run_id=parent, status="succeeded", summary=summary(0.3, 0.9))
    html = client.get(f"/runs/{parent}").text
    forms = re.findall(r'<form class="follow" method="post" action="/runs">(.*?)</form>', html, re.DOTALL)
    assert forms and "Try LoRA" in forms[0] and "edit first" in forms[0]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', forms[0])
    data: dict[str, list[str]] = {}
    for k, v in fields:
        data.setdefault(k, []).append(v)
    r = client.post("/runs", data=data, follow_redirects=False)
    assert r.status_code == 303
    child = int(r.headers["location"].rsplit("/", 1)[1])
    run = client.get(f"/api/runs/{child}").json()
    assert run["parent_id"] == parent and run["config"]["method"] == "lora"
    with sessions() as session:
        runs.finish(session, run_id=child, status="succeeded", summary=summary(0.0, 0.9))
    page = client.get(f"/runs/{child}").text
    assert "This run vs its parent" in page and f"follow-up of #{parent}" in page


def test_the_runs_list_shows_seeds_repeats_and_no_minus_zero(client, sessions):
    first = client.post("/api/runs", json={"task_examples": 50, "epochs": 1}).json()["id"]
    again = client.post("/api/runs", json={"task_examples": 50, "epochs": 1}).json()["id"]
    other = client.post("/api/runs", json={"task_examples": 50, "epochs": 1, "seed": 7}).json()["id"]
    with sessions() as session:
        runs.finish(session, run_id=first, status="succeeded", summary=summary(-0.001, 0.9))
    html = client.get("/runs").text
    assert f"repeat of #{first}" in html and "-0 pts" not in html and "no capability dropped" in html
    row = re.search(rf'href="/runs/{other}">#{other}</a>.*?</tr>', html, re.DOTALL).group(0)
    assert "<td>7</td>" in row and "repeat of" not in row
    assert client.get(f"/api/runs/{again}").json()["config_hash"] == client.get(f"/api/runs/{first}").json()["config_hash"]
    only = client.get("/runs?status=succeeded").text
    assert f'href="/runs/{first}"' in only and f'href="/runs/{other}"' not in only
    assert "No run matches" in client.get("/runs?task=shift").text


def test_runs_take_a_name_tags_and_a_note_and_can_be_deleted(client, sessions):
    run_id = client.post("/api/runs", json={"task_examples": 50, "epochs": 1}).json()["id"]
    form = {"name": "my first break", "tags": "Lesson1, seed-0", "note": "watch format", "csrf_token": token(client)}
    r = client.post(f"/runs/{run_id}/labels", data=form, follow_redirects=False)
    assert r.status_code == 303
    html = client.get("/runs?tag=lesson1").text
    assert "my first break" in html and 'href="/runs?tag=seed-0"' in html and "watch format" in html
    bad = client.post(f"/runs/{run_id}/labels", data={**form, "tags": "no spaces allowed"})
    assert bad.status_code == 422 and "tags" in bad.text
    r = client.patch(f"/api/runs/{run_id}", json={"name": ""})
    assert r.status_code == 200 and r.json()["name"] is None and r.json()["tags"] == "lesson1,seed-0"
    refused = client.post(f"/runs/{run_id}/delete", data={"csrf_token": token(client)}, follow_redirects=False)
    assert refused.status_code == 422 and "cancel it first" in refused.text
    with sessions() as session:
        runs.finish(session, run_id=run_id, status="cancelled")
    r = client.post(f"/runs/{run_id}/delete", data={"csrf_token": token(client)}, follow_redirects=False)
    assert r.status_code == 303 and client.get(f"/api/runs/{run_id}").status_code == 404


def test_fields_are_labelled_and_tied_to_their_help_and_errors(client):
    html = client.get("/?ewc_lambda=abc&epochs=").text
    assert 'class="skip" href="#content"' in html and 'id="content"' in html
    assert label_of("ewc_lambda") == "EWC strength (λ)" and "EWC strength (λ)" in html
    assert re.search(r'id="f-ewc_lambda"[^>]*aria-describedby="help-ewc_lambda err-ewc_lambda" aria-invalid="true"', html)
    assert re.search(r'id="f-lr"[^>]*aria-invalid="false"', html)
    assert re.search(r'id="err-ewc_lambda">[^<]*valid number', html)  # letters: "not a number", not "required"
    assert re.search(r'id="err-epochs">required: enter a value', html)
    assert "allowed: 0 to 2,147,483,647" in html  # the seed's range as a whole number


def test_freezing_more_blocks_than_the_base_has_is_shown_at_its_field(client):
    html = client.get("/?freeze_layers=3").text
    assert label_of("freeze_layers") == "Frozen lowest blocks" and "Frozen lowest blocks" in html
    assert re.search(r'id="f-freeze_layers"[^>]*aria-invalid="true"', html)
    assert re.search(r'id="err-freeze_layers">[^<]*freeze at most 2', html)


def test_preset_cards_say_their_values(client):
    html = client.get("/").text
    fix = PRESETS["fix-it"].scenario()
    card = re.search(r'data-preset="fix-it".*?</li>', html, re.DOTALL).group(0)
    assert f"lr {fix.lr:g}" in card and f"learning rate {fix.lr:g}" in card and "low for LoRA" not in card
    assert "What to try next" in html
