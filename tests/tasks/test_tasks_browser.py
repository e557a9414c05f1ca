"""Tasks on the pages: the secretariat assigns one from a decision on the minutes page (desktop), the
minister starts it and reports on it with a PDF from "My tasks" (tablet), and the dashboard counts it.

Needs Debian's Chromium and the playwright package (see tests/minutes/test_minutes_browser.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.browser import Device, assert_accessible, sticking_out
from tests.helpers import ok
from tests.pdfs import make_pdf

pytestmark = pytest.mark.browser


def test_the_secretariat_assigns_a_task_from_a_decision_and_the_minister_reports(
    cabinet, server_url, browser, tmp_path, ministries
):
    desk = Device(browser, server_url, cabinet.secretariat, "tasks", {"width": 1280, "height": 800})
    page = desk.page
    page.goto(f"{server_url}/meetings/{ministries.meeting['id']}/minutes")
    page.locator(f"#minutes-item-{ministries.item['id']}").get_by_role(
        "link", name="Giao nhiệm vụ theo kết luận này"
    ).click()
    page.wait_for_url("**/tasks/new?**")
    assert "Giao Bộ Tư pháp hoàn thiện dự án Luật." in page.locator(".task-decision").inner_text()
    page.get_by_label("Nhiệm vụ", exact=True).fill(
        "Trình Chính phủ dự án Luật Đất đai (sửa đổi) đã hoàn thiện"
    )
    page.get_by_label("Đơn vị chủ trì").select_option(label="Bộ Tư pháp")
    page.get_by_label("Người phụ trách").select_option(label=ministries.minister.full_name)
    page.get_by_role("checkbox", name="Bộ Tài chính").check()
    deadline = (datetime.now(UTC) + timedelta(days=14)).astimezone().strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Thời hạn").fill(deadline)
    desk.shot("assign-form")
    assert_accessible(page, "the form that assigns a task")
    desk.submit(page.get_by_role("button", name="Giao nhiệm vụ"))
    assert "Đã giao nhiệm vụ cho Bộ Tư pháp." in page.locator(".flash.success").inner_text()
    assert "Trình Chính phủ dự án Luật Đất đai" in page.locator(".minutes-tasks").first.inner_text()
    assert desk.close() == []

    tablet = Device(browser, server_url, ministries.minister, "tasks")
    page = tablet.page
    page.goto(server_url)
    page.get_by_role("link", name="Nhiệm vụ của tôi").click()
    card = page.locator(".task-card").first
    assert "Trình Chính phủ dự án Luật Đất đai" in card.inner_text() and "Đã giao" in card.text_content()
    start = card.get_by_role("button", name="Bắt đầu thực hiện")
    box = start.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 120  # a target for a finger on a tablet
    tablet.shot("my-tasks")
    assert_accessible(page, "My tasks")
    assert sticking_out(page) == {}
    # A task assigned meanwhile is announced on the page, live.
    page.locator("#task-news[data-live='connected']").wait_for(state="attached")
    ok(ministries.assign(text="Báo cáo Thủ tướng kết quả rà soát"), 201)
    page.locator("#task-news").wait_for()
    assert "Nhiệm vụ mới: Báo cáo Thủ tướng kết quả rà soát" in page.locator("#task-news").inner_text()
    tablet.submit(start)  # on to the task's page, where the report is written
    assert page.locator(".task-head .badge").text_content().strip() == "Đang thực hiện"
    page.get_by_label("Báo cáo kết quả thực hiện").fill("Bộ Tư pháp đã hoàn thiện hồ sơ, trình Chính phủ.")
    report = tmp_path / "bao-cao.pdf"
    report.write_bytes(make_pdf("Báo cáo thực hiện nhiệm vụ"))
    page.get_by_label("Báo cáo dạng tệp PDF (không bắt buộc)").set_input_files(str(report))
    tablet.submit(page.get_by_role("button", name="Gửi báo cáo"))
    assert "Đã ghi nhận báo cáo." in page.locator(".flash.success").inner_text()
    assert page.locator(".task-head .badge").text_content().strip() == "Đã báo cáo"
    assert page.get_by_role("link", name="Mở báo cáo (PDF)").count() == 1
    tablet.shot("reported")
    assert_accessible(page, "the reported task")
    assert tablet.close() == []

    task, _ = ok(ministries.sec.get("/tasks"))
    assert (task["status"], task["report"]) == (
        "reported",
        "Bộ Tư pháp đã hoàn thiện hồ sơ, trình Chính phủ.",
    )
    assert task["report_document_id"] is not None

    desk = Device(browser, server_url, cabinet.secretariat, "tasks", {"width": 1280, "height": 800})
    page = desk.page
    page.goto(f"{server_url}/tasks/dashboard")
    row = page.locator("table.task-counts").first.locator("tbody tr", has_text="Bộ Tư pháp")
    assert row.locator("td").all_inner_texts() == ["2", "2", "0", "0", "0"]
    desk.shot("dashboard")
    assert_accessible(page, "the follow-up dashboard")
    page.goto(f"{server_url}/tasks/{task['id']}")
    desk.submit(page.get_by_role("button", name="Chấp nhận báo cáo: hoàn thành nhiệm vụ"))
    assert page.locator(".task-head .badge").text_content().strip() == "Hoàn thành"
    desk.shot("done")
    assert desk.close() == []
