"""The minutes pages: the editor (the clerk writes, the participants read) and the revision history."""

from __future__ import annotations

import json
import re

import pytest

from ecabinet.minutes.views import word_diff
from tests.helpers import ok
from tests.pages import CSRF_TOKEN as TOKEN
from tests.pages import page_login

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


def _text(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def session(cabinet):
    """A session under way: two items (one confidential, for the clerk too), a closed named vote."""
    meeting = cabinet.meeting("in_progress")
    land = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)", presenter="Bộ trưởng Bộ Tài chính")
    secret = cabinet.item(meeting["id"], "Nhân sự", confidential=True, restricted_to=[cabinet.clerk.id])
    sec = cabinet.api(cabinet.secretariat)
    vote = ok(
        sec.post(
            f"/meetings/{meeting['id']}/votes",
            json={"question": "Thông qua dự án Luật?", "agenda_item_id": land["id"]},
        ),
        201,
    )
    ok(sec.post(f"/votes/{vote['id']}/open"))
    for person, choice in zip((cabinet.chair, *cabinet.members), ("yes", "yes", "no", "yes"), strict=True):
        cabinet.api(person).post(f"/meetings/{meeting['id']}/attendance")
        ok(cabinet.api(person).post(f"/votes/{vote['id']}/cast", json={"choice": choice}), 201)
    ok(sec.post(f"/votes/{vote['id']}/close"))
    clerk = cabinet.api(cabinet.clerk)
    ok(
        clerk.put(
            f"/meetings/{meeting['id']}/minutes",
            json={
                "summary": "Phiên họp diễn ra đúng chương trình.",
                "entries": [
                    {"agenda_item_id": land["id"], "notes": "Các thành viên thống nhất cao."},
                    {"agenda_item_id": secret["id"], "notes": "Giới thiệu nhân sự bí mật."},
                ],
                "revision": 0,
            },
        )
    )
    ok(
        sec.put(
            f"/meetings/{meeting['id']}/minutes",
            json={
                "entries": [
                    {"agenda_item_id": land["id"], "decision": "Thông qua, giao Bộ Tài chính hoàn thiện."}
                ],
                "revision": 1,
            },
        )
    )
    return meeting, land, secret


def test_the_clerk_edits_every_item_and_sees_what_the_session_recorded(app, cabinet, session):
    meeting, land, secret = session
    page = _text(page_login(app, cabinet.clerk), f"/meetings/{meeting['id']}/minutes")
    assert f'id="notes-{land["id"]}"' in page and f'id="decision-{land["id"]}"' in page
    assert f'id="notes-{secret["id"]}"' in page  # the clerk is cleared for the confidential item
    assert 'id="summary"' in page
    assert "Các thành viên thống nhất cao." in page
    assert "Bộ trưởng Bộ Tài chính" in page  # the presenter
    assert "Thông qua dự án Luật?" in page and "Thông qua" in page  # the vote and its outcome
    assert "Đã lưu lúc" in page and "Phiên bản 2" in page
    assert "Phê duyệt biên bản" not in page  # the clerk does not approve
    for export in ("minutes.pdf", "minutes.docx", "conclusions.pdf", "conclusions.docx"):
        assert f"/api/v1/meetings/{meeting['id']}/{export}" in page
    config = json.loads(re.search(r'id="minutes-config">(.*?)</script>', page).group(1))
    assert config["editable"] is True and config["revision"] == 2
    assert config["entries"][str(land["id"])] == [
        "Các thành viên thống nhất cao.",
        "Thông qua, giao Bộ Tài chính hoàn thiện.",
    ]
    strings = json.loads(re.search(r'id="minutes-strings">(.*?)</script>', page).group(1))
    assert strings["saved"] == "Đã lưu lúc {time}" and strings["saving"] == "Đang lưu…"


def test_a_member_reads_the_minutes_without_the_items_hidden_from_them(app, cabinet, session):
    meeting, land, secret = session
    page = _text(page_login(app, cabinet.members[0]), f"/meetings/{meeting['id']}/minutes")
    assert "<textarea" not in page
    assert "Các thành viên thống nhất cao." in page and "Thông qua, giao Bộ Tài chính hoàn thiện." in page
    assert "Nhân sự" not in page and "bí mật" not in page
    assert "Phê duyệt biên bản" not in page
    assert '"editable": false' in page


def test_someone_outside_the_meeting_gets_not_found(app, cabinet, session):
    meeting, *_ = session
    outsider = page_login(app, cabinet.outsider)
    assert outsider.get(f"/meetings/{meeting['id']}/minutes").status_code == 404
    assert outsider.get(f"/meetings/{meeting['id']}/minutes/history").status_code == 404
    assert page_login(app, cabinet.clerk).get("/meetings/999999/minutes").status_code == 404
    assert app.test_client().get(f"/meetings/{meeting['id']}/minutes").status_code == 302  # to log in


def test_the_history_lists_revisions_with_authors_and_changes(app, cabinet, session):
    meeting, land, secret = session
    page = _text(page_login(app, cabinet.clerk), f"/meetings/{meeting['id']}/minutes/history")
    assert page.index("Phiên bản 2") < page.index("Phiên bản 1")  # newest first
    assert "Văn phòng Chính phủ" in page and "Thư ký Phiên họp" in page
    assert "<ins>Thông qua, giao Bộ Tài chính hoàn thiện.</ins>" in page
    assert "Giới thiệu nhân sự bí mật." in page  # the clerk may see the confidential item

    member = _text(page_login(app, cabinet.members[0]), f"/meetings/{meeting['id']}/minutes/history")
    assert "Phiên bản 1" in member and "Thư ký Phiên họp" in member
    assert "Nhân sự" not in member and "bí mật" not in member
    # The API's list of revisions, which the page's history stands beside, hides it the same way.
    revisions = ok(cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/minutes/revisions"))
    assert [set(r["entries"]) for r in revisions] == [{str(land["id"])}, {str(land["id"])}]
    clerks = ok(cabinet.api(cabinet.clerk).get(f"/meetings/{meeting['id']}/minutes/revisions"))
    assert str(secret["id"]) in clerks[0]["entries"]


def test_the_chair_approves_and_the_minutes_turn_read_only(app, cabinet, session):
    meeting, *_ = session
    chair = page_login(app, cabinet.chair)
    path = f"/meetings/{meeting['id']}/minutes"
    page = _text(chair, path)
    assert "Phê duyệt biên bản" in page
    token = TOKEN.search(page).group(1)
    response = chair.post(f"{path}/approve", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    assert ok(cabinet.api(cabinet.clerk).get(path))["status"] == "approved"

    clerk_page = _text(page_login(app, cabinet.clerk), path)
    assert "Biên bản đã được phê duyệt" in clerk_page and "Nguyễn Văn Thủ Tướng" in clerk_page
    assert "<textarea" not in clerk_page and "Phê duyệt biên bản" not in clerk_page
    # A second approval is refused on the page, with a message, not an error page.
    again = chair.post(f"{path}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert again.status_code == 200 and "flash error" in again.get_data(as_text=True)


def test_a_member_cannot_approve(app, cabinet, session):
    meeting, *_ = session
    member = page_login(app, cabinet.members[0])
    path = f"/meetings/{meeting['id']}/minutes"
    token = TOKEN.search(_text(member, path)).group(1)
    member.post(f"{path}/approve", data={"csrf_token": token})
    assert ok(cabinet.api(cabinet.clerk).get(path))["status"] == "draft"


def test_the_meeting_page_links_to_the_minutes(app, cabinet, session):
    meeting, *_ = session
    page = _text(page_login(app, cabinet.members[0]), f"/meetings/{meeting['id']}")
    assert f'href="/meetings/{meeting["id"]}/minutes"' in page


@pytest.mark.no_database
def test_word_diff_marks_words_and_shortens_long_unchanged_text():
    assert word_diff("Các thành viên đồng ý với tờ trình.", "Các thành viên nhất trí với tờ trình.") == [
        ("same", "Các thành viên "),
        ("del", "đồng ý"),
        ("ins", "nhất trí"),
        ("same", " với tờ trình."),
    ]
    assert word_diff("", "Thông qua.") == [("ins", "Thông qua.")]
    long = " ".join(f"từ{i}" for i in range(100))
    pieces = word_diff(long, long + " thêm")
    assert pieces[0] == ("gap", "…") and pieces[-1] == ("ins", " thêm")
    assert "từ99" in pieces[1][1] and "từ0 " not in "".join(p[1] for p in pieces)
