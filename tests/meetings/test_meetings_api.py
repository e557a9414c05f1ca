"""Preparing and running a meeting through the API: the meeting, its agenda, current item, attendance."""

from tests.helpers import assert_error, audit_entries, events, ok, stored_events

STARTS = "2026-11-25T09:00:00+07:00"


def meeting_body(cabinet, **overrides):
    body = {
        "title": "Phiên họp Chính phủ chuyên đề về xây dựng pháp luật",
        "starts_at": STARTS,
        "location": "Nhà Quốc hội, Hà Nội",
        "chair_id": cabinet.chair.id,
        "participants": [u.id for u in cabinet.participants],
    }
    body.update(overrides)
    return body


def meeting_count(cabinet) -> int:
    return len(ok(cabinet.api(cabinet.secretariat).get("/meetings")))


def titles(agenda):
    return [i["title"] for i in agenda]


# --- creating --------------------------------------------------------------------------------


def test_secretariat_creates_a_draft_meeting(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = ok(sec.post("/meetings", json=meeting_body(cabinet)), 201)
    assert isinstance(meeting["id"], int)
    assert meeting["status"] == "draft"
    assert meeting["title"] == "Phiên họp Chính phủ chuyên đề về xây dựng pháp luật"
    assert meeting["location"] == "Nhà Quốc hội, Hà Nội"
    assert meeting["starts_at"] in ("2026-11-25T02:00:00Z", "2026-11-25T02:00:00+00:00", STARTS)
    assert meeting["chair_id"] == cabinet.chair.id
    assert sorted(p["user_id"] for p in meeting["participants"]) == sorted(u.id for u in cabinet.participants)
    assert meeting["agenda"] == []
    assert meeting["current_agenda_item_id"] is None
    fetched = ok(sec.get(f"/meetings/{meeting['id']}"))
    assert fetched["title"] == meeting["title"] and fetched["status"] == "draft"
    assert [m["id"] for m in ok(sec.get("/meetings"))] == [meeting["id"]]


def test_minimal_meeting_needs_only_title_and_start(cabinet):
    meeting = ok(
        cabinet.api(cabinet.secretariat).post("/meetings", json={"title": "Họp", "starts_at": STARTS}), 201
    )
    assert meeting["location"] is None and meeting["chair_id"] is None and meeting["participants"] == []


def test_the_chair_is_always_a_participant(cabinet):
    body = meeting_body(cabinet, participants=[m.id for m in cabinet.members])
    meeting = ok(cabinet.api(cabinet.secretariat).post("/meetings", json=body), 201)
    assert cabinet.chair.id in [p["user_id"] for p in meeting["participants"]]
    ok(cabinet.api(cabinet.secretariat).post(f"/meetings/{meeting['id']}/publish"))
    chair = cabinet.api(cabinet.chair)
    assert meeting["id"] in [m["id"] for m in ok(chair.get("/meetings"))]
    assert ok(chair.post(f"/meetings/{meeting['id']}/attendance"))["present"] == 1


def test_only_the_secretariat_creates_meetings(cabinet):
    for who in (
        cabinet.admin,
        cabinet.clerk,
        cabinet.chair,
        cabinet.members[0],
        cabinet.observer,
        cabinet.outsider,
    ):
        assert_error(cabinet.api(who).post("/meetings", json=meeting_body(cabinet)), 403)
    assert meeting_count(cabinet) == 0


def _bad_bodies(cabinet):
    return {
        "missing title": meeting_body(cabinet, title=None),
        "no title key": {k: v for k, v in meeting_body(cabinet).items() if k != "title"},
        "blank title": meeting_body(cabinet, title="   "),
        "no starts_at": {k: v for k, v in meeting_body(cabinet).items() if k != "starts_at"},
        "time without offset": meeting_body(cabinet, starts_at="2026-11-25T09:00:00"),
        "date only": meeting_body(cabinet, starts_at="2026-11-25"),
        "not ISO": meeting_body(cabinet, starts_at="25/11/2026 09:00"),
        "words": meeting_body(cabinet, starts_at="sáng thứ Tư"),
        "number time": meeting_body(cabinet, starts_at=1795572000),
        "impossible date": meeting_body(cabinet, starts_at="2026-02-30T09:00:00+07:00"),
        "ends before start": meeting_body(cabinet, ends_at="2026-11-25T08:00:00+07:00"),
        "unknown participant": meeting_body(cabinet, participants=[cabinet.members[0].id, 999999]),
        "participants as string": meeting_body(cabinet, participants="1"),
        "participant as string": meeting_body(cabinet, participants=[str(cabinet.members[0].id)]),
        "participant zero": meeting_body(cabinet, participants=[0]),
        "participants null item": meeting_body(cabinet, participants=[None]),
        "chair not a member": meeting_body(cabinet, chair_id=cabinet.observer.id),
        "chair is secretariat": meeting_body(cabinet, chair_id=cabinet.secretariat.id),
        "unknown chair": meeting_body(cabinet, chair_id=999999),
        "chair as string": meeting_body(cabinet, chair_id=str(cabinet.chair.id)),
        "title as number": meeting_body(cabinet, title=42),
        "location as list": meeting_body(cabinet, location=["Hà Nội"]),
        "unknown kind": meeting_body(cabinet, kind="secret"),
        "quorum above one": meeting_body(cabinet, quorum_numerator=4, quorum_denominator=3),
        "quorum zero": meeting_body(cabinet, quorum_numerator=0),
        "quorum as string": meeting_body(cabinet, quorum_numerator="2"),
        "participant id beyond any column": meeting_body(cabinet, participants=[2**64]),
        "participant id beyond 32 bits": meeting_body(cabinet, participants=[2**31]),
        "chair id beyond any column": meeting_body(cabinet, chair_id=2**63),
        "NUL in title": meeting_body(cabinet, title="Họp\u0000"),
        "NUL in location": meeting_body(cabinet, location="Hà Nội\u0000"),
        "time past year 9999 in UTC": meeting_body(cabinet, starts_at="9999-12-31T23:59:59-14:00"),
        "time before year 1 in UTC": meeting_body(cabinet, starts_at="0001-01-01T00:00:00+07:00"),
    }


def test_bad_meeting_bodies_are_400_and_write_nothing(app, cabinet, subtests):
    sec = cabinet.api(cabinet.secretariat)
    audit_before = audit_entries(app)
    for case, body in _bad_bodies(cabinet).items():
        with subtests.test(case):
            assert_error(sec.post("/meetings", json=body), 400)
            assert meeting_count(cabinet) == 0
    assert audit_entries(app) == audit_before


UNREADABLE = {
    "malformed": {"data": "{", "content_type": "application/json"},
    "empty": {"data": "", "content_type": "application/json"},
    "array": {"json": []},
    "string": {"json": "meeting"},
    "null": {"json": None, "data": "null", "content_type": "application/json"},
    "form": {"data": "title=x", "content_type": "application/x-www-form-urlencoded"},
}


def test_unreadable_bodies_are_400(cabinet, subtests):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("published")
    for case, kw in UNREADABLE.items():
        kw = {k: v for k, v in kw.items() if v is not None}
        for path in ("/meetings", f"/meetings/{meeting['id']}", f"/meetings/{meeting['id']}/agenda"):
            with subtests.test(case, path=path):
                method = "PATCH" if path == f"/meetings/{meeting['id']}" else "POST"
                response = sec.client.open(f"/api/v1{path}", method=method, headers=sec._headers(), **kw)
                assert_error(response, 400)
    assert meeting_count(cabinet) == 1
    assert ok(sec.get(f"/meetings/{meeting['id']}/agenda")) == []


def test_offsets_are_kept_as_the_same_instant(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    a = ok(sec.post("/meetings", json=meeting_body(cabinet, starts_at="2026-11-25T09:00:00+07:00")), 201)
    b = ok(sec.post("/meetings", json=meeting_body(cabinet, starts_at="2026-11-25T02:00:00Z")), 201)
    assert a["starts_at"] == b["starts_at"]
    assert a["starts_at"].endswith("Z") or a["starts_at"][-6] in "+-"


# --- state -----------------------------------------------------------------------------------

ACTIONS = {"publish": "published", "start": "in_progress", "close": "closed"}
ALLOWED = {("draft", "publish"), ("published", "start"), ("in_progress", "close")}


def test_state_machine_walks_draft_to_closed(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    for action, status in ACTIONS.items():
        answer = ok(sec.post(f"/meetings/{meeting['id']}/{action}"))
        assert answer["status"] == status
        assert ok(sec.get(f"/meetings/{meeting['id']}"))["status"] == status


def test_every_wrong_step_is_409(cabinet, subtests):
    sec = cabinet.api(cabinet.secretariat)
    for status in ("draft", "published", "in_progress", "closed"):
        meeting = cabinet.meeting(status)
        for action in ACTIONS:
            if (status, action) in ALLOWED:
                continue
            with subtests.test(status=status, action=action):
                assert_error(sec.post(f"/meetings/{meeting['id']}/{action}"), 409, "wrong_meeting_state")
                assert ok(sec.get(f"/meetings/{meeting['id']}"))["status"] == status


def test_only_the_secretariat_changes_state_and_the_chair_opens_and_closes_the_session(cabinet):
    meeting = cabinet.meeting("published")
    assert_error(cabinet.api(cabinet.admin).post(f"/meetings/{meeting['id']}/start"), 404)
    assert_error(cabinet.api(cabinet.outsider).post(f"/meetings/{meeting['id']}/start"), 404)
    for who in (cabinet.clerk, cabinet.members[0], cabinet.observer):
        assert_error(cabinet.api(who).post(f"/meetings/{meeting['id']}/start"), 403)
    assert ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["status"] == "published"
    # Running the session is the chair's as well as the secretariat's; preparing it is not.
    assert ok(cabinet.api(cabinet.chair).post(f"/meetings/{meeting['id']}/start"))["status"] == "in_progress"
    assert ok(cabinet.api(cabinet.chair).post(f"/meetings/{meeting['id']}/close"))["status"] == "closed"
    draft = cabinet.meeting("draft")
    assert_error(cabinet.api(cabinet.chair).post(f"/meetings/{draft['id']}/publish"), 404)


def test_state_change_of_unknown_meeting_is_404(cabinet):
    assert_error(cabinet.api(cabinet.secretariat).post("/meetings/999999/publish"), 404)


# --- who sees what ---------------------------------------------------------------------------


def test_members_see_only_published_meetings_they_take_part_in(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    draft = cabinet.meeting("draft")
    published = cabinet.meeting("published")
    running = cabinet.meeting("in_progress")
    closed = cabinet.meeting("closed")
    without_me = cabinet.meeting("published", participants=[cabinet.members[1].id])
    member = cabinet.api(cabinet.members[0])
    seen = [m["id"] for m in ok(member.get("/meetings"))]
    assert sorted(seen) == sorted([published["id"], running["id"], closed["id"]])
    assert_error(member.get(f"/meetings/{draft['id']}"), 404)
    assert_error(member.get(f"/meetings/{without_me['id']}"), 404)
    assert ok(member.get(f"/meetings/{published['id']}"))["id"] == published["id"]
    assert len(ok(sec.get("/meetings"))) == 5


def test_outsider_sees_nothing(cabinet):
    meeting = cabinet.meeting("in_progress")
    outsider = cabinet.api(cabinet.outsider)
    assert ok(outsider.get("/meetings")) == []
    assert_error(outsider.get(f"/meetings/{meeting['id']}"), 404)
    assert_error(outsider.get(f"/meetings/{meeting['id']}/agenda"), 404)
    assert_error(outsider.get(f"/meetings/{meeting['id']}/events"), 404)
    assert_error(outsider.post(f"/meetings/{meeting['id']}/attendance"), 404)


def test_observer_sees_the_meeting_it_is_invited_to(cabinet):
    meeting = cabinet.meeting("published")
    observer = cabinet.api(cabinet.observer)
    assert [m["id"] for m in ok(observer.get("/meetings"))] == [meeting["id"]]
    assert ok(observer.get(f"/meetings/{meeting['id']}"))["id"] == meeting["id"]


def test_unknown_meeting_is_404(cabinet):
    assert_error(cabinet.api(cabinet.secretariat).get("/meetings/999999"), 404)


def test_ids_too_large_for_the_database_are_404(cabinet, subtests):
    sec = cabinet.api(cabinet.secretariat)
    for huge in (2**31, 2**63, 10**30):
        for method, path in (
            ("GET", f"/meetings/{huge}"),
            ("GET", f"/meetings/{huge}/agenda"),
            ("GET", f"/meetings/{huge}/events"),
            ("POST", f"/meetings/{huge}/publish"),
            ("GET", f"/agenda/{huge}"),
            ("DELETE", f"/agenda/{huge}"),
            ("GET", f"/users/{huge}"),
        ):
            with subtests.test(method=method, path=path):
                assert_error(sec.call(method, path), 404)


def test_meetings_list_is_by_start_time(cabinet):
    later = cabinet.meeting("draft", starts_at="2026-12-30T08:00:00+07:00")
    earlier = cabinet.meeting("draft", starts_at="2026-10-01T08:00:00+07:00")
    ids = [m["id"] for m in ok(cabinet.api(cabinet.secretariat).get("/meetings"))]
    assert ids == [earlier["id"], later["id"]]


# --- changing --------------------------------------------------------------------------------


def test_patch_changes_the_given_fields_only(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    changed = ok(
        sec.patch(
            f"/meetings/{meeting['id']}",
            json={"title": "Phiên họp Chính phủ thường kỳ tháng 12", "location": "Phòng Đông Á"},
        )
    )
    assert changed["title"] == "Phiên họp Chính phủ thường kỳ tháng 12"
    assert changed["location"] == "Phòng Đông Á"
    assert changed["starts_at"] == meeting["starts_at"]
    assert changed["chair_id"] == meeting["chair_id"]
    again = ok(sec.get(f"/meetings/{meeting['id']}"))
    assert again["title"] == changed["title"] and again["location"] == "Phòng Đông Á"
    moved = ok(sec.patch(f"/meetings/{meeting['id']}", json={"starts_at": "2026-12-01T14:00:00+07:00"}))
    assert moved["starts_at"] != meeting["starts_at"]
    assert moved["title"] == changed["title"]


def test_patch_participants_and_chair(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("published")
    first, second, third = cabinet.members
    changed = ok(
        sec.patch(f"/meetings/{meeting['id']}", json={"chair_id": second.id, "participants": [first.id]})
    )
    assert changed["chair_id"] == second.id
    assert sorted(p["user_id"] for p in changed["participants"]) == sorted([first.id, second.id])
    assert_error(cabinet.api(third).get(f"/meetings/{meeting['id']}"), 404)
    assert ok(cabinet.api(second).get(f"/meetings/{meeting['id']}"))["can_run"] is True
    assert ok(cabinet.api(cabinet.chair).get("/meetings")) == []


BAD_PATCHES = [
    {"title": ""},
    {"title": 5},
    {"title": None, "location": 3},
    {"starts_at": "2026-11-25T09:00:00"},
    {"starts_at": "ngày mai"},
    {"participants": "1"},
    {"participants": [999999]},
    {"chair_id": "x"},
    {"kind": "secret"},
    {"ends_at": "2020-01-01T00:00:00Z"},
    {"title": "Đổi tên", "chair_id": 0},
    {"quorum_numerator": 4},
]


def test_bad_patches_are_400_and_change_nothing(app, cabinet, subtests):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("published")
    before = ok(sec.get(f"/meetings/{meeting['id']}"))
    audit_before = audit_entries(app)
    for patch in BAD_PATCHES:
        with subtests.test(str(patch)):
            assert_error(sec.patch(f"/meetings/{meeting['id']}", json=patch), 400)
            assert ok(sec.get(f"/meetings/{meeting['id']}")) == before
    assert audit_entries(app) == audit_before
    assert events(sec, meeting["id"], after=1) == []


def test_patch_chair_not_a_member_is_400_and_changes_nothing(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    before = ok(sec.get(f"/meetings/{meeting['id']}"))
    patch = {"title": "Đổi tên", "chair_id": cabinet.observer.id}
    assert_error(sec.patch(f"/meetings/{meeting['id']}", json=patch), 400)
    assert ok(sec.get(f"/meetings/{meeting['id']}")) == before


def test_only_the_secretariat_patches(cabinet):
    meeting = cabinet.meeting("published")
    # Its participants know the meeting is there: 403. The admin takes no part, so for it there is none: 404.
    for who, status in ((cabinet.chair, 403), (cabinet.members[0], 403), (cabinet.admin, 404)):
        assert_error(cabinet.api(who).patch(f"/meetings/{meeting['id']}", json={"title": "Khác"}), status)
    assert ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["title"] == meeting["title"]


def test_closed_meeting_cannot_be_patched(cabinet):
    meeting = cabinet.meeting("closed")
    assert_error(
        cabinet.api(cabinet.secretariat).patch(f"/meetings/{meeting['id']}", json={"title": "X"}), 409
    )


# --- agenda ----------------------------------------------------------------------------------


def test_agenda_items_nest_and_number(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    law = cabinet.item(meeting["id"], "Dự án Luật Đất đai", presenter="Bộ Tài nguyên và Môi trường")
    decree = cabinet.item(meeting["id"], "Nghị định về giá đất", parent_id=law["id"], duration_minutes=30)
    other = cabinet.item(meeting["id"], "Tình hình kinh tế - xã hội")
    assert law["number"] == "1" and decree["number"] == "1.1" and other["number"] == "2"
    assert law["presenter"] == "Bộ Tài nguyên và Môi trường"
    assert decree["parent_id"] == law["id"] and decree["duration_minutes"] == 30
    assert law["documents"] == [] and law["meeting_id"] == meeting["id"]
    agenda = ok(sec.get(f"/meetings/{meeting['id']}"))["agenda"]
    assert [(i["id"], i["number"]) for i in agenda] == [
        (law["id"], "1"),
        (decree["id"], "1.1"),
        (other["id"], "2"),
    ]
    assert all(i["documents"] == [] for i in agenda)
    assert ok(sec.get(f"/meetings/{meeting['id']}/agenda")) == agenda
    assert ok(sec.get(f"/agenda/{decree['id']}"))["title"] == "Nghị định về giá đất"


BAD_ITEMS = [
    {},
    {"title": ""},
    {"title": 1},
    {"title": "X", "parent_id": 999999},
    {"title": "X", "parent_id": "1"},
    {"title": "X", "duration_minutes": "30"},
    {"title": "X", "duration_minutes": -5},
    {"title": "X", "confidential": "yes"},
    {"title": "X", "restricted_to": [999999]},
    {"title": "X", "restricted_to": "1"},
    {"title": "X", "parent_id": 2**64},
    {"title": "X", "restricted_to": [2**40]},
    {"title": "X\u0000"},
    {"title": "X", "presenter": "Bộ\u0000"},
]


def test_bad_agenda_items_are_400(cabinet, subtests):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    for body in BAD_ITEMS:
        with subtests.test(str(body)):
            assert_error(sec.post(f"/meetings/{meeting['id']}/agenda", json=body), 400)
            assert ok(sec.get(f"/meetings/{meeting['id']}/agenda")) == []


def test_parent_from_another_meeting_is_400(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting, other = cabinet.meeting("draft"), cabinet.meeting("draft")
    foreign = cabinet.item(other["id"])
    assert_error(
        sec.post(f"/meetings/{meeting['id']}/agenda", json={"title": "X", "parent_id": foreign["id"]}), 400
    )
    assert ok(sec.get(f"/meetings/{meeting['id']}/agenda")) == []


def test_edit_an_agenda_item(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("published")
    first = cabinet.item(meeting["id"], "Mục một")
    second = cabinet.item(meeting["id"], "Mục hai")
    edited = ok(
        sec.patch(f"/agenda/{second['id']}", json={"title": "Mục hai (sửa)", "presenter": "Bộ Tư pháp"})
    )
    assert edited["title"] == "Mục hai (sửa)" and edited["presenter"] == "Bộ Tư pháp"
    moved = ok(sec.patch(f"/agenda/{second['id']}", json={"parent_id": first["id"]}))
    assert moved["parent_id"] == first["id"] and moved["number"] == "1.1"
    member_view = ok(cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/agenda"))
    assert [(i["title"], i["number"]) for i in member_view] == [("Mục một", "1"), ("Mục hai (sửa)", "1.1")]
    assert_error(sec.patch(f"/agenda/{first['id']}", json={"parent_id": second["id"]}), 400)
    assert_error(sec.patch(f"/agenda/{first['id']}", json={"title": ""}), 400)
    assert_error(sec.patch("/agenda/999999", json={"title": "X"}), 404)


def test_delete_an_item_removes_its_children(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    parent = cabinet.item(meeting["id"], "Cha")
    child = cabinet.item(meeting["id"], "Con", parent_id=parent["id"])
    grandchild = cabinet.item(meeting["id"], "Cháu", parent_id=child["id"])
    keep = cabinet.item(meeting["id"], "Giữ lại")
    response = sec.delete(f"/agenda/{parent['id']}")
    assert response.status_code == 204, response.get_data(as_text=True)
    agenda = ok(sec.get(f"/meetings/{meeting['id']}/agenda"))
    assert [(i["id"], i["number"]) for i in agenda] == [(keep["id"], "1")]
    for gone in (parent, child, grandchild):
        assert_error(sec.get(f"/agenda/{gone['id']}"), 404)
    assert_error(sec.delete(f"/agenda/{parent['id']}"), 404)


def test_members_cannot_edit_the_agenda(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    for who in (cabinet.chair, cabinet.members[0], cabinet.clerk):
        api = cabinet.api(who)
        assert_error(api.post(f"/meetings/{meeting['id']}/agenda", json={"title": "X"}), 403)
        assert_error(api.patch(f"/agenda/{item['id']}", json={"title": "X"}), 403)
        assert_error(api.delete(f"/agenda/{item['id']}"), 403)
        assert_error(api.post(f"/meetings/{meeting['id']}/agenda/order", json={"order": [item["id"]]}), 403)
    outsider = cabinet.api(cabinet.outsider)
    assert_error(outsider.patch(f"/agenda/{item['id']}", json={"title": "X"}), 404)
    assert_error(outsider.delete(f"/agenda/{item['id']}"), 404)
    assert titles(ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}/agenda"))) == [
        item["title"]
    ]


def test_closed_meeting_agenda_cannot_change(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("in_progress")
    a = cabinet.item(meeting["id"], "A")
    b = cabinet.item(meeting["id"], "B")
    ok(sec.post(f"/meetings/{meeting['id']}/close"))
    assert_error(sec.post(f"/meetings/{meeting['id']}/agenda", json={"title": "C"}), 409)
    assert_error(sec.patch(f"/agenda/{a['id']}", json={"title": "A2"}), 409)
    assert_error(sec.delete(f"/agenda/{a['id']}"), 409)
    assert_error(sec.post(f"/meetings/{meeting['id']}/agenda/order", json={"order": [b["id"], a["id"]]}), 409)
    assert titles(ok(sec.get(f"/meetings/{meeting['id']}/agenda"))) == ["A", "B"]


def test_reorder_the_agenda(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("published")
    a, b, c = (cabinet.item(meeting["id"], t) for t in ("A", "B", "C"))
    a1 = cabinet.item(meeting["id"], "A.1", parent_id=a["id"])
    answer = ok(
        sec.post(f"/meetings/{meeting['id']}/agenda/order", json={"order": [c["id"], a["id"], b["id"]]})
    )
    assert [(i["title"], i["number"]) for i in answer] == [("C", "1"), ("A", "2"), ("A.1", "2.1"), ("B", "3")]
    assert titles(ok(sec.get(f"/meetings/{meeting['id']}"))["agenda"]) == ["C", "A", "A.1", "B"]
    member = cabinet.api(cabinet.members[0])
    assert titles(ok(member.get(f"/meetings/{meeting['id']}/agenda"))) == ["C", "A", "A.1", "B"]
    assert a1["parent_id"] == a["id"]
    new = cabinet.item(meeting["id"], "D")
    assert new["number"] == "4"


def test_bad_orders_are_400_and_change_nothing(cabinet, subtests):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    a, b, c = (cabinet.item(meeting["id"], t) for t in ("A", "B", "C"))
    child = cabinet.item(meeting["id"], "A.1", parent_id=a["id"])
    foreign = cabinet.item(cabinet.meeting("draft")["id"], "Z")
    bodies = {
        "missing": {"order": [c["id"], a["id"]]},
        "duplicate": {"order": [c["id"], a["id"], b["id"], a["id"]]},
        "duplicate instead of one": {"order": [c["id"], a["id"], a["id"]]},
        "foreign": {"order": [c["id"], a["id"], b["id"], foreign["id"]]},
        "foreign instead of one": {"order": [c["id"], a["id"], foreign["id"]]},
        "child": {"order": [c["id"], a["id"], b["id"], child["id"]]},
        "unknown": {"order": [c["id"], a["id"], b["id"], 999999]},
        "empty": {"order": []},
        "no key": {},
        "null": {"order": None},
        "strings": {"order": [str(c["id"]), str(a["id"]), str(b["id"])]},
        "not a list": {"order": c["id"]},
    }
    for case, body in bodies.items():
        with subtests.test(case):
            assert_error(sec.post(f"/meetings/{meeting['id']}/agenda/order", json=body), 400)
            assert titles(ok(sec.get(f"/meetings/{meeting['id']}/agenda"))) == ["A", "A.1", "B", "C"]


# --- current item ----------------------------------------------------------------------------


def test_secretariat_and_chair_set_the_current_item(cabinet):
    meeting = cabinet.meeting("in_progress")
    a = cabinet.item(meeting["id"], "A")
    b = cabinet.item(meeting["id"], "B")
    answer = ok(
        cabinet.api(cabinet.secretariat).post(
            f"/meetings/{meeting['id']}/current", json={"agenda_item_id": a["id"]}
        )
    )
    assert answer["id"] == a["id"] and answer["title"] == "A"
    member = cabinet.api(cabinet.members[0])
    assert ok(member.get(f"/meetings/{meeting['id']}"))["current_agenda_item_id"] == a["id"]
    ok(
        cabinet.api(cabinet.chair).post(
            f"/meetings/{meeting['id']}/current", json={"agenda_item_id": b["id"]}
        )
    )
    assert ok(member.get(f"/meetings/{meeting['id']}"))["current_agenda_item_id"] == b["id"]
    assert b["id"] in [m["current_agenda_item_id"] for m in ok(member.get("/meetings"))]


def test_current_item_works_once_published(cabinet):
    meeting = cabinet.meeting("published")
    a = cabinet.item(meeting["id"], "A")
    ok(
        cabinet.api(cabinet.chair).post(
            f"/meetings/{meeting['id']}/current", json={"agenda_item_id": a["id"]}
        )
    )


def test_members_cannot_set_the_current_item(cabinet):
    meeting = cabinet.meeting("in_progress")
    a = cabinet.item(meeting["id"], "A")
    for who in (cabinet.members[0], cabinet.observer, cabinet.clerk):
        assert_error(
            cabinet.api(who).post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": a["id"]}), 403
        )
    assert_error(
        cabinet.api(cabinet.outsider).post(
            f"/meetings/{meeting['id']}/current", json={"agenda_item_id": a["id"]}
        ),
        404,
    )
    assert (
        ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["current_agenda_item_id"]
        is None
    )


def test_current_item_from_another_meeting_is_refused(cabinet):
    meeting = cabinet.meeting("in_progress")
    other = cabinet.meeting("in_progress")
    foreign = cabinet.item(other["id"], "Z")
    for body in ({"agenda_item_id": foreign["id"]}, {"agenda_item_id": 999999}):
        # The meeting is there; the body names an item that is not one of its own: invalid input.
        response = cabinet.api(cabinet.secretariat).post(f"/meetings/{meeting['id']}/current", json=body)
        assert_error(response, 400, "unknown_item")
    for body in ({}, {"agenda_item_id": "1"}, {"agenda_item_id": None}, {"agenda_item_id": 2**64}):
        assert_error(
            cabinet.api(cabinet.secretariat).post(f"/meetings/{meeting['id']}/current", json=body), 400
        )
    assert (
        ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["current_agenda_item_id"]
        is None
    )


def test_current_item_outside_the_session_is_409(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    a = cabinet.item(meeting["id"], "A")
    assert_error(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": a["id"]}), 409)
    for action in ("publish", "start", "close"):
        ok(sec.post(f"/meetings/{meeting['id']}/{action}"))
    assert_error(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": a["id"]}), 409)
    assert_error(
        cabinet.api(cabinet.chair).post(
            f"/meetings/{meeting['id']}/current", json={"agenda_item_id": a["id"]}
        ),
        409,
    )
    assert ok(sec.get(f"/meetings/{meeting['id']}"))["current_agenda_item_id"] is None


def test_deleting_the_current_item_clears_it(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("in_progress")
    a = cabinet.item(meeting["id"], "A")
    a1 = cabinet.item(meeting["id"], "A.1", parent_id=a["id"])
    ok(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": a1["id"]}))
    assert sec.delete(f"/agenda/{a['id']}").status_code == 204
    assert ok(sec.get(f"/meetings/{meeting['id']}"))["current_agenda_item_id"] is None


# --- attendance ------------------------------------------------------------------------------


def test_check_in_answers_present_and_quorum(cabinet):
    meeting = cabinet.meeting("in_progress")
    answer = ok(cabinet.api(cabinet.members[0]).post(f"/meetings/{meeting['id']}/attendance"))
    assert {"present", "quorum"} <= set(answer)
    assert answer["present"] == 1 and answer["quorum"] is False
    participants = ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["participants"]
    me = next(p for p in participants if p["user_id"] == cabinet.members[0].id)
    assert me["present"] is True and me["checked_in_at"]


def test_check_in_is_idempotent(cabinet, app):
    meeting = cabinet.meeting("in_progress")
    member = cabinet.api(cabinet.members[0])
    first = ok(member.post(f"/meetings/{meeting['id']}/attendance"))
    events_before = stored_events(app)
    second = ok(member.post(f"/meetings/{meeting['id']}/attendance"))
    assert first == second
    assert stored_events(app) == events_before
    assert ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["present"] == 1


def test_only_participants_check_in(cabinet):
    meeting = cabinet.meeting("in_progress", participants=[cabinet.members[0].id])
    # The secretariat and the clerk see the meeting but take no part (403); members who take no part do
    # not see it at all (404).
    for who, status in (
        (cabinet.secretariat, 403),
        (cabinet.clerk, 403),
        (cabinet.outsider, 404),
        (cabinet.members[1], 404),
    ):
        assert_error(cabinet.api(who).post(f"/meetings/{meeting['id']}/attendance"), status)
    assert ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["present"] == 0


def test_no_check_in_outside_the_session(cabinet):
    member = cabinet.api(cabinet.members[0])
    draft, closed = cabinet.meeting("draft"), cabinet.meeting("closed")
    assert_error(member.post(f"/meetings/{draft['id']}/attendance"), 404)
    assert_error(member.post(f"/meetings/{closed['id']}/attendance"), 409)


def test_quorum_is_two_thirds_of_member_participants_rounded_up(cabinet):
    # Four members take part (the chair and three ministers) and one observer: quorum needs ⌈8/3⌉ = 3.
    # The chair counts as present while chairing, checked in or not.
    meeting = cabinet.meeting("in_progress")
    path = f"/meetings/{meeting['id']}/attendance"
    assert ok(cabinet.api(cabinet.observer).post(path))["quorum"] is False
    answer = ok(cabinet.api(cabinet.members[0]).post(path))
    assert answer["present"] == 2 and answer["quorum"] is False  # the observer does not count
    assert ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["attendance"] == {
        "present": 2,
        "members": 4,
        "members_present": 2,
        "required": 3,
        "quorum": False,
    }
    assert ok(cabinet.api(cabinet.members[1]).post(path))["quorum"] is True
    assert ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["quorum"] is True


def test_the_chair_counts_only_once_the_session_is_open(cabinet):
    meeting = cabinet.meeting("published", participants=[cabinet.members[0].id])
    sec = cabinet.api(cabinet.secretariat)
    assert ok(sec.get(f"/meetings/{meeting['id']}"))["attendance"]["members_present"] == 0
    ok(cabinet.api(cabinet.members[0]).post(f"/meetings/{meeting['id']}/attendance"))
    started = ok(sec.post(f"/meetings/{meeting['id']}/start"))
    assert started["attendance"]["members_present"] == 2 and started["quorum"] is True
    assert started["quorum_at_start"] == {"quorum": True, "members_present": 2, "members": 2, "required": 2}


def test_quorum_fraction_is_configurable(cabinet, make_user, subtests):
    extra = [make_user("member"), make_user("member")]
    everyone = [cabinet.chair, *cabinet.members, *extra]
    cases = [(3, (2, 3), 2), (6, (2, 3), 4), (5, (2, 3), 4), (4, (1, 2), 2), (5, (1, 2), 3), (3, (1, 1), 3)]
    for members, fraction, needed in cases:
        with subtests.test(members=members, fraction=fraction):
            people = everyone[:members]
            numerator, denominator = fraction
            meeting = cabinet.meeting(
                "in_progress",
                participants=[p.id for p in people],
                quorum_numerator=numerator,
                quorum_denominator=denominator,
            )
            assert (meeting["quorum_numerator"], meeting["quorum_denominator"]) == fraction
            for count, person in enumerate(people, start=1):
                answer = ok(cabinet.api(person).post(f"/meetings/{meeting['id']}/attendance"))
                assert answer["quorum"] is (count >= needed), (count, answer)


def test_quorum_fraction_can_be_patched(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("in_progress")
    path = f"/meetings/{meeting['id']}/attendance"
    # The chair and one minister: 2 of 4 members, short of two thirds, enough for a half.
    assert ok(cabinet.api(cabinet.members[0]).post(path))["quorum"] is False
    changed = ok(
        sec.patch(f"/meetings/{meeting['id']}", json={"quorum_numerator": 1, "quorum_denominator": 2})
    )
    assert changed["quorum"] is True
    assert_error(sec.patch(f"/meetings/{meeting['id']}", json={"quorum_numerator": 3}), 400)
