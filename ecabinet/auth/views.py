"""Login (with its second step), logout, language, the user's own security page (second factors),
and the administrator's pages for users and organisations."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
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

from ecabinet.auth import idle, mfa, service
from ecabinet.auth.limits import code_limit, login_limit
from ecabinet.auth.models import ROLES
from ecabinet.common.api import writes
from ecabinet.common.pages import PAGE_SESSION_KEY, form_action, form_id, safe_next, user
from ecabinet.devices import service as devices
from ecabinet.errors import Invalid, Unauthorized
from ecabinet.i18n import LANGUAGES

bp = Blueprint("auth_pages", __name__)


# Where the login goes once both steps are done, kept in the login cookie between them.
_NEXT_KEY = "login_next"


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
    if mfa.has_factor(account):
        return _second_step(account, "login", "auth_pages.login_code")
    if mfa.is_required(account):
        return _second_step(account, "enrol", "auth_pages.enrol_at_login")
    return _logged_in(account, safe_next())


def _second_step(account, purpose: str, page: str):
    target = safe_next()
    session.clear()  # nothing of a session from before the login carries over into it
    session[mfa.PAGE_CHALLENGE_KEY] = mfa.start_challenge(account, purpose).raw
    if target:
        session[_NEXT_KEY] = target
    return redirect(url_for(page))


def _logged_in(account, target: str | None, response=None):
    session.clear()
    session[PAGE_SESSION_KEY] = service.start_page_session(
        account, request.user_agent.string, request.remote_addr
    )
    idle.mark_seen(session)
    login_user(account)
    return response or redirect(target or url_for("meetings_pages.index"))


def _pending(purpose: str):
    """The login challenge this browser is in the middle of, or None (expired, used, never begun)."""
    try:
        return mfa.live_challenge(session.get(mfa.PAGE_CHALLENGE_KEY), purpose)
    except mfa.BadChallenge:
        return None


def _start_again():
    session.pop(mfa.PAGE_CHALLENGE_KEY, None)
    flash(_("The login took too long or was already completed; log in again."), "error")
    return redirect(url_for("auth_pages.login"))


@bp.get("/login/code")
def login_code():
    challenge = _pending("login")
    if challenge is None:
        return _start_again()
    return _code_page(challenge)


def _code_page(challenge, status: int = 200):
    account = service.get_user(challenge.user_id)
    passkey = any(f.kind == "webauthn" for f in mfa.factors(account))
    return render_template("auth/login_code.html", passkey=passkey), status


@bp.post("/login/code")
@code_limit
def login_code_check():
    target, raw = session.get(_NEXT_KEY), session.get(mfa.PAGE_CHALLENGE_KEY)
    credential = request.form.get("credential")
    try:
        with mfa.failures_recorded():
            if credential:
                account = mfa.pass_with_passkey(raw, credential, *_relying_party())
            else:
                account, _challenge = mfa.pass_challenge(raw, request.form.get("code", ""))
    except mfa.BadChallenge:
        return _start_again()
    except mfa.WrongCode:
        if credential:
            flash(_("The passkey was not accepted. Try again, or type a code."), "error")
        else:
            flash(
                _("Wrong code. Type the 6 digits the app shows now, or one of your recovery codes."), "error"
            )
        return _code_page(mfa.live_challenge(raw), 401)
    return _logged_in(account, target)


@bp.get("/login/code/passkey")
@writes
def passkey_login_options():
    challenge = _pending("login")
    if challenge is None:
        raise Unauthorized()
    return Response(mfa.passkey_login(challenge, _relying_party()[0]), mimetype="application/json")


def _relying_party() -> tuple[str, str]:
    """The WebAuthn relying party's id and the origin the browser is on."""
    rp_id = current_app.config["ECABINET_WEBAUTHN_RP_ID"] or request.host.rsplit(":", 1)[0]
    return rp_id, request.host_url.rstrip("/")


@bp.get("/login/enrol")
@writes
def enrol_at_login():
    challenge = _pending("enrol")
    if challenge is None:
        return _start_again()
    account = service.get_user(challenge.user_id)
    return _enrol_page(account, "auth_pages.enrol_at_login_check", "auth_pages.enrol_at_login_qr")


@bp.get("/login/enrol/qr.svg")
def enrol_at_login_qr():
    challenge = _pending("enrol")
    if challenge is None:
        raise Unauthorized()
    account = service.get_user(challenge.user_id)
    return _qr(account, request.args.get("factor", type=form_id))


@bp.post("/login/enrol")
@code_limit
def enrol_at_login_check():
    challenge = _pending("enrol")
    if challenge is None:
        return _start_again()
    account = service.get_user(challenge.user_id)
    try:
        with mfa.failures_recorded():
            codes = _confirm(account)
    except mfa.WrongCode:
        flash(_("Wrong code. Type the 6 digits the app shows now."), "error")
        return _enrol_page(account, "auth_pages.enrol_at_login_check", "auth_pages.enrol_at_login_qr", 401)
    mfa.use_challenge(challenge, "totp_enrolment")
    target = session.get(_NEXT_KEY) or url_for("meetings_pages.index")
    return _logged_in(account, None, _recovery_codes_page(codes, target))


def _confirm(account) -> list[str]:
    return mfa.confirm_totp(
        account,
        request.form.get("factor", type=form_id) or 0,
        request.form.get("code", ""),
        request.form.get("name") or _("Authenticator app"),
    )


def _enrol_page(account, action: str, qr: str, status: int = 200):
    """The QR code and secret of the account's enrolment under way, and the form to confirm it."""
    factor = mfa.pending_totp(account)
    page = render_template(
        "auth/enrol_totp.html",
        factor=factor,
        secret=factor.totp_secret,
        uri=mfa.provisioning_uri(account, factor),
        qr_url=url_for(qr, factor=factor.id),
        action=url_for(action),
        required=mfa.is_required(account),
    )
    return page, status


def _qr(account, factor_id: int | None) -> Response:
    factor = mfa.pending_factor(account, factor_id or 0)
    response = Response(mfa.qr_svg(account, factor), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, no-store"  # it holds the secret
    return response


def _recovery_codes_page(codes: list[str], target: str):
    response = make_response(render_template("auth/recovery_codes.html", codes=codes, target=target))
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- the user's own second factors ---------------------------------------------------------------


@bp.get("/account/security")
@login_required
def security():
    account = user()
    return render_template(
        "auth/security.html",
        factors=mfa.factors(account),
        codes_left=mfa.recovery_codes_left(account),
        required=mfa.is_required(account),
    )


@bp.get("/account/security/totp")
@login_required
@writes
def totp():
    return _enrol_page(user(), "auth_pages.totp_check", "auth_pages.totp_qr")


@bp.get("/account/security/totp/qr.svg")
@login_required
def totp_qr():
    return _qr(user(), request.args.get("factor", type=form_id))


@bp.post("/account/security/totp")
@code_limit
@form_action(lambda **_kw: url_for("auth_pages.totp"))
def totp_check():
    with mfa.failures_recorded():
        codes = _confirm(user())
    flash(_("The authenticator app is added."), "success")
    if codes:
        return _recovery_codes_page(codes, url_for("auth_pages.security"))
    return redirect(url_for("auth_pages.security"))


@bp.post("/account/security/factors/<int:factor_id>/remove")
@code_limit
@form_action(lambda **_kw: url_for("auth_pages.security"))
def remove_factor(factor_id: int):
    with mfa.failures_recorded():
        mfa.remove_factor(user(), factor_id, request.form.get("code", ""))
    flash(_("The second factor is removed."), "success")


# The passkey ceremony's challenge, kept in the signed login cookie until the browser answers it.
_PASSKEY_CHALLENGE_KEY = "passkey_challenge"


@bp.get("/account/security/passkey")
@login_required
def passkey_options():
    options, session[_PASSKEY_CHALLENGE_KEY] = mfa.passkey_registration(user(), _relying_party()[0])
    return Response(options, mimetype="application/json")


@bp.post("/account/security/passkey")
@form_action(lambda **_kw: url_for("auth_pages.security"))
def add_passkey():
    codes = mfa.register_passkey(
        user(),
        request.form.get("credential", ""),
        session.pop(_PASSKEY_CHALLENGE_KEY, None),
        *_relying_party(),
        name=request.form.get("name") or _("Passkey"),
    )
    flash(_("The passkey is added."), "success")
    if codes:
        return _recovery_codes_page(codes, url_for("auth_pages.security"))
    return None


@bp.post("/account/security/recovery-codes")
@form_action(lambda **_kw: url_for("auth_pages.security"))
def renew_recovery_codes():
    return _recovery_codes_page(mfa.new_recovery_codes(user()), url_for("auth_pages.security"))


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
        organization=request.form.get("organization", type=form_id),
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
        factors=mfa.factors(account),
        mfa_required=mfa.is_required(account),
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
        organization=form_id(org),
        roles=request.form.getlist("roles"),
        password=request.form.get("password") or None,
    )
    flash(_("Changes saved."), "success")


@bp.post("/admin/users/<int:user_id>/mfa/reset")
@form_action(lambda user_id: url_for("auth_pages.edit_user", user_id=user_id))
def reset_mfa(user_id: int):
    account = service.get_user(user_id)
    mfa.reset(user(), account)
    flash(_("The second factors of %(name)s are removed.", name=account.full_name), "success")


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
