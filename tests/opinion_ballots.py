"""Written-opinion ballots built through the API as the secretariat and the members use it: drafted,
sent, answered, and their deadline moved into the past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from ecabinet.extensions import db
from tests.helpers import ok

LATER = (datetime.now(UTC) + timedelta(days=3)).isoformat()


def ballot_body(cabinet, **fields) -> dict:
    """A ballot of two questions to the chair and the members, due in three days; `fields` replace any of it."""
    return {
        "title": "Dự thảo Nghị định quy định chi tiết Luật Dữ liệu",
        "questions": [{"text": "Đồng ý ban hành Nghị định?"}, {"text": "Đồng ý hiệu lực từ 01/01/2027?"}],
        "recipients": [p.id for p in (cabinet.chair, *cabinet.members)],
        "deadline": LATER,
        "summary": "Bộ Khoa học và Công nghệ trình dự thảo Nghị định.",
        **fields,
    }


def draft_ballot(cabinet, **fields) -> dict:
    """A ballot the secretariat has written and not yet sent, as the API answers it."""
    body = ballot_body(cabinet, **fields)
    ballot = ok(cabinet.api(cabinet.secretariat).post("/ballots", json=body), 201)
    assert ballot["status"] == "draft" and [q["text"] for q in ballot["questions"]] == [
        q["text"] for q in body["questions"]
    ]
    return ballot


def sent_ballot(cabinet, **fields) -> dict:
    """A ballot the secretariat has sent to its recipients, as the API answers it."""
    ballot = draft_ballot(cabinet, **fields)
    sent = ok(cabinet.api(cabinet.secretariat).post(f"/ballots/{ballot['id']}/send"))
    assert sent["status"] == "sent"
    return sent


def answer_ballot(cabinet, person, ballot, *answers):
    """`person` answers: each answer is (question's index, choice, comment or None). The API's answer."""
    return cabinet.api(person).put(
        f"/ballots/{ballot['id']}/response",
        json={
            "answers": [
                {
                    "question_id": ballot["questions"][i]["id"],
                    "choice": choice,
                    **({"comment": comment} if comment else {}),
                }
                for i, choice, comment in answers
            ]
        },
    )


def answered_ballot(cabinet) -> dict:
    """A sent ballot two members have answered, with a comment each, and two have not."""
    ballot = sent_ballot(cabinet, title="Đề án chuyển đổi số quốc gia giai đoạn 2026–2030")
    answer_ballot(
        cabinet,
        cabinet.members[0],
        ballot,
        (0, "agree", None),
        (1, "disagree", "Đề nghị lùi thời hạn áp dụng"),
    )
    answer_ballot(
        cabinet,
        cabinet.members[1],
        ballot,
        (0, "other", "Cần bổ sung đánh giá tác động thủ tục hành chính"),
        (1, "agree", None),
    )
    return ballot


def expire_ballot(app, ballot_id: int) -> None:
    """The ballot's deadline a minute past, written straight to the database (the API refuses a past one)."""
    with app.app_context():
        db.session.execute(
            text("UPDATE opinion_ballots SET deadline = :past WHERE id = :id"),
            {
                "past": datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
                if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
                else datetime.now(UTC) - timedelta(minutes=1),
                "id": ballot_id,
            },
        )
        db.session.commit()
