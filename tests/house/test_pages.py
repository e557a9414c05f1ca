"""The HTML pages, used as a person would: log in through the form, read the page, post its forms."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ecabinet.auth.models import User
from ecabinet.extensions import db
from tests.conftest import PASSWORD

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services

# `pages` (tests/conftest.py) opens a browser on the pages without scripts: tests/pages.py.


def test_login_through_the_form(pages, cabinet):
    b = pages()
    response = b.login(cabinet.chair, password="not the password")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in page
    assert 'value="thutuong"' in page  # the username stays in the form

    response = b.login(cabinet.chair)
    assert response.status_code == 302
    assert b.get(response.headers["Location"], follow_redirects=True).request.path == "/meetings"
    assert "Nguyễn Văn Thủ Tướng" in b.text("/meetings")


def test_pages_need_a_login(pages):
    response = pages().get("/meetings")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_form_without_its_csrf_token_is_refused(pages, cabinet):
    assert pages().client.post("/login", data={"username": "vpcp", "password": PASSWORD}).status_code == 400
    b = pages(cabinet.secretariat)
    response = b.client.post(
        "/meetings/new",
        data={"title": "Phiên họp không có mã", "starts_at": "2026-12-01T08:00", "participants": []},
    )
    assert response.status_code == 400
    assert "Phiên họp không có mã" not in b.text("/meetings")


def test_member_sees_the_published_agenda_in_vietnamese(pages, cabinet):
    member, cleared = cabinet.members[0], cabinet.members[1]
    published = cabinet.meeting("published")
    cabinet.item(published["id"], "Báo cáo kinh tế - xã hội", presenter="Bộ trưởng Bộ Tài chính")
    cabinet.item(published["id"], "Phương án nhân sự", confidential=True, restricted_to=[cleared.id])
    draft = cabinet.meeting("draft", title="Phiên họp chuyên đề chưa phát hành")

    b = pages(member)
    listing = b.text("/meetings")
    assert published["title"] in listing and "Đã phát hành" in listing
    assert draft["title"] not in listing

    page = b.text(f"/meetings/{published['id']}")
    assert "Chương trình họp" in page
    assert "Báo cáo kinh tế - xã hội" in page and "Bộ trưởng Bộ Tài chính" in page
    assert "Phương án nhân sự" not in page
    assert "08:30, Thứ Hai, ngày 30/11/2026" in page  # Vietnam time, as the meeting was planned
    assert "Điểm danh" in page  # the check-in button
    assert b.get(f"/meetings/{draft['id']}").status_code == 404

    page = pages(cleared).text(f"/meetings/{published['id']}")
    assert "Phương án nhân sự" in page and ">Mật</span>" in page


def test_member_checks_in_and_the_quorum_moves(pages, cabinet):
    meeting = cabinet.meeting("published")
    b = pages(cabinet.chair)
    page = f"/meetings/{meeting['id']}"
    assert "0/4 thành viên có mặt" in b.text(page)
    response = b.post(f"{page}/checkin", page=page, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Đã điểm danh." in text and "1/4 thành viên có mặt" in text
    assert "Chưa đủ số lượng thành viên theo quy định (cần 3)" in text
    assert 'class="primary huge checkin"' not in text


def test_secretariat_adds_an_item_through_the_form(pages, cabinet):
    meeting = cabinet.meeting("draft")
    page = f"/meetings/{meeting['id']}"
    b = pages(cabinet.secretariat)
    response = b.post(
        f"{page}/agenda",
        {"title": "Dự án Luật Dữ liệu", "presenter": "Bộ trưởng Bộ Công an", "duration_minutes": "30"},
        page=page,
    )
    assert response.status_code == 302
    text = b.text(page)
    assert "Đã thêm nội dung vào chương trình họp." in text
    assert "Dự án Luật Dữ liệu" in text and "30 phút" in text

    parent_id = re.search(r'id="item-(\d+)"', text).group(1)
    b.post(f"{page}/agenda", {"title": "Tiểu mục về dữ liệu cá nhân", "parent_id": parent_id}, page=page)
    text = b.text(page)
    assert re.search(
        r'<span class="num">1\.1</span>\s*<div class="item-body">\s*<h3 class="item-title">\s*Tiểu mục', text
    )


def test_a_refused_form_says_why_in_vietnamese(pages, cabinet):
    meeting = cabinet.meeting("draft")
    page = f"/meetings/{meeting['id']}"
    b = pages(cabinet.secretariat)
    refused = b.post(f"{page}/agenda", {"title": "  ", "presenter": "Bộ trưởng Bộ Tư pháp"}, page=page)
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert (
        '<span class="field-error" id="error-title">Vui lòng nhập tiêu đề (tối đa 500 ký tự).</span>' in text
    )
    assert 'value="Bộ trưởng Bộ Tư pháp"' in text  # the rest as it was typed


def test_admin_creates_and_deactivates_a_user(app, pages, cabinet):
    admin = pages(cabinet.admin)
    response = admin.post(
        "/admin/users",
        {
            "username": "bt.moi",
            "full_name": "Trần Văn Mới",
            "title": "Bộ trưởng Bộ Mới",
            "password": "mat-khau-du-dai",
            "roles": ["member"],
        },
        page="/admin/users",
    )
    assert response.status_code == 302
    listing = admin.text("/admin/users")
    assert "Đã tạo tài khoản Trần Văn Mới." in listing and "Bộ trưởng Bộ Mới" in listing

    again = admin.post(
        "/admin/users",
        {"username": "bt.moi", "full_name": "Trùng tên", "password": "mat-khau-du-dai", "roles": ["member"]},
        page="/admin/users",
    )
    assert again.status_code == 302
    assert "Tên đăng nhập này đã được sử dụng." in admin.text("/admin/users")

    with app.app_context():
        new_id = db.session.scalar(select(User.id).where(User.username == "bt.moi"))
    new_user = pages()
    assert new_user.post("/login", {"username": "bt.moi", "password": "mat-khau-du-dai"}).status_code == 302
    assert new_user.get("/meetings").status_code == 200

    admin.post(f"/admin/users/{new_id}/active", {"active": "0"}, page="/admin/users")
    assert "Đã khóa tài khoản Trần Văn Mới" in admin.text("/admin/users")
    response = new_user.get("/meetings")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_pages_are_for_admins(pages, cabinet):
    b = pages(cabinet.secretariat)
    assert b.get("/admin/users").status_code == 403
    assert b.get("/admin/organizations").status_code == 403


def test_english_on_request(pages, cabinet):
    b = pages()
    response = b.get("/lang/en?next=/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = b.text("/login")
    assert "Log in" in page and "Đăng nhập" not in page
    b.login(cabinet.chair)
    meeting = cabinet.meeting("published")
    text = b.text(f"/meetings/{meeting['id']}")
    assert "Agenda" in text and "Check in" in text and "Monday 30 November 2026, 08:30" in text
    b.get("/lang/vi")
    assert "Chương trình họp" in b.text(f"/meetings/{meeting['id']}")


def test_secretariat_creates_a_meeting_in_vietnam_time(pages, cabinet):
    b = pages(cabinet.secretariat)
    response = b.post(
        "/meetings/new",
        {
            "title": "Phiên họp Chính phủ thường kỳ tháng 12/2026",
            "kind": "regular",
            "chair_id": str(cabinet.chair.id),
            "starts_at": "2026-12-01T08:00",
            "ends_at": "2026-12-01T11:30:00",
            "location": "Phòng họp Chính phủ",
            "quorum_numerator": "2",
            "quorum_denominator": "3",
            "participants": [str(m.id) for m in cabinet.members],
            "confirm_past": "on",  # a fixed date, which may be in the past when the test runs
        },
        page="/meetings/new",
    )
    assert response.status_code == 302
    page = response.headers["Location"]
    text = b.text(page)
    assert "Đã tạo phiên họp ở trạng thái dự thảo." in text
    assert "08:00, Thứ Ba, ngày 01/12/2026 – 11:30" in text
    assert "Phát hành tới thành phần dự họp" in text  # the next step, for a draft
    edit = b.text(f"{page}/edit")
    assert 'value="2026-12-01T08:00"' in edit and 'value="2026-12-01T11:30"' in edit


def test_the_console_is_for_those_who_run_the_meeting(pages, cabinet):
    meeting = cabinet.meeting("in_progress")
    console = f"/meetings/{meeting['id']}/console"
    assert pages(cabinet.members[0]).get(console).status_code == 403
    assert pages(cabinet.observer).get(console).status_code == 403
    assert pages(cabinet.outsider).get(console).status_code == 404  # the meeting does not exist for them
    for person in (cabinet.chair, cabinet.secretariat):
        page = pages(person).text(console)
        assert "Bảng điều hành phiên họp" in page and meeting["title"] in page
        assert 'id="console-config"' in page and "socket.io.min.js" in page
    # The chair votes too: the console carries the vote panel for a voting chair only.
    assert 'id="vote-panel"' in pages(cabinet.chair).text(console)
    assert 'id="vote-panel"' not in pages(cabinet.secretariat).text(console)
    # The meeting page shows the way there to those who may use it, and not to members.
    assert console in pages(cabinet.chair).text(f"/meetings/{meeting['id']}")
    assert console not in pages(cabinet.members[0]).text(f"/meetings/{meeting['id']}")


def test_the_wall_is_for_everyone_who_may_see_the_meeting(pages, cabinet):
    meeting = cabinet.meeting("in_progress")
    cabinet.item(meeting["id"], "Báo cáo kinh tế - xã hội")
    wall = f"/meetings/{meeting['id']}/wall"
    for person in (cabinet.members[0], cabinet.observer, cabinet.chair, cabinet.secretariat, cabinet.clerk):
        page = pages(person).text(wall)
        assert "Đang thảo luận" in page and meeting["title"] in page
        assert "Báo cáo kinh tế - xã hội" in page  # in the meeting data the wall draws from
    assert pages(cabinet.outsider).get(wall).status_code == 404
    draft = cabinet.meeting("draft")
    assert pages(cabinet.members[0]).get(f"/meetings/{draft['id']}/wall").status_code == 404
    assert pages().get(wall).status_code == 302  # log in first


def test_the_meeting_page_goes_live_only_while_the_meeting_is(pages, cabinet):
    b = pages(cabinet.members[0])
    live = b.text(f"/meetings/{cabinet.meeting('in_progress')['id']}")
    assert 'id="meeting-live-config"' in live and 'id="vote-panel"' in live
    assert "Mất kết nối — đang kết nối lại…" in live  # the banner's words, for the script
    assert "Theo dõi người trình bày" in live
    closed = b.text(f"/meetings/{cabinet.meeting('closed')['id']}")
    assert "socket.io.min.js" not in closed and 'id="meeting-live-config"' not in closed


def test_pages_with_ids_too_large_for_the_database_are_404(pages, cabinet, subtests):
    secretariat = pages(cabinet.secretariat)
    for path in ("/meetings/{}", "/meetings/{}/console", "/ballots/{}", "/admin/users/{}"):
        for huge in (2**31, 2**63, 10**30):
            with subtests.test(path=path, id=huge):
                response = secretariat.get(path.format(huge))
                assert response.status_code == 404
                assert "text/html" in response.content_type


def test_a_member_casts_from_the_page_with_the_login_cookie(pages, cabinet):
    """The tablet page's own script casts with the login cookie and the page's CSRF token; the batch
    writer takes the caller the request loaded, as it takes a bearer token."""
    meeting = cabinet.meeting("in_progress")
    sec = cabinet.api(cabinet.secretariat)
    vote = sec.post(f"/meetings/{meeting['id']}/votes", json={"question": "Thông qua?"}).get_json()
    assert sec.post(f"/votes/{vote['id']}/open").status_code == 200
    tablet = pages(cabinet.members[0])
    path = f"/api/v1/votes/{vote['id']}/cast"
    assert tablet.client.post(path, json={"choice": "yes"}).status_code == 400  # no CSRF token: refused
    token = tablet.token(f"/meetings/{meeting['id']}")
    cast = tablet.client.post(path, json={"choice": "yes"}, headers={"X-CSRFToken": token})
    assert cast.status_code == 201, cast.get_json()
    final = sec.get(f"/votes/{vote['id']}").get_json()
    assert final["cast"] == 1 and final["voters"] == {str(cabinet.members[0].id): "yes"}


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/%09/x",
    ],
)
def test_next_never_leads_to_another_site(pages, cabinet, target):
    from urllib.parse import quote

    b = pages()
    response = b.post(
        f"/login?next={quote(target)}", {"username": cabinet.chair.username, "password": PASSWORD}
    )
    # Nor does the language switch, which needs no login.
    switched = pages().get(f"/lang/en?next={quote(target)}")
    for answer in (response, switched):
        assert answer.status_code == 302
        where = answer.headers["Location"]
        assert where.startswith("/") and not where.startswith("//") and "evil.example" not in where, where
        assert not any(c in where for c in "\t\n\\")


def test_logging_out_ends_that_browser_session_even_for_a_copy_of_its_cookie(app, pages, cabinet):
    person = cabinet.members[0]
    desk, tablet = pages(person), pages(person)
    stolen = desk.client.get_cookie("session").value
    assert desk.post("/logout", page="/meetings").status_code == 302

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/meetings").status_code == 302  # to the login page
    assert replay.get("/api/v1/me").status_code == 401
    # The member's other browser is still logged in: only the session that logged out ended.
    assert person.full_name in tablet.text("/meetings")
    assert tablet.get("/api/v1/me").get_json()["username"] == person.username


def test_pages_and_downloads_carry_the_security_headers(pages, cabinet):
    b = pages(cabinet.secretariat)
    for path in ("/login", "/meetings", "/api/v1/me", "/static/favicon.svg"):
        headers = b.get(path, buffered=True).headers
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["X-Frame-Options"] == "SAMEORIGIN", path
        assert headers["Referrer-Policy"] == "same-origin", path


def test_pages_may_run_only_the_servers_own_scripts(pages, cabinet):
    b = pages(cabinet.secretariat)
    for path in ("/login", "/meetings", "/admin/users"):
        policy = b.get(path, buffered=True).headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", path  # no inline script, no eval
        assert directives["style-src"] == "'self'", path  # no style attribute
        assert directives["object-src"] == "'none'", path
        assert directives["frame-ancestors"] == "'self'", path
        # Socket.IO's WebSocket reaches this server only, by the address the page was asked for.
        assert directives["connect-src"] == "'self' ws://localhost wss://localhost", path
    error = b.get("/documents/999999")
    assert error.status_code == 404 and "script-src 'self'" in error.headers["Content-Security-Policy"]
    # A forged Host header adds nothing to the policy.
    forged = b.get("/login", headers={"Host": "x; script-src *"}).headers["Content-Security-Policy"]
    assert "*" not in forged and forged.count("script-src") == 1


def test_browsers_are_told_to_keep_to_https_only_where_the_site_is_served_over_it(app, monkeypatch):
    from ecabinet import create_app
    from ecabinet.config import TestConfig

    paths = ("/login", "/api/v1/me", "/static/favicon.svg")
    plain = app.test_client()
    assert not [p for p in paths if "Strict-Transport-Security" in plain.get(p, buffered=True).headers]

    monkeypatch.setenv("ECABINET_SECURE_COOKIES", "1")
    https_app = create_app(TestConfig(app.config["SQLALCHEMY_DATABASE_URI"], app.config["ECABINET_STORAGE"]))
    try:
        https = https_app.test_client()
        for path in paths:
            assert https.get(path, buffered=True).headers["Strict-Transport-Security"] == "max-age=31536000"
    finally:
        with https_app.app_context():  # its own connections, closed before the database goes
            db.session.remove()
            db.engine.dispose()
