from __future__ import annotations

from typing import Annotated, Literal

from flask import Blueprint, jsonify, request
from pydantic import Field, StringConstraints

from ecabinet.common.api import actor, body, created, download, may, query_int, uploaded_file
from ecabinet.common.input import Body, Id, Ids, LongText, Time
from ecabinet.common.openapi import doc
from ecabinet.common.time import iso, utcnow
from ecabinet.errors import Forbidden
from ecabinet.meetings import access
from ecabinet.tasks import exports, service
from ecabinet.tasks.models import Task, TaskExtension

bp = Blueprint("tasks", __name__)

TaskText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class TaskCreateBody(Body):
    text: TaskText
    lead_organization_id: Id
    cooperating_organization_ids: Ids = Field(default_factory=list)
    owner_id: Id | None = Field(None, description="a user of the lead organisation")
    deadline: Time
    agenda_item_id: Id | None = Field(None, description="the item whose decision assigns the task")
    ballot_id: Id | None = Field(None, description="the closed ballot whose outcome assigns the task")


class TaskPatchBody(Body):
    status: Literal["in_progress", "reported", "done"] | None = Field(
        None, description="the next step: assigned → in_progress → reported → done"
    )
    report: LongText | None = Field(None, description="the report's text, with the step to `reported`")
    # The secretariat's corrections; anyone else sending them is refused (403). Left out: unchanged. A task
    # always has a text and a deadline, so null there is refused (400); a null owner_id takes the owner off.
    text: TaskText = None
    deadline: Time = None
    owner_id: Id | None = None
    cooperating_organization_ids: Ids = None


SECRETARIAT_FIELDS = ("text", "deadline", "owner_id", "cooperating_organization_ids")


class ExtensionBody(Body):
    deadline: Time
    reason: Reason


class AnswerBody(Body):
    reason: LongText | None = Field(None, description="why; required to refuse")


def serialize_extension(e: TaskExtension) -> dict:
    return {
        "id": e.id,
        "task_id": e.task_id,
        "deadline": iso(e.deadline),
        "previous_deadline": iso(e.previous_deadline),
        "reason": e.reason,
        "status": e.status,
        "requested_by": e.requested_by_id,
        "requested_at": iso(e.requested_at),
        "answer": e.answer,
        "answered_by": e.answered_by_id,
        "answered_at": iso(e.answered_at),
    }


def serialize(user, task: Task, detail: bool = False) -> dict:
    shown = service.shows_source(user, task)
    out = {
        "id": task.id,
        "text": task.text,
        "status": task.shown_status(utcnow()),
        "deadline": iso(task.deadline),
        "lead_organization_id": task.lead_organization_id,
        "lead_organization": task.lead_organization.name,
        "cooperating_organization_ids": [o.id for o in task.cooperating],
        "owner_id": task.owner_id,
        "owner": task.owner.full_name if task.owner else None,
        "source": {
            "meeting_id": task.meeting_id,
            "agenda_item_id": task.agenda_item_id if shown else None,
            "ballot_id": task.ballot_id,
            "decision": task.decision if shown else None,
        },
        "report": task.report,
        "report_document_id": task.report_document_id,
        "reported_at": iso(task.reported_at),
        "done_at": iso(task.done_at),
        "created_at": iso(task.created_at),
        "extension_pending": task.pending_extension is not None,
    }
    if detail:
        out["extensions"] = [serialize_extension(e) for e in task.extensions]
    return out


FILTERS = {
    "status": {"type": "string", "description": "assigned, in_progress, reported, done or overdue"},
    "organization_id": {"type": "integer", "description": "the lead organisation"},
    "meeting_id": {"type": "integer", "description": "the meeting whose decision assigned the task"},
}


def _filters() -> dict:
    return {
        "status": request.args.get("status") or None,
        "organization_id": query_int("organization_id", minimum=1),
        "meeting_id": query_int("meeting_id", minimum=1),
    }


@bp.get("/tasks")
@doc(
    "The tasks the caller may see: all for the secretariat, their organisation's (leading or "
    "co-operating) for others; oldest first",
    returns="[{id, text, status, deadline, lead_organization_id, owner_id, source: {meeting_id, "
    "agenda_item_id, ballot_id, decision}, …}]; `status` is `overdue` once the deadline has passed unreported",
    query=FILTERS,
)
def list_tasks():
    user = actor()
    return jsonify([serialize(user, t) for t in service.list_tasks(user, **_filters())])


@bp.post("/tasks")
@may(service.may_assign)
@doc(
    "Assign a task from a decision (an agenda item's, or a closed ballot's) to a lead organisation",
    who="secretariat",
    body=TaskCreateBody,
    status=201,
    returns="the task, `status: assigned`",
    errors=(403, 409),
)
def create_task():
    data = body(TaskCreateBody)
    user = actor()
    return created(serialize(user, service.create(user, **data.model_dump()), detail=True))


@bp.get("/tasks/<int:task_id>")
@doc(
    "One task with its extension requests",
    who="secretariat; the lead and co-operating organisations' users",
    returns="the task with `extensions`",
    errors=(404,),
)
def get_task(task_id: int):
    user = actor()
    return jsonify(serialize(user, service.get_task(user, task_id), detail=True))


@bp.patch("/tasks/<int:task_id>")
@may(service.changeable_task)
@doc(
    "Move a task one step on (with the report's text on the step to `reported`); the secretariat also "
    "corrects its text, deadline, owner and co-operating organisations",
    who="secretariat; the lead organisation's users",
    body=TaskPatchBody,
    returns="the task",
    errors=(403, 404, 409),
)
def update_task(task_id: int):
    user = actor()
    data = body(TaskPatchBody)
    changes = data.model_dump(exclude_unset=True)
    corrections = {k: changes[k] for k in SECRETARIAT_FIELDS if k in changes}
    if corrections:
        if not access.is_secretariat(user):
            raise Forbidden("Only the secretariat corrects a task")
        service.edit(user, task_id, **corrections)
    if "status" in changes or "report" in changes or not corrections:
        service.move(user, task_id, changes.get("status"), changes.get("report"))
    return jsonify(serialize(user, service.get_task(user, task_id), detail=True))


@bp.post("/tasks/<int:task_id>/report")
@may(service.changeable_task)
@doc(
    "Attach the report as a PDF (field `file`, with its text in `report`): a task in progress becomes "
    "`reported`",
    who="secretariat; the lead organisation's users",
    multipart=True,
    status=201,
    returns="the task; its `report_document_id` is read at /documents/<id>/file",
    errors=(403, 404, 409, 413, 415),
)
def attach_report(task_id: int):
    upload = uploaded_file()
    user = actor()
    task = service.attach_report(user, task_id, upload.stream, upload.filename, request.form.get("report"))
    return created(serialize(user, task, detail=True))


@bp.post("/tasks/<int:task_id>/extension")
@may(service.lead_task)
@doc(
    "Ask for a later deadline, saying why",
    who="the lead organisation's users",
    body=ExtensionBody,
    status=201,
    returns="the request {id, task_id, deadline, previous_deadline, reason, status: pending, …}",
    errors=(403, 404, 409),
)
def request_extension(task_id: int):
    data = body(ExtensionBody)
    return created(
        serialize_extension(service.request_extension(actor(), task_id, data.deadline, data.reason))
    )


def _answer(grant: bool):
    def view(task_id: int):
        data = body(AnswerBody) if request.content_length else AnswerBody()
        return jsonify(serialize_extension(service.answer_extension(actor(), task_id, grant, data.reason)))

    return view


for _action, _grant, _summary in (
    ("grant", True, "Grant the pending extension request: the task takes its deadline"),
    ("refuse", False, "Refuse the pending extension request, saying why"),
):
    bp.add_url_rule(
        f"/tasks/<int:task_id>/extension/{_action}",
        f"{_action}_extension",
        may(service.managed_task)(
            doc(
                _summary,
                who="secretariat",
                body=AnswerBody,
                returns="the answered request",
                errors=(403, 404, 409),
            )(_answer(_grant))
        ),
        methods=["POST"],
    )


@bp.get("/tasks/dashboard")
@doc(
    "The follow-up: counts per lead organisation and per meeting (total, on time, late, done, done late)",
    who="secretariat",
    returns="{total, by_organization: [{label, key, total, on_time, late, reported, done, done_late}], by_meeting}",
    query=FILTERS,
    errors=(403,),
)
def dashboard():
    board = service.dashboard(actor(), **_filters())
    return jsonify(
        {
            "total": vars(board.total),
            "by_organization": [vars(c) for c in board.by_organization],
            "by_meeting": [vars(c) for c in board.by_meeting],
        }
    )


@bp.get("/tasks/export.xlsx")
@doc(
    "The follow-up as a workbook: counts per organisation, per meeting, and every task",
    who="secretariat",
    binary=exports.XLSX,
    returns="the XLSX",
    query=FILTERS,
    errors=(403,),
)
def export_xlsx():
    board = service.dashboard(actor(), **_filters())
    return download(exports.to_xlsx(board), exports.XLSX, "theo-doi-nhiem-vu.xlsx")


@bp.get("/tasks/report.pdf")
@doc(
    "The report on the implementation of tasks (báo cáo tình hình thực hiện nhiệm vụ), Vietnamese",
    who="secretariat",
    binary="application/pdf",
    returns="the PDF",
    query=FILTERS,
    errors=(403,),
)
def report_pdf():
    filters = _filters()
    board = service.dashboard(actor(), **filters)
    return download(
        exports.report_pdf(board, exports.describe(filters)),
        "application/pdf",
        "bao-cao-thuc-hien-nhiem-vu.pdf",
    )
