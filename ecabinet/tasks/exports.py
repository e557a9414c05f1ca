"""The follow-up of tasks as the office files it: a workbook (XLSX) of counts and tasks, and the
report on the implementation of tasks (báo cáo tình hình thực hiện nhiệm vụ) in the administrative form."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from ecabinet.auth.models import Organization
from ecabinet.common import jobs, official
from ecabinet.common.time import cabinet_time
from ecabinet.extensions import db
from ecabinet.meetings.models import Meeting
from ecabinet.tasks import service
from ecabinet.tasks.models import Task
from ecabinet.tasks.service import Counts, Dashboard

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_LABELS = {
    "assigned": "Đã giao",
    "in_progress": "Đang thực hiện",
    "reported": "Đã báo cáo",
    "done": "Hoàn thành",
    "overdue": "Quá hạn",
}
COUNT_HEADERS = ["Tổng số", "Trong hạn", "Quá hạn", "Hoàn thành", "Hoàn thành quá hạn"]
TASK_HEADERS = ["Số", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Nguồn", "Thời hạn", "Tình trạng"]


def _when(value) -> str:
    return cabinet_time(value).strftime("%d/%m/%Y") if value else ""


def _numbers(c: Counts) -> list[int]:
    return [c.total, c.on_time, c.late, c.done, c.done_late]


def source_label(task: Task) -> str:
    if task.meeting is not None:
        return task.meeting.title
    if task.ballot_id is not None:
        return f"Phiếu lấy ý kiến số {task.ballot_id}"
    return ""


def task_row(task: Task, board: Dashboard) -> list:
    return [
        task.id,
        task.text,
        task.lead_organization.name,
        ", ".join(o.name for o in task.cooperating),
        source_label(task),
        _when(task.deadline),
        STATUS_LABELS[task.shown_status(board.at)],
    ]


def _count_tables(board: Dashboard) -> list[tuple[str, list[str], list[list]]]:
    """The two tables of counts, per lead organisation and per meeting, each ending with the total:
    the workbook's first two sheets and the report's sections II and III."""
    total = ["Tổng số", *_numbers(board.total)]
    return [
        (
            "Theo bộ, ngành",
            ["Đơn vị chủ trì", *COUNT_HEADERS],
            [[c.label, *_numbers(c)] for c in board.by_organization] + [total],
        ),
        (
            "Theo phiên họp",
            ["Phiên họp", *COUNT_HEADERS],
            [[c.label, *_numbers(c)] for c in board.by_meeting] + [total],
        ),
    ]


def to_xlsx(board: Dashboard) -> bytes:
    # Rows are gathered here, in the request (they read the database); the workbook is written in a job.
    sheets = [*_count_tables(board), ("Nhiệm vụ", TASK_HEADERS, [task_row(t, board) for t in board.tasks])]
    return jobs.run(_workbook, sheets)


@jobs.job
def _workbook(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for index, (title, headers, rows) in enumerate(sheets):
        sheet = book.create_sheet(title)
        sheet.append(headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        if index < 2:  # the two tables of counts end with their total
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for column, header in zip(sheet.columns, headers, strict=True):
            widest = max((len(str(c.value or "")) for c in column), default=len(header))
            sheet.column_dimensions[column[0].column_letter].width = min(max(widest, len(header)) + 2, 60)
            for cell in column[1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def describe(filters: dict) -> list[str]:
    """The filters a report was made with, as its scope line says them."""
    said = []
    if filters.get("status"):
        said.append(f"tình trạng {STATUS_LABELS[filters['status']].lower()}")
    if filters.get("organization_id"):
        org = db.session.get(Organization, filters["organization_id"])
        said.append(f"đơn vị chủ trì {org.name if org else filters['organization_id']}")
    if filters.get("meeting_id"):
        meeting = db.session.get(Meeting, filters["meeting_id"])
        said.append(f"phiên họp {meeting.title if meeting else filters['meeting_id']}")
    return said


def build_report(board: Dashboard, filters: list[str]) -> official.OfficialDocument:
    total = board.total
    summary = [
        f"Tổng số nhiệm vụ được giao: {total.total}; trong đó hoàn thành {total.done} "
        f"(hoàn thành quá hạn {total.done_late}), đang thực hiện trong hạn {total.on_time}, "
        f"quá hạn chưa hoàn thành {total.late}.",
        f"Số liệu tính đến {cabinet_time(board.at):%H:%M} ngày {cabinet_time(board.at):%d/%m/%Y}.",
    ]
    if filters:
        summary.append("Phạm vi: " + "; ".join(filters) + ".")
    widths = [0.4, 0.12, 0.12, 0.12, 0.12, 0.12]
    late = [t for t in board.tasks if t.shown_status(board.at) == "overdue"]
    return official.OfficialDocument(
        issuer="Văn phòng Chính phủ",
        symbol="BC-VPCP",
        title="BÁO CÁO TÌNH HÌNH THỰC HIỆN NHIỆM VỤ",
        subtitle="Chính phủ, Thủ tướng Chính phủ giao tại các phiên họp và phiếu lấy ý kiến",
        issued_at=board.at,
        sections=[
            official.Section("I. TÌNH HÌNH CHUNG", paragraphs=summary),
            *(
                official.Section(
                    f"{number}. {title.upper()}",
                    tables=[official.Table(headers, [[str(v) for v in row] for row in rows], widths)],
                )
                for number, (title, headers, rows) in zip(("II", "III"), _count_tables(board), strict=True)
            ),
            official.Section(
                "IV. NHIỆM VỤ QUÁ HẠN",
                paragraphs=[] if late else ["Không có nhiệm vụ quá hạn."],
                tables=[
                    official.Table(
                        ["Số", "Nhiệm vụ", "Đơn vị chủ trì", "Thời hạn"],
                        [[str(t.id), t.text, t.lead_organization.name, _when(t.deadline)] for t in late],
                        [0.08, 0.56, 0.22, 0.14],
                    )
                ]
                if late
                else [],
            ),
        ],
        signatures=[("Văn phòng Chính phủ", "")],
    )


def report_pdf(board: Dashboard, filters: list[str]) -> bytes:
    return official.to_pdf(build_report(board, filters))


def conclusion_lines(meeting: Meeting) -> dict[int | None, list[str]]:
    """The tasks a session's decisions assigned, one line each under the agenda item that decided them,
    for its conclusion notice (`minutes.exports.assigned_in`)."""
    assigned: dict[int | None, list[str]] = {}
    for task in service.tasks_of_meeting(meeting):
        assigned.setdefault(task.agenda_item_id, []).append(_task_line(task))
    return assigned


def _task_line(task: Task) -> str:
    deadline = cabinet_time(task.deadline)
    helpers = "; phối hợp: " + ", ".join(o.name for o in task.cooperating) if task.cooperating else ""
    return f"– {task.text} (chủ trì: {task.lead_organization.name}{helpers}; thời hạn: {deadline:%d/%m/%Y})."
