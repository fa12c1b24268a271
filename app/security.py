"""Security headers on every response, and the API docs pages served from vendored files (no CDN).

The pages' Content-Security-Policy allows only this origin and nothing inline:
- script-src 'self': no inline script, no `on...=` or `hx-on` attribute, and no eval. htmx is told so in
  base.html (`htmx-config`: allowEval false, includeIndicatorStyles false; its indicator rules are in app.css).
- style-src 'self': no `style="..."` attribute or <style> element. Scripts still set element.style through
  the CSSOM (uPlot's canvas sizes, compare.js's swatches and tooltip), which a CSP does not restrict.
- img-src adds data:, because a chart's PNG download draws its SVG from a data: URL (static/charts.js).
tests/browser/test_csp.py loads every kind of page in Chromium and fails on any violation report.

Swagger UI (/docs) runs under the same policy; ReDoc (/redoc) needs two allowances, explained beside REDOC_CSP.
"""

from __future__ import annotations

import html

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
# The docs pages start their UI from a file of ours (static/docs/), not an inline script, so neither needs
# 'unsafe-inline' for scripts nor eval, and Swagger UI (/docs) runs under the pages' own policy. ReDoc (/redoc)
# keeps two allowances its bundle needs (tests/browser/test_csp.py checks neither page raises any other):
# - style-src 'unsafe-inline': ReDoc styles itself with styled-components, which adds <style> elements at run
#   time with no nonce we could hand it; under style-src 'self' the page stays blank.
# - worker-src blob:: ReDoc runs its search index in a Worker made from a blob: URL.
# Both draw icons from data: URLs in their CSS (img-src data:, as the pages have). ReDoc also asks for its
# maker's logo from cdn.redoc.ly; the policy blocks that request (no network), and ReDoc drops the image.
REDOC_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
             "form-action 'self'; frame-ancestors 'none'")
DOCS_CSP = {"/docs": PAGE_CSP, "/redoc": REDOC_CSP}
COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
          (b"x-frame-options", b"DENY"), (b"cross-origin-opener-policy", b"same-origin")]
SWAGGER_JS = "/static/vendor/swagger-ui-bundle-5.35.0.js"
SWAGGER_CSS = "/static/vendor/swagger-ui-5.35.0.css"
REDOC_JS = "/static/vendor/redoc-2.5.4.standalone.js"


class SecurityHeaders:
    """Adds the headers to every HTTP response that does not set them itself."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = DOCS_CSP.get(scope["path"], PAGE_CSP).encode()

        async def with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in [(b"content-security-policy", csp), *COMMON] if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


def install_docs(app: FastAPI) -> None:
    """/docs (Swagger UI) and /redoc from static/vendor, so they work with no network.
    Create the app with docs_url=None and redoc_url=None, then call this. Open to everyone.
    The pages are ours rather than FastAPI's: theirs start Swagger UI from an inline script and set ReDoc's
    margin in an inline <style>; ours load both from static/docs/, so their policies' script-src is 'self'."""
    title = html.escape(f"{app.title} API")
    spec = html.escape(app.openapi_url or "/openapi.json")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui():
        return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{SWAGGER_CSS}"></head>
<body><div id="swagger-ui" data-openapi="{spec}"></div>
<script src="{SWAGGER_JS}"></script><script src="/static/docs/swagger-init.js"></script></body></html>""")

    @app.get("/redoc", include_in_schema=False)
    def redoc():
        return HTMLResponse(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/docs/redoc.css"></head>
<body><noscript>ReDoc needs JavaScript.</noscript><redoc spec-url="{spec}"></redoc>
<script src="{REDOC_JS}"></script></body></html>""")
