"""What a member's tablet may keep of a meeting to read offline (GET /api/v1/meetings/<id>/offline),
and the installable app: its manifest and its service worker served from the site's root."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import assert_error, ok
from tests.pages import page_login
from tests.pdfs import make_pdf, multipart, upload

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


def _paper(cabinet, item_id, title):
    return ok(upload(cabinet.api(cabinet.secretariat), item_id, make_pdf(title), title=title), 201)


def test_a_member_keeps_what_they_may_see_and_nothing_of_a_confidential_item(cabinet):
    meeting = cabinet.meeting("published")
    open_item = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    secret = cabinet.item(
        meeting["id"], "Nhân sự cấp cao", confidential=True, restricted_to=[cabinet.members[1].id]
    )
    paper = _paper(cabinet, open_item["id"], "Dự thảo Luật Đất đai")
    hidden = _paper(cabinet, secret["id"], "Tờ trình nhân sự")

    listing = ok(cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/offline"))
    assert listing["meeting_id"] == meeting["id"]
    assert f"/meetings/{meeting['id']}" in listing["pages"]
    assert [i["id"] for i in listing["items"]] == [open_item["id"]]
    assert [d["id"] for d in listing["documents"]] == [paper["id"]]
    kept = listing["documents"][0]
    assert kept == {
        "id": paper["id"],
        "title": "Dự thảo Luật Đất đai",
        "version": 1,
        "size": paper["version"]["size"],
        "sha256": paper["version"]["sha256"],
        "viewer_url": f"/documents/{paper['id']}",
        "file_url": f"/api/v1/documents/{paper['id']}/file?version=1",
        "annotations_url": f"/api/v1/documents/{paper['id']}/annotations?version=1",
    }
    assert "Nhân sự" not in str(listing)
    # The viewer's assets come along: PDF.js, its worker, the pages' scripts.
    assert {
        "/static/vendor/pdfjs/pdf.min.mjs",
        "/static/vendor/pdfjs/pdf.worker.min.mjs",
        "/static/js/viewer.js",
    } <= set(listing["assets"])

    cleared = ok(cabinet.api(cabinet.members[1]).get(f"/meetings/{meeting['id']}/offline"))
    assert [d["id"] for d in cleared["documents"]] == [paper["id"], hidden["id"]]


def test_an_item_made_confidential_leaves_the_list_of_those_not_cleared(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Phương án nhân sự")
    paper = _paper(cabinet, item["id"], "Tờ trình nhân sự")
    member = cabinet.api(cabinet.members[0])
    assert [d["id"] for d in ok(member.get(f"/meetings/{meeting['id']}/offline"))["documents"]] == [
        paper["id"]
    ]
    ok(
        cabinet.api(cabinet.secretariat).patch(
            f"/agenda/{item['id']}", json={"confidential": True, "restricted_to": []}
        )
    )
    listing = ok(member.get(f"/meetings/{meeting['id']}/offline"))
    assert listing["items"] == [] and listing["documents"] == []
    assert "nhân sự" not in str(listing)


def test_a_new_version_changes_what_the_tablet_downloads(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    paper = _paper(cabinet, item["id"], "Dự thảo")
    sec = cabinet.api(cabinet.secretariat)
    ok(sec.post(f"/documents/{paper['id']}/versions", **multipart(make_pdf("Bản 2"))), 201)
    kept = ok(cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/offline"))["documents"][0]
    assert (kept["version"], kept["file_url"]) == (2, f"/api/v1/documents/{paper['id']}/file?version=2")


def test_open_ballots_come_with_the_meeting_to_be_answered_offline(cabinet):
    meeting = cabinet.meeting("published")
    member = cabinet.members[0]
    sec = cabinet.api(cabinet.secretariat)
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    body = {"title": "Phiếu lấy ý kiến về Nghị định", "questions": [{"text": "Đồng ý?"}], "deadline": later}
    sent = ok(sec.post("/ballots", json={**body, "recipients": [member.id]}), 201)
    ok(sec.post(f"/ballots/{sent['id']}/send"))
    not_for_them = ok(sec.post("/ballots", json={**body, "recipients": [cabinet.members[1].id]}), 201)
    ok(sec.post(f"/ballots/{not_for_them['id']}/send"))
    draft = ok(sec.post("/ballots", json={**body, "recipients": [member.id]}), 201)

    listing = ok(cabinet.api(member).get(f"/meetings/{meeting['id']}/offline"))
    assert listing["ballots"] == [{"id": sent["id"], "title": "Phiếu lấy ý kiến về Nghị định"}]
    assert {"/ballots", f"/ballots/{sent['id']}"} <= set(listing["pages"])
    assert f"/ballots/{draft['id']}" not in listing["pages"]


def test_a_meeting_the_caller_may_not_see_lists_nothing(cabinet):
    meeting = cabinet.meeting("published")
    assert_error(cabinet.api(cabinet.outsider).get(f"/meetings/{meeting['id']}/offline"), 404)
    draft = cabinet.meeting("draft")
    assert_error(cabinet.api(cabinet.members[0]).get(f"/meetings/{draft['id']}/offline"), 404)


def test_the_service_worker_is_served_from_the_root_and_the_manifest_names_real_icons(app, cabinet):
    client = app.test_client()
    with client.get("/sw.js") as worker:
        assert worker.status_code == 200 and worker.mimetype == "text/javascript"
        assert worker.headers["Service-Worker-Allowed"] == "/"
        assert "importScripts" in worker.get_data(as_text=True)
    manifest = client.get("/manifest.webmanifest")  # the browser asks without the login cookie
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["display"] == "standalone" and body["start_url"] == "/meetings"
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        with client.get(icon["src"]) as found:
            assert found.status_code == 200 and found.mimetype == "image/png"


def test_every_page_links_the_manifest_and_a_member_s_pages_register_the_worker(app, cabinet):
    login = app.test_client().get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in login
    assert "offline.js" not in login
    page = page_login(app, cabinet.members[0]).get("/meetings").get_data(as_text=True)
    assert 'src="/static/js/offline.js"' in page and 'data-sw-url="/sw.js"' in page
