"""Where a queued run stands: its place in the executor's line (or, where the executor cannot tell, among the
queue's queued runs in the database) and the wait, from the queue's recent run times."""

from datetime import timedelta

from sqlalchemy import update

from forgetlab.app.executors.local import LocalExecutor
from forgetlab.app.services.queue import Standing, ordinal
from forgetlab.core.store.models import Run, utcnow

from .conftest import finish

TINY = {"task_examples": 50, "epochs": 1, "eval_every": 2}


def test_ordinals_and_words():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    assert Standing(4, 50).describe() == "4th in the queue, about 50 s"
    assert Standing(2, 600).describe() == "2nd in the queue, about 10 min"
    assert Standing(1, None).describe() == "1st in the queue"


def test_the_run_page_says_where_a_queued_run_stands(client, sessions):
    done = client.post("/api/runs", json=TINY).json()["id"]
    finish(sessions, done)
    with sessions() as session:  # it took 10 s: the queue's typical run time
        now = utcnow()
        session.execute(update(Run).where(Run.id == done).values(started_at=now - timedelta(seconds=10),
                                                                 finished_at=now))
        session.commit()
    waiting = [client.post("/api/runs", json=TINY).json()["id"] for _ in range(3)]
    page = client.get(f"/runs/{waiting[2]}").text
    assert '<span id="queue-standing" class="muted">3rd in the queue, about 30 s</span>' in page
    assert "every 5s" in page  # the header refreshes while it waits
    assert "queue-standing" not in client.get(f"/runs/{done}").text


def test_the_embedded_executor_knows_its_own_line(settings, sessions):
    executor = LocalExecutor(settings, sessions, publisher=None)
    for run_id in (7, 3, 9):
        executor.submit(run_id, "cpu")
    assert [executor.position(r) for r in (7, 3, 9, 4)] == [1, 2, 3, None]
    executor.cancel(3)
    assert executor.position(9) == 2
