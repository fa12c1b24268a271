"""The run outbox: a run's row commits first, then its message goes to the executor; nothing is ever stuck.

A run is created `queued` with `sent_at` empty. The request that created it sends it right away and
marks it sent; if the broker is down the send fails quietly, the request still answers 201 and the
run stays queued, unsent. The reconciler (a task of the web app's lifespan) then sends every unsent
run, and sends again a run that was sent long ago but never claimed while its broker queue is empty
(its message was lost: a Redis without persistence restarted). Sending twice is harmless: a worker
claims a run with one guarded UPDATE (`queued -> running`), so a second message finds it taken and
is skipped, and a run never trains twice at once.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from forgetlab.core.store import runs
from forgetlab.core.store.models import Run

log = logging.getLogger(__name__)
SETTLE_SECONDS = 5.0  # a row younger than this is still being sent by the request that made it


def send(state, session: Session, queued: list[Run]) -> int:
    """Send each run's message to the executor and mark the ones it took; returns how many it took.

    Stops at the first failure (the broker is down: the rest would fail the same way, each after a
    timeout); the reconciler sends what is left."""
    sent: list[int] = []
    try:
        for run in queued:
            state.executor.submit(run.id, run.queue)
            sent.append(run.id)
    except Exception as e:  # kombu's OperationalError, a socket error, a timeout...
        log.warning("broker unavailable, %d run(s) wait in the outbox: %s", len(queued) - len(sent), e)
    runs.mark_sent(session, run_ids=sent)
    return len(sent)


def reconcile_once(state) -> dict:
    """One round: send what was never sent, and re-send what seems lost. Returns counts, for logs and tests."""
    settings = state.settings
    with state.sessions() as session:
        unsent, stale = runs.to_send(session, settle=SETTLE_SECONDS, stale=settings.outbox_stale_seconds)
        backlogs: dict[str, int | None] = {}
        lost = []
        for run in stale:
            if run.queue not in backlogs:
                try:
                    backlogs[run.queue] = state.executor.backlog(run.queue)
                except Exception as e:  # the broker is down: nothing can be judged lost, or sent, now
                    log.warning("outbox: cannot read the %s queue: %s", run.queue, e)
                    backlogs[run.queue] = 1
            # A message still waiting in its queue is not lost; an empty queue (or an executor that
            # cannot tell, and dedupes) means this run's message is gone.
            if not backlogs[run.queue]:
                lost.append(run)
        sent = send(state, session, unsent + lost)
    if unsent or lost:
        log.info("outbox: %d unsent and %d lost run message(s), %d sent", len(unsent), len(lost), sent)
    return {"unsent": len(unsent), "lost": len(lost), "sent": sent}
