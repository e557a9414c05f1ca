"""What a member may keep on a tablet for a meeting: decided here, on the server, from the same
permission functions as the pages (`can_see_item`, `can_see_document`), so that the device caches
exactly what the server lists for this member and drops what it no longer lists."""

from __future__ import annotations

from dataclasses import dataclass

from ecabinet.auth.models import User
from ecabinet.ballots import service as ballots
from ecabinet.ballots.models import OpinionBallot
from ecabinet.documents.models import Document
from ecabinet.documents.service import can_see_document
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem, Meeting


@dataclass
class Package:
    meeting: Meeting
    items: list[AgendaItem]
    # Each paper once, in agenda order, then the open ballots' papers.
    documents: list[Document]
    # Written-opinion ballots still open to this member: answered offline like the meeting's positions.
    ballots: list[OpinionBallot]


def meeting_package(user: User, meeting_id: int) -> Package:
    """The meeting (404 for one the caller may not see), its items the caller may see with their
    papers, and the ballots awaiting the caller's answer with the papers the caller may see."""
    meeting = meetings.get_meeting(user, meeting_id)
    items = [entry.item for entry in meetings.visible_agenda(user, meeting)]
    documents: dict[int, Document] = {}
    for item in items:
        for document in item.documents:
            documents.setdefault(document.id, document)
    open_ballots = [
        b for b in ballots.list_ballots(user) if b.status == "sent" and ballots.is_recipient(user, b)
    ]
    for ballot in open_ballots:
        for document in ballot.documents:
            if can_see_document(user, document):
                documents.setdefault(document.id, document)
    return Package(meeting, items, list(documents.values()), open_ballots)
