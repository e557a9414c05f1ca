"""Two ways to build a test's meetings, one interface: through the API as a tablet would, or straight
through the services in one transaction. Both take the same body (parsed by the route's own model), run
the same rules, audit and live events, and answer the contract's JSON, so a test can switch by saying
`via=`. A test about an API call builds through HTTP; a test that only needs the meeting to be there
builds through the services: no logins, no requests, a few times faster."""

from __future__ import annotations

import json

from ecabinet.auth.models import User
from ecabinet.common.input import parse_json
from ecabinet.extensions import db
from ecabinet.meetings import serialize, service
from ecabinet.meetings.api import ItemCreateBody, MeetingCreateBody
from tests.helpers import ok

# The walk from a draft to each later status, one transition at a time.
STEPS = (("publish", "published"), ("start", "in_progress"), ("close", "closed"))


def _parsed(model, body: dict) -> dict:
    """The body as the route reads it: the same JSON, the same model."""
    return parse_json(model, json.dumps(body).encode()).model_dump()


class ThroughHttp:
    """As the secretariat's tablet: one POST per step, each answer checked."""

    def __init__(self, api):
        self.api = api  # the logged-in client of a person, by Person

    def meeting(self, secretariat, body: dict, status: str) -> dict:
        sec = self.api(secretariat)
        meeting = ok(sec.post("/meetings", json=body), 201)
        for action, reached in STEPS:
            if meeting["status"] == status:
                break
            meeting = ok(sec.post(f"/meetings/{meeting['id']}/{action}"))
            assert meeting["status"] == reached
        return meeting

    def item(self, secretariat, meeting_id: int, fields: dict) -> dict:
        return ok(self.api(secretariat).post(f"/meetings/{meeting_id}/agenda", json=fields), 201)


class ThroughServices:
    """The services called as the routes call them, committed as one request would be."""

    def __init__(self, app):
        self.app = app

    def _as_json(self, value) -> dict:
        return json.loads(self.app.json.dumps(value))

    def meeting(self, secretariat, body: dict, status: str) -> dict:
        with self.app.app_context():
            user = db.session.get(User, secretariat.id)
            meeting = service.create_meeting(user, **_parsed(MeetingCreateBody, body))
            db.session.flush()
            for action, _ in STEPS:
                if meeting.status == status:
                    break
                meeting = service.change_status(user, meeting.id, action)
            assert meeting.status == status
            # What the API's last answer would hold: the agenda comes with a newly made meeting only.
            answer = self._as_json(serialize.meeting(user, meeting, with_agenda=status == "draft"))
            db.session.commit()
        return answer

    def item(self, secretariat, meeting_id: int, fields: dict) -> dict:
        with self.app.app_context():
            user = db.session.get(User, secretariat.id)
            item = service.add_item(user, meeting_id, **_parsed(ItemCreateBody, fields))
            db.session.flush()
            answer = self._as_json(serialize.item(user, item))
            db.session.commit()
        return answer
