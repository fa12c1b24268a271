"""What the app reads from a request the same way everywhere, and the one JSON error body.

Imports nothing from app/, so every layer of it (errors, auth, api, pages, middleware) may use it
without an import circle.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse


def wants_json(request: Request) -> bool:
    """The API and its schema answer JSON; every other path is a page (HTML, or a redirect to log in)."""
    return request.url.path.startswith("/api/") or request.url.path in ("/openapi.json",)


def is_htmx(request: Request) -> bool:
    """The request comes from htmx (a fragment is wanted, and a redirect is an HX-Redirect header)."""
    return request.headers.get("HX-Request") == "true"


def error_body(detail: str, errors: dict[str, str]) -> dict:
    """Every error the API sends: {"detail": message, "errors": [{"field", "reason"}]}."""
    return {"detail": detail, "errors": [{"field": f, "reason": r} for f, r in errors.items()]}


def invalid(errors: dict[str, str], message: str = "invalid scenario") -> JSONResponse:
    """422 naming each bad field and why."""
    return JSONResponse(error_body(message, errors), status_code=422)
