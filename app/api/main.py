from fastapi import APIRouter

from . import (
    asks,
    assignments,
    bulk,
    classes,
    compare,
    datasets,
    events,
    external,
    gate,
    health,
    me,
    presets,
    runs,
    suites,
    sweeps,
    tiers,
)

api_router = APIRouter(prefix="/api")
api_router.include_router(bulk.router)  # before runs: /runs/cancel-queued is not a run id
api_router.include_router(runs.router)
api_router.include_router(events.router)
api_router.include_router(asks.router)
api_router.include_router(sweeps.router)
api_router.include_router(compare.router)
api_router.include_router(gate.router)
api_router.include_router(external.router)
api_router.include_router(presets.router)
api_router.include_router(tiers.router)
api_router.include_router(datasets.router)
api_router.include_router(suites.router)
api_router.include_router(health.router)
api_router.include_router(me.router)
api_router.include_router(classes.router)
api_router.include_router(assignments.router)
