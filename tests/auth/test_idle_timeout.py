"""A browser session unused longer than ECABINET_SESSION_IDLE_MINUTES is logged out at its next request,
and leaves the user's devices list; a tablet's bearer token keeps its absolute lifetime whatever the
pause, and a page session's token cannot be used as one to get round the timeout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from ecabinet.auth.idle import SEEN_KEY
from ecabinet.auth.models import ApiToken
from ecabinet.common.pages import PAGE_SESSION_KEY
from ecabinet.common.time import utcnow
from ecabinet.extensions import db
from tests.conftest import Api
from tests.helpers import assert_error, ok
from tests.pages import page_login


@pytest.fixture
def browser_of(app, cabinet):
    """A member's browser, logged in through the login page."""
    return page_login(app, cabinet.members[0])


def _unused_for(client, minutes: int) -> None:
    """Turn the session's last use back, as if the browser had been left alone that long."""
    with client.session_transaction() as session:
        session[SEEN_KEY] -= minutes * 60


def test_a_browser_left_alone_too_long_is_logged_out(app, cabinet, browser_of):
    assert app.config["ECABINET_SESSION_IDLE_MINUTES"] == 60
    assert browser_of.get("/meetings").status_code == 200
    _unused_for(browser_of, 61)
    page = browser_of.get("/meetings")
    assert page.status_code == 302 and "/login" in page.headers["Location"]
    assert_error(browser_of.get("/api/v1/meetings"), 401)  # the pages' own scripts


def test_each_request_counts_as_use(browser_of):
    for _ in range(3):  # three hours in all, never an hour's pause
        _unused_for(browser_of, 50)
        assert browser_of.get("/meetings").status_code == 200
        ok(browser_of.get("/api/v1/meetings"))  # the pages' own scripts: still logged in


def test_a_bearer_token_keeps_working_after_any_pause(cabinet, browser_of):
    tablet = Api(browser_of, cabinet.api(cabinet.members[0]).token)
    _unused_for(browser_of, 24 * 60)
    ok(tablet.get("/meetings"))  # the idle cookie beside it is not what the call is judged by
    assert_error(browser_of.get("/api/v1/meetings"), 401)


def test_no_idle_timeout_when_set_to_zero(app, browser_of):
    app.config["ECABINET_SESSION_IDLE_MINUTES"] = 0
    _unused_for(browser_of, 7 * 24 * 60)
    assert browser_of.get("/meetings").status_code == 200


def test_a_browser_left_alone_too_long_leaves_the_devices_list(app, cabinet, browser_of):
    tablet = cabinet.api(cabinet.members[0])
    listed = ok(tablet.get("/me/devices"))
    assert len(listed) == 2 and sum(d["current"] for d in listed) == 1  # the browser, and this tablet
    with app.app_context():  # both last seen 61 minutes ago; only the browser's login has an idle timeout
        db.session.execute(update(ApiToken).values(last_seen_at=utcnow() - timedelta(minutes=62)))
        db.session.commit()
    _unused_for(browser_of, 62)

    (device,) = ok(tablet.get("/me/devices"))
    assert device["current"] is True
    assert_error(browser_of.get("/api/v1/me"), 401)


def test_a_page_sessions_token_is_not_a_bearer_token(cabinet, browser_of):
    with browser_of.session_transaction() as session:
        page_token = session[PAGE_SESSION_KEY]  # the cookie is signed, not secret: anyone holding it reads it
    ok(browser_of.get("/api/v1/me"))
    assert_error(Api(browser_of, page_token).get("/me"), 401, "bad_token")
    _unused_for(browser_of, 61)
    assert_error(Api(browser_of, page_token).get("/me"), 401, "bad_token")
