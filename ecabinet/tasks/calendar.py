"""The deadlines of the open tasks a user is in charge of, or their ministry leads, for their calendar
feed (ecabinet.calendar)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from ecabinet.auth.models import User
from ecabinet.calendar.service import CalendarEvent
from ecabinet.extensions import db
from ecabinet.meetings import access
from ecabinet.meetings.models import AgendaItem
from ecabinet.tasks.models import Task
from ecabinet.tasks.service import OPEN


def task_deadlines(user: User) -> Iterator[CalendarEvent]:
    theirs = Task.owner_id == user.id
    if user.organization_id is not None:
        theirs = or_(theirs, Task.lead_organization_id == user.organization_id)
    tasks = db.session.scalars(
        select(Task).where(Task.status.in_(OPEN), theirs).order_by(Task.deadline, Task.id)
    )
    for task in tasks:
        item = db.session.get(AgendaItem, task.agenda_item_id) if task.agenda_item_id else None
        # A feed leaves the house: a task a confidential item assigned is named by no word of it.
        secret = item is not None and access.is_confidential(item)
        yield CalendarEvent(
            uid=f"task-{task.id}-deadline",
            summary=_("Task deadline") if secret else _("Task deadline: %(text)s", text=task.text),
            starts_at=task.deadline,
            url=url_for("tasks_pages.task", task_id=task.id, _external=True),
        )
