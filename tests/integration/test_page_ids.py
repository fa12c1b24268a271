"""No id in a page's path or query gives a 500: every one goes through the one id parser (core/ids.py), on
SQLite and on PostgreSQL (whose integer columns overflow at 2**31, SQLite's at 2**63)."""

import pytest
from fastapi.testclient import TestClient

from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate, session_factory
from tests.accounts import login, make_user

BIG = ("2147483648", "9223372036854775808", "99999999999999999999", "0", "-1", "1e3", "²")
PAGES = [("POST", "/account/tokens/{}/revoke"), ("POST", "/admin/users/{}"), ("GET", "/compare?sweep={}"),
         ("GET", "/compare?runs=1,2&baseline={}"), ("GET", "/runs/{}"), ("POST", "/runs/{}/delete"),
         ("GET", "/sweeps/{}"), ("GET", "/classes/{}"), ("GET", "/assignments/{}"), ("GET", "/lessons/{}"),
         ("GET", "/gate?candidate={}")]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def instructor(request, tmp_path_factory):
    """A public lab's admin (who may also teach), signed in, on either database: every page route below is
    theirs to reach, so an id is the only thing that can make it answer other than 2xx."""
    from forgetlab.app.main import create_app

    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    tmp_path = tmp_path_factory.mktemp("ids")
    settings = Settings(data_dir=tmp_path, workers=0, database_url=url, redis_url=None, public=True,
                        rate_limit=0, read_rate_limit=0)
    migrate(settings.sqlalchemy_url)
    name = f"teach-{tmp_path.name[-12:]}".lower().replace("_", "-")[:32]
    make_user(session_factory(settings.sqlalchemy_url), name, role="admin")
    with TestClient(create_app(settings)) as client:
        login(client, name)
        yield client


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_ids_past_any_column_are_not_found_never_a_server_error(instructor, method, path):
    for text in BIG:
        r = instructor.request(method, path.format(text), follow_redirects=False)
        assert r.status_code in (404, 422), (path.format(text), r.status_code, r.text[:200])


@pytest.mark.parametrize("budget", ["²", "99999999999999999999", "0", "-3", "1e3"])
def test_a_budget_that_is_no_whole_number_is_named_never_a_server_error(instructor, budget):
    room = instructor.post("/api/classes", json={"name": "budgets"}).json()
    form = {"title": "t", "settings": "epochs=1", "goal": "task >= 0", "attempt_budget": budget}
    r = instructor.post(f"/classes/{room['id']}/assignments", data=form, follow_redirects=False)
    assert r.status_code == 422 and "a whole number from 1 to 1000" in r.text
