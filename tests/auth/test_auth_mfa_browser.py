"""The second factor in Chromium: a secretariat, whose role needs one, is led to set up an authenticator
app at its first login (the code computed here as the phone would), keeps its recovery codes, logs in
again with a code; then adds a passkey (a virtual authenticator through the DevTools protocol) and logs
in with it."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.browser import ARTIFACTS, assert_accessible
from tests.conftest import PASSWORD
from tests.helpers import audit_entries


def _password(page, url: str, person) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=username]", person.username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _log_out(page) -> None:
    _submit(page, "header form button[type=submit]")


@pytest.mark.browser
def test_enrol_at_login_then_log_in_with_a_code_and_with_a_passkey(app, make_user, server_url, browser):
    app.config["ECABINET_MFA_REQUIRED_ROLES"] = "admin,secretariat"
    secretariat = make_user("secretariat", full_name="Văn phòng Chính phủ")
    # A passkey's relying party is a domain name, never an address: the browser goes to localhost.
    url = server_url.replace("127.0.0.1", "localhost")
    shots = ARTIFACTS / "mfa"
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The first login leads to the enrolment.
    _password(page, url, secretariat)
    assert page.url.endswith("/login/enrol")
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0  # the QR code is served
    page.click("details summary")
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    page.screenshot(path=str(shots / "enrol.png"), full_page=True)
    assert_accessible(page, "the enrolment page")
    totp = pyotp.TOTP(secret)
    page.fill("input[name=code]", totp.now())
    page.fill("input[name=name]", "Điện thoại công vụ")
    _submit(page, "form.stack button[type=submit]")
    codes = page.locator("[data-recovery-codes] li").all_inner_texts()
    assert len(codes) == 10
    page.screenshot(path=str(shots / "recovery-codes.png"), full_page=True)
    _submit(page, "a.button.primary")
    assert page.locator(".topbar .who").inner_text() == "Văn phòng Chính phủ"

    # The next login asks for the code of the moment (the next step's: the one shown has been used).
    _log_out(page)
    _password(page, url, secretariat)
    assert page.url.endswith("/login/code")
    assert page.locator("form[data-passkey-login]").count() == 0  # no passkey yet
    page.screenshot(path=str(shots / "code.png"), full_page=True)
    assert_accessible(page, "the login's second step")
    page.fill("input[name=code]", totp.at(time.time() + 30))
    _submit(page, "form.stack button[type=submit]")
    assert page.locator(".topbar .who").inner_text() == "Văn phòng Chính phủ"

    # A passkey, kept by a virtual authenticator that stands in for the device's own.
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    page.goto(f"{url}/account/security")
    _submit(page, "[data-passkey-register]")
    assert "Đã thêm khoá truy cập." in page.locator(".flash").inner_text()
    assert page.locator("tr[data-factor]").count() == 2
    page.screenshot(path=str(shots / "security.png"), full_page=True)
    assert_accessible(page, "the security page")

    _log_out(page)
    _password(page, url, secretariat)
    _submit(page, "form[data-passkey-login] button")
    assert page.locator(".topbar .who").inner_text() == "Văn phòng Chính phủ"

    methods = [e["payload"].get("method") for e in audit_entries(app) if e["action"] == "auth.mfa"]
    assert methods == ["totp_enrolment", "totp", "webauthn"]
    kinds = [e["payload"]["kind"] for e in audit_entries(app) if e["action"] == "auth.mfa_enrol"]
    assert kinds == ["totp", "webauthn"]
    assert errors == []
    context.close()
