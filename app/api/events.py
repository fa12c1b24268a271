"""Server-sent events of one run: every metric point once, in step order, then follow it live.

The event id is the step. A reconnecting browser sends Last-Event-ID; we subscribe to the
live channel first, replay every point after that id from the DB, then pass on live points
newer than the last one sent. So a point is never lost (it is in the replay or arrives live)
and never sent twice (anything at or below the last sent step is dropped). A point the live
channel lost (a publish while Redis was down, a reader that failed) is found in the DB: each live
point names the step stored before it (`prev`), and a failed reader says `resync`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from forgetlab.app.auth import CurrentUser
from forgetlab.app.deps import run_from_path
from forgetlab.core.ids import MAX_ID, parse_id
from forgetlab.core.live import status_message
from forgetlab.core.store import runs
from forgetlab.core.store.models import TERMINAL

router = APIRouter(prefix="/runs", tags=["runs"])
KEEPALIVE = 5.0  # seconds of silence before a comment line (and a DB catch-up)


def sse(event: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _replay(sessions, run_id: int, after: int):
    with sessions() as session:
        run = runs.get_run(session, run_id=run_id)  # status read before points: see DbSource
        return status_message(run), run.samples_step, runs.points_after(session, run_id=run_id, after=after)


def _lookup(sessions, run_id: str, user) -> int:
    with sessions() as session:
        return run_from_path(run_id, session, user).id


async def stream(request: Request, run_id: int, after: int):
    state = request.app.state
    sub = await state.hub.subscribe(run_id)  # before the replay, so nothing falls in between
    last = after
    try:
        yield "retry: 1000\n\n"
        status, samples_step, points = await asyncio.to_thread(_replay, state.sessions, run_id, last)
        for step, values in points:
            yield sse("point", {"step": step, "values": values}, step)
            last = step
        if samples_step is not None:
            yield sse("samples", {"step": samples_step})
        yield sse("status", status)
        if status["status"] in TERMINAL:
            yield sse("end", {})
            return
        while True:
            message = await sub.get(timeout=KEEPALIVE)
            if message is None:
                # Quiet for a while: catch up from the DB in case a live message was lost (Redis blip).
                status, _, points = await asyncio.to_thread(_replay, state.sessions, run_id, last)
                for step, values in points:
                    yield sse("point", {"step": step, "values": values}, step)
                    last = step
                if status["status"] in TERMINAL:
                    message = status
                else:
                    yield ": keepalive\n\n"
                    continue
            kind = message["kind"]
            if kind == "resync" or (kind == "point" and message.get("prev", -1) > last):
                # The live channel failed, or skipped a point this viewer never got (a publish lost while
                # Redis was down): fill the gap from the DB, in step order, then carry on live.
                status, _, points = await asyncio.to_thread(_replay, state.sessions, run_id, last)
                for step, values in points:
                    yield sse("point", {"step": step, "values": values}, step)
                    last = step
                if status["status"] in TERMINAL:  # its status message may have been lost too
                    yield sse("status", status)
                    yield sse("end", {})
                    return
                continue
            if kind == "point":
                if message["step"] > last:
                    yield sse("point", {"step": message["step"], "values": message["values"]}, message["step"])
                    last = message["step"]
            elif kind == "samples":
                yield sse("samples", {"step": message["step"]})
            elif kind == "status":
                if message["status"] in TERMINAL:
                    # Whatever a dead worker committed but never published, then the end.
                    status, _, points = await asyncio.to_thread(_replay, state.sessions, run_id, last)
                    for step, values in points:
                        yield sse("point", {"step": step, "values": values}, step)
                        last = step
                    yield sse("status", status)
                    yield sse("end", {})
                    return
                yield sse("status", message)
    finally:
        sub.close()


@router.get("/{run_id}/events", summary="Live metric points (SSE); the event id is the step",
            response_class=StreamingResponse, responses={404: {"description": "Unknown run id"}})
async def events(request: Request, run_id: str, user: CurrentUser,
                 last_event_id: Annotated[str | None, Header()] = None,
                 after: Annotated[int | None, Query(ge=-1, le=MAX_ID, description="Replay points after this step")]
                 = None):
    """Anyone who may see the run (as RunDep checks it)."""
    # Not RunDep: a request-scoped session would hold a DB connection for the whole stream.
    pk = await asyncio.to_thread(_lookup, request.app.state.sessions, run_id, user)
    start = after if after is not None else -1
    if last_event_id is not None:  # a step (an id), or -1; anything else is ignored, as browsers expect
        text = last_event_id.strip()
        step = -1 if text == "-1" else parse_id(text)
        start = step if step is not None else start
    return StreamingResponse(stream(request, pk, start), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
