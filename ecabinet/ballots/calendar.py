"""The deadlines of the written-opinion ballots a user is asked to answer, for their calendar feed."""

from __future__ import annotations

from collections.abc import Iterator

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ecabinet.auth.models import User
from ecabinet.ballots.models import BallotRecipient, OpinionBallot
from ecabinet.calendar.service import CalendarEvent
from ecabinet.extensions import db


def ballot_deadlines(user: User) -> Iterator[CalendarEvent]:
    ballots = db.session.scalars(
        select(OpinionBallot)
        .join(BallotRecipient)
        .where(BallotRecipient.user_id == user.id, OpinionBallot.status != "draft")
        .order_by(OpinionBallot.deadline, OpinionBallot.id)
    )
    for ballot in ballots:
        yield CalendarEvent(
            uid=f"ballot-{ballot.id}-deadline",
            summary=_("Deadline for the opinion ballot: %(title)s", title=ballot.title),
            starts_at=ballot.deadline,
            url=url_for("ballots_pages.ballot", ballot_id=ballot.id, _external=True),
        )
