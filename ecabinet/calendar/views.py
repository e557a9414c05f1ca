"""The feed itself, fetched by calendar apps without a login, and the user's page that shows its
address and renews it."""

from __future__ import annotations

from flask import Blueprint, Response, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ecabinet.calendar import service
from ecabinet.common.api import writes
from ecabinet.common.pages import form_action, user
from ecabinet.errors import NotFound

bp = Blueprint("calendar_pages", __name__)


def feed_url(secret: str) -> str:
    return url_for("calendar_pages.feed", secret=secret, _external=True)


@bp.get("/calendar/<secret>.ics")
def feed(secret: str):
    owner = service.user_for_secret(secret)
    if owner is None:
        raise NotFound("No such calendar")
    name = _("e-Cabinet: %(name)s", name=owner.full_name)
    response = Response(service.feed(owner, name, request.host), mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'inline; filename="ecabinet.ics"'
    # The address is the key: no shared cache keeps the answer, no search engine lists it.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/calendar")
@writes  # the first visit makes the feed
@login_required
def calendar():
    return render_template("calendar/calendar.html", url=feed_url(service.secret_for(user())))


@bp.post("/calendar/renew")
@form_action(lambda: url_for("calendar_pages.calendar"))
def renew():
    service.renew(user())
    flash(_("Your calendar has a new address: the old one no longer works."), "success")
