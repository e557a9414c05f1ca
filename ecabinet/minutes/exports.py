"""The minutes (biên bản phiên họp) and the conclusion notice (thông báo kết luận), PDF and DOCX."""

from __future__ import annotations

from ecabinet.common import official
from ecabinet.common.hooks import Hook
from ecabinet.common.signing import sign_if_configured
from ecabinet.common.time import cabinet_time
from ecabinet.meetings.models import Meeting
from ecabinet.minutes.service import ItemRecord, SessionRecord, VoteRecord

RULES = {
    "simple": "số phiếu tán thành nhiều hơn số phiếu không tán thành",
    "absolute": "quá nửa tổng số thành viên có quyền biểu quyết tán thành",
    "two_thirds": "ít nhất hai phần ba tổng số thành viên có quyền biểu quyết tán thành",
}
CHOICES = {"yes": "Tán thành", "no": "Không tán thành", "abstain": "Không biểu quyết"}


def _when(record: SessionRecord) -> str:
    start = cabinet_time(record.meeting.starts_at)
    return f"{start:%H} giờ {start:%M}, ngày {start:%d/%m/%Y}"


SEALED = "Nội dung mật — biên bản riêng"


def _short_of_quorum(snapshot: dict | None) -> str | None:
    """The words for a quorum not met at a moment the record keeps, or None when it was met."""
    if snapshot is None or snapshot["quorum"]:
        return None
    return (
        f"chưa đủ số lượng thành viên theo quy định (có mặt {snapshot['members_present']}/"
        f"{snapshot['members']}, tối thiểu {snapshot['required']})"
    )


def _vote_lines(vote: VoteRecord) -> list[str]:
    lines = [f"Biểu quyết{' kín' if vote.secret else ''}: {vote.question}"]
    short = _short_of_quorum(vote.quorum_at_open)
    if short:
        lines.append(f"Biểu quyết được tiến hành khi {short}.")
    if vote.status == "open":
        lines.append(f"Đang biểu quyết: {vote.cast}/{vote.eligible} thành viên đã biểu quyết.")
        return lines
    counts = "; ".join(f"{CHOICES.get(k, k)}: {v}" for k, v in vote.counts.items())
    outcome = {True: "Thông qua", False: "Không thông qua", None: "Không áp dụng"}[vote.passed]
    lines.append(
        f"Kết quả ({vote.eligible} thành viên có quyền biểu quyết): {counts}. Nguyên tắc: {RULES[vote.majority]}. "
        f"Kết quả: {outcome}."
    )
    if vote.named:
        lines.append(
            "Biểu quyết của từng thành viên: "
            + "; ".join(f"{n} — {CHOICES.get(c, c)}" for n, c in vote.named)
            + "."
        )
    return lines


# How the session decided an item (`service.decided_by`), as the minutes say it.
DECIDED_BY = {
    "consent": "thông qua không thảo luận",
    "vote": "biểu quyết",
    "discussion": "thảo luận",
}


def _item_title(item: ItemRecord) -> str:
    return SEALED if item.sealed else item.item.title


def _item_part(item: ItemRecord) -> official.Section:
    """One item's course and conclusion: the same in the general minutes and in the annex."""
    if item.sealed:
        return official.Section(f"{item.number}. {SEALED}", paragraphs=[f"{SEALED}."])
    paragraphs = []
    if item.item.presenter:
        paragraphs.append(f"Trình bày: {item.item.presenter}.")
    if item.speakers:
        paragraphs.append("Ý kiến phát biểu: " + ", ".join(item.speakers) + ".")
    if item.notes:
        paragraphs.append(item.notes)
    for vote in item.votes:
        paragraphs.extend(_vote_lines(vote))
    paragraphs.append("Kết luận: " + (item.decision or "(chưa ghi)"))
    paragraphs.append(f"Hình thức quyết định: {DECIDED_BY[item.decided_by]}.")
    return official.Section(f"{item.number}. {item.item.title}", paragraphs=paragraphs)


def _annex(record: SessionRecord, parts: list[official.Section]) -> list[official.Section]:
    """The confidential annex, for a reader cleared for at least one confidential item."""
    if not record.annex:
        return []
    return [
        official.Section(
            "PHỤ LỤC MẬT — BIÊN BẢN RIÊNG CÁC NỘI DUNG MẬT",
            paragraphs=["Chỉ những người được phép tiếp cận nội dung mật được đọc phụ lục này."],
            parts=parts,
        )
    ]


def build_minutes(record: SessionRecord) -> official.OfficialDocument:
    meeting = record.meeting
    attendance = record.attendance
    opening = [
        f"Thời gian: {_when(record)}.",
        f"Địa điểm: {meeting.location or ''}.",
        f"Chủ trì: {meeting.chair.full_name + ', ' + (meeting.chair.title or '') if meeting.chair else ''}.",
        f"Thành viên có mặt: {attendance.members_present}/{attendance.members}; "
        f"{'đủ' if attendance.quorum else 'không đủ'} số lượng thành viên theo quy định "
        f"(tối thiểu {attendance.required}).",
    ]
    short = _short_of_quorum(meeting.quorum_at_start)
    if short:
        opening.append(f"Phiên họp được khai mạc khi {short}.")
    sections = [
        official.Section(
            "I. THÀNH PHẦN, THỜI GIAN, ĐỊA ĐIỂM",
            paragraphs=opening,
            parts=[
                official.Section("Có mặt", paragraphs=record.present or ["(không có)"]),
                official.Section("Vắng mặt", paragraphs=record.absent or ["(không có)"]),
                *([official.Section("Dự thay", paragraphs=record.stand_ins)] if record.stand_ins else []),
            ],
        ),
        official.Section(
            "II. CHƯƠNG TRÌNH PHIÊN HỌP",
            tables=[
                official.Table(
                    ["Mục", "Nội dung", "Trình bày"],
                    [
                        [i.number, _item_title(i), "" if i.sealed else i.item.presenter or ""]
                        for i in record.items
                    ],
                    [0.1, 0.6, 0.3],
                )
            ],
        ),
        official.Section(
            "III. DIỄN BIẾN VÀ KẾT LUẬN THEO TỪNG NỘI DUNG", parts=[_item_part(i) for i in record.items]
        ),
    ]
    if record.general_votes:
        sections.append(
            official.Section(
                "IV. CÁC BIỂU QUYẾT KHÁC",
                paragraphs=[line for v in record.general_votes for line in _vote_lines(v)],
            )
        )
    if record.summary:
        sections.append(
            official.Section(f"{'V' if record.general_votes else 'IV'}. TÓM TẮT", paragraphs=[record.summary])
        )
    status = (
        "Biên bản đã được phê duyệt." if record.minutes.approved_at else "Dự thảo biên bản (chưa phê duyệt)."
    )
    sections.append(official.Section("", paragraphs=[status]))
    sections.extend(_annex(record, [_item_part(i) for i in record.annex]))
    return official.OfficialDocument(
        issuer="Chính phủ",
        symbol="BB-CP",
        title="BIÊN BẢN PHIÊN HỌP CHÍNH PHỦ",
        subtitle=meeting.title,
        issued_at=meeting.starts_at,
        sections=sections,
        signatures=[
            ("Thư ký", _clerk_name(record)),
            ("Chủ tọa", meeting.chair.full_name if meeting.chair else ""),
        ],
    )


def _clerk_name(record: SessionRecord) -> str:
    """The meeting's clerk signs: the participant with the clerk role, else who last wrote the text."""
    clerk = next((p.user for p in record.meeting.participants if p.user.has_role("clerk")), None)
    if clerk is not None:
        return clerk.full_name
    latest = record.minutes.latest
    return latest.author.full_name if latest and latest.author else ""


# What the session assigned, for the conclusion notice (tasks, declared in create_app): each function
# gives, per agenda item id (None: the session as a whole), the lines that list it.
assigned_in: Hook[[Meeting]] = Hook("minutes.exports.assigned_in")


def _conclusion_part(item: ItemRecord, assigned: dict[int | None, list[str]]) -> official.Section:
    if item.sealed:
        return official.Section(f"{item.number}. {SEALED}", paragraphs=[f"{SEALED}."])
    paragraphs = [item.decision or "(chưa có kết luận)"]
    for vote in item.votes:
        paragraphs.extend(_vote_lines(vote))
    lines = assigned.get(item.item.id, [])
    if lines:
        paragraphs.append("Nhiệm vụ được giao:")
        paragraphs.extend(lines)
    return official.Section(f"{item.number}. {item.item.title}", paragraphs=paragraphs)


def build_conclusions(record: SessionRecord) -> official.OfficialDocument:
    # The tasks the session's decisions assigned, under the item that decided them.
    assigned: dict[int | None, list[str]] = {}
    for lines_of in assigned_in:
        for item_id, lines in lines_of(record.meeting).items():
            assigned.setdefault(item_id, []).extend(lines)
    sections = [
        official.Section(
            "Kết luận về từng nội dung", parts=[_conclusion_part(i, assigned) for i in record.items]
        )
    ]
    if record.general_votes:
        sections.append(
            official.Section(
                "Các biểu quyết khác",
                paragraphs=[line for v in record.general_votes for line in _vote_lines(v)],
            )
        )
    sections.extend(_annex(record, [_conclusion_part(i, assigned) for i in record.annex]))
    return official.OfficialDocument(
        issuer="Văn phòng Chính phủ",
        symbol="TB-VPCP",
        title="THÔNG BÁO KẾT LUẬN",
        subtitle=f"của Thủ tướng Chính phủ tại {record.meeting.title}",
        issued_at=record.minutes.approved_at or record.meeting.starts_at,
        sections=sections,
        signatures=[("Văn phòng Chính phủ", "")],
    )


def minutes_pdf(record: SessionRecord) -> bytes:
    pdf = official.to_pdf(build_minutes(record))
    # Only approved minutes carry the office's signature: a draft is not a record yet.
    return (
        sign_if_configured(pdf, reason="Biên bản phiên họp Chính phủ") if record.minutes.approved_at else pdf
    )


def minutes_docx(record: SessionRecord) -> bytes:
    return official.to_docx(build_minutes(record))


def conclusions_pdf(record: SessionRecord) -> bytes:
    return official.to_pdf(build_conclusions(record))


def conclusions_docx(record: SessionRecord) -> bytes:
    return official.to_docx(build_conclusions(record))
