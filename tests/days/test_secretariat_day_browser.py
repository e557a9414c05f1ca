"""The secretariat's day, in order, through the pages only: the meetings list (the session under way
first, then what comes, then the past), a draft meeting whose mistyped past date is asked about and
whose refused end is fixed without retyping the rest, a confidential item, two papers uploaded to the
draft (one under a typed title), a non-PDF refused in Vietnamese, publishing, the meeting book from its
button, and a written-opinion ballot sent.

Each step fits the screen, passes axe-core and is photographed under test-artifacts/secretariat-day/
(the meeting page also at phone size). Needs Debian's Chromium and the playwright package, like the
other browser tests.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ecabinet.config import REPO_ROOT
from tests.browser import assert_accessible, log_in, sticking_out
from tests.helpers import ok
from tests.pdfs import make_pdf

pytestmark = pytest.mark.browser

SHOTS = REPO_ROOT / "test-artifacts" / "secretariat-day"
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
OFFICE = timezone(timedelta(hours=7))

TITLE = "Phiên họp Chính phủ chuyên đề xây dựng pháp luật tháng 12/2026"
LOCATION = "Phòng họp số 1, Trụ sở Chính phủ"


class Secretariat:
    """The pages the secretariat walks through; each selector lives here once."""

    def __init__(self, page, url: str):
        self.page = page
        self.url = url
        self.step = 0
        # Publishing and sending ask first (data-confirm): the secretariat says yes.
        page.on("dialog", lambda dialog: dialog.accept())

    def shot(self, name: str, full_page: bool = True) -> None:
        """Photographs the step; the page as it then stands fits the screen and passes axe-core."""
        self.step += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{self.step:02d}-{name}.png"), full_page=full_page)
        assert sticking_out(self.page) == {}, name
        assert_accessible(self.page, name)

    def submit(self, form_selector: str) -> None:
        with self.page.expect_navigation():
            self.page.click(f"{form_selector} button[type=submit].primary")

    # --- the meeting form ---------------------------------------------------------------------

    def fill_meeting(self, chair_id: int, starts: str, ends: str, participants: list[int]) -> None:
        page = self.page
        page.fill("input[name=title]", TITLE)
        page.select_option("select[name=kind]", "thematic")
        page.select_option("select[name=chair_id]", str(chair_id))
        page.fill("input[name=starts_at]", starts)
        page.fill("input[name=ends_at]", ends)
        page.fill("input[name=location]", LOCATION)
        for box in page.locator("input[name=participants]").all():
            box.set_checked(int(box.get_attribute("value")) in participants)

    def field_error(self, name: str) -> str:
        return self.page.locator(f"#error-{name}").inner_text()

    # --- the meeting page ---------------------------------------------------------------------

    def add_item(self, title: str, presenter: str, confidential_for: str | None = None) -> None:
        page = self.page
        form = page.locator("#add-item")
        if form.get_attribute("open") is None:
            page.click("#add-item summary")
        form.locator("input[name=title]").fill(title)
        form.locator("input[name=presenter]").fill(presenter)
        if confidential_for:
            form.locator("input[name=confidential]").check()
            form.locator("fieldset.restricted label.check", has_text=confidential_for).locator(
                "input"
            ).check()
        self.submit("#add-item form")

    def item(self, title: str):
        return self.page.locator("li.agenda-item", has_text=title)

    def upload(self, item_title: str, files: list[Path], titles: dict[int, str]) -> None:
        """Choose the files at once, type the titles given (by position), upload, wait for the page
        to show them."""
        item = self.item(item_title)
        item.locator("input[data-action=upload]").set_input_files([str(f) for f in files])
        rows = item.locator(".pending-files input.pending-title")
        rows.first.wait_for()
        for index, title in titles.items():
            rows.nth(index).fill(title)
        self.shot("titles-typed", full_page=False)
        with self.page.expect_navigation():  # the page reloads once the uploads are in
            item.locator("button[data-action=send]").click()

    def documents_of(self, item_title: str) -> list[str]:
        return self.item(item_title).locator("ul.documents li a").all_inner_texts()

    def assert_kept(self, title: str, location: str, starts: str, chair_id: int, members: list[int]) -> None:
        """The refused form shows again everything that was typed."""
        page = self.page
        assert page.input_value("input[name=title]") == title
        assert page.input_value("input[name=location]") == location
        assert page.input_value("input[name=starts_at]") == starts
        assert page.input_value("select[name=chair_id]") == str(chair_id)
        checked = page.locator("input[name=participants]:checked").evaluate_all(
            "boxes => boxes.map(b => +b.value)"
        )
        assert sorted(checked) == sorted(members)

    @staticmethod
    def meetings_in_api(cabinet) -> list[int]:
        return sorted(m["id"] for m in ok(cabinet.api(cabinet.secretariat).get("/meetings")))

    def meetings_listed(self) -> list[str]:
        return [" ".join(t.split()) for t in self.page.locator(".meeting-card h2").all_inner_texts()]


def _papers(tmp_path: Path) -> list[Path]:
    papers = []
    for name, pages in (
        ("to-trinh-15-TTr-BTP.pdf", ("Tờ trình Chính phủ", "Phụ lục")),
        ("Du thao Nghi dinh.pdf", ("Dự thảo Nghị định", "Điều 1", "Điều 2")),
    ):
        path = tmp_path / name
        path.write_bytes(make_pdf(*pages))
        papers.append(path)
    return papers


def test_the_secretariat_prepares_a_meeting_and_a_ballot_through_the_pages(
    cabinet, server_url, browser, tmp_path
):
    context = browser.new_context(viewport=TABLET, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sec = Secretariat(page, server_url)

    # The cabinet's other meetings: one in session now, one held last month.
    now = datetime.now(UTC)
    running = cabinet.meeting("in_progress", title="Phiên họp đang diễn ra", starts_at=now.isoformat())
    held = cabinet.meeting(
        "closed", title="Phiên họp tháng trước", starts_at=(now - timedelta(days=30)).isoformat()
    )

    # Morning: log in, the meetings list.
    log_in(page, server_url, cabinet.secretariat.username)
    assert page.url.endswith("/meetings")
    assert sec.meetings_listed() == [running["title"], held["title"]]
    sec.shot("meetings")

    # A new meeting with last year's date typed by mistake: the past start is asked about, with
    # everything kept. The year corrected, the end (still last year's) is refused beside its field, the
    # rest kept again; the end fixed alone, the meeting is made.
    page.click("text=+ Tạo phiên họp")
    day = (now + timedelta(days=5)).astimezone(OFFICE)
    typo = day.replace(year=day.year - 1).strftime("%Y-%m-%d")
    day = day.strftime("%Y-%m-%d")
    members = [cabinet.members[0].id, cabinet.members[1].id, cabinet.members[2].id]
    sec.fill_meeting(cabinet.chair.id, f"{typo}T08:30", f"{typo}T11:30", members)
    sec.shot("meeting-form")
    sec.submit("form.grid")
    past = page.locator(".past-start")
    assert "Thời gian bắt đầu phiên họp đã qua. Vui lòng kiểm tra lại ngày giờ" in past.inner_text()
    assert past.locator("input[name=confirm_past]").count() == 1
    sec.assert_kept(TITLE, LOCATION, f"{typo}T08:30", cabinet.chair.id, members)
    assert sec.meetings_in_api(cabinet) == sorted([running["id"], held["id"]])  # nothing made yet
    sec.shot("meeting-form-asks-about-the-past")
    page.fill("input[name=starts_at]", f"{day}T08:30")
    # Beneath the field (drawn in the browser's own format), the time written out, the month by name.
    written = page.locator("input[name=starts_at] + output").inner_text()
    assert re.search(rf"\b0?{int(day[8:])} tháng {int(day[5:7])}\b.*{day[:4]}", written), written
    assert "08:30" in written
    sec.submit("form.grid")
    assert "phải kết thúc sau" in sec.field_error("ends_at")
    assert page.locator(".past-start").count() == 0
    sec.assert_kept(TITLE, LOCATION, f"{day}T08:30", cabinet.chair.id, members)
    sec.shot("meeting-form-refused")
    page.fill("input[name=ends_at]", f"{day}T11:30")
    sec.submit("form.grid")
    assert "Đã tạo phiên họp ở trạng thái dự thảo." in page.inner_text(".flash.success")
    assert page.locator(".now-banner").count() == 0  # nothing is discussed in a draft
    meeting_url = page.url
    sec.shot("draft-created")

    # The agenda: an open item and a confidential one for a single minister.
    sec.add_item("Dự thảo Nghị định quy định chi tiết Luật Dữ liệu", "Bộ trưởng Bộ Công an")
    cleared = cabinet.members[0].full_name
    sec.add_item("Phương án nhân sự", "Bộ trưởng Bộ Nội vụ", confidential_for=cleared)
    secret = sec.item("Phương án nhân sự")
    assert secret.locator(".badge.secret").is_visible()
    assert cleared in secret.locator(".item-restricted").inner_text()

    # Two papers at once on the draft, one under a typed title, the other under its file's name. The
    # button shows its words alone: the native file input inside it is not seen.
    button = sec.item("Dự thảo Nghị định").locator("label.file-button")
    assert button.inner_text().strip() == "Tải lên tệp PDF (có thể chọn nhiều tệp)"
    assert button.locator("input[type=file]").evaluate("input => getComputedStyle(input).opacity") == "0"
    papers = _papers(tmp_path)
    sec.upload("Dự thảo Nghị định", papers, {0: "Tờ trình số 15/TTr-BTP"})
    assert sec.documents_of("Dự thảo Nghị định") == ["Tờ trình số 15/TTr-BTP", "Du thao Nghi dinh"]
    sec.shot("papers-uploaded")

    # A file that is not a PDF is refused, in Vietnamese, and nothing is added.
    not_pdf = tmp_path / "ghi-chu.pdf"
    not_pdf.write_text("ghi chú, không phải PDF")
    item = sec.item("Phương án nhân sự")
    item.locator("input[data-action=upload]").set_input_files(str(not_pdf))
    item.locator("button[data-action=send]").click()
    refusal = item.locator(".upload-progress li.error")
    refusal.wait_for()
    assert "Tệp không phải là PDF" in refusal.inner_text()
    sec.shot("not-a-pdf-refused", full_page=False)

    # Publish when ready.
    with page.expect_navigation():
        page.click("button:has-text('Phát hành tới thành phần dự họp')")
    assert "Đã phát hành phiên họp" in page.inner_text(".flash.success")

    # The meeting book from its button: built on the first opening, then its pages are shown.
    assert "Đang chuẩn bị" in page.inner_text(".book-state")
    with page.expect_response(re.compile(r".*/book\.pdf$")) as book:
        page.click(".book-link a")
    assert book.value.status == 200 and book.value.header_value("content-type") == "application/pdf"
    page.goto(meeting_url)
    # Cover and agenda, then 2 + 3 pages of papers (the confidential item has none).
    assert re.fullmatch(
        r"7 trang · tạo lúc \d\d:\d\d \d\d/\d\d/\d{4}", page.inner_text(".book-state").strip()
    )
    sec.shot("published-with-book")
    sec.shot("published-tablet-top", full_page=False)
    page.set_viewport_size(PHONE)
    sec.shot("meeting-phone")
    sec.shot("meeting-phone-top", full_page=False)
    sec.item("Dự thảo Nghị định").scroll_into_view_if_needed()
    sec.shot("meeting-phone-papers", full_page=False)
    page.set_viewport_size(TABLET)

    # A written-opinion ballot to every member, sent.
    page.click("nav >> text=Phiếu lấy ý kiến")
    page.click("text=+ Tạo phiếu mới")
    page.fill("input[name=title]", "Lấy ý kiến về dự thảo Nghị định quy định chi tiết Luật Dữ liệu")
    page.fill("textarea[name=questions]", "Đồng ý ban hành Nghị định theo dự thảo?")
    deadline = (datetime.now(UTC) + timedelta(days=7)).astimezone(OFFICE).strftime("%Y-%m-%dT17:00")
    page.fill("input[name=deadline]", deadline)
    page.locator("#paper-list label.check", has_text="Tờ trình số 15/TTr-BTP").locator("input").check()
    sec.shot("ballot-form")
    sec.submit("#ballot-edit")
    with page.expect_navigation():
        page.click("button:has-text('Gửi')")
    sec.shot("ballot-sent")

    ballot_id = int(re.search(r"/ballots/(\d+)/dashboard", page.url).group(1))
    ballot = ok(cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot_id}"))
    assert ballot["status"] == "sent"
    assert [d["title"] for d in ballot["documents"]] == ["Tờ trình số 15/TTr-BTP"]
    meeting = ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting_url.rsplit('/', 1)[1]}"))
    assert meeting["status"] == "published" and meeting["location"] == LOCATION

    # Evening: the list puts the session under way first, then the meeting prepared today, then the past.
    page.click("nav >> text=Phiên họp")
    assert sec.meetings_listed() == [running["title"], TITLE, held["title"]]
    sec.shot("meetings-at-the-end")
    assert errors == []
    context.close()
