"""Who may see and do what in a meeting: one function per question, used by every domain.

A confidential item is visible only to the secretariat, the meeting's chair, its clerk (unless the
secretariat says otherwise) and the users it is restricted to; for everyone else it does not exist (lists, counts, documents, search, live events).
"""

from __future__ import annotations

from sqlalchemy import select

from ecabinet.auth.models import User
from ecabinet.extensions import db
from ecabinet.meetings.models import AgendaItem, Meeting, Participant


def is_secretariat(user: User) -> bool:
    return user.has_role("secretariat")


def participant_of(user: User, meeting: Meeting) -> Participant | None:
    # Asked on nearly every request: one indexed row, not the whole list of participants with their
    # accounts — unless that list is loaded already.
    if "participants" in meeting.__dict__:
        return next((p for p in meeting.participants if p.user_id == user.id), None)
    return db.session.scalar(
        select(Participant).where(Participant.meeting_id == meeting.id, Participant.user_id == user.id)
    )


def can_see_meeting(user: User, meeting: Meeting) -> bool:
    if is_secretariat(user):
        return True
    if meeting.status == "draft":
        return False
    # The clerk keeps the minutes of every session, invited or not.
    return user.has_role("clerk") or participant_of(user, meeting) is not None


def can_manage_meeting(user: User, meeting: Meeting | None = None) -> bool:
    """Prepare it: details, participants, agenda, documents."""
    return is_secretariat(user)


def can_run_meeting(user: User, meeting: Meeting) -> bool:
    """Run the live session: current item, votes, speakers, presenter."""
    return is_secretariat(user) or (meeting.chair_id is not None and meeting.chair_id == user.id)


def can_see_item(user: User, item: AgendaItem) -> bool:
    return can_see_meeting(user, item.meeting) and cleared_for_item(user, item)


def cleared_for_item(user: User, item: AgendaItem) -> bool:
    """The confidentiality half of `can_see_item`, for callers that checked the meeting already."""
    node: AgendaItem | None = item
    while node is not None:
        if node.confidential and not _cleared_for(user, node):
            return False
        node = node.parent
    return True


def _cleared_for(user: User, item: AgendaItem) -> bool:
    return (
        is_secretariat(user)
        or item.meeting.chair_id == user.id
        or any(a.user_id == user.id for a in item.access_rows)
        or is_cleared_clerk(user, item.meeting)
    )


def is_cleared_clerk(user: User, meeting: Meeting) -> bool:
    """The meeting's clerk — a participant holding the clerk role — keeps the whole record, so is cleared
    for every confidential item of the meeting unless the secretariat withdrew it for this meeting
    (`Participant.clerk_cleared`). A clerk who is not a participant reads the meeting, not its secrets."""
    if not user.has_role("clerk"):
        return False
    participant = participant_of(user, meeting)
    return participant is not None and participant.clerk_cleared


def is_confidential(item: AgendaItem) -> bool:
    """Confidential itself or under a confidential item."""
    node: AgendaItem | None = item
    while node is not None:
        if node.confidential:
            return True
        node = node.parent
    return False
