"""What the app reads from a request the same way everywhere (JSON or page, htmx or not, an upload), and the
one JSON error body.

Imports nothing from app/, so every layer of it (errors, auth, api, pages, middleware) may use it
without an import circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from forgetlab.core import datasets
from forgetlab.core.errors import DomainError, Invalid
from forgetlab.core.tiers import all_tiers

# The whole request may be the file plus multipart framing and a name; anything larger is refused unread.
MAX_UPLOAD_BODY = datasets.MAX_BYTES + 64 * 1024


def wants_json(request: Request) -> bool:
    """The API and its schema answer JSON; every other path is a page (HTML, or a redirect to log in)."""
    return request.url.path.startswith("/api/") or request.url.path in ("/openapi.json",)


def public_base(request: Request) -> str:
    """The lab's address for links people are sent (a class's join link): the configured public URL
    (FORGETLAB_PUBLIC_URL), else the address this request came to, whose Host the TrustedHost check vouches for
    only when trusted hosts are set (create_app warns on a public lab while they are "*")."""
    configured = request.app.state.settings.public_url
    return configured.rstrip("/") + "/" if configured else str(request.base_url)


def is_htmx(request: Request) -> bool:
    """The request comes from htmx (a fragment is wanted, and a redirect is an HX-Redirect header)."""
    return request.headers.get("HX-Request") == "true"


def error_body(detail: str, errors: dict[str, str]) -> dict:
    """Every error the API sends: {"detail": message, "errors": [{"field", "reason"}]}."""
    return {"detail": detail, "errors": [{"field": f, "reason": r} for f, r in errors.items()]}


def invalid(errors: dict[str, str], message: str = "invalid scenario") -> JSONResponse:
    """422 naming each bad field and why."""
    return JSONResponse(error_body(message, errors), status_code=422)


async def read_upload(request: Request) -> tuple[bytes, str, str | None]:
    """The uploaded file (multipart field `file`), the dataset's name (field `name`, else the file's) and the
    tier it is for (field `tier`, optional: its vocabulary is then checked too).

    The size is checked before reading when the client declares it (Content-Length), and while
    reading either way, so an oversized upload is refused without being held in memory or on disk
    (TooLarge); Invalid names a missing file or a bad name."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BODY:
        raise datasets.TooLarge(int(declared))
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Invalid("send the dataset as a multipart/form-data upload, in the field `file`", "file")

    async def limited():
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > MAX_UPLOAD_BODY:
                raise datasets.TooLarge()
            yield chunk

    try:
        form = await MultiPartParser(request.headers, limited(), max_files=1, max_fields=8).parse()
    except MultiPartException as e:
        raise Invalid(f"the upload could not be read: {e.message}", "file") from None
    try:
        upload, name, tier = form.get("file"), form.get("name"), form.get("tier") or None
        if tier is not None and tier not in all_tiers():
            raise Invalid(f"unknown tier (allowed: {', '.join(all_tiers())})", "tier")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Invalid("choose a JSONL file to upload", "file")
        data = await upload.read()
        if not isinstance(name, str) or not name.strip():
            name = (upload.filename.rsplit("/", 1)[-1].removesuffix(".jsonl") or "dataset")[:200]
        elif len(name.strip()) > 200:
            raise Invalid("a dataset name is at most 200 characters", "name")
        return data, name.strip(), tier
    finally:
        await form.close()


# Reading a request's body is the one async step of a form or upload route. These dependencies do it on the
# event loop, so the routes themselves are plain `def`s whose database work runs in the threadpool: a slow
# write (SQLite waiting on a worker's lock) then stalls that request alone, never every page and stream.

async def posted_form(request: Request) -> FormData:
    """The posted form, parsed once (the CSRF guard reads the same cached parse)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(posted_form)]


@dataclass(frozen=True)
class PostedUpload:
    """An upload read by read_upload, or why it could not be (kept, not raised, so that each route answers the
    failure in its own way: a page beside the file input, a JSON 4xx)."""
    data: bytes = b""
    name: str = ""
    tier: str | None = None
    error: DomainError | None = None

    def read(self) -> tuple[bytes, str, str | None]:
        if self.error is not None:
            raise self.error
        return self.data, self.name, self.tier


async def posted_upload(request: Request) -> PostedUpload:
    try:
        return PostedUpload(*await read_upload(request))
    except DomainError as e:
        return PostedUpload(error=e)


UploadDep = Annotated[PostedUpload, Depends(posted_upload)]
