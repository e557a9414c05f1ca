"""Members' notes follow a new version of a document: found again by their words, moved with them,
and listed to their author where they could not be placed."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import delete, select, update

from ecabinet.annotations import carry
from ecabinet.annotations.models import Annotation, NoteCarry
from ecabinet.extensions import db
from tests.helpers import ok
from tests.pages import page_login
from tests.pdfs import laid_out_pdf, new_version, upload

# Its meetings only need to be there: built through the services (the API's own tests use HTTP).
pytestmark = pytest.mark.built_by_services


def clause(n: int, lines: int = 3) -> str:
    """A paragraph of its own words (no two clauses share a sentence), about `lines` lines long."""
    return " ".join(
        f"Khoản {n}.{i} quy định thủ tục giao đất, cho thuê đất số {n * 100 + i}." for i in range(lines)
    )


TARGET = (
    "Nhà nước bảo đảm quyền lợi hợp pháp của người sử dụng đất khi thu hồi đất vì mục đích quốc phòng, "
    "an ninh và phát triển kinh tế - xã hội."
)


@pytest.fixture
def paper(cabinet):
    """Upload a first version to an agenda item; returns a function uploading the next ones."""
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    sec = cabinet.api(cabinet.secretariat)
    state = {}

    def publish(*blocks):
        data, where = laid_out_pdf(*blocks)
        if "id" not in state:
            state["id"] = ok(upload(sec, item["id"], data), 201)["id"]
        else:
            ok(new_version(sec, state["id"], data), 201)
        return state["id"], where

    return publish


def mark(api, document_id: int, version: int, spots, kind: str = "highlight", **fields) -> dict:
    """What a tablet saves for a selection of these lines."""
    page = spots[0][0]
    body = {"version": version, "page": page, "kind": kind, **fields}
    if kind in ("highlight", "underline", "strikeout"):
        body["rects"] = [box for p, box in spots if p == page]
    return ok(api.post(f"/documents/{document_id}/annotations", json=body), 201)


def listed(api, document_id: int, version: int) -> list[dict]:
    return ok(api.get(f"/documents/{document_id}/annotations?version={version}"))


def flat(nested) -> list[float]:
    return [v for part in nested for v in (flat(part) if isinstance(part, list) else [part])]


def middle(box) -> float:
    return (box[1] + box[3]) / 2


def assert_over(rect, spot_box) -> None:
    """A carried rectangle lies over the line the words were written on."""
    assert abs(middle(rect) - middle(spot_box)) < 4, (rect, spot_box)
    assert abs(rect[0] - spot_box[0]) < 4, (rect, spot_box)


def test_paragraph_inserted_before_moves_the_notes_down_onto_the_next_page(cabinet, paper):
    member, other = cabinet.api(cabinet.members[0]), cabinet.api(cabinet.members[1])
    document_id, before = paper(clause(1), clause(2, 15), TARGET, clause(3))
    spots = before[2]
    assert {p for p, _ in spots} == {1}
    highlight = mark(member, document_id, 1, spots, quote=TARGET, color="#81C784")
    note = mark(
        member,
        document_id,
        1,
        spots,
        kind="note",
        rects=[[520, spots[0][1][1], 540, spots[0][1][3]]],
        text="Hỏi Bộ Quốc phòng",
        quote="quốc phòng, an ninh",
    )
    x0, y0, x1, y1 = spots[0][1]
    ink = mark(
        member,
        document_id,
        1,
        spots,
        kind="ink",
        paths=[[[x0 + 10, y0 - 2], [x0 + 80, y0 - 4], [x1 - 20, y0]]],
    )
    theirs = mark(other, document_id, 1, spots, quote=TARGET, shared=False)

    # Twenty lines come before the sentence: it now starts on page 2.
    _, after = paper(clause(1), clause(2, 15), clause(9, 20), TARGET, clause(3))
    moved = after[3]
    assert moved[0][0] == 2

    mine = {a["carried_from"]: a for a in listed(member, document_id, 2)}
    assert set(mine) == {highlight["id"], note["id"], ink["id"]}
    copy = mine[highlight["id"]]
    assert copy["page"] == 2 and copy["version"] == 2 and copy["kind"] == "highlight"
    assert len(copy["rects"]) == len([s for s in moved if s[0] == 2])
    for rect, (_, box) in zip(copy["rects"], moved, strict=False):
        assert_over(rect, box)
    assert copy["color"] == "#81C784" and copy["quote"] == TARGET and copy["mine"] is True
    # The note and the pen stroke moved with the words beside them, as far as they did.
    dy = middle(moved[0][1]) - middle(spots[0][1])
    assert mine[note["id"]]["page"] == 2 and mine[note["id"]]["text"] == "Hỏi Bộ Quốc phòng"
    assert abs(mine[note["id"]]["rects"][0][1] - (note["rects"][0][1] + dy)) < 3
    assert mine[ink["id"]]["page"] == 2
    assert abs(mine[ink["id"]]["paths"][0][0][1] - (ink["paths"][0][0][1] + dy)) < 3
    assert abs(mine[ink["id"]]["paths"][0][0][0] - ink["paths"][0][0][0]) < 3

    # The originals stay on version 1, as they were.
    assert {a["id"]: a["page"] for a in listed(member, document_id, 1)} == {
        highlight["id"]: 1,
        note["id"]: 1,
        ink["id"]: 1,
    }
    # Private stays private: each member sees only their own copies.
    assert [a["carried_from"] for a in listed(other, document_id, 2)] == [theirs["id"]]
    assert listed(cabinet.api(cabinet.members[2]), document_id, 2) == []

    progress = ok(member.get(f"/documents/{document_id}"))["versions"][1]["notes_carry"]
    assert progress == {
        "status": "done",
        "from_version": 1,
        "total": 4,
        "done": 4,
        "carried": 4,
        "missed": 0,
    }


def test_reworded_sentence_is_not_carried_and_is_listed_to_its_author(cabinet, paper, app):
    member = cabinet.api(cabinet.members[0])
    kept = "Điều 5. Giá đất do Ủy ban nhân dân cấp tỉnh quyết định theo bảng giá đất hằng năm."
    reworded = "Điều 6. Người sử dụng đất được bồi thường theo giá đất cụ thể tại thời điểm thu hồi."
    document_id, before = paper(clause(1), kept, reworded, clause(2))
    kept_mark = mark(member, document_id, 1, before[1], quote=kept)
    lost = mark(member, document_id, 1, before[2], kind="underline", quote=reworded)

    paper(
        clause(1),
        kept,
        "Điều 6. Người có đất bị thu hồi được bồi thường bằng tiền theo giá đất cụ thể do tỉnh quyết định.",
        clause(2),
    )

    assert [a["carried_from"] for a in listed(member, document_id, 2)] == [kept_mark["id"]]
    behind = ok(member.get(f"/documents/{document_id}/annotations/left-behind"))
    assert [(a["id"], a["version"], a["page"]) for a in behind] == [(lost["id"], 1, 1)]
    assert ok(cabinet.api(cabinet.members[1]).get(f"/documents/{document_id}/annotations/left-behind")) == []
    progress = ok(member.get(f"/documents/{document_id}"))["versions"][1]["notes_carry"]
    assert (progress["carried"], progress["missed"]) == (1, 1)

    # The viewer of the new version tells the member, and leads to the note where it stays.
    page = page_login(app, cabinet.members[0]).get(f"/documents/{document_id}").get_data(as_text=True)
    assert "1 ghi chú không tìm thấy trong bản mới" in page
    assert f'href="/documents/{document_id}?version=1&amp;page=1' in page
    assert "Người sử dụng đất được bồi thường" in page  # the words it was on
    # The meeting page points the member to them; another member has nothing to be told.
    meeting_id = ok(member.get(f"/documents/{document_id}"))["meeting_id"]
    agenda = page_login(app, cabinet.members[0]).get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert f'href="/documents/{document_id}#left-behind">1 ghi chú không tìm thấy trong bản mới</a>' in agenda
    agenda = page_login(app, cabinet.members[1]).get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "không tìm thấy trong bản mới" not in agenda
    # The secretariat's page says what the carrying came to.
    agenda = page_login(app, cabinet.secretariat).get(f"/meetings/{meeting_id}").get_data(as_text=True)
    assert "Ghi chú của thành viên từ phiên bản 1: đã chuyển 1/2, 1 không tìm thấy trong bản này" in agenda
    # On the old version itself there is nothing to tell.
    old = page_login(app, cabinet.members[0]).get(f"/documents/{document_id}?version=1")
    assert "không tìm thấy trong bản mới" not in old.get_data(as_text=True)


def test_removed_page_leaves_its_notes_behind_and_later_pages_move_up(cabinet, paper):
    member = cabinet.api(cabinet.members[0])
    first, second, third = clause(1, 4), clause(2, 4), clause(3, 4)
    document_id, before = paper(first, None, second, None, third)
    on_second = mark(member, document_id, 1, before[2], quote=second)
    on_third = mark(member, document_id, 1, before[4], kind="strikeout", quote=third)
    x0, y0, x1, y1 = before[4][1][1]
    ink = mark(member, document_id, 1, before[4], kind="ink", paths=[[[x0, y0], [x1, y1]]])
    free = mark(
        member, document_id, 1, before[0], kind="freetext", rects=[[300, 500, 420, 530]], text="Đồng ý"
    )

    paper(first, None, third)

    mine = {a["carried_from"]: a for a in listed(member, document_id, 2)}
    assert set(mine) == {on_third["id"], ink["id"], free["id"]}
    assert mine[on_third["id"]]["page"] == 2 and mine[on_third["id"]]["kind"] == "strikeout"
    assert_over(mine[on_third["id"]]["rects"][0], before[4][0][1])
    assert mine[ink["id"]]["page"] == 2
    assert flat(mine[ink["id"]]["paths"]) == pytest.approx(flat(ink["paths"]), abs=0.5)
    assert mine[free["id"]]["page"] == 1
    assert flat(mine[free["id"]]["rects"]) == pytest.approx(flat(free["rects"]), abs=0.5)
    behind = ok(member.get(f"/documents/{document_id}/annotations/left-behind"))
    assert [a["id"] for a in behind] == [on_second["id"]]


def test_vietnamese_words_are_matched_by_their_marks_whatever_the_tablet_composed(cabinet, paper):
    member = cabinet.api(cabinet.members[0])
    tax = "Miễn thuế sử dụng đất nông nghiệp cho hộ gia đình đến hết năm 2030."
    rent = "Miễn thuê sử dụng đất nông nghiệp cho hộ gia đình đến hết năm 2030."  # ê, not ế: rent, not tax
    changed = "Giảm năm mươi phần trăm tiền thuế đất đối với dự án khuyến khích đầu tư."
    document_id, before = paper(clause(1), tax, changed, clause(2))
    # The tablet sends its quote decomposed (base letters and combining marks).
    on_tax = mark(member, document_id, 1, before[1], quote=unicodedata.normalize("NFD", tax))
    on_changed = mark(member, document_id, 1, before[2], quote=changed)

    # The rent sentence now stands where the tax one was; one tone mark changes the second sentence.
    _, after = paper(clause(1), rent, tax, changed.replace("tiền thuế", "tiền thuê"), clause(2))

    carried = listed(member, document_id, 2)
    assert [a["carried_from"] for a in carried] == [on_tax["id"]]
    assert_over(carried[0]["rects"][0], after[2][0][1])
    behind = ok(member.get(f"/documents/{document_id}/annotations/left-behind"))
    assert [a["id"] for a in behind] == [on_changed["id"]]


def test_carried_notes_follow_again_to_the_next_version(cabinet, paper):
    member = cabinet.api(cabinet.members[0])
    document_id, before = paper(clause(1), TARGET)
    original = mark(member, document_id, 1, before[1], quote=TARGET)
    paper(clause(4), clause(1), TARGET)
    (second,) = listed(member, document_id, 2)
    paper(clause(4), clause(5), clause(1), TARGET)
    (third,) = listed(member, document_id, 3)
    assert second["carried_from"] == original["id"] and third["carried_from"] == second["id"]
    # Deleting a copy takes nothing from the version before.
    ok(member.delete(f"/annotations/{second['id']}"), 204)
    assert [a["id"] for a in listed(member, document_id, 1)] == [original["id"]]
    assert listed(member, document_id, 3)[0]["carried_from"] is None


def test_a_version_after_no_notes_carries_nothing(cabinet, paper):
    document_id, _ = paper(clause(1))
    paper(clause(2))
    versions = ok(cabinet.api(cabinet.members[0]).get(f"/documents/{document_id}"))["versions"]
    assert [v["notes_carry"] for v in versions] == [None, None]


def test_a_version_uploaded_while_notes_are_still_coming_gets_them_when_they_have_come(cabinet, paper, app):
    member = cabinet.api(cabinet.members[0])
    document_id, before = paper(clause(1), TARGET)
    original = mark(member, document_id, 1, before[1], quote=TARGET)
    paper(clause(4), clause(1), TARGET)
    # As if version 2's notes were still being carried (a busy worker) when version 3 arrives.
    with app.app_context():
        first = db.session.scalar(select(NoteCarry).where(NoteCarry.from_version.has(number=1)))
        db.session.execute(delete(Annotation).where(Annotation.carried_from_id == original["id"]))
        first.status, first_id = "queued", first.id
        db.session.commit()
    paper(clause(5), clause(4), clause(1), TARGET)
    assert listed(member, document_id, 3) == []
    assert ok(member.get(f"/documents/{document_id}"))["version"]["notes_carry"]["status"] == "queued"

    with app.app_context():
        carry.carry_notes(first_id)  # version 2's carrying ends, and starts version 3's
    (second,) = listed(member, document_id, 2)
    (third,) = listed(member, document_id, 3)
    assert third["carried_from"] == second["id"] and second["carried_from"] == original["id"]
    assert ok(member.get(f"/documents/{document_id}"))["version"]["notes_carry"]["status"] == "done"


def test_a_drawing_on_a_page_without_text_stays_where_the_pages_are_as_many(cabinet, paper):
    member = cabinet.api(cabinet.members[0])
    document_id, _ = paper(clause(1), None, None, clause(2))
    sketch = {"version": 1, "page": 2, "kind": "ink", "paths": [[[100, 100], [300, 400]]]}
    drawn = ok(member.post(f"/documents/{document_id}/annotations", json=sketch), 201)

    paper(clause(1, 5), None, None, clause(2))  # page 2 is still a blank page: the drawing stays
    (copy,) = listed(member, document_id, 2)
    assert (copy["carried_from"], copy["page"], copy["paths"]) == (drawn["id"], 2, sketch["paths"])

    paper(clause(1, 5), None, None, None, clause(2))  # one blank page more: which one was it on?
    assert listed(member, document_id, 3) == []
    behind = ok(member.get(f"/documents/{document_id}/annotations/left-behind?version=3"))
    assert [a["carried_from"] for a in behind] == [drawn["id"]]


def test_a_carrying_that_stopped_half_way_goes_on_from_there(cabinet, paper, app, monkeypatch):
    member = cabinet.api(cabinet.members[0])
    texts = [clause(n, 1) for n in range(1, 5)]
    document_id, before = paper(*texts)
    originals = [mark(member, document_id, 1, before[n], quote=texts[n]) for n in range(4)]
    placed = carry.place
    calls = []

    def breaks_at_the_third(old, new, mark):
        calls.append(mark)
        if len(calls) == 3:
            raise RuntimeError("the worker stopped")
        return placed(old, new, mark)

    monkeypatch.setattr(carry, "BATCH", 2)
    monkeypatch.setattr(carry, "place", breaks_at_the_third)
    paper(clause(9, 2), *texts)
    progress = ok(member.get(f"/documents/{document_id}"))["version"]["notes_carry"]
    assert (progress["status"], progress["done"], progress["carried"]) == ("failed", 2, 2)
    assert len(listed(member, document_id, 2)) == 2

    result = app.test_cli_runner().invoke(args=["documents", "recarry"])
    assert result.exit_code == 0 and "1 document version" in result.output
    assert sorted(a["carried_from"] for a in listed(member, document_id, 2)) == [a["id"] for a in originals]
    progress = ok(member.get(f"/documents/{document_id}"))["version"]["notes_carry"]
    assert progress == {"status": "done", "from_version": 1, "total": 4, "done": 4, "carried": 4, "missed": 0}


def test_the_reader_of_the_new_version_is_told_while_the_notes_are_coming(cabinet, paper, app):
    member = cabinet.api(cabinet.members[0])
    document_id, before = paper(clause(1))
    mark(member, document_id, 1, before[0], quote=clause(1))
    paper(clause(1))
    with app.app_context():
        db.session.execute(update(NoteCarry).values(status="running", total=2000, done=120))
        db.session.commit()
    page = page_login(app, cabinet.members[0]).get(f"/documents/{document_id}").get_data(as_text=True)
    assert "Ghi chú của bạn trên phiên bản 1 đang được chuyển sang bản này (đã xét 120/2000)" in page
