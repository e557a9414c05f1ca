"""The office's signature on exported reports: RSA and EC keys, the key read once, a renewed
certificate picked up without a restart."""

from __future__ import annotations

import io
import os
import shutil

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.opinion_ballots import answered_ballot
from tests.signing import ca_and_signer, signature_valid


def _signer_name(data: bytes) -> str:
    [signature] = PdfFileReader(io.BytesIO(data)).embedded_signatures
    return signature.signer_cert.subject.native["common_name"]


@pytest.fixture
def key_reads(monkeypatch):
    """How many times a private key is parsed (the RSA check at each parse held the whole process)."""
    reads = []
    for name in ("load_pem_private_key", "load_der_private_key"):
        original = getattr(serialization, name)

        def counted(*args, _original=original, **kwargs):
            reads.append(1)
            return _original(*args, **kwargs)

        monkeypatch.setattr(serialization, name, counted)
    return reads


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_each_report_is_signed_with_the_key_read_once(app, cabinet, tmp_path, key_reads, kind):
    key = ec.generate_private_key(ec.SECP256R1()) if kind == "ec" else None
    root, cert, key_path = ca_and_signer(tmp_path, key=key)
    app.config.update(ECABINET_SIGNING_CERT=str(cert), ECABINET_SIGNING_KEY=str(key_path))
    ballot = answered_ballot(cabinet)
    secretariat = cabinet.api(cabinet.secretariat)

    first = secretariat.get(f"/ballots/{ballot['id']}/report.pdf")
    reads_for_first = len(key_reads)
    second = secretariat.get(f"/ballots/{ballot['id']}/report.pdf")

    assert first.status_code == second.status_code == 200
    assert signature_valid(first.data, root) is True and signature_valid(second.data, root) is True
    assert _signer_name(second.data) == "Văn phòng Chính phủ"
    assert reads_for_first == 1
    assert len(key_reads) == 1  # the second report was signed with the key as already read


def test_a_renewed_certificate_signs_the_next_report(app, cabinet, tmp_path):
    _, cert, key = ca_and_signer(tmp_path / "2026")
    app.config.update(ECABINET_SIGNING_CERT=str(cert), ECABINET_SIGNING_KEY=str(key))
    ballot = answered_ballot(cabinet)
    secretariat = cabinet.api(cabinet.secretariat)
    before = secretariat.get(f"/ballots/{ballot['id']}/report.pdf").data

    # The administrator puts the new certificate and key where the old ones were; no restart.
    new_root, new_cert, new_key = ca_and_signer(tmp_path / "2027", common_name="Văn phòng Chính phủ (2027)")
    for source, target in ((new_cert, cert), (new_key, key)):
        shutil.copyfile(source, target)
        stat = os.stat(target)
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = secretariat.get(f"/ballots/{ballot['id']}/report.pdf").data

    assert _signer_name(before) == "Văn phòng Chính phủ"
    assert _signer_name(after) == "Văn phòng Chính phủ (2027)"
    assert signature_valid(after, new_root) is True
