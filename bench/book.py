"""The meeting book and the per-member watermark: ecabinet (pypdf) beside pikepdf doing the same work.

    .venv/bin/python bench/book.py [--quick] [--reps N] [--profile] [--keep]

Two sets of 50 documents totalling 2,000 pages are generated: *light* (text pages, fpdf2 with the
embedded DejaVu fonts) and *heavy* (a scanned-looking full-page grayscale JPEG under a text layer in
two embedded fonts, like an OCR'd scan). They are uploaded through ecabinet's services into a
temporary SQLite database. Each measurement then runs in a fresh child process, which reports its
wall time and its peak RSS (the kernel's high-water mark, reset just before the timed work):

  (a) ecabinet's `book_for` building the book (cache folder deleted first);
  (b) pikepdf building the same book: the same cover, the same PDFs, an outline entry per item and
      per document, page labels, the same "n / N" page numbers, written to a file;
  (c) the watermark of one 300-page document for one member: ecabinet's `download_for` (one shared
      Form XObject), beside pikepdf's `Page.add_overlay` of one Form XObject made once;
  (d) the cached repeat of `book_for` (a fresh database session each time, as in a request).

--profile (or a missed goal) runs the ecabinet side again under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import harness

GOAL_BOOK_RATIO = 1.3
GOAL_STAMP_RATIO = 1.5
GOAL_CACHED_MS = 20.0
SETS = ("light", "heavy")

SAMPLE_TEXT = (
    "Chính phủ ban hành nghị định quy định chi tiết một số điều của luật đất đai về bồi thường hỗ trợ "
    "tái định cư khi Nhà nước thu hồi đất các bộ ngành địa phương có trách nhiệm tổ chức thực hiện "
    "báo cáo tình hình kinh tế xã hội tháng mười một và mười một tháng năm hai nghìn không trăm hai "
    "mươi sáu ngân sách nhà nước đầu tư công giải ngân vốn chương trình mục tiêu quốc gia"
)
WORDS = SAMPLE_TEXT.split()


# --- the documents -------------------------------------------------------------------------------


def page_counts(documents: int, pages: int, rng: random.Random) -> list[int]:
    """`documents` sizes that add up to `pages`, uneven as real agenda papers are."""
    weights = [rng.uniform(0.2, 2.0) for _ in range(documents)]
    scale = (pages - 2 * documents) / sum(weights)
    counts = [2 + int(w * scale) for w in weights]
    for i in range(pages - sum(counts)):
        counts[i % documents] += 1
    return counts


def _paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def light_pdf(pages: int, title: str, seed: int) -> bytes:
    from ecabinet.common.pdfgen import new_document, to_bytes

    rng = random.Random(seed)
    pdf = new_document()
    pdf.set_auto_page_break(False)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Serif", "B", 13)
        pdf.cell(0, 20, f"{title} — trang {number}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Serif", "", 11)
        pdf.multi_cell(0, 15, "\n\n".join(_paragraph(rng, 60) for _ in range(4)))
    return to_bytes(pdf)


class ScanMaker:
    """Scanned-looking grayscale pages (100 dpi A4, ~110 KB JPEG): paper noise and lines of ink."""

    def __init__(self, seed: int):
        from PIL import Image, ImageFilter

        self.size = (827, 1169)
        self.rng = random.Random(seed)
        paper = Image.new("L", self.size, 235)
        self.bases = [
            Image.blend(paper, Image.effect_noise(self.size, 40).filter(ImageFilter.GaussianBlur(0.6)), 0.35)
            for _ in range(4)
        ]

    def page(self) -> bytes:
        from PIL import ImageDraw

        image = self.rng.choice(self.bases).copy()
        draw = ImageDraw.Draw(image)
        width, height = self.size
        for y in range(100, height - 100, 25):
            x = 80
            while x < width - 80:
                word = self.rng.randint(15, 75)
                draw.rectangle([x, y, min(x + word, width - 80), y + 11], fill=self.rng.randint(20, 70))
                x += word + 10
        out = io.BytesIO()
        image.save(out, "JPEG", quality=50)
        return out.getvalue()


def heavy_pdf(pages: int, title: str, seed: int, scans: ScanMaker) -> bytes:
    from ecabinet.common.pdfgen import new_document, to_bytes

    rng = random.Random(seed)
    pdf = new_document()
    pdf.set_auto_page_break(False)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.image(io.BytesIO(scans.page()), x=0, y=0, w=pdf.w, h=pdf.h)
        pdf.set_font("Sans", "B", 12)
        pdf.cell(0, 18, f"{title} — trang {number}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Serif", "", 10)
        pdf.multi_cell(0, 13, _paragraph(rng, 90))
    return to_bytes(pdf)


def make_pdf(pages: int, title: str, seed: int, scans: ScanMaker | None) -> bytes:
    return heavy_pdf(pages, title, seed, scans) if scans else light_pdf(pages, title, seed)


def generate(root: Path, quick: bool) -> dict:
    """Both sets and a stamping document per set; returns their manifest (titles, paths, pages)."""
    documents, pages, stamp_pages, items = (6, 60, 20, 3) if quick else (50, 2000, 300, 20)
    manifest: dict = {}
    for kind in SETS:
        started = time.perf_counter()
        rng = random.Random(kind)
        scans = ScanMaker(seed=len(kind)) if kind == "heavy" else None
        folder = root / kind
        folder.mkdir(parents=True)

        counts = page_counts(documents, pages, rng)
        owners = sorted(list(range(items)) + [rng.randrange(items) for _ in range(documents - items)])
        agenda = [
            {"title": f"Nội dung {n + 1}: {' '.join(rng.choice(WORDS) for _ in range(6))}", "documents": []}
            for n in range(items)
        ]
        for index, (count, owner) in enumerate(zip(counts, owners, strict=True)):
            title = f"Tài liệu {index + 1:02d} ({kind})"
            path = folder / f"doc-{index + 1:02d}.pdf"
            path.write_bytes(make_pdf(count, title, index, scans))
            agenda[owner]["documents"].append({"title": title, "path": str(path), "pages": count})
        stamp_path = folder / "stamp.pdf"
        stamp_path.write_bytes(make_pdf(stamp_pages, f"Tờ trình {stamp_pages} trang ({kind})", 999, scans))
        size = sum(p.stat().st_size for p in folder.glob("doc-*.pdf"))
        manifest[kind] = {
            "agenda": agenda,
            "pages": sum(counts),
            "documents": documents,
            "bytes": size,
            "stamp": {"path": str(stamp_path), "pages": stamp_pages, "bytes": stamp_path.stat().st_size},
            "generated_s": time.perf_counter() - started,
        }
        print(
            f"  {kind}: {documents} documents, {sum(counts)} pages, {size / 2**20:.1f} MiB; "
            f"stamp document {stamp_pages} pages, {stamp_path.stat().st_size / 2**20:.1f} MiB "
            f"({time.perf_counter() - started:.1f} s to generate)",
            flush=True,
        )
    return manifest


# --- the cabinet in ecabinet's database ---------------------------------------------------------


def load_into_ecabinet(work: Path, manifest: dict) -> dict:
    from ecabinet.auth import service as auth
    from ecabinet.documents import service as documents
    from ecabinet.extensions import db
    from ecabinet.meetings import service as meetings

    state = {
        "database_url": f"sqlite:///{work / 'ecabinet.db'}",
        "storage": str(work / "storage"),
        "sets": {},
    }
    app = harness.make_app(state["database_url"], state["storage"])
    harness.fresh_schema(app)
    started = time.perf_counter()
    with app.app_context():
        secretariat = harness.make_users("vpcp", 1, ("secretariat",))[0]
        member, chair = harness.make_users("member", 2)
        db.session.commit()
        state["member_id"] = member.id
        state["token"] = auth.issue_token(member, 1)
        for kind in SETS:
            meeting = harness.make_meeting(
                secretariat,
                [member, chair],
                status="published",
                chair_id=chair.id,
                title=f"Phiên họp Chính phủ thường kỳ tháng 11/2026 ({kind})",
            )
            for entry in manifest[kind]["agenda"]:
                item = meetings.add_item(
                    secretariat, meeting.id, title=entry["title"], presenter="Bộ trưởng Bộ Tài chính"
                )
                db.session.commit()
                for doc in entry["documents"]:
                    with open(doc["path"], "rb") as stream:
                        documents.upload_document(
                            secretariat, item.id, stream, Path(doc["path"]).name, doc["title"]
                        )
                    db.session.commit()  # the text is extracted in place, after the commit
            stamped = harness.make_meeting(
                secretariat, [member, chair], status="published", chair_id=chair.id, watermark="all"
            )
            item = meetings.add_item(secretariat, stamped.id, title="Tờ trình dài")
            with open(manifest[kind]["stamp"]["path"], "rb") as stream:
                document = documents.upload_document(secretariat, item.id, stream, "to-trinh.pdf", "Tờ trình")
            db.session.commit()
            state["sets"][kind] = {
                "meeting_id": meeting.id,
                "meeting_title": meeting.title,
                "stamp_version_id": document.latest.id,
            }
    print(f"  uploaded through ecabinet's services in {time.perf_counter() - started:.1f} s", flush=True)
    return state


# --- the measured work (run in child processes) -------------------------------------------------


def _status_kib(key: str) -> int:
    return int(harness.process_status()[key].split()[0])


def warm_up() -> None:
    """Load what both sides use lazily (fpdf2's font subsetting, pikepdf, pypdf's writer) before the
    clock starts, so neither side's time holds the other's imports."""
    import pikepdf  # noqa: F401
    from pypdf import PdfWriter  # noqa: F401

    from ecabinet.common.pdfgen import new_document, to_bytes

    pdf = new_document()
    pdf.add_page()
    for family, style in (("Serif", ""), ("Serif", "B"), ("Serif", "I"), ("Sans", "B")):
        pdf.set_font(family, style, 12)
        pdf.cell(0, 14, "Khởi động", new_x="LMARGIN", new_y="NEXT")
    to_bytes(pdf)


def measured(fn) -> dict:
    """Run fn once: wall time, CPU time (user + system: what the other users of a shared machine
    disturb least), and the peak RSS reached during it (VmHWM reset just before)."""
    # Start from a collected heap: creating the app leaves a full collection of its ~235,000
    # objects due (0.12-0.14 s here), and it fell inside whichever timed work came first. A worker
    # pays it once after starting, not once per book; what the work itself makes the collector
    # do is still timed.
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    before = _status_kib("VmRSS")
    cpu_before = time.process_time()
    started = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    peak = _status_kib("VmHWM")
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mib": peak / 1024,
        "added_rss_mib": (peak - before) / 1024,
        "peak_reset": reset,
        "result": result,
    }


def _profiled(fn, label: str):
    wall, report = harness.profiled(
        fn,
        top=18,
        cumulative=(
            r"ecabinet|pypdf/_writer|pypdf/_page|pypdf/generic|fpdf/fpdf|sqlalchemy/orm/(session|loading|strategies)",
            22,
        ),
    )
    print(f"### cProfile of {label} ({wall:.2f} s under the profiler)")
    print(report)


def child_ecabinet_book(state: dict, kind: str, profile: bool) -> dict:
    import shutil

    from ecabinet.auth.models import User
    from ecabinet.documents.exports import book_for
    from ecabinet.extensions import db

    app = harness.make_app(state["database_url"], state["storage"])
    with app.app_context():
        user = db.session.get(User, state["member_id"])
        shutil.rmtree(Path(state["storage"]) / "cache", ignore_errors=True)
        meeting_id = state["sets"][kind]["meeting_id"]
        if profile:
            _profiled(lambda: book_for(user, meeting_id), f"ecabinet book_for ({kind})")
            return {}
        out = measured(lambda: str(book_for(user, meeting_id)))
    out["output_bytes"] = Path(out["result"]).stat().st_size
    out["pages"] = _page_count(out.pop("result"))
    return out


def _cover(title: str, agenda: list[dict]) -> bytes:
    """A cover and agenda page like ecabinet's front matter, made with the same fpdf2 setup."""
    from ecabinet.common.pdfgen import new_document, to_bytes

    pdf = new_document()
    pdf.add_page()
    pdf.set_font("Serif", "B", 13)
    pdf.cell(0, 18, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 18, "Độc lập - Tự do - Hạnh phúc", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(90)
    pdf.set_font("Serif", "B", 22)
    pdf.multi_cell(0, 30, "TÀI LIỆU PHIÊN HỌP", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Serif", "B", 16)
    pdf.multi_cell(0, 24, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Serif", "B", 16)
    pdf.cell(0, 26, "CHƯƠNG TRÌNH HỌP", align="C", new_x="LMARGIN", new_y="NEXT")
    for number, entry in enumerate(agenda, start=1):
        pdf.set_font("Serif", "B", 12)
        pdf.multi_cell(0, 17, f"{number}. {entry['title']}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Serif", "I", 10.5)
        pdf.multi_cell(0, 15, f"Tài liệu: {len(entry['documents'])}", new_x="LMARGIN", new_y="NEXT")
    return to_bytes(pdf)


def pikepdf_book(title: str, agenda: list[dict], target: Path) -> None:
    import pikepdf
    from pikepdf import Array, Dictionary, Name, OutlineItem

    pdf = pikepdf.new()
    sources = [pikepdf.open(io.BytesIO(_cover(title, agenda)))]
    pdf.pages.extend(sources[0].pages)
    front = len(pdf.pages)
    with pdf.open_outline() as outline:
        outline.root.append(OutlineItem("Bìa và chương trình họp", 0))
        for number, entry in enumerate(agenda, start=1):
            parent = OutlineItem(f"{number}. {entry['title']}", len(pdf.pages))
            for doc in entry["documents"]:
                source = pikepdf.open(doc["path"])
                sources.append(source)  # pikepdf copies lazily: sources stay open until save
                parent.children.append(OutlineItem(doc["title"], len(pdf.pages)))
                pdf.pages.extend(source.pages)
            outline.root.append(parent)
    pdf.Root.PageLabels = pdf.make_indirect(
        Dictionary(Nums=Array([0, Dictionary(S=Name.r, St=1), front, Dictionary(S=Name.D, St=1)]))
    )
    font = pdf.make_indirect(
        Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding)
    )
    body = len(pdf.pages) - front
    for index, page in enumerate(pdf.pages[front:], start=1):
        label = f"{index} / {body}"
        box = page.mediabox
        x = float(box[0]) + (float(box[2]) - float(box[0])) / 2 - len(label) * 2.5
        y = float(box[1]) + 14
        page.add_resource(font, Name.Font, Name.ECPN)
        page.contents_add(b"q\n", prepend=True)
        page.contents_add(
            f"Q\nq BT /ECPN 9 Tf 0.35 g {x:.2f} {y:.2f} Td ({label}) Tj ET Q\n".encode(), prepend=False
        )
    pdf.docinfo[Name.Title] = title
    pdf.docinfo[Name.Creator] = "bench"
    pdf.Root.PageMode = Name.UseOutlines
    pdf.save(target)
    for source in sources:
        source.close()


def child_pikepdf_book(state: dict, manifest: dict, kind: str) -> dict:
    target = Path(state["storage"]) / f"pikepdf-book-{kind}.pdf"
    title = state["sets"][kind]["meeting_title"]
    out = measured(lambda: pikepdf_book(title, manifest[kind]["agenda"], target))
    out.pop("result")
    out["output_bytes"] = target.stat().st_size
    out["pages"] = _page_count(target)
    return out


def child_ecabinet_stamp(state: dict, kind: str, profile: bool) -> dict:
    import shutil

    from ecabinet.auth.models import User
    from ecabinet.documents.exports import download_for
    from ecabinet.documents.models import DocumentVersion
    from ecabinet.extensions import db

    app = harness.make_app(state["database_url"], state["storage"])
    with app.app_context():
        user = db.session.get(User, state["member_id"])
        version = db.session.get(DocumentVersion, state["sets"][kind]["stamp_version_id"])
        shutil.rmtree(Path(state["storage"]) / "cache", ignore_errors=True)
        if profile:
            _profiled(lambda: download_for(user, version), f"ecabinet download_for ({kind})")
            return {}
        out = measured(lambda: str(download_for(user, version)))
        db.session.rollback()  # the download's audit entry stays unwritten
    out["output_bytes"] = Path(out["result"]).stat().st_size
    out["pages"] = _page_count(out.pop("result"))
    return out


def child_pikepdf_stamp(state: dict, manifest: dict, kind: str, lean: bool) -> dict:
    """The same watermark text drawn by ecabinet's own overlay maker, placed by pikepdf.

    add_overlay (the library's way) places one shared Form XObject on each page and coalesces the
    page's content streams; `lean` adds the same few bytes per page without coalescing, as ecabinet does.
    """
    import pikepdf
    from pikepdf import Name, Page, Rectangle

    from ecabinet.documents.stamping import _overlay_pdf

    source = manifest[kind]["stamp"]["path"]
    target = Path(state["storage"]) / f"pikepdf-stamp-{kind}.pdf"

    def stamp() -> None:
        text = "Bản của Thành viên member 0001 — 25/11/2026 10:00"
        pdf = pikepdf.open(source)
        overlay = pikepdf.open(io.BytesIO(_overlay_pdf(text)))
        form = pdf.copy_foreign(Page(overlay.pages[0]).as_form_xobject())
        for page in pdf.pages:
            if lean:
                name = page.add_resource(form, Name.XObject, Name.ECWM)
                placement = page.calc_form_xobject_placement(
                    form, name, Rectangle(page.mediabox), allow_expand=True
                )
                page.contents_add(b"q\n", prepend=True)
                page.contents_add(b"Q\n" + placement, prepend=False)
            else:
                page.add_overlay(form)
        pdf.save(target)
        pdf.close()
        overlay.close()

    out = measured(stamp)
    out.pop("result")
    out["output_bytes"] = target.stat().st_size
    out["pages"] = _page_count(target)
    return out


def child_ecabinet_cached(state: dict, kind: str, repeats: int, profile: bool) -> dict:
    from sqlalchemy import event

    from ecabinet.auth.models import User
    from ecabinet.documents.exports import book_for
    from ecabinet.extensions import db

    app = harness.make_app(state["database_url"], state["storage"])
    meeting_id = state["sets"][kind]["meeting_id"]
    statements = []
    with app.app_context():
        book_for(db.session.get(User, state["member_id"]), meeting_id)  # built once, if not yet
        db.session.remove()
        event.listen(db.engine, "before_cursor_execute", lambda *_args: statements.append(1))

        def repeat() -> list[float]:
            calls = []
            for _ in range(repeats):
                started = time.perf_counter()
                book_for(db.session.get(User, state["member_id"]), meeting_id)
                calls.append(time.perf_counter() - started)
                db.session.remove()  # each request starts with an empty session
            return calls

        if profile:
            _profiled(repeat, f"{repeats} cached book_for calls ({kind})")
            print(f"SQL statements per cached call: {len(statements) / repeats:.0f}")
            return {}
        calls = repeat()
        per_call = len(statements) / repeats
    client = app.test_client()
    headers = {"Authorization": f"Bearer {state['token']}"}
    requests_ = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(f"/api/v1/meetings/{meeting_id}/book.pdf", headers=headers)
        response.get_data()
        response.close()
        requests_.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return {"book_for_s": calls, "http_get_s": requests_, "statements": per_call}


def _page_count(path) -> int:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def run_child(args) -> None:
    state = json.loads(Path(args.state).read_text())
    manifest = json.loads(Path(args.manifest).read_text())
    task, kind = args.child, args.set
    warm_up()
    if task == "ecabinet-book":
        out = child_ecabinet_book(state, kind, args.profile)
    elif task == "pikepdf-book":
        out = child_pikepdf_book(state, manifest, kind)
    elif task == "ecabinet-stamp":
        out = child_ecabinet_stamp(state, kind, args.profile)
    elif task in ("pikepdf-stamp", "pikepdf-stamp-lean"):
        out = child_pikepdf_stamp(state, manifest, kind, lean=task.endswith("lean"))
    elif task == "ecabinet-cached":
        out = child_ecabinet_cached(state, kind, args.repeats, args.profile)
    else:
        raise SystemExit(f"unknown task {task}")
    if not args.profile:
        print("RESULT " + json.dumps(out))


# --- the parent: orchestrate, summarise ---------------------------------------------------------


def spawn(task: str, kind: str, paths: dict, *extra: str, timeout: float = 1800) -> dict:
    command = [sys.executable, __file__, "--child", task, "--set", kind, "--state", paths["state"]]
    command += ["--manifest", paths["manifest"], *extra]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{task} {kind} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    result = {}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
        else:
            print(line)  # a profile, or anything the child had to say
    return result


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _ratios(ours: list[dict], theirs: list[dict]) -> tuple[float, float]:
    return (
        _median(ours, "wall_s") / _median(theirs, "wall_s"),
        _median(ours, "cpu_s") / _median(theirs, "cpu_s"),
    )


def _row(name: str, runs: list[dict]) -> str:
    walls = ", ".join(f"{r['wall_s']:.2f}" for r in runs)
    return (
        f"| {name} | {_median(runs, 'wall_s'):.2f} s ({walls}) | {_median(runs, 'cpu_s'):.2f} s "
        f"| {_median(runs, 'peak_rss_mib'):.0f} MiB "
        f"| {_median(runs, 'added_rss_mib'):.0f} MiB | {runs[0]['pages']} | {runs[0]['output_bytes'] / 2**20:.1f} MiB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sets, one run each: a check that it works"
    )
    parser.add_argument("--reps", type=int, help="timed runs of each measurement (default 5, quick 1)")
    parser.add_argument(
        "--profile", action="store_true", help="profile the ecabinet side even if it meets its goals"
    )
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--set", help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    parser.add_argument("--manifest", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=50, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return

    reps = args.reps or (1 if args.quick else 5)
    repeats = 10 if args.quick else 50
    if not args.quick:
        harness.wait_for_quiet()
    harness.print_machine(
        {"mode": "quick" if args.quick else "full", "timed runs per measurement": str(reps)}
    )
    with harness.workdir("book", keep=args.keep) as work:
        print("## generating documents", flush=True)
        manifest = generate(work / "pdfs", args.quick)
        state = load_into_ecabinet(work, manifest)
        paths = {"state": str(work / "state.json"), "manifest": str(work / "manifest.json")}
        Path(paths["state"]).write_text(json.dumps(state))
        Path(paths["manifest"]).write_text(json.dumps(manifest))

        results: dict = {}
        for kind in SETS:
            print(f"## {kind}: measuring", flush=True)
            runs: dict[str, list] = {}
            for rep in range(reps):
                # Alternate who goes first, so neither side always meets a warm page cache.
                order = (
                    ["ecabinet-book", "pikepdf-book"] if rep % 2 == 0 else ["pikepdf-book", "ecabinet-book"]
                )
                order += ["ecabinet-stamp", "pikepdf-stamp", "pikepdf-stamp-lean"]
                for task in order:
                    runs.setdefault(task, []).append(spawn(task, kind, paths))
                    print(f"  {task} run {rep + 1}: {runs[task][-1]['wall_s']:.2f} s", flush=True)
            runs["cached"] = spawn("ecabinet-cached", kind, paths, "--repeats", str(repeats))
            results[kind] = runs

        print()
        failed_goals = report(manifest, results, reps)
        if args.profile or failed_goals:
            print("\n## profiles (ecabinet side)")
            for kind in SETS:
                for task in ("ecabinet-book", "ecabinet-stamp", "ecabinet-cached"):
                    if args.profile or (task, kind) in failed_goals:
                        spawn(task, kind, paths, "--profile", "--repeats", str(repeats))


def report(manifest: dict, results: dict, reps: int) -> set:
    missed = set()
    print("## results (median of the timed runs; each run in a fresh process)")
    for kind in SETS:
        m, r = manifest[kind], results[kind]
        print(
            f"\n### {kind}: {m['documents']} documents, {m['pages']} pages, {m['bytes'] / 2**20:.1f} MiB; "
            f"stamp document {m['stamp']['pages']} pages, {m['stamp']['bytes'] / 2**20:.1f} MiB\n"
        )
        print("| measurement | wall, median (runs) | CPU | peak RSS | RSS added | pages | output |")
        print("|---|---|---|---|---|---|---|")
        for task, name in (
            ("ecabinet-book", "(a) ecabinet book_for"),
            ("pikepdf-book", "(b) pikepdf book"),
            ("ecabinet-stamp", "(c) ecabinet download_for watermark"),
            ("pikepdf-stamp", "(c) pikepdf add_overlay (shared Form XObject)"),
            ("pikepdf-stamp-lean", "(c) pikepdf shared Form XObject, no coalescing"),
        ):
            print(_row(name, r[task]))
        book, book_cpu = _ratios(r["ecabinet-book"], r["pikepdf-book"])
        stamp, stamp_cpu = _ratios(r["ecabinet-stamp"], r["pikepdf-stamp"])
        lean, lean_cpu = _ratios(r["ecabinet-stamp"], r["pikepdf-stamp-lean"])
        cached = [s * 1000 for s in r["cached"]["book_for_s"]]
        http = [s * 1000 for s in r["cached"]["http_get_s"]]
        cached_p50 = harness.percentile(cached, 50)
        print(
            f"\n(d) cached book_for, fresh session each call: n={len(cached)} "
            f"p50={cached_p50:.1f} ms p90={harness.percentile(cached, 90):.1f} ms p99={harness.percentile(cached, 99):.1f} ms "
            f"max={max(cached):.1f} ms, {r['cached']['statements']:.0f} SQL statements a call; "
            f"GET /api/v1/meetings/<id>/book.pdf (test client, whole file read): "
            f"p50={harness.percentile(http, 50):.1f} ms p99={harness.percentile(http, 99):.1f} ms"
        )
        verdict = {True: "met", False: "MISSED"}
        print(
            f"book ecabinet/pikepdf = {book:.2f}x wall, {book_cpu:.2f}x CPU "
            f"(goal <= {GOAL_BOOK_RATIO}x: {verdict[book <= GOAL_BOOK_RATIO]})"
        )
        print(
            f"watermark ecabinet/pikepdf add_overlay = {stamp:.2f}x wall, {stamp_cpu:.2f}x CPU "
            f"(goal <= {GOAL_STAMP_RATIO}x: {verdict[stamp <= GOAL_STAMP_RATIO]}); "
            f"against the lean pikepdf stamp: {lean:.2f}x wall, {lean_cpu:.2f}x CPU"
        )
        print(
            f"cached repeat p50 = {cached_p50:.1f} ms (goal <= {GOAL_CACHED_MS} ms: {verdict[cached_p50 <= GOAL_CACHED_MS]})"
        )
        if book > GOAL_BOOK_RATIO:
            missed.add(("ecabinet-book", kind))
        if stamp > GOAL_STAMP_RATIO:
            missed.add(("ecabinet-stamp", kind))
        if cached_p50 > GOAL_CACHED_MS:
            missed.add(("ecabinet-cached", kind))
    return missed


if __name__ == "__main__":
    main()
