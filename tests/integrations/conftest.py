"""A served lab for the training-side integrations: the real app under uvicorn on a free port (in a thread of the
test process), log-in required, and a student with an API token, as an engineer's training script would use it."""

import socket
import threading
import time

import httpx
import pytest

from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate, session_factory
from tests.accounts import bearer, login, make_user


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedLab:
    def __init__(self, url: str, token: str, sessions, database: str):
        self.url, self.token, self.sessions, self.database = url, token, sessions, database

    def client(self) -> httpx.Client:
        """A browser of the lab, signed in as the token's owner (for pages) and carrying the token (for the API)."""
        client = httpx.Client(base_url=self.url, timeout=60)
        login(client, "ada")
        return client


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    import uvicorn

    from forgetlab.app.main import create_app

    data = tmp_path_factory.mktemp("lab")
    settings = Settings(data_dir=data, workers=0, database_url=None, redis_url=None, public=True)
    migrate(settings.sqlalchemy_url)
    sessions = session_factory(settings.sqlalchemy_url)
    user = make_user(sessions, "ada")
    token = bearer(sessions, user)["Authorization"].removeprefix("Bearer ")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the lab did not start"
        time.sleep(0.05)
    yield ServedLab(f"http://127.0.0.1:{port}", token, sessions, settings.sqlalchemy_url)
    server.should_exit = True
    thread.join(timeout=15)
