"""Retention: members' private notes on a meeting's documents are destroyed its `retention_days` after it
closes (`flask --app ecabinet retention apply`), never while the administrator holds the meeting."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from ecabinet.annotations.models import Annotation
from ecabinet.common.time import utcnow
from ecabinet.extensions import db
from ecabinet.meetings.models import Meeting
from tests.helpers import assert_error, audit_entries, ok
from tests.pages import page_login, page_post
from tests.pdfs import make_pdf, upload

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services

SECRET = "Bí mật: phương án giá đất"


def _annotate(api, document_id: int, text: str, shared: bool = False) -> int:
    note = {
        "version": 1,
        "page": 1,
        "kind": "note",
        "rects": [[10, 10, 20, 20]],
        "text": text,
        "shared": shared,
    }
    return ok(api.post(f"/documents/{document_id}/annotations", json=note), 201)["id"]


def _meeting_with_notes(app, cabinet, closed_days_ago: int | None, **fields) -> dict:
    """A meeting whose two members each keep a private note and the first also a shared one on its
    paper; closed that many days ago (None: still in session). Its annotations' ids by kind."""
    meeting = cabinet.meeting("in_progress", **fields)
    item = cabinet.item(meeting["id"])
    secretariat = cabinet.api(cabinet.secretariat)
    document = ok(upload(secretariat, item["id"], make_pdf("Tờ trình")), 201)
    first, second = (cabinet.api(m) for m in cabinet.members[:2])
    notes = {
        "private": [_annotate(first, document["id"], SECRET), _annotate(second, document["id"], "Hỏi lại")],
        "shared": [_annotate(first, document["id"], "Đề nghị sửa điều 5", shared=True)],
    }
    if closed_days_ago is not None:
        ok(secretariat.post(f"/meetings/{meeting['id']}/close"))
        with app.app_context():
            db.session.execute(
                update(Meeting)
                .where(Meeting.id == meeting["id"])
                .values(closed_at=utcnow() - timedelta(days=closed_days_ago))
            )
            db.session.commit()
    return {"id": meeting["id"], **notes}


def _left(app) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Annotation.id)))


@pytest.fixture
def run(app):
    def apply():
        result = app.test_cli_runner().invoke(args=["retention", "apply"])
        assert result.exit_code == 0, result.output
        return result.output

    return apply


def test_apply_destroys_exactly_the_private_notes_of_meetings_past_their_days(app, cabinet, run):
    past = _meeting_with_notes(app, cabinet, closed_days_ago=31, retention_days=30)
    by_default = _meeting_with_notes(app, cabinet, closed_days_ago=366)  # ECABINET_RETENTION_DAYS: 365
    not_yet = _meeting_with_notes(app, cabinet, closed_days_ago=29, retention_days=30)
    in_session = _meeting_with_notes(app, cabinet, closed_days_ago=None, retention_days=0)
    everything = _left(app)

    output = run()

    destroyed = set(past["private"]) | set(by_default["private"])
    assert _left(app) == everything - destroyed
    assert set(past["shared"]) | set(not_yet["private"]) | set(in_session["private"]) <= _left(app)
    first, second = cabinet.members[:2]
    assert f"meeting {past['id']}: destroyed 2 private annotation(s) of " in output
    assert f"{first.username} (1), {second.username} (1)" in output
    assert "destroyed 4 private annotation(s) in 2 meeting(s)" in output
    assert SECRET not in output

    recorded = [e for e in audit_entries(app) if e["action"] == "retention.destroy"]
    assert [(e["object_type"], e["payload"]["private_annotations"]) for e in recorded] == [
        ("meetings", 2)
    ] * 2
    assert recorded[0]["payload"]["by_user"] == {str(first.id): 1, str(second.id): 1}
    assert SECRET not in str(recorded)

    # Run again (cron does, daily): nothing more to destroy, nothing more recorded.
    assert "destroyed 0 private annotation(s) in 0 meeting(s)" in run()
    assert len([e for e in audit_entries(app) if e["action"] == "retention.destroy"]) == 2


def test_the_meeting_says_when_private_notes_go(app, cabinet):
    closed = _meeting_with_notes(app, cabinet, closed_days_ago=10, retention_days=30)
    member = cabinet.api(cabinet.members[0])
    shown = ok(member.get(f"/meetings/{closed['id']}"))
    assert shown["retention_days"] == 30 and shown["held"] is False
    closed_at = shown["closed_at"]
    assert closed_at < shown["notes_destroyed_at"]
    assert "hold" not in shown  # why a meeting is held is for those who keep its records

    draft = cabinet.meeting()
    assert draft["retention_days"] == 365 and draft["notes_destroyed_at"] is None
    secretariat = cabinet.api(cabinet.secretariat)
    changed = ok(secretariat.patch(f"/meetings/{draft['id']}", json={"retention_days": 90}))
    assert changed["retention_days"] == 90
    assert (
        ok(secretariat.patch(f"/meetings/{draft['id']}", json={"retention_days": None}))["retention_days"]
        == 365
    )
    assert_error(secretariat.patch(f"/meetings/{draft['id']}", json={"retention_days": -1}), 400)
    assert_error(secretariat.post("/meetings", json={"title": "x", "retention_days": "7"}), 400)


def test_a_held_meeting_keeps_everything_until_released(app, cabinet, run):
    meeting = _meeting_with_notes(app, cabinet, closed_days_ago=400)
    admin = cabinet.api(cabinet.admin)
    reason = "Thanh tra Chính phủ yêu cầu giữ hồ sơ"
    held = ok(admin.post(f"/meetings/{meeting['id']}/hold", json={"reason": reason}))
    assert held["held"] is True and held["hold"]["reason"] == reason and held["notes_destroyed_at"] is None
    assert_error(admin.post(f"/meetings/{meeting['id']}/hold", json={"reason": reason}), 409, "already_held")
    member_view = ok(cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}"))
    assert member_view["held"] is True and member_view["notes_destroyed_at"] is None

    everything = _left(app)
    assert "destroyed 0 private annotation(s)" in run()
    assert _left(app) == everything

    released = ok(admin.delete(f"/meetings/{meeting['id']}/hold"))
    assert released["held"] is False and released["notes_destroyed_at"] is not None
    assert_error(admin.delete(f"/meetings/{meeting['id']}/hold"), 409, "not_held")
    run()
    assert _left(app) == everything - set(meeting["private"])

    entries = [e for e in audit_entries(app) if e["action"] in ("meeting.hold", "meeting.release")]
    assert [(e["action"], e["payload"]["reason"]) for e in entries] == [
        ("meeting.hold", reason),
        ("meeting.release", reason),
    ]


def test_only_the_administrator_holds_whatever_the_body(cabinet):
    meeting = cabinet.meeting("closed")
    path = f"/meetings/{meeting['id']}/hold"
    for person in (cabinet.secretariat, cabinet.chair, cabinet.members[0], cabinet.clerk, cabinet.outsider):
        api = cabinet.api(person)
        for malformed in (b"{not json", b'{"reason": 7}', b'{"reason": "Hold"}'):
            assert_error(api.call("POST", path, data=malformed, content_type="application/json"), 403)
        assert_error(api.delete(path), 403)
    admin = cabinet.api(cabinet.admin)
    assert_error(admin.post(path, json={"reason": ""}), 400)
    assert_error(admin.post(path, json={}), 400)
    assert_error(admin.post("/meetings/999999/hold", json={"reason": "Giữ"}), 404)
    assert ok(admin.post(path, json={"reason": "Giữ"}))["held"] is True


def _local_day(iso_time: str) -> str:
    return datetime.fromisoformat(iso_time).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")


def test_members_read_on_the_meeting_page_when_their_notes_go(app, cabinet):
    meeting = _meeting_with_notes(app, cabinet, closed_days_ago=10, retention_days=30)
    when = ok(cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}"))["notes_destroyed_at"]
    page = page_login(app, cabinet.members[0]).get(f"/meetings/{meeting['id']}").get_data(as_text=True)
    assert f"Ghi chú riêng của bạn sẽ bị xoá vào ngày {_local_day(when)}." in page
    assert 'name="reason"' not in page  # holding is the administrator's

    draft = cabinet.meeting(retention_days=90)
    page = page_login(app, cabinet.secretariat).get(f"/meetings/{draft['id']}").get_data(as_text=True)
    assert "được giữ 90 ngày sau khi phiên họp bế mạc" in page


def test_the_administrator_holds_and_releases_from_the_pages(app, cabinet, make_user):
    meeting = _meeting_with_notes(app, cabinet, closed_days_ago=400)
    path = f"/meetings/{meeting['id']}"
    secretariat = cabinet.api(cabinet.secretariat)

    def held() -> bool:
        return ok(secretariat.get(path))["held"]

    admin = page_login(app, cabinet.admin)
    assert "Phiên họp Chính phủ thường kỳ tháng 11/2026" in admin.get("/admin/retention").get_data(
        as_text=True
    )
    page_post(admin, "/admin/retention", f"{path}/hold", {"reason": "  "})
    assert not held()
    page_post(admin, "/admin/retention", f"{path}/hold", {"reason": "Thanh tra Chính phủ yêu cầu"})
    assert held()
    assert "Thanh tra Chính phủ yêu cầu" in admin.get("/admin/retention").get_data(as_text=True)

    # An administrator who also sees the meeting holds and releases it from the meeting page itself.
    keeper = page_login(app, make_user("admin", "secretariat"))
    page = keeper.get(path).get_data(as_text=True)
    assert (
        "Phiên họp đang được lưu giữ theo yêu cầu pháp lý" in page and "Thanh tra Chính phủ yêu cầu" in page
    )
    back = page_post(keeper, path, f"{path}/release", {"next": path})
    assert back.headers["Location"].endswith(path) and not held()
    assert 'name="reason"' in keeper.get(path).get_data(as_text=True)

    member = page_login(app, cabinet.members[0])
    assert member.get("/admin/retention").status_code == 403
    page_post(member, path, f"{path}/hold", {"reason": "Giữ"})
    assert not held()
