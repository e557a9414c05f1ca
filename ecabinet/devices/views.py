"""The devices page of every user, and the admin's actions on a user's devices (listed on the user's
page, templates/auth/user_edit.html)."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ecabinet.common.pages import PAGE_SESSION_KEY, form_action, user
from ecabinet.devices import service

bp = Blueprint("devices_pages", __name__)


@bp.get("/devices")
@login_required
def devices():
    devices = service.listed(user(), user(), session.get(PAGE_SESSION_KEY))
    return render_template("devices/devices.html", devices=devices)


@bp.post("/devices/<int:device_id>/revoke")
@form_action(lambda device_id: url_for("devices_pages.devices"))
def revoke(device_id: int):
    service.revoke_device(user(), user(), device_id)
    flash(_("The device is logged out."), "success")


@bp.post("/devices/<int:device_id>/wipe")
@form_action(lambda device_id: url_for("devices_pages.devices"))
def wipe(device_id: int):
    service.wipe_device(user(), user(), device_id)
    flash(_("The device will be wiped at its next contact."), "success")


def _back_to_user(user_id: int, device_id: int) -> str:
    return url_for("auth_pages.edit_user", user_id=user_id)


@bp.post("/admin/users/<int:user_id>/devices/<int:device_id>/revoke")
@form_action(_back_to_user)
def revoke_for_user(user_id: int, device_id: int):
    service.revoke_device(user(), service.user_devices(user(), user_id), device_id)
    flash(_("The device is logged out."), "success")


@bp.post("/admin/users/<int:user_id>/devices/<int:device_id>/wipe")
@form_action(_back_to_user)
def wipe_for_user(user_id: int, device_id: int):
    service.wipe_device(user(), service.user_devices(user(), user_id), device_id)
    flash(_("The device will be wiped at its next contact."), "success")
