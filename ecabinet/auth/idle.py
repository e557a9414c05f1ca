"""The idle timeout of page sessions: a browser left unused longer than ECABINET_SESSION_IDLE_MINUTES
is logged out at its next request (a tablet's bearer token keeps its absolute lifetime only).

When the session was last used is kept in the signed login cookie itself, not in the database: the
check costs no query and no write on any request, and a copy of an old cookie carries its old time.
"""

from __future__ import annotations

from flask import current_app
from flask.sessions import SessionMixin

from ecabinet.common.time import utcnow

SEEN_KEY = "seen"  # when the browser session last made a request, in seconds since the epoch
# The cookie is written again only when the time it holds is this much behind: not on every request.
_RESOLUTION_S = 60


def mark_seen(session: SessionMixin) -> None:
    session[SEEN_KEY] = int(utcnow().timestamp())


def still_used(session: SessionMixin) -> bool:
    """Whether the browser session may go on; if so it counts as used now. A session that never said
    when it was used (one from before this check) has timed out."""
    now = int(utcnow().timestamp())
    seen = session.get(SEEN_KEY)
    minutes = current_app.config["ECABINET_SESSION_IDLE_MINUTES"]
    if minutes and (not isinstance(seen, int) or now - seen > minutes * 60):
        return False
    if not isinstance(seen, int) or now - seen >= _RESOLUTION_S:
        mark_seen(session)
    return True
