"""The summary report of a ballot (báo cáo tổng hợp ý kiến), as PDF (signed when configured) and DOCX."""

from __future__ import annotations

from ecabinet.ballots.service import Results
from ecabinet.common import official
from ecabinet.common.signing import sign_if_configured
from ecabinet.common.time import cabinet_time, utcnow

CHOICE_LABELS = {
    "agree": "Đồng ý",
    "disagree": "Không đồng ý",
    "other": "Ý kiến khác",
    None: "Chưa có ý kiến",
}
TITLE = "BÁO CÁO TỔNG HỢP Ý KIẾN THÀNH VIÊN CHÍNH PHỦ"


def _when(value) -> str:
    return cabinet_time(value).strftime("%H:%M %d/%m/%Y") if value else ""


def build(results: Results) -> official.OfficialDocument:
    ballot = results.ballot
    state = {"draft": "dự thảo", "sent": "đang lấy ý kiến", "closed": "đã kết thúc"}[ballot.status]
    matter = [
        f"Số thành viên Chính phủ được xin ý kiến: {results.recipients}.",
        f"Hạn trả lời: {_when(ballot.deadline)}. Tình trạng phiếu: {state}.",
    ]
    if ballot.summary:
        matter.insert(0, ballot.summary)
    if ballot.silence_is_consent:
        matter.append(
            "Theo phiếu lấy ý kiến, thành viên không trả lời khi hết hạn được tính là đồng ý "
            "(ghi rõ “đồng ý do không trả lời”)."
        )
    if ballot.documents:
        matter.append(
            "Tài liệu kèm theo: "
            + "; ".join(f"{d.title} (bản {d.latest.number})" for d in ballot.documents)
            + "."
        )
    totals, details, missing = [], [], []
    for number, result in enumerate(results.questions, start=1):
        outcome = "Được thông qua" if result.passed else "Không được thông qua"
        silence = f" (trong đó {result.agree_by_silence} do không trả lời)" if result.agree_by_silence else ""
        totals.append(
            official.Section(
                f"{number}. {result.question.text}",
                paragraphs=[
                    f"Đồng ý: {result.agree}{silence}; Không đồng ý: {result.disagree}; Ý kiến khác: {result.other}; "
                    f"Chưa có ý kiến: {result.no_answer}.",
                    f"Kết quả: {outcome} (quá nửa tổng số thành viên được xin ý kiến đồng ý"
                    + ("; khi ngang nhau theo ý kiến của Thủ tướng" if ballot.chair_id else "")
                    + ").",
                ],
            )
        )
        rows = []
        for answer in result.answers:
            note = []
            if answer.by_silence:
                note.append("đồng ý do không trả lời")
            if answer.earlier_version:
                note.append("ý kiến trên phiên bản tài liệu trước")
            label = CHOICE_LABELS[None if answer.by_silence else answer.choice]
            rows.append(
                [
                    answer.user.full_name,
                    answer.user.title or "",
                    label,
                    answer.comment or "",
                    _when(answer.answered_at),
                    "; ".join(note),
                ]
            )
            if answer.choice is None and number == 1:
                missing.append(f"{answer.user.full_name} — {answer.user.title or ''}".strip(" —"))
        details.append(
            official.Section(
                f"{number}. {result.question.text}",
                tables=[
                    official.Table(
                        ["Thành viên", "Chức vụ", "Ý kiến", "Nội dung ý kiến", "Thời điểm", "Ghi chú"],
                        rows,
                        [0.18, 0.2, 0.12, 0.26, 0.12, 0.12],
                    )
                ],
            )
        )
    sections = [
        official.Section("I. VẤN ĐỀ XIN Ý KIẾN", paragraphs=matter),
        official.Section("II. KẾT QUẢ TỔNG HỢP", parts=totals),
        official.Section("III. Ý KIẾN CỤ THỂ CỦA TỪNG THÀNH VIÊN", parts=details),
        official.Section(
            "IV. THÀNH VIÊN CHƯA CÓ Ý KIẾN", paragraphs=missing or ["Tất cả thành viên đã có ý kiến."]
        ),
    ]
    return official.OfficialDocument(
        issuer="Văn phòng Chính phủ",
        symbol="BC-VPCP",
        title=TITLE,
        subtitle=f"Về: {ballot.title}",
        issued_at=utcnow(),
        sections=sections,
        signatures=[("Văn phòng Chính phủ", "")],
    )


def report_pdf(results: Results) -> bytes:
    return sign_if_configured(
        official.to_pdf(build(results)), reason="Báo cáo tổng hợp ý kiến thành viên Chính phủ"
    )


def report_docx(results: Results) -> bytes:
    return official.to_docx(build(results))
