"""A lost tablet wiped by the admin: at its next call the page deletes what the app kept in the
browser — a mark not yet saved, among the rest — and lands on the login page, which says why."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS
from tests.helpers import ok
from tests.steps import highlight_offline, logged_in_page


@pytest.mark.browser
def test_a_wiped_browser_forgets_its_unsaved_mark_and_logs_in_again(cabinet, document, server_url, browser):
    member = cabinet.members[0]
    context, page, errors = logged_in_page(browser, server_url, member, service_workers="block")
    # Offline, a mark is kept in the browser until the server has it.
    highlight_offline(context, page, server_url, document)
    unsaved = f"ecabinet.unsaved.{member.id}.{document['id']}.1"
    assert page.evaluate("(key) => window.localStorage.getItem(key)", unsaved)
    page.evaluate("window.sessionStorage.setItem('ecabinet.probe', '1')")

    admin = cabinet.api(cabinet.admin)
    (device,) = ok(admin.get(f"/users/{member.id}/devices"))
    assert "Chrom" in device["name"]
    ok(admin.post(f"/users/{member.id}/devices/{device['id']}/wipe"))

    # Back online, the mark goes to the server, which answers device_wiped.
    context.set_offline(False)
    page.wait_for_url("**/login?wiped=1", timeout=20000)
    page.locator("[data-device-wiped]").wait_for()
    assert page.evaluate("window.localStorage.length") == 0
    assert page.evaluate("window.sessionStorage.length") == 0
    assert ok(cabinet.api(member).get(f"/documents/{document['id']}/annotations")) == []  # a new login
    (ARTIFACTS / "devices").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "devices" / "wiped-login.png"))
    assert errors == []
    context.close()
