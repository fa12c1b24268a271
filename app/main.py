"""The FastAPI application: `create_app()` wires settings, DB, executor, live hub and routes.

Lifespan owns the long-lived pieces: the executor (local warm processes, or a Celery producer),
the live hub that feeds SSE, and the reaper that fails or retries runs whose worker went silent.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from forgetlab.app.executors import make_executor
from forgetlab.core import artifacts, checkpoints
from forgetlab.core.live import Hub, Status, get_publisher
from forgetlab.core.settings import Settings, get_settings
from forgetlab.core.store import runs
from forgetlab.core.store.db import session_factory

from . import auth
from .api.main import api_router
from .errors import CatchErrors, install_error_handlers
from .middleware.limits import BodyLimit, RateLimit
from .middleware.security import SecurityHeaders
from .middleware.throttles import Throttles
from .openapi import install_openapi
from .pages import STATIC_DIR
from .pages.main import pages_router
from .services import outbox

log = logging.getLogger(__name__)


def reap_once(app: FastAPI) -> None:
    """Fail or requeue runs whose heartbeat went stale; requeued ones are sent to the executor again."""
    state = app.state
    with state.sessions() as session:
        requeued, failed = runs.reap_stale(session, timeout=state.settings.heartbeat_timeout,
                                           max_attempts=state.settings.max_attempts)
        for run_id in requeued + failed:
            run = runs.get_run(session, run_id=run_id)
            state.publisher.publish(run_id, Status.of(run))
        for run_id in failed:  # out of attempts: the checkpoint will never be resumed
            checkpoints.drop(state.settings.data_dir, run_id)
        outbox.send(state, session, [runs.get_run(session, run_id=run_id) for run_id in requeued])


async def _reaper(app: FastAPI) -> None:
    while True:
        await asyncio.sleep(app.state.settings.reap_seconds)
        try:
            await asyncio.to_thread(reap_once, app)
        except Exception as e:  # the DB may be restarting; the next round tries again
            log.warning("reaper: %s", e)


def sweep_checkpoints(app: FastAPI) -> list[int]:
    """Remove checkpoint files left of runs that ended (core/checkpoints.py), and saved models of runs that no
    longer exist (core/artifacts.py): the backstop for every way a run can end or go without its files going
    with it. Returns those runs' ids."""
    with app.state.sessions() as session:
        return sorted(set(checkpoints.sweep(session, app.state.settings.data_dir))
                      | set(artifacts.sweep(session, app.state.settings)))


async def _reconciler(app: FastAPI) -> None:
    """The outbox's sender (app/services/outbox.py): queued runs whose message was never sent, or was lost; and the
    checkpoint files of runs that ended."""
    while True:
        try:
            await asyncio.to_thread(outbox.reconcile_once, app.state)
            await asyncio.to_thread(sweep_checkpoints, app)
        except Exception as e:  # the DB may be restarting; the next round tries again
            log.warning("outbox: %s", e)
        await asyncio.sleep(app.state.settings.outbox_seconds)


@asynccontextmanager
async def lifespan(app: FastAPI):
    state = app.state
    state.executor.start()
    reaper = asyncio.create_task(_reaper(app))
    reconciler = asyncio.create_task(_reconciler(app))
    try:
        yield
    finally:
        reaper.cancel()
        reconciler.cancel()
        await state.hub.close()
        await asyncio.to_thread(state.executor.stop)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="forgetlab", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Fine-tune a tiny transformer on purpose and watch it forget.",
                  dependencies=[Depends(auth.csrf_guard)])  # every route: forged state changes get 403
    app.state.settings = settings
    app.state.sessions = session_factory(settings.sqlalchemy_url)
    app.state.publisher = get_publisher(settings)
    app.state.hub = Hub(settings, app.state.sessions)
    app.state.executor = make_executor(settings, app.state.sessions, app.state.publisher)
    app.state.throttles = Throttles.from_settings(settings)  # log-in, sign-up and per-address run brakes
    install_error_handlers(app)
    auth.install(app)
    app.include_router(api_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_openapi(app)
    install_middleware(app, settings)
    warn_open_hosts(settings)
    return app


def warn_open_hosts(settings: Settings) -> str | None:
    """A public lab answering any Host header: links built from a request's Host could point anywhere. Logged at
    start (returned for the tests); set FORGETLAB_TRUSTED_HOSTS, and FORGETLAB_PUBLIC_URL for join links."""
    if not settings.login_required or settings.trusted_hosts != ["*"]:
        return None
    message = ("public lab with trusted hosts '*': any Host header is answered; set FORGETLAB_TRUSTED_HOSTS to the "
               "lab's host names" + ("" if settings.public_url else ", and FORGETLAB_PUBLIC_URL for join links"))
    log.warning(message)
    return message


def install_middleware(app: FastAPI, settings: Settings) -> None:
    """Outermost first: errors become clean 500s, then headers, Host check, rate and body limits."""
    app.add_middleware(BodyLimit, settings=settings)  # added first: innermost of these
    app.add_middleware(RateLimit, settings=settings, sessions=app.state.sessions)  # per user, else per address
    if settings.trusted_hosts != ["*"]:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(CatchErrors)
