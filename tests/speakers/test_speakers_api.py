"""The floor: members ask to speak on an item, the chair gives and ends it; the list and who may do what."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.helpers import assert_error, ok

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


def _in_session(cabinet):
    meeting = cabinet.meeting("in_progress")
    item = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    return meeting, item


def _states(listing) -> list[tuple[str, str]]:
    return [(s["full_name"], s["state"]) for s in listing]


def test_the_list_keeps_the_order_of_asking_whoever_has_the_floor(cabinet):
    meeting, item = _in_session(cabinet)
    first, second, third = cabinet.members
    for person in (first, second, third):
        assert cabinet.api(person).post(f"/agenda/{item['id']}/speakers").status_code == 200
    chair = cabinet.api(cabinet.chair)
    ids = {s["user_id"]: s["id"] for s in chair.get(f"/agenda/{item['id']}/speakers").get_json()}

    # The chair gives the floor out of turn, ends it, then gives it to the first who asked.
    assert chair.post(f"/speakers/{ids[second.id]}/start").status_code == 200
    assert chair.post(f"/speakers/{ids[second.id]}/finish").status_code == 200
    listing = chair.post(f"/speakers/{ids[first.id]}/start").get_json()

    expected = [(first.full_name, "speaking"), (second.full_name, "done"), (third.full_name, "waiting")]
    assert _states(listing) == expected
    assert _states(cabinet.api(third).get(f"/agenda/{item['id']}/speakers").get_json()) == expected
    events = cabinet.api(third).get(f"/meetings/{meeting['id']}/events").get_json()
    assert _states(events[-1]["data"]["speakers"]) == expected

    # The minutes name them in the order they had the floor.
    ok(chair.post(f"/speakers/{ids[first.id]}/finish"))
    clerk = cabinet.api(cabinet.secretariat)
    ok(clerk.put(f"/meetings/{meeting['id']}/minutes", json={"summary": "Phiên họp đúng chương trình."}))
    minutes = PdfReader(io.BytesIO(clerk.get(f"/meetings/{meeting['id']}/minutes.pdf").data))
    text = " ".join(" ".join(page.extract_text().split()) for page in minutes.pages)
    assert f"Ý kiến phát biểu: {second.full_name}, {first.full_name}." in text


def test_asking_twice_is_once_and_withdrawing_leaves_the_list(cabinet):
    _, item = _in_session(cabinet)
    member = cabinet.api(cabinet.members[0])
    ok(member.post(f"/agenda/{item['id']}/speakers"))
    assert len(member.post(f"/agenda/{item['id']}/speakers").get_json()) == 1
    assert member.delete(f"/agenda/{item['id']}/speakers").get_json() == []
    assert member.get(f"/agenda/{item['id']}/speakers").get_json() == []


def test_who_may_ask_and_who_gives_the_floor(cabinet):
    meeting, item = _in_session(cabinet)
    asked = cabinet.api(cabinet.members[0]).post(f"/agenda/{item['id']}/speakers").get_json()[0]
    # Not a participant: the meeting is not theirs to see.
    assert_error(cabinet.api(cabinet.outsider).post(f"/agenda/{item['id']}/speakers"), 404)
    assert_error(cabinet.api(cabinet.outsider).get(f"/agenda/{item['id']}/speakers"), 404)
    # A member asks but does not give the floor, not even to themself.
    assert_error(cabinet.api(cabinet.members[0]).post(f"/speakers/{asked['id']}/start"), 403)
    assert_error(cabinet.api(cabinet.members[1]).post(f"/speakers/{asked['id']}/finish"), 403)
    assert_error(cabinet.api(cabinet.chair).post("/speakers/999999/start"), 404)
    # Only a waiting speaker gets the floor, only a speaking one gives it back.
    assert_error(cabinet.api(cabinet.chair).post(f"/speakers/{asked['id']}/finish"), 409)
    ok(cabinet.api(cabinet.chair).post(f"/speakers/{asked['id']}/start"))
    assert_error(cabinet.api(cabinet.chair).post(f"/speakers/{asked['id']}/start"), 409)
    listing = cabinet.api(cabinet.secretariat).get(f"/agenda/{item['id']}/speakers").get_json()
    assert _states(listing) == [(cabinet.members[0].full_name, "speaking")]
    # Once the meeting is closed, the floor is no longer given.
    ok(cabinet.api(cabinet.secretariat).post(f"/meetings/{meeting['id']}/close"))
    assert_error(cabinet.api(cabinet.chair).post(f"/speakers/{asked['id']}/finish"), 409)
