"""Minutes: the clerk's revisions, the record filled in by the session, approval, exports."""

from __future__ import annotations

import io

import docx
import pytest
from pypdf import PdfReader

from tests.document_text import pdf_text
from tests.helpers import assert_error, ok

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


def _session(cabinet):
    """A session that happened: check-ins, a stand-in, speakers, a named and a secret vote."""
    meeting = cabinet.meeting("published")
    land = cabinet.item(
        meeting["id"], "Dự án Luật Đất đai (sửa đổi)", presenter="Bộ trưởng Bộ Nông nghiệp và Môi trường"
    )
    secret = cabinet.item(meeting["id"], "Nhân sự", confidential=True, restricted_to=[cabinet.clerk.id])
    sec = cabinet.api(cabinet.secretariat)
    sec.patch(
        f"/meetings/{meeting['id']}",
        json={
            "participants": [p.id for p in cabinet.participants] + [cabinet.clerk.id],
            "stand_ins": [{"user_id": cabinet.observer.id, "for_user_id": cabinet.members[2].id}],
        },
    )
    ok(sec.post(f"/meetings/{meeting['id']}/start"))
    for person in (cabinet.chair, cabinet.members[0], cabinet.members[1], cabinet.observer):
        cabinet.api(person).post(f"/meetings/{meeting['id']}/attendance")
    speaker = cabinet.api(cabinet.members[0]).post(f"/agenda/{land['id']}/speakers").get_json()[0]
    ok(sec.post(f"/speakers/{speaker['id']}/start"))
    ok(sec.post(f"/speakers/{speaker['id']}/finish"))
    for secret_vote, choices in ((False, ["yes", "yes", "no"]), (True, ["yes", "no", "no"])):
        vote = sec.post(
            f"/meetings/{meeting['id']}/votes",
            json={
                "question": "Thông qua dự án Luật?" if not secret_vote else "Bỏ phiếu kín về phương án?",
                "agenda_item_id": land["id"],
                "secret": secret_vote,
            },
        ).get_json()
        sec.post(f"/votes/{vote['id']}/open")
        for person, choice in zip(
            (cabinet.chair, cabinet.members[0], cabinet.members[1]), choices, strict=True
        ):
            cabinet.api(person).post(f"/votes/{vote['id']}/cast", json={"choice": choice})
        sec.post(f"/votes/{vote['id']}/close")
    return meeting, land, secret


def test_clerk_writes_revisions_and_a_stale_save_gets_the_newer_text(cabinet):
    meeting, land, _ = _session(cabinet)
    clerk = cabinet.api(cabinet.clerk)
    first = clerk.put(
        f"/meetings/{meeting['id']}/minutes",
        json={
            "summary": "Phiên họp diễn ra đúng chương trình.",
            "entries": [
                {
                    "agenda_item_id": land["id"],
                    "notes": "Các thành viên thống nhất.",
                    "decision": "Thông qua.",
                }
            ],
            "revision": 0,
        },
    )
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["revision"] == 1
    entry = next(e for e in first.get_json()["entries"] if e["agenda_item_id"] == land["id"])
    assert entry["decision"] == "Thông qua."
    # The secretariat saves on top; the clerk's tablet still holds revision 1.
    cabinet.api(cabinet.secretariat).put(
        f"/meetings/{meeting['id']}/minutes",
        json={
            "entries": [{"agenda_item_id": land["id"], "decision": "Thông qua, giao Bộ hoàn thiện."}],
            "revision": 1,
        },
    )
    stale = clerk.put(
        f"/meetings/{meeting['id']}/minutes",
        json={"entries": [{"agenda_item_id": land["id"], "decision": "Ghi đè"}], "revision": 1},
    )
    error = assert_error(stale, 409, "stale_revision")
    newer = next(e for e in error["current"]["entries"] if e["agenda_item_id"] == land["id"])
    assert newer["decision"] == "Thông qua, giao Bộ hoàn thiện."
    revisions = clerk.get(f"/meetings/{meeting['id']}/minutes/revisions").get_json()
    assert [(r["number"], r["author"]) for r in revisions] == [
        (1, cabinet.clerk.full_name),
        (2, cabinet.secretariat.full_name),
    ]


def test_who_may_write_and_bad_bodies(cabinet):
    meeting, land, _ = _session(cabinet)
    for person in (cabinet.members[0], cabinet.chair, cabinet.observer):
        assert_error(
            cabinet.api(person).put(f"/meetings/{meeting['id']}/minutes", json={"summary": "x"}), 403
        )
    clerk = cabinet.api(cabinet.clerk)
    other = cabinet.meeting("published")
    other_item = cabinet.item(other["id"], "Mục của phiên khác")
    for body in (
        {"entries": [{"agenda_item_id": other_item["id"], "notes": "x"}]},
        {"entries": [{"agenda_item_id": "1", "notes": "x"}]},
        {"summary": 5},
        {"entries": "x"},
        {},  # nothing to save
        {"revision": 0},
    ):
        assert_error(clerk.put(f"/meetings/{meeting['id']}/minutes", json=body), 400)
    assert clerk.get(f"/meetings/{meeting['id']}/minutes").get_json()["revision"] == 0
    assert_error(cabinet.api(cabinet.outsider).get(f"/meetings/{meeting['id']}/minutes.pdf"), 404)


def test_approval_freezes_the_minutes(cabinet):
    meeting, land, _ = _session(cabinet)
    clerk = cabinet.api(cabinet.clerk)
    clerk.put(
        f"/meetings/{meeting['id']}/minutes",
        json={"entries": [{"agenda_item_id": land["id"], "decision": "Thông qua."}]},
    )
    assert_error(cabinet.api(cabinet.members[0]).post(f"/meetings/{meeting['id']}/minutes/approve"), 403)
    approved = cabinet.api(cabinet.chair).post(f"/meetings/{meeting['id']}/minutes/approve")
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    assert_error(clerk.put(f"/meetings/{meeting['id']}/minutes", json={"summary": "muộn"}), 409)
    assert_error(cabinet.api(cabinet.chair).post(f"/meetings/{meeting['id']}/minutes/approve"), 409)
    events = cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/events").get_json()
    assert events[-1]["type"] == "minutes.approved"


def test_exports_carry_the_session_record(cabinet):
    meeting, land, secret = _session(cabinet)
    clerk = cabinet.api(cabinet.clerk)
    clerk.put(
        f"/meetings/{meeting['id']}/minutes",
        json={
            "summary": "Phiên họp kết thúc lúc 11 giờ 30.",
            "entries": [
                {
                    "agenda_item_id": land["id"],
                    "notes": "Bộ trưởng trình bày tờ trình.",
                    "decision": "Chính phủ thống nhất thông qua dự án Luật.",
                },
                {"agenda_item_id": secret["id"], "decision": "Đồng ý phương án nhân sự số 2."},
            ],
        },
    )
    r = cabinet.api(cabinet.members[0]).get(f"/meetings/{meeting['id']}/minutes.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
    for expected in (
        "BIÊN BẢN PHIÊN HỌP CHÍNH PHỦ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Số: /BB-CP",  # the number left for the records office
        meeting["title"],
        "Phòng họp Chính phủ",
        cabinet.chair.full_name,
        f"Ông/bà {cabinet.observer.full_name} dự thay",
        "Dự án Luật Đất đai (sửa đổi)",
        "Bộ trưởng Bộ Nông nghiệp và Môi trường",
        f"Ý kiến phát biểu: {cabinet.members[0].full_name}",
        "Thông qua dự án Luật?",
        "Tán thành: 2",
        "Bỏ phiếu kín về phương án?",
        "Chính phủ thống nhất thông qua dự án Luật.",
        "THƯ KÝ",
        "CHỦ TỌA",
    ):
        assert expected in text, expected
    # Named vote: who chose what; secret vote: counts only.
    assert f"{cabinet.members[1].full_name} — Không tán thành" in text
    secret_part = text[text.index("Bỏ phiếu kín về phương án?") :]
    assert "Biểu quyết của từng thành viên" not in secret_part.split("Kết luận")[0]
    # The member may not see the confidential item: not in their minutes.
    assert "Nhân sự" not in text and "phương án nhân sự số 2" not in text
    clerk_text = " ".join(
        p.extract_text()
        for p in PdfReader(io.BytesIO(clerk.get(f"/meetings/{meeting['id']}/minutes.pdf").data)).pages
    )
    assert "Đồng ý phương án nhân sự số 2." in " ".join(clerk_text.split())
    document = docx.Document(io.BytesIO(clerk.get(f"/meetings/{meeting['id']}/minutes.docx").data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "III. DIỄN BIẾN VÀ KẾT LUẬN THEO TỪNG NỘI DUNG" in headings
    issuer = document.tables[0].rows[0].cells[0].text.split()
    assert issuer[:2] == ["CHÍNH", "PHỦ"] and issuer[-2:] == ["Số:", "/BB-CP"]
    assert any(p.text == "Kết luận: Chính phủ thống nhất thông qua dự án Luật." for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "Dự án Luật Đất đai (sửa đổi)" in cells
    notice_text = pdf_text(clerk.get(f"/meetings/{meeting['id']}/conclusions.pdf").data)
    assert "THÔNG BÁO KẾT LUẬN" in notice_text and "Chính phủ thống nhất thông qua dự án Luật." in notice_text
    assert "Số: /TB-VPCP" in notice_text
    assert "Bộ trưởng trình bày tờ trình." not in notice_text


def test_approved_minutes_are_signed_when_the_office_certificate_is_configured(app, cabinet, tmp_path):
    from tests.signing import ca_and_signer, signature_valid

    root, cert, key = ca_and_signer(tmp_path)
    app.config.update(ECABINET_SIGNING_CERT=str(cert), ECABINET_SIGNING_KEY=str(key))
    meeting, land, _ = _session(cabinet)
    clerk = cabinet.api(cabinet.clerk)
    clerk.put(
        f"/meetings/{meeting['id']}/minutes",
        json={"entries": [{"agenda_item_id": land["id"], "decision": "Thông qua."}]},
    )
    draft = clerk.get(f"/meetings/{meeting['id']}/minutes.pdf").data
    assert b"/ByteRange" not in draft  # a draft is not a record yet: unsigned
    ok(cabinet.api(cabinet.chair).post(f"/meetings/{meeting['id']}/minutes/approve"))
    signed = clerk.get(f"/meetings/{meeting['id']}/minutes.pdf").data
    assert signature_valid(signed, root) is True
