"""The live channel's typed messages: what travels (to_json), what the browser reads, and reading it back."""

import pytest

from forgetlab.core.live import End, NullPublisher, Point, Resync, SamplesReady, Status, message_from_json


def test_each_message_travels_as_its_json_and_reads_back():
    point = Point(step=40, values={"task.accuracy": 0.5}, prev=5)
    assert point.to_json() == {"kind": "point", "step": 40, "values": {"task.accuracy": 0.5}, "prev": 5}
    status = Status(status="running", step=3, total_steps=90, error=None)
    assert status.to_json() == {"kind": "status", "status": "running", "step": 3, "total_steps": 90, "error": None}
    for message in (point, SamplesReady(step=40), status, Resync()):
        assert message_from_json(message.to_json()) == message
    assert message_from_json({"kind": "from-a-newer-version"}) is None


def test_the_browser_gets_no_prev_and_a_point_without_one_never_asks_for_a_catch_up():
    assert Point(step=40, values={}, prev=5).event_data() == {"step": 40, "values": {}}
    assert message_from_json({"kind": "point", "step": 7, "values": {}}).prev == -1
    assert SamplesReady(step=40).event_data() == {"step": 40} and End().event_data() == {}
    assert Status(status="failed", step=3, total_steps=90, error="x").event_data()["kind"] == "status"


def test_terminal_is_the_store_s_terminal_set():
    assert [Status(s, 0, 1, None).terminal for s in ("queued", "running", "succeeded", "failed", "cancelled")] == \
        [False, False, True, True, True]


def test_a_plain_dict_is_refused_loudly_not_published():
    with pytest.raises(TypeError, match="core.live message"):
        NullPublisher().publish(1, {"kind": "status", "status": "failed"})
