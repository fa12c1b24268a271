"""Where a queued run stands: its place in the executor's line (or, where the executor cannot tell, among the
queue's queued runs in the database) and the wait, from the queue's recent run times."""

from datetime import timedelta

from sqlalchemy import update

from forgetlab.app.executors.local import LocalExecutor
from forgetlab.app.services.queue import Standing, ends, ordinal
from forgetlab.app.services.queue import groups as queue_groups
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


def test_the_wait_counts_runs_that_will_train_as_one_group(client, sessions, monkeypatch):
    """The stated model (app/services/queue.py): compatible queued runs form groups in queue order, a group of n
    takes max(1, n / GROUPED_THROUGHPUT) times one run's typical time, and a run timed in a group counts at its
    time over that slowdown."""
    from forgetlab.app.services import queue

    monkeypatch.setattr(queue, "GROUPED_THROUGHPUT", 2.0)  # a group of 3: 1.5 runs' time; of 4: 2
    lora = {**TINY, "method": "lora"}
    done = client.post("/api/runs", json=lora).json()["id"]
    finish(sessions, done)
    with sessions() as session:  # it trained in a group of 4 for 20 s: 10 s a run alone
        now = utcnow()
        session.execute(update(Run).where(Run.id == done).values(
            started_at=now - timedelta(seconds=20), finished_at=now, info={"group": [done, 91, 92, 93]}))
        session.commit()
    first, full, second, third = [client.post("/api/runs", json=c).json()["id"] for c in (lora, TINY, lora, lora)]
    # One worker: the three LoRA runs train as one group first (15 s), the full fine-tuning after it alone (10 s).
    assert '4th in the queue, about 15 s' in client.get(f"/runs/{third}").text
    assert '2nd in the queue, about 25 s' in client.get(f"/runs/{full}").text


def test_groups_follow_the_workers_order_and_size():
    key = ("synthetic", 0, "cpu")
    queued = [(1, key), (2, None), (3, key), (4, ("synthetic", 1, "cpu")), (5, key), (6, key)]
    assert queue_groups(queued, 8) == [[1, 3, 5, 6], [2], [4]]
    assert queue_groups(queued, 2) == [[1, 3], [2], [4], [5, 6]]
    assert queue_groups(queued, 1) == [[1], [2], [3], [4], [5], [6]]
    # Two workers on the CPU: the first group takes its share while the other worker is free, then one at a time.
    assert queue_groups(queued, 8, 2) == [[1, 3], [2], [4], [5, 6]]
    on_gpu = [(run_id, key and key[:2] + ("cuda",)) for run_id, key in queued]
    assert queue_groups(on_gpu, 8, 2) == [[1, 3, 5, 6], [2], [4]]
    # Two workers, each taking the next job when free: without groups, the position over the workers, rounded up.
    assert ends([10.0] * 5, 2) == [10.0, 10.0, 20.0, 20.0, 30.0]
    assert ends([30.0, 10.0, 10.0, 10.0], 2) == [30.0, 10.0, 20.0, 30.0]
