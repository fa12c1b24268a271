"""The embedded pool's size and reuse, with stand-in processes: as many workers as asked, never more,
spares only when nothing waits, and a child that finished a run takes the next one warm."""

import time

import pytest

from forgetlab.app.executors.local import (
    RUNS_PER_CHILD,
    SPARE_DELAY,
    LocalExecutor,
    _Child,
    _pipe,
)
from forgetlab.core.settings import Settings, usable_cores


class FakeProcess:
    returncode = 0

    def wait(self, timeout=None):
        return 0

    def kill(self):
        pass


@pytest.fixture
def pool(tmp_path):
    def make(workers: int, spares: int = 1) -> LocalExecutor:
        ex = LocalExecutor(Settings(data_dir=tmp_path, workers=workers, warm_spares=spares), None, None)
        ex._spawn = lambda: ex.children.append(_Child(FakeProcess(), None, ready=True))
        return ex
    return make


def test_workers_default_to_the_usable_cores():
    assert Settings().workers == usable_cores() >= 1


def test_a_sweep_gets_a_child_per_worker_at_once_and_never_more(pool):
    ex = pool(workers=3)
    ex._top_up()
    assert len(ex.children) == 2  # at rest: one for the next run, and one spare
    ex.pending.extend(range(1, 13))
    ex._last_dispatch = time.monotonic()  # no holding back: twelve runs are waiting for it
    ex._top_up()
    assert len(ex.children) == 3
    for run_id, child in enumerate(ex.children, 1):
        child.run_id = run_id
    ex._top_up()
    assert len(ex.children) == 3  # all busy, nine waiting: a fourth process would oversubscribe the cores


def test_a_spare_for_later_waits_until_a_fresh_run_has_its_first_points(pool):
    ex = pool(workers=3, spares=0)
    ex._top_up()
    assert len(ex.children) == 1
    ex.settings.warm_spares = 1
    ex.children[0].run_id = 1
    ex._last_dispatch = time.monotonic()
    ex._top_up()
    assert len(ex.children) == 1
    ex._last_dispatch -= SPARE_DELAY
    ex._top_up()
    assert len(ex.children) == 2


def test_one_worker_means_one_process(pool):
    ex = pool(workers=1, spares=2)
    ex.pending.extend([1, 2, 3])
    ex._top_up()
    assert len(ex.children) == 1


def test_a_child_takes_the_next_run_warm_until_it_retires(pool):
    ex = pool(workers=1)
    parent, child_end = _pipe()
    child = _Child(FakeProcess(), parent, ready=True, run_id=7, runs=1)
    ex.children.append(child)
    child_end.send("done")
    ex._poll(child)
    assert child.run_id is None and child in ex.children and not parent.closed  # idle and warm, not replaced
    ex.pending.append(8)
    ex._dispatch()
    assert child.run_id == 8 and child_end.recv() == ("run", 8, 1) and child.runs == 2
    child.runs = RUNS_PER_CHILD
    child_end.send("done")
    ex._poll(child)
    assert child not in ex.children  # retired after its last run; _top_up starts a fresh one


def test_a_child_that_took_a_group_holds_its_runs_and_a_member_cancel_kills_no_one(pool):
    """A child says which runs it took (worker/jobs.py gathers compatible queued runs): they leave the line, no
    other child is sent a run while it gathers, and cancelling one member does not kill the group's process."""
    ex = pool(workers=2)
    ex._end = lambda run_id, status, error: ended.append((run_id, status))
    ended = []
    killed = []
    ex._top_up()
    first, second = ex.children
    first.conn, first_end = _pipe()
    second.conn, second_end = _pipe()
    first.process.kill = lambda: killed.append(first)
    ex.pending.extend([1, 2, 3, 4])
    ex._dispatch()
    assert first.run_id == 1 and first.gathering and second.run_id is None  # the second waits to see what it took
    assert first_end.recv() == ("run", 1, 2)  # both processes free: its share is half the line
    ex.cancel(1)  # while it gathers, it may hold other runs too: its job stops this one, the process lives
    assert killed == [] and ended == [(1, "cancelled")]
    ended.clear()
    first_end.send(("took", [1, 2, 3]))
    ex._poll(first)
    assert first.group == [1, 2, 3] and list(ex.pending) == [4] and ex.position(4) == 1
    assert ex.busy()["running"] == 3
    ex.submit(2, "cpu")
    assert list(ex.pending) == [4]  # a member re-sent by the outbox is not queued again
    ex._dispatch()
    assert second.run_id == 4 and second_end.recv() == ("run", 4, 1)  # the first is busy
    ex.cancel(2)
    assert ended == [(2, "cancelled")] and killed == []  # its job stops it; the others go on
    first_end.send("done")
    ex._poll(first)
    assert first.group == [] and first.run_id is None


def test_grouping_off_dispatches_without_waiting(pool):
    ex = pool(workers=2)
    ex.settings.group_size = 1
    ex._top_up()
    for child in ex.children:
        child.conn, child.peer = _pipe()
    ex.pending.extend([1, 2])
    ex._dispatch()
    assert [c.run_id for c in ex.children] == [1, 2]
