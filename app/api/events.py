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
from forgetlab.core.live import End, Message, Point, Resync, SamplesReady, Status
from forgetlab.app.services import hidden
from forgetlab.core.store import runs

router = APIRouter(prefix="/runs", tags=["runs"])
KEEPALIVE = 5.0  # seconds of silence before a comment line (and a DB catch-up)


def sse(event: str, data: dict, event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def frame(message: Message, shown=None) -> str:
    """One live message as an SSE event; a point's id is its step. `shown`: the run as its viewer sees it
    (app/services/hidden.py), whose points go without the scalars that read back hidden settings."""
    if isinstance(message, Point) and shown is not None:
        message = Point(message.step, hidden.point_values(shown, message.values), message.prev)
    return sse(message.kind, message.event_data(), message.step if isinstance(message, Point) else None)


def _read(sessions, run_id: int, after: int):
    with sessions() as session:
        run = runs.get_run(session, run_id=run_id)  # status read before points: see DbSource
        return Status.of(run), run.samples_step, runs.points_after(session, run_id=run_id, after=after)


class Replay:
    """The DB side of one stream: remembers the last step sent and reads what came after it."""

    def __init__(self, sessions, run_id: int, after: int, shown=None):
        self.sessions, self.run_id, self.last, self.shown = sessions, run_id, after, shown
        self.status: Status | None = None
        self.samples_step: int | None = None

    async def points(self):
        """Every stored point after the last one sent, in step order; then `status` is the run's (read first)."""
        self.status, self.samples_step, points = await asyncio.to_thread(_read, self.sessions, self.run_id, self.last)
        for step, values in points:
            yield frame(Point(step, values), self.shown)
            self.last = step


def _lookup(sessions, run_id: str, user):
    """The run as `user` may see it (a masked attempt's run without its hidden settings), or 404."""
    with sessions() as session:
        return hidden.shown_run(session, user, run_from_path(run_id, session, user))


async def stream(request: Request, run_id: int, after: int, shown=None):
    state = request.app.state
    sub = await state.hub.subscribe(run_id)  # before the replay, so nothing falls in between
    replay = Replay(state.sessions, run_id, after, shown)
    try:
        yield "retry: 1000\n\n"
        async for event in replay.points():
            yield event
        if replay.samples_step is not None:
            yield frame(SamplesReady(replay.samples_step))
        yield frame(replay.status)
        if replay.status.terminal:
            yield frame(End())
            return
        while True:
            message = await sub.get(timeout=KEEPALIVE)
            if message is None:
                # Quiet for a while: catch up from the DB in case a live message was lost (Redis blip).
                async for event in replay.points():
                    yield event
                if replay.status.terminal:
                    message = replay.status
                else:
                    yield ": keepalive\n\n"
                    continue
            if isinstance(message, Resync) or (isinstance(message, Point) and message.prev > replay.last):
                # The live channel failed, or skipped a point this viewer never got (a publish lost while
                # Redis was down): fill the gap from the DB, in step order, then carry on live.
                async for event in replay.points():
                    yield event
                if replay.status.terminal:  # its status message may have been lost too
                    yield frame(replay.status)
                    yield frame(End())
                    return
                continue
            if isinstance(message, Point):
                if message.step > replay.last:
                    yield frame(message, shown)
                    replay.last = message.step
            elif isinstance(message, SamplesReady):
                yield frame(message)
            elif isinstance(message, Status):
                if message.terminal:
                    # Whatever a dead worker committed but never published, then the end.
                    async for event in replay.points():
                        yield event
                    yield frame(replay.status)
                    yield frame(End())
                    return
                yield frame(message)
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
    shown = await asyncio.to_thread(_lookup, request.app.state.sessions, run_id, user)
    start = after if after is not None else -1
    if last_event_id is not None:  # a step (an id), or -1; anything else is ignored, as browsers expect
        text = last_event_id.strip()
        step = -1 if text == "-1" else parse_id(text)
        start = step if step is not None else start
    return StreamingResponse(stream(request, shown.id, start, shown), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
