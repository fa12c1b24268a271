"""Datasets over HTTP: upload (201, 200 again, 413, 422 per line, all or nothing), list, read, 404; runs and
sweeps that name a dataset task; the builder's upload and a dataset task in the builder and on the run page."""

import json

import pytest

from forgetlab.core import datasets
from forgetlab.core.store.models import StoredDataset
from forgetlab.core.tiers.synthetic import world

TINY = {"task_examples": 50, "epochs": 1}
HTMX = {"HX-Request": "true", "HX-Target": "dataset-result"}


# Pairs in the synthetic world's words (runs of its tier can train on them), prompts unique.
PAIRS = list(dict(world.examples("shift", 80, 1)).items())[:40]


def jsonl(n=40, bad: dict | None = None) -> bytes:
    rows = [json.dumps({"prompt": p, "response": r}) for p, r in PAIRS[:n]]
    for line, text in (bad or {}).items():
        rows[line - 1] = text
    return "\n".join(rows).encode()


def upload(client, data: bytes, **form):
    return client.post("/api/datasets", files={"file": ("mine.jsonl", data)}, data=form)


def stored(sessions) -> int:
    with sessions() as session:
        return session.query(StoredDataset).count()


def test_upload_then_again_then_read(client):
    r = upload(client, jsonl(), name="my pairs")
    assert r.status_code == 201
    created = r.json()
    assert created["task"] == f"data:{created['id']}" and created["name"] == "my pairs"
    assert sum(created["counts"].values()) == 40 and created["url"] == f"/api/datasets/{created['id']}"
    again = upload(client, jsonl())  # the same pairs: the same dataset, as it was first stored
    assert again.status_code == 200 and again.json() == created

    listed = client.get("/api/datasets").json()
    assert [d["id"] for d in listed] == [created["id"]] and "pairs" not in listed[0] and listed[0]["size_bytes"] > 0
    one = client.get(created["url"]).json()
    assert one["counts"] == created["counts"]
    assert {k: len(v) for k, v in one["preview"].items()} == {k: min(5, n) for k, n in created["counts"].items()}
    assert set(one["preview"]["train"][0]) == {"prompt", "response"}


def test_the_name_defaults_to_the_file_name(client):
    assert upload(client, jsonl()).json()["name"] == "mine"


@pytest.mark.parametrize("path", ["/api/datasets/0123456789abcdef", "/api/datasets/nothex", "/api/datasets/ABC"])
def test_unknown_or_malformed_ids_are_404(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.json()["detail"].startswith("no dataset")


def test_bad_lines_are_a_422_naming_line_and_field_and_nothing_is_stored(client, sessions):
    r = upload(client, jsonl(bad={12: json.dumps({"prompt": "p"}), 20: "{oops", 30: json.dumps({"prompt": PAIRS[0][0],
                                                                                               "response": "r"})}))
    assert r.status_code == 422
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert errors["line 12: response"] == "missing" and "not valid JSON" in errors["line 20: json"]
    assert errors["line 30: prompt"] == "the same prompt as line 1" and "3 problems" in r.json()["detail"]
    assert stored(sessions) == 0 and client.get("/api/datasets").json() == []


@pytest.mark.parametrize("form, files, field, words", [
    ({}, None, "file", "multipart"),
    ({"name": "x"}, {"other": ("a.txt", b"b")}, "file", "choose a JSONL file"),
    ({"name": "n" * 201}, {"file": ("a.jsonl", jsonl())}, "name", "at most 200"),
])
def test_a_missing_file_or_a_long_name_is_a_422(client, form, files, field, words):
    r = client.post("/api/datasets", data=form, files=files) if files else client.post("/api/datasets", json=form)
    assert r.status_code == 422
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert words in errors[field]


def test_too_large_is_a_413_by_content_length_and_by_actual_size(client, sessions):
    big = b"x" * (datasets.MAX_BYTES + 100 * 1024)
    r = upload(client, big)
    assert r.status_code == 413 and r.json()["errors"][0]["field"] == "file" and "2 MB" in r.json()["detail"]
    # Sent in chunks, without a Content-Length: refused while reading.
    boundary = "xyz"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    chunks = iter([head] + [b"y" * 65536] * 40 + [f"\r\n--{boundary}--\r\n".encode()])
    r = client.post("/api/datasets", content=chunks, headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413 and "got" not in r.json()["detail"]  # no declared size to name
    # Under the body limit but over the file limit: the file's own size decides.
    r = upload(client, b"z" * (datasets.MAX_BYTES + 1))
    assert r.status_code == 413
    assert stored(sessions) == 0


def test_runs_and_sweeps_need_the_dataset_stored(client):
    unknown = "data:0123456789abcdef"
    r = client.post("/api/runs", json={**TINY, "task": unknown})
    assert r.status_code == 422 and "upload" in {e["field"]: e["reason"] for e in r.json()["errors"]}["task"]
    r = client.post("/api/sweeps", json={"base": TINY, "grid": {"task": ["shift", unknown]}})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["task"]
    assert client.get("/api/runs").json()["runs"] == [] and client.get("/api/sweeps").json() == []

    task = upload(client, jsonl()).json()["task"]
    r = client.post("/api/runs", json={**TINY, "task": task})
    assert r.status_code == 201
    assert client.get(f"/api/runs/{r.json()['id']}").json()["config"]["task"] == task
    assert client.post("/api/sweeps", json={"base": {**TINY, "task": task}, "grid": {"seed": [0, 1]}}).status_code == 201


def test_words_outside_the_tier_are_refused_at_upload_or_at_submit_never_in_the_run(client, sessions):
    foreign = "\n".join(json.dumps({"prompt": f"question {i}", "response": f"answer {i}"}) for i in range(40)).encode()
    r = upload(client, foreign, tier="synthetic")
    assert r.status_code == 422 and stored(sessions) == 0
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert errors["line 1: prompt"] == "word outside the synthetic tier's vocabulary: question"
    assert errors["line 1: response"] == "word outside the synthetic tier's vocabulary: answer"
    assert upload(client, jsonl(), tier="synthetic").status_code == 201  # the world's words pass
    assert upload(client, foreign, tier="no-such-tier").status_code == 422
    # Stored for SmolLM2 (any text), then named in a synthetic run: refused when submitted, naming `task`.
    task = upload(client, foreign, tier="smollm2").json()["task"]
    r = client.post("/api/runs", json={**TINY, "task": task})
    assert r.status_code == 422
    reason = {e["field"]: e["reason"] for e in r.json()["errors"]}["task"]
    assert "outside the synthetic tier's vocabulary: question, answer" in reason
    r = client.post("/api/sweeps", json={"base": {**TINY, "task": task}, "grid": {"seed": [0, 1]}})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == ["base: task"]
    assert client.get("/api/runs").json()["runs"] == []
    builder = client.get(f"/?task={task}").text  # the builder says so as the task is picked, before Run
    assert "outside the synthetic tier&#39;s vocabulary: question, answer" in builder and "disabled>Run it" in builder
    # The builder's upload sends the scenario's tier along, so its result names the lines.
    page = client.get("/")
    assert 'hx-include="#f-tier"' in page.text and 'id="f-tier" name="tier"' in page.text
    r = client.post("/datasets", files={"file": ("mine.jsonl", foreign)}, data={"tier": "synthetic"}, headers=HTMX)
    assert r.status_code == 422 and "<b>line 1: prompt</b>: word outside the synthetic tier" in r.text


def test_builder_upload_in_place(client, sessions):
    r = client.post("/datasets", files={"file": ("mine.jsonl", jsonl())}, headers=HTMX)
    assert r.status_code == 200 and 'data-task="data:' in r.text and "<html" not in r.text
    r = client.post("/datasets", files={"file": ("mine.jsonl", jsonl(bad={3: "nope"}))}, headers=HTMX)
    assert r.status_code == 422 and "Nothing was stored" in r.text and "<b>line 3: json</b>" in r.text
    assert stored(sessions) == 1


def test_builder_upload_without_javascript(client):
    r = client.post("/datasets", files={"file": ("mine.jsonl", jsonl())}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/?task=data")
    page = client.get(r.headers["location"])
    task = upload(client, jsonl()).json()["task"]
    assert page.status_code == 200 and f'<option value="{task}" selected>{task} (mine)</option>' in page.text
    assert 'aria-describedby="own-data-help dataset-result"' in page.text and 'aria-live="polite"' in page.text
    r = client.post("/datasets", files={"file": ("mine.jsonl", b"x" * (datasets.MAX_BYTES + 1))})
    assert r.status_code == 413 and "at most 2 MB" in r.text and 'aria-invalid="true"' in r.text


def test_builder_names_an_unknown_dataset_and_the_run_page_shows_a_known_one(client):
    page = client.get("/?task=data:0123456789abcdef")
    assert page.status_code == 200 and '<option value="data:0123456789abcdef" selected>' in page.text
    assert "no uploaded dataset is called data:0123456789abcdef" in page.text and "disabled>Run it" in page.text
    assert client.post("/runs", data={"task": "data:0123456789abcdef"}).status_code == 422

    task = upload(client, jsonl()).json()["task"]
    r = client.post("/runs", data={**TINY, "task": task}, follow_redirects=False)
    assert r.status_code == 303
    run_page = client.get(r.headers["location"])
    assert run_page.status_code == 200 and "your dataset" in run_page.text and "mine" in run_page.text
    # Named by the name it was uploaded with, never by its hash: the header, the result row, the chart.
    text = run_page.text.replace("&#34;", '"')
    assert '<p class="settings">"mine" (your data) · ' in text and '<b>task: "mine" (your data)</b>' in text
    assert f"task: {task}" not in run_page.text and f"{task} · " not in run_page.text
