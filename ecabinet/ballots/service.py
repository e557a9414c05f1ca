"""Written-opinion ballots: prepare, send, answer by the deadline, remind, close, compile the result."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ecabinet.audit import service as audit
from ecabinet.auth import service as auth_service
from ecabinet.auth.models import User, UserRole
from ecabinet.ballots import mail
from ecabinet.ballots.models import (
    CHOICES,
    BallotAnswer,
    BallotDocument,
    BallotQuestion,
    BallotRecipient,
    BallotResponseReceipt,
    OpinionBallot,
)
from ecabinet.common.time import utcnow
from ecabinet.documents import service as documents
from ecabinet.documents.models import Document
from ecabinet.errors import Conflict, Forbidden, Invalid, NotFound
from ecabinet.extensions import db
from ecabinet.live import publisher
from ecabinet.meetings import access
from ecabinet.meetings.access import is_secretariat

NEEDS_COMMENT = ("disagree", "other")


# --- access --------------------------------------------------------------------------------


def is_recipient(user: User, ballot: OpinionBallot) -> bool:
    return any(r.user_id == user.id for r in ballot.recipients)


def can_see(user: User, ballot: OpinionBallot) -> bool:
    return is_secretariat(user) or (ballot.status != "draft" and is_recipient(user, ballot))


def is_confidential_paper(document: Document) -> bool:
    """A paper of a confidential agenda item: it does not go out with a ballot, whose recipients need
    not be cleared for the item."""
    return document.agenda_item is not None and access.is_confidential(document.agenda_item)


def recipients_see_ballot_documents(user: User, document: Document) -> bool:
    # Not a paper whose agenda item has become confidential since it was attached: that item's
    # clearance decides, as for everyone else.
    if is_confidential_paper(document):
        return False
    links = db.session.scalars(select(BallotDocument).where(BallotDocument.document_id == document.id))
    return any(can_see(user, db.session.get(OpinionBallot, link.ballot_id)) for link in links)


def require_secretariat(user: User) -> None:
    if not is_secretariat(user):
        raise Forbidden("Only the secretariat manages written-opinion ballots")


def get_ballot(user: User, ballot_id: int) -> OpinionBallot:
    ballot = db.session.get(OpinionBallot, ballot_id)
    if ballot is None or not can_see(user, ballot):
        raise NotFound(f"Ballot {ballot_id} not found")
    close_if_expired(ballot)
    return ballot


def managed(user: User, ballot_id: int) -> OpinionBallot:
    require_secretariat(user)
    return get_ballot(user, ballot_id)


def list_ballots(user: User) -> list[OpinionBallot]:
    query = select(OpinionBallot).order_by(OpinionBallot.id)  # the API's lists: oldest first
    if not is_secretariat(user):
        query = query.join(BallotRecipient).where(
            BallotRecipient.user_id == user.id, OpinionBallot.status != "draft"
        )
    ballots = list(db.session.scalars(query))
    for ballot in ballots:
        close_if_expired(ballot)
    return ballots


# --- preparing -----------------------------------------------------------------------------


def _members(ids: Iterable[int], field_name: str) -> list[User]:
    users = auth_service.users_by_ids(ids, field_name)
    not_members = [u.id for u in users if not u.has_role("member") or not u.active]
    if not_members:
        raise Invalid(
            f"Not active cabinet members: {', '.join(map(str, not_members))}",
            code="not_a_member",
            fields=[field_name],
        )
    return users


def all_members() -> list[User]:
    return list(
        db.session.scalars(
            select(User).join(UserRole).where(UserRole.role == "member", User.active).order_by(User.id)
        )
    )


def _check_deadline(deadline: datetime) -> None:
    if deadline <= utcnow():
        raise Invalid("The deadline must be in the future", code="deadline_passed", fields=["deadline"])


def _attach(user: User, ballot: OpinionBallot, document_ids: Iterable[int]) -> None:
    links = []
    for position, document_id in enumerate(dict.fromkeys(document_ids), start=1):
        document = db.session.get(Document, document_id)
        if document is None or not documents.can_see_document(user, document):
            raise Invalid(f"Document {document_id} not found", code="unknown_document", fields=["documents"])
        if is_confidential_paper(document):
            # Attached, it would open to every recipient, cleared for the item or not.
            raise Invalid(
                f"Document {document_id} belongs to a confidential agenda item; upload to the ballot "
                "what its recipients may read",
                code="confidential_document",
                fields=["documents"],
            )
        links.append(BallotDocument(document=document, position=position))
    ballot.document_links = links


def create_ballot(
    user: User,
    *,
    title: str,
    questions: list[str],
    recipients: list[int] | None,
    deadline: datetime,
    summary: str | None = None,
    documents: list[int] | None = None,
    silence_is_consent: bool = False,
    chair_id: int | None = None,
    all_members_recipients: bool = False,
) -> OpinionBallot:
    require_secretariat(user)
    _check_deadline(deadline)
    if not questions:
        raise Invalid("A ballot asks at least one question", fields=["questions"])
    people = all_members() if all_members_recipients else _members(recipients or [], "recipients")
    if not people:
        raise Invalid("A ballot needs at least one recipient", fields=["recipients"])
    if chair_id is not None:
        _members([chair_id], "chair_id")
    ballot = OpinionBallot(
        title=title,
        summary=summary,
        deadline=deadline,
        silence_is_consent=silence_is_consent,
        chair_id=chair_id,
        created_by_id=user.id,
        questions=[BallotQuestion(position=i, text=text) for i, text in enumerate(questions, start=1)],
        recipients=[BallotRecipient(user_id=u.id) for u in people],
    )
    db.session.add(ballot)
    _attach(user, ballot, documents or [])
    audit.record(
        user,
        "ballot.create",
        ballot,
        {"title": title, "recipients": [u.id for u in people], "deadline": deadline.isoformat()},
    )
    return ballot


def update_ballot(user: User, ballot_id: int, **changes) -> OpinionBallot:
    ballot = managed(user, ballot_id)
    if ballot.status != "draft":
        raise Conflict("A ballot is edited only while it is a draft", code="wrong_ballot_state")
    recorded: dict = {}
    for name in ("title", "summary", "silence_is_consent"):
        if name in changes and changes[name] is not None:
            setattr(ballot, name, changes[name])
            recorded[name] = changes[name]
    if changes.get("deadline") is not None:
        _check_deadline(changes["deadline"])
        ballot.deadline = changes["deadline"]
        recorded["deadline"] = changes["deadline"].isoformat()
    if "chair_id" in changes:
        if changes["chair_id"] is not None:
            _members([changes["chair_id"]], "chair_id")
        ballot.chair_id = changes["chair_id"]
        recorded["chair_id"] = changes["chair_id"]
    if changes.get("questions") is not None:
        if not changes["questions"]:
            raise Invalid("A ballot asks at least one question", fields=["questions"])
        ballot.questions = [
            BallotQuestion(position=i, text=t) for i, t in enumerate(changes["questions"], start=1)
        ]
        recorded["questions"] = changes["questions"]
    if changes.get("all_members_recipients") or changes.get("recipients") is not None:
        people = (
            all_members()
            if changes.get("all_members_recipients")
            else _members(changes["recipients"], "recipients")
        )
        if not people:
            raise Invalid("A ballot needs at least one recipient", fields=["recipients"])
        ballot.recipients = [BallotRecipient(user_id=u.id) for u in people]
        recorded["recipients"] = [u.id for u in people]
    if changes.get("documents") is not None:
        _attach(user, ballot, changes["documents"])
        recorded["documents"] = changes["documents"]
    if recorded:
        audit.record(user, "ballot.update", ballot, recorded)
    return ballot


def add_document(user: User, ballot_id: int, stream, filename: str | None, title: str | None) -> Document:
    ballot = managed(user, ballot_id)
    if ballot.status == "closed":
        raise Conflict("The ballot is closed", code="wrong_ballot_state")
    document = documents.create_document(user, stream, filename, title)
    ballot.document_links.append(BallotDocument(document=document, position=len(ballot.document_links) + 1))
    audit.record(user, "ballot.attach", ballot, {"document_id": document.id})
    return document


# --- sending, reminding, closing -------------------------------------------------------------


def send(user: User, ballot_id: int) -> OpinionBallot:
    ballot = managed(user, ballot_id)
    if ballot.status != "draft":
        raise Conflict(f"The ballot is {ballot.status}, not a draft", code="wrong_ballot_state")
    _check_deadline(ballot.deadline)
    ballot.status, ballot.sent_at = "sent", utcnow()
    audit.record(user, "ballot.send", ballot, {"recipients": [r.user_id for r in ballot.recipients]})
    for recipient in ballot.recipients:
        _notify(recipient.user, ballot, "ballot.sent")
    return ballot


def unanswered(ballot: OpinionBallot) -> list[BallotRecipient]:
    """Recipients who have not answered every question."""
    answered = _answers_by_user(ballot)
    needed = {q.id for q in ballot.questions}
    return [r for r in ballot.recipients if set(answered.get(r.user_id, {})) < needed]


def remind(user: User, ballot_id: int) -> list[BallotRecipient]:
    ballot = managed(user, ballot_id)
    if ballot.status != "sent":
        raise Conflict(
            f"The ballot is {ballot.status}; reminders go out while it is open", code="wrong_ballot_state"
        )
    late = unanswered(ballot)
    now = utcnow()
    for recipient in late:
        recipient.reminded_at, recipient.reminders = now, recipient.reminders + 1
        _notify(recipient.user, ballot, "ballot.reminder")
    audit.record(user, "ballot.remind", ballot, {"reminded": [r.user_id for r in late]})
    return late


def close(user: User, ballot_id: int) -> OpinionBallot:
    ballot = managed(user, ballot_id)
    if ballot.status != "sent":
        raise Conflict(f"The ballot is {ballot.status}, not open for answers", code="wrong_ballot_state")
    _close(ballot, user, "ballot.close")
    return ballot


def close_if_expired(ballot: OpinionBallot) -> bool:
    """The deadline is the server's: a ballot past it closes on the next look, whoever looks."""
    if ballot.status == "sent" and ballot.deadline <= utcnow():
        _close(ballot, None, "ballot.expire")
        return True
    return False


def close_expired() -> int:
    ballots = db.session.scalars(
        select(OpinionBallot).where(OpinionBallot.status == "sent", OpinionBallot.deadline <= utcnow())
    ).all()
    for ballot in ballots:
        close_if_expired(ballot)
    return len(ballots)


def _close(ballot: OpinionBallot, user: User | None, action: str) -> None:
    ballot.status, ballot.closed_at = "closed", utcnow()
    summary = results(ballot)
    audit.record(
        user,
        action,
        ballot,
        {
            "passed": {str(q.question.id): q.passed for q in summary.questions},
            "silence_is_consent": ballot.silence_is_consent,
        },
    )


def reopen(user: User, ballot_id: int, reason: str, deadline: datetime) -> OpinionBallot:
    ballot = managed(user, ballot_id)
    if ballot.status != "closed":
        raise Conflict("Only a closed ballot is re-opened", code="wrong_ballot_state")
    if not reason.strip():
        raise Invalid("Say why the ballot is re-opened", fields=["reason"])
    _check_deadline(deadline)
    ballot.status, ballot.deadline, ballot.closed_at = "sent", deadline, None
    audit.record(user, "ballot.reopen", ballot, {"reason": reason.strip(), "deadline": deadline.isoformat()})
    return ballot


def _notify(recipient: User, ballot: OpinionBallot, kind: str) -> None:
    db.session.flush()
    publisher.publish_to_user(
        recipient.id,
        kind,
        {"ballot_id": ballot.id, "title": ballot.title, "deadline": ballot.deadline.isoformat()},
    )
    mail.queue_ballot_mail(recipient, ballot, kind)


# --- answering -----------------------------------------------------------------------------


def basis_of(ballot: OpinionBallot, question: BallotQuestion) -> str:
    """A fingerprint of what an answer was given on: the question and the papers' current versions."""
    parts = [question.text] + [f"{d.id}:{d.latest.sha256}" for d in ballot.documents]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@dataclass
class AnswerInput:
    question_id: int
    choice: str
    comment: str | None = None


def answerable(user: User, ballot_id: int) -> OpinionBallot:
    """The ballot, if the caller is one of those it asks."""
    ballot = db.session.get(OpinionBallot, ballot_id)
    recipient = ballot is not None and is_recipient(user, ballot)
    if ballot is None or not (recipient or can_see(user, ballot)):
        raise NotFound(f"Ballot {ballot_id} not found")
    if not recipient:  # the secretariat, who prepared it
        raise Forbidden("Only the ballot's recipients answer it")
    return ballot


def respond(
    user: User, ballot_id: int, answers: list[AnswerInput], client_id: str | None = None
) -> OpinionBallot:
    """The ballot with the caller's answers. A retry of a response already received with this
    `client_id` changes nothing and is answered with what is stored since, even once the ballot has
    closed: a newer answer from another device is not overwritten by an older one sent late."""
    ballot = answerable(user, ballot_id)
    if client_id and _received(user, ballot, client_id):
        return ballot
    close_if_expired(ballot)
    if ballot.status != "sent":
        reason = "has not been sent yet" if ballot.status == "draft" else "is closed"
        raise Conflict(f"The ballot {reason}; answers are not taken", code="ballot_not_open")
    questions = {q.id: q for q in ballot.questions}
    seen: set[int] = set()
    for answer in answers:
        if answer.question_id not in questions:
            raise Invalid(
                f"Question {answer.question_id} is not in this ballot",
                code="unknown_question",
                fields=["answers"],
            )
        if answer.question_id in seen:
            raise Invalid(
                f"Question {answer.question_id} is answered twice",
                code="duplicate_question",
                fields=["answers"],
            )
        seen.add(answer.question_id)
        if answer.choice not in CHOICES:
            raise Invalid(
                f"Unknown choice {answer.choice!r}; one of {', '.join(CHOICES)}",
                code="unknown_choice",
                fields=["answers"],
            )
        if answer.choice in NEEDS_COMMENT and not (answer.comment or "").strip():
            raise Invalid(
                "Disagreeing or another opinion needs a comment giving the reasons",
                code="comment_required",
                fields=["answers"],
            )
    if client_id:
        try:
            with db.session.begin_nested():
                db.session.add(
                    BallotResponseReceipt(ballot_id=ballot.id, user_id=user.id, client_id=client_id)
                )
        except IntegrityError:
            # The same tablet's retry raced the first attempt: the first one stands.
            if not _received(user, ballot, client_id):
                raise
            return ballot
    existing = {
        a.question_id: a
        for a in db.session.scalars(
            select(BallotAnswer).where(BallotAnswer.ballot_id == ballot.id, BallotAnswer.user_id == user.id)
        )
    }
    now = utcnow()
    for answer in answers:
        question = questions[answer.question_id]
        row = existing.get(question.id) or BallotAnswer(
            ballot_id=ballot.id, question_id=question.id, user_id=user.id
        )
        row.choice, row.comment = answer.choice, (answer.comment or "").strip() or None
        row.answered_at, row.basis = now, basis_of(ballot, question)
        db.session.add(row)
    audit.record(user, "ballot.answer", ballot, {"answers": {str(a.question_id): a.choice for a in answers}})
    return ballot


def _received(user: User, ballot: OpinionBallot, client_id: str) -> bool:
    """Whether this response was received before; a `client_id` already given to another ballot is
    a tablet's mistake, refused rather than taken as that ballot's answer."""
    receipt = db.session.scalar(
        select(BallotResponseReceipt).where(
            BallotResponseReceipt.user_id == user.id, BallotResponseReceipt.client_id == client_id
        )
    )
    if receipt is not None and receipt.ballot_id != ballot.id:
        raise Invalid(
            "This client_id was already used for another ballot's response",
            code="client_id_reused",
            fields=["client_id"],
        )
    return receipt is not None


def _answers_by_user(ballot: OpinionBallot) -> dict[int, dict[int, BallotAnswer]]:
    out: dict[int, dict[int, BallotAnswer]] = {}
    for answer in db.session.scalars(select(BallotAnswer).where(BallotAnswer.ballot_id == ballot.id)):
        out.setdefault(answer.user_id, {})[answer.question_id] = answer
    return out


def own_answers(user: User, ballot: OpinionBallot) -> dict[int, BallotAnswer]:
    return _answers_by_user(ballot).get(user.id, {})


def my_status(user: User, ballot: OpinionBallot) -> str:
    """For the member's inbox: answered, unanswered, or overdue (closed without their answer)."""
    mine = own_answers(user, ballot)
    if len(mine) == len(ballot.questions):
        return "answered"
    return "overdue" if ballot.status == "closed" or ballot.deadline <= utcnow() else "unanswered"


# --- results -------------------------------------------------------------------------------


@dataclass
class RecipientAnswer:
    user: User
    choice: str | None
    comment: str | None
    answered_at: datetime | None
    by_silence: bool = False
    earlier_version: bool = False


@dataclass
class QuestionResult:
    question: BallotQuestion
    agree: int = 0
    disagree: int = 0
    other: int = 0
    no_answer: int = 0
    agree_by_silence: int = 0
    passed: bool | None = None
    answers: list[RecipientAnswer] = field(default_factory=list)


@dataclass
class Results:
    ballot: OpinionBallot
    recipients: int
    questions: list[QuestionResult]


def results(ballot: OpinionBallot) -> Results:
    by_user = _answers_by_user(ballot)
    silence_counts = ballot.silence_is_consent and ballot.status == "closed"
    out = []
    for question in ballot.questions:
        current_basis = basis_of(ballot, question)
        result = QuestionResult(question)
        for recipient in ballot.recipients:
            answer = by_user.get(recipient.user_id, {}).get(question.id)
            if answer is not None:
                setattr(result, answer.choice, getattr(result, answer.choice) + 1)
                result.answers.append(
                    RecipientAnswer(
                        recipient.user,
                        answer.choice,
                        answer.comment,
                        answer.answered_at,
                        earlier_version=answer.basis != current_basis,
                    )
                )
            elif silence_counts:
                result.agree += 1
                result.agree_by_silence += 1
                result.answers.append(RecipientAnswer(recipient.user, "agree", None, None, by_silence=True))
            else:
                result.no_answer += 1
                result.answers.append(RecipientAnswer(recipient.user, None, None, None))
        result.passed = _passes(ballot, result)
        out.append(result)
    return Results(ballot, len(ballot.recipients), out)


def _passes(ballot: OpinionBallot, result: QuestionResult) -> bool:
    """More than half of all recipients agree; on an exact half, the chair's own answer decides."""
    total = len(ballot.recipients)
    if 2 * result.agree > total:
        return True
    if 2 * result.agree == total and ballot.chair_id is not None:
        chair = next((a for a in result.answers if a.user.id == ballot.chair_id), None)
        return chair is not None and chair.choice == "agree"
    return False


def results_for(user: User, ballot_id: int) -> Results:
    ballot = managed(user, ballot_id)
    return results(ballot)
