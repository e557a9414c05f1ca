"""Task pages: the member's "My tasks" on the tablet, the secretariat's task board, follow-up dashboard
and the form that assigns a task from a decision (linked from the minutes). Thin routes over
ecabinet.tasks.service; every form posts here and comes back (post/redirect/get)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from ecabinet.common.api import uploaded_file
from ecabinet.common.input import parse_values
from ecabinet.common.pages import checked_ids, form_action, form_id, office_time, refusal, user
from ecabinet.common.time import utcnow
from ecabinet.errors import DomainError
from ecabinet.extensions import db
from ecabinet.meetings import access
from ecabinet.meetings.models import AgendaItem, Meeting
from ecabinet.tasks import service
from ecabinet.tasks.api import ExtensionBody, TaskCreateBody
from ecabinet.tasks.models import Task
from ecabinet.tasks.service import SHOWN_STATUSES

bp = Blueprint("tasks_pages", __name__)

# The next step each stored status offers, and who takes it from the pages: the ministry reports,
# the secretariat accepts the report (the API lets either take any step; the pages keep to the usual).
NEXT_STEP = {"assigned": "in_progress", "in_progress": None, "reported": "done"}


def _task_url(task_id: int, **_kw) -> str:
    return url_for("tasks_pages.task", task_id=task_id)


def _filters() -> dict:
    status = request.args.get("status") or None
    return {
        "status": status if status in SHOWN_STATUSES else None,
        "organization_id": request.args.get("organization_id", type=form_id),
        "meeting_id": request.args.get("meeting_id", type=form_id),
    }


def _filter_choices() -> dict:
    with_tasks = (
        select(Meeting).where(Meeting.id.in_(select(Task.meeting_id))).order_by(Meeting.starts_at.desc())
    )
    return {
        "organizations": service.assignable_organizations(),
        "meetings": db.session.scalars(with_tasks).all(),
        "statuses": SHOWN_STATUSES,
    }


@bp.get("/tasks")
@login_required
def tasks():
    actor = user()
    now = utcnow()
    if access.is_secretariat(actor):
        filters = _filters()
        return render_template(
            "tasks/board.html",
            tasks=service.list_tasks(actor, **filters),
            filters=filters,
            now=now,
            **_filter_choices(),
        )
    mine = service.list_tasks(actor)
    lead = [t for t in mine if t.lead_organization_id == actor.organization_id]
    return render_template(
        "tasks/mine.html",
        open=[t for t in lead if t.status in service.OPEN],
        reported=[t for t in lead if t.status not in service.OPEN],
        cooperating=[t for t in mine if t.lead_organization_id != actor.organization_id],
        now=now,
        next_step=NEXT_STEP,
    )


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int):
    actor = user()
    found = service.get_task(actor, task_id)
    secretariat = access.is_secretariat(actor)
    in_lead = actor.organization_id == found.lead_organization_id
    step = NEXT_STEP.get(found.status)
    return render_template(
        "tasks/task.html",
        task=found,
        now=utcnow(),
        secretariat=secretariat,
        in_lead=in_lead,
        # The ministry starts the work; the secretariat accepts a report as done.
        step=step
        if (step == "in_progress" and (in_lead or secretariat)) or (step == "done" and secretariat)
        else None,
        # The ministry writes its report (the API lets the secretariat file one it received otherwise).
        may_report=in_lead and found.status in ("in_progress", "reported"),
        may_ask=in_lead and found.status in service.OPEN and found.pending_extension is None,
        show_decision=service.shows_source(actor, found),
    )


@bp.post("/tasks/<int:task_id>/step")
@form_action(_task_url)
def step(task_id: int):
    service.move(user(), task_id, request.form.get("status") or None, None)
    flash(_("The task is updated."), "success")


@bp.post("/tasks/<int:task_id>/report")
@form_action(_task_url)
def report(task_id: int):
    text = request.form.get("report") or None
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        service.attach_report(user(), task_id, uploaded_file().stream, upload.filename, text)
    else:
        found = service.changeable_task(user(), task_id)
        service.move(user(), task_id, "reported" if found.status == "in_progress" else None, text or "")
    flash(_("Your report is recorded."), "success")


@bp.post("/tasks/<int:task_id>/extension")
@form_action(_task_url)
def extension(task_id: int):
    data = parse_values(
        ExtensionBody,
        {
            "deadline": office_time(request.form.get("deadline"), "deadline"),
            "reason": request.form.get("reason", ""),
        },
    )
    service.request_extension(user(), task_id, data.deadline, data.reason)
    flash(_("Your request for more time is sent to the secretariat."), "success")


@bp.post("/tasks/<int:task_id>/extension/<any(grant, refuse):answer>")
@form_action(_task_url)
def answer(task_id: int, answer: str):
    service.answer_extension(user(), task_id, answer == "grant", request.form.get("reason"))
    flash(_("The extension is granted.") if answer == "grant" else _("The extension is refused."), "success")


# --- assigning from a decision --------------------------------------------------------------


FORM_FIELDS = ("text", "lead_organization_id", "cooperating_organization_ids", "owner_id", "deadline")


def _source_args() -> dict:
    return {
        "agenda_item_id": request.values.get("agenda_item_id", type=form_id),
        "ballot_id": request.values.get("ballot_id", type=form_id),
    }


def _render_form(form: dict, errors: dict, status: int = 200):
    actor = user()
    service.may_assign(actor)
    source_args = _source_args()
    source = service.source_of(actor, **source_args)
    organizations = service.assignable_organizations()
    people = [(o, service.organization_users(o.id)) for o in organizations]
    return (
        render_template(
            "tasks/form.html",
            source=source,
            source_args=source_args,
            organizations=organizations,
            people=people,
            form=form,
            errors=errors,
            existing=service.list_tasks(
                actor, **({"meeting_id": source.meeting.id} if source.meeting else {})
            )
            if source.item
            else [],
        ),
        status,
    )


@bp.get("/tasks/new")
@login_required
def new_task():
    return _render_form({"text": "", "cooperating_organization_ids": []}, {})


@bp.post("/tasks/new")
@login_required
def create_task():
    form = {
        "text": request.form.get("text", ""),
        "lead_organization_id": request.form.get("lead_organization_id", type=form_id),
        "cooperating_organization_ids": checked_ids("cooperating_organization_ids"),
        "owner_id": request.form.get("owner_id", type=form_id),
        "deadline": request.form.get("deadline", ""),
    }
    try:
        values = {**form, "deadline": office_time(form["deadline"], "deadline"), **_source_args()}
        data = parse_values(TaskCreateBody, values)
        created = service.create(user(), **data.model_dump())
    except DomainError as exc:
        db.session.rollback()
        return _render_form(form, refusal(exc, FORM_FIELDS), 400)
    db.session.commit()
    flash(
        _("The task is assigned to %(organization)s.", organization=created.lead_organization.name), "success"
    )
    item = db.session.get(AgendaItem, created.agenda_item_id) if created.agenda_item_id else None
    if item is not None:
        return redirect(
            url_for("minutes_pages.editor", meeting_id=item.meeting_id, _anchor=f"minutes-item-{item.id}")
        )
    return redirect(_task_url(created.id))


# --- the follow-up dashboard ----------------------------------------------------------------


@bp.get("/tasks/dashboard")
@login_required
def dashboard():
    filters = _filters()
    board = service.dashboard(user(), **filters)
    query = {k: v for k, v in filters.items() if v}
    return render_template(
        "tasks/dashboard.html",
        board=board,
        filters=filters,
        xlsx_url=url_for("api.tasks.export_xlsx", **query),
        pdf_url=url_for("api.tasks.report_pdf", **query),
        **_filter_choices(),
    )
