"""E-mail to members about ballots, when the office has a mail server (MAIL_SERVER).

Mail is queued in the transaction and sent after the commit by a background thread: a rolled-back
ballot sends nothing, and nobody waits on the mail server.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy.orm import Session

from ecabinet.common import unit_of_work
from ecabinet.common.background import Worker
from ecabinet.common.time import cabinet_time
from ecabinet.extensions import db

_QUEUE = "ballot_mail"
_worker = Worker("mail")

SUBJECTS = {
    "ballot.sent": "Phiếu lấy ý kiến: {title}",
    "ballot.reminder": "Nhắc trả lời phiếu lấy ý kiến: {title}",
}


def queue_ballot_mail(user, ballot, kind: str) -> None:
    if not current_app.config.get("MAIL_SERVER") or not user.email:
        return
    deadline = cabinet_time(ballot.deadline)
    message = EmailMessage()
    message["Subject"] = SUBJECTS[kind].format(title=ballot.title)
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = user.email
    opening = (
        "Văn phòng Chính phủ xin ý kiến Đồng chí về vấn đề sau."
        if kind == "ballot.sent"
        else "Văn phòng Chính phủ xin nhắc: Đồng chí chưa trả lời phiếu lấy ý kiến sau."
    )
    message.set_content(
        f"Kính gửi Đồng chí {user.full_name},\n\n{opening}\n\n{ballot.title}\n\n"
        f"Hạn trả lời: {deadline:%H:%M} ngày {deadline:%d/%m/%Y}.\n\n"
        "Đồng chí vui lòng trả lời trên hệ thống e-Cabinet.\n"
    )
    unit_of_work.queue(db.session(), _QUEUE, message)


def send_queued(session: Session) -> None:
    messages = unit_of_work.take(session, _QUEUE)
    if messages:
        _worker.submit(current_app._get_current_object(), _deliver, messages)


def _deliver(messages: list[EmailMessage]) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        for message in messages:
            smtp.send_message(message)


def wait_idle(timeout: float = 30) -> None:
    _worker.wait_idle(timeout)
