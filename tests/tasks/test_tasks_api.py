"""Tasks from decisions and their follow-up (API.md "Tasks from decisions")."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from ecabinet.extensions import db, socketio
from ecabinet.tasks.models import Task
from tests.helpers import assert_error, audit_entries, ok
from tests.ministries import later
from tests.pdfs import make_pdf


@pytest.fixture
def sent(monkeypatch):
    """(room, type, data) of every live event sent."""
    emitted = []
    monkeypatch.setattr(
        socketio,
        "emit",
        lambda name, payload, to=None, **kw: emitted.append((to, payload["type"], payload["data"])),
    )
    return emitted


def test_a_decision_becomes_a_task_the_ministry_carries_out(app, ministries, cabinet, sent):
    task = ok(ministries.assign(), 201)
    assert task["status"] == "assigned"
    assert task["source"] == {
        "meeting_id": ministries.meeting["id"],
        "agenda_item_id": ministries.item["id"],
        "ballot_id": None,
        "decision": "Giao Bộ Tư pháp hoàn thiện dự án Luật.",
    }
    assert (task["lead_organization_id"], task["owner_id"]) == (
        ministries.justice["id"],
        ministries.minister.id,
    )
    assert (f"user:{ministries.minister.id}", "task.assigned") in [(r, t) for r, t, _ in sent]

    minister = cabinet.api(ministries.minister)
    assert [t["id"] for t in ok(minister.get("/tasks"))] == [task["id"]]
    # The co-operating ministry reads it, but the lead carries it.
    other = cabinet.api(ministries.other)
    assert [t["id"] for t in ok(other.get("/tasks"))] == [task["id"]]
    assert_error(other.patch(f"/tasks/{task['id']}", json={"status": "in_progress"}), 403)

    path = f"/tasks/{task['id']}"
    assert ok(minister.patch(path, json={"status": "in_progress"}))["status"] == "in_progress"
    assert_error(minister.patch(path, json={"status": "reported"}), 400, "report_required")
    reported = ok(
        minister.patch(path, json={"status": "reported", "report": "Đã trình Chính phủ ngày 01/12."})
    )
    assert (reported["status"], reported["report"]) == ("reported", "Đã trình Chính phủ ngày 01/12.")
    assert ok(ministries.sec.patch(path, json={"status": "done"}))["status"] == "done"
    steps = [e["payload"] for e in audit_entries(app) if e["action"] == "task.status"]
    assert [(s["from"], s["to"]) for s in steps] == [
        ("assigned", "in_progress"),
        ("in_progress", "reported"),
        ("reported", "done"),
    ]
    assert [e["action"] for e in audit_entries(app) if e["object_type"] == "tasks"][0] == "task.create"


def test_status_steps_out_of_order_are_refused_and_nothing_is_written(app, ministries, cabinet):
    task = ok(ministries.assign(), 201)
    minister = cabinet.api(ministries.minister)
    path = f"/tasks/{task['id']}"
    for status in ("reported", "done"):
        assert_error(minister.patch(path, json={"status": status, "report": "Xong"}), 409, "wrong_task_step")
    assert_error(minister.patch(path, json={"status": "assigned"}), 400)
    assert_error(minister.patch(path, json={"status": "overdue"}), 400)
    after = ok(minister.get(path))
    assert (after["status"], after["report"]) == ("assigned", None)
    assert not [e for e in audit_entries(app) if e["action"] in ("task.status", "task.report")]
    # A ministry user does not correct the task itself.
    assert_error(minister.patch(path, json={"deadline": later(30)}), 403)


def test_bad_tasks_are_refused_and_nothing_is_written(app, ministries, cabinet):
    minister = cabinet.api(ministries.minister)
    before = len(audit_entries(app))
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert_error(ministries.assign(deadline=past), 400, "deadline_passed")
    assert_error(ministries.assign(lead_organization_id=9999), 400, "unknown_organization")
    assert_error(ministries.assign(cooperating_organization_ids=[9999]), 400, "unknown_organization")
    assert_error(ministries.assign(owner_id=ministries.other.id), 400, "owner_not_in_lead")
    assert_error(ministries.assign(agenda_item_id=9999), 400, "unknown_item")
    assert_error(ministries.assign(agenda_item_id=ministries.undecided["id"]), 409, "no_decision")
    assert_error(ministries.assign(ballot_id=1), 400, "two_sources")
    assert_error(ministries.assign(text="  "), 400)
    assert_error(ministries.assign(deadline="2026-12-30T08:00:00"), 400)  # no offset
    assert_error(minister.post("/tasks", json={"text": "x"}), 403)
    assert audit_entries(app)[before:] == []
    with app.app_context():
        assert db.session.scalars(select(Task)).all() == []


def test_another_ministrys_task_does_not_exist_for_its_users(ministries, cabinet):
    task = ok(ministries.assign(cooperating_organization_ids=[]), 201)
    other = cabinet.api(ministries.other)
    assert ok(other.get("/tasks")) == []
    assert_error(other.get(f"/tasks/{task['id']}"), 404)
    assert_error(other.patch(f"/tasks/{task['id']}", json={"status": "in_progress"}), 404)
    assert_error(
        other.post(f"/tasks/{task['id']}/extension", json={"deadline": later(20), "reason": "x"}), 404
    )
    # A user of no organisation sees none.
    assert ok(cabinet.api(cabinet.members[2]).get("/tasks")) == []
    assert ok(cabinet.api(ministries.minister).get(f"/tasks/{task['id']}"))["status"] == "assigned"


def test_overdue_by_the_servers_clock_and_the_filters(app, ministries, cabinet):
    late = ok(ministries.assign(text="Nhiệm vụ đã quá hạn"), 201)
    on_time = ok(
        ministries.assign(
            text="Nhiệm vụ còn hạn", lead_organization_id=ministries.finance["id"], owner_id=None
        ),
        201,
    )
    with app.app_context():
        db.session.get(Task, late["id"]).deadline = datetime.now(UTC) - timedelta(days=2)
        db.session.commit()
    sec = ministries.sec
    assert ok(sec.get(f"/tasks/{late['id']}"))["status"] == "overdue"
    assert [t["id"] for t in ok(sec.get("/tasks?status=overdue"))] == [late["id"]]
    assert [t["id"] for t in ok(sec.get("/tasks?status=assigned"))] == [on_time["id"]]
    assert [t["id"] for t in ok(sec.get(f"/tasks?organization_id={ministries.finance['id']}"))] == [
        on_time["id"]
    ]
    assert len(ok(sec.get(f"/tasks?meeting_id={ministries.meeting['id']}"))) == 2
    assert ok(sec.get("/tasks?meeting_id=9999")) == []
    assert_error(sec.get("/tasks?status=late"), 400)
    # Work goes on when late; once reported it is no longer overdue.
    minister = cabinet.api(ministries.minister)
    ok(minister.patch(f"/tasks/{late['id']}", json={"status": "in_progress"}))
    assert (
        ok(minister.patch(f"/tasks/{late['id']}", json={"status": "reported", "report": "Muộn"}))["status"]
        == "reported"
    )


def test_an_extension_granted_moves_the_deadline_and_a_refusal_says_why(app, ministries, cabinet, sent):
    task = ok(ministries.assign(), 201)
    minister = cabinet.api(ministries.minister)
    path = f"/tasks/{task['id']}/extension"
    assert_error(
        minister.post(path, json={"deadline": later(5), "reason": "Cần thêm thời gian"}),
        400,
        "deadline_not_later",
    )
    assert_error(minister.post(path, json={"deadline": later(20), "reason": " "}), 400)
    assert_error(ministries.sec.post(path, json={"deadline": later(20), "reason": "Thay"}), 403)
    asked = ok(minister.post(path, json={"deadline": later(20), "reason": "Chờ ý kiến Bộ Tài chính"}), 201)
    assert (asked["status"], asked["reason"]) == ("pending", "Chờ ý kiến Bộ Tài chính")
    assert_error(
        minister.post(path, json={"deadline": later(25), "reason": "Lần nữa"}), 409, "extension_pending"
    )
    assert_error(minister.post(f"{path}/grant", json={}), 403)

    assert_error(ministries.sec.post(f"{path}/refuse", json={}), 400, "reason_required")
    refused = ok(ministries.sec.post(f"{path}/refuse", json={"reason": "Nhiệm vụ cấp bách"}))
    assert (refused["status"], refused["answer"]) == ("refused", "Nhiệm vụ cấp bách")
    assert ok(minister.get(f"/tasks/{task['id']}"))["deadline"] == task["deadline"]
    assert_error(ministries.sec.post(f"{path}/grant"), 409, "no_extension_pending")

    asked = ok(minister.post(path, json={"deadline": later(15), "reason": "Chờ thẩm định"}), 201)
    ok(ministries.sec.post(f"{path}/grant"))
    current = ok(minister.get(f"/tasks/{task['id']}"))
    assert current["deadline"] == asked["deadline"]
    assert [e["status"] for e in current["extensions"]] == ["refused", "granted"]
    answers = [
        d for r, t, d in sent if t == "task.extension_answered" and r == f"user:{ministries.minister.id}"
    ]
    assert [a["granted"] for a in answers] == [False, True]
    assert answers[0]["reason"] == "Nhiệm vụ cấp bách"
    actions = [e["action"] for e in audit_entries(app) if e["object_type"] == "tasks"]
    assert actions.count("task.extension_request") == 2 and actions.count("task.extension_answer") == 2


def test_a_report_is_attached_as_a_pdf_with_the_upload_checks(app, ministries, cabinet):
    task = ok(ministries.assign(), 201)
    minister = cabinet.api(ministries.minister)
    path = f"/tasks/{task['id']}/report"

    def attach(api, content, name="bao-cao.pdf"):
        return api.post(
            path,
            data={"file": (io.BytesIO(content), name), "report": "Báo cáo kết quả thực hiện"},
            content_type="multipart/form-data",
        )

    assert_error(attach(minister, make_pdf("Báo cáo")), 409, "wrong_task_state")  # not under way yet
    ok(minister.patch(f"/tasks/{task['id']}", json={"status": "in_progress"}))
    assert_error(attach(minister, b"not a pdf at all"), 415)
    assert ok(minister.get(f"/tasks/{task['id']}"))["status"] == "in_progress"
    reported = ok(attach(minister, make_pdf("Báo cáo thực hiện nhiệm vụ")), 201)
    assert (reported["status"], reported["report"]) == ("reported", "Báo cáo kết quả thực hiện")
    document_id = reported["report_document_id"]
    pdf = minister.get(f"/documents/{document_id}/file")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert ministries.sec.get(f"/documents/{document_id}/file").status_code == 200
    assert_error(cabinet.api(cabinet.members[2]).get(f"/documents/{document_id}/file"), 404)


def test_the_follow_up_exports_as_a_workbook_and_a_report(app, ministries, cabinet):
    late = ok(ministries.assign(text="Sửa đổi Nghị định 15"), 201)
    ok(
        ministries.assign(
            text="Báo cáo Quốc hội", lead_organization_id=ministries.finance["id"], owner_id=None
        ),
        201,
    )
    done = ok(ministries.assign(text="Rà soát văn bản"), 201)
    minister = cabinet.api(ministries.minister)
    for step in ({"status": "in_progress"}, {"status": "reported", "report": "Xong"}):
        ok(minister.patch(f"/tasks/{done['id']}", json=step))
    ok(ministries.sec.patch(f"/tasks/{done['id']}", json={"status": "done"}))
    with app.app_context():
        db.session.get(Task, late["id"]).deadline = datetime.now(UTC) - timedelta(days=1)
        db.session.commit()

    response = ministries.sec.get("/tasks/export.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Theo bộ, ngành", "Theo phiên họp", "Nhiệm vụ"]
    rows = [list(r) for r in book["Theo bộ, ngành"].iter_rows(values_only=True)]
    assert rows == [
        ["Đơn vị chủ trì", "Tổng số", "Trong hạn", "Quá hạn", "Hoàn thành", "Hoàn thành quá hạn"],
        ["Bộ Tài chính", 1, 1, 0, 0, 0],
        ["Bộ Tư pháp", 2, 0, 1, 1, 0],
        ["Tổng số", 3, 1, 1, 1, 0],
    ]
    by_meeting = [list(r) for r in book["Theo phiên họp"].iter_rows(values_only=True)]
    assert by_meeting[1] == [ministries.meeting["title"], 3, 1, 1, 1, 0]
    tasks = [list(r) for r in book["Nhiệm vụ"].iter_rows(values_only=True)]
    assert [r[1] for r in tasks[1:]] == ["Sửa đổi Nghị định 15", "Báo cáo Quốc hội", "Rà soát văn bản"]
    assert [r[6] for r in tasks[1:]] == ["Quá hạn", "Đã giao", "Hoàn thành"]
    assert tasks[1][3] == "Bộ Tài chính"  # co-operating

    only_late = load_workbook(io.BytesIO(ministries.sec.get("/tasks/export.xlsx?status=overdue").data))
    assert [r[1] for r in only_late["Nhiệm vụ"].iter_rows(min_row=2, values_only=True)] == [
        "Sửa đổi Nghị định 15"
    ]

    report = ministries.sec.get(f"/tasks/report.pdf?organization_id={ministries.justice['id']}")
    assert report.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(report.data)).pages)
    assert "BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ" in text
    assert "Sửa đổi Nghị định 15" in text and "đơn vị chủ trì Bộ Tư pháp" in text
    assert "Báo cáo Quốc hội" not in text
    assert_error(minister.get("/tasks/export.xlsx"), 403)
    assert_error(minister.get("/tasks/report.pdf"), 403)


def test_reminders_before_and_after_the_deadline_once_each(app, ministries, cabinet, sent):
    soon = ok(ministries.assign(text="Sắp đến hạn", deadline=later(1)), 201)
    ok(ministries.assign(text="Còn lâu", deadline=later(30)), 201)
    late = ok(ministries.assign(text="Đã quá hạn"), 201)
    with app.app_context():
        db.session.get(Task, late["id"]).deadline = datetime.now(UTC) - timedelta(hours=1)
        db.session.commit()
    sent.clear()
    result = app.test_cli_runner().invoke(args=["tasks", "remind"])
    assert result.exit_code == 0, result.output
    assert "sent 2 reminder(s)" in result.output
    reminders = {d["task_id"]: d["overdue"] for r, t, d in sent if t == "task.reminder"}
    assert reminders == {soon["id"]: False, late["id"]: True}
    assert all(r == f"user:{ministries.minister.id}" for r, t, _ in sent if t == "task.reminder")
    again = app.test_cli_runner().invoke(args=["tasks", "remind"])
    assert "sent 0 reminder(s)" in again.output


def test_a_task_from_a_closed_ballot(ministries, cabinet):
    sec = ministries.sec
    ballot = ok(
        sec.post(
            "/ballots",
            json={
                "title": "Phiếu lấy ý kiến về Nghị định",
                "questions": [{"text": "Đồng ý ban hành Nghị định?"}],
                "recipients": [ministries.minister.id],
                "deadline": later(2),
            },
        ),
        201,
    )
    ok(sec.post(f"/ballots/{ballot['id']}/send"))
    no_agenda = {"agenda_item_id": None, "ballot_id": ballot["id"]}
    assert_error(ministries.assign(**no_agenda), 409, "ballot_not_closed")
    ok(
        cabinet.api(ministries.minister).put(
            f"/ballots/{ballot['id']}/response",
            json={"answers": [{"question_id": ballot["questions"][0]["id"], "choice": "agree"}]},
        )
    )
    ok(sec.post(f"/ballots/{ballot['id']}/close"))
    task = ok(ministries.assign(**no_agenda), 201)
    assert task["source"]["ballot_id"] == ballot["id"] and task["source"]["meeting_id"] is None
    assert task["source"]["decision"] == "Đồng ý ban hành Nghị định?: được thông qua."


def test_the_conclusion_notice_lists_the_tasks_its_decisions_assigned(ministries, cabinet):
    ok(
        ministries.assign(
            text="Hoàn thiện hồ sơ dự án Luật, trình Quốc hội", deadline="2099-03-31T17:00:00+07:00"
        ),
        201,
    )
    notice = ministries.sec.get(f"/meetings/{ministries.meeting['id']}/conclusions.pdf")
    assert notice.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(notice.data)).pages)
    assert "Nhiệm vụ được giao" in text
    assert "Hoàn thiện hồ sơ dự án Luật, trình Quốc hội" in text
    assert "chủ trì: Bộ Tư pháp; phối hợp: Bộ Tài chính; thời hạn: 31/03/2099" in " ".join(text.split())


def test_reminders_arrive_by_mail_when_a_mail_server_is_set(app, ministries, cabinet, smtp_sink):
    admin = cabinet.api(cabinet.admin)
    ok(admin.patch(f"/users/{ministries.minister.id}", json={"email": "botruong@moj.gov.vn"}))
    ok(ministries.assign(text="Trình Nghị định", deadline=later(1)), 201)
    assert app.test_cli_runner().invoke(args=["tasks", "remind"]).exit_code == 0
    # The assignment, then the reminder, each to the owner.
    received = smtp_sink.received(2)
    assert [to for to, _ in received] == [["botruong@moj.gov.vn"]] * 2
    subjects = [message["Subject"] for _, message in received]
    assert subjects == ["Nhiệm vụ được giao: Trình Nghị định", "Nhắc hạn thực hiện nhiệm vụ: Trình Nghị định"]


def test_the_secretariat_corrects_a_task(app, ministries, cabinet, sent):
    task = ok(ministries.assign(owner_id=None), 201)
    path = f"/tasks/{task['id']}"
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert_error(ministries.sec.patch(path, json={"deadline": past}), 400, "deadline_passed")
    assert_error(ministries.sec.patch(path, json={"owner_id": ministries.other.id}), 400, "owner_not_in_lead")
    assert_error(
        ministries.sec.patch(path, json={"cooperating_organization_ids": [9999]}), 400, "unknown_organization"
    )
    sent.clear()
    changed = ok(
        ministries.sec.patch(
            path, json={"text": "Nhiệm vụ đã sửa", "owner_id": ministries.minister.id, "deadline": later(40)}
        )
    )
    assert (changed["text"], changed["owner_id"], changed["status"]) == (
        "Nhiệm vụ đã sửa",
        ministries.minister.id,
        "assigned",
    )
    assert [(r, t) for r, t, _ in sent] == [(f"user:{ministries.minister.id}", "task.assigned")]
    assert [e["action"] for e in audit_entries(app)].count("task.edit") == 1


def test_a_confidential_items_decision_stays_with_those_cleared_for_it(ministries, cabinet):
    secret = cabinet.item(
        ministries.meeting["id"],
        "Phương án nhân sự (MẬT)",
        confidential=True,
        restricted_to=[cabinet.members[2].id],
    )
    ok(
        ministries.sec.put(
            f"/meetings/{ministries.meeting['id']}/minutes",
            json={"entries": [{"agenda_item_id": secret["id"], "decision": "Thống nhất phương án nhân sự."}]},
        )
    )
    task = ok(ministries.assign(agenda_item_id=secret["id"], text="Hoàn tất thủ tục bổ nhiệm"), 201)
    assert task["source"]["decision"] == "Thống nhất phương án nhân sự."
    seen = ok(cabinet.api(ministries.minister).get(f"/tasks/{task['id']}"))
    assert seen["text"] == "Hoàn tất thủ tục bổ nhiệm"
    assert (seen["source"]["agenda_item_id"], seen["source"]["decision"]) == (None, None)
