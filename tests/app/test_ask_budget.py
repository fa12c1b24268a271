"""Questions to a run's model are each asker's own: the viewers of a shared run read only the questions they
asked, and cannot spend its owner's budget (or each other's)."""

import pytest
from fastapi.testclient import TestClient

from forgetlab.core.settings import Settings
from forgetlab.core.store import asks
from forgetlab.core.store.db import migrate, session_factory
from tests.accounts import bearer, make_user

from .conftest import finish

TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}


@pytest.fixture
def lab(tmp_path):
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True,
                        rate_limit=0, read_rate_limit=0)
    migrate(settings.sqlalchemy_url)
    sessions = session_factory(settings.sqlalchemy_url)
    users = {name: bearer(sessions, make_user(sessions, name)) for name in ("ada", "bob", "cy")}
    with TestClient(create_app(settings)) as client:
        yield client, sessions, users


def test_each_viewer_of_a_shared_run_has_their_own_budget(lab, monkeypatch):
    monkeypatch.setattr(asks, "MAX_ASKS_PER_RUN", 3)
    client, sessions, users = lab
    run_id = client.post("/api/runs", json=TINY, headers=users["ada"]).json()["id"]
    finish(sessions, run_id)
    client.post(f"/api/runs/{run_id}/share", json={"shared": True}, headers=users["ada"])

    def ask(who):
        return client.post(f"/api/runs/{run_id}/asks", json={"prompt": "what is 2 + 2"}, headers=users[who])

    assert [ask("bob").status_code for _ in range(4)] == [202, 202, 202, 422]
    refused = ask("bob")
    assert refused.json()["errors"][0]["field"] == "prompt" and "you have asked" in refused.json()["detail"]
    assert [ask("ada").status_code for _ in range(3)] == [202, 202, 202]  # the owner's budget is untouched
    assert ask("cy").status_code == 202
    assert ask("ada").status_code == 422


def test_each_viewer_of_a_shared_run_reads_only_the_questions_they_asked(lab):
    client, sessions, users = lab
    run_id = client.post("/api/runs", json=TINY, headers=users["ada"]).json()["id"]
    finish(sessions, run_id)
    client.post(f"/api/runs/{run_id}/share", json={"shared": True}, headers=users["ada"])
    for who in ("ada", "bob"):
        asked = client.post(f"/api/runs/{run_id}/asks", json={"prompt": f"{who} wonders about 7 + 8"},
                            headers=users[who])
        assert asked.status_code == 202
    for who, expected in (("ada", ["ada wonders about 7 + 8"]), ("bob", ["bob wonders about 7 + 8"]), ("cy", [])):
        listed = client.get(f"/api/runs/{run_id}/asks", headers=users[who])
        assert [q["prompt"] for q in listed.json()] == expected, who
        for page in (f"/runs/{run_id}", f"/runs/{run_id}/asks"):
            text = client.get(page, headers=users[who]).text
            assert [name for name in ("ada", "bob") if f"{name} wonders" in text] == [w.split()[0] for w in expected]
