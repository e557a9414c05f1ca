"""Assertions the tests share."""

from sqlalchemy import select

from ecabinet.audit.models import AuditEntry
from ecabinet.extensions import db
from ecabinet.live.models import MeetingEvent


def assert_error(response, status: int, code: str | None = None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), body
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def ok(response, status: int = 200):
    """The JSON of a successful answer; on anything else, fail showing what came back."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    return response.get_json()


def events(api, meeting_id: int, after: int = 0) -> list[dict]:
    return ok(api.get(f"/meetings/{meeting_id}/events?after={after}"))


def audit_entries(app) -> list[dict]:
    """Every audit entry, oldest first, read straight from the database."""
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
        return [
            {"seq": e.seq, "action": e.action, "object_type": e.object_type, "payload": e.payload}
            for e in rows
        ]


def stored_events(app) -> list[tuple[int, int, str]]:
    """(meeting_id, seq, type) of every stored live event."""
    with app.app_context():
        rows = db.session.execute(
            select(MeetingEvent.meeting_id, MeetingEvent.seq, MeetingEvent.type).order_by(MeetingEvent.id)
        )
        return [tuple(r) for r in rows]


def vote_open_to(cabinet, make_user, members: int) -> tuple[dict, list]:
    """A vote open in a meeting in session with `members` voting members (the cabinet's and more);
    the vote and its voters."""
    extra = [make_user("member") for _ in range(members - len(cabinet.members) - 1)]
    meeting = cabinet.meeting("in_progress", participants=[p.id for p in (*cabinet.participants, *extra)])
    sec = cabinet.api(cabinet.secretariat)
    vote = ok(sec.post(f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua Tờ trình?"}), 201)
    ok(sec.post(f"/votes/{vote['id']}/open"))
    return vote, [cabinet.chair, *cabinet.members, *extra]
