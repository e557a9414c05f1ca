"""Files on disk, named by their SHA-256: the server chooses every name, identical content is kept once."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

from ecabinet.documents.models import DocumentVersion
from ecabinet.errors import NotPdf, TooLarge

CHUNK = 1024 * 1024


@dataclass
class Incoming:
    """An upload streamed to a temporary file, with its digest; not yet in the store."""

    path: Path
    sha256: str
    size: int
    head: bytes


class BlobStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def receive(self, stream: BinaryIO, max_bytes: int) -> Incoming:
        """Copy the stream to a temporary file in chunks, hashing it; stop as soon as it is too large."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, name = tempfile.mkstemp(dir=tmp_dir, suffix=".upload")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB")
                    if len(head) < 1024:
                        head += chunk[: 1024 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
        except BaseException:
            os.unlink(name)
            raise
        if size == 0:
            os.unlink(name)
            # Not a readable PDF (the contract's 415), and named for what it is.
            raise NotPdf("The file is empty", code="empty_file")
        return Incoming(Path(name), digest.hexdigest(), size, head)

    def keep(self, incoming: Incoming) -> bool:
        """Move a received file into place; False when that content was already stored."""
        target = self.path_for(incoming.sha256)
        if target.exists():
            incoming.path.unlink(missing_ok=True)
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(incoming.path, target)
        return True

    def discard(self, incoming: Incoming) -> None:
        incoming.path.unlink(missing_ok=True)

    def remove(self, sha256: str) -> None:
        self.path_for(sha256).unlink(missing_ok=True)


def blob_store() -> BlobStore:
    return BlobStore(current_app.config["ECABINET_STORAGE"])


def file_path(version: DocumentVersion) -> Path:
    return blob_store().path_for(version.sha256)
