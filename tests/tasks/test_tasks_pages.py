"""The task pages: assigning from the minutes, the member's steps, the board and the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import ok
from tests.pages import page_login, page_post


def test_the_secretariat_assigns_from_the_minutes_and_the_minister_reports(app, ministries, cabinet):
    sec = page_login(app, cabinet.secretariat)
    editor = f"/meetings/{ministries.meeting['id']}/minutes"
    page = sec.get(editor).get_data(as_text=True)
    assert f"/tasks/new?agenda_item_id={ministries.item['id']}" in page
    form = f"/tasks/new?agenda_item_id={ministries.item['id']}"
    page = sec.get(form).get_data(as_text=True)
    assert "Giao Bộ Tư pháp hoàn thiện dự án Luật." in page  # the decision it comes from
    deadline = (datetime.now(UTC) + timedelta(days=7)).astimezone().strftime("%Y-%m-%dT%H:%M")
    refused = page_post(
        sec,
        form,
        "/tasks/new",
        {
            "agenda_item_id": ministries.item["id"],
            "text": "Trình dự án Luật",
            "lead_organization_id": ministries.justice["id"],
            "deadline": "2020-01-01T08:00",
        },
    )
    assert refused.status_code == 400
    assert "Thời hạn phải là một thời điểm trong tương lai." in refused.get_data(as_text=True)
    assert ok(ministries.sec.get("/tasks")) == []
    done = page_post(
        sec,
        form,
        "/tasks/new",
        {
            "agenda_item_id": ministries.item["id"],
            "text": "Trình dự án Luật",
            "lead_organization_id": ministries.justice["id"],
            "owner_id": ministries.minister.id,
            "cooperating_organization_ids": ministries.finance["id"],
            "deadline": deadline,
        },
    )
    assert done.status_code == 302
    (task,) = ok(ministries.sec.get("/tasks"))
    assert "Trình dự án Luật" in sec.get(editor).get_data(as_text=True)

    member = page_login(app, ministries.minister)
    mine = member.get("/tasks").get_data(as_text=True)
    assert "Trình dự án Luật" in mine
    page_post(member, "/tasks", f"/tasks/{task['id']}/step", {"status": "in_progress"})
    page_post(member, f"/tasks/{task['id']}", f"/tasks/{task['id']}/report", {"report": "Đã trình Chính phủ"})
    current = ok(ministries.sec.get(f"/tasks/{task['id']}"))
    assert (current["status"], current["report"]) == ("reported", "Đã trình Chính phủ")
    board = sec.get("/tasks?status=reported").get_data(as_text=True)
    assert "Trình dự án Luật" in board
    dashboard = sec.get("/tasks/dashboard").get_data(as_text=True)
    assert "Bộ Tư pháp" in dashboard and "/api/v1/tasks/export.xlsx" in dashboard
    assert member.get("/tasks/dashboard").status_code == 403


def test_a_closed_ballot_offers_to_assign_a_task_from_its_outcome(app, ministries, cabinet):
    sec = ministries.sec
    ballot = ok(
        sec.post(
            "/ballots",
            json={
                "title": "Phiếu lấy ý kiến về Nghị định",
                "questions": [{"text": "Đồng ý ban hành Nghị định?"}],
                "recipients": [ministries.minister.id],
                "deadline": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
            },
        ),
        201,
    )
    ok(sec.post(f"/ballots/{ballot['id']}/send"))
    ok(sec.post(f"/ballots/{ballot['id']}/close"))
    pages = page_login(app, cabinet.secretariat)
    link = f"/tasks/new?ballot_id={ballot['id']}"
    assert link in pages.get(f"/ballots/{ballot['id']}/dashboard").get_data(as_text=True)
    form = pages.get(link).get_data(as_text=True)
    assert "Đồng ý ban hành Nghị định?: không được thông qua." in form
    # An item nothing was decided on offers no task yet.
    minutes = pages.get(f"/meetings/{ministries.meeting['id']}/minutes").get_data(as_text=True)
    assert f"agenda_item_id={ministries.undecided['id']}" not in minutes
    assert "Nhiệm vụ được giao sau khi ghi kết luận." in minutes


def test_more_time_is_asked_and_answered_on_the_task_page(app, ministries, cabinet):
    task = ok(ministries.assign(), 201)
    page = f"/tasks/{task['id']}"
    member = page_login(app, ministries.minister)
    later = (datetime.now(UTC) + timedelta(days=30)).astimezone().strftime("%Y-%m-%dT%H:%M")
    page_post(member, page, f"{page}/extension", {"deadline": later, "reason": "Chờ ý kiến thẩm định"})
    assert "Đang chờ trả lời" in member.get(page).get_data(as_text=True)
    sec = page_login(app, cabinet.secretariat)
    assert "Chấp thuận gia hạn" in sec.get(page).get_data(as_text=True)
    page_post(sec, page, f"{page}/extension/refuse", {"reason": ""})
    assert "Hãy nêu lý do." in sec.get(page).get_data(as_text=True)  # flashed: nothing answered
    page_post(sec, page, f"{page}/extension/grant", {"reason": ""})
    current = ok(ministries.sec.get(f"/tasks/{task['id']}"))
    assert [e["status"] for e in current["extensions"]] == ["granted"]
    assert current["deadline"] != task["deadline"]
