"""Tablets over Socket.IO against a real server: refusal, join, every event, redaction, catch-up."""

from __future__ import annotations

import threading
import time

import pytest
import socketio

from tests.helpers import assert_error, ok
from tests.live_server import serve
from tests.pdfs import make_pdf, upload
from tests.tablet import Tablet

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


@pytest.fixture
def live(app, cabinet):
    tablets: list[Tablet] = []
    with serve(app) as url:

        def tablet(person) -> Tablet:
            t = Tablet(url, cabinet.api(person).token)
            tablets.append(t)
            return t

        yield url, tablet
        # Each client's goodbye takes a moment; say them all at once.
        closing = [threading.Thread(target=t.close) for t in tablets]
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join(timeout=15)


def test_connection_without_or_with_a_bad_token_is_refused(live):
    url, _ = live
    for token in (None, "not-a-token"):
        with pytest.raises(socketio.exceptions.ConnectionError):
            Tablet(url, token)


def test_join_checks_visibility_and_acks_the_latest_seq(cabinet, live):
    _, tablet = live
    meeting = cabinet.meeting("published")
    draft = cabinet.meeting("draft")
    member = tablet(cabinet.members[0])
    ack = member.join(meeting["id"])
    assert ack["ok"] is True and ack["seq"] == len(
        cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}/events").get_json()
    )
    for bad, code in (
        (draft["id"], "not_found"),
        (99999, "not_found"),
        ("1", "invalid_input"),
        (10**20, "not_found"),
    ):
        refused = member.join(bad)
        assert refused["ok"] is False and refused["error"]["code"] == code, (bad, refused)
    assert tablet(cabinet.outsider).join(meeting["id"])["ok"] is False


def test_every_tablet_follows_the_session(cabinet, live):
    _, tablet = live
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Dự án Luật Đất đai")
    sec = cabinet.api(cabinet.secretariat)
    member, chair = tablet(cabinet.members[0]), tablet(cabinet.chair)
    start_seq = member.join(meeting["id"])["seq"]
    chair.join(meeting["id"])

    ok(sec.post(f"/meetings/{meeting['id']}/start"))
    assert member.next()["type"] == "meeting.status"
    ok(
        cabinet.api(cabinet.chair).post(
            f"/meetings/{meeting['id']}/current", json={"agenda_item_id": item["id"]}
        )
    )
    current = member.next()
    assert current["type"] == "agenda.current" and current["data"]["agenda_item_id"] == item["id"]
    ok(cabinet.api(cabinet.members[1]).post(f"/meetings/{meeting['id']}/attendance"))
    assert member.next()["type"] == "attendance.changed"
    cabinet.item(meeting["id"], "Mục mới")
    assert member.next()["type"] == "agenda.changed"
    doc = upload(sec, item["id"], make_pdf("Tờ trình")).get_json()
    assert member.next()["type"] == "document.added"
    ok(
        sec.post(
            f"/meetings/{meeting['id']}/presenter", json={"document_id": doc["id"], "version": 1, "page": 1}
        )
    )
    presented = member.next()
    assert presented["type"] == "presenter.page" and presented["data"]["page"] == 1
    ok(cabinet.api(cabinet.members[1]).post(f"/agenda/{item['id']}/speakers"))
    spoken = member.next()
    assert spoken["type"] == "speakers.changed" and spoken["data"]["speakers"][0]["state"] == "waiting"

    vote = sec.post(f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua?"}).get_json()
    ok(sec.post(f"/votes/{vote['id']}/open"))
    assert member.next()["type"] == "vote.opened"
    ok(cabinet.api(cabinet.members[1]).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 201)
    progress = member.next()
    assert progress["type"] == "vote.progress" and progress["data"] == {
        "vote_id": vote["id"],
        "cast": 1,
        "eligible": 4,
    }
    runner_view = chair.next("vote.progress")
    assert runner_view["seq"] == progress["seq"] and runner_view["data"]["counts"]["yes"] == 1
    ok(sec.post(f"/votes/{vote['id']}/close"))
    closed = member.next()
    assert closed["type"] == "vote.closed" and closed["data"]["counts"] == {"yes": 1, "no": 0, "abstain": 0}
    assert closed["data"]["passed"] is False  # 1 of 4 is not more than half

    received = [e["seq"] for e in [presented, spoken, progress, closed]]
    assert received == sorted(received)
    # What the socket carried is what the catch-up call returns.
    missed = (
        cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/events?after={start_seq}").get_json()
    )
    assert [e["seq"] for e in missed] == list(range(start_seq + 1, start_seq + 1 + len(missed)))
    assert missed[-1]["type"] == "vote.closed"


def test_a_secret_votes_running_counts_reach_the_runners_live_only(cabinet, live):
    _, tablet = live
    meeting = cabinet.meeting("in_progress")
    member, chair = tablet(cabinet.members[0]), tablet(cabinet.chair)
    start_seq = chair.join(meeting["id"])["seq"]
    member.join(meeting["id"])
    sec = cabinet.api(cabinet.secretariat)
    vote = sec.post(f"/meetings/{meeting['id']}/votes", json={"question": "Bỏ phiếu kín?", "secret": True})
    ok(sec.post(f"/votes/{vote.get_json()['id']}/open"))
    ok(
        cabinet.api(cabinet.members[1]).post(f"/votes/{vote.get_json()['id']}/cast", json={"choice": "no"}),
        201,
    )
    assert chair.next("vote.progress")["data"]["counts"] == {"yes": 0, "no": 1, "abstain": 0}
    assert "counts" not in member.next("vote.progress")["data"]
    replayed = (
        cabinet.api(cabinet.chair).get(f"/meetings/{meeting['id']}/events?after={start_seq}").get_json()
    )
    progress = [e for e in replayed if e["type"] == "vote.progress"]
    assert progress and all("counts" not in e["data"] for e in progress)  # not stored, so not replayed


def test_confidential_events_are_redacted_with_the_same_seq(cabinet, live):
    _, tablet = live
    meeting = cabinet.meeting("published")
    secret = cabinet.item(meeting["id"], "Nhân sự", confidential=True, restricted_to=[cabinet.members[0].id])
    cleared, other = tablet(cabinet.members[0]), tablet(cabinet.members[1])
    cleared.join(meeting["id"])
    other.join(meeting["id"])
    cabinet.api(cabinet.secretariat).post(
        f"/meetings/{meeting['id']}/current", json={"agenda_item_id": secret["id"]}
    )
    seen, hidden = cleared.next(), other.next()
    assert seen["type"] == "agenda.current" and seen["data"]["title"] == "Nhân sự"
    assert hidden == {**hidden, "type": "redacted", "data": {}, "seq": seen["seq"]}


def test_annotation_changes_reach_the_authors_other_devices_only(cabinet, live):
    _, tablet = live
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    doc = upload(cabinet.api(cabinet.secretariat), item["id"], make_pdf("Điều 1")).get_json()
    ipad, laptop, someone_else = (
        tablet(cabinet.members[0]),
        tablet(cabinet.members[0]),
        tablet(cabinet.members[1]),
    )
    r = cabinet.api(cabinet.members[0]).post(
        f"/documents/{doc['id']}/annotations",
        json={"version": 1, "page": 1, "kind": "highlight", "rects": [[56, 700, 200, 716]]},
    )
    for device in (ipad, laptop):
        event = device.next("annotation.changed")
        assert (
            event["data"]["action"] == "created" and event["data"]["annotation"]["id"] == r.get_json()["id"]
        )
    assert [e for e in someone_else.drain() if e["type"] == "annotation.changed"] == []


def test_a_rolled_back_change_sends_nothing(cabinet, live):
    _, tablet = live
    meeting = cabinet.meeting("published")
    member = tablet(cabinet.members[0])
    seq = member.join(meeting["id"])["seq"]
    assert_error(
        cabinet.api(cabinet.secretariat).post(
            f"/meetings/{meeting['id']}/agenda", json={"title": "x", "parent_id": 424242}
        ),
        400,
    )
    assert member.drain() == []
    assert (
        cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/events?after={seq}").get_json() == []
    )


def test_many_tablets_receive_each_event_once(cabinet, live):
    _, tablet = live
    meeting = cabinet.meeting("published")
    tablets = [tablet(p) for p in (cabinet.chair, *cabinet.members)]
    for t in tablets:
        t.join(meeting["id"])
    ok(cabinet.api(cabinet.secretariat).post(f"/meetings/{meeting['id']}/start"))
    for t in tablets:
        assert [e["type"] for e in t.drain()] == ["meeting.status"]


def _until(check, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
    return False


def test_a_socket_keeps_only_what_its_user_may_still_see(cabinet, live):
    """Taken off the meeting, a member's open socket stops receiving it; a chair replaced stops getting
    the runners' live counts, and the new chair starts getting them."""
    _, tablet = live
    meeting = cabinet.meeting("in_progress")
    items = [cabinet.item(meeting["id"], f"Mục {n}") for n in (1, 2)]
    old_chair, new_chair, leaving, staying = (
        cabinet.chair,
        cabinet.members[0],
        cabinet.members[1],
        cabinet.members[2],
    )
    tablets = {person.id: tablet(person) for person in (old_chair, new_chair, leaving, staying)}
    for t in tablets.values():
        t.join(meeting["id"])
    sec = cabinet.api(cabinet.secretariat)
    kept = [p.id for p in cabinet.participants if p.id != leaving.id]
    assert (
        sec.patch(
            f"/meetings/{meeting['id']}", json={"participants": kept, "chair_id": new_chair.id}
        ).status_code
        == 200
    )

    turns = iter(range(1000))

    def leaving_hears_no_more() -> bool:
        for t in tablets.values():
            t.drain(settle=0.05)
        item = items[next(turns) % 2]
        sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": item["id"]})
        assert tablets[staying.id].next("agenda.current")
        return tablets[leaving.id].drain(settle=0.3) == []

    assert _until(leaving_hears_no_more)
    vote = sec.post(
        f"/meetings/{meeting['id']}/votes", json={"question": "Bỏ phiếu kín?", "secret": True}
    ).get_json()
    ok(sec.post(f"/votes/{vote['id']}/open"))
    ok(cabinet.api(staying).post(f"/votes/{vote['id']}/cast", json={"choice": "no"}), 201)
    assert tablets[new_chair.id].next("vote.progress")["data"]["counts"]["no"] == 1
    assert "counts" not in tablets[old_chair.id].next("vote.progress")["data"]
    assert not any(e["type"] == "vote.progress" for e in tablets[leaving.id].drain())


def test_a_socket_closes_when_its_login_ends(cabinet, live):
    _, tablet = live
    meeting = cabinet.meeting("published")
    member = cabinet.members[0]
    logging_out, deactivated = tablet(member), tablet(cabinet.members[1])
    for t in (logging_out, deactivated):
        assert t.join(meeting["id"])["ok"] is True
    assert cabinet.api(member).post("/auth/logout").status_code == 204
    admin = cabinet.api(cabinet.admin)
    assert admin.patch(f"/users/{cabinet.members[1].id}", json={"active": False}).status_code == 200
    assert _until(lambda: not logging_out.client.connected and not deactivated.client.connected)
