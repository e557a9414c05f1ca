"""Under gevent (production), heavy work handed to `off_loop` leaves the loop serving meanwhile.

pytest itself runs with threads, so the check runs in a child process that patches itself as
gunicorn's gevent worker does, then measures how often a greenlet standing for the tablets' traffic
got its turn while a password was hashed and a pure-Python job ran off the loop — and, for contrast,
while the same job ran on it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

REPO = Path(__file__).resolve().parents[2]

CHILD = r"""
from gevent import monkey

monkey.patch_all()

import hashlib
import json
import time

import gevent

from ecabinet.common.serving import green, off_loop, socketio_async_mode

ticks = []


def traffic():
    while True:
        ticks.append(time.perf_counter())
        gevent.sleep(0.005)


def busy(seconds):
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


def turns_during(fn, *args):
    ticker = gevent.spawn(traffic)
    gevent.sleep(0.02)
    start = time.perf_counter()
    result = fn(*args)
    end = time.perf_counter()
    ticker.kill()
    return result, sum(1 for t in ticks if start < t < end)


def password_hash():
    return hashlib.scrypt(b"mat-khau", salt=b"muoi", n=2**15, r=8, p=1, maxmem=64 * 1024 * 1024)


digest, scrypt_turns = turns_during(off_loop, password_hash)
_, busy_off_turns = turns_during(off_loop, busy, 0.3)
_, busy_on_turns = turns_during(busy, 0.3)
same = digest == password_hash()
print(json.dumps({
    "green": green(), "mode": socketio_async_mode(), "same": same,
    "scrypt_turns": scrypt_turns, "busy_off_turns": busy_off_turns, "busy_on_turns": busy_on_turns,
}))
"""


@pytest.mark.no_database
def test_off_loop_keeps_the_gevent_loop_serving():
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["green"] is True and seen["mode"] == "gevent"
    assert seen["same"] is True  # the hash computed off the loop is the hash
    # The traffic greenlet ran again and again while the work was off the loop (every 5 ms when idle;
    # a pure-Python job still shares the GIL, so fewer turns, but never none) ...
    assert seen["scrypt_turns"] >= 3, seen
    assert seen["busy_off_turns"] >= 3, seen
    # ... and not at all while the same job ran on the loop.
    assert seen["busy_on_turns"] == 0, seen


def test_preparing_a_server_process_changes_nothing(app, cabinet):
    from sqlalchemy import select

    from ecabinet import worker_tuning
    from ecabinet.audit.models import AuditChainHead
    from ecabinet.extensions import db

    cabinet.meeting("in_progress")  # an audit chain and an event counter that are not empty

    def state():
        with app.app_context():
            head = db.session.execute(select(AuditChainHead.seq, AuditChainHead.hash)).one()
            counters = db.session.execute(text("SELECT id, last_event_seq FROM meetings")).all()
            # The start-up rehearses a whole vote on rows of its own: none of them may stay.
            rows = {
                table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in (
                    *("users", "user_roles", "meetings", "participants", "votes"),
                    *("vote_tallies", "vote_participations", "audit_entries", "meeting_events"),
                )
            }
            db.session.remove()
            return head, counters, rows

    before = state()
    worker_tuning.warm_up(app)
    assert state() == before


GC_CHILD = r"""
from gevent import monkey

monkey.patch_all()

import gc
import json
import sys
import time
import weakref

import gevent

from ecabinet import worker_tuning

full_passes = []
gc.callbacks.append(
    lambda phase, info: phase == "stop" and info["generation"] == 2 and full_passes.append(time.monotonic())
)
last_event = 0.0
if sys.argv[1] == "managed":
    worker_tuning.collect_garbage_when_quiet(lambda: last_event, every_s=float(sys.argv[2]), quiet_s=0.2)


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the garbage collector frees it


kept, probe = [], None
started = time.monotonic()
while time.monotonic() - started < 1.6:  # a meeting at its busiest: events going out, objects piling up
    last_event = time.monotonic()
    kept.append([Node() for _ in range(5000)])  # lives long enough to reach the oldest generation
    probe = probe or weakref.ref(kept[0][0])
    gevent.sleep(0.05)
busy_until = time.monotonic()
kept.clear()  # garbage now, in cycles, in the oldest generation
gevent.sleep(1.5)
print(json.dumps({
    "started": started, "busy_until": busy_until, "last_event": last_event,
    "full_passes": full_passes, "freed": probe() is None,
}))
"""


def _full_passes(*args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", GC_CHILD, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    seen["during"] = [t for t in seen["full_passes"] if seen["started"] < t < seen["busy_until"]]
    seen["after"] = [t for t in seen["full_passes"] if t >= seen["busy_until"]]
    return seen


@pytest.mark.no_database
def test_full_garbage_collections_wait_for_a_quiet_moment():
    # The same load under CPython's own schedule runs full passes while the events go out: the load is
    # enough to show the difference.
    default = _full_passes("default")
    assert default["during"], default

    seen = _full_passes("managed", "5")
    assert seen["during"] == [], seen
    # Once nothing went out for the quiet time: the pass held back, which frees what was left in the
    # oldest generation.
    assert seen["after"] and seen["after"][0] >= seen["last_event"] + 0.2, seen
    assert seen["freed"] is True, seen


@pytest.mark.no_database
def test_events_that_never_stop_still_get_a_full_collection_now_and_then():
    seen = _full_passes("managed", "0.5")  # 1.6 s of events without a pause
    assert 1 <= len(seen["during"]) <= 4, seen
