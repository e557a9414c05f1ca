"""Each user's private calendar feed, as a calendar app reads it: no login, the address is the key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import select

from ecabinet.audit.models import AuditEntry
from ecabinet.auth.models import User
from ecabinet.calendar.models import CalendarFeed
from ecabinet.extensions import db
from tests.helpers import assert_error, ok
from tests.pages import page_login, page_post

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services

CONFIDENTIAL = "Phương án nhân sự Bộ trưởng"


def _feed_path(api) -> str:
    url = ok(api.get("/me/calendar"))["url"]
    return urlsplit(url).path


def _read(client, path: str) -> Calendar:
    response = client.get(path)  # no cookie, no token: as a calendar app fetches it
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-store"
    return Calendar.from_ical(response.data)


def _events(calendar: Calendar) -> dict[str, object]:
    return {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}


def _ballot(cabinet, title: str, recipients, send: bool = True) -> dict:
    sec = cabinet.api(cabinet.secretariat)
    ballot = ok(
        sec.post(
            "/ballots",
            json={
                "title": title,
                "questions": [{"text": "Đồng ý ban hành?"}],
                "recipients": [p.id for p in recipients],
                "deadline": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
            },
        ),
        201,
    )
    if send:
        ok(sec.post(f"/ballots/{ballot['id']}/send"))
    return ballot


def test_the_feed_holds_the_users_meetings_and_ballot_deadlines_only(app, client, cabinet):
    member, other = cabinet.members[0], cabinet.members[1]
    mine = cabinet.meeting("published", title="Phiên họp Chính phủ thường kỳ tháng 11/2026")
    cabinet.item(mine["id"], "Dự án Luật Đất đai (sửa đổi)")
    cabinet.item(mine["id"], CONFIDENTIAL, confidential=True, restricted_to=[member.id])
    cabinet.meeting("draft", title="Phiên họp chưa phát hành")
    cabinet.meeting("published", title="Phiên họp không mời", participants=[other.id])
    asked = _ballot(cabinet, "Dự thảo Nghị định về dữ liệu", [member, other])
    _ballot(cabinet, "Phiếu chưa gửi", [member], send=False)
    _ballot(cabinet, "Phiếu gửi người khác", [other])

    events = _events(_read(client, _feed_path(cabinet.api(member))))

    deadline_title = "Hạn trả lời phiếu lấy ý kiến: Dự thảo Nghị định về dữ liệu"
    assert sorted(events) == sorted([mine["title"], deadline_title])
    meeting = events[mine["title"]]
    assert meeting["LOCATION"] == "Phòng họp Chính phủ"
    assert "Dự án Luật Đất đai (sửa đổi)" in meeting["DESCRIPTION"]
    assert meeting["URL"].endswith(f"/meetings/{mine['id']}")
    deadline = events[deadline_title]
    # To the second (iCalendar keeps no fractions), in the cabinet's zone.
    assert deadline["DTSTART"].dt == datetime.fromisoformat(asked["deadline"]).replace(microsecond=0)
    assert deadline["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh" and "DTEND" not in deadline
    assert deadline["URL"].endswith(f"/ballots/{asked['id']}")


def test_a_confidential_item_never_appears_even_to_those_cleared_for_it(client, cabinet):
    meeting = cabinet.meeting("published")
    cabinet.item(meeting["id"], "Báo cáo kinh tế - xã hội")
    secret = cabinet.item(
        meeting["id"], CONFIDENTIAL, confidential=True, restricted_to=[cabinet.members[0].id]
    )
    cabinet.item(meeting["id"], "Nội dung con của mục mật", parent_id=secret["id"])

    # The chair and the member it is restricted to see it on their pages; their feeds leave the house.
    for person in (cabinet.chair, cabinet.members[0]):
        feed = client.get(_feed_path(cabinet.api(person))).get_data(as_text=True)
        (event,) = Calendar.from_ical(feed).walk("VEVENT")
        assert "Báo cáo kinh tế - xã hội" in event["DESCRIPTION"]
        assert CONFIDENTIAL not in feed and "Nội dung con của mục mật" not in feed


def test_times_are_in_the_cabinets_zone_and_vietnamese_survives(app, client, cabinet):
    title = "Phiên họp chuyên đề về xây dựng pháp luật — tháng 12/2026"
    meeting = cabinet.meeting(
        "published",
        title=title,
        starts_at="2026-12-12T08:00:00+07:00",
        ends_at="2026-12-12T11:30:00+07:00",
        location="Hội trường Văn phòng Chính phủ, số 1 Hoàng Hoa Thám",
    )
    calendar = _read(client, _feed_path(cabinet.api(cabinet.chair)))

    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == title == meeting["title"]
    assert str(event["LOCATION"]) == "Hội trường Văn phòng Chính phủ, số 1 Hoàng Hoa Thám"
    start, end = event["DTSTART"], event["DTEND"]
    assert start.params["TZID"] == end.params["TZID"] == "Asia/Ho_Chi_Minh"
    assert (start.dt.hour, start.dt.minute, end.dt.hour, end.dt.minute) == (8, 0, 11, 30)
    assert start.dt == datetime(2026, 12, 12, 1, 0, tzinfo=UTC)
    (zone,) = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Asia/Ho_Chi_Minh"
    assert calendar["X-WR-CALNAME"] == "e-Cabinet: Nguyễn Văn Thủ Tướng"

    app.config["ECABINET_TIMEZONE"] = "Asia/Tokyo"  # one setting decides
    (event,) = _read(client, _feed_path(cabinet.api(cabinet.chair))).walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo" and event["DTSTART"].dt.hour == 10


def test_renewing_the_address_closes_the_old_one(app, client, cabinet):
    api = cabinet.api(cabinet.members[0])
    cabinet.meeting("published")
    old = _feed_path(api)
    assert _feed_path(api) == old  # the same address until it is renewed
    secret = old.removeprefix("/calendar/").removesuffix(".ics")
    assert len(secret) >= 43

    new = urlsplit(ok(api.post("/me/calendar/renew"))["url"]).path
    assert new != old and _feed_path(api) == new
    assert client.get(old).status_code == 404
    assert len(_events(_read(client, new))) == 1

    with app.app_context():
        (feed,) = db.session.scalars(select(CalendarFeed)).all()
        # Only a hash of the secret is kept.
        assert secret not in (feed.nonce, feed.secret_hash)
        new_secret = new.removeprefix("/calendar/").removesuffix(".ics")
        assert new_secret not in (feed.nonce, feed.secret_hash)
        actions = db.session.scalars(
            select(AuditEntry.action).where(AuditEntry.action.like("calendar.%"))
        ).all()
        assert actions == ["calendar.create", "calendar.renew"]


def test_renewing_from_the_users_page(app, client, cabinet):
    browser = page_login(app, cabinet.members[0])
    devices = browser.get("/devices").get_data(as_text=True)
    assert "/calendar" in devices
    page = browser.get("/calendar").get_data(as_text=True)
    old = _feed_path(cabinet.api(cabinet.members[0]))
    assert old in page

    response = page_post(browser, "/calendar", "/calendar/renew", {})
    assert response.status_code == 302
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "địa chỉ mới" in page and old not in page
    assert client.get(old).status_code == 404
    assert client.get(_feed_path(cabinet.api(cabinet.members[0]))).status_code == 200


def test_a_guessed_or_deactivated_address_opens_nothing(app, client, cabinet):
    api = cabinet.api(cabinet.members[0])
    path = _feed_path(api)
    secret = path.removeprefix("/calendar/").removesuffix(".ics")
    for guess in ("A" * 43, secret[:-1] + ("A" if secret[-1] != "A" else "B"), secret[:20], "x"):
        assert client.get(f"/calendar/{guess}.ics").status_code == 404

    with app.app_context():
        db.session.get(User, cabinet.members[0].id).active = False
        db.session.commit()
    assert client.get(path).status_code == 404


def test_the_feed_address_needs_a_login_to_see_or_renew(client):
    assert_error(client.get("/api/v1/me/calendar"), 401)
    assert_error(client.post("/api/v1/me/calendar/renew"), 401)


def test_the_open_tasks_of_the_users_ministry_and_none_that_a_confidential_item_names(
    client, cabinet, ministries
):
    mine = ok(ministries.assign(), 201)
    ok(ministries.assign(text="Việc của Bộ Tài chính", lead_organization_id=ministries.finance["id"],
                         cooperating_organization_ids=[], owner_id=ministries.other.id), 201)  # fmt: skip
    secret = cabinet.item(ministries.meeting["id"], CONFIDENTIAL, confidential=True, restricted_to=[])
    ok(
        ministries.sec.put(
            f"/meetings/{ministries.meeting['id']}/minutes",
            json={"entries": [{"agenda_item_id": secret["id"], "decision": "Thống nhất phương án."}]},
        )
    )
    ok(ministries.assign(agenda_item_id=secret["id"], text="Hoàn tất thủ tục bổ nhiệm"), 201)

    feed = client.get(_feed_path(cabinet.api(ministries.minister))).get_data(as_text=True)
    tasks = [e for e in Calendar.from_ical(feed).walk("VEVENT") if str(e["UID"]).startswith("task-")]
    assert sorted(str(e["SUMMARY"]) for e in tasks) == [
        "Hạn thực hiện nhiệm vụ",
        f"Hạn thực hiện nhiệm vụ: {mine['text']}",
    ]
    assert "Việc của Bộ Tài chính" not in feed
    assert "Hoàn tất thủ tục bổ nhiệm" not in feed and CONFIDENTIAL not in feed
    (own,) = [e for e in tasks if str(e["UID"]).startswith(f"task-{mine['id']}-")]
    assert own["DTSTART"].dt == datetime.fromisoformat(mine["deadline"]).replace(microsecond=0)
    assert own["URL"].endswith(f"/tasks/{mine['id']}")
