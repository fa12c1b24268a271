"""Security headers on every response (app/middleware/security.py), and API docs that need no network
(app/pages/api_docs.py)."""

import re

import pytest

from forgetlab.app.middleware.security import DOCS_CSP, PAGE_CSP

STATIC = __import__("pathlib").Path(__file__).resolve().parents[3] / "static"


@pytest.mark.parametrize("path", ["/", "/runs", "/api/health", "/api/runs", "/static/app.css", "/nope",
                                  "/api/runs/999"])
def test_every_response_carries_the_headers(client, path):
    r = client.get(path)
    assert r.headers["content-security-policy"] == PAGE_CSP
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert r.headers["x-frame-options"] == "DENY"


def test_the_page_policy_allows_only_this_origin():
    directives = dict(d.strip().split(" ", 1) for d in PAGE_CSP.split(";"))
    for name in ("default-src", "connect-src", "img-src", "font-src", "form-action", "base-uri"):
        assert "http" not in directives[name] and "*" not in directives[name], name
    assert directives["object-src"] == "'none'"


def test_pages_load_nothing_from_another_origin(client):
    """What the CSP would block: a page or template naming a script, style or image elsewhere."""
    for path in ("/", "/runs", "/sweeps", "/docs", "/redoc"):
        html = client.get(path).text
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert url.startswith(("/", "#", "?", "data:")), (path, url)


def test_swagger_ui_and_redoc_are_served_from_vendored_files(client):
    docs = client.get("/docs")
    assert docs.status_code == 200 and docs.headers["content-security-policy"] == DOCS_CSP["/docs"] == PAGE_CSP
    assert "cdn" not in docs.text.lower() and "fonts.googleapis" not in docs.text
    redoc = client.get("/redoc")
    assert redoc.status_code == 200 and "fonts.googleapis" not in redoc.text
    assert redoc.headers["content-security-policy"] == DOCS_CSP["/redoc"]
    assert "<script>" not in docs.text and "<style>" not in redoc.text  # both start from files (static/docs/)
    for html in (docs.text, redoc.text):
        for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
            assert client.get(url).status_code == 200, url
            assert (STATIC / url.removeprefix("/static/")).is_file()
    assert "swagger-ui-bundle" in docs.text and "redoc" in redoc.text


def test_openapi_types_the_bodies_and_documents_every_error(client):
    spec = client.get("/openapi.json").json()
    post = spec["paths"]["/api/runs"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Scenario"}
    assert "epochs" in spec["components"]["schemas"]["Scenario"]["properties"]
    assert set(post["responses"]) >= {"200", "201", "400", "413", "422", "429"}
    sweep = spec["paths"]["/api/sweeps"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert sweep == {"$ref": "#/components/schemas/SweepSpec"}
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            for code, response in op["responses"].items():
                if code.startswith("4") and path.startswith("/api/"):
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorOut"}, (path, method, code)


def test_datetimes_carry_their_timezone(client):
    run = client.post("/api/runs", json={"task_examples": 50}).json()
    created = client.get(f"/api/runs/{run['id']}").json()["created_at"]
    assert created.endswith(("Z", "+00:00"))


def test_a_422_body_is_the_documented_shape(client):
    body = client.post("/api/runs", json={"epochs": 0}).json()
    assert isinstance(body["detail"], str)
    assert body["errors"][0]["field"] == "epochs" and body["errors"][0]["reason"]
