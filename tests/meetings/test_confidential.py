"""A confidential agenda item does not exist for those it is not meant for: not in lists, numbers or events."""

import pytest

from tests.helpers import assert_error, events, ok

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services

SECRET = "Phương án nhân sự (mật)"


@pytest.fixture
def agenda(cabinet):
    """A running meeting: 1 public, 2 confidential for members[0] (with a sub-item), 3 and 4 public."""
    meeting = cabinet.meeting("in_progress")
    mid = meeting["id"]
    first = cabinet.item(mid, "Báo cáo tình hình kinh tế - xã hội")
    secret = cabinet.item(mid, SECRET, confidential=True, restricted_to=[cabinet.members[0].id])
    secret_child = cabinet.item(mid, "Tiểu mục của mục mật", parent_id=secret["id"])
    second = cabinet.item(mid, "Dự án Luật Thủ đô (sửa đổi)")
    second_child = cabinet.item(mid, "Ý kiến thẩm định", parent_id=second["id"])
    third = cabinet.item(mid, "Các vấn đề khác")
    return {
        "meeting": meeting,
        "id": mid,
        "first": first,
        "secret": secret,
        "secret_child": secret_child,
        "second": second,
        "second_child": second_child,
        "third": third,
    }


def hidden_from(cabinet):
    return [cabinet.members[1], cabinet.members[2], cabinet.observer, cabinet.clerk]


def allowed(cabinet):
    return [cabinet.secretariat, cabinet.chair, cabinet.members[0]]


def test_others_do_not_see_it_in_the_meeting_or_the_agenda(cabinet, agenda, subtests):
    hidden_ids = {agenda["secret"]["id"], agenda["secret_child"]["id"]}
    for person in hidden_from(cabinet):
        with subtests.test(person.username):
            api = cabinet.api(person)
            for listing in (
                ok(api.get(f"/meetings/{agenda['id']}"))["agenda"],
                ok(api.get(f"/meetings/{agenda['id']}/agenda")),
            ):
                assert hidden_ids.isdisjoint(i["id"] for i in listing)
                assert [(i["number"], i["title"]) for i in listing] == [
                    ("1", "Báo cáo tình hình kinh tế - xã hội"),
                    ("2", "Dự án Luật Thủ đô (sửa đổi)"),
                    ("2.1", "Ý kiến thẩm định"),
                    ("3", "Các vấn đề khác"),
                ]
                assert SECRET not in str(listing)
                top = [i for i in listing if i["parent_id"] is None]
                assert [i["position"] for i in top] == [1, 2, 3]  # no gap where the item was


def test_others_get_404_on_direct_access(cabinet, agenda, subtests):
    for person in hidden_from(cabinet):
        with subtests.test(person.username):
            api = cabinet.api(person)
            for key in ("secret", "secret_child"):
                error = assert_error(api.get(f"/agenda/{agenda[key]['id']}"), 404)
                assert SECRET not in error["message"]
            # Exactly as for an item that never existed.
            assert (
                assert_error(api.get(f"/agenda/{agenda['secret']['id']}"), 404)["code"]
                == (assert_error(api.get("/agenda/999999"), 404)["code"])
            )


def test_secretariat_chair_and_restricted_users_see_it(cabinet, agenda, subtests):
    for person in allowed(cabinet):
        with subtests.test(person.username):
            api = cabinet.api(person)
            listing = ok(api.get(f"/meetings/{agenda['id']}/agenda"))
            assert [(i["number"], i["title"]) for i in listing] == [
                ("1", "Báo cáo tình hình kinh tế - xã hội"),
                ("2", SECRET),
                ("2.1", "Tiểu mục của mục mật"),
                ("3", "Dự án Luật Thủ đô (sửa đổi)"),
                ("3.1", "Ý kiến thẩm định"),
                ("4", "Các vấn đề khác"),
            ]
            assert ok(api.get(f"/meetings/{agenda['id']}"))["agenda"] == listing
            item = ok(api.get(f"/agenda/{agenda['secret']['id']}"))
            assert item["title"] == SECRET and item["confidential"] is True and item["number"] == "2"
            assert item["restricted_to"] == [cabinet.members[0].id]
            assert ok(api.get(f"/agenda/{agenda['secret_child']['id']}"))["number"] == "2.1"


def test_the_numbers_of_later_items_differ_only_by_the_hidden_one(cabinet, agenda):
    member = ok(cabinet.api(cabinet.members[1]).get(f"/agenda/{agenda['third']['id']}"))
    cleared = ok(cabinet.api(cabinet.members[0]).get(f"/agenda/{agenda['third']['id']}"))
    assert (member["number"], cleared["number"]) == ("3", "4")


def test_confidential_without_restricted_users_is_for_secretariat_and_chair(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], SECRET, confidential=True)
    for person in (cabinet.secretariat, cabinet.chair):
        assert ok(cabinet.api(person).get(f"/agenda/{item['id']}"))["title"] == SECRET
    for person in cabinet.members:
        assert_error(cabinet.api(person).get(f"/agenda/{item['id']}"), 404)
        assert ok(cabinet.api(person).get(f"/meetings/{meeting['id']}/agenda")) == []


def test_making_an_item_confidential_later_hides_it(cabinet, agenda):
    sec = cabinet.api(cabinet.secretariat)
    member = cabinet.api(cabinet.members[1])
    assert ok(member.get(f"/agenda/{agenda['third']['id']}"))["number"] == "3"
    ok(sec.patch(f"/agenda/{agenda['third']['id']}", json={"confidential": True}))
    assert_error(member.get(f"/agenda/{agenda['third']['id']}"), 404)
    ok(sec.patch(f"/agenda/{agenda['secret']['id']}", json={"restricted_to": [cabinet.members[1].id]}))
    assert ok(member.get(f"/agenda/{agenda['secret']['id']}"))["title"] == SECRET
    assert_error(cabinet.api(cabinet.members[0]).get(f"/agenda/{agenda['secret']['id']}"), 404)


def test_moving_an_item_under_a_confidential_one_hides_it(cabinet, agenda):
    sec = cabinet.api(cabinet.secretariat)
    member = cabinet.api(cabinet.members[1])
    ok(sec.patch(f"/agenda/{agenda['third']['id']}", json={"parent_id": agenda["secret"]["id"]}))
    assert_error(member.get(f"/agenda/{agenda['third']['id']}"), 404)
    titles = [i["title"] for i in ok(member.get(f"/meetings/{agenda['id']}/agenda"))]
    assert "Các vấn đề khác" not in titles


def test_events_about_it_are_redacted_for_others_with_the_same_seq(cabinet, agenda):
    sec = cabinet.api(cabinet.secretariat)
    mid = agenda["id"]
    start = events(sec, mid)[-1]["seq"]
    ok(sec.post(f"/meetings/{mid}/current", json={"agenda_item_id": agenda["secret"]["id"]}))
    ok(sec.patch(f"/agenda/{agenda['secret']['id']}", json={"title": SECRET + " – bản sửa"}))
    ok(sec.post(f"/meetings/{mid}/current", json={"agenda_item_id": agenda["secret_child"]["id"]}))
    cabinet.item(mid, "Tiểu mục mới của mục mật", parent_id=agenda["secret"]["id"])
    ok(sec.post(f"/meetings/{mid}/current", json={"agenda_item_id": agenda["first"]["id"]}))
    ok(sec.patch(f"/agenda/{agenda['secret_child']['id']}", json={"presenter": "Bộ Nội vụ"}))

    full = events(sec, mid, after=start)
    assert [e["type"] for e in full] == [
        "agenda.current",
        "agenda.changed",
        "agenda.current",
        "agenda.changed",
        "agenda.current",
        "agenda.changed",
    ]
    assert [e["seq"] for e in full] == list(range(start + 1, start + 7))
    assert full[0]["data"]["agenda_item_id"] == agenda["secret"]["id"]
    public = full[4]["seq"]  # the public item became current: that one is for everyone
    for person in allowed(cabinet):
        assert events(cabinet.api(person), mid, after=start) == full

    for person in hidden_from(cabinet):
        seen = events(cabinet.api(person), mid, after=start)
        assert [e["seq"] for e in seen] == [e["seq"] for e in full]
        for mine, real in zip(seen, full, strict=True):
            if real["seq"] == public:
                assert mine == real
                continue
            assert mine == {
                "seq": real["seq"],
                "type": "redacted",
                "meeting_id": mid,
                "data": {},
                "at": real["at"],
            }
        assert SECRET not in str(seen)


def test_events_for_public_items_are_not_redacted(cabinet, agenda):
    member = events(cabinet.api(cabinet.members[1]), agenda["id"])
    assert [e["type"] for e in member] == ["meeting.status"] * 2 + [
        "agenda.changed",
        "redacted",
        "redacted",
        "agenda.changed",
        "agenda.changed",
        "agenda.changed",
    ]
    visible = {e["data"]["agenda_item_id"] for e in member if e["type"] == "agenda.changed"}
    assert visible == {agenda[k]["id"] for k in ("first", "second", "second_child", "third")}


def test_setting_it_current_does_not_reveal_it(cabinet, agenda):
    sec = cabinet.api(cabinet.secretariat)
    mid = agenda["id"]
    ok(sec.post(f"/meetings/{mid}/current", json={"agenda_item_id": agenda["secret"]["id"]}))
    for person in hidden_from(cabinet):
        api = cabinet.api(person)
        seen = ok(api.get(f"/meetings/{mid}"))
        # They learn that a confidential item is under way (their tablet stops showing the last one), not which.
        assert seen["current_agenda_item_id"] is None and seen["current_agenda_item_hidden"] is True
        listed = next(m for m in ok(api.get("/meetings")) if m["id"] == mid)
        assert listed["current_agenda_item_id"] is None
    for person in allowed(cabinet):
        seen = ok(cabinet.api(person).get(f"/meetings/{mid}"))
        assert seen["current_agenda_item_id"] == agenda["secret"]["id"]
        assert seen["current_agenda_item_hidden"] is False
    ok(sec.post(f"/meetings/{mid}/current", json={"agenda_item_id": agenda["second"]["id"]}))
    member = ok(cabinet.api(cabinet.members[1]).get(f"/meetings/{mid}"))
    assert member["current_agenda_item_id"] == agenda["second"]["id"]
    assert member["current_agenda_item_hidden"] is False


def test_the_chair_may_set_it_current_but_a_member_cannot_guess_it(cabinet, agenda):
    mid = agenda["id"]
    ok(
        cabinet.api(cabinet.chair).post(
            f"/meetings/{mid}/current", json={"agenda_item_id": agenda["secret"]["id"]}
        )
    )
    assert_error(
        cabinet.api(cabinet.members[1]).post(
            f"/meetings/{mid}/current", json={"agenda_item_id": agenda["secret"]["id"]}
        ),
        403,
    )


def test_deleted_confidential_item_stays_redacted_in_the_event_history(cabinet, agenda):
    sec = cabinet.api(cabinet.secretariat)
    mid = agenda["id"]
    ok(sec.post(f"/meetings/{mid}/current", json={"agenda_item_id": agenda["secret_child"]["id"]}))
    assert sec.delete(f"/agenda/{agenda['secret']['id']}").status_code == 204
    full = events(sec, mid)
    assert [e["seq"] for e in full] == list(range(1, len(full) + 1))
    assert full[-1]["type"] == "agenda.changed" and full[-1]["data"]["action"] == "deleted"
    assert events(cabinet.api(cabinet.chair), mid) == full
    for person in hidden_from(cabinet):
        seen = events(cabinet.api(person), mid)
        assert [e["seq"] for e in seen] == [e["seq"] for e in full]
        assert [e["type"] for e in seen[-2:]] == ["redacted", "redacted"]
        assert SECRET not in str(seen)
    # After the deletion, the remaining agenda is numbered the same for everyone.
    numbers = [(i["number"], i["title"]) for i in ok(sec.get(f"/meetings/{mid}/agenda"))]
    member = cabinet.api(cabinet.members[1])
    assert numbers == [(i["number"], i["title"]) for i in ok(member.get(f"/meetings/{mid}/agenda"))]
    assert numbers[-1] == ("3", "Các vấn đề khác")


def test_others_cannot_touch_it_either(cabinet, agenda):
    """Even refusals must not tell a member that the item exists: 404, not 403."""
    member = cabinet.api(cabinet.members[1])
    secret = agenda["secret"]["id"]
    assert_error(member.patch(f"/agenda/{secret}", json={"title": "X"}), 404)
    assert_error(member.delete(f"/agenda/{secret}"), 404)
    assert_error(member.patch(f"/agenda/{agenda['first']['id']}", json={"title": "X"}), 403)
    assert ok(cabinet.api(cabinet.secretariat).get(f"/agenda/{secret}"))["title"] == SECRET
