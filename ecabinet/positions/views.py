"""Positions and the consent block from the pages: the member's three buttons per item, the secretariat's
and the chair's table on the meeting page, the adoption on the console. Forms post here and come back."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _

from ecabinet.common.input import parse_values
from ecabinet.common.pages import form_action, user
from ecabinet.meetings import service as meetings
from ecabinet.positions import service
from ecabinet.positions.api import PositionBody

bp = Blueprint("positions_pages", __name__)


def _item_meeting_url(item_id: int, **_kw) -> str:
    item = meetings.get_item(user(), item_id)
    return url_for("meetings_pages.meeting", meeting_id=item.meeting_id, _anchor=f"position-{item_id}")


def _meeting_url(meeting_id: int, **_kw) -> str:
    return url_for("meetings_pages.meeting", meeting_id=meeting_id, _anchor="positions")


@bp.post("/agenda/<int:item_id>/position")
@form_action(_item_meeting_url)
def state(item_id: int):
    data = parse_values(PositionBody, {k: v for k, v in request.form.items() if k in ("position", "comment")})
    service.state(user(), item_id, data.position, data.comment)
    flash(_("Your position is recorded."), "success")


@bp.post("/agenda/<int:item_id>/consent")
@form_action(_item_meeting_url)
def set_consent(item_id: int):
    meetings.update_item(user(), item_id, consent=request.form.get("consent") == "on")


@bp.post("/meetings/<int:meeting_id>/consent/mark")
@form_action(_meeting_url)
def mark_consent(meeting_id: int):
    marked = service.mark_consent(user(), meeting_id)
    flash(_("%(num)d items added to the consent block.", num=len(marked)), "success")


@bp.post("/meetings/<int:meeting_id>/consent/adopt")
@form_action(lambda meeting_id: url_for("meetings_pages.console", meeting_id=meeting_id))
def adopt_consent(meeting_id: int):
    adopted = service.adopt_consent(user(), meeting_id)
    flash(
        _("The consent block is adopted: %(num)d items decided without discussion.", num=len(adopted)),
        "success",
    )
