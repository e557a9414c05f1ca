"""The meetings a user takes part in, for their calendar feed (ecabinet.calendar)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from ecabinet.auth.models import User
from ecabinet.calendar.service import CalendarEvent
from ecabinet.extensions import db
from ecabinet.meetings import access, service
from ecabinet.meetings.models import Meeting, Participant


def meeting_events(user: User) -> Iterator[CalendarEvent]:
    """Each published meeting the user sits in or chairs, with its agenda's open items: a confidential
    item is left out, whoever reads the feed (it leaves the house)."""
    taking_part = select(Participant.meeting_id).where(Participant.user_id == user.id)
    meetings = db.session.scalars(
        select(Meeting)
        .where(Meeting.status != "draft", or_(Meeting.id.in_(taking_part), Meeting.chair_id == user.id))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    for meeting in meetings:
        items = [e.item.title for e in service.whole_agenda(meeting) if not access.is_confidential(e.item)]
        agenda = "\n".join([_("Agenda:"), *(f"– {title}" for title in items)]) if items else None
        yield CalendarEvent(
            uid=f"meeting-{meeting.id}",
            summary=meeting.title,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            location=meeting.location,
            description=agenda,
            url=url_for("meetings_pages.meeting", meeting_id=meeting.id, _external=True),
        )
