"""The administrator's pages for legal holds; members read their notes' retention on the meeting page
(templates/retention/_notice.html)."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ecabinet.common.pages import form_action, user
from ecabinet.retention import service
from ecabinet.retention.serialize import retention

bp = Blueprint("retention_pages", __name__)


def _kept_url(**_kw) -> str:
    return url_for("retention_pages.kept")


@bp.get("/admin/retention")
@login_required
def kept():
    actor = user()
    meetings = service.meetings_to_keep(actor)
    return render_template("retention/kept.html", meetings=[(m, retention(actor, m)) for m in meetings])


@bp.post("/meetings/<int:meeting_id>/hold")
@form_action(_kept_url)
def hold(meeting_id: int):
    meeting = service.hold(user(), meeting_id, request.form.get("reason", ""))
    flash(_("“%(title)s” is held: none of its records will be destroyed.", title=meeting.title), "success")


@bp.post("/meetings/<int:meeting_id>/release")
@form_action(_kept_url)
def release(meeting_id: int):
    meeting = service.release(user(), meeting_id)
    flash(_("The legal hold on “%(title)s” is lifted.", title=meeting.title), "success")
