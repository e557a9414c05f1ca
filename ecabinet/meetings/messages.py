"""The meetings' refusals as the pages say them (`common.pages.domain_messages`)."""

from __future__ import annotations

from flask_babel import gettext as _

from ecabinet.common.pages import Messages


def messages(details: dict) -> Messages:
    return Messages(
        by_code={
            "meeting_closed": _("The meeting is closed and can no longer be changed."),
            "wrong_meeting_state": _("This cannot be done in the meeting's present state."),
            "invalid_chair": _("The chair must be an active cabinet member."),
            "invalid_parent": _("An item cannot be placed under itself or under one of its sub-items."),
            "unknown_parent": _("The chosen parent item is not in this meeting."),
            "unknown_item": _("That agenda item is not in this meeting."),
            "invalid_order": _("The agenda changed meanwhile; reload the page and try again."),
        },
        by_field={
            "title": _("A title is required (at most 500 characters)."),
            "starts_at": _("Enter a valid start time."),
            "ends_at": _("Check the end time: the meeting must end after it starts."),
            "quorum_numerator": _("The quorum is a fraction between 0 and 1, for example 2/3."),
            "quorum_denominator": _("The quorum is a fraction between 0 and 1, for example 2/3."),
            "duration_minutes": _("Enter the duration as a whole number of minutes."),
            "presenter": _("The presenter's name is too long (at most 300 characters)."),
            "location": _("The location is too long (at most 300 characters)."),
            "chair_id": _("The chair must be an active cabinet member."),
        },
        # Refusals that name no field of the body but are about one of the meeting's or item's form.
        field_of_code={
            "invalid_chair": "chair_id",
            "unknown_user": "participants",
            "unknown_parent": "parent_id",
            "invalid_parent": "parent_id",
        },
    )
