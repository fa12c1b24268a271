"""Every error the app answers, installed in one place: the API gets JSON, a page gets an HTML page.

The API's errors all have one shape (app/http.py's error_body): {"detail": message, "errors": [{"field",
"reason"}]}. Core's domain errors map to statuses here and nowhere else: NotFound 404, Forbidden 403, Conflict 409,
OverQuota 429 (with Retry-After), any other DomainError and a ScenarioError 422. Not signed in (401):
the API answers 401, a page sends the browser to log in. An unexpected exception is a logged 500.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from fastapi import routing
from starlette.routing import compile_path

from forgetlab.core.errors import Conflict, DomainError, Forbidden, NotFound
from forgetlab.core.quotas import OverQuota
from forgetlab.core.scenario import ScenarioError

from .auth import Unauthorized
from .http import error_body, invalid, is_htmx, wants_json
from .pages.render import templates

log = logging.getLogger(__name__)
TITLES = {403: "Not allowed", 404: "Not found", 409: "Kept as a record", 422: "Cannot do that"}


def _html(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return templates.TemplateResponse(request, "error.html", {"title": title, "message": message},
                                      status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ScenarioError)
    async def _scenario(request: Request, exc: ScenarioError):
        return invalid(exc.errors)

    @app.exception_handler(OverQuota)
    async def _over_quota(request: Request, exc: OverQuota):
        """A quota or budget (core/quotas.py): 429 with Retry-After; a page says why."""
        headers = {"Retry-After": str(exc.retry_after)}
        if not wants_json(request):
            response = _html(request, 429, "Over the limit", exc.message)
            response.headers.update(headers)
            return response
        return JSONResponse(error_body(exc.message, {exc.field: exc.message}), status_code=429, headers=headers)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        """A bad selection (runs to compare or export, a tier), an unknown object, or one the user may not
        change: 404 for an unknown one, 403 for a forbidden action, 409 for a kept record, 422 otherwise."""
        status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Forbidden) \
            else 409 if isinstance(exc, Conflict) else 422
        if not wants_json(request):
            return _html(request, status, TITLES[status], exc.message)
        return JSONResponse(error_body(exc.message, {exc.field: exc.message}), status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = {}
        for err in exc.errors():
            loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
            errors[".".join(loc) or "body"] = err.get("msg", "invalid")
        if not wants_json(request):
            return _html(request, 422, "That request was not understood", "; ".join(f"{k}: {v}" for k, v in errors.items()))
        return invalid(errors, "invalid request")

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized):
        """Not signed in: the API answers 401; a page sends the browser to log in, and back here after."""
        if wants_json(request):
            return JSONResponse(error_body(exc.detail, {}), status_code=401, headers=exc.headers)
        target = "/login?next=" + quote(request.url.path + ("?" + request.url.query if request.url.query else ""))
        if is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:  # Starlette names the methods of the first route that matched the path only
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        if wants_json(request):
            return JSONResponse(error_body(exc.detail, {}), status_code=exc.status_code, headers=headers)
        title = "Not found" if exc.status_code == 404 else f"Error {exc.status_code}"
        response = _html(request, exc.status_code, title, str(exc.detail))
        response.headers.update(headers or {})
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return _server_error(request)


def allowed_methods(request: Request) -> list[str]:
    """Every method of the path's routes (a 405's Allow header, RFC 9110): routes of one path are declared one
    per method, and each knows only its own. Where a fixed path and a templated one both match
    (/api/runs/cancel-queued and /api/runs/{run_id}), the path is the one with fewer parameters, as the
    OpenAPI document lists it."""
    by_template: dict[str, set[str]] = {}
    for route in routing.iter_route_contexts(request.app.routes):  # included routers flattened, full paths
        if route.methods and compile_path(route.path)[0].match(request.url.path):
            by_template.setdefault(route.path, set()).update(route.methods)
    if not by_template:
        return []
    fewest = min(template.count("{") for template in by_template)
    return sorted(set().union(*(m for t, m in by_template.items() if t.count("{") == fewest)))


def _server_error(request: Request):
    log.exception("unhandled error on %s", request.url.path)
    if wants_json(request):
        return JSONResponse(error_body("internal error", {}), status_code=500)
    return _html(request, 500, "Something went wrong", "The error was logged.")


class CatchErrors:
    """An unexpected exception becomes a logged 500 and the connection stays usable.

    Starlette's own last resort answers 500 and then re-raises, and uvicorn drops the keep-alive
    connection without a word; here the error ends with its response. An exception after the response
    started (a stream that broke midway) cannot be answered any more and is re-raised."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def tracking(message):
            nonlocal started
            started |= message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            if started:
                raise
            await _server_error(Request(scope))(scope, receive, send)
