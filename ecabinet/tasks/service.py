"""Tasks from decisions (chỉ đạo điều hành): the secretariat gives each task a decision assigned to a
ministry; the ministry's users take it up, report on it and may ask for more time; the server's clock
says which are late, and `remind` nudges the owners before and after the deadline.

Who acts on a task is decided by organisation, not by role: a minister (member) and the ministry's own
staff account both belong to the ministry, and the roles describe what one does in the cabinet's
meetings, which a ministry's follow-up is not. So no ministry-level role is added: the lead
organisation's users act on its tasks, the co-operating organisations' users read them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import BinaryIO

from flask import current_app
from sqlalchemy import false, or_, select

from ecabinet.audit import service as audit
from ecabinet.auth.models import Organization, User
from ecabinet.ballots import service as ballots
from ecabinet.ballots.models import OpinionBallot
from ecabinet.common.mail import queue_mail
from ecabinet.common.time import cabinet_time, utcnow
from ecabinet.documents import service as documents
from ecabinet.documents.models import Document
from ecabinet.errors import Conflict, Forbidden, Invalid, NotFound
from ecabinet.extensions import db
from ecabinet.live import publisher
from ecabinet.meetings import access
from ecabinet.meetings.models import AgendaItem, Meeting
from ecabinet.minutes import service as minutes
from ecabinet.positions.service import ADOPTED_WITHOUT_DISCUSSION
from ecabinet.tasks.models import STATUSES, Task, TaskExtension, task_cooperating
from ecabinet.votes.models import Vote

SHOWN_STATUSES = (*STATUSES, "overdue")
OPEN = ("assigned", "in_progress")  # the ministry's work is still to be reported


# --- who may --------------------------------------------------------------------------------


def _in_lead(user: User, task: Task) -> bool:
    return user.organization_id is not None and user.organization_id == task.lead_organization_id


def can_see(user: User, task: Task) -> bool:
    if access.is_secretariat(user) or _in_lead(user, task):
        return True
    return user.organization_id is not None and any(o.id == user.organization_id for o in task.cooperating)


def get_task(user: User, task_id: int) -> Task:
    """A task the caller may read: the secretariat's, the lead's and the co-operating organisations'."""
    task = db.session.get(Task, task_id)
    if task is None or not can_see(user, task):
        raise NotFound(f"Task {task_id} not found")
    return task


def shows_source(user: User, task: Task) -> bool:
    """Whether the caller reads which item decided the task, and the decision: a ministry's users not
    cleared for a confidential item carry its task without learning what the item held."""
    item = db.session.get(AgendaItem, task.agenda_item_id) if task.agenda_item_id else None
    return item is None or access.can_see_item(user, item) or access.is_secretariat(user)


def changeable_task(user: User, task_id: int) -> Task:
    """A task the caller moves on: the secretariat, or a user of the lead organisation."""
    task = get_task(user, task_id)
    if not (access.is_secretariat(user) or _in_lead(user, task)):
        raise Forbidden("The lead organisation carries the task; co-operating organisations read it")
    return task


def lead_task(user: User, task_id: int) -> Task:
    """A task of the caller's own organisation, which it leads: only it asks for more time."""
    task = get_task(user, task_id)
    if not _in_lead(user, task):
        raise Forbidden("The lead organisation asks for an extension")
    return task


def managed_task(user: User, task_id: int) -> Task:
    if not access.is_secretariat(user):
        raise Forbidden("The secretariat answers extension requests")
    return get_task(user, task_id)


def may_assign(user: User) -> None:
    if not access.is_secretariat(user):
        raise Forbidden("The secretariat assigns tasks")


# --- where a task comes from ----------------------------------------------------------------


def decision_on(item: AgendaItem) -> str | None:
    """What the session decided on the item: the minutes' decision, else the consent block's adoption,
    else the outcome of its last closed vote; None while nothing has been decided."""
    text = minutes.decision_text(item)
    if text:
        return text
    if item.consent_adopted_at is not None:
        return ADOPTED_WITHOUT_DISCUSSION
    vote = db.session.scalar(
        select(Vote)
        .where(Vote.agenda_item_id == item.id, Vote.status == "closed")
        .order_by(Vote.id.desc())
        .limit(1)
    )
    if vote is None:
        return None
    return f"Biểu quyết “{vote.question}”: {'thông qua' if vote.passed else 'không thông qua'}."


def outcome_of(ballot: OpinionBallot) -> str:
    """A closed ballot's outcome, question by question."""
    return " ".join(
        f"{q.question.text}: {'được thông qua' if q.passed else 'không được thông qua'}."
        for q in ballots.results(ballot).questions
    )


@dataclass
class Source:
    meeting: Meeting | None = None
    item: AgendaItem | None = None
    ballot: OpinionBallot | None = None
    decision: str | None = None


def source_of(user: User, agenda_item_id: int | None, ballot_id: int | None) -> Source:
    """The decision a new task comes from; a task given outside any decision has none."""
    if agenda_item_id is not None and ballot_id is not None:
        raise Invalid(
            "A task comes from an agenda item or from a ballot, not both",
            code="two_sources",
            fields=["agenda_item_id", "ballot_id"],
        )
    if agenda_item_id is not None:
        item = db.session.get(AgendaItem, agenda_item_id)
        if item is None or not access.can_see_item(user, item):
            raise Invalid(
                f"Agenda item {agenda_item_id} not found", code="unknown_item", fields=["agenda_item_id"]
            )
        decision = decision_on(item)
        if decision is None:
            raise Conflict("Nothing has been decided on this item yet", code="no_decision")
        return Source(item.meeting, item, None, decision)
    if ballot_id is not None:
        ballot = db.session.get(OpinionBallot, ballot_id)
        if ballot is None:
            raise Invalid(f"Ballot {ballot_id} not found", code="unknown_ballot", fields=["ballot_id"])
        ballots.close_if_expired(ballot)
        if ballot.status != "closed":
            raise Conflict("The ballot has no outcome until it closes", code="ballot_not_closed")
        return Source(ballot=ballot, decision=outcome_of(ballot))
    return Source()


# --- assigning ------------------------------------------------------------------------------


def _check_deadline(deadline: datetime, field_name: str = "deadline") -> None:
    if deadline <= utcnow():
        raise Invalid("The deadline must be in the future", code="deadline_passed", fields=[field_name])


def _organization(organization_id: int, field_name: str) -> Organization:
    org = db.session.get(Organization, organization_id)
    if org is None:
        raise Invalid(
            f"Organisation {organization_id} does not exist", code="unknown_organization", fields=[field_name]
        )
    return org


def _cooperating(ids: Iterable[int], lead_id: int) -> list[Organization]:
    # The lead named again among the co-operating organisations is the lead only.
    return [_organization(i, "cooperating_organization_ids") for i in dict.fromkeys(ids) if i != lead_id]


def _owner(owner_id: int | None, lead: Organization) -> User | None:
    if owner_id is None:
        return None
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.active:
        raise Invalid(f"User {owner_id} does not exist", code="unknown_user", fields=["owner_id"])
    if owner.organization_id != lead.id:
        raise Invalid(
            "The owner must belong to the lead organisation", code="owner_not_in_lead", fields=["owner_id"]
        )
    return owner


def create(
    user: User,
    text: str,
    lead_organization_id: int,
    deadline: datetime,
    cooperating_organization_ids: Iterable[int] = (),
    owner_id: int | None = None,
    agenda_item_id: int | None = None,
    ballot_id: int | None = None,
) -> Task:
    may_assign(user)
    _check_deadline(deadline)
    lead = _organization(lead_organization_id, "lead_organization_id")
    cooperating = _cooperating(cooperating_organization_ids, lead.id)
    owner = _owner(owner_id, lead)
    source = source_of(user, agenda_item_id, ballot_id)
    task = Task(
        text=text,
        lead_organization=lead,
        cooperating=cooperating,
        owner=owner,
        deadline=deadline,
        meeting_id=source.meeting.id if source.meeting else None,
        agenda_item_id=source.item.id if source.item else None,
        ballot_id=source.ballot.id if source.ballot else None,
        decision=source.decision,
        created_by_id=user.id,
    )
    db.session.add(task)
    db.session.flush()
    audit.record(
        user,
        "task.create",
        task,
        {
            "lead_organization_id": lead.id,
            "cooperating_organization_ids": [o.id for o in cooperating],
            "owner_id": owner_id,
            "deadline": deadline.isoformat(),
            "meeting_id": task.meeting_id,
            "agenda_item_id": task.agenda_item_id,
            "ballot_id": task.ballot_id,
        },
    )
    _tell(task, "task.assigned", {})
    return task


def edit(user: User, task_id: int, **changes) -> Task:
    """The secretariat corrects a task: its text, deadline, owner or co-operating organisations."""
    task = managed_task(user, task_id)
    if task.status == "done":
        raise Conflict("The task is done", code="wrong_task_state")
    recorded: dict = {}
    if "deadline" in changes:
        _check_deadline(changes["deadline"])
        task.deadline = changes["deadline"]
        task.reminded_before_at = task.reminded_after_at = None  # a new deadline, new reminders
        recorded["deadline"] = task.deadline.isoformat()
    if "owner_id" in changes:
        task.owner = _owner(changes["owner_id"], task.lead_organization)
        recorded["owner_id"] = changes["owner_id"]
    if "cooperating_organization_ids" in changes:
        task.cooperating = _cooperating(changes["cooperating_organization_ids"], task.lead_organization_id)
        recorded["cooperating_organization_ids"] = [o.id for o in task.cooperating]
    if "text" in changes:
        task.text = changes["text"]
        recorded["text"] = True  # the text is the task's; the log says it changed
    db.session.flush()  # the new owner's id, for the answer
    audit.record(user, "task.edit", task, recorded)
    if "owner_id" in changes and task.owner is not None:
        _tell(task, "task.assigned", {})
    return task


# --- the ministry's steps -------------------------------------------------------------------


def move(user: User, task_id: int, status: str | None, report: str | None) -> Task:
    """One step on (`assigned → in_progress → reported → done`), with the report's text on the step to
    `reported`; or the report's text alone, corrected while the task is in progress or reported."""
    task = changeable_task(user, task_id)
    if status is None and report is None:
        raise Invalid("Give a status or a report", code="nothing_to_change", fields=["status", "report"])
    if report is not None:
        report = report.strip() or None
    if status is None:
        if report is None:
            raise Invalid("Write the report", code="report_required", fields=["report"])
        if task.status not in ("in_progress", "reported"):
            raise Conflict("A report is written once the work is under way", code="wrong_task_state")
        task.report = report
        audit.record(user, "task.report", task, {"document_id": task.report_document_id})
        return task
    following = STATUSES.index(task.status) + 1
    if following >= len(STATUSES) or status != STATUSES[following]:
        raise Conflict(
            f"A task that is {task.status} moves on to "
            f"{STATUSES[following] if following < len(STATUSES) else 'nothing'}, one step at a time",
            code="wrong_task_step",
        )
    if report is not None:
        task.report = report
    if status == "reported" and not (task.report or task.report_document_id):
        raise Invalid("Write the report, or attach it as a PDF", code="report_required", fields=["report"])
    _step(user, task, status)
    return task


def _step(user: User, task: Task, status: str) -> None:
    now = utcnow()
    previous, task.status = task.status, status
    if status == "reported":
        task.reported_at = now
    elif status == "done":
        task.done_at = now
    audit.record(
        user,
        "task.status",
        task,
        {"from": previous, "to": status, "late": task.deadline < now, "document_id": task.report_document_id},
    )


def attach_report(
    user: User, task_id: int, stream: BinaryIO, filename: str | None, report: str | None
) -> Task:
    """The report as a PDF (with its text, if given): a task in progress is reported by it."""
    task = changeable_task(user, task_id)
    if task.status not in ("in_progress", "reported"):
        raise Conflict("A report is attached once the work is under way", code="wrong_task_state")
    document = documents.keep_upload(user, stream, filename, f"Báo cáo thực hiện nhiệm vụ số {task.id}")
    task.report_document = document
    db.session.flush()  # the task's `report_document_id`, for the log and the answer
    if report and report.strip():
        task.report = report.strip()
    if task.status == "in_progress":
        _step(user, task, "reported")
    else:
        audit.record(user, "task.report", task, {"document_id": document.id})
    return task


def readers_of_the_task_see_its_report(user: User, document: Document) -> bool:
    if document.agenda_item_id is not None:
        return False
    task = db.session.scalar(select(Task).where(Task.report_document_id == document.id))
    return task is not None and can_see(user, task)


# --- extensions ------------------------------------------------------------------------------


def request_extension(user: User, task_id: int, deadline: datetime, reason: str) -> TaskExtension:
    task = lead_task(user, task_id)
    if task.status not in OPEN:
        raise Conflict("Only unreported work is given more time", code="wrong_task_state")
    if task.pending_extension is not None:
        raise Conflict("An extension request awaits its answer", code="extension_pending")
    if deadline <= task.deadline:
        raise Invalid(
            "Ask for a deadline later than the present one", code="deadline_not_later", fields=["deadline"]
        )
    _check_deadline(deadline)
    extension = TaskExtension(
        task=task,
        deadline=deadline,
        previous_deadline=task.deadline,
        reason=reason,
        requested_by_id=user.id,
    )
    db.session.add(extension)
    db.session.flush()
    audit.record(
        user, "task.extension_request", task, {"extension_id": extension.id, "deadline": deadline.isoformat()}
    )
    return extension


def answer_extension(user: User, task_id: int, grant: bool, reason: str | None) -> TaskExtension:
    task = managed_task(user, task_id)
    extension = task.pending_extension
    if extension is None:
        raise Conflict("No extension request awaits an answer", code="no_extension_pending")
    reason = (reason or "").strip() or None
    if not grant and reason is None:
        raise Invalid("Say why the extension is refused", code="reason_required", fields=["reason"])
    extension.status = "granted" if grant else "refused"
    extension.answer, extension.answered_by_id, extension.answered_at = reason, user.id, utcnow()
    if grant:
        task.deadline = extension.deadline
        task.reminded_before_at = task.reminded_after_at = None
    audit.record(
        user,
        "task.extension_answer",
        task,
        {"extension_id": extension.id, "granted": grant, "reason": reason},
    )
    _tell(
        task,
        "task.extension_answered",
        {"granted": grant, "reason": reason},
        also=[extension.requested_by_id],
    )
    return extension


# --- reading --------------------------------------------------------------------------------


def _visible(user: User):
    """The tasks the caller may read, as a query."""
    query = select(Task)
    if not access.is_secretariat(user):
        org = user.organization_id
        if org is None:
            return query.where(false())
        cooperating = select(task_cooperating.c.task_id).where(task_cooperating.c.organization_id == org)
        query = query.where(or_(Task.lead_organization_id == org, Task.id.in_(cooperating)))
    return query


def _status_filter(query, status: str, now: datetime):
    if status not in SHOWN_STATUSES:
        raise Invalid(f"`status` is one of {', '.join(SHOWN_STATUSES)}", fields=["status"])
    if status == "overdue":
        return query.where(Task.status.in_(OPEN), Task.deadline <= now)
    if status in OPEN:
        return query.where(Task.status == status, Task.deadline > now)
    return query.where(Task.status == status)


def list_tasks(
    user: User,
    status: str | None = None,
    organization_id: int | None = None,
    meeting_id: int | None = None,
) -> list[Task]:
    """Oldest first, filtered by the status the API shows, the lead organisation and the meeting."""
    query = _visible(user)
    if status:
        query = _status_filter(query, status, utcnow())
    if organization_id is not None:
        query = query.where(Task.lead_organization_id == organization_id)
    if meeting_id is not None:
        query = query.where(Task.meeting_id == meeting_id)
    return list(db.session.scalars(query.order_by(Task.id)))


def tasks_of_meeting(meeting: Meeting) -> list[Task]:
    """What the meeting's decisions assigned, for the conclusion notice."""
    return list(db.session.scalars(select(Task).where(Task.meeting_id == meeting.id).order_by(Task.id)))


def assignable_organizations() -> list[Organization]:
    return list(db.session.scalars(select(Organization).order_by(Organization.name)))


def organization_users(organization_id: int) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.organization_id == organization_id, User.active).order_by(User.full_name)
        )
    )


# --- the follow-up dashboard ----------------------------------------------------------------


@dataclass
class Counts:
    """How a group of tasks stands: `late` are overdue now; `done_late` were done after the deadline."""

    label: str
    key: int | None = None
    total: int = 0
    on_time: int = 0
    late: int = 0
    reported: int = 0
    done: int = 0
    done_late: int = 0

    def add(self, task: Task, now: datetime) -> None:
        self.total += 1
        shown = task.shown_status(now)
        if shown == "overdue":
            self.late += 1
        elif shown == "done":
            self.done += 1
            if (task.reported_at or task.done_at) > task.deadline:
                self.done_late += 1
        else:
            self.on_time += 1
            if shown == "reported":
                self.reported += 1


@dataclass
class Dashboard:
    tasks: list[Task]
    by_organization: list[Counts]
    by_meeting: list[Counts]
    total: Counts
    at: datetime = field(default_factory=utcnow)


def dashboard(
    user: User,
    status: str | None = None,
    organization_id: int | None = None,
    meeting_id: int | None = None,
) -> Dashboard:
    may_assign(user)
    tasks = list_tasks(user, status, organization_id, meeting_id)
    now = utcnow()
    by_org: dict[int, Counts] = {}
    by_meeting: dict[int | None, Counts] = {}
    total = Counts("Tổng số")
    for task in tasks:
        org = task.lead_organization
        by_org.setdefault(org.id, Counts(org.name, org.id)).add(task, now)
        # Tasks of ballots, and those given outside any decision, are counted together.
        label = task.meeting.title if task.meeting else "Ngoài phiên họp"
        by_meeting.setdefault(task.meeting_id, Counts(label, task.meeting_id)).add(task, now)
        total.add(task, now)
    return Dashboard(
        tasks,
        sorted(by_org.values(), key=lambda c: c.label),
        sorted(by_meeting.values(), key=lambda c: (c.key is None, c.key or 0)),
        total,
        now,
    )


# --- telling the owner ----------------------------------------------------------------------


def recipients(task: Task, also: Iterable[int | None] = ()) -> list[User]:
    """Whom news of a task reaches: its owner, or while it has none the lead organisation's users."""
    people = [task.owner] if task.owner is not None else organization_users(task.lead_organization_id)
    for user_id in also:
        if user_id is not None and all(p.id != user_id for p in people):
            extra = db.session.get(User, user_id)
            if extra is not None and extra.active:
                people.append(extra)
    return people


MAIL_SUBJECTS = {
    "task.assigned": "Nhiệm vụ được giao: {text}",
    "task.extension_answered": "Trả lời đề nghị gia hạn nhiệm vụ: {text}",
    "task.reminder": "Nhắc hạn thực hiện nhiệm vụ: {text}",
}


def _tell(task: Task, kind: str, data: dict, also: Iterable[int | None] = ()) -> None:
    payload = {"task_id": task.id, "text": task.text, "deadline": task.deadline.isoformat(), **data}
    deadline = cabinet_time(task.deadline)
    lines = {
        "task.assigned": "Văn phòng Chính phủ thông báo nhiệm vụ được giao cho đơn vị của Đồng chí.",
        "task.extension_answered": (
            "Đề nghị gia hạn đã được chấp thuận."
            if data.get("granted")
            else f"Đề nghị gia hạn không được chấp thuận. Lý do: {data.get('reason') or ''}"
        ),
        "task.reminder": (
            "Nhiệm vụ sau đã quá hạn mà chưa có báo cáo."
            if data.get("overdue")
            else "Nhiệm vụ sau sắp đến hạn."
        ),
    }
    short = task.text if len(task.text) <= 80 else task.text[:79] + "…"
    for person in recipients(task, also):
        publisher.publish_to_user(person.id, kind, payload)
        queue_mail(
            person,
            MAIL_SUBJECTS[kind].format(text=short),
            f"Kính gửi Đồng chí {person.full_name},\n\n{lines[kind]}\n\n{task.text}\n\n"
            f"Đơn vị chủ trì: {task.lead_organization.name}.\n"
            f"Thời hạn: {deadline:%H:%M} ngày {deadline:%d/%m/%Y}.\n\n"
            "Đồng chí theo dõi và cập nhật trên hệ thống e-Cabinet.\n",
        )


def remind(now: datetime | None = None) -> list[tuple[Task, bool]]:
    """Remind the owners of unreported tasks: once when the deadline is near
    (ECABINET_TASK_REMIND_DAYS), then once a day after it has passed. Returns (task, overdue)."""
    now = now or utcnow()
    soon = now + timedelta(days=current_app.config["ECABINET_TASK_REMIND_DAYS"])
    due = db.session.scalars(
        select(Task).where(Task.status.in_(OPEN), Task.deadline <= soon).order_by(Task.deadline, Task.id)
    ).all()
    sent = []
    for task in due:
        overdue = task.deadline <= now
        if overdue:
            if task.reminded_after_at is not None and task.reminded_after_at > now - timedelta(days=1):
                continue
            task.reminded_after_at = now
        else:
            if task.reminded_before_at is not None:
                continue
            task.reminded_before_at = now
        audit.record(None, "task.remind", task, {"overdue": overdue})
        _tell(task, "task.reminder", {"overdue": overdue})
        sent.append((task, overdue))
    return sent
