from fastapi import APIRouter

from . import events, health, presets, runs

api_router = APIRouter(prefix="/api")
api_router.include_router(runs.router)
api_router.include_router(events.router)
api_router.include_router(presets.router)
api_router.include_router(health.router)
