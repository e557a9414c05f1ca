"""E-mail to users, when the office has a mail server (MAIL_SERVER): ballots, task reminders.

Mail is queued in the transaction and sent after the commit by a background thread: a rolled-back
change sends nothing, and nobody waits on the mail server.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy.orm import Session

from ecabinet.common import unit_of_work
from ecabinet.common.background import Worker
from ecabinet.extensions import db

_QUEUE = "mail"
_worker = Worker("mail")


def queue_mail(user, subject: str, text: str) -> None:
    """A message to `user`, sent after the commit; nothing without a mail server or an address."""
    if not current_app.config.get("MAIL_SERVER") or not user.email:
        return
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = user.email
    message.set_content(text)
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
