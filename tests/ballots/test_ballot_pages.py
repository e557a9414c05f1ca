"""The written-opinion ballot pages, used as a person would: log in through the form, read the page,
post its forms. (The answer page's script, which PUTs to the API, is driven in test_ballot_browser.py.)"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from ecabinet.ballots.views import time_left
from ecabinet.extensions import db
from tests.helpers import ok
from tests.opinion_ballots import draft_ballot, sent_ballot
from tests.pdfs import make_pdf, multipart

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _ballot(cabinet, recipients, send=True, **fields) -> dict:
    made = sent_ballot if send else draft_ballot
    return made(
        cabinet,
        **{
            "title": "Lấy ý kiến về dự thảo Nghị định quy định chi tiết Luật Dữ liệu",
            "summary": "Bộ Khoa học và Công nghệ trình; Bộ Tư pháp đã thẩm định.",
            "recipients": [p.id for p in recipients],
            **fields,
        },
    )


def _answer(cabinet, person, ballot, *choices):
    answers = [
        {
            "question_id": q["id"],
            "choice": choice,
            "comment": "Đề nghị làm rõ thêm." if choice != "agree" else None,
        }
        for q, choice in zip(ballot["questions"], choices, strict=False)
    ]
    return ok(cabinet.api(person).put(f"/ballots/{ballot['id']}/response", json={"answers": answers}))


def _card(page: str, ballot_id: int) -> str:
    found = re.search(rf'<li class="ballot-card[^"]*" id="ballot-{ballot_id}">(.*?)</li>', page, re.S)
    assert found, f"no card for ballot {ballot_id}"
    return found.group(0)


def test_inbox_shows_each_members_own_status(cabinet, pages):
    first, second = cabinet.members[:2]
    # Three days and half an hour from now: the card says three days whenever in the half hour it is read.
    deadline = (datetime.now(UTC) + timedelta(days=3, minutes=30)).isoformat()
    open_ballot = _ballot(cabinet, [first, second], deadline=deadline)
    _answer(cabinet, first, open_ballot, "agree", "other")
    ended = _ballot(cabinet, [first, second], title="Lấy ý kiến về Đề án chuyển đổi số")
    _answer(cabinet, first, ended, "agree", "agree")
    ok(cabinet.api(cabinet.secretariat).post(f"/ballots/{ended['id']}/close"))
    draft = _ballot(cabinet, [first, second], send=False, title="Phiếu còn là dự thảo")

    page = pages(first).text("/ballots")
    assert "Phiếu lấy ý kiến" in page  # the top bar's link
    card = _card(page, open_ballot["id"])
    assert "my-answered" in card and "Đã trả lời" in card
    assert "còn 3 ngày 0 giờ" in card
    assert "Đã trả lời" in _card(page, ended["id"])
    assert f"ballot-{draft['id']}" not in page and "Phiếu còn là dự thảo" not in page
    assert "Tạo phiếu mới" not in page

    page = pages(second).text("/ballots")
    card = _card(page, open_ballot["id"])
    assert "my-unanswered" in card and "Chưa trả lời" in card
    assert f'href="/ballots/{open_ballot["id"]}"' in card
    card = _card(page, ended["id"])
    assert "my-overdue" in card and "Quá hạn" in card
    # Open ballots come before the ended ones.
    assert page.index(f"ballot-{open_ballot['id']}") < page.index(f"ballot-{ended['id']}")

    assert "Chưa có phiếu lấy ý kiến nào." in pages(cabinet.outsider).text("/ballots")

    page = pages(cabinet.secretariat).text("/ballots")
    assert "Tạo phiếu mới" in page and 'href="/ballots/new"' in page
    assert "Phiếu còn là dự thảo" in _card(page, draft["id"]) and "Dự thảo" in _card(page, draft["id"])
    card = _card(page, open_ballot["id"])
    assert "Đang lấy ý kiến" in card and "1/2 thành viên" in card
    assert f'href="/ballots/{open_ballot["id"]}/dashboard"' in card
    assert "Đã kết thúc" in _card(page, ended["id"])


def test_the_answer_page_is_for_recipients_only(cabinet, pages):
    member = cabinet.members[0]
    ballot = _ballot(cabinet, [member])
    draft = _ballot(cabinet, [member], send=False)

    assert pages(cabinet.outsider).text(f"/ballots/{ballot['id']}", status=404)
    assert pages(member).text(f"/ballots/{draft['id']}", status=404)  # not sent yet
    assert pages(member).text("/ballots/999999", status=404)

    page = pages(member).text(f"/ballots/{ballot['id']}")
    assert ballot["title"] in page and "Bộ Tư pháp đã thẩm định" in page
    for question in ballot["questions"]:
        assert f'name="choice-{question["id"]}"' in page and f'name="comment-{question["id"]}"' in page
    assert page.count(">Đồng ý</span>") == 2 and page.count(">Không đồng ý</span>") == 2
    assert page.count(">Ý kiến khác</span>") == 2
    assert "Gửi ý kiến" in page and "Chưa trả lời" in page
    config = json.loads(re.search(r'id="ballot-config">(.*?)</script>', page).group(1))
    assert config["responseUrl"] == f"/api/v1/ballots/{ballot['id']}/response" and config["open"] is True
    strings = json.loads(re.search(r'id="ballot-strings">(.*?)</script>', page).group(1))
    assert strings["savedAt"] == "Đã lưu lúc {time}"


def test_answers_through_the_form_without_the_script(cabinet, pages):
    member = cabinet.members[0]
    ballot = _ballot(cabinet, [member])
    path = f"/ballots/{ballot['id']}"
    first, second = (q["id"] for q in ballot["questions"])
    browser = pages(member)

    response = browser.post(
        f"{path}/answer", {f"choice-{first}": "agree", f"choice-{second}": "disagree"}, page=path
    )
    assert response.status_code == 302
    page = browser.text(path)
    assert "đề nghị ghi rõ ý kiến, lý do" in page  # the comment the disagreement needs
    assert ok(cabinet.api(member).get(f"/ballots/{ballot['id']}"))["answers"] == []

    browser.post(
        f"{path}/answer",
        {f"choice-{first}": "agree", f"choice-{second}": "disagree", f"comment-{second}": "Chưa đủ cơ sở."},
        page=path,
    )
    answers = ok(cabinet.api(member).get(f"/ballots/{ballot['id']}"))["answers"]
    assert [(a["choice"], a["comment"]) for a in answers] == [("agree", None), ("disagree", "Chưa đủ cơ sở.")]
    saved = datetime.fromisoformat(answers[1]["answered_at"]).astimezone(VIETNAM)
    page = browser.text(path)
    assert f"Đã lưu lúc {saved:%H:%M %d/%m/%Y}" in page
    assert re.search(rf'name="choice-{second}" value="disagree"\s+checked', page)
    assert "Lưu ý kiến" in page and "Đã trả lời" in page

    ok(cabinet.api(cabinet.secretariat).post(f"/ballots/{ballot['id']}/close"))
    page = browser.text(path)
    assert "Phiếu đã kết thúc" in page and 'id="send-answers"' not in page
    assert len(re.findall(r'<fieldset class="card question"[^>]*disabled>', page)) == 2
    assert re.search(rf'name="choice-{second}" value="disagree"\s+checked', page)


def test_a_member_cannot_open_the_secretariats_pages(cabinet, pages):
    member = cabinet.members[0]
    ballot = _ballot(cabinet, [member])
    browser = pages(member)
    assert browser.text("/ballots/new", status=403)
    assert browser.text(f"/ballots/{ballot['id']}/dashboard", status=403)
    assert browser.text(f"/ballots/{ballot['id']}/edit", status=403)
    response = browser.post("/ballots/new", {"title": "Phiếu lạ"}, page="/ballots")
    assert response.status_code == 403
    assert browser.post(f"/ballots/{ballot['id']}/close", {}, page="/ballots").status_code == 302
    assert ok(cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}"))["status"] == "sent"


def _local(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M")


def test_the_secretariat_creates_a_ballot_through_the_form(cabinet, pages):
    sec = pages(cabinet.secretariat)
    form = sec.text("/ballots/new")
    for member in (cabinet.chair, *cabinet.members):
        assert f'name="recipients" value="{member.id}"' in form
    assert f'name="recipients" value="{cabinet.observer.id}"' not in form  # members only
    deadline = (datetime.now(UTC) + timedelta(days=5)).replace(second=0, microsecond=0)
    response = sec.post(
        "/ballots/new",
        {
            "title": "Lấy ý kiến về dự thảo Nghị định về định danh điện tử",
            "summary": "Bộ Công an trình.",
            "questions": ["Đồng ý ban hành Nghị định?", "  ", "Đồng ý hiệu lực từ 01/7/2027?"],
            "recipients": [str(cabinet.members[0].id), str(cabinet.members[1].id)],
            "deadline": _local(deadline),
            "chair_id": str(cabinet.chair.id),
            "silence_is_consent": "on",
        },
        page="/ballots/new",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    ballot_id = int(re.search(r"/ballots/(\d+)/dashboard$", response.headers["Location"]).group(1))

    page = sec.text(f"/ballots/{ballot_id}/dashboard")
    assert "Lấy ý kiến về dự thảo Nghị định về định danh điện tử" in page
    assert "badge ballot-draft" in page and "Dự thảo" in page
    assert "Đã lưu phiếu ở dạng dự thảo" in page
    assert "Gửi phiếu" in page and f'href="/ballots/{ballot_id}/edit"' in page
    assert "Báo cáo (PDF)" not in page  # nothing to report on a draft

    saved = ok(cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot_id}"))
    assert saved["status"] == "draft" and saved["silence_is_consent"] is True
    assert [q["text"] for q in saved["questions"]] == [
        "Đồng ý ban hành Nghị định?",
        "Đồng ý hiệu lực từ 01/7/2027?",
    ]
    assert sorted(r["user_id"] for r in saved["recipients"]) == [cabinet.members[0].id, cabinet.members[1].id]
    assert datetime.fromisoformat(saved["deadline"]) == deadline  # typed in Vietnam time, kept as that moment
    assert saved["chair_id"] == cabinet.chair.id and saved["summary"] == "Bộ Công an trình."

    assert "Phiếu lấy ý kiến" in sec.text("/ballots") and "Dự thảo" in sec.text("/ballots")

    # Still a draft: edit it, then send it from the dashboard.
    edit = sec.text(f"/ballots/{ballot_id}/edit")
    assert "Đồng ý hiệu lực từ 01/7/2027?" in edit and f'value="{_local(deadline)}"' in edit
    response = sec.post(
        f"/ballots/{ballot_id}/edit",
        {
            "title": "Lấy ý kiến về dự thảo Nghị định về định danh điện tử (lần 2)",
            "questions": ["Đồng ý ban hành Nghị định?"],
            "all_members": "on",
            "deadline": _local(deadline),
        },
        page=f"/ballots/{ballot_id}/edit",
    )
    assert response.status_code == 302
    saved = ok(cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot_id}"))
    assert saved["title"].endswith("(lần 2)") and len(saved["questions"]) == 1
    assert {r["user_id"] for r in saved["recipients"]} == {
        p.id for p in (cabinet.chair, *cabinet.members)
    } | {cabinet.outsider.id}
    assert saved["chair_id"] is None and saved["silence_is_consent"] is False

    response = sec.post(f"/ballots/{ballot_id}/send", {}, page=f"/ballots/{ballot_id}/dashboard")
    assert response.status_code == 302
    page = sec.text(f"/ballots/{ballot_id}/dashboard")
    assert "Đã gửi phiếu đến 5 thành viên." in page and "Đang lấy ý kiến" in page
    assert sec.client.get(f"/ballots/{ballot_id}/edit").status_code == 302
    assert "Chỉ được sửa phiếu khi còn ở dạng dự thảo." in sec.text(f"/ballots/{ballot_id}/dashboard")


def test_a_refused_form_comes_back_as_it_was_typed(cabinet, pages):
    sec = pages(cabinet.secretariat)
    past = datetime.now(UTC) - timedelta(hours=2)
    response = sec.post(
        "/ballots/new",
        {
            "title": "Phiếu có thời hạn đã qua",
            "questions": ["Câu hỏi thứ nhất?", "Câu hỏi thứ hai?"],
            "recipients": [str(cabinet.members[0].id)],
            "deadline": _local(past),
        },
        page="/ballots/new",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # Said beside the field it is about.
    assert (
        '<span class="field-error" id="error-deadline">Thời hạn phải là một thời điểm trong tương lai.'
        in page
    )
    assert 'value="Phiếu có thời hạn đã qua"' in page and "Câu hỏi thứ hai?" in page
    assert re.search(rf'value="{cabinet.members[0].id}"\s+checked', page)

    response = sec.post(
        "/ballots/new",
        {
            "title": "Phiếu thiếu câu hỏi",
            "all_members": "on",
            "deadline": _local(datetime.now(UTC) + timedelta(days=1)),
        },
        page="/ballots/new",
    )
    assert response.status_code == 400
    assert 'id="error-questions">Đề nghị nhập ít nhất một câu hỏi.' in response.get_data(as_text=True)
    assert ok(cabinet.api(cabinet.secretariat).get("/ballots")) == []


def test_the_dashboard_follows_the_ballot(app, cabinet, pages):
    first, second, third = cabinet.members
    ballot = _ballot(cabinet, [first, second, third], chair_id=first.id, silence_is_consent=True)
    _answer(cabinet, first, ballot, "agree", "disagree")
    sec_api = cabinet.api(cabinet.secretariat)
    # A paper added after the first answer: that answer was given on an earlier version.
    ok(sec_api.post(f"/ballots/{ballot['id']}/documents", **multipart(make_pdf("Dự thảo sửa đổi"))), 201)
    _answer(cabinet, second, ballot, "other")

    sec = pages(cabinet.secretariat)
    path = f"/ballots/{ballot['id']}/dashboard"
    page = sec.text(path)
    # One has answered both questions, the other only the first.
    assert re.search(r"<strong data-answered>1</strong> / 3", page)
    assert "Đề nghị làm rõ thêm." in page and "Trả lời trên phiên bản trước" in page
    assert "Đã trả lời 1/2 câu hỏi" in page
    assert "Nhắc thành viên chưa trả lời" in page and "Kết thúc sớm" in page
    assert f'href="/api/v1/ballots/{ballot["id"]}/report.pdf"' in page
    assert f'href="/api/v1/ballots/{ballot["id"]}/report.docx"' in page
    results = json.loads(re.search(r'id="ballot-results">(.*?)</script>', page).group(1))
    assert results["questions"][0]["agree"] == 1 and results["questions"][0]["other"] == 1
    config = json.loads(re.search(r'id="ballot-config">(.*?)</script>', page).group(1))
    assert config["resultsUrl"] == f"/api/v1/ballots/{ballot['id']}/results"

    sec.post(f"/ballots/{ballot['id']}/remind", {}, page=path)
    page = sec.text(path)
    assert "Đã gửi lời nhắc đến 2 thành viên chưa trả lời." in page
    assert "Đã nhắc 1 lần" in page

    sec.post(f"/ballots/{ballot['id']}/close", {}, page=path)
    page = sec.text(path)
    assert "Đã kết thúc phiếu; kết quả là chính thức." in page and "Mở lại phiếu" in page
    assert "Được tính là đồng ý (không trả lời)" in page  # silence is consent, now that it has closed
    assert "Trong đó 1 ý kiến được tính là đồng ý do không trả lời." in page

    sec.post(f"/ballots/{ballot['id']}/reopen", {"reason": "", "deadline": ""}, page=path)
    assert "Đề nghị nhập thời hạn trả lời" in sec.text(path)
    later = datetime.now(UTC) + timedelta(days=2)
    sec.post(f"/ballots/{ballot['id']}/reopen", {"reason": "  ", "deadline": _local(later)}, page=path)
    assert "Đề nghị nêu lý do mở lại phiếu." in sec.text(path)
    sec.post(
        f"/ballots/{ballot['id']}/reopen",
        {"reason": "Bổ sung tài liệu thẩm định", "deadline": _local(later)},
        page=path,
    )
    page = sec.text(path)
    assert "Phiếu đã được mở lại đến thời hạn mới." in page and "Đang lấy ý kiến" in page
    with app.app_context():
        reason = db.session.execute(
            text("SELECT payload FROM audit_entries WHERE action = 'ballot.reopen'")
        ).scalar_one()
    reason = json.loads(reason) if isinstance(reason, str) else reason
    assert reason["reason"] == "Bổ sung tài liệu thẩm định"


def test_time_left_in_words(app):
    deadline = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    with app.test_request_context("/"):
        assert time_left(deadline, deadline - timedelta(days=6, hours=23, minutes=5)) == "còn 6 ngày 23 giờ"
        assert time_left(deadline, deadline - timedelta(hours=5, minutes=7)) == "còn 5 giờ 7 phút"
        assert time_left(deadline, deadline - timedelta(seconds=20)) == "còn 1 phút"
        assert time_left(deadline, deadline) == "Đã hết hạn"
