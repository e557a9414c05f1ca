"""The votes' refusals as the pages say them (`common.pages.domain_messages`)."""

from __future__ import annotations

from flask_babel import gettext as _

from ecabinet.common.pages import Messages


def messages(details: dict) -> Messages:
    by_code = {
        "already_voted": _("You have already voted."),
        "vote_not_open": _("The vote is not open."),
        "not_checked_in": _("Check in to the meeting first."),
    }
    if "question" in details:  # the page names the vote that keeps the session open
        by_code["vote_open"] = _(
            "The vote “%(question)s” is still open: close it before closing the session.",
            question=details["question"],
        )
    return Messages(by_code=by_code)
