"""Every page in a real browser, as the people who see it: axe-core finds nothing serious or critical
at tablet size, nothing runs off the side of a phone, and the wall fits a 1024×768 projector.

Each page is photographed (test-artifacts/pages/<size>/<page>.png) for a person to look at.
Needs Debian's Chromium and the `browser` extra (playwright, axe-playwright-python): see tests/browser.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from pprint import pformat

import pytest

from tests.browser import blocking_violations, log_in, sticking_out
from tests.helpers import ok
from tests.pdfs import make_pdf, upload

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "pages"
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def scene(cabinet):
    """A session under way as the pages meet it: a paper on the current item, members checked in, an
    open vote, minutes with a revision, a written-opinion ballot sent and another in draft."""
    sec = cabinet.api(cabinet.secretariat)
    meeting = cabinet.meeting("in_progress")
    land = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)", presenter="Bộ trưởng Bộ Tài nguyên")
    cabinet.item(meeting["id"], "Tình hình kinh tế - xã hội tháng 11 và 11 tháng năm 2026")
    paper = ok(
        upload(sec, land["id"], make_pdf("Điều 1. Phạm vi điều chỉnh", "Điều 2."), title="Dự thảo Luật"), 201
    )
    ok(sec.post(f"/meetings/{meeting['id']}/current", json={"agenda_item_id": land["id"]}))
    for person in (cabinet.chair, *cabinet.members[:2]):
        ok(cabinet.api(person).post(f"/meetings/{meeting['id']}/attendance"))
    ok(cabinet.api(cabinet.members[1]).post(f"/agenda/{land['id']}/speakers"))
    vote = ok(
        sec.post(
            f"/meetings/{meeting['id']}/votes",
            json={"question": "Thông qua dự án Luật Đất đai (sửa đổi)?", "agenda_item_id": land["id"]},
        ),
        201,
    )
    ok(sec.post(f"/votes/{vote['id']}/open"))
    ok(cabinet.api(cabinet.chair).post(f"/votes/{vote['id']}/cast", json={"choice": "yes"}), 201)
    ok(
        cabinet.api(cabinet.clerk).put(
            f"/meetings/{meeting['id']}/minutes",
            json={
                "summary": "Phiên họp diễn ra đúng chương trình.",
                "entries": [
                    {
                        "agenda_item_id": land["id"],
                        "notes": "Các thành viên thống nhất cao.",
                        "decision": "Giao Bộ Tư pháp hoàn thiện dự án Luật.",
                    }
                ],
                "revision": 0,
            },
        )
    )
    ballot = {
        "title": "Lấy ý kiến về dự thảo Nghị định quy định chi tiết Luật Dữ liệu",
        "summary": "Bộ Khoa học và Công nghệ trình; Bộ Tư pháp đã thẩm định.",
        "questions": [{"text": "Đồng ý ban hành Nghị định theo dự thảo?"}],
        "recipients": [p.id for p in cabinet.members],
        "deadline": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }
    sent = ok(sec.post("/ballots", json=ballot), 201)
    ok(sec.post(f"/ballots/{sent['id']}/send"))
    draft = ok(sec.post("/ballots", json={**ballot, "title": "Lấy ý kiến về đề án (dự thảo)"}), 201)
    # The next meeting, published: a minister has stated a position on its item before the session.
    upcoming = cabinet.meeting("published", title="Phiên họp Chính phủ thường kỳ tháng 12/2026")
    budget = cabinet.item(upcoming["id"], "Dự toán ngân sách nhà nước năm 2027")
    ok(
        cabinet.api(cabinet.members[1]).put(
            f"/agenda/{budget['id']}/position",
            json={"position": "object", "comment": "Đề nghị làm rõ nguồn chi đầu tư phát triển."},
        )
    )
    # A task from the item's decision, led by the member's ministry.
    admin = cabinet.api(cabinet.admin)
    justice = ok(admin.post("/organizations", json={"name": "Bộ Tư pháp"}), 201)
    ok(admin.patch(f"/users/{cabinet.members[0].id}", json={"organization": justice["id"]}))
    task = ok(
        sec.post(
            "/tasks",
            json={
                "text": "Hoàn thiện hồ sơ dự án Luật Đất đai (sửa đổi), trình Quốc hội",
                "lead_organization_id": justice["id"],
                "owner_id": cabinet.members[0].id,
                "deadline": (datetime.now(UTC) + timedelta(days=10)).isoformat(),
                "agenda_item_id": land["id"],
            },
        ),
        201,
    )
    return {
        "meeting": meeting["id"],
        "item": land["id"],
        "paper": paper["id"],
        "ballot": sent["id"],
        "draft": draft["id"],
        "vote": vote["id"],
        "task": task["id"],
        "upcoming": upcoming["id"],
    }


# (name, who sees it, path, what shows that the page's script has drawn it)
PAGES = [
    ("login", None, "/login", None),
    ("meetings", "member", "/meetings", None),
    ("meeting", "member", "/meetings/{meeting}", "#vote-panel .vote-question"),
    ("viewer", "member", "/documents/{paper}", ".textLayer.ready"),
    ("ballot-inbox", "member", "/ballots", None),
    ("devices", "member", "/devices", None),
    ("security", "member", "/account/security", None),
    ("security-totp", "member", "/account/security/totp", None),
    ("ballot", "member", "/ballots/{ballot}", None),
    ("tasks", "member", "/tasks", None),
    ("task", "member", "/tasks/{task}", None),
    ("calendar", "member", "/calendar", None),
    ("error", "member", "/documents/999999", None),
    ("meeting-managed", "secretariat", "/meetings/{meeting}", "#vote-panel .vote-question"),
    ("meeting-form", "secretariat", "/meetings/{meeting}/edit", None),
    ("meeting-new", "secretariat", "/meetings/new", None),
    ("item-form", "secretariat", "/agenda/{item}/edit", None),
    ("wall", "secretariat", "/meetings/{meeting}/wall", ".wall-vote .wall-question"),
    ("ballot-dashboard", "secretariat", "/ballots/{ballot}/dashboard", None),
    ("ballot-form", "secretariat", "/ballots/{draft}/edit", None),
    ("ballot-new", "secretariat", "/ballots/new", None),
    ("task-board", "secretariat", "/tasks", None),
    ("task-dashboard", "secretariat", "/tasks/dashboard", None),
    ("task-new", "secretariat", "/tasks/new?agenda_item_id={item}", None),
    ("console", "chair", "/meetings/{meeting}/console", ".console-vote .progress-cast"),
    ("meeting-positions", "chair", "/meetings/{upcoming}", ".positions-table"),
    ("minutes", "clerk", "/meetings/{meeting}/minutes", None),
    ("minutes-history", "clerk", "/meetings/{meeting}/minutes/history", None),
    ("users", "admin", "/admin/users", None),
    ("user-edit", "admin", "/admin/users/{member_id}", None),
    ("organizations", "admin", "/admin/organizations", None),
    ("retention", "admin", "/admin/retention", None),
]


def _people(cabinet):
    return {
        "member": cabinet.members[0],
        "secretariat": cabinet.secretariat,
        "chair": cabinet.chair,
        "clerk": cabinet.clerk,
        "admin": cabinet.admin,
    }


def _tour(browser, server_url, cabinet, scene, viewport, **device):
    """Each page as its reader sees it, one logged-in browser per role: yields (name, page) once the page
    has drawn itself, and photographs it."""
    people = _people(cabinet)
    values = {**scene, "member_id": cabinet.members[0].id}
    folder = ARTIFACTS / ("phone" if viewport["width"] < 600 else "tablet")
    folder.mkdir(parents=True, exist_ok=True)
    contexts = {}
    try:
        for name, role, path, ready in PAGES:
            if role not in contexts:
                context = browser.new_context(viewport=viewport, locale="vi-VN", **device)
                page = context.new_page()
                page.errors = []
                page.on("pageerror", lambda exc, page=page: page.errors.append(str(exc)))
                if role:
                    log_in(page, server_url, people[role].username)
                contexts[role] = context, page
            page = contexts[role][1]
            page.goto(f"{server_url}{path.format(**values)}")
            if ready:
                page.locator(ready).first.wait_for(state="attached", timeout=20000)
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            # A tag written into a block that ends up in the title or the body's class shows as stray
            # text (My tasks once began with '">' above its top bar, its title full of script tags).
            assert "<" not in page.title(), (name, page.title())
            assert "<" not in page.evaluate("() => document.body.className"), name
            yield name, page
        for role, (_, page) in contexts.items():
            assert page.errors == [], (role, page.errors)
    finally:
        for context, _ in contexts.values():
            context.close()


def test_every_page_at_tablet_size_has_no_serious_accessibility_violation_and_keeps_its_policy(
    cabinet, scene, server_url, browser
):
    """Each page draws itself (its `ready` element above: the viewer's PDF.js text layer, the live panels)
    with nothing refused by its Content-Security-Policy (no inline script or style, no worker, font or
    socket the policy forbids), and axe-core finds nothing serious or critical on it. One tour for both:
    each is a minute of browsing."""
    inaccessible, refused = {}, {}
    for name, page in _tour(browser, server_url, cabinet, scene, TABLET):
        policy = page.evaluate(
            "() => fetch(location.href).then(r => r.headers.get('Content-Security-Policy'))"
        )
        assert "script-src 'self';" in policy, (name, policy)  # the page is held to the policy at all
        if browser.violations:
            refused[name] = list(browser.violations)
        if violations := blocking_violations(page):
            inaccessible[name] = violations
        browser.violations[:] = []  # what the page did is above; axe's own script is the test's
    assert not refused, pformat(refused, width=120)
    assert not inaccessible, pformat(inaccessible, width=120)


def _header_on_one_row(page) -> bool:
    """Whether the top bar's parts all stand side by side (each one's height overlaps every other's)."""
    return page.evaluate(
        """() => {
          const boxes = [...document.querySelectorAll('.topbar > *')]
            .map(el => el.getBoundingClientRect()).filter(box => box.height > 0);
          return Math.max(...boxes.map(b => b.top)) < Math.min(...boxes.map(b => b.bottom));
        }"""
    )


def test_every_page_fits_a_phone_with_the_header_on_one_row_and_passes_axe_core(
    cabinet, scene, server_url, browser
):
    problems = {}
    for name, page in _tour(browser, server_url, cabinet, scene, PHONE, is_mobile=True, has_touch=True):
        if name == "wall":
            continue  # a projector's page, not a phone's: it must fit 1024×768 (below)
        overflow = sticking_out(page)
        one_row = _header_on_one_row(page)
        # A phone scrolls what a tablet shows whole (wide tables): axe-core again at this size.
        violations = blocking_violations(page)
        if overflow or not one_row or violations:
            problems[name] = {"sticking out": overflow, "header on one row": one_row, "axe-core": violations}
    assert not problems, pformat(problems, width=120)


def test_the_wall_fits_a_projector_without_scrolling_sideways(cabinet, scene, server_url, browser):
    context = browser.new_context(viewport=TABLET, locale="vi-VN")
    page = context.new_page()
    log_in(page, server_url, cabinet.secretariat.username)
    page.goto(f"{server_url}/meetings/{scene['meeting']}/wall")
    page.locator(".wall-vote .wall-question").wait_for(timeout=20000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wall-1024x768-vote.png"))
    assert sticking_out(page) == {}
    # The result, with its bars and the verdict, is the widest thing the wall shows.
    ok(cabinet.api(cabinet.secretariat).post(f"/votes/{scene['vote']}/close"))
    page.locator(".wall-vote.status-closed .verdict").wait_for(timeout=20000)
    page.screenshot(path=str(ARTIFACTS / "wall-1024x768-result.png"))
    assert sticking_out(page) == {}
    context.close()
