"""Digital signatures (ký số) on the office's reports and minutes: PAdES, with pyHanko.

When ECABINET_SIGNING_CERT and ECABINET_SIGNING_KEY name the office's certificate and key (PEM), a
generated report is signed as the very last step, after every other change to the file.
"""

from __future__ import annotations

import io
import warnings
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from asn1crypto import keys, pem
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.utils import CryptographyDeprecationWarning
from flask import current_app

# cryptography 51 deprecates DSA and warns when pyHanko (0.38) imports its key classes; we sign with
# RSA and EC only. The same narrow filter stands in setup.cfg for the tests, which import pyHanko too.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "DSA is deprecated", CryptographyDeprecationWarning, r"pyhanko\.")
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko.sign.signers.pdf_byterange import BuildProps
    from pyhanko_certvalidator.registry import SimpleCertificateStore

from ecabinet.common import jobs


def signing_configured() -> bool:
    return bool(
        current_app.config.get("ECABINET_SIGNING_CERT") and current_app.config.get("ECABINET_SIGNING_KEY")
    )


def sign_if_configured(pdf: bytes, reason: str) -> bytes:
    if not signing_configured():
        return pdf
    # Writing the signed revision is pure Python (pyHanko): in a job worker, off the serving loop.
    return jobs.run(_sign, pdf, reason)


@jobs.job
def _sign(pdf: bytes, reason: str) -> bytes:
    # The key's password is read where the job runs, never sent through the queue.
    config = current_app.config
    key, cert = Path(config["ECABINET_SIGNING_KEY"]), Path(config["ECABINET_SIGNING_CERT"])
    # The files' change times are part of the key: a renewed certificate is used from its first export.
    files = (key, key.stat().st_mtime_ns, cert, cert.stat().st_mtime_ns)
    password = config.get("ECABINET_SIGNING_KEY_PASSWORD")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name="ChuKyVanPhong",
        reason=reason,
        location="Hà Nội",
        subfilter=fields.SigSeedSubFilter.PADES,
        app_build_props=BuildProps(name="ecabinet"),
    )
    out = signers.sign_pdf(writer, meta, signer=_office_signer(*files, password))
    return out.getvalue()


@lru_cache(maxsize=4)
def _office_signer(key: Path, _key_mtime: int, cert: Path, _cert_mtime: int, password: str | None):
    data = key.read_bytes()
    load = serialization.load_pem_private_key if pem.detect(data) else serialization.load_der_private_key
    return _OfficeSigner(load(data, password=password.encode() if password else None), cert)


class _OfficeSigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner parses its key anew for every signature (twice per document: once to
    size the signature), and OpenSSL checks an RSA key at each parse: 36 ms in C holding the GIL, so
    every tablet served by the process waited over 100 ms per signed export. This one signs with the
    key as it was parsed and checked once, when the office's files were first read."""

    def __init__(self, private_key, cert: Path):
        self._private_key = private_key
        unencrypted = private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        super().__init__(
            signing_cert=load_cert_from_pemder(str(cert)),
            signing_key=keys.PrivateKeyInfo.load(unencrypted),
            cert_registry=SimpleCertificateStore(),
        )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        key, digest = self._private_key, get_pyca_cryptography_hash(digest_algorithm)
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:  # a mechanism asn1crypto cannot name
            return super().sign_raw(data, digest_algorithm)
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, RSAPrivateKey):
            return key.sign(data, PKCS1v15(), digest)
        if mechanism == "ecdsa" and isinstance(key, EllipticCurvePrivateKey):
            return key.sign(data, ECDSA(digest))
        return super().sign_raw(data, digest_algorithm)  # PSS and the rarer keys: pyHanko's own way


def make_demo_certificate(
    directory: Path, organization: str = "Văn phòng Chính phủ (thử nghiệm)"
) -> tuple[Path, Path]:
    """A self-signed office certificate and key, for trying signing out; not for real documents."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
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
    return write_pem(cert, key, directory / "office-cert.pem", directory / "office-key.pem")


def write_pem(cert, key, cert_path: Path, key_path: Path) -> tuple[Path, Path]:
    """A certificate and its private key (unencrypted, readable by its owner only) as the PEM files
    ECABINET_SIGNING_CERT and ECABINET_SIGNING_KEY name."""
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path
