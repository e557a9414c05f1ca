"""Group commit (common.batching): items waiting together are written together, each answered on its own."""

from __future__ import annotations

import threading

import pytest

from ecabinet.common.batching import BatchWriter
from ecabinet.errors import Conflict


class Recorder:
    """A handler that notes each batch it is given; the first batch waits until released."""

    def __init__(self):
        self.batches: list[list] = []
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self, items):
        self.batches.append(list(items))
        self.started.set()
        assert self.release.wait(10)
        if "poison" in items and len(items) > 1:
            raise RuntimeError("one bad item sinks the whole batch")
        if items == ["poison"]:
            raise RuntimeError("the bad item itself")
        return [Conflict("taken", code="already") if item == "taken" else item.upper() for item in items]


def _write_concurrently(writer, items, first_alone=True):
    """Write `items` from one thread each; when `first_alone`, the rest queue while the first is written."""
    outcomes: dict = {}

    def write(item):
        try:
            with writer.app.app_context():  # as a request is
                outcomes[item] = writer.write(item, timeout=10)
        except Exception as exc:  # the caller's own error is the outcome under test
            outcomes[item] = exc

    threads = [threading.Thread(target=write, args=(item,)) for item in items]
    threads[0].start()
    if first_alone:
        assert writer.handler.started.wait(10)
    for thread in threads[1:]:
        thread.start()
    if first_alone:
        while writer._queue.qsize() < len(items) - 1:  # all the others are waiting their turn
            threading.Event().wait(0.01)
    writer.handler.release.set()
    for thread in threads:
        thread.join(10)
    return outcomes


@pytest.fixture
def writer(app):
    return BatchWriter(app, "test", Recorder())


def test_items_waiting_together_are_written_in_one_batch_each_with_its_own_answer(writer):
    outcomes = _write_concurrently(writer, ["first", "a", "b", "taken", "c"])
    assert writer.handler.batches[0] == ["first"]
    assert sorted(writer.handler.batches[1]) == ["a", "b", "c", "taken"]
    assert outcomes["first"] == "FIRST" and outcomes["a"] == "A" and outcomes["c"] == "C"
    assert isinstance(outcomes["taken"], Conflict) and outcomes["taken"].code == "already"


def test_a_batch_that_fails_as_a_whole_is_written_again_one_item_at_a_time(writer):
    outcomes = _write_concurrently(writer, ["first", "a", "poison", "b"])
    assert outcomes["a"] == "A" and outcomes["b"] == "B"
    assert isinstance(outcomes["poison"], RuntimeError)
    assert sorted(writer.handler.batches[2:]) == [["a"], ["b"], ["poison"]]


def test_the_writer_thread_stops_when_idle_and_starts_again_on_demand(writer, monkeypatch):
    monkeypatch.setattr(BatchWriter, "IDLE_SECONDS", 0.05)
    writer.handler.release.set()
    with writer.app.app_context():
        assert writer.write("one") == "ONE"
        first = writer._thread
        first.join(5)
        assert not first.is_alive() and writer._thread is None
        assert writer.write("two") == "TWO"
