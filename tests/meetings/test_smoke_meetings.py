from tests.helpers import assert_error


def test_secretariat_builds_and_runs_a_meeting(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    item = cabinet.item(meeting["id"])
    sub = cabinet.item(meeting["id"], "Tiểu mục", parent_id=item["id"])
    assert sub["number"] == "1.1"
    r = sec.get(f"/meetings/{meeting['id']}")
    assert [i["title"] for i in r.get_json()["agenda"]] == ["Dự án Luật Đất đai (sửa đổi)", "Tiểu mục"]
    member = cabinet.api(cabinet.members[0])
    assert_error(member.get(f"/meetings/{meeting['id']}"), 404)
    assert sec.post(f"/meetings/{meeting['id']}/publish").status_code == 200
    r = member.post(f"/meetings/{meeting['id']}/attendance")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["present"] == 1
    events = sec.get(f"/meetings/{meeting['id']}/events?after=0").get_json()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
