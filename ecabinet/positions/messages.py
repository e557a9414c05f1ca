"""The positions' refusals as the pages say them (`common.pages.domain_messages`)."""

from __future__ import annotations

from flask_babel import gettext as _

from ecabinet.common.pages import Messages


def messages(details: dict) -> Messages:
    return Messages(
        by_code={
            "comment_required": _("Say why you object: an objection needs a reason."),
            "consent_adopted": _("The consent block has already been adopted."),
        }
    )
