"""Suites over HTTP: upload (201, 200 again, 413, 422 per line, all or nothing) through the API and the page,
list, read; private to the owner (another's id is refused as an unknown one is); runs that name suites."""

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate, session_factory
from forgetlab.core.store.models import StoredSuite
from tests.accounts import bearer, make_user

EVERY = (Path(__file__).parents[1] / "core" / "data" / "every_scorer.jsonl").read_bytes()
SMOL = {"tier": "smollm2", "task": "support", "task_examples": 50, "epochs": 1, "eval_every": 2}


def upload(client, data: bytes = EVERY, headers=None, **form):
    return client.post("/api/suites", files={"file": ("house-rules.jsonl", data)}, data=form, headers=headers)


def test_upload_then_again_then_list_and_read(client, sessions):
    r = upload(client)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["name"] == "house-rules" and len(created["items"]) == 8 and created["scorers"]["refusal"] == 2
    again = upload(client)
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    assert [s["id"] for s in client.get("/api/suites").json()] == [created["id"]]
    assert client.get(created["url"]).json()["items"] == created["items"]
    assert client.get("/api/suites/0123456789abcdef").status_code == 404
    with sessions() as session:
        assert session.query(StoredSuite).count() == 1


def test_a_bad_line_refuses_the_whole_file_naming_line_and_field(client, sessions):
    bad = EVERY.strip() + b'\n{"prompt": "p", "reference": "r", "scorer": "regex", "pattern": "("}\n{"prompt": 3}'
    r = upload(client, bad)
    assert r.status_code == 422
    fields = [e["field"] for e in r.json()["errors"]]
    assert fields == ["line 9: pattern", "line 10: scorer"]
    assert upload(client, b"x" * (3 * 1024 * 1024)).status_code == 413
    with sessions() as session:
        assert session.query(StoredSuite).count() == 0


def test_the_page_uploads_and_lists_or_names_each_bad_line(client):
    r = client.post("/suites", files={"file": ("mine.jsonl", EVERY)}, data={"name": "mine"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/suites?added=")
    listed = client.get("/suites").text
    assert "mine" in listed
    link = re.search(r'<a href="([^"]+)">measure it in a run</a>', listed).group(1).replace("&amp;", "&")
    builder = client.get(link)
    suite = client.get("/api/suites").json()[0]["id"]
    assert builder.status_code == 200 and f'name="suites" value="{suite}"' in builder.text
    r = client.post("/suites", files={"file": ("bad.jsonl", b'{"prompt": "p"}\n')})
    assert r.status_code == 422 and "line 1" in r.text and "scorer" in r.text


def test_a_run_measures_only_suites_of_its_owner_in_a_chat_tier(tmp_path):
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True,
                        rate_limit=0, read_rate_limit=0)
    migrate(settings.sqlalchemy_url)
    sessions = session_factory(settings.sqlalchemy_url)
    ada, bob = (bearer(sessions, make_user(sessions, name)) for name in ("ada", "bob"))
    with TestClient(create_app(settings)) as client:
        suite = upload(client, headers=ada).json()["id"]
        assert client.get(f"/api/suites/{suite}", headers=bob).status_code == 404
        assert client.get("/api/suites", headers=bob).json() == []
        ok = client.post("/api/runs", json={**SMOL, "suites": [suite]}, headers=ada)
        assert ok.status_code == 201, ok.text
        theirs = client.post("/api/runs", json={**SMOL, "suites": [suite]}, headers=bob)
        unknown = client.post("/api/runs", json={**SMOL, "suites": ["0123456789abcdef"]}, headers=bob)
        assert theirs.status_code == unknown.status_code == 422
        assert theirs.json()["errors"] == [{"field": "suites", "reason": unknown.json()["errors"][0]["reason"]
                                            .replace("0123456789abcdef", suite)}]
        synthetic = client.post("/api/runs", json={"task_examples": 50, "epochs": 1, "suites": [suite]}, headers=ada)
        assert synthetic.status_code == 422 and "smollm2" in synthetic.json()["errors"][0]["reason"]
        malformed = client.post("/api/runs", json={**SMOL, "suites": ["nope"]}, headers=ada)
        assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "suites"
        # The same file under a built-in capability's name: two capabilities of one name are refused.
        clash = upload(client, headers=ada, name="knowledge").json()["id"]
        refused = client.post("/api/runs", json={**SMOL, "suites": [clash]}, headers=ada)
        assert refused.status_code == 422 and "knowledge" in refused.json()["errors"][0]["reason"]
        # bob uploading the same file gets his own private copy, of the same id.
        assert upload(client, headers=bob).json()["id"] == suite
        assert client.post("/api/runs", json={**SMOL, "suites": [suite]}, headers=bob).status_code == 201


def test_the_builder_form_names_suites_by_id(client):
    suite = upload(client).json()["id"]
    form = {**{k: str(v) for k, v in SMOL.items()}, "suites": suite}
    r = client.post("/runs", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    run_id = int(r.headers["location"].rsplit("/", 1)[-1])
    assert client.get(f"/api/runs/{run_id}").json()["config"]["suites"] == [suite]
    none = client.post("/runs", data={**form, "suites": ""}, follow_redirects=False)
    assert none.status_code == 303
    bad = client.post("/runs", data={**form, "suites": "0123456789abcdef"}, follow_redirects=False)
    assert bad.status_code == 422 and "no suite 0123456789abcdef of yours" in bad.text


def test_a_suite_over_the_ordinary_body_limit_uploads_as_a_dataset_does(client):
    big = "\n".join(json.dumps({"prompt": f"{i} " + "x" * 1500, "reference": "yes", "scorer": "contains"})
                    for i in range(300)).encode()
    assert len(big) > 256 * 1024  # the body limit outside uploads
    assert upload(client, big).status_code == 201
