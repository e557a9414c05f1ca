"""Page text for search, extracted after the upload has been answered.

A long document's text takes seconds to read, in pure Python; the upload request does not wait for
it. After the commit the version goes to a job worker (ecabinet.common.jobs);
`flask --app ecabinet documents reindex` picks up whatever a failure left pending.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecabinet.common import jobs, unit_of_work
from ecabinet.documents.models import DocumentVersion, PageText
from ecabinet.documents.pdf import extract_pages, fold
from ecabinet.documents.storage import file_path
from ecabinet.extensions import db

_QUEUE = "extract_text"


def queue_extraction(version: DocumentVersion) -> None:
    db.session.flush()
    unit_of_work.queue(db.session(), _QUEUE, version.id)


def start_extraction(session: Session) -> None:
    for version_id in unit_of_work.take(session, _QUEUE):
        jobs.start(_extract_or_mark_failed, version_id)


@jobs.job(writes=True)
def _extract_or_mark_failed(version_id: int) -> None:
    try:
        extract(version_id)
    except Exception:
        db.session.rollback()
        db.session.execute(
            update(DocumentVersion).where(DocumentVersion.id == version_id).values(text_status="failed")
        )
        db.session.commit()
        raise


def extract(version_id: int) -> None:
    version = db.session.get(DocumentVersion, version_id)
    if version is None or version.text_status == "done":
        return
    path = file_path(version)
    # No transaction stays open while the text is read: the write below starts a fresh one with a
    # write, so on SQLite it queues for the lock instead of failing on a stale snapshot.
    db.session.rollback()
    texts = extract_pages(path)
    db.session.execute(PageText.__table__.delete().where(PageText.version_id == version_id))
    db.session.add_all(
        PageText(version_id=version_id, page=number, text=text, folded=fold(text))
        for number, text in enumerate(texts, start=1)
        if text.strip()
    )
    db.session.execute(
        update(DocumentVersion).where(DocumentVersion.id == version_id).values(text_status="done")
    )
    db.session.commit()


def reindex_pending() -> int:
    ids = list(db.session.scalars(select(DocumentVersion.id).where(DocumentVersion.text_status != "done")))
    for version_id in ids:
        extract(version_id)
    return len(ids)
