"""The FastAPI application: `create_app()` wires settings, DB, executor, live hub and routes.

Lifespan owns the long-lived pieces: the executor (local warm processes, or a Celery producer),
the live hub that feeds SSE, and the reaper that fails or retries runs whose worker went silent.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.executors import make_executor
from core.live import Hub, get_publisher, status_message
from core.settings import Settings, get_settings
from core.store import runs
from core.store.db import session_factory

from .api.errors import install_error_handlers
from .api.main import api_router
from .pages import STATIC_DIR
from .pages.compare import router as compare_router
from .pages.routes import router as pages_router
from .pages.sweeps import router as sweeps_router

log = logging.getLogger(__name__)


def reap_once(app: FastAPI) -> None:
    """Fail or requeue runs whose heartbeat went stale; requeued ones are sent to the executor again."""
    state = app.state
    with state.sessions() as session:
        requeued, failed = runs.reap_stale(session, timeout=state.settings.heartbeat_timeout,
                                           max_attempts=state.settings.max_attempts)
        for run_id in requeued + failed:
            run = runs.get_run(session, run_id=run_id)
            state.publisher.publish(run_id, status_message(run))
            if run_id in requeued:
                state.executor.submit(run_id, run.queue)


async def _reaper(app: FastAPI) -> None:
    while True:
        await asyncio.sleep(app.state.settings.reap_seconds)
        try:
            await asyncio.to_thread(reap_once, app)
        except Exception as e:  # the DB may be restarting; the next round tries again
            log.warning("reaper: %s", e)


@asynccontextmanager
async def lifespan(app: FastAPI):
    state = app.state
    state.executor.start()
    reaper = asyncio.create_task(_reaper(app))
    try:
        yield
    finally:
        reaper.cancel()
        await state.hub.close()
        await asyncio.to_thread(state.executor.stop)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="forgetlab", version="0.1.0", lifespan=lifespan,
                  description="Fine-tune a tiny transformer on purpose and watch it forget.")
    app.state.settings = settings
    app.state.sessions = session_factory(settings.sqlalchemy_url)
    app.state.publisher = get_publisher(settings)
    app.state.hub = Hub(settings, app.state.sessions)
    app.state.executor = make_executor(settings, app.state.sessions, app.state.publisher)
    install_error_handlers(app)
    app.include_router(api_router)
    app.include_router(pages_router)
    app.include_router(sweeps_router)
    app.include_router(compare_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
