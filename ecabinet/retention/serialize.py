"""A meeting's retention as the API shows it, within the meeting and from the hold's calls."""

from __future__ import annotations

from ecabinet.auth.models import User
from ecabinet.common.time import iso
from ecabinet.meetings.models import Meeting
from ecabinet.retention import service


def retention(user: User, meeting: Meeting) -> dict:
    """`held` for everyone who sees the meeting; why and by whom only for those who keep its records
    (a hold's reason may name an inquiry)."""
    held = meeting.legal_hold
    out = {
        "meeting_id": meeting.id,
        "retention_days": service.retention_days(meeting),
        "notes_destroyed_at": iso(service.notes_destroyed_at(meeting)),
        "held": held is not None,
    }
    if user.has_role("admin", "secretariat"):
        out["hold"] = (
            {"reason": held.reason, "held_at": iso(held.held_at), "held_by": held.held_by_id}
            if held
            else None
        )
    return out
