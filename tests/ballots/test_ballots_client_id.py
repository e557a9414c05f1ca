"""A ballot response sent again with its client_id (a tablet's offline outbox, a retry after a lost
answer) is recognised: the stored answers stand and come back, nothing is written twice."""

from __future__ import annotations

from sqlalchemy import func, select

from ecabinet.audit.models import AuditEntry
from ecabinet.extensions import db
from tests.helpers import assert_error
from tests.opinion_ballots import expire_ballot, sent_ballot


def _put(cabinet, person, ballot, choice, client_id=None, comment=None):
    answer = {"question_id": ballot["questions"][0]["id"], "choice": choice}
    if comment:
        answer["comment"] = comment
    body = {"answers": [answer]}
    if client_id:
        body["client_id"] = client_id
    return cabinet.api(person).put(f"/ballots/{ballot['id']}/response", json=body)


def _answers_logged(app, ballot_id):
    with app.app_context():
        return db.session.scalar(
            select(func.count()).where(
                AuditEntry.action == "ballot.answer", AuditEntry.object_id == ballot_id
            )
        )


def _choices(response):
    return [(a["question_id"], a["choice"]) for a in response.get_json()["answers"]]


def test_the_same_client_id_again_returns_the_stored_answer_and_writes_nothing(app, cabinet):
    ballot = sent_ballot(cabinet)
    member = cabinet.members[0]
    first = _put(cabinet, member, ballot, "agree", client_id="c1a4e6f0-0000-4000-8000-000000000001")
    assert first.status_code == 200, first.get_json()
    logged = _answers_logged(app, ballot["id"])
    again = _put(cabinet, member, ballot, "agree", client_id="c1a4e6f0-0000-4000-8000-000000000001")
    assert again.status_code == 200
    assert _choices(again) == _choices(first) == [(ballot["questions"][0]["id"], "agree")]
    assert _answers_logged(app, ballot["id"]) == logged


def test_a_late_retry_does_not_overwrite_a_newer_answer(cabinet):
    ballot = sent_ballot(cabinet)
    member = cabinet.members[0]
    _put(cabinet, member, ballot, "agree", client_id="older")
    newer = _put(cabinet, member, ballot, "disagree", client_id="newer", comment="Chưa đủ cơ sở pháp lý")
    assert newer.status_code == 200
    late = _put(cabinet, member, ballot, "agree", client_id="older")
    assert late.status_code == 200
    assert [a["choice"] for a in late.get_json()["answers"]] == ["disagree"]


def test_a_retry_after_the_close_is_answered_with_what_was_received(app, cabinet):
    ballot = sent_ballot(cabinet)
    member = cabinet.members[0]
    _put(cabinet, member, ballot, "agree", client_id="sent-before-close")
    expire_ballot(app, ballot["id"])
    retried = _put(cabinet, member, ballot, "agree", client_id="sent-before-close")
    assert retried.status_code == 200
    assert [a["choice"] for a in retried.get_json()["answers"]] == ["agree"]
    # A response the server never received is a conflict the tablet shows to the member.
    assert_error(_put(cabinet, member, ballot, "agree", client_id="never-received"), 409)


def test_without_client_id_every_answer_is_applied_as_before(app, cabinet):
    ballot = sent_ballot(cabinet)
    member = cabinet.members[0]
    assert _put(cabinet, member, ballot, "agree").status_code == 200
    assert _put(cabinet, member, ballot, "agree").status_code == 200
    assert _answers_logged(app, ballot["id"]) == 2
    expire_ballot(app, ballot["id"])
    assert_error(_put(cabinet, member, ballot, "agree"), 409)


def test_client_ids_are_each_members_own_and_each_ballots_own(cabinet):
    ballot, other = sent_ballot(cabinet), sent_ballot(cabinet)
    first, second = cabinet.members[0], cabinet.members[1]
    _put(cabinet, first, ballot, "agree", client_id="same-uuid")
    # Another member's identical client_id is a different response.
    theirs = _put(cabinet, second, ballot, "disagree", client_id="same-uuid", comment="Đề nghị làm rõ")
    assert [a["choice"] for a in theirs.get_json()["answers"]] == ["disagree"]
    # The same member's client_id given again for another ballot is refused, nothing written there.
    assert_error(_put(cabinet, first, other, "agree", client_id="same-uuid"), 400, "client_id_reused")
    assert cabinet.api(first).get(f"/ballots/{other['id']}").get_json()["answers"] == []
