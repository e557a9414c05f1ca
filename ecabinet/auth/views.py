"""Login, logout, language, and the administrator's pages for users and organisations."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from ecabinet.auth import idle, service
from ecabinet.auth.limits import login_limit
from ecabinet.auth.models import ROLES
from ecabinet.common.pages import PAGE_SESSION_KEY, form_action, safe_next, user
from ecabinet.devices import service as devices
from ecabinet.errors import Invalid, Unauthorized
from ecabinet.i18n import LANGUAGES

bp = Blueprint("auth_pages", __name__)


@bp.route("/login", methods=["GET", "POST"])
@login_limit
def login():
    if request.method == "GET":
        return render_template("auth/login.html")
    try:
        account = service.authenticate(request.form.get("username", ""), request.form.get("password", ""))
    except Unauthorized:
        flash(_("Wrong username or password."), "error")
        return render_template("auth/login.html", username=request.form.get("username", "")), 401
    session.clear()  # nothing of a session from before the login carries over into it
    session[PAGE_SESSION_KEY] = service.start_page_session(
        account, request.user_agent.string, request.remote_addr
    )
    idle.mark_seen(session)
    login_user(account)
    return redirect(safe_next() or url_for("meetings_pages.index"))


@bp.post("/logout")
@login_required
def logout():
    service.end_page_session(user(), session.pop(PAGE_SESSION_KEY, None))
    logout_user()
    return redirect(url_for("auth_pages.login"))


@bp.get("/lang/<code>")
def set_language(code: str):
    response = make_response(redirect(safe_next() or url_for("meetings_pages.index")))
    if code in LANGUAGES:
        response.set_cookie(
            "lang",
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


def _require_admin_page() -> None:
    service.require_admin(user())


@bp.get("/admin/users")
@login_required
def users():
    _require_admin_page()
    return render_template(
        "auth/users.html",
        users=service.list_users(user()),
        organizations=service.list_organizations(),
        roles=ROLES,
    )


@bp.post("/admin/users")
@form_action(lambda **_kw: url_for("auth_pages.users"))
def create_user():
    created = service.create_user(
        user(),
        username=request.form.get("username", "").strip(),
        full_name=request.form.get("full_name", ""),
        password=request.form.get("password", ""),
        roles=request.form.getlist("roles"),
        title=request.form.get("title") or None,
        email=request.form.get("email") or None,
        organization=int(request.form["organization"])
        if request.form.get("organization", "").isdigit()
        else None,
    )
    flash(_("User %(name)s created.", name=created.full_name), "success")


@bp.get("/admin/users/<int:user_id>")
@login_required
def edit_user(user_id: int):
    _require_admin_page()
    return render_template(
        "auth/user_edit.html",
        account=(account := service.get_user(user_id)),
        devices=devices.listed(user(), account, session.get(PAGE_SESSION_KEY)),
        organizations=service.list_organizations(),
        roles=ROLES,
    )


@bp.post("/admin/users/<int:user_id>")
@form_action(lambda user_id: url_for("auth_pages.edit_user", user_id=user_id))
def update_user(user_id: int):
    org = request.form.get("organization", "")
    service.update_user(
        user(),
        user_id,
        full_name=request.form.get("full_name") or None,
        title=request.form.get("title") or None,
        email=request.form.get("email") or None,
        organization=int(org) if org.isdigit() else None,
        roles=request.form.getlist("roles"),
        password=request.form.get("password") or None,
    )
    flash(_("Changes saved."), "success")


@bp.post("/admin/users/<int:user_id>/active")
@form_action(lambda user_id: url_for("auth_pages.users"))
def set_active(user_id: int):
    account = service.set_active(user(), service.get_user(user_id), request.form.get("active") == "1")
    flash(
        _("%(name)s can log in again.", name=account.full_name)
        if account.active
        else _("%(name)s is deactivated; their sessions have ended.", name=account.full_name),
        "success",
    )


@bp.get("/admin/organizations")
@login_required
def organizations():
    _require_admin_page()
    return render_template("auth/organizations.html", organizations=service.list_organizations())


@bp.post("/admin/organizations")
@form_action(lambda **_kw: url_for("auth_pages.organizations"))
def create_organization():
    _require_admin_page()
    name = request.form.get("name", "").strip()
    if not name:
        # The service takes any name; a blank row in every organisation list helps no one.
        raise Invalid("An organisation needs a name", fields=["name"])
    org = service.create_organization(user(), name, request.form.get("short_name") or None)
    flash(_("Organisation %(name)s created.", name=org.name), "success")
