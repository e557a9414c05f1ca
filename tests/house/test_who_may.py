"""Who may, before what: a caller who may not make a call at all is told so (401, 403 or 404) whatever
its body; only one who may act learns that the body is malformed (400).

Every route of /api/v1 that changes something is found in the app's URL map, so a new one is covered
the day it is added: it fails here until WHO_MAY says who may call it.
"""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask

from ecabinet import UNSAFE_METHODS
from ecabinet.common.api import may, require_declared_permissions
from tests.conftest import Api
from tests.helpers import assert_error, ok
from tests.pdfs import make_pdf, upload

PARTICIPANTS = {"chair", "member", "other_member", "observer"}
LOGGED_IN = {"admin", "secretariat", "clerk", "outsider"} | PARTICIPANTS
NOT_LOGGED_IN = {"anonymous", "bad_token"}

# The contract's "who" column, per route: the callers below who may make the call.
WHO_MAY = {
    "POST /auth/logout": LOGGED_IN,
    "DELETE /me/devices/<int:device_id>": LOGGED_IN,
    "POST /me/devices/<int:device_id>/wipe": LOGGED_IN,
    "POST /me/calendar/renew": LOGGED_IN,
    "DELETE /users/<int:user_id>/devices/<int:device_id>": {"admin"},
    "POST /users/<int:user_id>/devices/<int:device_id>/wipe": {"admin"},
    "POST /users": {"admin"},
    "PATCH /users/<int:user_id>": {"admin"},
    "POST /organizations": {"admin"},
    "POST /meetings": {"secretariat"},
    "PATCH /meetings/<int:meeting_id>": {"secretariat"},
    "POST /meetings/<int:meeting_id>/publish": {"secretariat"},
    "POST /meetings/<int:meeting_id>/start": {"secretariat", "chair"},
    "POST /meetings/<int:meeting_id>/close": {"secretariat", "chair"},
    "POST /meetings/<int:meeting_id>/agenda": {"secretariat"},
    "POST /meetings/<int:meeting_id>/agenda/order": {"secretariat"},
    "PATCH /agenda/<int:item_id>": {"secretariat"},
    "DELETE /agenda/<int:item_id>": {"secretariat"},
    "POST /meetings/<int:meeting_id>/current": {"secretariat", "chair"},
    "POST /meetings/<int:meeting_id>/attendance": PARTICIPANTS,
    "POST /agenda/<int:item_id>/documents": {"secretariat"},
    "POST /documents/<int:document_id>/versions": {"secretariat"},
    "PATCH /documents/<int:document_id>": {"secretariat"},
    "DELETE /documents/<int:document_id>": {"secretariat"},
    "POST /meetings/<int:meeting_id>/presenter": {"secretariat", "chair"},
    "POST /documents/<int:document_id>/annotations": {"secretariat", "clerk"} | PARTICIPANTS,
    "PATCH /annotations/<int:annotation_id>": {"member"},
    "DELETE /annotations/<int:annotation_id>": {"member"},
    "POST /meetings/<int:meeting_id>/votes": {"secretariat", "chair"},
    "POST /votes/<int:vote_id>/open": {"secretariat", "chair"},
    "POST /votes/<int:vote_id>/close": {"secretariat", "chair"},
    "POST /votes/<int:vote_id>/cast": {"chair", "member", "other_member"},
    "POST /agenda/<int:item_id>/speakers": PARTICIPANTS,
    "DELETE /agenda/<int:item_id>/speakers": PARTICIPANTS,
    "POST /speakers/<int:request_id>/start": {"secretariat", "chair"},
    "POST /speakers/<int:request_id>/finish": {"secretariat", "chair"},
    "POST /ballots": {"secretariat"},
    "PATCH /ballots/<int:ballot_id>": {"secretariat"},
    "POST /ballots/<int:ballot_id>/documents": {"secretariat"},
    "POST /ballots/<int:ballot_id>/send": {"secretariat"},
    "POST /ballots/<int:ballot_id>/close": {"secretariat"},
    "POST /ballots/<int:ballot_id>/remind": {"secretariat"},
    "POST /ballots/<int:ballot_id>/reopen": {"secretariat"},
    "PUT /ballots/<int:ballot_id>/response": {"member"},
    "PUT /meetings/<int:meeting_id>/minutes": {"clerk", "secretariat"},
    "POST /meetings/<int:meeting_id>/minutes/approve": {"chair", "secretariat"},
    "POST /meetings/<int:meeting_id>/hold": {"admin"},
    "DELETE /meetings/<int:meeting_id>/hold": {"admin"},
    "PUT /agenda/<int:item_id>/position": {"chair", "member", "other_member"},
    "POST /meetings/<int:meeting_id>/consent/mark": {"secretariat"},
    "POST /meetings/<int:meeting_id>/consent/adopt": {"secretariat", "chair"},
    "POST /tasks": {"secretariat"},
    # The world's task is led by the member's ministry; no one else belongs to it.
    "PATCH /tasks/<int:task_id>": {"secretariat", "member"},
    "POST /tasks/<int:task_id>/report": {"secretariat", "member"},
    "POST /tasks/<int:task_id>/extension": {"member"},
    "POST /tasks/<int:task_id>/extension/grant": {"secretariat"},
    "POST /tasks/<int:task_id>/extension/refuse": {"secretariat"},
}

# Not JSON, and JSON but not an object: malformed for every route that takes a body.
MALFORMED = [b"{not json", b"[1, 2]"]
# Fields of the wrong kind, a username too short (the case that showed the order was wrong): malformed
# for most routes, sent only by those who may not act.
WRONG_FIELDS = b'{"username": "x", "title": 7, "choice": [], "answers": 1, "order": "a", "page": "1"}'


def changing_routes(app) -> list[tuple[str, str, object]]:
    """(method, rule without /api/v1, view) of every /api/v1 route that changes something."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "_public", False):
            continue
        for method in sorted(rule.methods & UNSAFE_METHODS):
            found.append((method, rule.rule[len("/api/v1") :], view))
    return found


@pytest.fixture
def world(app, cabinet):
    """One of everything a route can name, and a caller in every position towards it."""
    meeting = cabinet.meeting("in_progress")
    item = cabinet.item(meeting["id"])
    secretariat, member = cabinet.api(cabinet.secretariat), cabinet.api(cabinet.members[0])
    document = ok(upload(secretariat, item["id"], make_pdf("Tờ trình")), 201)
    annotation = ok(
        member.post(
            f"/documents/{document['id']}/annotations",
            json={"version": 1, "page": 1, "kind": "note", "rects": [[10, 10, 20, 20]], "text": "Ghi chú"},
        ),
        201,
    )
    vote = ok(secretariat.post(f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua?"}), 201)
    ok(member.post(f"/agenda/{item['id']}/speakers"))
    (speaker,) = ok(secretariat.get(f"/agenda/{item['id']}/speakers"))
    ballot = ok(
        secretariat.post(
            "/ballots",
            json={
                "title": "Phiếu lấy ý kiến",
                "questions": [{"text": "Đồng ý?"}],
                "recipients": [cabinet.members[0].id],
                "deadline": "2099-01-01T00:00:00+07:00",
            },
        ),
        201,
    )
    ok(secretariat.post(f"/ballots/{ballot['id']}/send"))
    admin = cabinet.api(cabinet.admin)
    ministry = ok(admin.post("/organizations", json={"name": "Bộ Tư pháp"}), 201)
    ok(admin.patch(f"/users/{cabinet.members[0].id}", json={"organization": ministry["id"]}))
    ok(
        cabinet.api(cabinet.clerk).put(
            f"/meetings/{meeting['id']}/minutes",
            json={"entries": [{"agenda_item_id": item["id"], "decision": "Giao"}]},
        )
    )
    task = ok(
        secretariat.post(
            "/tasks",
            json={
                "text": "Hoàn thiện dự án Luật",
                "lead_organization_id": ministry["id"],
                "deadline": "2099-01-01T00:00:00+07:00",
                "agenda_item_id": item["id"],
            },
        ),
        201,
    )
    path_values = {
        "meeting_id": meeting["id"],
        "item_id": item["id"],
        "document_id": document["id"],
        "annotation_id": annotation["id"],
        "vote_id": vote["id"],
        "request_id": speaker["id"],
        "ballot_id": ballot["id"],
        "task_id": task["id"],
        "user_id": cabinet.members[1].id,
        "device_id": ok(cabinet.api(cabinet.members[1]).get("/me/devices"))[0]["id"],
    }
    people = {
        "admin": cabinet.admin,
        "secretariat": cabinet.secretariat,
        "clerk": cabinet.clerk,
        "chair": cabinet.chair,
        "member": cabinet.members[0],
        "other_member": cabinet.members[1],
        "observer": cabinet.observer,
        "outsider": cabinet.outsider,
    }
    callers = {name: cabinet.api(person) for name, person in people.items()}
    callers["anonymous"] = Api(cabinet.api(cabinet.admin).client)
    callers["bad_token"] = Api(cabinet.api(cabinet.admin).client, "not-a-token")
    return path_values, callers


def _path(rule: str, values: dict) -> str:
    path = rule
    for name, value in values.items():
        path = path.replace(f"<int:{name}>", str(value))
    assert "<" not in path, f"give the test a value for the path of {rule}"
    return path


def test_who_may_not_act_is_told_so_whatever_the_body(app, world):
    path_values, callers = world
    routes = changing_routes(app)
    undeclared = sorted(f"{m} {r}" for m, r, _ in routes if f"{m} {r}" not in WHO_MAY)
    assert not undeclared, f"say in WHO_MAY who may call {undeclared}"
    assert len(routes) == len(WHO_MAY)

    told_malformed = []
    for method, rule, view in routes:
        allowed = WHO_MAY[f"{method} {rule}"]
        takes_body = view._openapi["body"] is not None or view._openapi["multipart"]
        path = _path(rule, path_values)
        for name, api in callers.items():
            if name in allowed and not takes_body:
                continue  # a body-less call would just be made
            for malformed in MALFORMED if name in allowed else [*MALFORMED, WRONG_FIELDS]:
                response = api.call(method, path, data=malformed, content_type="application/json")
                where = f"{method} {rule} by {name}: {response.status_code} {response.get_data(as_text=True)}"
                if name in allowed:
                    assert response.status_code == 400, where
                    told_malformed.append(name)
                elif name in NOT_LOGGED_IN:
                    assert_error(response, 401)
                else:
                    # 403 or 404 by whether the caller may know the object is there: the tests of each
                    # domain pin which; here it is enough that a logged-in caller is refused, never 401.
                    assert response.status_code in (403, 404), where
                    assert_error(response, response.status_code)
    # The bodies are malformed indeed: everyone who may act on a route with a body was told so.
    assert {"admin", "secretariat", "clerk", "member", "chair"} <= set(told_malformed)


def test_a_member_creating_a_user_hears_403_not_what_is_wrong(cabinet):
    member = cabinet.api(cabinet.members[0])
    short = {"username": "x", "full_name": "", "password": "", "roles": []}
    assert_error(member.post("/users", json=short), 403)
    assert_error(cabinet.api(cabinet.admin).post("/users", json=short), 400)


def test_a_bearer_who_may_not_vote_hears_403_for_a_malformed_cast(cabinet):
    """Casts are checked by the batch writer; one refused before it is still judged on who sent it."""
    meeting = cabinet.meeting("in_progress")
    secretariat = cabinet.api(cabinet.secretariat)
    vote = ok(secretariat.post(f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua?"}), 201)
    ok(secretariat.post(f"/votes/{vote['id']}/open"))
    assert_error(cabinet.api(cabinet.outsider).post(f"/votes/{vote['id']}/cast", json={"choice": 1}), 403)
    assert_error(cabinet.api(cabinet.observer).post(f"/votes/{vote['id']}/cast", json=[1]), 403)
    assert_error(cabinet.api(cabinet.members[0]).post(f"/votes/{vote['id']}/cast", json={"choice": 1}), 400)


def _probe_app(*, declared: bool) -> Flask:
    bp = Blueprint("probe", __name__, url_prefix="/api/v1")
    bp.get("/read", endpoint="read")(lambda: "ok")
    change = lambda thing_id: "ok"  # noqa: E731
    bp.delete("/things/<int:thing_id>", endpoint="change")(
        may(lambda user: None)(change) if declared else change
    )
    app = Flask("probe")
    app.register_blueprint(bp)
    return app


def test_a_changing_route_without_a_permission_check_stops_the_app_from_starting():
    with pytest.raises(RuntimeError, match="DELETE.*/api/v1/things"):
        require_declared_permissions(_probe_app(declared=False), UNSAFE_METHODS)
    require_declared_permissions(_probe_app(declared=True), UNSAFE_METHODS)
