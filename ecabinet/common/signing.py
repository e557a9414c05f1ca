"""Digital signatures (ký số) on the office's reports and minutes: PAdES, with pyHanko.

When ECABINET_SIGNING_CERT and ECABINET_SIGNING_KEY name the office's certificate and key (PEM), a
generated report is signed as the very last step, after every other change to the file.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import current_app
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import BuildProps


def signing_configured() -> bool:
    return bool(
        current_app.config.get("ECABINET_SIGNING_CERT") and current_app.config.get("ECABINET_SIGNING_KEY")
    )


def sign_if_configured(pdf: bytes, reason: str) -> bytes:
    if not signing_configured():
        return pdf
    config = current_app.config
    password = config.get("ECABINET_SIGNING_KEY_PASSWORD")
    signer = signers.SimpleSigner.load(
        config["ECABINET_SIGNING_KEY"],
        config["ECABINET_SIGNING_CERT"],
        key_passphrase=password.encode() if password else None,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name="ChuKyVanPhong",
        reason=reason,
        location="Hà Nội",
        subfilter=fields.SigSeedSubFilter.PADES,
        app_build_props=BuildProps(name="ecabinet"),
    )
    out = signers.sign_pdf(writer, meta, signer=signer)
    return out.getvalue()


def make_demo_certificate(
    directory: Path, organization: str = "Văn phòng Chính phủ (thử nghiệm)"
) -> tuple[Path, Path]:
    """A self-signed office certificate and key, for trying signing out; not for real documents."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, "ecabinet demo signing"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * 3))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "office-cert.pem", directory / "office-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path
