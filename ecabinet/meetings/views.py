"""Meeting pages: the list, the tablet agenda, and the secretariat's preparation forms."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ecabinet.auth import service as auth_service
from ecabinet.common.input import parse_values
from ecabinet.common.pages import checked_ids, form_action, user
from ecabinet.meetings import access, serialize, service
from ecabinet.meetings.api import ItemCreateBody, ItemUpdateBody, MeetingCreateBody
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
    listed = service.list_meetings(actor)
    return render_template(
        "meetings/list.html",
        meetings=[serialize.meeting(actor, m) for m in listed],
        can_create=access.can_manage_meeting(actor),
    )


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
    """<input type=datetime-local> has no offset; the office works in Vietnam time (UTC+7)."""
    if not value:
        return None
    if value.endswith("Z") or "+" in value[10:]:
        return value
    # Browsers send "2026-11-30T08:30", or with seconds when the value had them.
    return f"{value}:00+07:00" if len(value) == 16 else f"{value[:19]}+07:00"


@bp.route("/meetings/new", methods=["GET"])
@login_required
def new_meeting():
    if not access.can_manage_meeting(user()):
        abort(403)
    return render_template("meetings/form.html", meeting=None, people=_people())


@bp.post("/meetings/new")
@form_action(lambda **_kw: url_for("meetings_pages.new_meeting"))
def create_meeting():
    data = parse_values(MeetingCreateBody, _meeting_form_values(request.form))
    meeting = service.create_meeting(user(), **data.model_dump())
    flash(_("Meeting created as a draft."), "success")
    return redirect(_meeting_url(meeting.id))


@bp.get("/meetings/<int:meeting_id>/edit")
@login_required
def edit_meeting(meeting_id: int):
    actor = user()
    meeting = service.get_meeting(actor, meeting_id)
    if not access.can_manage_meeting(actor, meeting):
        abort(403)
    return render_template(
        "meetings/form.html",
        meeting=meeting,
        people=_people(),
        participant_ids={p.user_id for p in meeting.participants},
    )


@bp.post("/meetings/<int:meeting_id>/edit")
@form_action(_meeting_url)
def update_meeting(meeting_id: int):
    data = parse_values(MeetingCreateBody, _meeting_form_values(request.form))
    changes = data.model_dump()
    changes["location"] = request.form.get("location") or None
    changes["chair_id"] = data.chair_id
    service.update_meeting(user(), meeting_id, **changes)
    flash(_("Changes saved."), "success")


@bp.get("/meetings/<int:meeting_id>")
@login_required
def meeting(meeting_id: int):
    actor = user()
    found = service.get_meeting(actor, meeting_id)
    participant = access.participant_of(actor, found)
    return render_template(
        "meetings/meeting.html",
        meeting=serialize.meeting(actor, found, with_agenda=True),
        participant=participant,
        # The page shows the meeting as of this event; its script applies every later one.
        # (Read with the meeting, before the rest: the page may be newer than it, never older.)
        last_seq=found.last_event_seq,
        people=_people() if access.can_manage_meeting(actor, found) else [],
        can_vote=participant is not None and actor.has_role("member"),
        # The session does not close with a vote open: the close button offers to close it first.
        open_vote=service.open_vote(found) if access.can_run_meeting(actor, found) else None,
        live_strings=live_strings(),
    )


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
    service.set_current_item(user(), meeting_id, int(request.form.get("agenda_item_id", "0") or 0))


def _item_form_values(form) -> dict:
    values = {
        k: form.get(k) or None for k in ("title", "presenter", "description", "duration_minutes", "parent_id")
    }
    values["confidential"] = form.get("confidential") == "on"
    values["restricted_to"] = checked_ids("restricted_to")
    return values


@bp.post("/meetings/<int:meeting_id>/agenda")
@form_action(_meeting_url)
def add_item(meeting_id: int):
    data = parse_values(
        ItemCreateBody, {k: v for k, v in _item_form_values(request.form).items() if v is not None}
    )
    service.add_item(user(), meeting_id, **data.model_dump())
    flash(_("Agenda item added."), "success")


@bp.get("/agenda/<int:item_id>/edit")
@login_required
def edit_item(item_id: int):
    actor = user()
    item = service.get_item(actor, item_id)
    if not access.can_manage_meeting(actor, item.meeting):
        abort(403)
    return render_template(
        "meetings/item_form.html",
        item=item,
        meeting=item.meeting,
        people=_people(),
        agenda=serialize.agenda(actor, item.meeting),
    )


@bp.post("/agenda/<int:item_id>/edit")
@login_required
def update_item(item_id: int):
    item = service.get_item(user(), item_id)
    meeting_id = item.meeting_id

    @form_action(lambda **_kw: url_for("meetings_pages.edit_item", item_id=item_id))
    def save():
        values = _item_form_values(request.form)
        data = parse_values(ItemUpdateBody, values)
        service.update_item(user(), item_id, **data.model_dump())
        flash(_("Changes saved."), "success")
        return redirect(_meeting_url(meeting_id))

    return save()


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
