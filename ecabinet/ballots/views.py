"""Written-opinion ballot pages: the member's inbox and answer page, the secretariat's form and dashboard.

Thin routes over ecabinet.ballots.service. The answer page and the dashboard's live parts talk to
/api/v1 from static/js/ballots.js; every form here also works without the script.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps

from babel.dates import format_datetime
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from ecabinet.ballots import serialize, service
from ecabinet.ballots.api import BallotCreateBody
from ecabinet.ballots.models import OpinionBallot
from ecabinet.common.api import writes
from ecabinet.common.input import parse_values
from ecabinet.common.jinja import input_time
from ecabinet.common.pages import checked_ids, field_message, form_id, office_time, refusal, user
from ecabinet.common.time import cabinet_timezone, iso, utcnow
from ecabinet.documents import serialize as documents_serialize
from ecabinet.documents.models import Document
from ecabinet.errors import DomainError, Invalid
from ecabinet.extensions import db
from ecabinet.meetings.access import is_secretariat

bp = Blueprint("ballots_pages", __name__)

# How many of the latest papers the form offers to attach, besides those already attached.
ATTACHABLE = 150


def _dashboard_url(ballot_id: int) -> str:
    return url_for("ballots_pages.dashboard", ballot_id=ballot_id)


# --- words and times -------------------------------------------------------------------------


def time_left(deadline: datetime, now: datetime | None = None) -> str:
    """The time to the deadline, "còn 6 ngày 23 giờ": the same words static/js/ballots.js counts down with (`left*` strings)."""
    seconds = int((deadline - (now or utcnow())).total_seconds())
    if seconds <= 0:
        return _("The deadline has passed")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return _("%(days)s d %(hours)s h left", days=days, hours=hours)
    if hours:
        return _("%(hours)s h %(minutes)s min left", hours=hours, minutes=rest // 60)
    return _("%(minutes)s min left", minutes=max(rest // 60, 1))


def short_time(value: datetime | str | None) -> str:
    """When an answer was saved, "14:05 25/11/2026", in the office's time zone."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, "HH:mm dd/MM/yyyy", tzinfo=cabinet_timezone(), locale=get_locale())


@bp.context_processor
def _helpers() -> dict:
    return {"time_left": time_left, "short_time": short_time}


def _message(exc: DomainError, fields: list[str] | None = None) -> str:
    """The service's error in the reader's language (about `fields`, by default all it names): the
    ballot's own cases, then the pages' shared ones."""
    by_code = {
        "deadline_passed": _("The deadline must be in the future."),
        "wrong_ballot_state": _("This cannot be done in the ballot's present state; reload the page."),
        "ballot_not_open": _("The ballot has ended: answers can no longer be changed."),
        "comment_required": _("A comment giving the reasons is required for “Disagree” and “Other opinion”."),
        "unknown_document": _("One of the chosen documents no longer exists."),
    }
    by_field = {
        "questions": _("Write at least one question."),
        "recipients": _("Choose at least one recipient among the active cabinet members."),
        "deadline": _("Enter the deadline: a time in the future."),
        "reason": _("Say why the ballot is re-opened."),
        "summary": _("The summary is too long."),
    }
    if fields is None:
        fields = exc.details.get("fields") or []
    if exc.code in by_code:
        return by_code[exc.code]
    for name in fields:
        if name.split(".", 1)[0] in by_field:
            return by_field[name.split(".", 1)[0]]
    return field_message(exc, fields)


def _secretariat_only() -> None:
    if not is_secretariat(user()):
        abort(403)


# --- the inbox -------------------------------------------------------------------------------


@bp.get("/ballots")
@writes
@login_required
def inbox():
    actor = user()
    secretariat = is_secretariat(actor)
    entries = []
    for ballot in service.list_ballots(actor):
        entry = serialize.ballot(actor, ballot)
        entry["deadline_at"] = ballot.deadline
        if secretariat:
            entry["answered"] = len(ballot.recipients) - len(service.unanswered(ballot))
        entries.append(entry)
    groups = [
        (
            "sent",
            _("Waiting for opinions"),
            sorted((e for e in entries if e["status"] == "sent"), key=_by_deadline),
        ),
        # The latest deadlines first: the ballot being prepared, the one just ended.
        ("draft", _("Drafts"), _latest_first(e for e in entries if e["status"] == "draft")),
        ("closed", _("Ended"), _latest_first(e for e in entries if e["status"] == "closed")),
    ]
    return render_template(
        "ballots/inbox.html",
        groups=[g for g in groups if g[2]],
        secretariat=secretariat,
        config=_page_config(),
    )


def _by_deadline(entry: dict):
    return entry["deadline_at"]


def _latest_first(entries) -> list[dict]:
    return sorted(entries, key=lambda e: (e["deadline_at"], e["id"]), reverse=True)


def _page_config(**extra) -> dict:
    # The server's clock, so that a tablet whose own clock is off still counts down to the right moment.
    return {
        "now": iso(utcnow()),
        "timeZone": str(cabinet_timezone()),
        "ballotPage": url_for("ballots_pages.ballot", ballot_id=0)[:-1],  # + a ballot's id
        **extra,
    }


# --- the member's answer page ----------------------------------------------------------------


@bp.get("/ballots/<int:ballot_id>")
@writes
@login_required
def ballot(ballot_id: int):
    actor = user()
    found = service.get_ballot(actor, ballot_id)
    recipient = service.is_recipient(actor, found)
    mine = service.own_answers(actor, found)
    answers = {
        q.id: {
            "choice": mine[q.id].choice,
            "comment": mine[q.id].comment or "",
            "answered_at": iso(mine[q.id].answered_at),
            # The question or a paper changed since: the member should look again.
            "earlier_version": mine[q.id].basis != service.basis_of(found, q),
        }
        for q in found.questions
        if q.id in mine
    }
    saved_at = max((a.answered_at for a in mine.values()), default=None)
    is_open = recipient and found.status == "sent"
    return render_template(
        "ballots/ballot.html",
        ballot=serialize.ballot(actor, found, detail=True),
        deadline=found.deadline,
        answers=answers,
        saved_at=saved_at,
        recipient=recipient,
        is_open=is_open,
        secretariat=is_secretariat(actor),
        config=_page_config(
            ballotId=found.id,
            deadline=iso(found.deadline),
            open=is_open,
            responseUrl=url_for("api.ballots.respond", ballot_id=found.id),
            ballotUrl=url_for("api.ballots.get_ballot", ballot_id=found.id),
        ),
    )


@bp.post("/ballots/<int:ballot_id>/answer")
@login_required
def answer(ballot_id: int):
    """The answer form posted without the page's script (which PUTs to the API instead)."""
    answers = []
    for key in request.form:
        name, _dash, question_id = key.partition("-")
        if name == "choice" and question_id.isdigit():
            comment = request.form.get(f"comment-{question_id}")
            answers.append(service.AnswerInput(int(question_id), request.form[key], comment))
    try:
        if not answers:
            raise Invalid("No answer chosen", fields=["answers"])
        service.respond(user(), ballot_id, answers)
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        flash(_message(exc) if answers else _("Choose an answer for every question."), "error")
    else:
        flash(_("Your opinion has been saved."), "success")
    return redirect(url_for("ballots_pages.ballot", ballot_id=ballot_id))


# --- the secretariat's form ------------------------------------------------------------------


def _empty_form() -> dict:
    return {
        "title": "",
        "summary": "",
        "questions": [""],
        "recipients": set(),
        "all_members": True,
        "deadline": "",
        "silence_is_consent": False,
        "chair_id": None,
        "documents": [],
    }


def _form_of(found: OpinionBallot, members: list) -> dict:
    recipients = {r.user_id for r in found.recipients}
    return {
        "title": found.title,
        "summary": found.summary or "",
        "questions": [q.text for q in found.questions],
        "recipients": recipients,
        "all_members": recipients == {m.id for m in members},
        "deadline": input_time(found.deadline),
        "silence_is_consent": found.silence_is_consent,
        "chair_id": found.chair_id,
        "documents": [d.id for d in found.documents],
    }


def _posted_form() -> dict:
    form = request.form
    chair = form.get("chair_id", "")
    return {
        "title": form.get("title", ""),
        "summary": form.get("summary", ""),
        "questions": [q for q in form.getlist("questions") if q.strip()] or [""],
        "recipients": set(checked_ids("recipients")),
        "all_members": form.get("all_members") == "on",
        "deadline": form.get("deadline", ""),
        "silence_is_consent": form.get("silence_is_consent") == "on",
        "chair_id": form_id(chair),
        "documents": checked_ids("documents"),
    }


def _ballot_args(values: dict) -> dict:
    """The posted form checked by the API's own body model, as keyword arguments for the service."""
    data = parse_values(
        BallotCreateBody,
        {
            "title": values["title"],
            "summary": values["summary"].strip() or None,
            "questions": [{"text": q} for q in values["questions"] if q.strip()],
            "recipients": sorted(values["recipients"]),
            "all_members": values["all_members"],
            "deadline": office_time(values["deadline"], "deadline"),
            "silence_is_consent": values["silence_is_consent"],
            "chair_id": values["chair_id"],
            "documents": values["documents"],
        },
    )
    return {
        "title": data.title,
        "summary": data.summary,
        "questions": [q.text for q in data.questions],
        "recipients": data.recipients,
        "all_members_recipients": data.all_members,
        "deadline": data.deadline,
        "silence_is_consent": data.silence_is_consent,
        "chair_id": data.chair_id,
        "documents": data.documents,
    }


def _attachable(chosen: list[int]) -> list[dict]:
    """Papers the secretariat may attach (it sees them all): those chosen first, then the latest others.

    A read-only pick list for the form; attaching itself goes through the service, which checks each one.
    """
    latest = list(db.session.scalars(select(Document).order_by(Document.id.desc()).limit(ATTACHABLE)))
    have = {d.id for d in latest}
    missing = [i for i in chosen if i not in have]
    extra = list(db.session.scalars(select(Document).where(Document.id.in_(missing)))) if missing else []
    order = {document_id: n for n, document_id in enumerate(chosen)}
    papers = sorted(extra + latest, key=lambda d: (d.id not in order, order.get(d.id, 0), -d.id))
    out = []
    for document in papers:
        if service.is_confidential_paper(document):
            continue  # the service refuses them
        item = document.agenda_item
        entry = documents_serialize.document(document)
        entry["where"] = f"{item.meeting.title} · {item.title}" if item else None
        out.append(entry)
    return out


BALLOT_FIELDS = ("title", "summary", "questions", "recipients", "deadline", "chair_id", "documents")


def _render_form(
    values: dict, found: OpinionBallot | None = None, status: int = 200, errors: dict | None = None
):
    members = service.all_members()
    return (
        render_template(
            "ballots/form.html",
            ballot=found,
            form=values,
            errors=errors or {},
            members=members,
            papers=_attachable(values["documents"]),
            min_deadline=input_time(utcnow()),
        ),
        status,
    )


@bp.get("/ballots/new")
@login_required
def new_ballot():
    _secretariat_only()
    return _render_form(_empty_form())


@bp.post("/ballots/new")
@login_required
def create_ballot():
    _secretariat_only()
    values = _posted_form()
    try:
        created = service.create_ballot(user(), **_ballot_args(values))
        db.session.flush()
    except DomainError as exc:
        # The form comes back as it was typed, with what to correct: nothing is lost, nothing saved.
        db.session.rollback()
        return _render_form(values, status=exc.status, errors=refusal(exc, BALLOT_FIELDS, _message))
    flash(_("Ballot saved as a draft. Attach the papers, then send it."), "success")
    return redirect(_dashboard_url(created.id))


@bp.get("/ballots/<int:ballot_id>/edit")
@writes
@login_required
def edit_ballot(ballot_id: int):
    _secretariat_only()
    found = service.get_ballot(user(), ballot_id)
    if found.status != "draft":
        flash(_("Only a draft ballot can be edited."), "error")
        return redirect(_dashboard_url(ballot_id))
    return _render_form(_form_of(found, service.all_members()), found)


@bp.post("/ballots/<int:ballot_id>/edit")
@login_required
def update_ballot(ballot_id: int):
    _secretariat_only()
    found = service.get_ballot(user(), ballot_id)
    values = _posted_form()
    try:
        args = _ballot_args(values)
        recipients = args.pop("recipients")
        if not args["all_members_recipients"]:
            args["recipients"] = recipients
        args["summary"] = args["summary"] or ""  # None would mean "leave as it was"
        service.update_ballot(user(), ballot_id, **args)
    except DomainError as exc:
        db.session.rollback()
        return _render_form(values, found, status=exc.status, errors=refusal(exc, BALLOT_FIELDS, _message))
    flash(_("Changes saved."), "success")
    return redirect(_dashboard_url(ballot_id))


# --- the secretariat's dashboard and its buttons ---------------------------------------------


@bp.get("/ballots/<int:ballot_id>/dashboard")
@writes
@login_required
def dashboard(ballot_id: int):
    actor = user()
    summary = service.results_for(actor, ballot_id)
    found = summary.ballot
    results = serialize.results(summary)
    shown = serialize.ballot(actor, found, detail=True)
    return render_template(
        "ballots/dashboard.html",
        ballot=shown,
        deadline=found.deadline,
        results=results,
        people=_people(shown["recipients"], results),
        chair_name=found.chair.full_name if found.chair else None,
        config=_page_config(
            ballotId=found.id,
            deadline=iso(found.deadline),
            status=found.status,
            resultsUrl=url_for("api.ballots.results", ballot_id=found.id),
            uploadUrl=url_for("api.ballots.add_document", ballot_id=found.id),
            chairId=found.chair_id,
        ),
    )


def _people(recipients: list[dict], results: dict) -> list[dict]:
    """Each recipient with how far they have answered (static/js/ballots.js works this out alike)."""
    total = len(results["questions"])
    out = []
    for person in recipients:
        given = [
            a
            for q in results["questions"]
            for a in q["answers"]
            if a["user_id"] == person["user_id"] and a["answered_at"]
        ]
        out.append(
            {
                **person,
                "answered": len(given),
                "questions": total,
                "answered_at": max((a["answered_at"] for a in given), default=None),
                "earlier_version": any(a["earlier_version"] for a in given),
            }
        )
    return out


def _dashboard_action(view: Callable[[int], str]) -> Callable:
    """A dashboard button: do it, say what happened, back to the dashboard.

    common.pages.form_action does the same with the pages' general messages; the ballot's errors
    (a deadline already past, a state that moved on) have words of their own here.
    """

    @wraps(view)
    @login_required
    def run(ballot_id: int):
        try:
            flash(view(ballot_id), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(_message(exc), "error")
        return redirect(_dashboard_url(ballot_id))

    return run


@bp.post("/ballots/<int:ballot_id>/send")
@_dashboard_action
def send(ballot_id: int) -> str:
    found = service.send(user(), ballot_id)
    return _("The ballot was sent to %(count)d recipients.", count=len(found.recipients))


@bp.post("/ballots/<int:ballot_id>/remind")
@_dashboard_action
def remind(ballot_id: int) -> str:
    late = service.remind(user(), ballot_id)
    if not late:
        return _("Everyone has answered; no reminder was needed.")
    return _("A reminder was sent to %(count)d recipients who have not answered.", count=len(late))


@bp.post("/ballots/<int:ballot_id>/close")
@_dashboard_action
def close(ballot_id: int) -> str:
    service.close(user(), ballot_id)
    return _("The ballot is closed; the result is final.")


@bp.post("/ballots/<int:ballot_id>/reopen")
@_dashboard_action
def reopen(ballot_id: int) -> str:
    deadline = office_time(request.form.get("deadline"), "deadline")
    if deadline is None:
        raise Invalid("A new deadline is required", fields=["deadline"])
    service.reopen(user(), ballot_id, request.form.get("reason", ""), deadline)
    return _("The ballot is open again until the new deadline.")
