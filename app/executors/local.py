"""The embedded executor: a pool of warm worker processes, as many as `workers` (default: the CPU cores).

Each child is `python -m forgetlab.worker.embedded` (a spawn, never a fork: CUDA and torch stay out of
the web process, and no main module is re-imported). It imports torch, loads the base model
and says "ready" *before* any run exists, so a run starts in milliseconds. A child runs one run
at a time with its threads by worker/threads.py's rule (one per run when there is a worker per
core), so N runs on N cores never oversubscribe them. It then takes the next run warm, which is what lets a sweep keep every core busy: a fresh
process per run would spend seconds importing torch between runs. A child may take compatible queued
runs with the one it is sent and train them as a group (worker/jobs.py; docs/grouped-training.md), on the CPU
its share of them among the processes free when it is sent (the count goes with the run): it says which
("took"), and they leave this line. Cancelling a run that trains alone is still just kill, and a fresh
child replaces it; a group's member is stopped by its own job, and the group goes on. Parent and child talk over a socket pair wrapped as
multiprocessing Connections; the child's end closing is how the parent learns it died. One
monitor thread owns all process bookkeeping.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait

from forgetlab.core import checkpoints
from forgetlab.core.live import Status
from forgetlab.core.settings import Settings
from forgetlab.core.store import asks, runs

log = logging.getLogger(__name__)
SPARE_DELAY = 2.0  # seconds after a dispatch before a replacement spare starts warming
RUNS_PER_CHILD = 100  # then the child is replaced, so a slow leak in a library cannot grow without bound


@dataclass
class _Child:
    process: subprocess.Popen
    conn: Connection
    run_id: int | None = None  # the run it was sent
    group: list[int] = field(default_factory=list)  # every run it trains: the run sent, and those it took with it
    gathering: bool = False  # sent a run, not yet said which runs it took
    ask_id: int | None = None  # a question to a run's model it is answering (worker/asking.py)
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    runs: int = 0  # runs dispatched to it so far


class LocalExecutor:
    def __init__(self, settings: Settings, session_factory, publisher):
        self.settings, self.session_factory, self.publisher = settings, session_factory, publisher
        self.pending: deque[int] = deque()
        self.questions: deque[int] = deque()  # asks waiting for a warm child; short, so they go first
        self.children: list[_Child] = []
        self.lock = threading.Lock()
        self._wake_r, self._wake_w = _pipe()
        self._stopping = False
        self._failures, self._retry_at = 0, 0.0  # warm-up failures in a row, and when to try again
        self._last_dispatch = -SPARE_DELAY
        self.thread = threading.Thread(target=self._loop, name="forgetlab-executor", daemon=True)

    # --- called from the web app -------------------------------------------------------------
    def start(self) -> None:
        self._recover()
        self.thread.start()

    def stop(self) -> None:
        self._stopping = True
        self._wake()
        self.thread.join(timeout=5)
        for child in self.children:
            child.process.kill()
        for child in self.children:
            child.process.wait(timeout=5)
            child.conn.close()

    def submit(self, run_id: int, queue: str) -> None:
        """Idempotent: a run already waiting or running here is not added again (the outbox re-sends)."""
        with self.lock:
            if run_id in self.pending or any(run_id in c.group for c in self.children):
                return
            self.pending.append(run_id)
        self._wake()

    def position(self, run_id: int) -> int | None:
        """Where a run waits in this executor's own line (1: it starts next)."""
        with self.lock:
            return self.pending.index(run_id) + 1 if run_id in self.pending else None

    def backlog(self, queue: str) -> int | None:
        return None  # submit dedupes, so the outbox may re-send any queued run without harm

    def probe(self) -> dict:
        alive = self.thread.is_alive()
        return {"ok": alive, "kind": "local", **self.busy(),
                **({} if alive else {"detail": "the executor's monitor thread is not running"})}

    def submit_ask(self, ask_id: int, queue: str) -> None:
        """A question to a run's model: the next warm child that is free answers it between runs."""
        with self.lock:
            if ask_id not in self.questions:
                self.questions.append(ask_id)
        self._wake()

    def cancel(self, run_id: int) -> None:
        """Called after the DB was told; a queued run leaves the line, a running one ends now: a lone run's
        process is killed, a group's member leaves its group at its next step (its job sees the DB say so)
        while the other members go on."""
        with self.lock:
            waiting = run_id in self.pending
            if waiting:
                self.pending.remove(run_id)
            child = next((c for c in self.children if run_id in c.group), None)
        if child is not None or waiting:  # a run still in this line may be one a gathering child just claimed
            self._end(run_id, "cancelled", None)
        # A child still gathering may have claimed other runs with this one: only its job can stop this one alone.
        if child is not None and child.group == [run_id] and not child.gathering:
            child.process.kill()  # the monitor sees it exit and spawns a replacement
        self._wake()

    def busy(self) -> dict:
        with self.lock:
            return {"pending": len(self.pending), "running": sum(len(c.group) for c in self.children),
                    "warm": sum(c.ready and c.run_id is None for c in self.children)}

    # --- the monitor thread -------------------------------------------------------------------
    def _wake(self) -> None:
        with self.lock:
            self._wake_w.send(None)

    def _recover(self) -> None:
        """A restarted server: runs it left running go back in line (they resume from their last
        checkpoint) while attempts remain, else fail; runs left queued go back in line."""
        with self.session_factory() as session:
            requeued, failed = runs.requeue_interrupted(session, max_attempts=self.settings.max_attempts,
                                                        reason="the server stopped while this run was running")
            for run_id in requeued + failed:
                self.publisher.publish(run_id, Status.of(runs.get_run(session, run_id=run_id)))
            self.pending.extend(run.id for run in runs.runs_with_status(session, statuses=("queued",)))
            runs.mark_sent(session, run_ids=list(self.pending))

    def _spawn(self) -> None:
        parent, child = socket.socketpair()
        env = {**os.environ, "FORGETLAB_CHILD_SETTINGS": self.settings.model_dump_json(),
               "FORGETLAB_PARENT_PID": str(os.getpid())}  # the child dies with us (worker/parent_death.py)
        process = subprocess.Popen([sys.executable, "-m", "forgetlab.worker.embedded", str(child.fileno())],
                                   pass_fds=[child.fileno()], env=env, stdin=subprocess.DEVNULL)
        child.close()
        self.children.append(_Child(process, Connection(parent.detach())))

    def _loop(self) -> None:
        while not self._stopping:
            self._top_up()
            waitables = [self._wake_r] + [c.conn for c in self.children if not c.conn.closed]
            for ready in wait(waitables, timeout=0.5):
                while ready is self._wake_r and self._wake_r.poll():
                    self._wake_r.recv()
            for child in list(self.children):
                self._poll(child)
            self._dispatch()

    def _top_up(self) -> None:
        """Children for the running and queued runs (at least one) plus `warm_spares`, never more than
        `workers`: children are reused, so beyond `workers` a spare could never start a run anyway.
        At rest that is 1 + warm_spares, so the first two runs of a sweep start at once."""
        if time.monotonic() < self._retry_at:
            return
        with self.lock:
            busy = sum(c.run_id is not None for c in self.children)
            idle = len(self.children) - busy  # warming or ready
            want = min(max(self.settings.workers, 1), max(1, busy + len(self.pending)) + self.settings.warm_spares)
            need = want - len(self.children)
            waited_for = len(self.pending) - idle  # queued runs that no existing child will take
            warming_alone = not any(c.ready for c in self.children) and any(c.run_id is None for c in self.children)
        # The first child warms alone: several importing torch at once on a few cores all get ready later.
        # Spares follow once one is ready, or at once when queued runs wait for them.
        if need > 0 and waited_for <= 0 and warming_alone:
            return
        # A spare that no queued run waits for is held back while a run just started: its torch import
        # would take the CPU the run needs for its first curve points.
        if need > 0 and waited_for <= 0 and time.monotonic() < self._last_dispatch + SPARE_DELAY:
            return
        for _ in range(need):
            self._spawn()

    def _poll(self, child: _Child) -> None:
        try:
            while not child.conn.closed and child.conn.poll():
                message = child.conn.recv()
                child.ready |= message == "ready"
                if isinstance(message, tuple) and message[0] == "took":  # the runs it claimed: out of the line
                    with self.lock:
                        child.group, child.gathering = list(message[1]), False
                        for run_id in child.group:
                            if run_id in self.pending:
                                self.pending.remove(run_id)
                if message == "done":  # its run or question ended (the DB says how); it waits for the next one
                    with self.lock:
                        child.run_id = child.ask_id = None
                        child.group, child.gathering = [], False
                    if child.runs >= RUNS_PER_CHILD:
                        child.conn.close()  # it sees end-of-file and exits; _top_up starts a fresh one
        except (EOFError, OSError):  # the child's end closed: it exited or is exiting
            child.conn.close()
        # A group trains its members in turn, step by step: its limit is the run's limit times its members.
        limit = self.settings.run_time_limit * max(1, len(child.group))
        if child.run_id is not None and time.monotonic() - child.started > limit:
            for run_id in child.group:
                self._end(run_id, "failed", f"the run took longer than the limit of {self.settings.run_time_limit} s")
            child.process.kill()
        if not child.conn.closed:
            return
        try:
            child.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # closed its socket but lingers: it is of no use any more
            child.process.kill()
            child.process.wait()
        with self.lock:
            self.children.remove(child)
        if child.ask_id is not None:
            with self.session_factory() as session:
                asks.answer(session, ask_id=child.ask_id, error="the worker process exited while answering; ask again")
        if child.run_id is not None:
            code = child.process.returncode
            for run_id in child.group:
                self._retry(run_id, f"the worker process exited unexpectedly (exit code {code}); "
                                    "it may have run out of memory")
        elif child.run_id is None and not child.ready:
            # Back off, doubling up to a minute, so a broken install does not spin spawning processes.
            self._failures += 1
            self._retry_at = time.monotonic() + min(60.0, 2.0 ** self._failures)
            log.error("a warm worker process exited before it was ready (exit code %s); retrying in %.0f s",
                      child.process.returncode, self._retry_at - time.monotonic())
        elif child.ready:
            self._failures = 0

    def _dispatch(self) -> None:
        self._dispatch_questions()
        while True:
            with self.lock:
                running = sum(c.run_id is not None for c in self.children)
                idle = next((c for c in self.children if c.ready and c.run_id is None and c.ask_id is None), None)
                if not self.pending or idle is None or running >= self.settings.workers:
                    return
                # A child gathering a group takes compatible runs from this line: the next dispatch waits to see
                # which (at most group_wait_ms), so that no two children race for one sweep's runs.
                if self.settings.group_size > 1 and any(c.gathering for c in self.children):
                    return
                run_id = self.pending.popleft()
                free = self.settings.workers - running  # this child included: its group takes its share of the line
                idle.run_id, idle.started = run_id, time.monotonic()
                idle.group, idle.gathering = [run_id], True
                idle.runs += 1
                self._last_dispatch = idle.started
            try:
                idle.conn.send(("run", run_id, free))
            except OSError:
                with self.lock:
                    self.pending.appendleft(run_id)
                    idle.run_id = None
                    idle.group, idle.gathering = [], False

    def _dispatch_questions(self) -> None:
        """Questions take a free warm child before queued runs do: an answer takes a second, a run minutes."""
        while True:
            with self.lock:
                idle = next((c for c in self.children if c.ready and c.run_id is None and c.ask_id is None), None)
                if not self.questions or idle is None:
                    return
                ask_id = idle.ask_id = self.questions.popleft()
            try:
                idle.conn.send(("ask", ask_id))
            except OSError:
                with self.lock:
                    self.questions.appendleft(ask_id)
                    idle.ask_id = None
                return

    def _retry(self, run_id: int, reason: str) -> None:
        """A child died mid-run: the run goes back in line while attempts remain (and resumes from its
        last checkpoint), else it fails with the reason."""
        with self.session_factory() as session:
            status = runs.retry_or_fail(session, run_id=run_id, max_attempts=self.settings.max_attempts,
                                        reason=reason)
            if status is not None:
                self.publisher.publish(run_id, Status.of(runs.get_run(session, run_id=run_id)))
            if status == "queued":
                runs.mark_sent(session, run_ids=[run_id])
        if status == "queued":
            with self.lock:
                self.pending.appendleft(run_id)  # first in line: it was running already

    def _end(self, run_id: int, status: str, error: str | None) -> None:
        with self.session_factory() as session:
            if runs.finish(session, run_id=run_id, status=status, error=error):
                self.publisher.publish(run_id, Status.of(runs.get_run(session, run_id=run_id)))
                checkpoints.drop(self.settings.data_dir, run_id)  # killed, not resumed: its job cannot delete it


def _pipe() -> tuple[Connection, Connection]:
    """A wake-up channel for the monitor thread that `wait()` can watch next to the children."""
    r, w = socket.socketpair()
    return Connection(r.detach()), Connection(w.detach())
