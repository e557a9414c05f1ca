"""The second factor through the pages: the login's second step, enrolment led by the role's policy,
the security page (add, remove, new recovery codes) and the administrator's reset."""

from __future__ import annotations

import re

import pyotp

from ecabinet.common.time import utcnow
from tests.helpers import audit_entries
from tests.mfa_helpers import code, enrol_totp
from tests.pages import PageBrowser

SECRET = re.compile(r"data-totp-secret>([A-Z2-7]+)<")
FACTOR = re.compile(r'name="factor" value="(\d+)"')
RECOVERY = re.compile(r"<li>([A-Z0-9]{5}-[A-Z0-9]{5})</li>")


def _enrol_form(page: str) -> tuple[str, str]:
    return SECRET.search(page).group(1), FACTOR.search(page).group(1)


def test_an_account_with_a_factor_gives_its_code_after_the_password(app, make_user):
    member = make_user("member")
    secret, codes = enrol_totp(app, member)
    b = PageBrowser(app.test_client())

    response = b.post(
        "/login?next=/devices", {"username": member.username, "password": "correct horse battery"}
    )
    assert response.headers["Location"] == "/login/code"
    assert b.get("/meetings").status_code == 302  # not logged in yet
    page = b.text("/login/code")
    assert "Bước hai của đăng nhập" in page and "ứng dụng xác thực" in page

    wrong = b.post(
        "/login/code", {"code": "000000" if code(secret) != "000000" else "111111"}, page="/login/code"
    )
    assert wrong.status_code == 401 and "Mã không đúng" in wrong.get_data(as_text=True)
    right = b.post("/login/code", {"code": code(secret)}, page="/login/code")
    assert right.headers["Location"] == "/devices"  # where the login was going
    assert b.get("/devices").status_code == 200

    # Once done, the step cannot be taken again in this browser.
    assert b.get("/login/code").headers["Location"] == "/login"
    actions = [e["action"] for e in audit_entries(app)]
    assert actions.count("auth.mfa_failed") == 1 and "auth.mfa" in actions


def test_a_recovery_code_opens_the_second_step_once(app, make_user):
    member = make_user("member")
    _secret, codes = enrol_totp(app, member)
    for expected in (302, 401):
        b = PageBrowser(app.test_client())
        b.login(member)
        assert b.post("/login/code", {"code": codes[0]}, page="/login/code").status_code == expected


def test_a_required_role_is_led_to_enrol_at_login(app, make_user):
    app.config["ECABINET_MFA_REQUIRED_ROLES"] = "admin,secretariat"
    secretariat = make_user("secretariat")
    b = PageBrowser(app.test_client())

    assert b.login(secretariat).headers["Location"] == "/login/enrol"
    page = b.text("/login/enrol")
    assert "Vai trò của bạn cần xác thực hai lớp" in page
    secret, factor = _enrol_form(page)
    assert _enrol_form(b.text("/login/enrol")) == (secret, factor)  # a reload shows the same secret
    qr = b.get(f"/login/enrol/qr.svg?factor={factor}")
    assert (
        qr.mimetype == "image/svg+xml"
        and b"<svg" in qr.data
        and qr.headers["Cache-Control"] == "private, no-store"
    )

    assert b.post("/login/enrol", {"factor": factor, "code": "12345"}, page="/login/enrol").status_code == 401
    assert b.get("/meetings").status_code == 302
    done = b.post("/login/enrol", {"factor": factor, "code": pyotp.TOTP(secret).now()}, page="/login/enrol")
    assert done.status_code == 200 and done.headers["Cache-Control"] == "private, no-store"
    shown = RECOVERY.findall(done.get_data(as_text=True))
    assert len(shown) == 10 and "Mã khôi phục" in done.get_data(as_text=True)
    assert b.get("/meetings").status_code == 200  # logged in
    actions = [e["action"] for e in audit_entries(app)]
    assert {"auth.mfa_enrol", "auth.recovery_codes", "auth.mfa_failed", "auth.login"} <= set(actions)

    # The next login asks for a code.
    again = PageBrowser(app.test_client())
    assert again.login(secretariat).headers["Location"] == "/login/code"


def test_the_security_page_adds_and_removes_a_factor(app, make_user):
    member = make_user("member")
    b = PageBrowser(app.test_client())
    b.login(member)
    assert "Chưa có xác thực hai lớp" in b.text("/account/security")

    secret, factor = _enrol_form(b.text("/account/security/totp"))
    assert b.get(f"/account/security/totp/qr.svg?factor={factor}").status_code == 200
    added = b.post(
        "/account/security/totp",
        {"factor": factor, "code": code(secret, -1), "name": "Điện thoại công vụ"},
        page="/account/security/totp",
    )
    assert len(RECOVERY.findall(added.get_data(as_text=True))) == 10
    page = b.text("/account/security")
    assert "Điện thoại công vụ" in page and "Còn 10 mã khôi phục chưa dùng." in page
    factor_id = re.search(r'data-factor="(\d+)"', page).group(1)

    refused = b.post(
        f"/account/security/factors/{factor_id}/remove", {"code": "000000"}, page="/account/security"
    )
    assert refused.status_code == 302
    assert "Mã không đúng" in b.text("/account/security") and "Điện thoại công vụ" in b.text(
        "/account/security"
    )
    b.post(f"/account/security/factors/{factor_id}/remove", {"code": code(secret)}, page="/account/security")
    assert "Chưa có xác thực hai lớp" in b.text("/account/security")
    actions = [e["action"] for e in audit_entries(app)]
    assert actions.count("auth.mfa_remove") == 1 and actions.count("auth.mfa_failed") == 1


def test_the_last_factor_of_a_required_role_stays(app, make_user):
    app.config["ECABINET_MFA_REQUIRED_ROLES"] = "secretariat"
    secretariat = make_user("secretariat")
    secret, _ = enrol_totp(app, secretariat)
    b = PageBrowser(app.test_client())
    b.login(secretariat)
    b.post("/login/code", {"code": code(secret)}, page="/login/code")
    page = b.text("/account/security")
    factor_id = re.search(r'data-factor="(\d+)"', page).group(1)
    b.post(
        f"/account/security/factors/{factor_id}/remove", {"code": code(secret, 1)}, page="/account/security"
    )
    assert "Vai trò của bạn cần xác thực hai lớp" in b.text("/account/security")
    assert "auth.mfa_remove" not in [e["action"] for e in audit_entries(app)]


def test_new_recovery_codes_replace_the_old(app, make_user):
    member = make_user("member")
    secret, old = enrol_totp(app, member)
    b = PageBrowser(app.test_client())
    b.login(member)
    b.post("/login/code", {"code": code(secret)}, page="/login/code")
    new = RECOVERY.findall(
        b.post("/account/security/recovery-codes", page="/account/security").get_data(as_text=True)
    )
    assert len(new) == 10 and not set(new) & set(old)
    for typed, expected in ((old[0], 401), (new[0], 302)):
        fresh = PageBrowser(app.test_client())
        fresh.login(member)
        assert fresh.post("/login/code", {"code": typed}, page="/login/code").status_code == expected


def test_the_administrator_removes_a_lost_factor(app, make_user, cabinet):
    member = make_user("member", full_name="Bộ trưởng Mất Điện Thoại")
    enrol_totp(app, member)
    admin = PageBrowser(app.test_client())
    admin.login(cabinet.admin)
    assert "Xoá xác thực hai lớp" in admin.text(f"/admin/users/{member.id}")
    admin.post(f"/admin/users/{member.id}/mfa/reset", page=f"/admin/users/{member.id}")
    assert "Chưa có xác thực hai lớp." in admin.text(f"/admin/users/{member.id}")
    b = PageBrowser(app.test_client())
    assert b.login(member).headers["Location"] == "/"  # the password alone again
    removed = [e for e in audit_entries(app) if e["action"] == "auth.mfa_remove"]
    assert len(removed) == 1


def test_wrong_codes_on_the_pages_are_limited_like_passwords(app, make_user):
    app.config["ECABINET_LOGIN_ATTEMPTS_PER_MINUTE"] = 2
    member = make_user("member")
    secret, _ = enrol_totp(app, member)
    wrong = "000000" if code(secret) != "000000" else "111111"
    b = PageBrowser(app.test_client())
    b.login(member)
    for _ in range(2):
        assert b.post("/login/code", {"code": wrong}, page="/login/code").status_code == 401
    assert b.post("/login/code", {"code": code(secret)}, page="/login/code").status_code == 429


def test_wrong_codes_to_remove_a_factor_are_limited_too(app, make_user):
    """Removing answers with a redirect, wrong code or not: a borrowed session cannot try every code."""
    app.config["ECABINET_LOGIN_ATTEMPTS_PER_MINUTE"] = 2
    member = make_user("member")
    secret, _ = enrol_totp(app, member)
    b = PageBrowser(app.test_client())
    b.login(member)
    b.post("/login/code", {"code": code(secret)}, page="/login/code")
    factor_id = re.search(r'data-factor="(\d+)"', b.text("/account/security")).group(1)
    remove = f"/account/security/factors/{factor_id}/remove"
    for _ in range(2):
        assert b.post(remove, {"code": "000000"}, page="/account/security").status_code == 302
    assert b.post(remove, {"code": code(secret, 1)}, page="/account/security").status_code == 429
    assert "data-factor" in b.text("/account/security")


def test_a_passkey_that_does_not_answer_is_refused_and_audited(app, make_user):
    """The ceremony itself is walked in Chromium (test_auth_mfa_browser); here, what a forged answer meets."""
    from ecabinet.auth.models import SecondFactor
    from ecabinet.extensions import db

    member = make_user("member")
    enrol_totp(app, member)
    with app.app_context():
        db.session.add(
            SecondFactor(
                user_id=member.id,
                kind="webauthn",
                name="Khoá",
                credential_id="AAEC",
                public_key=b"\x00",
                confirmed_at=utcnow(),
            )
        )
        db.session.commit()
    b = PageBrowser(app.test_client())
    b.login(member)
    assert "data-passkey-login" in b.text("/login/code")
    options = b.get("/login/code/passkey").get_json()
    assert [c["id"] for c in options["allowCredentials"]] == ["AAEC"] and options["challenge"]

    forged = '{"id": "AAEC", "rawId": "AAEC", "type": "public-key", "response": {}}'
    refused = b.post("/login/code", {"credential": forged}, page="/login/code")
    assert refused.status_code == 401 and "Khoá truy cập không được chấp nhận" in refused.get_data(
        as_text=True
    )
    failed = [e["payload"] for e in audit_entries(app) if e["action"] == "auth.mfa_failed"]
    assert failed == [{"method": "webauthn"}]
    assert b.get("/meetings").status_code == 302
