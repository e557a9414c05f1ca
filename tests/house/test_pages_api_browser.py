"""static/js/api.js, the one way the pages' scripts call /api/v1, in a real browser: the login cookie and
the page's CSRF token, 204 answers, the contract's errors, and a server out of reach.
Needs Debian's Chromium and the `browser` extra: see tests/browser.py."""

from __future__ import annotations

import pytest

from tests.browser import log_in

pytestmark = pytest.mark.browser

# The outcome of one call as the page's script sees it: what it resolved with, or the error's fields.
CALL = """([method, url, body]) => window.ecabinet.api(method, url, body).then(
  (value) => ({value}),
  (e) => ({status: e.status, code: e.code, message: e.message}),
)"""


@pytest.fixture
def page(browser, server_url, cabinet):
    """A member's page, logged in through the form, on the meetings list."""
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    log_in(page, server_url, cabinet.members[0].username)
    yield page
    context.close()


def call(page, method: str, url: str, body=None):
    return page.evaluate(CALL, [method, url, body])


def test_a_page_revokes_another_login_with_its_csrf_token_and_hears_204_as_null(page, cabinet):
    cabinet.api(cabinet.members[0])  # the member's tablet: a second login
    devices = call(page, "GET", "/api/v1/me/devices")["value"]
    tablet = next(d for d in devices if not d["current"])
    # Without the token the cookie alone changes nothing.
    refused = page.evaluate(
        "(url) => fetch(url, {method: 'DELETE', headers: {Accept: 'application/json'}}).then(r => r.status)",
        f"/api/v1/me/devices/{tablet['id']}",
    )
    assert refused == 400

    assert call(page, "DELETE", f"/api/v1/me/devices/{tablet['id']}") == {"value": None}
    left = call(page, "GET", "/api/v1/me/devices")["value"]
    assert [d["current"] for d in left] == [True]


def test_a_refusal_reaches_the_script_as_the_contracts_code_and_message(page):
    refused = call(page, "POST", "/api/v1/users", {"username": "x"})
    assert refused["status"] == 403 and refused["code"] == "forbidden" and refused["message"]
    missing = call(page, "GET", "/api/v1/meetings/999999")
    assert missing["status"] == 404 and missing["code"] == "not_found"


def test_a_server_out_of_reach_is_status_0_network(page):
    page.route("**/api/v1/me", lambda route: route.abort())
    assert call(page, "GET", "/api/v1/me") == {"status": 0, "code": "network", "message": "No connection"}
