"""Minutes pages: the clerk's editor (read-only for the participants) and the revision history.

The editor shows the text as of the page's load and what the session recorded by itself (speakers,
votes); its script saves through the same PUT /api/v1/meetings/<id>/minutes the tablets use, with
the revision it last saw, so an edit made on a stale revision comes back as a conflict to resolve.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from flask import Blueprint, flash, render_template, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import login_required

from ecabinet.common.pages import form_action, user
from ecabinet.common.time import cabinet_timezone
from ecabinet.meetings import access
from ecabinet.meetings import service as meetings
from ecabinet.minutes import service
from ecabinet.minutes.models import MinutesRevision
from ecabinet.tasks import service as tasks

bp = Blueprint("minutes_pages", __name__)

# The office reads revision times to the second: autosave makes several revisions a minute.
TIME_WITH_SECONDS = "HH:mm:ss, dd/MM/yyyy"


def _editor_url(meeting_id: int, **_kw) -> str:
    return url_for("minutes_pages.editor", meeting_id=meeting_id)


@bp.get("/meetings/<int:meeting_id>/minutes")
@login_required
def editor(meeting_id: int):
    actor = user()
    record = service.record(actor, meeting_id)
    meeting, minutes = record.meeting, record.minutes
    text = service.serialize_text(actor, meeting, minutes)
    approved = minutes.approved_at is not None
    can_run = access.can_run_meeting(actor, meeting)
    # The secretariat sees a draft meeting, but its minutes are written once it is published.
    editable = service.can_write(actor) and not approved and meeting.status != "draft"
    config = {
        "meetingId": meeting.id,
        "revision": text["revision"],
        "summary": text["summary"],
        "entries": {str(e["agenda_item_id"]): [e["notes"], e["decision"]] for e in text["entries"]},
        "editable": editable,
        "currentItemId": meeting.current_item_id,
        "seq": meeting.last_event_seq,
        "minutesUrl": url_for("api.minutes.get_minutes", meeting_id=meeting.id),
        "eventsUrl": url_for("api.live.events", meeting_id=meeting.id),
        "votesUrl": url_for("minutes_pages.live_votes", meeting_id=meeting.id),
        "timeZone": str(cabinet_timezone()),
        "debounceMs": 1500,
    }
    # The secretariat assigns tasks from the decisions, beside each item.
    assigned: dict[int | None, list] = {}
    if access.is_secretariat(actor):
        for task in tasks.tasks_of_meeting(meeting):
            assigned.setdefault(task.agenda_item_id, []).append(task)
    return render_template(
        "minutes/editor.html",
        meeting=meeting,
        may_assign=access.is_secretariat(actor) and meeting.status != "draft",
        assigned=assigned,
        record=record,
        text=text,
        approved=approved,
        approved_at=_seconds(minutes.approved_at),
        updated_at=_seconds(minutes.latest.created_at) if minutes.latest else "",
        editable=editable,
        can_approve=can_run and not approved and minutes.latest is not None,
        can_run=can_run,
        config=config,
        live=not approved,
    )


@bp.get("/meetings/<int:meeting_id>/minutes/votes")
@login_required
def live_votes(meeting_id: int):
    """The editor's vote boxes as they now stand: its script swaps them in when a vote opens, moves or
    closes, so the clerk sees the session's votes as they happen without reloading what they type in."""
    return render_template("minutes/_live_votes.html", record=service.record(user(), meeting_id))


@bp.post("/meetings/<int:meeting_id>/minutes/approve")
@form_action(_editor_url)
def approve(meeting_id: int):
    minutes = service.approve(user(), meeting_id)
    flash(_("The minutes are approved (revision %(number)d).", number=minutes.approved_revision), "success")


# --- the history ------------------------------------------------------------------------------


@dataclass
class FieldChange:
    label: str
    pieces: list[tuple[str, str]]  # (kind, text): kind is "same", "ins", "del" or "gap"


@dataclass
class ItemChanges:
    number: str | None  # None for the summary
    title: str
    fields: list[FieldChange]


@dataclass
class RevisionView:
    number: int
    author: str | None
    at: str
    approved: bool
    changes: list[ItemChanges]


@bp.get("/meetings/<int:meeting_id>/minutes/history")
@login_required
def history(meeting_id: int):
    actor = user()
    meeting, minutes = service.get(actor, meeting_id)
    # Only the items this reader may see: a confidential item's text stays out of their history.
    agenda = [(e.number, e.item) for e in meetings.visible_agenda(actor, meeting)]
    views, previous = [], None
    for revision in minutes.revisions:
        views.append(
            RevisionView(
                revision.number,
                revision.author.full_name if revision.author else None,
                _seconds(revision.created_at),
                revision.number == minutes.approved_revision,
                _changes(agenda, previous, revision),
            )
        )
        previous = revision
    views.reverse()  # the newest first: what a reader opening the history wants to see
    return render_template(
        "minutes/history.html",
        meeting=meeting,
        revisions=views,
        approved=minutes.approved_at is not None,
        approved_by=minutes.approved_by.full_name if minutes.approved_by else None,
        approved_at=_seconds(minutes.approved_at),
    )


def _changes(agenda, before: MinutesRevision | None, after: MinutesRevision) -> list[ItemChanges]:
    changes = []
    old_summary = before.summary if before else ""
    if (after.summary or "") != (old_summary or ""):
        summary = FieldChange(_("Summary"), word_diff(old_summary, after.summary))
        changes.append(ItemChanges(None, _("Summary of the meeting"), [summary]))
    old_entries = before.entries if before else {}
    for number, item in agenda:
        old = old_entries.get(str(item.id), {})
        new = after.entries.get(str(item.id), {})
        fields = [
            FieldChange(label, word_diff(old.get(key, ""), new.get(key, "")))
            for key, label in (("notes", _("Notes")), ("decision", _("Decision (conclusion)")))
            if (old.get(key) or "") != (new.get(key) or "")
        ]
        if fields:
            changes.append(ItemChanges(number, item.title, fields))
    return changes


_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
_CONTEXT = 12  # words of unchanged text kept on each side of a change


def word_diff(old: str | None, new: str | None) -> list[tuple[str, str]]:
    """The new text as pieces (kind, text): unchanged, inserted, deleted; long unchanged runs cut short.

    Words, not characters: a clerk reads "đồng ý → nhất trí", not letters moving about. A lone space
    between two changes joins them, so a changed phrase reads as one deletion and one insertion.
    """
    a, b = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    opcodes = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    pieces: list[tuple[str, str]] = []
    removed, added = [], []

    def close_change() -> None:
        if removed:
            pieces.append(("del", "".join(removed)))
        if added:
            pieces.append(("ins", "".join(added)))
        removed.clear()
        added.clear()

    for index, (op, i1, i2, j1, j2) in enumerate(opcodes):
        inside = 0 < index < len(opcodes) - 1
        if op == "equal" and not (inside and "".join(b[j1:j2]).isspace()):
            close_change()
            pieces.extend(_context(b[j1:j2], first=index == 0, last=index == len(opcodes) - 1))
            continue
        removed.extend(a[i1:i2])
        added.extend(b[j1:j2])
    close_change()
    return pieces


def _context(tokens: list[str], first: bool, last: bool) -> list[tuple[str, str]]:
    """An unchanged run: whole when short, else its ends next to the changes around it."""
    keep = 2 * _CONTEXT  # tokens, counting the spaces between words
    if len(tokens) <= 2 * keep + 1:
        return [("same", "".join(tokens))]
    pieces = []
    if not first:
        pieces.append(("same", "".join(tokens[:keep])))
    pieces.append(("gap", "…"))
    if not last:
        pieces.append(("same", "".join(tokens[-keep:])))
    return pieces


def _seconds(moment) -> str:
    return format_datetime(moment, TIME_WITH_SECONDS) if moment else ""
