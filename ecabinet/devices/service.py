"""The user's devices — each a login, a tablet's bearer token or a browser's page session — and what
the user or the admin may do to one: revoke it (it must log in again) or wipe it (at its next call it
is told `device_wiped` and the pages' script deletes everything the app keeps in the browser)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select

from ecabinet.audit import service as audit
from ecabinet.auth import service as auth
from ecabinet.auth.models import ApiToken, User
from ecabinet.common.time import iso, utcnow
from ecabinet.errors import Forbidden, NotFound
from ecabinet.extensions import db
from ecabinet.live import publisher


def require_owner_or_admin(actor: User, owner: User) -> None:
    if actor.id != owner.id and not actor.has_role("admin"):
        raise Forbidden("Only the user or an administrator may manage these devices")


def _listed():
    # Live logins, and wiped ones until they would have expired: the list shows that the wipe is
    # pending or done. Logins revoked or ended otherwise are gone, and so are page sessions left idle
    # past the idle timeout (ecabinet.auth.idle): their browser must log in again. When a device was
    # last seen is written at most once a minute, hence the minute's grace.
    now = utcnow()
    listed = [
        ApiToken.expires_at > now,
        or_(ApiToken.revoked_at.is_(None), ApiToken.wiped_at.is_not(None)),
    ]
    if idle_minutes := current_app.config["ECABINET_SESSION_IDLE_MINUTES"]:
        used_since = now - timedelta(minutes=idle_minutes + 1)
        listed.append(
            or_(ApiToken.via != "page", ApiToken.last_seen_at > used_since, ApiToken.wiped_at.is_not(None))
        )
    return listed


def list_devices(actor: User, owner: User) -> list[ApiToken]:
    require_owner_or_admin(actor, owner)
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == owner.id, *_listed()).order_by(ApiToken.id)
        )
    )


def listed(actor: User, owner: User, current_token: str | None) -> list[dict]:
    """`owner`'s devices as the API and the pages show them, the one `current_token` belongs to marked."""
    return [serialize_device(d, current_token) for d in list_devices(actor, owner)]


def get_device(actor: User, owner: User, device_id: int) -> ApiToken:
    """`owner`'s device; another user's device is not found, as if it did not exist."""
    require_owner_or_admin(actor, owner)
    device = db.session.scalar(
        select(ApiToken).where(ApiToken.id == device_id, ApiToken.user_id == owner.id, *_listed())
    )
    if device is None:
        raise NotFound(f"Device {device_id} does not exist")
    return device


def revoke_device(actor: User, owner: User, device_id: int) -> None:
    device = get_device(actor, owner, device_id)
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        audit.record(actor, "device.revoke", owner, {"device_id": device.id, "name": device.name})
        publisher.access_changed(owner.id)  # its sockets close


def wipe_device(actor: User, owner: User, device_id: int) -> ApiToken:
    device = get_device(actor, owner, device_id)
    if device.wiped_at is None:
        device.wiped_at = utcnow()
        device.revoked_at = device.revoked_at or device.wiped_at
        audit.record(actor, "device.wipe", owner, {"device_id": device.id, "name": device.name})
        publisher.access_changed(owner.id)  # its sockets close, and are refused when they come back
    return device


def user_devices(actor: User, user_id: int) -> User:
    """The user whose devices the admin manages (`require_admin` first: nobody else learns who exists)."""
    auth.require_admin(actor)
    return auth.get_user(user_id)


def serialize_device(device: ApiToken, current_token: str | None) -> dict:
    current = current_token is not None and device.token_hash == auth.BearerToken(current_token).digest
    return {
        "id": device.id,
        "name": device.name,
        "current": current,
        "created_at": iso(device.created_at),
        "last_seen_at": iso(device.last_seen_at or device.created_at),
        "address": device.address,
        "user_agent": device.user_agent,
        "wiped": device.wiped_at is not None,
    }
