"""The builder's "Use your own data" (POST /datasets): a JSONL upload that becomes the task data:<id>."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from forgetlab.app.auth import MemberUser
from forgetlab.app.deps import SessionDep
from forgetlab.app.http import UploadDep, is_htmx
from forgetlab.app.services import datasets as dataset_service
from forgetlab.core.datasets import TooLarge, where
from forgetlab.core.errors import DomainError

from .builder_state import builder_context
from .render import page

router = APIRouter(include_in_schema=False)


@router.post("/datasets")
def upload_dataset_form(request: Request, session: SessionDep, user: MemberUser, upload: UploadDep):
    """Students and instructors. htmx: the result (split sizes, or every bad line) goes beside the file input
    and the page's script picks the new task. Without JavaScript: back to the builder with the dataset as the
    task, or the builder with the errors. Nothing is stored unless all is valid."""
    # Only the builder's own htmx request (aimed at the result's element) gets the fragment; any other request
    # gets the whole builder, whose context the fragment alone does not have.
    fragment = is_htmx(request) and request.headers.get("HX-Target") == "dataset-result"
    try:
        data, name, tier = upload.read()
        row, created = dataset_service.upload(session, data=data, name=name, owner=user, tier=tier)
    except DomainError as e:  # TooLarge, DatasetError (per line), Invalid (no file, a bad name)
        upload = {"error": e.message, "lines": [(where(err), err["reason"]) for err in getattr(e, "errors", [])]}
        status = 413 if isinstance(e, TooLarge) else 422
        if fragment:
            return page(request, "builder.html", {"upload": upload}, blocks=("dataset_result",), status_code=status)
        context = builder_context(request, [], session)
        return page(request, "builder.html", {**context, "upload": upload}, status_code=status)
    view = dataset_service.view(row)
    if not fragment:
        return RedirectResponse("/?" + urlencode({"task": view["task"]}), status_code=303)
    return page(request, "builder.html", {"upload": {"dataset": view, "created": created}},
                blocks=("dataset_result",))
