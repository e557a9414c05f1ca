"""Heavy work runs in job-worker processes: the serving loop answers every tablet meanwhile.

The real server (gunicorn.conf.py) starts its job workers itself; a book, a watermarked copy and an
upload's check go through them with the contract's answers unchanged. Elsewhere jobs run in place,
and publishing prepares every participant's book and copies ahead of the session.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from pypdf import PdfReader

from ecabinet.auth.models import User
from ecabinet.documents import exports
from ecabinet.documents.models import DocumentVersion
from ecabinet.errors import NotFound
from ecabinet.extensions import db
from tests.conftest import POSTGRES_URL
from tests.gunicorn_server import REDIS_URL, REPO, api_token, gunicorn, require_redis
from tests.helpers import assert_error, ok
from tests.pdfs import broken_pdf, make_pdf, many_pages_pdf, new_version, upload

# A database of Redis's own for the queue, apart from the live events' (live/test_scale_out.py).
JOBS_REDIS_URL = REDIS_URL.rsplit("/", 1)[0] + "/9"


def _server_env(app, tmp_path) -> dict[str, str]:
    return {
        "DATABASE_URL": POSTGRES_URL or app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "jobs-test",
        "ECABINET_INSTANCE": str(tmp_path / "instance"),
        "ECABINET_STORAGE": app.config["ECABINET_STORAGE"],
        "ECABINET_JOB_WORKERS": "1",
        "ECABINET_PREPARE_COPIES": "0",  # what is asked is built on demand, by the workers
    }


def _get(url: str, path: str, token: str, **kw) -> requests.Response:
    return requests.get(f"{url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60, **kw)


def test_the_production_server_builds_books_and_copies_in_its_job_workers(app, cabinet, tmp_path):
    meeting = cabinet.meeting("published", watermark="all")
    item = cabinet.item(meeting["id"], "Luật Đất đai (sửa đổi)")
    sec = cabinet.api(cabinet.secretariat)
    paper = upload(sec, item["id"], make_pdf("Tờ trình", "Dự thảo"), title="Tờ trình").get_json()
    member = cabinet.members[0]
    with gunicorn(_server_env(app, tmp_path), tmp_path) as (url,):
        token, sec_token = api_token(url, member.username), api_token(url, cabinet.secretariat.username)

        book = _get(url, f"/meetings/{meeting['id']}/book.pdf", token)
        assert book.status_code == 200 and book.headers["Content-Type"] == "application/pdf"
        pages = PdfReader(io.BytesIO(book.content)).pages
        assert len(pages) == 2 + 2 and f"Bản của {member.full_name}" in pages[-1].extract_text()

        copy = _get(url, f"/documents/{paper['id']}/file", token)
        assert copy.status_code == 200 and copy.headers["Content-Type"] == "application/pdf"
        stamped = PdfReader(io.BytesIO(copy.content)).pages
        assert [f"Bản của {member.full_name}" in p.extract_text() for p in stamped] == [True, True]

        # An upload is checked by a worker; a damaged one gets its contract answer all the same.
        files = {"file": ("hong.pdf", broken_pdf(), "application/pdf")}
        damaged = requests.post(
            f"{url}/api/v1/agenda/{item['id']}/documents",
            headers={"Authorization": f"Bearer {sec_token}"},
            files=files,
            timeout=60,
        )
        assert damaged.status_code == 415 and damaged.json()["error"]["code"] == "broken_pdf"
        files = {"file": ("phu-luc.pdf", make_pdf("Phụ lục 1", "Phụ lục 2", "Phụ lục 3"), "application/pdf")}
        added = requests.post(
            f"{url}/api/v1/agenda/{item['id']}/documents",
            headers={"Authorization": f"Bearer {sec_token}"},
            files=files,
            timeout=60,
        )
        assert added.status_code == 201 and added.json()["version"]["page_count"] == 3
    log = next(tmp_path.glob("gunicorn-*.log")).read_text()
    # The work was done by the job workers gunicorn started, and they stopped with it.
    assert "job workers started" in log
    executed = [line for line in log.splitlines() if "Executing ecabinet." in line]
    for job in ("exports._build_book", "exports._safe_copy", "pdf.check_pdf"):
        assert any(job in line for line in executed), log[-3000:]


@pytest.mark.redis
def test_job_workers_started_elsewhere_take_the_servers_jobs_through_redis(app, cabinet, tmp_path):
    require_redis()
    meeting = cabinet.meeting("published", watermark="all")
    item = cabinet.item(meeting["id"])
    upload(cabinet.api(cabinet.secretariat), item["id"], make_pdf("Tờ trình"), title="Tờ trình")
    # The server starts no workers of its own; the documented command runs one, as on another host.
    env = {**_server_env(app, tmp_path), "ECABINET_JOBS": JOBS_REDIS_URL, "ECABINET_JOB_WORKERS": "0"}
    command = [sys.executable, "-m", "flask", "--app", "ecabinet", "jobs", "worker", "--workers", "1"]
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen(
            command, cwd=REPO, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            with gunicorn(env, tmp_path) as (url,):
                token = api_token(url, cabinet.members[1].username)
                book = _get(url, f"/meetings/{meeting['id']}/book.pdf", token)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert book.status_code == 200 and len(PdfReader(io.BytesIO(book.content)).pages) == 3
    assert "job workers started" not in next(tmp_path.glob("gunicorn-*.log")).read_text()
    assert "Executing ecabinet.documents.exports._build_book" in (tmp_path / "worker.log").read_text()


def _health_checks_answered_until(work, url: str) -> int:
    """Health checks answered while `work` (a request sent from another thread) was still waiting. A
    server doing the work itself (ECABINET_JOBS=immediate) answers the first only once it is done: 1."""
    answered = 0
    while not work.done():
        assert requests.get(f"{url}/healthz", timeout=30).status_code == 200
        answered += not work.done()
        time.sleep(0.05)
    return answered


def test_the_server_answers_promptly_while_heavy_jobs_run(app, cabinet, tmp_path):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    paper = upload(cabinet.api(cabinet.secretariat), item["id"], make_pdf("Tờ trình"), title="Tờ trình")
    member = cabinet.api(cabinet.members[0])
    # 200,000 points of ink, in notes each under the 1 MiB a JSON body may hold: seconds of pure Python
    # to write into the PDF.
    stroke = [[60.0 + (i % 470), 100.0 + (i // 470)] for i in range(5000)]
    for _ in range(8):
        ok(
            member.post(
                f"/documents/{paper.get_json()['id']}/annotations",
                json={"version": 1, "page": 1, "kind": "ink", "paths": [stroke] * 5},
            ),
            201,
        )
    with gunicorn(_server_env(app, tmp_path), tmp_path) as (url,), ThreadPoolExecutor(1) as pool:
        token = api_token(url, cabinet.members[0].username)
        heavy = pool.submit(_get, url, f"/documents/{paper.get_json()['id']}/annotated.pdf", token)
        answered_while_writing = _health_checks_answered_until(heavy, url)
        annotated = heavy.result()
        # 100,000 pages (about 10 MB: within the upload limit, twenty times the page limit), which a
        # worker reads only as far as it must to refuse them.
        sec_token = api_token(url, cabinet.secretariat.username)
        huge = pool.submit(
            requests.post,
            f"{url}/api/v1/agenda/{item['id']}/documents",
            headers={"Authorization": f"Bearer {sec_token}"},
            files={"file": ("bao-cao.pdf", many_pages_pdf(100_000), "application/pdf")},
            timeout=120,
        )
        answered_while_checking = _health_checks_answered_until(huge, url)
        refused = huge.result()
    assert annotated.status_code == 200
    assert PdfReader(io.BytesIO(annotated.content)).pages[0]["/Annots"][0].get_object()["/Subtype"] == "/Ink"
    assert answered_while_writing >= 3
    assert refused.status_code == 413 and refused.json()["error"]["code"] == "too_many_pages"
    assert answered_while_checking >= 3
    assert [
        d["title"]
        for d in ok(cabinet.api(cabinet.secretariat).get(f"/meetings/{meeting['id']}"))["agenda"][0][
            "documents"
        ]
    ] == ["Tờ trình"]


def test_publishing_prepares_each_participants_book_and_copies(app, cabinet):
    app.config["ECABINET_PREPARE_COPIES"] = True
    meeting = cabinet.meeting("draft", watermark="all")
    item = cabinet.item(meeting["id"])
    sec = cabinet.api(cabinet.secretariat)
    paper = upload(sec, item["id"], make_pdf("Tờ trình", "Dự thảo"), title="Tờ trình").get_json()
    member = cabinet.members[0]
    ok(sec.post(f"/meetings/{meeting['id']}/publish"))

    with app.test_request_context():
        for person in cabinet.participants:
            user = db.session.get(User, person.id)
            status = exports.book_status(user, meeting["id"])
            assert status.ready and status.pages == 2 + 2 and status.built_at is not None
            version = db.session.get(DocumentVersion, paper["version"]["id"])
            assert exports._copy_path(user, version).exists()

    # The book served is the one prepared, and a new version prepares the next.
    served = cabinet.api(member).get(f"/meetings/{meeting['id']}/book.pdf")
    assert len(PdfReader(io.BytesIO(served.data)).pages) == 4
    new_version(sec, paper["id"], make_pdf("Tờ trình bản 2", "Dự thảo", "Phụ lục"))
    with app.test_request_context():
        status = exports.book_status(db.session.get(User, member.id), meeting["id"])
        assert status.ready and status.pages == 2 + 3


def test_the_book_is_preparing_until_it_is_built(app, cabinet):
    meeting = cabinet.meeting("published")
    item = cabinet.item(meeting["id"])
    upload(cabinet.api(cabinet.secretariat), item["id"], make_pdf("Tờ trình"), title="Tờ trình")
    member = cabinet.members[1]
    with app.test_request_context():
        user = db.session.get(User, member.id)
        assert exports.book_status(user, meeting["id"]) == exports.BookStatus(False, None, None)
    ok_book = cabinet.api(member).get(f"/meetings/{meeting['id']}/book.pdf")
    assert ok_book.status_code == 200
    with app.test_request_context():
        user = db.session.get(User, member.id)
        status = exports.book_status(user, meeting["id"])
        assert status.ready and status.pages == 3
        with pytest.raises(NotFound):  # an outsider learns nothing of the book
            exports.book_status(db.session.get(User, cabinet.outsider.id), meeting["id"])
    assert_error(cabinet.api(cabinet.outsider).get(f"/meetings/{meeting['id']}/book.pdf"), 404)
