from __future__ import annotations

from flask import Blueprint, jsonify

from ecabinet.calendar import service
from ecabinet.calendar.views import feed_url
from ecabinet.common.api import actor, any_user, may, writes
from ecabinet.common.openapi import doc

bp = Blueprint("calendar", __name__)


@bp.get("/me/calendar")
@writes  # the first call makes the feed
@doc("The address of the caller's private calendar feed (iCalendar)", returns="{url}")
def my_calendar():
    return jsonify({"url": feed_url(service.secret_for(actor()))})


@bp.post("/me/calendar/renew")
@may(any_user)
@doc(
    "Give the caller's calendar feed a new address; the old one answers 404 from now on",
    returns="{url}",
)
def renew_my_calendar():
    return jsonify({"url": feed_url(service.renew(actor()))})
