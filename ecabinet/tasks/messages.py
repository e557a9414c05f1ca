"""The tasks' refusals as the pages say them (`common.pages.domain_messages`)."""

from __future__ import annotations

from flask_babel import gettext as _

from ecabinet.common.pages import Messages


def messages(details: dict) -> Messages:
    return Messages(
        by_code={
            "deadline_passed": _("The deadline must be in the future."),
            "unknown_organization": _("Choose organisations from the list."),
            "owner_not_in_lead": _("The person in charge must belong to the lead organisation."),
            "no_decision": _(
                "Nothing has been decided on this item yet: write the decision in the minutes first."
            ),
            "ballot_not_closed": _("The ballot has no outcome until it closes."),
            "two_sources": _("A task comes from an agenda item or from a ballot, not both."),
            "wrong_task_step": _("The task has moved on meanwhile; reload the page."),
            "wrong_task_state": _("This cannot be done in the task's present state; reload the page."),
            "report_required": _("Write the report, or attach it as a PDF."),
            "extension_pending": _("An extension request already awaits its answer."),
            "no_extension_pending": _("No extension request awaits an answer."),
            "deadline_not_later": _("Ask for a deadline later than the present one."),
            "reason_required": _("Give the reason."),
        }
    )
