"""What the OpenAPI document promises holds at the edges schemathesis probes: a 405 names every method of its
path (Allow, RFC 9110), and a comparison's or export's `runs` is required, as the code requires."""

import re

import pytest
from fastapi.testclient import TestClient

from forgetlab.core.settings import Settings
from forgetlab.core.store.db import migrate
from tests.accounts import same_site


@pytest.fixture
def client(tmp_path):
    """The embedded lab with rate limits off: every path gets several methods it does not answer."""
    from forgetlab.app.main import create_app

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, rate_limit=0,
                        read_rate_limit=0)
    migrate(settings.sqlalchemy_url)
    with TestClient(create_app(settings)) as c:
        yield same_site(c)


def test_a_405_lists_every_method_the_path_answers(client):
    schema = client.get("/openapi.json").json()
    checked = 0
    for path, operations in schema["paths"].items():
        declared = {m.upper() for m in operations if m in ("get", "post", "put", "patch", "delete")}
        concrete = re.sub(r"\{[a-z_]+\}", "1", path)
        for method in ("OPTIONS", "PUT", "PATCH", "DELETE", "POST"):
            if method in declared:
                continue
            response = same_site(client).request(method, concrete)
            if response.status_code != 405:
                continue
            allow = {m.strip() for m in response.headers["allow"].split(",")}
            assert allow - {"HEAD"} == declared, (method, path, allow)
            checked += 1
    assert checked > 30
    page = same_site(client).request("PUT", "/runs/1")  # a page answers the same way
    assert page.status_code == 405 and set(page.headers["allow"].split(", ")) - {"HEAD"} == {"GET"}


def test_runs_is_required_by_the_schema_as_by_the_code(client):
    schema = client.get("/openapi.json").json()
    for path in ("/api/compare", "/api/export/{table}.{fmt}"):
        runs = next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "runs")
        assert runs["required"] is True and runs["schema"]["items"]["pattern"]
        assert re.match(runs["schema"]["items"]["pattern"], "3, #5,8") and not re.match(
            runs["schema"]["items"]["pattern"], "NULL")
    missing = client.get("/api/compare")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "runs"
    assert client.get("/api/compare?sweep=5").status_code == 404  # a sweep instead of runs: still answered


def test_an_assignments_settings_are_the_scenarios_fields_in_the_schema_as_in_the_code(client):
    """The document lists what `settings` takes (every scenario field, none required, no other key), and the
    code refuses another key by its name."""
    from forgetlab.core.scenario import Scenario

    schema = client.get("/openapi.json").json()
    settings = schema["components"]["schemas"]["AssignmentIn"]["properties"]["settings"]
    assert set(settings["properties"]) == set(Scenario.model_fields) and settings["additionalProperties"] is False
    assert "required" not in settings
    room = client.post("/api/classes", json={"name": "c"}).json()
    made = client.post(f"/api/classes/{room['id']}/assignments",
                       json={"title": "t", "settings": {"epochs": 2, "lrr": 1}, "goal": "task >= 0"})
    assert made.status_code == 422 and [e["field"] for e in made.json()["errors"]] == ["settings: lrr"]


def test_a_sweeps_base_is_the_scenarios_fields_in_the_schema_as_in_the_code(client):
    """`base` is documented as the assignment's settings are (one schema: the scenario's fields, none required,
    no other key), and the code refuses an unknown or bad base field by its name."""
    from forgetlab.core.scenario import Scenario

    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    base = next(s for s in schemas["SweepSpec"]["properties"]["base"]["anyOf"] if s.get("type") == "object")
    settings = schemas["AssignmentIn"]["properties"]["settings"]
    assert base == {k: v for k, v in settings.items() if k not in ("title", "description")}
    assert set(base["properties"]) == set(Scenario.model_fields) and base["additionalProperties"] is False
    unknown = client.post("/api/sweeps", json={"base": {"epochs": 1, "lrr": 1}, "grid": {"seed": [0]}})
    assert unknown.status_code == 422 and [e["field"] for e in unknown.json()["errors"]] == ["base: lrr"]
    bad = client.post("/api/sweeps", json={"base": {"epochs": "many"}, "grid": {"seed": [0]}})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["base: epochs"]
    assert client.get("/api/sweeps").json() == []
