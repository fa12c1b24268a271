"""A public lab's links and start-up: join links come from the configured public URL, never from the request's
Host header, and the lab warns at start while it answers any Host."""

import logging

from fastapi.testclient import TestClient

from forgetlab.app.main import warn_open_hosts
from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate, session_factory
from tests.accounts import bearer, make_user


def test_join_links_come_from_the_public_url_whatever_the_host(tmp_path):
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, public=True,
                        public_url="https://lab.example.org/")
    migrate(settings.sqlalchemy_url)
    teach = bearer(session_factory(settings.sqlalchemy_url),
                   make_user(session_factory(settings.sqlalchemy_url), "teach", role="instructor"))
    with TestClient(create_app(settings)) as client:
        room = client.post("/api/classes", json={"name": "c"}, headers={**teach, "Host": "evil.example"}).json()
        assert room["join_url"] == f"https://lab.example.org/join/{room['join_code']}"
        seen = client.get(f"/api/classes/{room['id']}", headers={**teach, "Host": "evil.example"}).json()
        assert seen["join_url"].startswith("https://lab.example.org/join/")
        page = client.get(f"/classes/{room['id']}", headers={**teach, "Host": "evil.example"})
        assert "https://lab.example.org/join/" in page.text and "evil.example" not in page.text


def test_a_public_lab_warns_while_it_answers_any_host(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert "FORGETLAB_TRUSTED_HOSTS" in warn_open_hosts(Settings(data_dir=tmp_path, public=True))
    assert "trusted hosts '*'" in caplog.text
    assert warn_open_hosts(Settings(data_dir=tmp_path, public=True, trusted_hosts="lab.example.org")) is None
    assert warn_open_hosts(Settings(data_dir=tmp_path, database_url=None, redis_url=None)) is None  # embedded
