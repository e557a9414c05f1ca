"""Carrying 2,000 members' annotations onto a new 300-page version of a document.

    .venv/bin/python bench/carry.py [--quick] [--pages 300] [--annotations 2000] [--rounds 3]

Version 1 is a 300-page draft of numbered paragraphs (ecabinet's fpdf2 setup, Vietnamese text).
Twenty members mark 2,000 places in it, in a reader's usual mix: highlights, underlines and
strike-outs over whole paragraphs (with their quotes), notes on words, pen strokes and notes beside
the text. Version 2 inserts a paragraph after every tenth (so everything moves down and most marks
change page), rewords one paragraph in twenty and drops one in a hundred.

The upload of version 2 runs the carrying job in place (as outside a server process), timed from
the job's own start and finish. Then the job is run again `--rounds` times on the same data (its
copies removed in between), timed in CPU seconds of this process (one core) and wall-clock seconds,
with how much of it went to reading the two versions' text with positions (documents.layout).
The goal: under 5 s of one core for 2,000 annotations over 300 pages.
"""

from __future__ import annotations

import argparse
import io
import random
import time

import harness

from tests.pdfs import laid_out_pdf


def paragraph(n: int, reworded: bool = False) -> str:
    verb = (
        "được điều chỉnh lại theo đề nghị của Bộ Tài chính" if reworded else "do Chính phủ quy định chi tiết"
    )
    return (
        f"Điều {n}. Việc giao đất, cho thuê đất đối với dự án số {n} {verb}; Ủy ban nhân dân cấp tỉnh "
        f"tổ chức thực hiện và báo cáo kết quả trước ngày {1 + n % 28} hằng tháng theo mẫu số {n * 3 + 1}."
    )


def versions(pages: int) -> tuple[list[str], tuple[bytes, list], bytes]:
    """Version 1's paragraphs, version 1 (its bytes and where each paragraph went) and version 2."""
    count = pages * 8  # about eight paragraphs of three lines on a page
    first = [paragraph(n) for n in range(1, count + 1)]
    second = []
    for n, text in enumerate(first, start=1):
        if n % 100 == 50:
            continue  # dropped
        second.append(paragraph(n, reworded=True) if n % 20 == 7 else text)
        if n % 10 == 0:
            second.append(f"Bổ sung sau Điều {n}: nội dung mới được thêm vào dự thảo lần hai, mục {n}.")
    return first, laid_out_pdf(*first), laid_out_pdf(*second)[0]


def annotations(first: list[str], where: list, members: list, count: int, rng: random.Random) -> list[dict]:
    """What the members saved on version 1, as the tablets send it."""
    out = []
    for n in range(count):
        index = rng.randrange(len(first))
        spots = where[index]
        page, (x0, y0, x1, y1) = spots[0]
        kind = rng.choices(
            ["highlight", "underline", "strikeout", "ink", "note", "freetext"], weights=[40, 15, 5, 20, 15, 5]
        )[0]
        mark = {"user_id": members[n % len(members)].id, "page": page, "kind": kind, "color": "#FFD54F"}
        if kind in ("highlight", "underline", "strikeout"):
            mark.update(rects=[box for p, box in spots if p == page], quote=first[index])
        elif kind == "ink":
            mark["paths"] = [[[x0 + 5 * i, y0 - 3 + (i % 3)] for i in range(rng.randint(10, 40))]]
        elif kind == "note":
            mark.update(
                rects=[[520, y0, 540, y1]],
                text="Đề nghị làm rõ nguồn kinh phí.",
                quote=f"dự án số {index + 1}",
            )
        else:
            mark.update(rects=[[x1 - 60, y0 - 14, x1, y0 - 2]], text="Đồng ý")
        out.append(mark)
    return out


def run(pages: int, count: int, rounds: int, work) -> None:
    from sqlalchemy import delete, update

    from ecabinet.annotations import carry
    from ecabinet.annotations.models import Annotation, CarryMiss, NoteCarry
    from ecabinet.documents import layout, storage
    from ecabinet.documents import service as documents
    from ecabinet.extensions import db

    started = time.perf_counter()
    first, (v1, where), v2 = versions(pages)
    made_s = time.perf_counter() - started
    app = harness.make_app(f"sqlite:///{work / 'ecabinet.db'}", str(work / "storage"))
    harness.fresh_schema(app)
    rng = random.Random(2026)
    with app.app_context():
        secretariat = harness.make_users("vpcp", 1, ("secretariat",))[0]
        members = harness.make_users("member", 20)
        db.session.commit()
        meeting = harness.make_meeting(secretariat, members, status="published")
        from ecabinet.meetings import service as meetings

        item = meetings.add_item(secretariat, meeting.id, title="Dự thảo Nghị định (benchmark)")
        db.session.commit()
        document = harness.upload(secretariat, item.id, v1, "Dự thảo")
        version_1 = document.latest
        db.session.add_all(
            Annotation(document_id=document.id, version_id=version_1.id, **mark)
            for mark in annotations(first, where, members, count, rng)
        )
        db.session.commit()
        upload_started, upload_cpu_started = time.perf_counter(), time.process_time()
        version_2 = documents.add_version(secretariat, document.id, io.BytesIO(v2), "du-thao-2.pdf")
        db.session.commit()  # the text index and the carrying run here, in place, one after the other
        upload_s = time.perf_counter() - upload_started
        upload_cpu = time.process_time() - upload_cpu_started
        note_carry = db.session.get(NoteCarry, version_2.note_carry.id)
        first_run = (note_carry.finished_at - note_carry.started_at).total_seconds()
        carry_id, version_2_id = note_carry.id, version_2.id
        old_path, new_path = storage.file_path(version_1), storage.file_path(version_2)
        print(
            f"  version 1: {version_1.page_count} pages, version 2: {version_2.page_count} pages "
            f"(made in {made_s:.1f} s); {count} annotations by {len(members)} members"
        )
        print(
            f"  in the upload's job: {note_carry.carried} carried, {note_carry.missed} not found; "
            f"{first_run:.2f} s wall (the whole upload with its text index: {upload_s:.2f} s wall, "
            f"{upload_cpu:.2f} s CPU)"
        )
        cpu, wall = [], []
        for _ in range(rounds):
            db.session.execute(delete(Annotation).where(Annotation.version_id == version_2_id))
            db.session.execute(delete(CarryMiss).where(CarryMiss.carry_id == carry_id))
            db.session.execute(update(NoteCarry).where(NoteCarry.id == carry_id).values(status="queued"))
            db.session.commit()
            cpu_started, wall_started = time.process_time(), time.perf_counter()
            carry.carry_notes(carry_id)
            cpu.append(time.process_time() - cpu_started)
            wall.append(time.perf_counter() - wall_started)
        reading_started = time.process_time()
        with layout.Layout(old_path), layout.Layout(new_path):
            pass
        reading = time.process_time() - reading_started
    print(
        f"  carrying, {rounds} round(s): CPU {min(cpu):.2f} s best, {max(cpu):.2f} s worst; "
        f"wall {min(wall):.2f} s best, {max(wall):.2f} s worst"
    )
    print(f"    of which reading both versions' text with positions: {reading:.2f} s CPU")
    print(f"  goal: under 5 s of one core — {'met' if min(cpu) < 5 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="60 pages, 400 annotations, one round")
    parser.add_argument("--pages", type=int, help="pages of version 1 (default 300)")
    parser.add_argument("--annotations", type=int, help="annotations on version 1 (default 2000)")
    parser.add_argument("--rounds", type=int, help="timed runs of the carrying (default 3)")
    args = parser.parse_args()
    pages = args.pages or (60 if args.quick else 300)
    count = args.annotations or (400 if args.quick else 2000)
    rounds = args.rounds or (1 if args.quick else 3)
    if not args.quick:
        harness.wait_for_quiet()
    harness.print_machine(
        {"mode": "quick" if args.quick else "full", "pages": str(pages), "annotations": str(count)}
    )
    with harness.workdir("carry") as work:
        run(pages, count, rounds, work)


if __name__ == "__main__":
    main()
