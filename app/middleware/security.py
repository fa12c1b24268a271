"""Security headers on every response, the API docs pages' included (those pages: app/pages/api_docs.py).

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
