"""Positions before the session and the consent block (API.md "Positions and the consent agenda")."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error, events, ok
from tests.pages import page_login

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


def _published(cabinet, **overrides):
    meeting = cabinet.meeting("published", **overrides)
    first = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    second = cabinet.item(meeting["id"], "Nghị định về đầu tư công")
    return meeting, first, second


def _state(cabinet, user, item, position, comment=None):
    body = {"position": position} if comment is None else {"position": position, "comment": comment}
    return cabinet.api(user).put(f"/agenda/{item['id']}/position", json=body)


def _row(api, meeting, item):
    return next(
        r for r in ok(api.get(f"/meetings/{meeting['id']}/positions")) if r["agenda_item_id"] == item["id"]
    )


def test_a_member_states_and_changes_a_position_until_the_session_starts(cabinet):
    meeting, first, _ = _published(cabinet)
    member = cabinet.members[0]
    mine = ok(_state(cabinet, member, first, "wish_to_speak", "Xin ý kiến về điều 5"))
    assert (mine["position"], mine["comment"], mine["user_id"]) == (
        "wish_to_speak",
        "Xin ý kiến về điều 5",
        member.id,
    )
    ok(_state(cabinet, member, first, "no_objection"))
    row = _row(cabinet.api(cabinet.secretariat), meeting, first)
    assert row["positions"] == [{"user_id": member.id, "position": "no_objection", "comment": None}]
    # The chair and three members take part; the observer is not asked.
    assert row["counts"] == {"no_objection": 1, "object": 0, "wish_to_speak": 0, "none": 3}

    ok(cabinet.api(cabinet.secretariat).post(f"/meetings/{meeting['id']}/start"))
    assert_error(_state(cabinet, member, first, "object", "Chưa đủ cơ sở"), 409, "wrong_meeting_state")
    assert _row(cabinet.api(cabinet.secretariat), meeting, first)["counts"]["no_objection"] == 1


def test_bad_positions_are_refused_and_nothing_is_written(cabinet):
    meeting, first, _ = _published(cabinet)
    member = cabinet.members[0]
    assert_error(_state(cabinet, member, first, "object"), 400, "comment_required")
    assert_error(_state(cabinet, member, first, "object", "   "), 400)
    assert_error(_state(cabinet, member, first, "maybe"), 400)
    assert _row(cabinet.api(cabinet.secretariat), meeting, first)["counts"]["none"] == 4
    ok(_state(cabinet, member, first, "object", "Chưa đủ cơ sở pháp lý"))
    assert _row(cabinet.api(cabinet.secretariat), meeting, first)["counts"]["object"] == 1


def test_who_may_state_a_position(cabinet):
    meeting, first, _ = _published(cabinet)
    assert_error(_state(cabinet, cabinet.observer, first, "no_objection"), 403)
    # Not taking part: 403, as for a vote, whether or not the caller could see the meeting.
    assert_error(_state(cabinet, cabinet.outsider, first, "no_objection"), 403)
    assert_error(_state(cabinet, cabinet.clerk, first, "no_objection"), 403)
    assert_error(_state(cabinet, cabinet.secretariat, first, "no_objection"), 403)
    ok(_state(cabinet, cabinet.chair, first, "no_objection"))
    secret = cabinet.item(
        meeting["id"], "Nội dung mật", confidential=True, restricted_to=[cabinet.members[1].id]
    )
    assert_error(_state(cabinet, cabinet.members[0], secret, "no_objection"), 404)
    ok(_state(cabinet, cabinet.members[1], secret, "no_objection"))


def test_before_publishing_positions_wait(cabinet):
    meeting = cabinet.meeting("draft")
    item = cabinet.item(meeting["id"])
    # A draft is the secretariat's alone: for the members it does not exist yet.
    assert_error(_state(cabinet, cabinet.members[0], item, "no_objection"), 404)


def test_members_see_their_own_positions_unless_the_meeting_shows_all(cabinet):
    meeting, first, _ = _published(cabinet)
    one, two = cabinet.members[0], cabinet.members[1]
    ok(_state(cabinet, one, first, "object", "Cần bổ sung đánh giá tác động"))
    ok(_state(cabinet, two, first, "no_objection"))
    row = _row(cabinet.api(two), meeting, first)
    assert set(row) == {"agenda_item_id", "consent", "counts", "positions"}
    assert row["positions"] == [{"user_id": two.id, "position": "no_objection", "comment": None}]
    assert row["counts"] == {"no_objection": 1, "object": 1, "wish_to_speak": 0, "none": 2}
    assert len(_row(cabinet.api(cabinet.chair), meeting, first)["positions"]) == 2

    updated = ok(
        cabinet.api(cabinet.secretariat).patch(f"/meetings/{meeting['id']}", json={"positions_visible": True})
    )
    assert updated["positions_visible"] is True
    assert {p["user_id"] for p in _row(cabinet.api(two), meeting, first)["positions"]} == {one.id, two.id}
    assert_error(cabinet.api(cabinet.outsider).get(f"/meetings/{meeting['id']}/positions"), 404)


def test_the_table_leaves_out_items_the_reader_may_not_see(cabinet):
    meeting, first, second = _published(cabinet)
    secret = cabinet.item(
        meeting["id"], "Nội dung mật", confidential=True, restricted_to=[cabinet.members[1].id]
    )

    def ids(user):
        return [
            r["agenda_item_id"] for r in ok(cabinet.api(user).get(f"/meetings/{meeting['id']}/positions"))
        ]

    assert ids(cabinet.members[0]) == [first["id"], second["id"]]
    assert ids(cabinet.secretariat) == [first["id"], second["id"], secret["id"]]
    # Only the chair and the one member cleared for it are asked about the confidential item.
    assert _row(cabinet.api(cabinet.secretariat), meeting, secret)["counts"]["none"] == 2


def test_the_room_hears_counts_without_names(cabinet):
    meeting, first, _ = _published(cabinet)
    ok(_state(cabinet, cabinet.members[0], first, "object", "Lý do riêng của bộ"))
    (event,) = [
        e for e in events(cabinet.api(cabinet.members[1]), meeting["id"]) if e["type"] == "positions.changed"
    ]
    assert isinstance(event["seq"], int) and event["seq"] > 0
    assert event["data"] == {
        "agenda_item_id": first["id"],
        "counts": {"no_objection": 0, "object": 1, "wish_to_speak": 0, "none": 3},
    }
    assert "Lý do riêng" not in str(event) and str(cabinet.members[0].id) not in str(event["data"]["counts"])


def test_consent_flags_on_items_and_marking_every_item_nobody_objected_to(cabinet):
    meeting, first, second = _published(cabinet)
    third = cabinet.item(meeting["id"], "Báo cáo tình hình kinh tế - xã hội", consent=True)
    assert third["consent"] is True and first["consent"] is False
    sec = cabinet.api(cabinet.secretariat)
    assert ok(sec.patch(f"/agenda/{third['id']}", json={"consent": False}))["consent"] is False
    ok(_state(cabinet, cabinet.members[0], first, "object", "Chưa thống nhất"))
    ok(_state(cabinet, cabinet.members[1], second, "no_objection"))
    marked = ok(sec.post(f"/meetings/{meeting['id']}/consent/mark"))["marked"]
    assert marked == [second["id"], third["id"]]
    consent = {r["agenda_item_id"]: r["consent"] for r in ok(sec.get(f"/meetings/{meeting['id']}/positions"))}
    assert consent == {first["id"]: False, second["id"]: True, third["id"]: True}
    assert_error(cabinet.api(cabinet.chair).post(f"/meetings/{meeting['id']}/consent/mark"), 403)


def test_the_chair_adopts_the_consent_block_once(app, cabinet):
    meeting, first, second = _published(cabinet)
    sec, chair = cabinet.api(cabinet.secretariat), cabinet.api(cabinet.chair)
    ok(sec.patch(f"/agenda/{second['id']}", json={"consent": True}))
    assert_error(chair.post(f"/meetings/{meeting['id']}/consent/adopt"), 409, "wrong_meeting_state")
    ok(sec.post(f"/meetings/{meeting['id']}/start"))
    assert_error(cabinet.api(cabinet.members[0]).post(f"/meetings/{meeting['id']}/consent/adopt"), 403)
    assert ok(chair.post(f"/meetings/{meeting['id']}/consent/adopt")) == {"adopted": [second["id"]]}
    assert_error(chair.post(f"/meetings/{meeting['id']}/consent/adopt"), 409)

    entries = {e["agenda_item_id"]: e for e in ok(sec.get(f"/meetings/{meeting['id']}/minutes"))["entries"]}
    assert entries[second["id"]]["decision"] == "Thông qua không thảo luận"
    assert entries[second["id"]]["decided_by"] == "consent"
    assert (entries[first["id"]]["decision"], entries[first["id"]]["decided_by"]) == ("", "discussion")
    response = page_login(app, cabinet.clerk).get(f"/meetings/{meeting['id']}/minutes")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Quyết định thông qua không thảo luận" in page


def test_members_who_wish_to_speak_are_on_the_list_when_the_item_comes_up(cabinet):
    meeting, first, second = _published(cabinet)
    one, two = cabinet.members[0], cabinet.members[1]
    ok(_state(cabinet, one, first, "wish_to_speak"))
    ok(_state(cabinet, two, first, "no_objection"))
    ok(_state(cabinet, two, second, "wish_to_speak", "Về nguồn vốn"))
    chair = cabinet.api(cabinet.chair)
    ok(cabinet.api(cabinet.secretariat).post(f"/meetings/{meeting['id']}/start"))
    ok(chair.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": first["id"]}))
    speakers = ok(chair.get(f"/agenda/{first['id']}/speakers"))
    assert [(s["user_id"], s["state"]) for s in speakers] == [(one.id, "waiting")]
    ok(chair.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": second["id"]}))
    ok(chair.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": first["id"]}))
    assert len(ok(chair.get(f"/agenda/{first['id']}/speakers"))) == 1
    assert [s["user_id"] for s in ok(chair.get(f"/agenda/{second['id']}/speakers"))] == [two.id]
