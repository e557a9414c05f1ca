from ecabinet.auth.models import User
from ecabinet.ballots import service
from ecabinet.ballots.models import OpinionBallot
from ecabinet.common.time import iso
from ecabinet.documents import serialize as documents
from ecabinet.documents.service import can_see_document
from ecabinet.meetings.access import is_secretariat


def ballot(user: User, b: OpinionBallot, detail: bool = False) -> dict:
    out = {
        "id": b.id,
        "title": b.title,
        "summary": b.summary,
        "status": b.status,
        "deadline": iso(b.deadline),
        "silence_is_consent": b.silence_is_consent,
        "chair_id": b.chair_id,
        "sent_at": iso(b.sent_at),
        "closed_at": iso(b.closed_at),
        "questions": [{"id": q.id, "text": q.text} for q in b.questions],
        "recipient_count": len(b.recipients),
    }
    if service.is_recipient(user, b):
        out["my_status"] = service.my_status(user, b)
    if detail:
        out["documents"] = [documents.document(d) for d in b.documents if can_see_document(user, d)]
        mine = service.own_answers(user, b)
        out["answers"] = [
            {"question_id": q_id, "choice": a.choice, "comment": a.comment, "answered_at": iso(a.answered_at)}
            for q_id, a in sorted(mine.items())
        ]
        if is_secretariat(user):
            out["recipients"] = [
                {
                    "user_id": r.user_id,
                    "full_name": r.user.full_name,
                    "title": r.user.title,
                    "reminded_at": iso(r.reminded_at),
                    "reminders": r.reminders,
                }
                for r in b.recipients
            ]
    return out


def results(r: service.Results) -> dict:
    return {
        "ballot_id": r.ballot.id,
        "status": r.ballot.status,
        "final": r.ballot.status == "closed",
        "recipients": r.recipients,
        "silence_is_consent": r.ballot.silence_is_consent,
        "questions": [
            {
                "question_id": q.question.id,
                "id": q.question.id,
                "text": q.question.text,
                "agree": q.agree,
                "disagree": q.disagree,
                "other": q.other,
                "no_answer": q.no_answer,
                "agree_by_silence": q.agree_by_silence,
                "passed": q.passed,
                "answers": [
                    {
                        "user_id": a.user.id,
                        "full_name": a.user.full_name,
                        "choice": a.choice,
                        "comment": a.comment,
                        "answered_at": iso(a.answered_at),
                        "by_silence": a.by_silence,
                        "earlier_version": a.earlier_version,
                    }
                    for a in q.answers
                ],
            }
            for q in r.questions
        ],
    }
