"""The ballot's report (Vietnamese, PDF and DOCX, signed), its e-mail, and the expiry command."""

from __future__ import annotations

import io

import docx
from pypdf import PdfReader

from tests.document_text import pdf_text
from tests.helpers import ok
from tests.opinion_ballots import answered_ballot, expire_ballot, sent_ballot
from tests.signing import ca_and_signer, signature_valid


def test_report_pdf_reads_back_in_vietnamese(cabinet):
    ballot = answered_ballot(cabinet)
    r = cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}/report.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data)
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
    ballot = answered_ballot(cabinet)
    r = cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}/report.docx")
    assert r.status_code == 200
    document = docx.Document(io.BytesIO(r.data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    assert "BÁO CÁO TỔNG HỢP Ý KIẾN THÀNH VIÊN CHÍNH PHỦ" in paragraphs
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert cells[1].splitlines()[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert cells[0].split() == ["VĂN", "PHÒNG", "CHÍNH", "PHỦ", "Số:", "/BC-VPCP"]
    assert cabinet.members[0].full_name in cells and "Đề nghị lùi thời hạn áp dụng" in cells


def test_report_is_signed_when_the_office_certificate_is_configured(app, cabinet, tmp_path):
    root, cert, key = ca_and_signer(tmp_path)
    app.config.update(ECABINET_SIGNING_CERT=str(cert), ECABINET_SIGNING_KEY=str(key))
    ballot = answered_ballot(cabinet)
    data = cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}/report.pdf").data
    assert signature_valid(data, root) is True
    # Any change after signing breaks it.
    index = data.index(b"stream\n") + 20  # inside the first content stream, well before the signature
    tampered = data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]
    assert signature_valid(tampered, root) is False
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "BÁO CÁO TỔNG HỢP" in text


def test_sent_ballots_and_reminders_arrive_by_mail(cabinet, make_user, smtp_sink):
    minister = make_user(
        "member", username="bt.mail", full_name="Bộ trưởng Thư Điện Tử", email="bt@example.gov.vn"
    )
    ballot = sent_ballot(cabinet, recipients=[minister.id, cabinet.members[0].id])
    ok(cabinet.api(cabinet.secretariat).post(f"/ballots/{ballot['id']}/remind"))
    (to_first, first), (to_second, _) = smtp_sink.received(2)  # the ballot sent, then the reminder
    assert to_first == to_second == ["bt@example.gov.vn"]
    assert first["Subject"] == "Phiếu lấy ý kiến: Dự thảo Nghị định quy định chi tiết Luật Dữ liệu"
    assert "Bộ trưởng Thư Điện Tử" in first.get_content()


def test_close_expired_command(app, cabinet):
    ballot = sent_ballot(cabinet)
    expire_ballot(app, ballot["id"])
    result = app.test_cli_runner().invoke(args=["ballots", "close-expired"])
    assert result.exit_code == 0 and "closed 1 ballot" in result.output
    assert cabinet.api(cabinet.secretariat).get(f"/ballots/{ballot['id']}").get_json()["status"] == "closed"


def test_demo_certificate_command(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["signing", "demo-cert", "--directory", str(tmp_path / "sig")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sig" / "office-cert.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
