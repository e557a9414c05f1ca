"""Signatures the tests can check: a test root CA and the office certificate it issued, and the check
of a signed PDF against that root (pyHanko, as a reader's software would, fetching nothing)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from ecabinet.common.signing import write_pem


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _certificate(subject: x509.Name, issuer: x509.Name, public_key, issuer_key, *, ca: bool):
    """A certificate good from yesterday for a month: a CA's signs certificates, an office's documents."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
    )
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    usage = x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )
    return builder.add_extension(usage, critical=True).sign(issuer_key, hashes.SHA256())


def ca_and_signer(tmp_path, key=None, common_name="Văn phòng Chính phủ"):
    """A test root CA and an office certificate it issued (for `key`, a new RSA key by default), the
    certificate and its key written as PEM files under `tmp_path`: (the root, the certificate's path,
    the key's path)."""
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _name("Test Root CA")
    ca = _certificate(root, root, ca_key.public_key(), ca_key, ca=True)
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _certificate(_name(common_name), ca.subject, key.public_key(), ca_key, ca=False)
    cert_path, key_path = write_pem(cert, key, tmp_path / "cert.pem", tmp_path / "key.pem")
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(ca.public_bytes(serialization.Encoding.DER)), cert_path, key_path


def signature_valid(data: bytes, root) -> bool:
    """Whether the PDF's one signature is intact and its certificate chains to `root` (pyHanko's bottom line)."""
    reader = PdfFileReader(io.BytesIO(data))
    [signature] = reader.embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root], allow_fetching=False))
    return status.bottom_line
