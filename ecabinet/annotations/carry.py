"""Notes that follow a new version: each member's annotations on the previous version are copied onto
the new one where their words are found again, in a job worker after the upload has been answered.

- A text mark (highlight, underline, strike-out) is found again by its quoted words and the words
  around them, and drawn over the lines where those words now sit, on whatever page that is.
- A note on words (a note with a quote) follows its words, keeping its place beside them.
- A free mark (ink, a note or text on the page) follows the text around it, when that text is found
  again and laid out as before (its first and last characters moved alike); on a page without text,
  it stays where it was when the new version has as many pages and that page is still without text.

What cannot be placed stays on the old version only and is listed to its author (`left_behind`). A copy
records its original (`carried_from`); the originals stay untouched, so the old version still shows
them. Copies keep their owner, colour, words and sharing: private stays private.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass

import pypdfium2 as pdfium
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from ecabinet.annotations.models import Annotation, CarryMiss, NoteCarry
from ecabinet.annotations.service import TEXT_MARKS, fits_on_page
from ecabinet.audit import service as audit
from ecabinet.auth.models import User
from ecabinet.common import jobs, unit_of_work
from ecabinet.common.time import utcnow
from ecabinet.documents import storage
from ecabinet.documents.layout import Layout, Rect, searchable
from ecabinet.documents.models import Document, DocumentVersion
from ecabinet.extensions import db
from ecabinet.meetings.models import AgendaItem

CONTEXT = 40  # characters each side of a quote that tell its occurrences apart
SURE = 8  # characters of context that must agree, unless the quote is found once and is long enough
LONG_QUOTE = 16  # a quote this long found exactly once stands on its own
LAYOUT_KEPT = 1.5  # points: the text around a free mark moved as one block, within this
BATCH = 100  # annotations placed, written and reported per transaction

_QUEUE = "carry_notes"


# --- placing one annotation ------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """What placing needs of an annotation on the previous version."""

    kind: str
    page: int  # 1-based
    rects: list | None
    paths: list | None
    quote: str | None


@dataclass(frozen=True)
class Placement:
    page: int  # 1-based
    rects: list | None
    paths: list | None


def place(old: Layout, new: Layout, mark: Mark) -> list[Placement]:
    """Where `mark` goes on the new version: one placement, several when its words now run over a page
    break, none when it cannot be placed."""
    page = mark.page - 1
    if not 0 <= page < old.page_count:
        return []
    if mark.kind in TEXT_MARKS or (mark.kind == "note" and mark.quote):
        anchor = _words_under(old, page, mark)
        found = anchor and _find_again(old, new, *anchor)
        if not found:
            return []
        if mark.kind in TEXT_MARKS:
            return [
                Placement(p + 1, [list(r) for r in rects], None) for p, rects in new.boxes(*found) if rects
            ]
        return [_moved_with(old, new, mark, anchor[0], found[0])]
    return _free(old, new, mark, page)


def _words_under(old: Layout, page: int, mark: Mark) -> tuple[int, int] | None:
    """The characters [start, end) of the old version that the mark is about: its quote where the page
    has it (the occurrence nearest the mark), else the characters under a text mark's rectangles."""
    quote = searchable(mark.quote or "")
    hits = old.find_all(quote, *old.page_span(page)) if quote else []
    if len(hits) == 1:
        return hits[0], hits[0] + len(quote)
    under = old.under(page, mark.rects) if mark.kind in TEXT_MARKS and mark.rects else None
    if hits:
        if under is not None:
            at = min(hits, key=lambda h: abs(h - under[0]))
        else:
            x, y = _corner(mark)
            at = min(hits, key=lambda h: _distance(old.char_box(h)[1], x, y))
        return at, at + len(quote)
    return under


def _find_again(old: Layout, new: Layout, start: int, end: int) -> tuple[int, int] | None:
    """The same words in the new version: the occurrence whose surroundings agree best with the old
    ones, nearest the same place in the document among equals; None when unsure."""
    words = old.text[start:end]
    before, after = old.text[max(0, start - CONTEXT) : start], old.text[end : end + CONTEXT]
    # Most words stand where they stood, among the same words: found with all their context at once.
    whole = new.find_all(before + words + after, most=2)
    if len(whole) == 1:
        return whole[0] + len(before), whole[0] + len(before) + len(words)
    hits = new.find_all(words)
    if not hits:
        return None
    before = before[::-1]
    where = start / len(old.text)

    def agreement(at: int) -> int:
        then = new.text[max(0, at - CONTEXT) : at][::-1]
        next_ = new.text[at + len(words) : at + len(words) + CONTEXT]
        return len(os.path.commonprefix([before, then])) + len(os.path.commonprefix([after, next_]))

    best = max(hits, key=lambda at: (agreement(at), -abs(at / len(new.text) - where)))
    if agreement(best) < SURE and not (len(hits) == 1 and len(words) >= LONG_QUOTE):
        return None
    return best, best + len(words)


def _moved_with(old: Layout, new: Layout, mark: Mark, old_at: int, new_at: int) -> Placement:
    """The mark moved as the character at `old_at` moved to `new_at`."""
    _, was = old.char_box(old_at)
    page, now = new.char_box(new_at)
    return _shifted(mark, page + 1, now[0] - was[0], now[1] - was[1])


def _free(old: Layout, new: Layout, mark: Mark, page: int) -> list[Placement]:
    lines = old.lines(page)
    if not lines:
        start, end = new.page_span(page) if page < new.page_count else (0, 1)
        same_pages = new.page_count == old.page_count and start == end
        return [_shifted(mark, page + 1, 0, 0)] if same_pages else []
    box = _bounds(mark)
    # Every line beside the mark, then the nearest ones until there is enough text to be sure of.
    nearest = sorted(lines, key=lambda line: _gap(line.box, box))
    around, length = [], 0
    for line in nearest:
        if length >= CONTEXT and _gap(line.box, box) > 0:
            break
        around.append(line)
        length += line.end - line.start
    start, end = min(line.start for line in around), max(line.end for line in around)
    found = _find_again(old, new, start, end)
    if not found:
        return []
    (first_page, first), (last_page, last) = new.char_box(found[0]), new.char_box(found[1] - 1)
    _, was_first = old.char_box(start)
    _, was_last = old.char_box(end - 1)
    dx, dy = first[0] - was_first[0], first[1] - was_first[1]
    kept = abs(last[0] - was_last[0] - dx) <= LAYOUT_KEPT and abs(last[1] - was_last[1] - dy) <= LAYOUT_KEPT
    if first_page != last_page or not kept:
        return []
    return [_shifted(mark, first_page + 1, dx, dy)]


def _shifted(mark: Mark, page: int, dx: float, dy: float) -> Placement:
    rects = [[x0 + dx, y0 + dy, x1 + dx, y1 + dy] for x0, y0, x1, y1 in mark.rects] if mark.rects else None
    paths = [[[x + dx, y + dy] for x, y in path] for path in mark.paths] if mark.paths else None
    return Placement(page, rects, paths)


def _bounds(mark: Mark) -> Rect:
    if mark.rects:
        xs = [v for r in mark.rects for v in (r[0], r[2])]
        ys = [v for r in mark.rects for v in (r[1], r[3])]
    else:
        xs = [x for path in mark.paths or [] for x, _ in path]
        ys = [y for path in mark.paths or [] for _, y in path]
    return (min(xs), min(ys), max(xs), max(ys))


def _corner(mark: Mark) -> tuple[float, float]:
    x0, _, _, y1 = _bounds(mark)
    return x0, y1


def _distance(box: Rect, x: float, y: float) -> float:
    return abs(box[0] - x) + abs(box[3] - y)


def _gap(a: Rect, b: Rect) -> float:
    """The vertical distance between two boxes (0 where they overlap)."""
    return max(0.0, a[1] - b[3], b[1] - a[3])


# --- after a new version --------------------------------------------------------------------


def queue_carry(version: DocumentVersion) -> None:
    """The members' notes on the version before, carried onto this new one by a job after the commit
    (`documents.on_version_added`)."""
    previous = version.document.version(version.number - 1)
    if previous is None:
        return
    total = db.session.scalar(select(func.count()).where(Annotation.version_id == previous.id))
    # The previous version may still be receiving notes from the one before: they will follow too.
    incoming = previous.note_carry is not None and previous.note_carry.status in ("queued", "running")
    if not total and not incoming:
        return
    carry = NoteCarry(version=version, from_version=previous, total=total)
    db.session.add(carry)
    db.session.flush()
    unit_of_work.queue(db.session(), _QUEUE, carry.id)


def start_carrying(session: Session) -> None:
    for carry_id in unit_of_work.take(session, _QUEUE):
        jobs.start(_carry_or_mark_failed, carry_id)


@jobs.job(writes=True)
def _carry_or_mark_failed(carry_id: int) -> None:
    try:
        carry_notes(carry_id)
    except Exception:
        db.session.rollback()
        db.session.execute(
            update(NoteCarry).where(NoteCarry.id == carry_id).values(status="failed", finished_at=utcnow())
        )
        db.session.commit()
        raise


def carry_notes(carry_id: int) -> None:
    """Place every annotation of the previous version on the new one, reporting progress as it goes."""
    carry = db.session.get(NoteCarry, carry_id)
    if carry is None or carry.status != "queued":
        return
    earlier = carry.from_version.note_carry
    if earlier is not None and earlier.status in ("queued", "running"):
        # The previous version is still receiving its own carried notes: they come along too, once
        # that job is done (it starts this one as it finishes).
        return
    old_path, new_path = storage.file_path(carry.from_version), storage.file_path(carry.version)
    boxes, version_id = carry.version.page_boxes, carry.version_id
    originals = db.session.execute(
        select(Annotation.__table__)
        .where(Annotation.version_id == carry.from_version_id)
        .order_by(Annotation.page, Annotation.id)  # page by page: few pages are opened twice (layout.py)
    ).all()
    # A carrying that stopped half-way (`resume_unfinished`) goes on from where it stopped: what it
    # wrote was committed with its counts, batch by batch.
    handled = set(
        db.session.scalars(
            select(Annotation.carried_from_id).where(
                Annotation.version_id == version_id, Annotation.carried_from_id.is_not(None)
            )
        )
    ) | set(db.session.scalars(select(CarryMiss.annotation_id).where(CarryMiss.carry_id == carry_id)))
    total, originals = len(originals), [o for o in originals if o.id not in handled]
    db.session.execute(
        update(NoteCarry)
        .where(NoteCarry.id == carry_id)
        .values(status="running", started_at=utcnow(), total=total, done=NoteCarry.carried + NoteCarry.missed)
    )
    db.session.commit()  # the secretariat sees it running; no transaction stays open while PDFs are read
    per_member: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    with Layout(old_path) as old, Layout(new_path) as new:
        for at in range(0, len(originals), BATCH):
            looked_at = originals[at : at + BATCH]
            copies, misses = [], []
            # A member may have deleted one meanwhile (their tablet was on the old version): gone is gone.
            ids = [original.id for original in looked_at]
            kept = set(db.session.scalars(select(Annotation.id).where(Annotation.id.in_(ids))))
            batch = [original for original in looked_at if original.id in kept]
            for original in batch:
                mark = Mark(original.kind, original.page, original.rects, original.paths, original.quote)
                placements = [
                    p
                    for p in _placed(old, new, mark)
                    if p.page <= len(boxes) and fits_on_page(boxes[p.page - 1], p.rects, p.paths)
                ]
                copies += [_copy(original, version_id, p) for p in placements]
                if not placements:
                    misses.append({"carry_id": carry_id, "annotation_id": original.id})
                per_member[original.user_id][0 if placements else 1] += 1
            if copies:
                db.session.execute(insert(Annotation), copies)
            if misses:
                db.session.execute(insert(CarryMiss), misses)
            db.session.execute(
                update(NoteCarry)
                .where(NoteCarry.id == carry_id)
                .values(
                    done=NoteCarry.done + len(looked_at),
                    carried=NoteCarry.carried + len(batch) - len(misses),
                    missed=NoteCarry.missed + len(misses),
                )
            )
            db.session.commit()
    _finish(carry_id, per_member)


def _placed(old: Layout, new: Layout, mark: Mark) -> list[Placement]:
    try:
        return place(old, new, mark)
    except pdfium.PdfiumError:  # a page PDFium cannot read places nothing; the rest go on
        return []


def _copy(original, version_id: int, placement: Placement) -> dict:
    return {
        "document_id": original.document_id,
        "version_id": version_id,
        "user_id": original.user_id,
        "page": placement.page,
        "kind": original.kind,
        "rects": placement.rects,
        "paths": placement.paths,
        "color": original.color,
        "text": original.text,
        "quote": original.quote,
        "shared": original.shared,
        "carried_from_id": original.id,
        # The same note, on another version: written when its author wrote it.
        "created_at": original.created_at,
        "updated_at": original.updated_at,
    }


def _finish(carry_id: int, per_member: dict[int, list[int]]) -> None:
    carry = db.session.get(NoteCarry, carry_id)
    carry.status, carry.finished_at = "done", utcnow()
    version = carry.version
    # Who carried what, never the notes' words.
    audit.record(
        version.uploaded_by,
        "annotation.carried",
        carry,
        {
            "document_id": version.document_id,
            "from_version": carry.from_version.number,
            "version": version.number,
            "carried": carry.carried,
            "missed": carry.missed,
            "members": {str(user_id): {"carried": c, "missed": m} for user_id, (c, m) in per_member.items()},
        },
    )
    following = db.session.scalars(
        select(NoteCarry.id).where(NoteCarry.from_version_id == version.id, NoteCarry.status == "queued")
    ).all()
    db.session.commit()
    for carry_id in following:
        jobs.start(_carry_or_mark_failed, carry_id)


def resume_unfinished() -> int:
    """Carry on every carrying that did not finish (its worker stopped, or it failed), oldest version
    first; run while no job worker is carrying. How many there were."""
    ids = list(
        db.session.scalars(
            select(NoteCarry.id).where(NoteCarry.status != "done").order_by(NoteCarry.version_id)
        )
    )
    for carry_id in ids:
        db.session.execute(update(NoteCarry).where(NoteCarry.id == carry_id).values(status="queued"))
        db.session.commit()
        carry_notes(carry_id)
    return len(ids)


# --- what the member is shown ---------------------------------------------------------------


def left_behind(user: User, version: DocumentVersion) -> list[Annotation]:
    """The user's annotations of the previous version that were not found in `version`."""
    return list(
        db.session.scalars(
            select(Annotation)
            .join(CarryMiss, CarryMiss.annotation_id == Annotation.id)
            .join(NoteCarry, NoteCarry.id == CarryMiss.carry_id)
            .where(NoteCarry.version_id == version.id, Annotation.user_id == user.id)
            .order_by(Annotation.page, Annotation.id)
        )
    )


def left_behind_counts(user: User, meeting_id: int) -> dict[int, int]:
    """For each document of the meeting whose latest version left some of the user's notes behind,
    how many: the meeting page points the member to them."""
    rows = db.session.execute(
        select(Annotation.document_id, NoteCarry.version_id, func.count())
        .join(CarryMiss, CarryMiss.annotation_id == Annotation.id)
        .join(NoteCarry, NoteCarry.id == CarryMiss.carry_id)
        .join(Document, Document.id == Annotation.document_id)
        .join(AgendaItem, AgendaItem.id == Document.agenda_item_id)
        .where(AgendaItem.meeting_id == meeting_id, Annotation.user_id == user.id)
        .group_by(Annotation.document_id, NoteCarry.version_id)
    ).all()
    if not rows:
        return {}
    latest = dict(
        db.session.execute(
            select(DocumentVersion.document_id, func.max(DocumentVersion.id))
            .where(DocumentVersion.document_id.in_({row[0] for row in rows}))
            .group_by(DocumentVersion.document_id)
        ).all()
    )
    return {
        document_id: count for document_id, version_id, count in rows if latest[document_id] == version_id
    }
