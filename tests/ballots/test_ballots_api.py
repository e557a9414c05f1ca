"""Written-opinion ballots as the secretariat and the members use them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from ecabinet.audit.models import AuditEntry
from ecabinet.extensions import db
from tests.helpers import assert_error, ok
from tests.opinion_ballots import LATER, answer_ballot, ballot_body, draft_ballot, expire_ballot, sent_ballot
from tests.pdfs import make_pdf, multipart

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


def test_from_draft_to_results(cabinet):
    ballot = sent_ballot(cabinet)
    member = cabinet.api(cabinet.members[0])
    inbox = member.get("/ballots").get_json()
    assert [(b["id"], b["my_status"]) for b in inbox] == [(ballot["id"], "unanswered")]
    r = answer_ballot(
        cabinet, cabinet.members[0], ballot, (0, "agree", None), (1, "disagree", "Nên lùi sang 01/7/2027")
    )
    assert r.status_code == 200, r.get_json()
    mine = member.get(f"/ballots/{ballot['id']}").get_json()
    assert [(a["choice"], a["comment"]) for a in mine["answers"]] == [
        ("agree", None),
        ("disagree", "Nên lùi sang 01/7/2027"),
    ]
    assert member.get("/ballots").get_json()[0]["my_status"] == "answered"
    # Changed before the deadline: the new answer stands, once.
    answer_ballot(cabinet, cabinet.members[0], ballot, (1, "agree", None))
    answer_ballot(
        cabinet, cabinet.members[1], ballot, (0, "agree", None), (1, "other", "Cần đánh giá tác động")
    )
    answer_ballot(cabinet, cabinet.chair, ballot, (0, "agree", None), (1, "agree", None))
    results = cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}/results").get_json()
    first, second = results["questions"]
    assert (first["agree"], first["disagree"], first["other"], first["no_answer"]) == (3, 0, 0, 1)
    assert (second["agree"], second["disagree"], second["other"], second["no_answer"]) == (2, 0, 1, 1)
    assert first["passed"] is True and second["passed"] is False  # 2 of 4 is not more than half, no chair set
    assert {a["full_name"]: a["choice"] for a in second["answers"]}[cabinet.members[2].full_name] is None


def test_only_the_secretariat_prepares_and_sees_results(cabinet):
    member = cabinet.api(cabinet.members[0])
    assert_error(
        member.post(
            "/ballots",
            json={
                "title": "x",
                "questions": [{"text": "?"}],
                "recipients": [cabinet.members[0].id],
                "deadline": LATER,
            },
        ),
        403,
    )
    ballot = sent_ballot(cabinet)
    for path in (f"/ballots/{ballot['id']}/results", f"/ballots/{ballot['id']}/report.pdf"):
        assert_error(member.get(path), 403)
    assert_error(member.post(f"/ballots/{ballot['id']}/close"), 403)
    assert_error(cabinet.api(cabinet.outsider).get(f"/ballots/{ballot['id']}"), 404)
    assert cabinet.api(cabinet.outsider).get("/ballots").get_json() == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"deadline": "2020-01-01T00:00:00+07:00"}, "deadline_passed"),
        ({"deadline": "ngày mai"}, None),
        ({"deadline": "2030-01-01T00:00:00"}, None),
        ({"recipients": [424242]}, "unknown_user"),
        ({"questions": []}, None),
        ({"questions": [{"text": ""}]}, None),
        ({"title": ""}, None),
    ],
)
def test_bad_ballots_are_refused(cabinet, fields, code):
    sec = cabinet.api(cabinet.secretariat)
    body = {
        "title": "Phiếu",
        "questions": [{"text": "?"}],
        "recipients": [cabinet.members[0].id],
        "deadline": LATER,
        **fields,
    }
    assert_error(sec.post("/ballots", json=body), 400, code)
    assert sec.get("/ballots").get_json() == []


def test_the_error_code_says_whether_the_body_or_a_field_is_wrong(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    headers = {"Content-Type": "application/json"}
    for raw, code in (
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid_json"),  # JSON, but not an object
        (
            b'{"title": "x", "questions": ["x"], "recipients": [1], "deadline": "2030-01-01T00:00:00Z"}',
            "invalid_input",
        ),
    ):
        assert_error(sec.post("/ballots", data=raw, headers=headers), 400, code)
    assert sec.get("/ballots").get_json() == []


def test_recipients_must_be_members(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    assert_error(
        sec.post(
            "/ballots",
            json={
                "title": "Phiếu",
                "questions": [{"text": "?"}],
                "recipients": [cabinet.observer.id],
                "deadline": LATER,
            },
        ),
        400,
        "not_a_member",
    )


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ([{"question_id": 999999, "choice": "agree"}], "unknown_question"),
        ([{"question_id": "Q0", "choice": "agree"}], None),
        (
            [{"question_id": "Q0", "choice": "agree"}, {"question_id": "Q0", "choice": "agree"}],
            "duplicate_question",
        ),
        ([{"question_id": "Q0", "choice": "maybe"}], None),
        ([{"question_id": "Q0", "choice": "disagree"}], "comment_required"),
        ([{"question_id": "Q0", "choice": "other", "comment": "   "}], "comment_required"),
        ([], None),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_kept(cabinet, answers, code):
    ballot = sent_ballot(cabinet)
    question_id = ballot["questions"][0]["id"]
    answers = [
        {**a, "question_id": question_id if a["question_id"] == "Q0" else a["question_id"]} for a in answers
    ]
    if (
        answers
        and answers[0]["question_id"] == question_id
        and code is None
        and answers[0]["choice"] == "agree"
    ):
        answers[0]["question_id"] = str(question_id)  # a string where an id belongs
    member = cabinet.api(cabinet.members[0])
    assert_error(member.put(f"/ballots/{ballot['id']}/response", json={"answers": answers}), 400, code)
    assert member.get(f"/ballots/{ballot['id']}").get_json()["answers"] == []


def test_who_may_answer_and_when(app, cabinet):
    draft = draft_ballot(cabinet)
    assert_error(answer_ballot(cabinet, cabinet.members[0], draft, (0, "agree", None)), 409)
    assert_error(answer_ballot(cabinet, cabinet.outsider, draft, (0, "agree", None)), 404)
    ballot = sent_ballot(cabinet)
    assert_error(answer_ballot(cabinet, cabinet.outsider, ballot, (0, "agree", None)), 404)
    # The secretariat sees the ballot but is not asked: forbidden, not unknown.
    assert_error(answer_ballot(cabinet, cabinet.secretariat, ballot, (0, "agree", None)), 403)
    assert (
        cabinet.api(cabinet.secretariat)
        .get(f"/ballots/{ballot['id']}/results")
        .get_json()["questions"][0]["agree"]
        == 0
    )
    expire_ballot(app, ballot["id"])
    assert_error(answer_ballot(cabinet, cabinet.members[0], ballot, (0, "agree", None)), 409)
    # Closed by the server's clock on access, not by the page.
    assert cabinet.api(cabinet.members[0]).get(f"/ballots/{ballot['id']}").get_json()["status"] == "closed"


def test_silence_counts_as_consent_once_closed(cabinet):
    ballot = sent_ballot(cabinet, silence_is_consent=True)
    answer_ballot(cabinet, cabinet.members[0], ballot, (0, "disagree", "Chưa đủ cơ sở"), (1, "agree", None))
    sec = cabinet.api(cabinet.secretariat)
    open_results = sec.get(f"/ballots/{ballot['id']}/results").get_json()["questions"][0]
    assert open_results["no_answer"] == 3 and open_results["agree_by_silence"] == 0
    assert sec.post(f"/ballots/{ballot['id']}/close").status_code == 200
    first = sec.get(f"/ballots/{ballot['id']}/results").get_json()["questions"][0]
    assert (first["agree"], first["agree_by_silence"], first["disagree"], first["no_answer"]) == (3, 3, 1, 0)
    assert first["passed"] is True
    silent = [a for a in first["answers"] if a["by_silence"]]
    assert len(silent) == 3 and all(a["choice"] == "agree" for a in silent)
    report = PdfReader(io.BytesIO(sec.get(f"/ballots/{ballot['id']}/report.pdf").data))
    assert "đồng ý do không trả lời" in " ".join(p.extract_text() for p in report.pages)


def test_the_chair_decides_a_tie(cabinet):
    ballot = sent_ballot(cabinet, chair_id=cabinet.chair.id)
    answer_ballot(cabinet, cabinet.chair, ballot, (0, "agree", None), (1, "disagree", "Không"))
    answer_ballot(cabinet, cabinet.members[0], ballot, (0, "agree", None), (1, "agree", None))
    for person in cabinet.members[1:]:
        answer_ballot(cabinet, person, ballot, (0, "disagree", "Không"), (1, "agree", None))
    first, second = (
        cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}/results").get_json()["questions"]
    )
    assert (first["agree"], first["passed"]) == (2, True)  # 2 of 4, the chair agreed
    assert (second["agree"], second["passed"]) == (3, True)


def test_remind_nudges_only_the_late(cabinet):
    ballot = sent_ballot(cabinet)
    answer_ballot(cabinet, cabinet.members[0], ballot, (0, "agree", None), (1, "agree", None))
    answer_ballot(cabinet, cabinet.members[1], ballot, (0, "agree", None))  # half done is not done
    r = cabinet.api(cabinet.secretariat).post(f"/ballots/{ballot['id']}/remind")
    assert r.status_code == 200
    assert sorted(r.get_json()["reminded"]) == sorted(
        [cabinet.chair.id, cabinet.members[1].id, cabinet.members[2].id]
    )


def test_state_machine_and_reopen_with_reason(app, cabinet):
    sec = cabinet.api(cabinet.secretariat)
    ballot = draft_ballot(cabinet)
    assert_error(sec.post(f"/ballots/{ballot['id']}/close"), 409)
    assert_error(sec.post(f"/ballots/{ballot['id']}/remind"), 409)
    ok(sec.post(f"/ballots/{ballot['id']}/send"))
    assert_error(sec.post(f"/ballots/{ballot['id']}/send"), 409)
    assert_error(sec.patch(f"/ballots/{ballot['id']}", json={"title": "Sửa"}), 409)
    ok(sec.post(f"/ballots/{ballot['id']}/close"))
    assert_error(sec.post(f"/ballots/{ballot['id']}/reopen", json={"deadline": LATER}), 400)
    r = sec.post(
        f"/ballots/{ballot['id']}/reopen", json={"reason": "Bổ sung hồ sơ thẩm định", "deadline": LATER}
    )
    assert r.status_code == 200 and r.get_json()["status"] == "sent"
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ballot.reopen"))
        assert entry.payload["reason"] == "Bổ sung hồ sơ thẩm định"


def test_answers_on_an_earlier_version_are_flagged(cabinet):
    sec = cabinet.api(cabinet.secretariat)
    ballot = draft_ballot(cabinet)
    doc = sec.post(
        f"/ballots/{ballot['id']}/documents", **multipart(make_pdf("Dự thảo lần 1"), "du-thao.pdf")
    )
    assert doc.status_code == 201, doc.get_json()
    ok(sec.post(f"/ballots/{ballot['id']}/send"))
    member = cabinet.api(cabinet.members[0])
    # The member can read, annotate and download the ballot's paper, stamped with their name.
    document_id = doc.get_json()["id"]
    paper = PdfReader(io.BytesIO(member.get(f"/documents/{document_id}/file").data))
    assert f"Bản của {cabinet.members[0].full_name}" in paper.pages[0].extract_text()
    assert (
        member.post(
            f"/documents/{document_id}/annotations",
            json={"version": 1, "page": 1, "kind": "highlight", "rects": [[56, 700, 200, 716]]},
        ).status_code
        == 201
    )
    answer_ballot(cabinet, cabinet.members[0], ballot, (0, "agree", None))
    assert (
        sec.post(f"/documents/{document_id}/versions", **multipart(make_pdf("Dự thảo lần 2"))).status_code
        == 201
    )
    answer_ballot(cabinet, cabinet.members[1], ballot, (0, "agree", None))
    answers = sec.get(f"/ballots/{ballot['id']}/results").get_json()["questions"][0]["answers"]
    flags = {a["full_name"]: a["earlier_version"] for a in answers if a["choice"]}
    assert flags == {cabinet.members[0].full_name: True, cabinet.members[1].full_name: False}
    assert_error(cabinet.api(cabinet.outsider).get(f"/documents/{document_id}"), 404)


def test_a_confidential_items_paper_is_not_sent_with_a_ballot(cabinet):
    meeting = cabinet.meeting("published")
    secret = cabinet.item(meeting["id"], "Nhân sự", confidential=True, restricted_to=[cabinet.members[0].id])
    sec = cabinet.api(cabinet.secretariat)
    paper = sec.post(
        f"/agenda/{secret['id']}/documents", **multipart(make_pdf("Phương án nhân sự"))
    ).get_json()
    before = sec.get("/ballots").get_json()
    assert_error(
        sec.post("/ballots", json=ballot_body(cabinet, documents=[paper["id"]])), 400, "confidential_document"
    )
    assert sec.get("/ballots").get_json() == before
    draft = draft_ballot(cabinet)
    assert_error(
        sec.patch(f"/ballots/{draft['id']}", json={"documents": [paper["id"]]}), 400, "confidential_document"
    )
    # A member not cleared for the item still cannot open its paper.
    assert_error(cabinet.api(cabinet.members[1]).get(f"/documents/{paper['id']}/file"), 404)


def test_a_paper_whose_item_becomes_confidential_closes_to_the_ballots_recipients(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Đề án sắp xếp bộ máy")
    sec = cabinet.api(cabinet.secretariat)
    paper = sec.post(f"/agenda/{item['id']}/documents", **multipart(make_pdf("Đề án"))).get_json()
    ballot = sent_ballot(
        cabinet, documents=[paper["id"]], recipients=[cabinet.members[0].id, cabinet.outsider.id]
    )
    outsider = cabinet.api(cabinet.outsider)  # a recipient, not a participant of the meeting
    assert outsider.get(f"/documents/{paper['id']}/file").status_code == 200

    changed = sec.patch(
        f"/agenda/{item['id']}", json={"confidential": True, "restricted_to": [cabinet.members[0].id]}
    )
    assert changed.status_code == 200
    assert_error(outsider.get(f"/documents/{paper['id']}/file"), 404)
    assert outsider.get(f"/ballots/{ballot['id']}").get_json()["documents"] == []
    cleared = cabinet.api(cabinet.members[0])
    assert [d["id"] for d in cleared.get(f"/ballots/{ballot['id']}").get_json()["documents"]] == [paper["id"]]


def test_the_list_comes_oldest_first(cabinet):
    # The first ballot has the nearer deadline, the second the later one: made first, listed first.
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    made = [sent_ballot(cabinet, deadline=soon)["id"], sent_ballot(cabinet)["id"]]
    for person in (cabinet.secretariat, cabinet.members[0]):
        assert [b["id"] for b in cabinet.api(person).get("/ballots").get_json()] == made


def test_a_ballot_asks_about_documents_already_in_a_meeting(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    sec = cabinet.api(cabinet.secretariat)
    uploads = [
        sec.post(f"/agenda/{item['id']}/documents", **multipart(make_pdf(title), f"{n}.pdf")).get_json()
        for n, title in enumerate(("Tờ trình", "Dự thảo Nghị định"))
    ]
    ids = [d["id"] for d in reversed(uploads)]

    ballot = draft_ballot(cabinet, documents=ids)
    assert [d["id"] for d in ballot["documents"]] == ids  # in the order asked
    sent = sec.post(f"/ballots/{ballot['id']}/send").get_json()
    member = cabinet.api(cabinet.members[0])
    assert [d["id"] for d in member.get(f"/ballots/{sent['id']}").get_json()["documents"]] == ids
    assert PdfReader(io.BytesIO(member.get(f"/documents/{ids[0]}/file").data)).pages

    # An unknown document is refused, and no ballot is made.
    before = len(sec.get("/ballots").get_json())
    refused = sec.post("/ballots", json={**ballot_body(cabinet), "documents": [ids[0], 999999]})
    assert_error(refused, 400, "unknown_document")
    assert len(sec.get("/ballots").get_json()) == before


def test_a_ballot_paper_opens_in_the_viewer_and_leads_back_to_the_ballot(client, cabinet):
    import re

    from tests.conftest import PASSWORD

    sec = cabinet.api(cabinet.secretariat)
    ballot = draft_ballot(cabinet)
    doc = sec.post(
        f"/ballots/{ballot['id']}/documents", **multipart(make_pdf("Dự thảo"), "du-thao.pdf")
    ).get_json()
    ok(sec.post(f"/ballots/{ballot['id']}/send"))
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post(
        "/login", data={"csrf_token": token, "username": cabinet.members[0].username, "password": PASSWORD}
    )

    def back_link(query: str) -> str:
        page = client.get(f"/documents/{doc['id']}?back={query}")
        assert page.status_code == 200
        return re.search(r'class="vw-back" href="([^"]+)"', page.get_data(as_text=True)).group(1)

    assert back_link(f"/ballots/{ballot['id']}") == f"/ballots/{ballot['id']}"
    assert back_link("//evil.example") == "/ballots"  # another site is never a way back
    assert back_link("/%09/evil.example") == "/ballots"  # a browser drops the tab: //evil.example
