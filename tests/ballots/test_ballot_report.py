"""The ballot's report (Vietnamese, PDF and DOCX, signed), its e-mail, and the expiry command."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import docx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from tests.ballots.test_ballots_api import _answer, _expire, _sent
from tests.helpers import ok


def _answered(cabinet):
    ballot = _sent(cabinet, title="Đề án chuyển đổi số quốc gia giai đoạn 2026–2030")
    _answer(
        cabinet,
        cabinet.members[0],
        ballot,
        (0, "agree", None),
        (1, "disagree", "Đề nghị lùi thời hạn áp dụng"),
    )
    _answer(
        cabinet,
        cabinet.members[1],
        ballot,
        (0, "other", "Cần bổ sung đánh giá tác động thủ tục hành chính"),
        (1, "agree", None),
    )
    return ballot


def test_report_pdf_reads_back_in_vietnamese(cabinet):
    ballot = _answered(cabinet)
    r = cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}/report.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(r.data)).pages)
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BÁO CÁO TỔNG HỢP Ý KIẾN THÀNH VIÊN CHÍNH PHỦ",
        "Số: /BC-VPCP",
        "Đề án chuyển đổi số quốc gia giai đoạn 2026–2030",
        cabinet.members[0].full_name,
        "Đề nghị lùi thời hạn áp dụng",
        "Cần bổ sung đánh giá tác động thủ tục hành chính",
        "Chưa có ý kiến",
        "THÀNH VIÊN CHƯA CÓ Ý KIẾN",
        cabinet.members[2].full_name,
    ):
        assert expected in text, expected


def test_report_docx_has_real_paragraphs_and_tables(cabinet):
    ballot = _answered(cabinet)
    r = cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}/report.docx")
    assert r.status_code == 200
    document = docx.Document(io.BytesIO(r.data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "BÁO CÁO TỔNG HỢP Ý KIẾN THÀNH VIÊN CHÍNH PHỦ" in paragraphs
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert cells[1].splitlines()[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert cells[0].split() == ["VĂN", "PHÒNG", "CHÍNH", "PHỦ", "Số:", "/BC-VPCP"]
    assert cabinet.members[0].full_name in cells and "Đề nghị lùi thời hạn áp dụng" in cells


def _ca_and_signer(tmp_path, key=None, common_name="Văn phòng Chính phủ"):
    """A test root CA and an office certificate it issued (for `key`, a new RSA key by default)."""

    def name(cn):
        return x509.Name(
            [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
        )

    now = datetime.now(UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Test Root CA"))
        .issuer_name(name("Test Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
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
        .sign(ca_key, hashes.SHA256())
    )
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(common_name))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    tmp_path.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(ca.public_bytes(serialization.Encoding.DER)), cert_path, key_path


def _validate(data: bytes, root) -> bool:
    reader = PdfFileReader(io.BytesIO(data))
    [signature] = reader.embedded_signatures
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root], allow_fetching=False))
    return status.bottom_line


def test_report_is_signed_when_the_office_certificate_is_configured(app, cabinet, tmp_path):
    root, cert, key = _ca_and_signer(tmp_path)
    app.config.update(ECABINET_SIGNING_CERT=str(cert), ECABINET_SIGNING_KEY=str(key))
    ballot = _answered(cabinet)
    data = cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}/report.pdf").data
    assert _validate(data, root) is True
    # Any change after signing breaks it.
    index = data.index(b"stream\n") + 20  # inside the first content stream, well before the signature
    tampered = data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]
    assert _validate(tampered, root) is False
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "BÁO CÁO TỔNG HỢP" in text


def test_sent_ballots_and_reminders_arrive_by_mail(cabinet, make_user, smtp_sink):
    minister = make_user(
        "member", username="bt.mail", full_name="Bộ trưởng Thư Điện Tử", email="bt@example.gov.vn"
    )
    ballot = _sent(cabinet, recipients=[minister.id, cabinet.members[0].id])
    ok(cabinet.api(cabinet.secretariat).post(f"/ballots/{ballot['id']}/remind"))
    (to_first, first), (to_second, _) = smtp_sink.received(2)  # the ballot sent, then the reminder
    assert to_first == to_second == ["bt@example.gov.vn"]
    assert first["Subject"] == "Phiếu lấy ý kiến: Dự thảo Nghị định quy định chi tiết Luật Dữ liệu"
    assert "Bộ trưởng Thư Điện Tử" in first.get_content()


def test_close_expired_command(app, cabinet):
    ballot = _sent(cabinet)
    _expire(app, ballot["id"])
    result = app.test_cli_runner().invoke(args=["ballots", "close-expired"])
    assert result.exit_code == 0 and "closed 1 ballot" in result.output
    assert cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}").get_json()["status"] == "closed"


def test_demo_certificate_command(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["signing", "demo-cert", "--directory", str(tmp_path / "sig")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sig" / "office-cert.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
