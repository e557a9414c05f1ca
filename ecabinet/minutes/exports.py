"""The minutes (biên bản phiên họp) and the conclusion notice (thông báo kết luận), PDF and DOCX."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ecabinet.common import official
from ecabinet.common.signing import sign_if_configured
from ecabinet.minutes.service import SessionRecord, VoteRecord

VN = ZoneInfo("Asia/Ho_Chi_Minh")
RULES = {
    "simple": "số phiếu tán thành nhiều hơn số phiếu không tán thành",
    "absolute": "quá nửa tổng số thành viên có quyền biểu quyết tán thành",
    "two_thirds": "ít nhất hai phần ba tổng số thành viên có quyền biểu quyết tán thành",
}
CHOICES = {"yes": "Tán thành", "no": "Không tán thành", "abstain": "Không biểu quyết"}


def _when(record: SessionRecord) -> str:
    start = record.meeting.starts_at.astimezone(VN)
    return f"{start:%H} giờ {start:%M}, ngày {start:%d/%m/%Y}"


def _vote_lines(vote: VoteRecord) -> list[str]:
    counts = "; ".join(f"{CHOICES.get(k, k)}: {v}" for k, v in vote.counts.items())
    outcome = {True: "Thông qua", False: "Không thông qua", None: "Không áp dụng"}[vote.passed]
    lines = [
        f"Biểu quyết{' kín' if vote.secret else ''}: {vote.question}",
        f"Kết quả ({vote.eligible} thành viên có quyền biểu quyết): {counts}. Nguyên tắc: {RULES[vote.majority]}. "
        f"Kết quả: {outcome}.",
    ]
    if vote.named:
        lines.append(
            "Biểu quyết của từng thành viên: "
            + "; ".join(f"{n} — {CHOICES.get(c, c)}" for n, c in vote.named)
            + "."
        )
    return lines


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
                    [[i.number, i.item.title, i.item.presenter or ""] for i in record.items],
                    [0.1, 0.6, 0.3],
                )
            ],
        ),
    ]
    parts = []
    for item in record.items:
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
        parts.append(official.Section(f"{item.number}. {item.item.title}", paragraphs=paragraphs))
    sections.append(official.Section("III. DIỄN BIẾN VÀ KẾT LUẬN THEO TỪNG NỘI DUNG", parts=parts))
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


def build_conclusions(record: SessionRecord) -> official.OfficialDocument:
    parts = [
        official.Section(f"{i.number}. {i.item.title}", paragraphs=[i.decision or "(chưa có kết luận)"])
        for i in record.items
    ]
    return official.OfficialDocument(
        issuer="Văn phòng Chính phủ",
        symbol="TB-VPCP",
        title="THÔNG BÁO KẾT LUẬN",
        subtitle=f"của Thủ tướng Chính phủ tại {record.meeting.title}",
        issued_at=record.minutes.approved_at or record.meeting.starts_at,
        sections=[official.Section("Kết luận về từng nội dung", parts=parts)],
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
