"""The chair's console and the wall display in a real browser: a vote put, opened and closed from the
console, followed live by the console's count and by the projector's wall.

Needs Debian's Chromium and the playwright package (see tests/browser.py).
"""

from __future__ import annotations

import pytest

from tests.helpers import ok
from tests.steps import logged_in_page

pytestmark = pytest.mark.browser


def _page(browser, server_url, person, path, viewport):
    context, page, errors = logged_in_page(browser, server_url, person, viewport)
    page.goto(f"{server_url}{path}")
    return context, page, errors


def test_the_chair_runs_a_vote_from_the_console_and_the_wall_follows(cabinet, server_url, browser, tmp_path):
    meeting = cabinet.meeting("in_progress")
    item = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    ok(
        cabinet.api(cabinet.secretariat).post(
            f"/meetings/{meeting['id']}/current", json={"agenda_item_id": item["id"]}
        )
    )
    chair = cabinet.chair
    console_context, console, console_errors = _page(
        browser, server_url, chair, f"/meetings/{meeting['id']}/console", {"width": 1280, "height": 900}
    )
    wall_context, wall, wall_errors = _page(
        browser,
        server_url,
        cabinet.secretariat,
        f"/meetings/{meeting['id']}/wall",
        {"width": 1920, "height": 1080},
    )
    wall.locator(".wall-items li.current", has_text="Dự án Luật Đất đai").wait_for(timeout=10000)
    # No documents yet: the presenter card says so, without an empty list and a page field.
    presenter = console.locator(".console-presenter")
    presenter.locator(".presenter-now .muted").wait_for(timeout=10000)
    assert presenter.locator(".pager").is_hidden() and presenter.locator("select").is_hidden()

    # The chair puts the question from the console's form and opens it from its card.
    console.locator(".vote-create > summary").click()
    console.fill(".vote-form textarea[name=question]", "Thông qua dự án Luật Đất đai (sửa đổi)")
    console.locator(".vote-form button[type=submit]").click()
    card = console.locator(".console-vote-list .console-vote", has_text="Thông qua dự án Luật Đất đai")
    # No minister has checked in: the console asks before opening the vote without a quorum.
    asked = []
    console.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    card.locator("button.primary").click()
    card.locator(".progress-cast", has_text="0").wait_for(timeout=10000)
    assert asked and asked[0].startswith("Chưa đủ số lượng thành viên theo quy định: có mặt 1/4")
    [vote] = ok(cabinet.api(chair).get(f"/meetings/{meeting['id']}/votes"))
    assert vote["status"] == "open" and vote["question"] == "Thông qua dự án Luật Đất đai (sửa đổi)"

    # The wall shows the question and the count, never the running choices.
    wall.locator(".wall-vote .wall-question", has_text="Thông qua dự án Luật Đất đai").wait_for(timeout=10000)
    for person, choice in (
        (cabinet.members[0], "yes"),
        (cabinet.members[1], "yes"),
        (cabinet.members[2], "no"),
    ):
        ok(cabinet.api(person).post(f"/votes/{vote['id']}/cast", json={"choice": choice}), 201)
    card.locator(".progress-cast", has_text="3").wait_for(timeout=10000)
    wall.locator(".wall-count strong", has_text="3").wait_for(timeout=10000)
    assert wall.locator(".result-row").count() == 0

    # Closed from the console (after its confirmation): both show the result.
    console.once("dialog", lambda dialog: dialog.accept())
    card.locator("button.danger").click()
    wall.locator(".wall-vote.status-closed .verdict").wait_for(timeout=10000)
    assert wall.locator(".result-row.opt-yes .result-count strong").inner_text() == "2"
    assert (
        ok(cabinet.api(chair).get(f"/votes/{vote['id']}"))["passed"] is False
    )  # 2 of 4 is not more than half
    console.locator(".console-vote-list .console-vote.status-closed .verdict").wait_for(timeout=10000)
    console.screenshot(path=str(tmp_path / "console.png"), full_page=True)
    wall.screenshot(path=str(tmp_path / "wall.png"))

    console_context.close()
    wall_context.close()
    assert console_errors == [] and wall_errors == []


def test_the_console_lists_who_speaks_then_the_queue_then_who_spoke(cabinet, server_url, browser):
    meeting = cabinet.meeting("in_progress")
    item = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    sec = cabinet.api(cabinet.secretariat)
    ok(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": item["id"]}))
    first, second, third = cabinet.members
    for person in (first, second, third):
        ok(cabinet.api(person).post(f"/agenda/{item['id']}/speakers"))
    context, console, errors = _page(
        browser,
        server_url,
        cabinet.chair,
        f"/meetings/{meeting['id']}/console",
        {"width": 1280, "height": 900},
    )
    rows = console.locator(".console-speakers li.speaker")
    rows.nth(2).wait_for(timeout=10000)

    # The chair gives the floor to the second who asked, ends it, and gives it to the first, from the card.
    def give_or_end(person, label_class):
        console.locator(".console-speakers li.speaker", has_text=person.full_name).locator(
            label_class
        ).click()

    give_or_end(second, "button.primary")
    console.locator(".console-speakers li.state-speaking", has_text=second.full_name).wait_for(timeout=10000)
    give_or_end(second, "button.danger")
    console.locator(".console-speakers li.state-done", has_text=second.full_name).wait_for(timeout=10000)
    give_or_end(first, "button.primary")
    console.locator(".console-speakers li.state-speaking", has_text=first.full_name).wait_for(timeout=10000)

    shown = [
        (row.locator(".speaker-who strong").inner_text(), row.get_attribute("class")) for row in rows.all()
    ]
    assert [(name, cls.split("state-")[1].split()[0]) for name, cls in shown] == [
        (first.full_name, "speaking"),
        (third.full_name, "waiting"),
        (second.full_name, "done"),
    ]
    context.close()
    assert errors == []
