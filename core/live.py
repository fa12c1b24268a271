"""The live channel: how a new metric point, sample set or status gets from a worker to SSE viewers.

Distributed: workers XADD each message to a Redis Stream per run (after the DB commit).
Embedded: nothing is published; the web process polls the DB, which the local workers write.
Either way one reader task per run and web process fans messages out to every viewer of
that run, so 100 viewers cost one XREAD or one poll, not a hundred.

Messages are typed (`Point`, `SamplesReady`, `Status`, `Resync`; `End` closes an SSE stream) and each
has one `to_json()`, the dict that travels: {"kind": "point", "step", "values", "prev"} |
{"kind": "samples", "step"} | {"kind": "status", "status", "step", "total_steps", "error"} | {"kind": "resync"}
(the reader failed: what was published meanwhile may be lost, so read the DB). `message_from_json` reads one back.
`prev` is the step stored before this point; a viewer whose last step is older missed one and reads the DB.
A reader records its position (stream id or last step) before `subscribe()` returns; a viewer
replays the DB only after subscribing, so every point is in the replay, the live feed or both
(duplicates are dropped by step in the SSE endpoint).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .settings import Settings
from .store.models import TERMINAL, Run

log = logging.getLogger(__name__)
STREAM_MAXLEN = 20_000  # far above one run's points (MAX_STEPS / eval_every, plus samples)
STREAM_TTL = 24 * 3600  # a finished run's stream is only a cache of DB rows


def stream_key(prefix: str, run_id: int) -> str:
    return f"{prefix}:run:{run_id}"


@dataclass(frozen=True)
class Message:
    kind: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)}}

    def event_data(self) -> dict[str, Any]:
        """The data of its SSE event (whose name is `kind`): what the browser reads; `prev` is the server's."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "prev"}


@dataclass(frozen=True)
class Point(Message):
    """A metric point the store holds; `prev` is the step stored before it (-1: none, or not known)."""

    kind: ClassVar[str] = "point"
    step: int
    values: dict[str, Any]
    prev: int = -1


@dataclass(frozen=True)
class SamplesReady(Message):
    """A new set of samples is in the store (the browser fetches it)."""

    kind: ClassVar[str] = "samples"
    step: int


@dataclass(frozen=True)
class Status(Message):
    kind: ClassVar[str] = "status"
    status: str
    step: int | None
    total_steps: int | None
    error: str | None

    @classmethod
    def of(cls, run: Run) -> Status:
        return cls(status=run.status, step=run.step, total_steps=run.total_steps, error=run.error)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def event_data(self) -> dict[str, Any]:
        return self.to_json()  # the status event has always carried its kind


@dataclass(frozen=True)
class Resync(Message):
    """The reader failed: what was published meanwhile may be lost, so read the DB."""

    kind: ClassVar[str] = "resync"


@dataclass(frozen=True)
class End(Message):
    """The last SSE event of a stream (never published: a terminal status ends the stream)."""

    kind: ClassVar[str] = "end"


KINDS: dict[str, type[Message]] = {cls.kind: cls for cls in (Point, SamplesReady, Status, Resync)}


def message_from_json(data: dict[str, Any]) -> Message | None:
    """A published message read back (None for a kind this version does not know)."""
    cls = KINDS.get(data.get("kind"))
    if cls is None:
        return None
    return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


def status_message(run: Run) -> dict:
    """The status of `run` as it travels (`Status.of(run).to_json()`)."""
    return Status.of(run).to_json()


def _typed(message: Message) -> Message:
    """A message, or a TypeError now: a plain dict would travel, or vanish, without anyone noticing."""
    if not isinstance(message, Message):
        raise TypeError(f"publish a core.live message (Point, SamplesReady, Status), not {type(message).__name__}")
    return message


class NullPublisher:
    """Embedded mode: the DB is the live channel."""

    def publish(self, run_id: int, message: Message) -> None:
        _typed(message)


class RedisPublisher:
    def __init__(self, url: str, prefix: str):
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def publish(self, run_id: int, message: Message) -> None:
        key, data = stream_key(self.prefix, run_id), json.dumps(_typed(message).to_json())
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.xadd(key, {"m": data}, maxlen=STREAM_MAXLEN, approximate=True)
            if isinstance(message, Status) and message.terminal:
                pipe.expire(key, STREAM_TTL)
            pipe.execute()
        except Exception as e:  # the DB already has it; viewers catch up from there
            log.warning("live publish for run %s failed: %s", run_id, e)


def get_publisher(settings: Settings) -> NullPublisher | RedisPublisher:
    return RedisPublisher(settings.redis_url, settings.redis_prefix) if settings.distributed else NullPublisher()


class Subscription:
    def __init__(self, hub: Hub, run_id: int):
        self.hub, self.run_id = hub, run_id
        self.queue: asyncio.Queue[Message] = asyncio.Queue()

    async def get(self, timeout: float) -> Message | None:
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        self.hub._unsubscribe(self)


class _Reader:
    """One per (web process, run) while anyone watches: reads the source and fans out."""

    def __init__(self, source, run_id: int):
        self.source, self.run_id = source, run_id
        self.subscribers: set[Subscription] = set()
        self.task: asyncio.Task | None = None

    async def loop(self) -> None:
        while True:
            try:
                messages = await self.source.read()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a DB or Redis hiccup must not end every viewer's stream
                log.warning("live reader for run %s: %s", self.run_id, e)
                # Whatever was published meanwhile may never arrive: each viewer re-reads the DB.
                for sub in list(self.subscribers):
                    sub.queue.put_nowait(Resync())
                await asyncio.sleep(0.5)
                continue
            for message in messages:
                for sub in list(self.subscribers):
                    sub.queue.put_nowait(message)


class DbSource:
    """Embedded: poll the run row, then the points after the last step seen (row first, so a
    terminal status is only seen once every point before it is readable)."""

    def __init__(self, run_id: int, session_factory: Callable, interval: float):
        self.run_id, self.session_factory, self.interval = run_id, session_factory, interval
        self.last_step, self.status, self.samples_step, self.step = -1, None, None, None

    def _snapshot(self, first: bool):
        from .store import runs

        with self.session_factory() as session:
            run = runs.get_run(session, run_id=self.run_id)
            if run is None:
                return None, []
            points = [] if first else runs.points_after(session, run_id=self.run_id, after=self.last_step)
            if first:
                self.last_step = runs.max_step(session, run_id=self.run_id)
            session.expunge(run)
            return run, points

    async def start(self) -> None:
        run, _ = await asyncio.to_thread(self._snapshot, True)
        if run is not None:
            self.status, self.samples_step, self.step = run.status, run.samples_step, run.step

    async def read(self) -> list[Message]:
        await asyncio.sleep(self.interval)
        run, points = await asyncio.to_thread(self._snapshot, False)
        if run is None:
            return []
        out: list[Message] = [Point(step, values) for step, values in points]
        if points:
            self.last_step = points[-1][0]
        if run.samples_step != self.samples_step:
            self.samples_step = run.samples_step
            out.append(SamplesReady(run.samples_step))
        if run.status != self.status:
            self.status = run.status
            out.append(Status.of(run))
        return out


class RedisSource:
    def __init__(self, run_id: int, client, prefix: str):
        self.key, self.client, self.last_id = stream_key(prefix, run_id), client, "0-0"

    async def start(self) -> None:
        newest = await self.client.xrevrange(self.key, count=1)
        self.last_id = newest[0][0] if newest else "0-0"

    async def read(self) -> list[Message]:
        reply = await self.client.xread({self.key: self.last_id}, block=1000, count=500)
        out = []
        for _key, entries in reply or []:
            for entry_id, fields in entries:
                self.last_id = entry_id
                message = message_from_json(json.loads(fields[b"m"] if b"m" in fields else fields["m"]))
                if message is not None:
                    out.append(message)
        return out


class Hub:
    def __init__(self, settings: Settings, session_factory: Callable):
        self.settings, self.session_factory = settings, session_factory
        self.readers: dict[int, _Reader] = {}
        self._redis = None

    def _source(self, run_id: int):
        if self.settings.distributed:
            if self._redis is None:
                import redis.asyncio

                self._redis = redis.asyncio.Redis.from_url(self.settings.redis_url)
            return RedisSource(run_id, self._redis, self.settings.redis_prefix)
        return DbSource(run_id, self.session_factory, self.settings.live_poll_seconds)

    async def subscribe(self, run_id: int) -> Subscription:
        reader = self.readers.get(run_id)
        if reader is None:
            reader = _Reader(self._source(run_id), run_id)
            self.readers[run_id] = reader
            try:
                await reader.source.start()  # position recorded before the caller replays the DB
            except BaseException:
                del self.readers[run_id]
                raise
            reader.task = asyncio.create_task(reader.loop())
        elif reader.task is None:  # another viewer is still starting this reader
            while reader.task is None and self.readers.get(run_id) is reader:
                await asyncio.sleep(0.005)
            if reader.task is None:
                return await self.subscribe(run_id)
        sub = Subscription(self, run_id)
        reader.subscribers.add(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        reader = self.readers.get(sub.run_id)
        if reader is None:
            return
        reader.subscribers.discard(sub)
        if not reader.subscribers and reader.task is not None:
            reader.task.cancel()
            del self.readers[sub.run_id]

    async def close(self) -> None:
        for reader in list(self.readers.values()):
            if reader.task:
                reader.task.cancel()
        self.readers.clear()
        if self._redis is not None:
            await self._redis.aclose()
