"""E-mail to members about ballots, when the office has a mail server (`common.mail`)."""

from __future__ import annotations

from ecabinet.common.mail import queue_mail
from ecabinet.common.time import cabinet_time

SUBJECTS = {
    "ballot.sent": "Phiếu lấy ý kiến: {title}",
    "ballot.reminder": "Nhắc trả lời phiếu lấy ý kiến: {title}",
}


def queue_ballot_mail(user, ballot, kind: str) -> None:
    deadline = cabinet_time(ballot.deadline)
    opening = (
        "Văn phòng Chính phủ xin ý kiến Đồng chí về vấn đề sau."
        if kind == "ballot.sent"
        else "Văn phòng Chính phủ xin nhắc: Đồng chí chưa trả lời phiếu lấy ý kiến sau."
    )
    queue_mail(
        user,
        SUBJECTS[kind].format(title=ballot.title),
        f"Kính gửi Đồng chí {user.full_name},\n\n{opening}\n\n{ballot.title}\n\n"
        f"Hạn trả lời: {deadline:%H:%M} ngày {deadline:%d/%m/%Y}.\n\n"
        "Đồng chí vui lòng trả lời trên hệ thống e-Cabinet.\n",
    )
