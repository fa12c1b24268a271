"""Error responses: 422 names each bad field and why, 404 for unknown ids (an HTML page on HTML routes).

Every error the API returns has the same shape: {"detail": message, "errors": [{"field", "reason"}]}.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from forgetlab.core.errors import DomainError, NotFound
from forgetlab.core.quotas import OverQuota
from forgetlab.core.scenario import ScenarioError

log = logging.getLogger(__name__)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in ("/openapi.json",)


def invalid(errors: dict[str, str], message: str = "invalid scenario") -> JSONResponse:
    return JSONResponse({"detail": message, "errors": [{"field": f, "reason": r} for f, r in errors.items()]},
                        status_code=422)


def _html(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    from ..pages.render import templates

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
        return JSONResponse({"detail": exc.message, "errors": [{"field": exc.field, "reason": exc.message}]},
                            status_code=429, headers=headers)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError):
        """A bad selection (runs to compare or export, a tier): 404 for an unknown one, 422 otherwise."""
        status = 404 if isinstance(exc, NotFound) else 422
        if not wants_json(request):
            return _html(request, status, "Not found" if status == 404 else "Cannot do that", exc.message)
        return JSONResponse({"detail": exc.message, "errors": [{"field": exc.field, "reason": exc.message}]},
                            status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errors = {}
        for err in exc.errors():
            loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
            errors[".".join(loc) or "body"] = err.get("msg", "invalid")
        if not wants_json(request):
            return _html(request, 422, "That request was not understood", "; ".join(f"{k}: {v}" for k, v in errors.items()))
        return invalid(errors, "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if wants_json(request):
            return JSONResponse({"detail": exc.detail, "errors": []}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        title = "Not found" if exc.status_code == 404 else f"Error {exc.status_code}"
        return _html(request, exc.status_code, title, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return _server_error(request)


def _server_error(request: Request):
    log.exception("unhandled error on %s", request.url.path)
    if wants_json(request):
        return JSONResponse({"detail": "internal error", "errors": []}, status_code=500)
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
