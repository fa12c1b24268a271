"""The API docs pages: /docs (Swagger UI) and /redoc, from static/vendor, so they work with no network.

Open to everyone (they show the API's shape, never data: app.auth.UNGUARDED). The app is created with
docs_url=None and redoc_url=None, so these are the only docs pages. They are ours rather than FastAPI's:
theirs start Swagger UI from an inline script and set ReDoc's margin in an inline <style>; ours load both
from static/docs/, so their Content-Security-Policy (app/middleware/security.py) allows script-src 'self'."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)
SWAGGER_JS = "/static/vendor/swagger-ui-bundle-5.35.0.js"
SWAGGER_CSS = "/static/vendor/swagger-ui-5.35.0.css"
REDOC_JS = "/static/vendor/redoc-2.5.4.standalone.js"


def _names(request: Request) -> tuple[str, str]:
    """The page title and the schema's address, escaped for HTML."""
    return html.escape(f"{request.app.title} API"), html.escape(request.app.openapi_url or "/openapi.json")


@router.get("/docs")
def swagger_ui(request: Request):
    title, spec = _names(request)
    return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{SWAGGER_CSS}"></head>
<body><div id="swagger-ui" data-openapi="{spec}"></div>
<script src="{SWAGGER_JS}"></script><script src="/static/docs/swagger-init.js"></script></body></html>""")


@router.get("/redoc")
def redoc(request: Request):
    title, spec = _names(request)
    return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/docs/redoc.css"></head>
<body><noscript>ReDoc needs JavaScript.</noscript><redoc spec-url="{spec}"></redoc>
<script src="{REDOC_JS}"></script></body></html>""")
