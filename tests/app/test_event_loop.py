"""No route does its database work on the event loop.

A route written `async def` runs on the event loop, so a database call inside it (SQLite waiting for a
worker's write lock, a slow PostgreSQL query) stops every other request and every live stream until it
returns. Routes are plain `def`s, run in the threadpool; the one async step they need, reading a form or an
upload, is a dependency (FormDep, UploadDep in app/http.py). Only the event stream is async: it awaits new
points and reads the database in a thread (app/api/events.py).
"""

import asyncio
import inspect

from fastapi import routing
from fastapi.routing import APIRoute

from forgetlab.core.settings import Settings

ASYNC_ALLOWED = {"/api/runs/{run_id}/events"}
TOKEN = "t" * 32  # a double-submit CSRF token: the same value in the cookie and the form


def test_only_the_event_stream_is_an_async_route(tmp_path):
    from forgetlab.app.main import create_app

    app = create_app(Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None))
    found = {route.path for route in routing.iter_route_contexts(app.routes)
             if isinstance(route.original_route, APIRoute) and inspect.iscoroutinefunction(route.endpoint)}
    assert found == ASYNC_ALLOWED


def test_a_stalled_form_route_leaves_other_requests_running(tmp_path, monkeypatch):
    """A sweep submitted while the database is slow (a sleep inside the submission) does not hold up a page
    requested meanwhile: the submission runs in the threadpool, not on the event loop."""
    import time

    import httpx

    from forgetlab.app.main import create_app
    from forgetlab.app.pages import sweeps as sweep_pages
    from forgetlab.core.store.db import migrate

    settings = Settings(data_dir=tmp_path, workers=0, database_url=None, redis_url=None, rate_limit=0,
                        read_rate_limit=0)
    migrate(settings.sqlalchemy_url)
    app = create_app(settings)

    reached = []

    def slow_builder_context(*args, **kwargs):
        reached.append(True)
        time.sleep(1.5)
        raise RuntimeError("stop here")

    monkeypatch.setattr(sweep_pages, "builder_context", slow_builder_context)

    async def scenario():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=transport, base_url="http://lab",
                                         cookies={"forgetlab_csrf": TOKEN}) as client:
                started = time.perf_counter()
                slow = asyncio.create_task(client.post("/sweeps", data={"csrf_token": TOKEN}))
                await asyncio.sleep(0.2)  # the submission is now asleep in its route
                health = await client.get("/api/health")
                quick, overtaken = time.perf_counter() - started, not slow.done()
                posted = await slow
        return health.status_code, quick, overtaken, posted.status_code

    status, quick, overtaken, posted = asyncio.run(scenario())
    assert reached and posted == 500  # the form reached the (stalled, then failing) submission
    assert status == 200 and overtaken, f"/api/health answered only after the stalled form route ({quick:.2f} s)"
