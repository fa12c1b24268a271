"""A run's files on disk (its saved model, its checkpoint) are served only as that run's and go with it.

The audit's case: Alice's run is deleted from its page while its model directory stays; Bob's next run must
never be served her model. Ids are not reused (migration 0010), every delete path removes the files, the
reconciler removes any left behind, and the download reads the manifest: a directory saved for another run
is not this run's model.
"""

import json

from fastapi.testclient import TestClient

from forgetlab.app.main import sweep_checkpoints
from forgetlab.core import checkpoints
from forgetlab.core.artifacts import MANIFEST
from forgetlab.core.store import runs
from tests.accounts import login, make_user, same_site

from .conftest import finish, saved_model

TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}


def test_a_model_saved_for_another_run_is_never_served(client, settings, sessions):
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    finish(sessions, run_id)
    saved_model(settings, run_id, for_run=run_id + 1000)  # left by another run: its manifest says whose it is
    r = client.get(f"/api/runs/{run_id}/model")
    assert r.status_code == 404 and "no saved model" in r.json()["detail"]
    saved_model(settings, run_id + 1, for_run=run_id + 1)
    other = client.post("/api/runs", json=TINY).json()["id"]
    finish(sessions, other)
    assert other == run_id + 1
    assert client.get(f"/api/runs/{other}/model").status_code == 200  # its own: served


def test_a_model_saved_before_manifests_named_runs_is_served_for_the_same_configuration(client, settings,
                                                                                        sessions):
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    finish(sessions, run_id)
    with sessions() as session:
        config_hash = runs.get_run(session, run_id=run_id).config_hash
    saved_model(settings, run_id, for_run=None, scenario_hash="0" * 16)
    assert client.get(f"/api/runs/{run_id}/model").status_code == 404  # another configuration's model
    (settings.run_model_dir(run_id) / MANIFEST).write_text(json.dumps({"scenario_hash": config_hash}))
    assert client.get(f"/api/runs/{run_id}/model").status_code == 200


def test_alice_deletes_her_run_from_its_page_and_bob_never_gets_her_model(tmp_path):
    from forgetlab.app.main import create_app
    from forgetlab.core.settings import Settings
    from forgetlab.core.store.db import migrate, session_factory

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True)
    migrate(settings.sqlalchemy_url)
    sessions = session_factory(settings.sqlalchemy_url)
    make_user(sessions, "alice")
    make_user(sessions, "bob")
    app = create_app(settings)
    with TestClient(app) as alice, TestClient(app) as bob:
        login(alice, "alice")
        login(bob, "bob")
        first = alice.post("/api/runs", json={**TINY, "seed": 4343, "lr": 0.0037}).json()["id"]
        finish(sessions, first)
        saved_model(settings, first, for_run=first)
        checkpoints.directory(settings.data_dir).mkdir(parents=True)
        checkpoints.path(settings.data_dir, first).write_bytes(b"a checkpoint")
        assert alice.get(f"/api/runs/{first}/model").status_code == 200
        assert alice.post(f"/runs/{first}/delete", follow_redirects=False).status_code == 303
        assert not settings.run_model_dir(first).exists()
        assert not checkpoints.path(settings.data_dir, first).exists()
        second = bob.post("/api/runs", json=TINY).json()["id"]
        assert second != first
        for run_id in (first, second):
            assert bob.get(f"/api/runs/{run_id}/model").status_code == 404


def test_the_reconciler_removes_models_of_runs_that_are_gone(client, settings, sessions):
    kept = client.post("/api/runs", json=TINY).json()["id"]
    finish(sessions, kept)
    saved_model(settings, kept, for_run=kept)
    saved_model(settings, 999, for_run=999)  # its run's row went, its directory stayed
    assert sweep_checkpoints(client.app) == [999]
    assert settings.run_model_dir(kept).is_dir() and not settings.run_model_dir(999).exists()


def test_deleting_through_the_api_removes_the_files_too(client, settings, sessions):
    run_id = client.post("/api/runs", json=TINY).json()["id"]
    finish(sessions, run_id)
    saved_model(settings, run_id, for_run=run_id)
    checkpoints.directory(settings.data_dir).mkdir(parents=True)
    checkpoints.path(settings.data_dir, run_id).write_bytes(b"a checkpoint")
    assert same_site(client).delete(f"/api/runs/{run_id}").status_code == 204
    assert not settings.run_model_dir(run_id).exists() and not checkpoints.path(settings.data_dir, run_id).exists()
