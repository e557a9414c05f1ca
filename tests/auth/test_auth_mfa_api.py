"""The second factor through /api/v1: login in two steps, codes good once, challenges that expire, the
limit of failed codes, and the roles that must have a factor (ECABINET_MFA_REQUIRED_ROLES)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from ecabinet.auth.models import LoginChallenge
from ecabinet.common.time import utcnow
from ecabinet.extensions import db
from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error, audit_entries, ok
from tests.mfa_helpers import code, enrol_totp


def _password(client, person, **extra):
    return client.post(
        "/api/v1/auth/login", json={"username": person.username, "password": PASSWORD, **extra}
    )


def _second(client, challenge: str, typed: str):
    return client.post("/api/v1/auth/mfa", json={"challenge": challenge, "code": typed})


def test_an_account_with_a_factor_logs_in_in_two_steps(app, client, make_user):
    member = make_user("member")
    secret, _codes = enrol_totp(app, member)

    first = ok(_password(client, member, device_name="iPad phòng họp"))
    assert first["mfa_required"] is True and "token" not in first
    assert first["challenge"] and first["expires_at"].endswith("Z")

    answer = ok(_second(client, first["challenge"], code(secret)))
    assert answer["user"]["username"] == member.username
    api = Api(client, answer["token"])
    assert ok(api.get("/me"))["id"] == member.id
    # The device is named as the password step asked.
    assert [d["name"] for d in ok(api.get("/me/devices"))] == ["iPad phòng họp"]
    factors = ok(api.get("/me/mfa"))
    assert factors["recovery_codes_left"] == 10 and factors["required"] is False
    assert [(f["kind"], f["name"]) for f in factors["factors"]] == [("totp", "Điện thoại")]


def test_an_account_without_a_factor_still_logs_in_in_one_step(client, make_user):
    body = ok(_password(client, make_user("member")))
    assert set(body) == {"token", "user"}


def test_a_wrong_code_is_refused_and_audited_and_the_right_one_still_works(app, client, make_user):
    member = make_user("member")
    secret, _ = enrol_totp(app, member)
    challenge = ok(_password(client, member))["challenge"]
    wrong = "000000" if code(secret) != "000000" else "111111"

    assert_error(_second(client, challenge, wrong), 401, "bad_code")
    assert_error(_second(client, challenge, "not a code"), 401, "bad_code")
    failed = [e for e in audit_entries(app) if e["action"] == "auth.mfa_failed"]
    assert len(failed) == 2 and all(e["object_type"] == "users" for e in failed)
    assert wrong not in str(failed)  # what was typed is not kept

    ok(_second(client, challenge, code(secret)))


def test_a_challenge_is_used_once(app, client, make_user):
    member = make_user("member")
    secret, _ = enrol_totp(app, member)
    challenge = ok(_password(client, member))["challenge"]
    ok(_second(client, challenge, code(secret)))
    assert_error(_second(client, challenge, code(secret, 1)), 401, "bad_challenge")


def test_a_code_is_good_once(app, client, make_user):
    member = make_user("member")
    secret, _ = enrol_totp(app, member)
    ok(_second(client, ok(_password(client, member))["challenge"], code(secret)))
    # Someone who read the code over the member's shoulder, with the password, is too late.
    assert_error(_second(client, ok(_password(client, member))["challenge"], code(secret)), 401, "bad_code")


def test_a_challenge_expires(app, client, make_user):
    member = make_user("member")
    secret, _ = enrol_totp(app, member)
    challenge = ok(_password(client, member))["challenge"]
    with app.app_context():
        db.session.execute(update(LoginChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert_error(_second(client, challenge, code(secret)), 401, "bad_challenge")
    assert_error(_second(client, "made-up", code(secret)), 401, "bad_challenge")


def test_a_recovery_code_logs_in_once(app, client, make_user):
    member = make_user("member")
    _secret, codes = enrol_totp(app, member)
    assert len(codes) == 10 and len(set(codes)) == 10

    typed = codes[3].lower().replace("-", " ")  # as read off paper
    token = ok(_second(client, ok(_password(client, member))["challenge"], typed))["token"]
    assert ok(Api(client, token).get("/me/mfa"))["recovery_codes_left"] == 9
    assert_error(_second(client, ok(_password(client, member))["challenge"], codes[3]), 401, "bad_code")
    assert "auth.recovery_code_used" in [e["action"] for e in audit_entries(app)]


def test_failed_codes_are_limited_like_passwords(app, client, make_user):
    app.config["ECABINET_LOGIN_ATTEMPTS_PER_MINUTE"] = 3
    member, other = make_user("member"), make_user("member")
    secret, _ = enrol_totp(app, member)
    other_secret, _ = enrol_totp(app, other)
    wrong = "000000" if code(secret) != "000000" else "111111"

    for _ in range(3):
        assert_error(_second(client, ok(_password(client, member))["challenge"], wrong), 401, "bad_code")
    # A fresh challenge (the password is known) does not start the count again: the right code waits.
    assert_error(
        _second(client, ok(_password(client, member))["challenge"], code(secret)), 429, "rate_limited"
    )
    # Another account from the same address is not locked out.
    ok(_second(client, ok(_password(client, other))["challenge"], code(other_secret)))


def test_a_role_that_needs_a_factor_keeps_the_one_step_login_until_it_has_one(app, client, make_user):
    app.config["ECABINET_MFA_REQUIRED_ROLES"] = "admin,secretariat"
    admin, member = make_user("admin"), make_user("member")

    # Today's tablets keep working; the login is named in the audit log, and the pages make it enrol.
    assert "token" in ok(_password(client, admin))
    assert [e["action"] for e in audit_entries(app)].count("auth.login_without_required_factor") == 1
    assert "token" in ok(_password(client, member))  # optional for the others
    assert [e["action"] for e in audit_entries(app)].count("auth.login_without_required_factor") == 1
    assert ok(Api(client, ok(_password(client, member))["token"]).get("/me/mfa"))["required"] is False

    secret, _ = enrol_totp(app, admin)
    challenge = ok(_password(client, admin))["challenge"]
    assert ok(_second(client, challenge, code(secret)))["user"]["roles"] == ["admin"]


def test_a_deactivated_account_cannot_finish_its_login(app, client, make_user, cabinet):
    member = make_user("member")
    secret, _ = enrol_totp(app, member)
    challenge = ok(_password(client, member))["challenge"]
    ok(cabinet.api(cabinet.admin).patch(f"/users/{member.id}", json={"active": False}))
    assert_error(_second(client, challenge, code(secret)), 401, "bad_challenge")


def test_the_second_step_is_documented(client):
    paths = ok(client.get("/api/v1/openapi.json"))["paths"]
    step = paths["/auth/mfa"]["post"]
    assert step["security"] == [] and {"401", "429"} <= set(step["responses"])
    assert "challenge" in paths["/auth/login"]["post"]["responses"]["200"]["description"]


def test_the_command_line_removes_a_locked_out_admins_factors(app, client, make_user):
    app.config["ECABINET_MFA_REQUIRED_ROLES"] = "admin"
    admin = make_user("admin")
    enrol_totp(app, admin)
    runner = app.test_cli_runner()
    done = runner.invoke(args=["users", "reset-mfa", admin.username])
    assert done.exit_code == 0 and admin.username in done.output
    # No factor left: the password alone logs in again (the page then leads the admin to enrol).
    assert "token" in ok(_password(client, admin))
    assert [e["action"] for e in audit_entries(app)].count("auth.mfa_remove") == 1
    assert runner.invoke(args=["users", "reset-mfa", "nobody"]).exit_code == 1
