"""Members' notes on documents: private, idempotent, exported as real PDF annotations."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests import pdf_views as views
from tests.helpers import assert_error, ok
from tests.pdfs import make_pdf, new_version, upload

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


@pytest.fixture
def doc(cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"], "Dự án Luật Đất đai (sửa đổi)")
    r = upload(
        cabinet.api(cabinet.secretariat), item["id"], make_pdf("Điều 1. Phạm vi điều chỉnh", "Điều 2.")
    )
    assert r.status_code == 201
    return r.get_json()


def _highlight(**over):
    body = {
        "version": 1,
        "page": 1,
        "kind": "highlight",
        "rects": [[56, 700, 300, 716]],
        "quote": "Điều 1. Phạm vi",
    }
    body.update(over)
    return body


def test_member_saves_and_lists_own_annotations(cabinet, doc):
    member = cabinet.api(cabinet.members[0])
    r = member.post(f"/documents/{doc['id']}/annotations", json=_highlight(color="#00ff00"))
    assert r.status_code == 201, r.get_json()
    saved = r.get_json()
    assert saved["kind"] == "highlight" and saved["rects"] == [[56, 700, 300, 716]]
    assert saved["color"] == "#00FF00" and saved["shared"] is False and saved["mine"] is True
    listed = member.get(f"/documents/{doc['id']}/annotations").get_json()
    assert [a["id"] for a in listed] == [saved["id"]]
    # Another member sees nothing of it, and cannot touch it.
    other = cabinet.api(cabinet.members[1])
    assert other.get(f"/documents/{doc['id']}/annotations").get_json() == []
    assert_error(other.patch(f"/annotations/{saved['id']}", json={"color": "#000000"}), 404)
    assert_error(other.delete(f"/annotations/{saved['id']}"), 404)


def test_every_kind_with_its_geometry(cabinet, doc):
    member = cabinet.api(cabinet.members[0])
    bodies = [
        _highlight(kind="underline"),
        _highlight(kind="strikeout"),
        {"version": 1, "page": 2, "kind": "ink", "paths": [[[100, 100], [150, 160], [200, 120]]]},
        {
            "version": 1,
            "page": 1,
            "kind": "note",
            "rects": [[400, 600, 420, 620]],
            "text": "Cần làm rõ Điều 1",
        },
        {
            "version": 1,
            "page": 2,
            "kind": "freetext",
            "rects": [[60, 400, 360, 440]],
            "text": "Đề nghị bỏ khoản 3",
        },
    ]
    for body in bodies:
        r = member.post(f"/documents/{doc['id']}/annotations", json=body)
        assert r.status_code == 201, (body, r.get_json())
    kinds = [a["kind"] for a in member.get(f"/documents/{doc['id']}/annotations").get_json()]
    assert sorted(kinds) == ["freetext", "ink", "note", "strikeout", "underline"]


@pytest.mark.parametrize(
    "body",
    [
        _highlight(rects=None),
        _highlight(rects=[[56, 700, 300]]),
        _highlight(rects=[[56, 700, 900, 716]]),  # past the right edge of an A4 page
        _highlight(rects=[[-50, 700, 300, 716]]),
        _highlight(page=3),
        _highlight(page=0),
        _highlight(version=2),
        _highlight(kind="scribble"),
        _highlight(color="red"),
        _highlight(rects="56,700"),
        {"version": 1, "page": 1, "kind": "ink"},
        {"version": 1, "page": 1, "kind": "ink", "paths": [[[100, 100], [100, 5000]]]},
        {"version": 1, "page": 1, "kind": "note", "rects": [[400, 600, 420, 620]]},
        {"version": 1, "page": 1, "kind": "note", "rects": [[400, 600, 420, 620], [1, 1, 2, 2]], "text": "x"},
        {"version": "1", "page": 1, "kind": "highlight", "rects": [[56, 700, 300, 716]]},
    ],
)
def test_bad_annotations_are_refused(cabinet, doc, body):
    member = cabinet.api(cabinet.members[0])
    assert_error(member.post(f"/documents/{doc['id']}/annotations", json=body), 400)
    assert member.get(f"/documents/{doc['id']}/annotations").get_json() == []


def test_retry_with_the_same_client_id_returns_the_first(cabinet, doc):
    member = cabinet.api(cabinet.members[0])
    body = _highlight(client_id=str(uuid.uuid4()))
    first = member.post(f"/documents/{doc['id']}/annotations", json=body)
    second = member.post(f"/documents/{doc['id']}/annotations", json=body)
    # The OpenAPI file documents 201 for this call, the retry included.
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] == second.get_json()["id"]
    assert len(member.get(f"/documents/{doc['id']}/annotations").get_json()) == 1
    # The same client_id from someone else is their own annotation.
    other = cabinet.api(cabinet.members[1])
    assert (
        other.post(f"/documents/{doc['id']}/annotations", json=body).get_json()["id"]
        != first.get_json()["id"]
    )


def test_edit_share_and_delete(cabinet, doc):
    member, other = cabinet.api(cabinet.members[0]), cabinet.api(cabinet.members[1])
    note = member.post(
        f"/documents/{doc['id']}/annotations",
        json={
            "version": 1,
            "page": 1,
            "kind": "note",
            "rects": [[400, 600, 420, 620]],
            "text": "Ý kiến riêng",
        },
    ).get_json()
    r = member.patch(f"/annotations/{note['id']}", json={"text": "Ý kiến chung của Bộ", "shared": True})
    assert r.status_code == 200 and r.get_json()["shared"] is True
    seen = other.get(f"/documents/{doc['id']}/annotations").get_json()
    assert [(a["text"], a["mine"], a["author"]["full_name"]) for a in seen] == [
        ("Ý kiến chung của Bộ", False, cabinet.members[0].full_name)
    ]
    assert_error(member.patch(f"/annotations/{note['id']}", json={"rects": [[400, 600, 9000, 620]]}), 400)
    assert member.delete(f"/annotations/{note['id']}").status_code == 204
    assert other.get(f"/documents/{doc['id']}/annotations").get_json() == []
    assert_error(member.delete(f"/annotations/{note['id']}"), 404)


def test_the_list_comes_oldest_first(cabinet, doc):
    member = cabinet.api(cabinet.members[0])
    made = [
        member.post(f"/documents/{doc['id']}/annotations", json=_highlight(page=page)).get_json()["id"]
        for page in (2, 1, 2)
    ]
    assert [a["id"] for a in member.get(f"/documents/{doc['id']}/annotations").get_json()] == made


def test_an_edit_cannot_change_the_kind_or_mix_the_geometry(cabinet, doc):
    member = cabinet.api(cabinet.members[0])
    mark = member.post(f"/documents/{doc['id']}/annotations", json=_highlight()).get_json()
    stroke = [[[100, 100], [150, 160]]]
    for change, code in (
        ({"kind": "circle"}, "invalid_input"),
        ({"kind": "underline"}, "invalid_kind"),
        ({"version": 2}, "unknown_version"),
        ({"paths": stroke}, "invalid_input"),
    ):
        assert_error(member.patch(f"/annotations/{mark['id']}", json=change), 400, code)
    # The whole annotation sent back with its own kind and version is an edit like any other.
    edited = member.patch(f"/annotations/{mark['id']}", json={**mark, "color": "#112233"})
    assert edited.status_code == 200 and edited.get_json()["color"] == "#112233"
    kept = member.get(f"/documents/{doc['id']}/annotations").get_json()
    assert [(a["kind"], a["rects"], a["paths"]) for a in kept] == [("highlight", mark["rects"], None)]
    # The same mix is refused when the annotation is made.
    for body in (
        _highlight(paths=stroke),
        {"version": 1, "page": 1, "kind": "ink", "paths": stroke, "rects": [[1, 1, 2, 2]]},
    ):
        assert_error(member.post(f"/documents/{doc['id']}/annotations", json=body), 400)
    assert len(member.get(f"/documents/{doc['id']}/annotations").get_json()) == 1


def test_annotations_stay_with_their_version(cabinet, doc):
    member = cabinet.api(cabinet.members[0])
    ok(member.post(f"/documents/{doc['id']}/annotations", json=_highlight()), 201)
    assert new_version(cabinet.api(cabinet.secretariat), doc["id"], make_pdf("Bản mới")).status_code == 201
    assert member.get(f"/documents/{doc['id']}/annotations").get_json() == []
    assert len(member.get(f"/documents/{doc['id']}/annotations?version=1").get_json()) == 1


def test_outsider_and_confidential_denials(cabinet):
    meeting = cabinet.meeting("published")
    secret = cabinet.item(meeting["id"], "Mật", confidential=True, restricted_to=[cabinet.members[0].id])
    doc = upload(cabinet.api(cabinet.secretariat), secret["id"], make_pdf("Mật")).get_json()
    for person in (cabinet.members[1], cabinet.outsider):
        api = cabinet.api(person)
        assert_error(api.post(f"/documents/{doc['id']}/annotations", json=_highlight()), 404)
        assert_error(api.get(f"/documents/{doc['id']}/annotated.pdf"), 404)


def test_annotated_pdf_of_an_unstamped_form_shows_what_its_fields_hold(cabinet):
    # No watermark: annotated.pdf is made from the original itself, whose form it does not carry
    # (documents.sanitize). reportlab-form.pdf: a field filled in with "Nguyen", a ticked box.
    meeting = cabinet.meeting("published", watermark="none")
    item = cabinet.item(meeting["id"])
    form = (Path(__file__).resolve().parents[1] / "corpus" / "reportlab-form.pdf").read_bytes()
    paper = ok(upload(cabinet.api(cabinet.secretariat), item["id"], form), 201)
    member = cabinet.api(cabinet.members[0])
    ok(
        member.post(f"/documents/{paper['id']}/annotations", json=_highlight(rects=[[56, 300, 300, 316]])),
        201,
    )
    annotated = member.get(f"/documents/{paper['id']}/annotated.pdf")
    assert annotated.status_code == 200
    [text] = views.texts(annotated.data)
    assert "Nguyen" in text
    page = PdfReader(io.BytesIO(annotated.data)).pages[0]
    assert [a.get_object()["/Subtype"] for a in page["/Annots"]] == ["/Highlight"]


def test_annotated_pdf_carries_real_annotations(cabinet, doc):
    member = cabinet.api(cabinet.members[0])
    ok(member.post(f"/documents/{doc['id']}/annotations", json=_highlight()), 201)
    member.post(
        f"/documents/{doc['id']}/annotations",
        json={"version": 1, "page": 2, "kind": "ink", "paths": [[[100, 100], [150, 160]]]},
    )
    member.post(
        f"/documents/{doc['id']}/annotations",
        json={
            "version": 1,
            "page": 2,
            "kind": "freetext",
            "rects": [[60, 400, 360, 440]],
            "text": "Đề nghị bỏ khoản 3",
        },
    )
    member.post(
        f"/documents/{doc['id']}/annotations",
        json={"version": 1, "page": 1, "kind": "note", "rects": [[400, 600, 420, 620]], "text": "Hỏi lại"},
    )
    # Someone else's private mark stays out of this member's export.
    cabinet.api(cabinet.members[1]).post(
        f"/documents/{doc['id']}/annotations", json=_highlight(kind="strikeout")
    )
    r = member.get(f"/documents/{doc['id']}/annotated.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    pdf = PdfReader(io.BytesIO(r.data))
    page1 = [a.get_object() for a in pdf.pages[0]["/Annots"]]
    page2 = [a.get_object() for a in pdf.pages[1]["/Annots"]]
    assert sorted(a["/Subtype"] for a in page1) == ["/Highlight", "/Text"]
    assert sorted(a["/Subtype"] for a in page2) == ["/FreeText", "/Ink"]
    highlight = next(a for a in page1 if a["/Subtype"] == "/Highlight")
    assert [float(v) for v in highlight["/Rect"]] == [56, 700, 300, 716]
    assert len(highlight["/QuadPoints"]) == 8
    assert all("/N" in a["/AP"] for a in page1 + page2)
    freetext = next(a for a in page2 if a["/Subtype"] == "/FreeText")
    assert freetext["/Contents"] == "Đề nghị bỏ khoản 3"
    assert highlight["/T"] == cabinet.members[0].full_name
    ink = next(a for a in page2 if a["/Subtype"] == "/Ink")
    assert [float(v) for v in ink["/InkList"][0]] == [100, 100, 150, 160]
