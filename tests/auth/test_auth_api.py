"""Logging in, tokens and accounts, as a tablet and an administrator's screen use them."""

import hashlib

import pytest
from sqlalchemy import select

from ecabinet.auth.models import ApiToken, User
from ecabinet.extensions import db
from tests.conftest import PASSWORD, Api
from tests.helpers import assert_error, ok

LOGIN = "/api/v1/auth/login"


def login(client, username, password=PASSWORD, **kw):
    return client.post(LOGIN, json={"username": username, "password": password}, **kw)


# --- login -----------------------------------------------------------------------------------


def test_login_returns_a_token_and_the_user(client, make_user):
    person = make_user("member", full_name="Phạm Minh Chính")
    data = ok(login(client, person.username))
    assert set(data) == {"token", "user"}
    assert isinstance(data["token"], str) and len(data["token"]) >= 32
    assert data["user"]["id"] == person.id
    assert data["user"]["username"] == person.username
    assert data["user"]["full_name"] == "Phạm Minh Chính"
    assert data["user"]["roles"] == ["member"]
    assert "password" not in str(data["user"]) and "password_hash" not in data["user"]
    me = ok(Api(client, data["token"]).get("/me"))
    assert me["id"] == person.id


def test_each_login_gets_its_own_token(client, make_user):
    person = make_user()
    first = ok(login(client, person.username))["token"]
    second = ok(login(client, person.username))["token"]
    assert first != second
    assert ok(Api(client, first).get("/me"))["id"] == person.id
    assert ok(Api(client, second).get("/me"))["id"] == person.id


def test_wrong_password_is_401(client, make_user):
    person = make_user()
    assert_error(login(client, person.username, "wrong password"), 401)


def test_unknown_user_is_401_like_a_wrong_password(client, make_user):
    person = make_user()
    wrong = assert_error(login(client, person.username, "wrong password"), 401)
    unknown = assert_error(login(client, "nobody-here"), 401)
    assert wrong == unknown  # nothing tells a guesser which usernames exist


def test_inactive_user_cannot_log_in(client, make_user, cabinet):
    person = make_user()
    ok(cabinet.api(cabinet.admin).patch(f"/users/{person.id}", json={"active": False}))
    assert_error(login(client, person.username), 401)


@pytest.mark.parametrize(
    "kw",
    [
        {"data": "{not json", "content_type": "application/json"},
        {"data": "", "content_type": "application/json"},
        {"data": "username=a&password=b", "content_type": "application/x-www-form-urlencoded"},
        {"json": ["user", "pass"]},
        {"json": "user"},
        {"json": {}},
        {"json": {"username": "someone"}},
        {"json": {"password": PASSWORD}},
        {"json": {"username": 12345, "password": PASSWORD}},
        {"json": {"username": "someone", "password": 12345678}},
        {"json": {"username": None, "password": None}},
        {"json": {"username": ["a"], "password": {"b": 1}}},
        {"json": {"username": "", "password": ""}},
        {"json": {"username": "some\u0000one", "password": PASSWORD}},
        {"json": {"username": "someone", "password": PASSWORD + "\u0000"}},
        {"json": {"username": "x" * 81, "password": PASSWORD}},
    ],
    ids=[
        "malformed",
        "empty",
        "form",
        "array",
        "string",
        "no-fields",
        "no-password",
        "no-username",
        "number-username",
        "number-password",
        "nulls",
        "containers",
        "blank",
        "nul-username",
        "nul-password",
        "long-username",
    ],
)
def test_bad_login_bodies_are_400(client, make_user, kw):
    make_user(username="someone")
    assert_error(client.post(LOGIN, **kw), 400)


def test_sixth_failed_login_within_a_minute_is_429(client, make_user):
    target = make_user(username="bitancong")
    other = make_user(username="nguoikhac")
    for _ in range(5):
        assert_error(login(client, target.username, "guess"), 401)
    error = assert_error(login(client, target.username, "guess"), 429)
    assert error["code"] == "rate_limited"
    # Locked, even with the right password: the guesser must not learn it was right.
    assert_error(login(client, target.username), 429)
    # The lock is for that username from that address only.
    ok(login(client, other.username))
    ok(login(client, target.username, environ_base={"REMOTE_ADDR": "10.1.2.3"}))


def test_successful_logins_are_not_counted(client, make_user):
    person = make_user()
    for _ in range(8):
        ok(login(client, person.username))


def test_failed_logins_for_one_username_count_whatever_its_case(client, make_user):
    person = make_user(username="lanhdao")
    for name in ("lanhdao", "LanhDao", "LANHDAO", "lanhDAO", "Lanhdao"):
        assert_error(login(client, name, "guess"), 401)
    assert_error(login(client, "lanhdao", "guess"), 429)
    assert person  # the account exists; only its guesses are slowed down


# --- tokens ----------------------------------------------------------------------------------


def test_logout_revokes_the_token(cabinet):
    api = cabinet.api(cabinet.members[0])
    ok(api.get("/me"))
    response = api.post("/auth/logout")
    assert response.status_code == 204, response.get_data(as_text=True)
    assert_error(api.get("/me"), 401)
    assert_error(api.post("/auth/logout"), 401)


def test_logout_leaves_other_devices_logged_in(client, make_user):
    person = make_user()
    tablet = Api(client, ok(login(client, person.username))["token"])
    laptop = Api(client, ok(login(client, person.username))["token"])
    assert tablet.post("/auth/logout").status_code == 204
    assert_error(tablet.get("/me"), 401)
    assert ok(laptop.get("/me"))["id"] == person.id


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Bearer not-a-real-token",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer ' OR 1=1 --",
    ],
)
def test_missing_or_bad_token_is_401(client, make_user, header):
    make_user()
    headers = {"Authorization": header} if header is not None else {}
    for method, path in (("GET", "/me"), ("GET", "/meetings"), ("POST", "/meetings"), ("GET", "/users")):
        response = client.open(f"/api/v1{path}", method=method, headers=headers, json={})
        assert_error(response, 401)


def test_me_has_the_contract_fields(client, cabinet):
    sec = cabinet.api(cabinet.secretariat)
    me = ok(sec.get("/me"))
    assert {"id", "username", "full_name", "roles", "organization"} <= set(me)
    assert me["id"] == cabinet.secretariat.id
    assert me["username"] == "vpcp"
    assert me["full_name"] == "Văn phòng Chính phủ"
    assert me["roles"] == ["secretariat"]
    assert me["organization"] is None


def test_me_names_the_organization(client, cabinet):
    admin = cabinet.api(cabinet.admin)
    created = ok(
        admin.post(
            "/users",
            json={
                "username": "botruongtc",
                "full_name": "Hồ Đức Phớc",
                "password": "mật khẩu dài đủ",
                "roles": ["member"],
                "title": "Bộ trưởng Bộ Tài chính",
                "organization": "Bộ Tài chính",
            },
        ),
        201,
    )
    assert created["organization"] == "Bộ Tài chính"
    token = ok(login(client, "botruongtc", "mật khẩu dài đủ"))["token"]
    me = ok(Api(client, token).get("/me"))
    assert me["organization"] == "Bộ Tài chính"
    assert me["full_name"] == "Hồ Đức Phớc"
    assert me["roles"] == ["member"]


# --- users -----------------------------------------------------------------------------------


def new_user(**overrides):
    body = {
        "username": "thanhvien",
        "full_name": "Trần Hồng Hà",
        "password": "mật-khẩu-đủ-dài",
        "roles": ["member"],
    }
    body.update(overrides)
    return body


def test_admin_creates_a_user_who_can_log_in(client, cabinet):
    admin = cabinet.api(cabinet.admin)
    user = ok(admin.post("/users", json=new_user(roles=["member", "observer"], title="Phó Thủ tướng")), 201)
    assert isinstance(user["id"], int)
    assert user["username"] == "thanhvien"
    assert user["full_name"] == "Trần Hồng Hà"
    assert sorted(user["roles"]) == ["member", "observer"]
    assert user["title"] == "Phó Thủ tướng"
    assert "password" not in user and "password_hash" not in user
    assert ok(login(client, "thanhvien", "mật-khẩu-đủ-dài"))["user"]["id"] == user["id"]


def test_only_the_admin_creates_users(cabinet):
    for who in (cabinet.secretariat, cabinet.clerk, cabinet.chair, cabinet.members[0], cabinet.observer):
        assert_error(cabinet.api(who).post("/users", json=new_user()), 403)
    usernames = [u["username"] for u in ok(cabinet.api(cabinet.admin).get("/users"))]
    assert "thanhvien" not in usernames


def _without(field):
    body = new_user()
    del body[field]
    return body


BAD_USERS = {
    "unknown role": new_user(roles=["minister"]),
    "one unknown role": new_user(roles=["member", "superuser"]),
    "no roles": new_user(roles=[]),
    "roles as string": new_user(roles="member"),
    "short password": new_user(password="short"),
    "seven characters": new_user(password="1234567"),
    "number password": new_user(password=12345678),
    "one-letter username": new_user(username="a"),
    "accented username": new_user(username="có dấu"),
    "username with space": new_user(username="two words"),
    "empty full name": new_user(full_name=""),
    "blank full name": new_user(full_name="   "),
    "null full name": new_user(full_name=None),
    "bad email": new_user(email="not an email"),
    "unknown organisation id": new_user(organization=999),
    "organisation id beyond 32 bits": new_user(organization=2**40),
    "NUL in full name": new_user(full_name="Trần\u0000"),
    "NUL in a role": new_user(roles=["member\u0000"]),
    "no username": _without("username"),
    "no full name": _without("full_name"),
    "no password": _without("password"),
    "no roles key": _without("roles"),
}


def test_bad_user_bodies_are_400_and_create_nothing(cabinet, subtests):
    admin = cabinet.api(cabinet.admin)
    before = ok(admin.get("/users"))
    for case, body in BAD_USERS.items():
        with subtests.test(case):
            assert_error(admin.post("/users", json=body), 400)
    assert ok(admin.get("/users")) == before


def test_unknown_role_says_so(cabinet):
    error = assert_error(cabinet.api(cabinet.admin).post("/users", json=new_user(roles=["minister"])), 400)
    assert "minister" in error["message"]


def test_duplicate_username_is_409(cabinet, subtests):
    admin = cabinet.api(cabinet.admin)
    ok(admin.post("/users", json=new_user()), 201)
    before = ok(admin.get("/users"))
    for username in ("thanhvien", "ThanhVien", "THANHVIEN", cabinet.chair.username):
        with subtests.test(username):
            assert_error(admin.post("/users", json=new_user(username=username, full_name="Người khác")), 409)
    assert ok(admin.get("/users")) == before


VIETNAMESE_NAMES = [
    "Nguyễn Thị Thanh Nhàn",
    "Đỗ Đức Duy",
    "Bùi Thị Minh Hoài",
    "Phạm Thị Thanh Trà ỹỵỷẫẩậ",
    "Nguye\u0302\u0303n Va\u0306n A",  # decomposed (NFD) marks stay as they were sent
]


def test_vietnamese_names_round_trip_unchanged(client, cabinet, subtests):
    admin = cabinet.api(cabinet.admin)
    for n, full_name in enumerate(VIETNAMESE_NAMES):
        with subtests.test(full_name):
            username = f"thanhvien{n}"
            created = ok(admin.post("/users", json=new_user(username=username, full_name=full_name)), 201)
            assert created["full_name"] == full_name
            listed = next(u for u in ok(admin.get("/users")) if u["id"] == created["id"])
            assert listed["full_name"] == full_name
            token = ok(login(client, username, "mật-khẩu-đủ-dài"))["token"]
            response = Api(client, token).get("/me")
            assert response.get_json()["full_name"] == full_name
            assert response.mimetype == "application/json"
            assert full_name.encode() in response.get_data()  # UTF-8 on the wire, not \u escapes


def test_users_are_listed_for_admin_and_secretariat_only(cabinet):
    for who in (cabinet.admin, cabinet.secretariat):
        users = ok(cabinet.api(who).get("/users"))
        assert isinstance(users, list)
        ids = [u["id"] for u in users]
        assert ids == sorted(ids)
        assert cabinet.chair.id in ids and cabinet.outsider.id in ids
        assert all({"id", "username", "full_name", "roles"} <= set(u) for u in users)
        assert all("password_hash" not in u for u in users)
    for who in (cabinet.clerk, cabinet.chair, cabinet.members[0], cabinet.observer):
        assert_error(cabinet.api(who).get("/users"), 403)


def test_deactivating_a_user_ends_their_tokens_at_once(client, cabinet):
    member = cabinet.members[0]
    tablet = cabinet.api(member)
    phone = Api(client, ok(login(client, member.username))["token"])
    ok(tablet.get("/me"))
    user = ok(cabinet.api(cabinet.admin).patch(f"/users/{member.id}", json={"active": False}))
    assert user["active"] is False
    assert_error(tablet.get("/me"), 401)
    assert_error(phone.get("/meetings"), 401)
    assert_error(login(client, member.username), 401)
    # Reactivated, the old tokens stay dead; a new login works.
    ok(cabinet.api(cabinet.admin).patch(f"/users/{member.id}", json={"active": True}))
    assert_error(tablet.get("/me"), 401)
    ok(login(client, member.username))


def test_only_the_admin_deactivates(cabinet):
    member = cabinet.members[0]
    assert_error(cabinet.api(cabinet.secretariat).patch(f"/users/{member.id}", json={"active": False}), 403)
    assert_error(cabinet.api(member).patch(f"/users/{member.id}", json={"active": False}), 403)
    ok(cabinet.api(member).get("/me"))


def test_admin_cannot_deactivate_themself_and_a_refused_change_writes_nothing(client, cabinet):
    admin = cabinet.api(cabinet.admin)
    assert_error(
        admin.patch(f"/users/{cabinet.admin.id}", json={"password": "a brand new password", "active": False}),
        409,
    )
    # The password change in the same request did not happen, nor did it end the admin's sessions.
    assert ok(admin.get("/me"))["id"] == cabinet.admin.id
    ok(login(client, "admin"))
    assert_error(login(client, "admin", "a brand new password"), 401)


def test_changing_a_password_ends_old_tokens(client, cabinet):
    member = cabinet.members[1]
    tablet = cabinet.api(member)
    ok(cabinet.api(cabinet.admin).patch(f"/users/{member.id}", json={"password": "mật khẩu mới dài"}))
    assert_error(tablet.get("/me"), 401)
    assert_error(login(client, member.username), 401)
    ok(login(client, member.username, "mật khẩu mới dài"))


def test_patch_unknown_user_is_404(cabinet):
    assert_error(cabinet.api(cabinet.admin).patch("/users/999999", json={"active": False}), 404)


def test_passwords_are_stored_hashed_with_scrypt(app, cabinet):
    ok(cabinet.api(cabinet.admin).post("/users", json=new_user()), 201)
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        assert len(users) == 10  # the cabinet's nine and the one just made
        for user in users:
            assert user.password_hash.startswith("scrypt:"), user.password_hash[:20]
            assert PASSWORD not in user.password_hash
            assert "mật-khẩu-đủ-dài" not in user.password_hash


def test_tokens_are_stored_only_as_a_hash(app, client, make_user):
    person = make_user()
    token = ok(login(client, person.username))["token"]
    with app.app_context():
        rows = db.session.scalars(select(ApiToken).where(ApiToken.user_id == person.id)).all()
        assert len(rows) == 1
        assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
        for column in ApiToken.__table__.columns:
            assert getattr(rows[0], column.key) != token


def test_an_expired_token_is_401(app, cabinet):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    member = cabinet.api(cabinet.members[0])
    ok(member.get("/me"))
    with app.app_context():
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == cabinet.members[0].id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()
    assert_error(member.get("/me"), 401)
    ok(cabinet.api(cabinet.members[1]).get("/me"))


def test_one_address_guessing_across_many_accounts_is_slowed_down(app, client, make_user):
    app.config["ECABINET_LOGIN_ATTEMPTS_PER_ADDRESS"] = 4
    people = [make_user(username=f"thanhvien{n}") for n in range(6)]
    for person in people[:4]:
        assert_error(login(client, person.username, "mat-khau-doan"), 401)
    assert_error(login(client, people[4].username, "mat-khau-doan"), 429)
    # Another address is not held back by it.
    ok(login(client, people[5].username, environ_base={"REMOTE_ADDR": "10.1.2.3"}))


def test_behind_a_proxy_the_limits_count_each_client_address(app, make_user):
    from ecabinet import create_app
    from ecabinet.config import TestConfig

    config = TestConfig(app.config["SQLALCHEMY_DATABASE_URI"], app.config["ECABINET_STORAGE"])
    config.ECABINET_PROXIES = 1  # nginx in front: every request reaches the app from 127.0.0.1
    proxied_app = create_app(config)
    proxied = proxied_app.test_client()
    chair = make_user(username="thutuong2")

    def through_nginx(client_address, password="mat-khau-doan"):
        return login(proxied, chair.username, password, headers={"X-Forwarded-For": client_address})

    try:
        for _ in range(5):
            assert_error(through_nginx("203.0.113.9"), 401)
        assert_error(through_nginx("203.0.113.9"), 429)
        # The chair, at another address behind the same proxy, is not locked out by the guesser.
        ok(through_nginx("10.20.30.40", PASSWORD))
    finally:
        with proxied_app.app_context():  # its own connections, closed before the database goes
            db.session.remove()
            db.engine.dispose()
