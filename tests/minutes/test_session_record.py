"""The chair runs the session and the clerk's record is the meeting as held (issue 21, parts 2 and 3):
one vote open at a time, no session closed over an open vote, the quorum recorded when it was short,
the chair counted present, every vote in the minutes, a confidential item sealed in the general
minutes and written out in an annex only those cleared for it read."""

from __future__ import annotations

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from ecabinet.extensions import db
from ecabinet.votes.models import Vote
from tests.document_text import docx_text, pdf_text
from tests.helpers import assert_error, audit_entries, events, ok
from tests.pages import CSRF_TOKEN, page_login

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


def exports(api, meeting_id: int) -> dict[str, str]:
    """The minutes and the conclusion notice, PDF and DOCX, as text."""
    out = {}
    for name in ("minutes.pdf", "minutes.docx", "conclusions.pdf", "conclusions.docx"):
        response = api.get(f"/meetings/{meeting_id}/{name}")
        assert response.status_code == 200, name
        out[name] = (pdf_text if name.endswith(".pdf") else docx_text)(response.data)
    return out


def put_vote(api, meeting_id: int, question: str, **fields) -> dict:
    return ok(api.post(f"/meetings/{meeting_id}/votes", json={"question": question, **fields}), 201)


# --- one vote open at a time ---------------------------------------------------------------


def test_a_second_vote_does_not_open_while_one_is_open(cabinet):
    meeting = cabinet.meeting("in_progress")
    chair = cabinet.api(cabinet.chair)
    first = put_vote(chair, meeting["id"], "Thông qua Nghị quyết phiên họp?")
    second = put_vote(chair, meeting["id"], "Thông qua dự án Luật Đất đai?")
    ok(chair.post(f"/votes/{first['id']}/open"))
    error = assert_error(chair.post(f"/votes/{second['id']}/open"), 409, "vote_already_open")
    assert error["vote_id"] == first["id"] and "Thông qua Nghị quyết phiên họp?" in error["message"]
    assert ok(chair.get(f"/votes/{second['id']}"))["status"] == "draft"
    # Another meeting's vote is not in the way.
    other = cabinet.meeting("in_progress")
    ok(chair.post(f"/votes/{put_vote(chair, other['id'], 'Câu hỏi khác?')['id']}/open"))
    ok(chair.post(f"/votes/{first['id']}/close"))
    assert ok(chair.post(f"/votes/{second['id']}/open"))["status"] == "open"


def test_the_database_refuses_a_second_open_vote_in_a_meeting(cabinet, app):
    """Two openings at the same moment both pass the service's check; the unique index decides."""
    meeting = cabinet.meeting("in_progress")
    chair = cabinet.api(cabinet.chair)
    first, second = (put_vote(chair, meeting["id"], q)["id"] for q in ("Câu hỏi một?", "Câu hỏi hai?"))
    with app.app_context():
        db.session.execute(update(Vote).where(Vote.id == first).values(status="open"))
        with pytest.raises(IntegrityError):
            db.session.execute(update(Vote).where(Vote.id == second).values(status="open"))
        db.session.rollback()


# --- closing the session ---------------------------------------------------------------------


def test_the_session_does_not_close_over_an_open_vote(cabinet, app):
    meeting = cabinet.meeting("in_progress")
    sec, chair = cabinet.api(cabinet.secretariat), cabinet.api(cabinet.chair)
    vote = put_vote(chair, meeting["id"], "Thông qua Nghị quyết phiên họp?")
    ok(chair.post(f"/votes/{vote['id']}/open"))
    ok(cabinet.api(cabinet.members[0]).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 201)
    for who in (sec, chair):
        error = assert_error(who.post(f"/meetings/{meeting['id']}/close"), 409, "vote_open")
        assert error["vote_id"] == vote["id"] and error["question"] == "Thông qua Nghị quyết phiên họp?"
        assert "Thông qua Nghị quyết phiên họp?" in error["message"]
    assert ok(sec.get(f"/meetings/{meeting['id']}"))["status"] == "in_progress"
    assert "meeting.close" not in [e["action"] for e in audit_entries(app)]
    ok(chair.post(f"/votes/{vote['id']}/close"))
    assert ok(sec.post(f"/meetings/{meeting['id']}/close"))["status"] == "closed"
    text = exports(cabinet.api(cabinet.clerk), meeting["id"])["minutes.pdf"]
    assert "Thông qua Nghị quyết phiên họp?" in text and "Tán thành: 1" in text


def test_the_meeting_page_closes_the_open_vote_first_when_asked(cabinet, app):
    meeting = cabinet.meeting("in_progress")
    chair = cabinet.api(cabinet.chair)
    vote = put_vote(chair, meeting["id"], "Thông qua Nghị quyết phiên họp?")
    ok(chair.post(f"/votes/{vote['id']}/open"))
    client = page_login(app, cabinet.secretariat)
    page = client.get(f"/meetings/{meeting['id']}").get_data(as_text=True)
    assert f'name="close_vote" value="{vote["id"]}"' in page
    assert "Biểu quyết “Thông qua Nghị quyết phiên họp?” vẫn đang mở" in page
    # Without the page's confirmation (no close_vote): refused, and the page says which vote.
    csrf = CSRF_TOKEN.search(page).group(1)
    refused = client.post(
        f"/meetings/{meeting['id']}/status/close", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert "vẫn đang mở: hãy kết thúc biểu quyết trước khi bế mạc phiên họp" in refused.get_data(as_text=True)
    assert ok(chair.get(f"/votes/{vote['id']}"))["status"] == "open"
    closed = client.post(
        f"/meetings/{meeting['id']}/status/close",
        data={"csrf_token": csrf, "close_vote": vote["id"]},
        follow_redirects=True,
    )
    assert closed.status_code == 200
    assert ok(chair.get(f"/votes/{vote['id']}"))["status"] == "closed"
    assert ok(chair.get(f"/meetings/{meeting['id']}"))["status"] == "closed"


# --- the quorum --------------------------------------------------------------------------------


def test_opening_without_a_quorum_is_allowed_and_recorded(cabinet, app):
    meeting = cabinet.meeting("published")
    sec, chair = cabinet.api(cabinet.secretariat), cabinet.api(cabinet.chair)
    # Four members (the chair and three ministers): a quorum is 3; the chair alone is there.
    shown = ok(sec.get(f"/meetings/{meeting['id']}"))["attendance"]["on_opening"]
    assert shown == {"quorum": False, "members_present": 1, "members": 4, "required": 3}
    started = ok(chair.post(f"/meetings/{meeting['id']}/start"))  # no new field needed
    assert started["status"] == "in_progress" and started["quorum_at_start"] == shown
    start = [e for e in audit_entries(app) if e["action"] == "meeting.start"][-1]
    assert start["payload"]["attendance"] == shown
    status = [e for e in events(sec, meeting["id"]) if e["type"] == "meeting.status"][-1]
    assert status["data"] == {"status": "in_progress", "attendance": shown}

    vote = put_vote(chair, meeting["id"], "Thông qua Nghị quyết phiên họp?")
    ok(chair.post(f"/votes/{vote['id']}/open"))
    opened = [e for e in audit_entries(app) if e["action"] == "vote.open"][-1]
    assert opened["payload"]["attendance"]["quorum"] is False
    live = [e for e in events(sec, meeting["id"]) if e["type"] == "vote.opened"][-1]
    assert live["data"]["attendance"] == shown and live["data"]["vote_id"] == vote["id"]
    ok(chair.post(f"/votes/{vote['id']}/close"))

    # Two ministers arrive: the next vote opens with a quorum, and the record says nothing of it.
    for member in cabinet.members[:2]:
        ok(cabinet.api(member).post(f"/meetings/{meeting['id']}/attendance"))
    later = put_vote(chair, meeting["id"], "Thông qua dự án Luật Đất đai?")
    ok(chair.post(f"/votes/{later['id']}/open"))
    ok(chair.post(f"/votes/{later['id']}/close"))
    ok(chair.post(f"/meetings/{meeting['id']}/close"))
    texts = exports(cabinet.api(cabinet.clerk), meeting["id"])
    for name in ("minutes.pdf", "minutes.docx"):
        text = texts[name]
        assert (
            "Phiên họp được khai mạc khi chưa đủ số lượng thành viên theo quy định (có mặt 1/4, tối thiểu 3)."
            in text
        ), name
        assert text.count("Biểu quyết được tiến hành khi chưa đủ số lượng thành viên") == 1, name
        assert "Thành viên có mặt: 3/4; đủ số lượng thành viên" in text, name
        # The chair chaired: present, though never checked in.
        present = text.split("Có mặt")[1].split("Vắng mặt")[0]
        assert cabinet.chair.full_name in present, name


def test_the_minutes_page_says_the_session_opened_without_a_quorum(cabinet, app):
    meeting = cabinet.meeting("in_progress")
    page = page_login(app, cabinet.clerk).get(f"/meetings/{meeting['id']}/minutes").get_data(as_text=True)
    assert (
        "Phiên họp được khai mạc khi chưa đủ số lượng thành viên theo quy định (có mặt 1/4, tối thiểu 3)."
        in page
    )


# --- every vote in the record --------------------------------------------------------------------


def test_every_vote_taken_is_in_the_minutes_and_the_notice_pdf_and_docx(cabinet):
    meeting = cabinet.meeting("in_progress")
    chair = cabinet.api(cabinet.chair)
    land = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    named = put_vote(chair, meeting["id"], "Thông qua dự án Luật Đất đai?", agenda_item_id=land["id"])
    secret = put_vote(
        chair, meeting["id"], "Bỏ phiếu kín về nhân sự?", secret=True, agenda_item_id=land["id"]
    )
    general = put_vote(chair, meeting["id"], "Thông qua chương trình phiên họp?")
    put_vote(chair, meeting["id"], "Câu hỏi chưa đưa ra biểu quyết?")  # never opened
    for vote, choices in (
        (named, ("yes", "yes", "no")),
        (secret, ("no", "abstain", "yes")),
        (general, ("yes",)),
    ):
        ok(chair.post(f"/votes/{vote['id']}/open"))
        for member, choice in zip(cabinet.members, choices, strict=False):
            ok(cabinet.api(member).post(f"/votes/{vote['id']}/cast", json={"choice": choice}), 201)
        ok(chair.post(f"/votes/{vote['id']}/close"))
    ok(chair.post(f"/meetings/{meeting['id']}/close"))
    for name, text in exports(cabinet.api(cabinet.members[0]), meeting["id"]).items():
        for question in (
            "Thông qua dự án Luật Đất đai?",
            "Bỏ phiếu kín về nhân sự?",
            "Thông qua chương trình phiên họp?",
        ):
            assert question in text, (name, question)
        assert "Tán thành: 2; Không tán thành: 1; Không biểu quyết: 0" in text, name
        assert "Biểu quyết kín: Bỏ phiếu kín về nhân sự?" in text, name
        assert "Câu hỏi chưa đưa ra biểu quyết?" not in text, name  # never put: not taken


def test_an_open_vote_shows_in_the_record_during_the_session(cabinet):
    meeting = cabinet.meeting("in_progress")
    chair = cabinet.api(cabinet.chair)
    vote = put_vote(chair, meeting["id"], "Thông qua Nghị quyết phiên họp?")
    ok(chair.post(f"/votes/{vote['id']}/open"))
    ok(cabinet.api(cabinet.members[0]).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 201)
    text = exports(cabinet.api(cabinet.clerk), meeting["id"])["minutes.pdf"]
    assert "Thông qua Nghị quyết phiên họp?" in text
    assert "Đang biểu quyết: 1/4 thành viên đã biểu quyết." in text
    assert "Tán thành: 1" not in text  # running counts are the chair's and the secretariat's only


# --- the confidential annex ------------------------------------------------------------------------


@pytest.fixture
def confidential_session(cabinet):
    """A session with a public item, a confidential one cleared for the first minister, and the clerk
    taking part; notes, decisions and a vote on each; closed."""
    people = [*cabinet.participants, cabinet.clerk]
    meeting = cabinet.meeting("published", participants=[p.id for p in people])
    land = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    secret = cabinet.item(
        meeting["id"],
        "Phương án nhân sự Bộ Tài chính",
        confidential=True,
        restricted_to=[cabinet.members[0].id],
    )
    budget = cabinet.item(meeting["id"], "Dự toán ngân sách năm 2027")
    chair = cabinet.api(cabinet.chair)
    ok(chair.post(f"/meetings/{meeting['id']}/start"))
    for item, question in ((land, "Thông qua dự án Luật?"), (secret, "Đồng ý phương án nhân sự?")):
        vote = put_vote(chair, meeting["id"], question, agenda_item_id=item["id"])
        ok(chair.post(f"/votes/{vote['id']}/open"))
        ok(cabinet.api(cabinet.members[0]).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 201)
        ok(chair.post(f"/votes/{vote['id']}/close"))
    ok(
        cabinet.api(cabinet.clerk).put(
            f"/meetings/{meeting['id']}/minutes",
            json={
                "entries": [
                    {
                        "agenda_item_id": land["id"],
                        "notes": "Thảo luận dự án Luật.",
                        "decision": "Thông qua.",
                    },
                    {
                        "agenda_item_id": secret["id"],
                        "notes": "Thảo luận kín về nhân sự.",
                        "decision": "Đồng ý phương án số 2.",
                    },
                ]
            },
        )
    )
    ok(chair.post(f"/meetings/{meeting['id']}/close"))
    return meeting, land, secret, budget


SEALED = "Nội dung mật — biên bản riêng"
SECRETS = (
    "Phương án nhân sự Bộ Tài chính",
    "Thảo luận kín về nhân sự.",
    "Đồng ý phương án số 2.",
    "Đồng ý phương án nhân sự?",
)


def test_a_confidential_item_keeps_its_place_sealed_for_those_not_cleared(cabinet, confidential_session):
    meeting, *_ = confidential_session
    for name, text in exports(cabinet.api(cabinet.members[1]), meeting["id"]).items():
        assert f"2. {SEALED}" in text, name
        assert "3. Dự toán ngân sách năm 2027" in text, name  # numbered as held, not closed up
        assert "PHỤ LỤC MẬT" not in text, name
        for secret in SECRETS:
            assert secret not in text, (name, secret)


def test_the_annex_is_read_by_those_cleared_and_by_the_clerk(cabinet, confidential_session):
    meeting, *_ = confidential_session
    for who in (cabinet.members[0], cabinet.clerk, cabinet.chair, cabinet.secretariat):
        texts = exports(cabinet.api(who), meeting["id"])
        for name in ("minutes.pdf", "minutes.docx"):
            text = texts[name]
            general, annex = text.split("PHỤ LỤC MẬT — BIÊN BẢN RIÊNG CÁC NỘI DUNG MẬT")
            assert f"2. {SEALED}" in general and "Thảo luận kín về nhân sự." not in general, (who, name)
            for secret in SECRETS:
                assert secret in annex, (who, name, secret)
        assert "Đồng ý phương án số 2." in texts["conclusions.pdf"].split("PHỤ LỤC MẬT")[1]


def test_the_secretariat_can_withdraw_the_clerks_clearance(cabinet, confidential_session):
    meeting, _land, secret, _budget = confidential_session
    clerk = cabinet.api(cabinet.clerk)
    assert ok(clerk.get(f"/agenda/{secret['id']}"))["title"] == "Phương án nhân sự Bộ Tài chính"
    sec = cabinet.api(cabinet.secretariat)
    # A closed meeting is not edited; the clearance is set while the meeting is prepared or held.
    fresh = cabinet.meeting("published", participants=[cabinet.chair.id, cabinet.clerk.id])
    item = cabinet.item(fresh["id"], "Nhân sự mật", confidential=True)
    assert ok(clerk.get(f"/agenda/{item['id']}"))["id"] == item["id"]
    # Only the meeting's clerks can be listed.
    assert_error(sec.patch(f"/meetings/{fresh['id']}", json={"clerks_not_cleared": [cabinet.chair.id]}), 400)
    changed = ok(sec.patch(f"/meetings/{fresh['id']}", json={"clerks_not_cleared": [cabinet.clerk.id]}))
    mine = next(p for p in changed["participants"] if p["user_id"] == cabinet.clerk.id)
    assert mine["clerk_cleared"] is False
    assert_error(clerk.get(f"/agenda/{item['id']}"), 404)
    assert "PHỤ LỤC MẬT" not in exports(clerk, fresh["id"])["minutes.pdf"]
    ok(sec.patch(f"/meetings/{fresh['id']}", json={"clerks_not_cleared": []}))
    assert ok(clerk.get(f"/agenda/{item['id']}"))["id"] == item["id"]


def test_a_clerk_who_does_not_take_part_is_not_cleared(cabinet, confidential_session, make_user, api_for):
    meeting, _land, secret, _budget = confidential_session
    other_clerk = api_for(make_user("clerk"))
    assert_error(other_clerk.get(f"/agenda/{secret['id']}"), 404)
    assert "PHỤ LỤC MẬT" not in exports(other_clerk, meeting["id"])["minutes.pdf"]


def test_the_meeting_page_asks_before_opening_without_a_quorum(cabinet, app):
    meeting = cabinet.meeting("published")
    client = page_login(app, cabinet.secretariat)
    page = client.get(f"/meetings/{meeting['id']}").get_data(as_text=True)
    assert (
        'data-confirm="Chưa đủ số lượng thành viên theo quy định: có mặt 1/4, tối thiểu 3. '
        'Vẫn khai mạc phiên họp? Biên bản sẽ ghi nhận điều này."' in page
    )
    for member in cabinet.members[:2]:
        ok(cabinet.api(member).post(f"/meetings/{meeting['id']}/attendance"))
    # With the chair, three of four: nothing to ask.
    assert "Vẫn khai mạc phiên họp?" not in client.get(f"/meetings/{meeting['id']}").get_data(as_text=True)
