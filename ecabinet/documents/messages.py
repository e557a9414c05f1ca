"""The documents' refusals as the pages say them (`common.pages.domain_messages`)."""

from __future__ import annotations

from flask_babel import gettext as _

from ecabinet.common.pages import Messages


def messages(details: dict) -> Messages:
    return Messages(
        by_code={
            "not_pdf": _("The file is not a PDF. Upload the document as a PDF file."),
            "encrypted_pdf": _("The PDF is protected by a password; upload an unprotected copy."),
            "broken_pdf": _("The PDF is damaged and cannot be read; save it again as PDF and upload it."),
            "empty_pdf": _("The PDF has no pages."),
            "empty_file": _("The file is empty."),
            "missing_file": _("Choose a PDF file to upload."),
            "unknown_document": _("That document is not in this meeting."),
        }
    )
