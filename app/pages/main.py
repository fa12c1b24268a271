"""Every page router, included in one place (as api/main.py does for the API): app/main.py includes this."""

from fastapi import APIRouter

from . import (
    account,
    api_docs,
    asks,
    assignments,
    builder,
    classes,
    compare,
    invites,
    run,
    runs,
    suites,
    sweeps,
    upload,
)

pages_router = APIRouter()
pages_router.include_router(builder.router)
pages_router.include_router(upload.router)
pages_router.include_router(suites.router)
pages_router.include_router(runs.router)
pages_router.include_router(run.router)
pages_router.include_router(sweeps.router)
pages_router.include_router(compare.router)
pages_router.include_router(account.router)
pages_router.include_router(invites.router)
pages_router.include_router(asks.router)
pages_router.include_router(classes.router)
pages_router.include_router(assignments.router)
pages_router.include_router(api_docs.router)
