"""Meetings and agenda items as the API shows them, shaped by what the caller may see."""

from __future__ import annotations

from ecabinet.auth.models import User
from ecabinet.common.hooks import Hook
from ecabinet.common.time import iso
from ecabinet.meetings import access, service
from ecabinet.meetings.models import AgendaItem, Meeting

# Fields that domains built on meetings add to a meeting (retention) and to an item (its documents),
# declared in create_app: `fields(user, meeting_or_item)` gives a dict.
meeting_fields: Hook[[User, Meeting]] = Hook("meetings.serialize.meeting_fields")
item_fields: Hook[[User, AgendaItem]] = Hook("meetings.serialize.item_fields")


def attendance(meeting: Meeting) -> dict:
    summary = service.attendance(meeting)
    out = {
        "present": summary.present,
        "quorum": summary.quorum,
        "members": summary.members,
        "members_present": summary.members_present,
        "required": summary.required,
    }
    if meeting.status == "published":
        # What opening the session now would find, the chair counted: the pages ask before opening without.
        out["on_opening"] = service.attendance(meeting, opening=True).snapshot()
    return out


def meeting(user: User, m: Meeting, with_agenda: bool = False) -> dict:
    current = service.current_item_for(user, m)
    summary = attendance(m)
    out = {
        "id": m.id,
        "title": m.title,
        "kind": m.kind,
        "status": m.status,
        "starts_at": iso(m.starts_at),
        "ends_at": iso(m.ends_at),
        "location": m.location,
        "chair_id": m.chair_id,
        "chair": {"id": m.chair.id, "full_name": m.chair.full_name} if m.chair else None,
        "quorum_numerator": m.quorum_numerator,
        "quorum_denominator": m.quorum_denominator,
        "watermark": m.watermark,
        "require_checkin_to_vote": m.require_checkin_to_vote,
        "positions_visible": m.positions_visible,
        "consent_adopted_at": iso(m.consent_adopted_at),
        "present": summary["present"],
        "quorum": summary["quorum"],
        "attendance": summary,
        "current_agenda_item_id": current.id if current else None,
        # Under discussion, but confidential and not for this reader: their agenda must not keep
        # pointing at the item before it.
        "current_agenda_item_hidden": m.current_item_id is not None and current is None,
        "participants": [
            {
                "user_id": p.user_id,
                "full_name": p.user.full_name,
                "title": p.user.title,
                "organization": p.user.organization.name if p.user.organization else None,
                "roles": p.user.roles,
                # In the room: checked in, or chairing the open session (`service.is_present`).
                "present": service.is_present(m, p),
                "stands_in_for": p.stands_in_for_id,
                "checked_in_at": iso(p.checked_in_at),
                # Only a clerk's clearance means anything (`access.is_cleared_clerk`).
                **({"clerk_cleared": p.clerk_cleared} if "clerk" in p.user.roles else {}),
            }
            for p in m.participants
        ],
        "is_participant": access.participant_of(user, m) is not None,
        "can_manage": access.can_manage_meeting(user, m),
        "can_run": access.can_run_meeting(user, m),
        "created_at": iso(m.created_at),
        "started_at": iso(m.started_at),
        "closed_at": iso(m.closed_at),
        "quorum_at_start": m.quorum_at_start,
        **meeting_fields.merged(user, m),
    }
    if with_agenda:
        out["agenda"] = agenda(user, m)
    return out


def agenda(user: User, m: Meeting) -> list[dict]:
    return [item(user, e.item, e) for e in service.visible_agenda(user, m)]


def item(user: User, i: AgendaItem, entry: service.AgendaEntry | None = None) -> dict:
    """Numbered and positioned over what this user can see, so a hidden item leaves no trace."""
    if entry is None:
        entry = next(e for e in service.visible_agenda(user, i.meeting) if e.item.id == i.id)
    return {
        "id": i.id,
        "meeting_id": i.meeting_id,
        "parent_id": i.parent_id,
        "position": entry.position,
        "number": entry.number,
        "level": entry.level,
        "title": i.title,
        "description": i.description,
        "presenter": i.presenter,
        "duration_minutes": i.duration_minutes,
        "confidential": i.confidential,
        "restricted_to": i.restricted_to if i.confidential else [],
        "consent": i.consent,
        "consent_adopted_at": iso(i.consent_adopted_at),
        **item_fields.merged(user, i),
    }
