"""Auth's refusals as the pages say them (`common.pages.domain_messages`)."""

from __future__ import annotations

from flask_babel import gettext as _

from ecabinet.auth.service import MIN_PASSWORD
from ecabinet.common.pages import Messages


def messages(details: dict) -> Messages:
    return Messages(
        by_code={
            "username_taken": _("This username is already taken."),
            "last_admin": _("You cannot take the administrator role from yourself."),
            "self_deactivation": _("You cannot deactivate your own account."),
            "organization_exists": _("An organisation with this name already exists."),
            "unknown_role": _("Choose roles from the list."),
            "unknown_user": _("One of the chosen people does not exist."),
            "bad_credentials": _("Wrong username or password."),
            "bad_code": _("Wrong code: nothing was changed."),
            "bad_challenge": _("The login took too long or was already completed; log in again."),
            "mfa_required": _("Your role needs a second factor: add another one before removing this one."),
            "no_factor": _("Add a second factor first."),
            "bad_passkey": _("The passkey could not be checked; try again."),
            "no_ceremony": _("The passkey could not be checked; try again."),
        },
        by_field={
            "username": _("A username is 2–80 letters, digits, dots, dashes or underscores."),
            "full_name": _("A full name is required."),
            "roles": _("Choose at least one role."),
            "password": _("A password needs at least %(count)d characters.", count=MIN_PASSWORD),
            "organization": _("Choose an organisation from the list."),
            "name": _("An organisation needs a name."),
        },
    )
