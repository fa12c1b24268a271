"""Datasets: upload your own fine-tuning data (JSONL of prompt/response pairs), list them, read one.

Students and instructors upload; a dataset is private to its uploader, who (with the instructors who see
their runs: core/store/access.py) lists and reads it, and someone else's id answers as an unknown one. Two
people who upload the same pairs each get their own dataset with the same id (the pairs are stored once).
A run trains on one by naming its task, `data:<id>`, in POST /api/runs or a sweep.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from forgetlab.app.auth import CurrentUser, MemberUser
from forgetlab.app.deps import DatasetDep, SessionDep
from forgetlab.app.http import UploadDep, error_body, invalid
from forgetlab.app.services import datasets as dataset_service
from forgetlab.core import datasets
from forgetlab.core.store import access
from forgetlab.core.store.datasets import list_datasets

from .schemas import DatasetCreated, DatasetOut, DatasetSummary

router = APIRouter(prefix="/datasets", tags=["datasets"])
ERRORS = {413: {"description": f"The file is over {datasets.MAX_BYTES // (1024 * 1024)} MB"},
          422: {"description": "Invalid content: each bad line with its field and the reason (the first "
                               f"{datasets.MAX_LISTED}); nothing is stored"},
          404: {"description": "Unknown dataset id"}}
UPLOAD = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": 'JSONL, one {"prompt": ..., "response": ...} per line: '
                                f"{datasets.MIN_PAIRS} to {datasets.MAX_LINES} pairs, prompts at most "
                                f"{datasets.MAX_PROMPT} characters and unique, responses at most "
                                f"{datasets.MAX_RESPONSE}"},
        "name": {"type": "string", "maxLength": 200, "description": "A name for people (default: the file's)"},
        "tier": {"type": "string", "description": "The tier the data is for: a word-level tier (synthetic) then "
                                                  "names each line with words outside its vocabulary"}}}}}}}


def rejected(e: datasets.DatasetError | datasets.TooLarge, where=datasets.where) -> JSONResponse:
    """413 for a file over the size limit; 422 naming each bad line and field otherwise (`where` words an
    error's place: a suite's file-wide errors name their field)."""
    if isinstance(e, datasets.TooLarge):
        return JSONResponse(error_body(e.message, {"file": e.message}), status_code=413)
    return invalid({where(err): err["reason"] for err in e.errors}, e.message)


@router.post("", status_code=201, response_model=DatasetCreated, responses=ERRORS, openapi_extra=UPLOAD,
             summary="Upload a JSONL dataset (200 with the same answer if you stored these pairs already)")
def create_dataset(response: Response, session: SessionDep, user: MemberUser, upload: UploadDep):
    """Students and instructors."""
    try:
        data, name, tier = upload.read()  # TooLarge; Invalid (no file, a bad name): 422 naming it
        row, created = dataset_service.upload(session, data=data, name=name, owner=user, tier=tier)
    except (datasets.DatasetError, datasets.TooLarge) as e:
        return rejected(e)
    if not created:
        response.status_code = 200
    return dataset_service.view(row)


@router.get("", response_model=list[DatasetSummary], summary="Datasets, newest first (without their pairs)")
def list_all(session: SessionDep, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 50):
    """Anyone signed in: their own datasets (and those of the students they teach)."""
    rows = list_datasets(session, limit=limit, where=access.dataset_filter(user))
    return [dataset_service.summary(row) for row in rows]


@router.get("/{dataset_id}", response_model=DatasetOut, responses=ERRORS,
            summary="One dataset: its split sizes and the first pairs of each split")
def get_one(dataset: DatasetDep):
    """Its owner, and instructors (DatasetDep)."""
    return dataset_service.view(dataset, preview=5)
