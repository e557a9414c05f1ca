"""Meeting pages: the list, the tablet agenda, and the secretariat's preparation forms."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ecabinet.annotations import carry
from ecabinet.auth import service as auth_service
from ecabinet.common.input import parse_values
from ecabinet.common.jinja import input_time
from ecabinet.common.pages import checked_ids, form_action, form_id, refusal, user
from ecabinet.common.time import cabinet_time, cabinet_timezone, utcnow
from ecabinet.documents import exports
from ecabinet.errors import DomainError
from ecabinet.extensions import db
from ecabinet.meetings import access, serialize, service
from ecabinet.meetings.api import ItemCreateBody, ItemUpdateBody, MeetingCreateBody
from ecabinet.meetings.models import AgendaItem, Meeting
from ecabinet.positions import service as positions
from ecabinet.votes import service as votes

bp = Blueprint("meetings_pages", __name__)


def _meeting_url(meeting_id: int, **_kw) -> str:
    return url_for("meetings_pages.meeting", meeting_id=meeting_id)


@bp.get("/")
@login_required
def index():
    return redirect(url_for("meetings_pages.meetings"))


@bp.get("/meetings")
@login_required
def meetings():
    actor = user()
    listed = in_list_order(service.list_meetings(actor), utcnow())
    return render_template(
        "meetings/list.html",
        meetings=[serialize.meeting(actor, m) for m in listed],
        can_create=access.can_manage_meeting(actor),
    )


def in_list_order(meetings: list[Meeting], now: datetime) -> list[Meeting]:
    """The meeting in session first, then those to come (the soonest first), then the past (the
    latest first). A meeting not yet closed stays among those to come until its day is over in the
    office's time zone: a session that starts late is still today's."""
    today = cabinet_time(now).date()

    def past(m: Meeting) -> bool:
        return m.status == "closed" or cabinet_time(m.ends_at or m.starts_at).date() < today

    in_session = [m for m in meetings if m.status == "in_progress"]
    coming = sorted(
        (m for m in meetings if m.status != "in_progress" and not past(m)), key=lambda m: (m.starts_at, m.id)
    )
    gone = sorted(
        (m for m in meetings if m.status != "in_progress" and past(m)), key=lambda m: (m.starts_at, m.id)
    )
    return in_session + coming + gone[::-1]


def _people():
    """Everyone the secretariat can invite, members first.

    An account that is only an administrator is a technical one: it attends nothing.
    """
    people = [u for u in auth_service.list_users(user()) if u.active and u.roles != ["admin"]]
    return sorted(people, key=lambda u: (not u.has_role("member"), u.id))


def _meeting_form_values(form) -> dict:
    values = {k: form.get(k) or None for k in ("title", "location", "kind", "chair_id")}
    values["starts_at"] = _local_time(form.get("starts_at"))
    values["ends_at"] = _local_time(form.get("ends_at"))
    values["participants"] = checked_ids("participants")
    values["quorum_numerator"] = form.get("quorum_numerator") or 2
    values["quorum_denominator"] = form.get("quorum_denominator") or 3
    return {k: v for k, v in values.items() if v is not None}


def _local_time(value: str | None) -> str | None:
    """<input type=datetime-local> has no offset: the time is the cabinet's (`ECABINET_TIMEZONE`), with
    the offset it has on that day (a zone with summer time has two)."""
    if not value:
        return None
    try:
        # Browsers send "2026-11-30T08:30", or with seconds when the value had them.
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # the service refuses it in its own words, as any other malformed time
    if moment.tzinfo is not None:
        return value
    return moment.replace(tzinfo=cabinet_timezone()).isoformat()


def _clerks() -> set[int]:
    return {p.id for p in _people() if p.has_role("clerk")}


def _meeting_form(meeting: Meeting | None = None) -> dict:
    """What the meeting form shows: the meeting as it is, or a new one's defaults (a clerk taking part
    is cleared for the confidential items unless the secretariat unticks them)."""
    if meeting is None:
        return {
            "title": "",
            "kind": "regular",
            "chair_id": None,
            "starts_at": "",
            "ends_at": "",
            "location": "",
            "quorum_numerator": 2,
            "quorum_denominator": 3,
            "participants": {p.id for p in _people() if p.has_role("member")},
            "clerks_cleared": _clerks(),
        }
    return {
        "title": meeting.title,
        "kind": meeting.kind,
        "chair_id": meeting.chair_id,
        "starts_at": input_time(meeting.starts_at),
        "ends_at": input_time(meeting.ends_at),
        "location": meeting.location or "",
        "quorum_numerator": meeting.quorum_numerator,
        "quorum_denominator": meeting.quorum_denominator,
        "participants": {p.user_id for p in meeting.participants},
        "clerks_cleared": _clerks() - {p.user_id for p in meeting.participants if not p.clerk_cleared},
    }


def _posted_meeting_form() -> dict:
    """The meeting form as it was typed, to show it again when it is refused."""
    form = request.form
    chair = form.get("chair_id", "")
    return {
        "title": form.get("title", ""),
        "kind": form.get("kind", "regular"),
        "chair_id": form_id(chair),
        "starts_at": form.get("starts_at", ""),
        "ends_at": form.get("ends_at", ""),
        "location": form.get("location", ""),
        "quorum_numerator": form.get("quorum_numerator", ""),
        "quorum_denominator": form.get("quorum_denominator", ""),
        "participants": set(checked_ids("participants")),
        "clerks_cleared": set(checked_ids("clerks_cleared")),
    }


MEETING_FIELDS = (
    "title",
    "kind",
    "chair_id",
    "starts_at",
    "ends_at",
    "location",
    "quorum",
    "participants",
    "clerks_not_cleared",
)


def _render_meeting_form(
    meeting: Meeting | None,
    form: dict,
    errors: dict | None = None,
    status: int = 200,
    confirm_past: bool = False,
):
    people = _people()
    return (
        render_template(
            "meetings/form.html",
            meeting=meeting,
            form=form,
            errors=errors or {},
            confirm_past=confirm_past,
            people=people,
            clerks=[p for p in people if p.has_role("clerk")],
        ),
        status,
    )


def _starts_in_the_past(data: MeetingCreateBody, meeting: Meeting | None) -> bool:
    """A start in the past is asked about once: when it is typed, not at every later edit."""
    # Compared as the form shows it (to the minute): the form cannot carry a start's seconds.
    changed = meeting is None or input_time(data.starts_at) != input_time(meeting.starts_at)
    return changed and data.starts_at < utcnow() and request.form.get("confirm_past") != "on"


def _save_meeting(meeting: Meeting | None):
    """Create or change a meeting from its form. Refused, the form comes back as typed, the message
    beside its field; a start in the past comes back to be confirmed. Nothing is saved meanwhile."""
    form = _posted_meeting_form()
    try:
        data = parse_values(MeetingCreateBody, _meeting_form_values(request.form))
        if _starts_in_the_past(data, meeting):
            return _render_meeting_form(meeting, form, confirm_past=True)
        # The clerks taking part whose tick was taken off: the whole list each time.
        not_cleared = sorted((form["participants"] & _clerks()) - form["clerks_cleared"])
        if meeting is None:
            saved = service.create_meeting(user(), **data.model_dump())
            db.session.flush()
            if not_cleared:
                service.update_meeting(user(), saved.id, clerks_not_cleared=not_cleared)
        else:
            # Only what the form holds: the meeting's other settings (watermark, check-in rule) stay.
            changes = data.model_dump(exclude_unset=True)
            changes.update(location=data.location, chair_id=data.chair_id, ends_at=data.ends_at)
            saved = service.update_meeting(user(), meeting.id, **changes, clerks_not_cleared=not_cleared)
    except DomainError as exc:
        db.session.rollback()
        return _render_meeting_form(meeting, form, refusal(exc, MEETING_FIELDS), status=exc.status)
    flash(_("Changes saved.") if meeting else _("Meeting created as a draft."), "success")
    return redirect(_meeting_url(saved.id))


@bp.route("/meetings/new", methods=["GET"])
@login_required
def new_meeting():
    if not access.can_manage_meeting(user()):
        abort(403)
    return _render_meeting_form(None, _meeting_form())


@bp.post("/meetings/new")
@login_required
def create_meeting():
    if not access.can_manage_meeting(user()):
        abort(403)
    return _save_meeting(None)


def _managed(meeting_id: int) -> Meeting:
    """The meeting, for the secretariat's forms: 404 for one the caller may not see, 403 for one
    they see but do not prepare."""
    meeting = service.get_meeting(user(), meeting_id)
    if not access.can_manage_meeting(user(), meeting):
        abort(403)
    return meeting


@bp.get("/meetings/<int:meeting_id>/edit")
@login_required
def edit_meeting(meeting_id: int):
    meeting = _managed(meeting_id)
    return _render_meeting_form(meeting, _meeting_form(meeting))


@bp.post("/meetings/<int:meeting_id>/edit")
@login_required
def update_meeting(meeting_id: int):
    return _save_meeting(_managed(meeting_id))


@bp.get("/meetings/<int:meeting_id>")
@login_required
def meeting(meeting_id: int):
    return _render_meeting(service.get_meeting(user(), meeting_id))


def _render_meeting(
    found: Meeting, new_item: dict | None = None, errors: dict | None = None, status: int = 200
):
    """The meeting page; `new_item` and `errors` bring back a refused "add an item" form as typed."""
    actor = user()
    participant = access.participant_of(actor, found)
    has_book = exports.may_have_book(actor, found)
    return (
        render_template(
            "meetings/meeting.html",
            meeting=serialize.meeting(actor, found, with_agenda=True),
            participant=participant,
            has_book=has_book,
            book=exports.book_status(actor, found.id) if has_book else None,
            # The page shows the meeting as of this event; its script applies every later one.
            # (Read with the meeting, before the rest: the page may be newer than it, never older.)
            last_seq=found.last_event_seq,
            people=_people() if access.can_manage_meeting(actor, found) else [],
            can_vote=participant is not None and actor.has_role("member"),
            # The session does not close with a vote open: the close button offers to close it first.
            open_vote=votes.open_vote_in(found) if access.can_run_meeting(actor, found) else None,
            live_strings=live_strings(),
            new_item=new_item or item_form(),
            item_errors=errors or {},
            positions=_positions(actor, found, participant),
            # The reader's notes that a new version of a paper left behind, by document.
            left_behind=carry.left_behind_counts(actor, found.id),
        ),
        status,
    )


def _positions(actor, found: Meeting, participant) -> dict | None:
    """The members' positions as this reader may read them (templates/positions/_meeting.html), by item."""
    if found.status == "draft" or (participant is None and not access.is_secretariat(actor)):
        return None
    rows, everyone = positions.table(actor, found.id)
    return {
        "rows": {row.item.id: row for row in rows},
        "everyone": everyone,
        "may_state": participant is not None and actor.has_role("member") and found.status == "published",
    }


@bp.get("/meetings/<int:meeting_id>/console")
@login_required
def console(meeting_id: int):
    """The chair's and the secretariat's desk for the live session."""
    actor = user()
    found = service.get_meeting(actor, meeting_id)
    if not access.can_run_meeting(actor, found):
        abort(403)
    participant = access.participant_of(actor, found)
    return render_template(
        "meetings/console.html",
        meeting=serialize.meeting(actor, found, with_agenda=True),
        last_seq=found.last_event_seq,
        can_vote=participant is not None and actor.has_role("member"),
        live_strings=live_strings(),
        consent_items=[e for e in service.whole_agenda(found) if e.item.consent],
    )


@bp.get("/meetings/<int:meeting_id>/wall")
@login_required
def wall(meeting_id: int):
    """The projector in the meeting room: read-only, large, for anyone who may see the meeting."""
    actor = user()
    found = service.get_meeting(actor, meeting_id)
    return render_template(
        "meetings/wall.html",
        meeting=serialize.meeting(actor, found, with_agenda=True),
        last_seq=found.last_event_seq,
        live_strings=live_strings(),
    )


def live_strings() -> dict[str, str]:
    """The words static/js/live.js and live-ui.js show, shared by the three live pages (each page
    adds its own in its template). `{name}` marks where the script puts a value."""
    return {
        "offline": _("Offline – reconnecting…"),
        "loggedOut": _("Your session has ended. Log in again to follow the meeting."),
        "gone": _("This meeting is no longer available to you."),
        "optionYes": _("In favour"),
        "optionNo": _("Against"),
        "optionAbstain": _("Abstain"),
        "voteHeading": _("Vote"),
        "resultHeading": _("Result of the vote"),
        "secretVote": _("Secret vote"),
        "majoritySimple": _("Passes with more votes in favour than against"),
        "majorityAbsolute": _("Passes with more than half of all members in favour"),
        "majorityTwoThirds": _("Passes with at least two thirds of all members in favour"),
        "progress": _("%(cast)s of %(eligible)s members have voted", cast="{cast}", eligible="{eligible}"),
        "notVoted": _("Did not vote"),
        "passed": _("Passed"),
        "failed": _("Not passed"),
        "confirmVote": _("Confirm your vote: %(choice)s?", choice="{choice}"),
        "voteIsFinal": _("Once confirmed, your vote cannot be changed."),
        "confirm": _("Confirm"),
        "cancel": _("Cancel"),
        "sending": _("Sending…"),
        "voted": _("You have voted"),
        "yourChoice": _("Your choice: %(choice)s", choice="{choice}"),
        "secretNote": _("Secret vote: only the fact that you voted is recorded, not your choice."),
        "notEligible": _("You follow this vote but do not take part in it."),
        "voteNotOpen": _("The vote is no longer open."),
        "checkInFirst": _("Check in to the meeting before voting."),
        "castOffline": _("No connection: your vote was not sent. Try again."),
        "castRefused": _("The vote was not accepted: %(message)s", message="{message}"),
        "close": _("Close"),
        "speaking": _("Speaking"),
        "waiting": _("Waiting"),
        "spoke": _("Spoke"),
        "noSpeakers": _("No one has asked to speak yet."),
        "failedAction": _("That did not work: %(message)s", message="{message}"),
    }


@bp.post("/meetings/<int:meeting_id>/status/<action>")
@form_action(_meeting_url)
def change_status(meeting_id: int, action: str):
    if action not in service.TRANSITIONS:
        abort(404)
    if action == "close" and request.form.get("close_vote"):
        # Confirmed on the page: the vote it named closes first, then the session (one transaction).
        # Another vote opened meanwhile still stops the session closing, named in the refusal.
        votes.close_vote(user(), int(request.form["close_vote"]))
    service.change_status(user(), meeting_id, action)
    flash(
        {
            "publish": _("Meeting published to its participants."),
            "start": _("The session has started."),
            "close": _("The session is closed."),
        }[action],
        "success",
    )


@bp.post("/meetings/<int:meeting_id>/checkin")
@form_action(_meeting_url)
def check_in(meeting_id: int):
    service.check_in(user(), meeting_id)
    flash(_("You are checked in."), "success")


@bp.post("/meetings/<int:meeting_id>/current")
@form_action(_meeting_url)
def set_current(meeting_id: int):
    service.set_current_item(user(), meeting_id, request.form.get("agenda_item_id", type=form_id) or 0)


def _item_form_values(form) -> dict:
    values = {
        k: form.get(k) or None for k in ("title", "presenter", "description", "duration_minutes", "parent_id")
    }
    values["confidential"] = form.get("confidential") == "on"
    values["restricted_to"] = checked_ids("restricted_to")
    return values


ITEM_FIELDS = ("title", "parent_id", "duration_minutes", "presenter", "description", "restricted_to")


def item_form(item: AgendaItem | None = None) -> dict:
    """What an agenda item's fields show (templates/_macros.html item_fields): the item, or nothing yet."""
    return {
        "title": item.title if item else "",
        "parent_id": item.parent_id if item else None,
        "duration_minutes": item.duration_minutes or "" if item else "",
        "presenter": item.presenter or "" if item else "",
        "description": item.description or "" if item else "",
        "confidential": bool(item and item.confidential),
        "restricted_to": set(item.restricted_to) if item else set(),
    }


def _posted_item_form() -> dict:
    form = request.form
    parent = form.get("parent_id", "")
    return {
        "title": form.get("title", ""),
        "parent_id": form_id(parent),
        "duration_minutes": form.get("duration_minutes", ""),
        "presenter": form.get("presenter", ""),
        "description": form.get("description", ""),
        "confidential": form.get("confidential") == "on",
        "restricted_to": set(checked_ids("restricted_to")),
    }


@bp.post("/meetings/<int:meeting_id>/agenda")
@login_required
def add_item(meeting_id: int):
    found = _managed(meeting_id)
    try:
        data = parse_values(
            ItemCreateBody, {k: v for k, v in _item_form_values(request.form).items() if v is not None}
        )
        service.add_item(user(), meeting_id, **data.model_dump())
    except DomainError as exc:
        # The meeting page comes back with the new item's form open, as typed.
        db.session.rollback()
        return _render_meeting(found, _posted_item_form(), refusal(exc, ITEM_FIELDS), exc.status)
    flash(_("Agenda item added."), "success")
    return redirect(_meeting_url(meeting_id))


def _render_item_form(item: AgendaItem, form: dict, errors: dict | None = None, status: int = 200):
    return (
        render_template(
            "meetings/item_form.html",
            item=item,
            form=form,
            errors=errors or {},
            meeting=item.meeting,
            people=_people(),
            agenda=serialize.agenda(user(), item.meeting),
        ),
        status,
    )


def _managed_item(item_id: int) -> AgendaItem:
    item = service.get_item(user(), item_id)
    _managed(item.meeting_id)
    return item


@bp.get("/agenda/<int:item_id>/edit")
@login_required
def edit_item(item_id: int):
    item = _managed_item(item_id)
    return _render_item_form(item, item_form(item))


@bp.post("/agenda/<int:item_id>/edit")
@login_required
def update_item(item_id: int):
    item = _managed_item(item_id)
    try:
        data = parse_values(ItemUpdateBody, _item_form_values(request.form))
        service.update_item(user(), item_id, **data.model_dump())
    except DomainError as exc:
        db.session.rollback()
        return _render_item_form(item, _posted_item_form(), refusal(exc, ITEM_FIELDS), exc.status)
    flash(_("Changes saved."), "success")
    return redirect(_meeting_url(item.meeting_id))


@bp.post("/agenda/<int:item_id>/delete")
@login_required
def delete_item(item_id: int):
    meeting_id = service.get_item(user(), item_id).meeting_id

    @form_action(lambda **_kw: _meeting_url(meeting_id))
    def remove():
        service.delete_item(user(), item_id)
        flash(_("Agenda item removed."), "success")

    return remove()


@bp.post("/agenda/<int:item_id>/move/<direction>")
@login_required
def move_item(item_id: int, direction: str):
    actor = user()
    item = service.get_item(actor, item_id)
    meeting_id = item.meeting_id

    @form_action(lambda **_kw: _meeting_url(meeting_id))
    def move():
        siblings = [
            e.item.id
            for e in service.visible_agenda(actor, item.meeting)
            if e.item.parent_id == item.parent_id
        ]
        # Hidden siblings keep their place: the secretariat sees them all anyway.
        index = siblings.index(item.id)
        swap = index - 1 if direction == "up" else index + 1
        if 0 <= swap < len(siblings):
            siblings[index], siblings[swap] = siblings[swap], siblings[index]
            service.reorder(actor, meeting_id, siblings, item.parent_id)

    return move()
