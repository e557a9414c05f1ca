"""The stored live events a tablet catches up with, and the append-only audit log."""

import json

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from ecabinet.audit.models import AuditEntry
from ecabinet.errors import Conflict
from ecabinet.extensions import db
from ecabinet.meetings import serialize
from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error, audit_entries, events, ok, stored_events

# --- live events -----------------------------------------------------------------------------


def run_a_meeting(cabinet) -> dict:
    """A meeting taken through every kind of event built so far; returns its ids."""
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    mid = meeting["id"]
    a = cabinet.item(mid, "Mục một")  # draft: stored like any other change
    ok(sec.post(f"/meetings/{mid}/publish"))
    b = cabinet.item(mid, "Mục hai")
    ok(sec.post(f"/meetings/{mid}/start"))
    ok(cabinet.api(cabinet.members[0]).post(f"/meetings/{mid}/attendance"))
    ok(cabinet.api(cabinet.chair).post(f"/meetings/{mid}/current", json={"agenda_item_id": a["id"]}))
    ok(sec.patch(f"/agenda/{b['id']}", json={"title": "Mục hai (sửa)"}))
    ok(sec.post(f"/meetings/{mid}/agenda/order", json={"order": [b["id"], a["id"]]}))
    ok(cabinet.api(cabinet.members[1]).post(f"/meetings/{mid}/attendance"))
    ok(sec.post(f"/meetings/{mid}/close"))
    return {"id": mid, "a": a["id"], "b": b["id"]}


EXPECTED_TYPES = [
    "agenda.changed",
    "meeting.status",
    "agenda.changed",
    "meeting.status",
    "attendance.changed",
    "agenda.current",
    "agenda.changed",
    "agenda.changed",
    "attendance.changed",
    "meeting.status",
]


def test_events_are_stored_in_order_without_gaps(cabinet):
    ids = run_a_meeting(cabinet)
    seen = events(cabinet.api(cabinet.secretariat), ids["id"])
    assert [e["seq"] for e in seen] == list(range(1, len(EXPECTED_TYPES) + 1))
    assert [e["type"] for e in seen] == EXPECTED_TYPES
    for event in seen:
        assert set(event) == {"seq", "type", "meeting_id", "data", "at"}
        assert event["meeting_id"] == ids["id"]
        assert event["at"].endswith("Z") or event["at"][-6] in "+-"
    assert [e["data"]["status"] for e in seen if e["type"] == "meeting.status"] == [
        "published",
        "in_progress",
        "closed",
    ]
    current = next(e for e in seen if e["type"] == "agenda.current")
    assert current["data"]["agenda_item_id"] == ids["a"]
    attendance = [e["data"] for e in seen if e["type"] == "attendance.changed"]
    # Two ministers checked in, and the chair runs the session: 3 of the 4 members reach the quorum of 3.
    assert [(d["present"], d["members_present"], d["quorum"]) for d in attendance] == [
        (1, 2, False),
        (2, 3, True),
    ]
    assert [e["at"] for e in seen] == sorted(e["at"] for e in seen)


def test_participants_read_the_same_events(cabinet):
    ids = run_a_meeting(cabinet)
    full = events(cabinet.api(cabinet.secretariat), ids["id"])
    for person in (cabinet.chair, cabinet.members[2], cabinet.observer):
        assert events(cabinet.api(person), ids["id"]) == full
    assert_error(cabinet.api(cabinet.outsider).get(f"/meetings/{ids['id']}/events"), 404)


def test_each_meeting_counts_its_own_events(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    first, second = cabinet.meeting("draft"), cabinet.meeting("draft")
    for n in range(3):
        cabinet.item(first["id"], f"A{n}")
        cabinet.item(second["id"], f"B{n}")
    ok(sec.post(f"/meetings/{second['id']}/publish"))
    assert [e["seq"] for e in events(sec, first["id"])] == [1, 2, 3]
    assert [e["seq"] for e in events(sec, second["id"])] == [1, 2, 3, 4]


def test_after_returns_only_what_was_missed(cabinet):
    ids = run_a_meeting(cabinet)
    sec = cabinet.api(cabinet.secretariat)
    full = events(sec, ids["id"])
    assert events(sec, ids["id"], after=0) == full
    assert events(sec, ids["id"], after=4) == full[4:]
    assert events(sec, ids["id"], after=len(full) - 1) == full[-1:]
    assert events(sec, ids["id"], after=len(full)) == []
    assert events(sec, ids["id"], after=len(full) + 100) == []
    assert ok(sec.get(f"/meetings/{ids['id']}/events")) == full  # no `after`: from the start


def test_bad_after_is_400(cabinet, subtests):
    meeting = cabinet.meeting("published")
    sec = cabinet.api(cabinet.secretariat)
    for after in ("abc", "-1", "1.5", "1e3", "+2", " 2", "0x10", "%00", "²", "２", "٣", "9" * 400):
        with subtests.test(after=after):
            assert_error(sec.get(f"/meetings/{meeting['id']}/events?after={after}"), 400)
    for limit in ("0", "-5", "x", "²"):
        with subtests.test(limit=limit):
            assert_error(sec.get(f"/meetings/{meeting['id']}/events?limit={limit}"), 400)


def test_events_of_a_draft_are_not_for_members(cabinet):
    meeting = cabinet.meeting("draft")
    cabinet.item(meeting["id"])
    assert_error(cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/events"), 404)
    assert_error(cabinet.api(cabinet.secretariat).get("/meetings/999999/events"), 404)


def test_a_failed_request_adds_no_event_and_no_audit_entry(app, cabinet, monkeypatch):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("draft")
    mid = meeting["id"]
    cabinet.item(mid, "Mục một")
    events_before, audit_before = stored_events(app), audit_entries(app)

    # The service has done its work (status changed, audit entry and event queued) when the answer fails.
    def refuse(*_args, **_kw):
        raise Conflict("refused after the change was made")

    monkeypatch.setattr(serialize, "meeting", refuse)
    assert_error(sec.post(f"/meetings/{mid}/publish"), 409)
    monkeypatch.undo()

    assert stored_events(app) == events_before
    assert audit_entries(app) == audit_before
    assert ok(sec.get(f"/meetings/{mid}"))["status"] == "draft"
    # The next change takes the next number: nothing was skipped.
    ok(sec.post(f"/meetings/{mid}/publish"))
    assert [e["seq"] for e in events(sec, mid)] == [1, 2]
    assert [e["seq"] for e in audit_entries(app)] == list(range(1, len(audit_before) + 2))


def test_a_crashing_request_adds_no_event_and_no_audit_entry(app, cabinet, monkeypatch):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Mục một")
    events_before, audit_before = stored_events(app), audit_entries(app)

    def crash(*_args, **_kw):
        raise RuntimeError("the serializer fell over")

    monkeypatch.setattr(serialize, "item", crash)
    with pytest.raises(RuntimeError):  # the test app propagates what would be a 500
        sec.patch(f"/agenda/{item['id']}", json={"title": "Đã đổi"})
    monkeypatch.undo()

    assert stored_events(app) == events_before
    assert audit_entries(app) == audit_before
    assert ok(sec.get(f"/agenda/{item['id']}"))["title"] == "Mục một"


def test_refused_requests_leave_no_trace(app, cabinet):
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("in_progress")
    item = cabinet.item(meeting["id"], "Mục một")
    member, admin = cabinet.api(cabinet.members[0]), cabinet.api(cabinet.admin)
    events_before, audit_before = stored_events(app), audit_entries(app)
    assert_error(member.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": item["id"]}), 403)
    assert_error(sec.post(f"/meetings/{meeting['id']}/publish"), 409)
    assert_error(sec.patch(f"/agenda/{item['id']}", json={"title": "Đổi", "parent_id": item["id"]}), 400)
    assert_error(sec.patch(f"/meetings/{meeting['id']}", json={"title": "Đổi", "chair_id": 999999}), 400)
    assert_error(sec.post(f"/meetings/{meeting['id']}/agenda/order", json={"order": []}), 400)
    assert_error(admin.patch(f"/users/{cabinet.admin.id}", json={"password": "x" * 12, "active": False}), 409)
    assert stored_events(app) == events_before
    assert audit_entries(app) == audit_before
    assert ok(sec.get(f"/agenda/{item['id']}"))["title"] == "Mục một"


# --- audit log -------------------------------------------------------------------------------


def verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def fill_the_log(cabinet) -> None:
    run_a_meeting(cabinet)


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def without_append_only_guard(app, statement) -> None:
    """Tamper with the log the way someone with database access could, guard off for that one statement."""
    with app.app_context():
        if is_postgres():
            db.session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change"))
        else:
            db.session.execute(text("DROP TRIGGER audit_entries_no_update"))
            db.session.execute(text("DROP TRIGGER audit_entries_no_delete"))
        try:
            db.session.execute(statement)
        finally:
            if is_postgres():  # the schema outlives this test on PostgreSQL
                db.session.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_change"))
        db.session.commit()


def test_verify_passes_on_an_intact_log(app, cabinet):
    fill_the_log(cabinet)
    count = len(audit_entries(app))
    assert count > 20
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert str(count) in result.output


def test_verify_passes_on_an_empty_log(app):
    result = verify(app)
    assert result.exit_code == 0, result.output


def test_verify_names_an_altered_entry(app, cabinet):
    fill_the_log(cabinet)
    target = audit_entries(app)[7]
    changed = dict(target["payload"], forged=True)
    without_append_only_guard(
        app, update(AuditEntry).where(AuditEntry.seq == target["seq"]).values(payload=changed)
    )
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert f"entry {target['seq']} " in result.output


def test_verify_names_an_entry_altered_in_another_column(app, cabinet):
    fill_the_log(cabinet)
    without_append_only_guard(app, update(AuditEntry).where(AuditEntry.seq == 3).values(object_id=999))
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert "entry 3 " in result.output


def test_verify_names_a_deleted_entry(app, cabinet):
    fill_the_log(cabinet)
    without_append_only_guard(app, delete(AuditEntry).where(AuditEntry.seq == 5))
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert "entry 5 " in result.output


def test_verify_notices_the_last_entry_deleted(app, cabinet):
    fill_the_log(cabinet)
    last = audit_entries(app)[-1]["seq"]
    without_append_only_guard(app, delete(AuditEntry).where(AuditEntry.seq == last))
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert str(last) in result.output


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET action = 'forged' WHERE seq = 2",
        "UPDATE audit_entries SET payload = '{}'",
        "DELETE FROM audit_entries WHERE seq = 2",
        "DELETE FROM audit_entries",
    ],
)
def test_the_database_refuses_to_change_the_log(app, cabinet, statement):
    fill_the_log(cabinet)
    before = audit_entries(app)
    with app.app_context():
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement))
            db.session.flush()
        db.session.rollback()
    assert audit_entries(app) == before
    assert verify(app).exit_code == 0


def test_no_password_or_token_in_the_audit_log(app, client, cabinet):
    admin = cabinet.api(cabinet.admin)
    new_password, changed_password = "mật khẩu ban đầu 123", "mật khẩu đã đổi 456"
    created = ok(
        admin.post(
            "/users",
            json={"username": "moi", "full_name": "Người mới", "password": new_password, "roles": ["member"]},
        ),
        201,
    )
    tokens = [cabinet.api(p).token for p in (cabinet.admin, cabinet.secretariat, cabinet.members[0])]
    login = client.post("/api/v1/auth/login", json={"username": "moi", "password": new_password})
    tokens.append(ok(login)["token"])
    ok(admin.patch(f"/users/{created['id']}", json={"password": changed_password}))
    assert_error(client.post("/api/v1/auth/login", json={"username": "moi", "password": "sai mật khẩu"}), 401)
    new_token = ok(client.post("/api/v1/auth/login", json={"username": "moi", "password": changed_password}))
    tokens.append(new_token["token"])
    assert Api(client, new_token["token"]).post("/auth/logout").status_code == 204
    run_a_meeting(cabinet)

    entries = audit_entries(app)
    actions = {e["action"] for e in entries}
    assert {"auth.login", "auth.logout", "user.create", "user.update"} <= actions
    dumped = json.dumps([e["payload"] for e in entries], ensure_ascii=False)
    for secret in (PASSWORD, new_password, changed_password, "sai mật khẩu", *tokens):
        assert secret not in dumped
    with app.app_context():
        hashes = db.session.execute(text("SELECT password_hash FROM users")).scalars().all()
        token_hashes = db.session.execute(text("SELECT token_hash FROM api_tokens")).scalars().all()
    for secret in (*hashes, *token_hashes):
        assert secret not in dumped


def test_concurrent_changes_get_distinct_gap_free_numbers(app, cabinet):
    """Tablets checking in and the secretariat editing at the same moment: every event its own seq."""
    from concurrent.futures import ThreadPoolExecutor

    meeting = cabinet.meeting("in_progress")
    mid = meeting["id"]
    people = [cabinet.chair, *cabinet.members, cabinet.observer]
    tokens = {p.id: cabinet.api(p).token for p in [*people, cabinet.secretariat]}
    start = events(cabinet.api(cabinet.secretariat), mid)[-1]["seq"]

    def act(n: int):
        client = Api(app.test_client(), tokens[cabinet.secretariat.id])
        if n < len(people):
            client.token = tokens[people[n].id]
            return client.post(f"/meetings/{mid}/attendance").status_code
        return client.post(f"/meetings/{mid}/agenda", json={"title": f"Mục {n}"}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(act, range(len(people) + 6)))
    assert statuses == [200] * len(people) + [201] * 6

    seen = events(cabinet.api(cabinet.secretariat), mid, after=start)
    assert [e["seq"] for e in seen] == list(range(start + 1, start + len(people) + 7))
    assert sorted(e["type"] for e in seen) == ["agenda.changed"] * 6 + ["attendance.changed"] * len(people)
    assert ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{mid}"))["present"] == len(people)
    result = verify(app)
    assert result.exit_code == 0, result.output


def test_concurrent_edits_and_check_ins_do_not_deadlock(app, cabinet):
    """An edit locks the meeting's row early; a check-in locks it only at commit. Both append to the
    audit chain: taking the chain's head before the meeting's sequence would deadlock them."""
    from concurrent.futures import ThreadPoolExecutor

    meeting = cabinet.meeting("in_progress")
    mid = meeting["id"]
    people = [cabinet.chair, *cabinet.members, cabinet.observer]
    tokens = [cabinet.api(p).token for p in people]
    secretariat = cabinet.api(cabinet.secretariat).token

    def act(n: int) -> int:
        if n % 2 and n // 2 < len(people):
            return Api(app.test_client(), tokens[n // 2]).post(f"/meetings/{mid}/attendance").status_code
        client = Api(app.test_client(), secretariat)
        return client.patch(f"/meetings/{mid}", json={"title": f"Phiên họp {n}"}).status_code

    for _round in range(3):
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(act, range(12)))
        assert statuses == [200] * 12
    seen = events(cabinet.api(cabinet.secretariat), mid)
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))
    assert verify(app).exit_code == 0
