"""A believable (fictional) Vietnamese cabinet for demonstrations and screenshots."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from ecabinet.auth import mfa
from ecabinet.auth import service as auth
from ecabinet.auth.models import User
from ecabinet.ballots import service as ballots
from ecabinet.common.pdfgen import new_document, to_bytes
from ecabinet.common.time import cabinet_timezone, utcnow
from ecabinet.documents import service as documents
from ecabinet.meetings import service as meetings
from ecabinet.meetings.models import AgendaItem
from ecabinet.minutes import service as minutes
from ecabinet.positions import service as positions
from ecabinet.tasks import service as tasks

DEMO_PASSWORD = "demo-2026"
# The demo's administrator and secretariat log in with a second factor (their roles need one,
# ECABINET_MFA_REQUIRED_ROLES): TOTP secrets fixed here and printed by `seed-demo`, to be added to an
# authenticator app, or turned into the current code on the command line.
DEMO_TOTP = {"admin": "ECABINETDEMOADMINTOTPKEYAAAAAAAA", "vpcp": "ECABINETDEMOVPCPTOTPKEYAAAAAAAAA"}

# username, full name, title, organisation, roles
PEOPLE = [
    ("admin", "Quản trị hệ thống", "Quản trị viên", "Văn phòng Chính phủ", ["admin"]),
    (
        "vpcp",
        "Lý Thu Phương",
        "Vụ trưởng Vụ Tổng hợp, Văn phòng Chính phủ",
        "Văn phòng Chính phủ",
        ["secretariat"],
    ),
    ("thuky", "Cao Thị Quỳnh", "Chuyên viên, thư ký phiên họp", "Văn phòng Chính phủ", ["clerk"]),
    ("thutuong", "Nguyễn Văn An", "Thủ tướng Chính phủ", "Chính phủ", ["member"]),
    ("ptt.binh", "Trần Thị Bình", "Phó Thủ tướng Thường trực Chính phủ", "Chính phủ", ["member"]),
    ("ptt.cuong", "Lê Minh Cường", "Phó Thủ tướng Chính phủ", "Chính phủ", ["member"]),
    (
        "bt.vpcp",
        "Mai Tiến Đạt",
        "Bộ trưởng, Chủ nhiệm Văn phòng Chính phủ",
        "Văn phòng Chính phủ",
        ["member"],
    ),
    ("bt.taichinh", "Phạm Đức Dũng", "Bộ trưởng Bộ Tài chính", "Bộ Tài chính", ["member"]),
    ("bt.tuphap", "Hoàng Thị Hạnh", "Bộ trưởng Bộ Tư pháp", "Bộ Tư pháp", ["member"]),
    ("bt.ngoaigiao", "Vũ Quang Huy", "Bộ trưởng Bộ Ngoại giao", "Bộ Ngoại giao", ["member"]),
    ("bt.noivu", "Đặng Thu Hương", "Bộ trưởng Bộ Nội vụ", "Bộ Nội vụ", ["member"]),
    ("bt.congthuong", "Bùi Văn Khánh", "Bộ trưởng Bộ Công Thương", "Bộ Công Thương", ["member"]),
    ("bt.yte", "Đỗ Thị Lan", "Bộ trưởng Bộ Y tế", "Bộ Y tế", ["member"]),
    (
        "bt.giaoduc",
        "Ngô Thanh Long",
        "Bộ trưởng Bộ Giáo dục và Đào tạo",
        "Bộ Giáo dục và Đào tạo",
        ["member"],
    ),
    (
        "bt.nongnghiep",
        "Đinh Văn Minh",
        "Bộ trưởng Bộ Nông nghiệp và Môi trường",
        "Bộ Nông nghiệp và Môi trường",
        ["member"],
    ),
    ("bt.xaydung", "Trịnh Quốc Nam", "Bộ trưởng Bộ Xây dựng", "Bộ Xây dựng", ["member"]),
    (
        "bt.khcn",
        "Lương Hải Ninh",
        "Bộ trưởng Bộ Khoa học và Công nghệ",
        "Bộ Khoa học và Công nghệ",
        ["member"],
    ),
    (
        "khach.hanoi",
        "Tô Văn Sơn",
        "Chủ tịch Ủy ban nhân dân thành phố Hà Nội",
        "UBND thành phố Hà Nội",
        ["observer"],
    ),
]


def seed() -> None:
    users = {
        username: auth.create_user(
            None,
            username=username,
            full_name=name,
            password=DEMO_PASSWORD,
            roles=roles,
            title=title,
            organization=org,
        )
        for username, name, title, org, roles in PEOPLE
    }
    for username, secret in DEMO_TOTP.items():
        mfa.enrol_known_totp(users[username], secret, "Demo")
    secretariat = users["vpcp"]
    members = [u for u in users.values() if u.has_role("member")]
    _october_session(secretariat, users, members)
    _regular_session(secretariat, users, members)
    _thematic_session(secretariat, users, members)
    _ballot(secretariat, users, members)


def _october_session(secretariat: User, users: dict[str, User], members: list[User]) -> None:
    """An earlier session, held and closed, whose conclusions assigned tasks to ministries: one started,
    one reported, one done, one overdue (its deadline passed with nothing reported)."""
    meeting = meetings.create_meeting(
        secretariat,
        title="Phiên họp Chính phủ thường kỳ tháng 10/2026",
        starts_at=datetime(2026, 10, 29, 8, 30, tzinfo=cabinet_timezone()),
        location="Phòng họp Chính phủ, Trụ sở Chính phủ, Hà Nội",
        chair_id=users["thutuong"].id,
        participants=[u.id for u in members] + [users["thuky"].id],
    )
    investment = meetings.add_item(
        secretariat,
        meeting.id,
        title="Tình hình giải ngân vốn đầu tư công 10 tháng năm 2026",
        presenter="Bộ trưởng Bộ Tài chính Phạm Đức Dũng",
    )
    health = meetings.add_item(
        secretariat,
        meeting.id,
        title="Đề án nâng cao năng lực y tế cơ sở",
        presenter="Bộ trưởng Bộ Y tế Đỗ Thị Lan",
    )
    meetings.change_status(secretariat, meeting.id, "publish")
    # Held as a session is: the ministers checked in before it opened, two of them away, so that its
    # minutes show a quorum present rather than a session the chair opened alone.
    away = {"bt.ngoaigiao", "bt.khcn"}
    for member in members:
        if member.username not in away:
            meetings.check_in(member, meeting.id)
    meetings.change_status(secretariat, meeting.id, "start")
    decisions = {
        investment.id: "Yêu cầu các bộ, ngành đẩy nhanh giải ngân vốn đầu tư công, phấn đấu giải ngân trên 95% "
        "kế hoạch năm 2026.",
        health.id: "Thống nhất thông qua Đề án; giao Bộ Y tế hoàn thiện, trình Thủ tướng Chính phủ ban hành.",
    }
    minutes.save(
        users["thuky"],
        meeting.id,
        "Chính phủ họp thường kỳ tháng 10/2026.",
        [minutes.EntryInput(item_id, decision=text) for item_id, text in decisions.items()],
    )
    meetings.change_status(secretariat, meeting.id, "close")
    minutes.approve(secretariat, meeting.id)

    def org(username: str) -> int:
        return users[username].organization_id

    def assign(text: str, lead: str, days: int, item: AgendaItem, helpers: tuple[str, ...] = ()):
        return tasks.create(
            secretariat,
            text=text,
            lead_organization_id=org(lead),
            cooperating_organization_ids=[org(h) for h in helpers],
            owner_id=users[lead].id,
            deadline=utcnow() + timedelta(days=days),
            agenda_item_id=item.id,
        )

    assign(
        "Tổng hợp, báo cáo Thủ tướng Chính phủ danh sách dự án chậm giải ngân, đề xuất điều chuyển vốn",
        "bt.taichinh",
        20,
        investment,
        ("bt.xaydung",),
    )
    reported = assign(
        "Hướng dẫn các địa phương tháo gỡ vướng mắc về bồi thường, giải phóng mặt bằng",
        "bt.nongnghiep",
        10,
        investment,
    )
    done = assign("Hoàn thiện Đề án, trình Thủ tướng Chính phủ ban hành", "bt.yte", 5, health, ("bt.tuphap",))
    late = assign(
        "Rà soát, đề xuất sửa đổi quy định về định mức chi phí khám, chữa bệnh tại trạm y tế xã",
        "bt.yte",
        3,
        health,
        ("bt.taichinh",),
    )
    tasks.move(users["bt.nongnghiep"], reported.id, "in_progress", None)
    tasks.move(
        users["bt.nongnghiep"], reported.id, "reported", "Đã ban hành văn bản hướng dẫn gửi 63 địa phương."
    )
    tasks.move(users["bt.yte"], done.id, "in_progress", None)
    tasks.move(users["bt.yte"], done.id, "reported", "Đã trình Thủ tướng Chính phủ Đề án hoàn chỉnh.")
    tasks.move(secretariat, done.id, "done", None)
    tasks.move(users["bt.yte"], late.id, "in_progress", None)
    # Its deadline passed before anything was reported: the demo's overdue task. A deadline in the past
    # is refused to anyone assigning a task, so the demo sets it afterwards, as time would have.
    late.deadline = utcnow() - timedelta(days=4)


def _regular_session(secretariat: User, users: dict[str, User], members: list[User]) -> None:
    meeting = meetings.create_meeting(
        secretariat,
        title="Phiên họp Chính phủ thường kỳ tháng 11/2026",
        starts_at=datetime(2026, 11, 30, 8, 30, tzinfo=cabinet_timezone()),
        ends_at=datetime(2026, 11, 30, 17, 0, tzinfo=cabinet_timezone()),
        location="Phòng họp Chính phủ, Trụ sở Chính phủ, số 1 Hoàng Hoa Thám, Hà Nội",
        chair_id=users["thutuong"].id,
        participants=[u.id for u in members] + [users["thuky"].id, users["khach.hanoi"].id],
    )
    add = meetings.add_item
    economy = add(
        secretariat,
        meeting.id,
        presenter="Bộ trưởng Bộ Tài chính Phạm Đức Dũng",
        duration_minutes=60,
        title="Báo cáo tình hình kinh tế - xã hội tháng 11 và 11 tháng năm 2026",
    )
    add(
        secretariat,
        meeting.id,
        parent_id=economy.id,
        duration_minutes=20,
        title="Tình hình giải ngân vốn đầu tư công",
        presenter="Bộ trưởng Bộ Tài chính Phạm Đức Dũng",
    )
    add(
        secretariat,
        meeting.id,
        parent_id=economy.id,
        duration_minutes=20,
        title="Tình hình thu, chi ngân sách nhà nước",
        presenter="Bộ trưởng Bộ Tài chính Phạm Đức Dũng",
    )
    land = add(
        secretariat,
        meeting.id,
        duration_minutes=45,
        title="Dự án Luật Đất đai (sửa đổi): tiếp thu, giải trình ý kiến đại biểu Quốc hội",
        presenter="Bộ trưởng Bộ Nông nghiệp và Môi trường Đinh Văn Minh",
    )
    data_law = add(
        secretariat,
        meeting.id,
        duration_minutes=30,
        title="Đề nghị xây dựng Nghị định quy định chi tiết một số điều của Luật Dữ liệu",
        presenter="Bộ trưởng Bộ Khoa học và Công nghệ Lương Hải Ninh",
    )
    add(
        secretariat,
        meeting.id,
        duration_minutes=30,
        confidential=True,
        title="Phương án nhân sự lãnh đạo một số tập đoàn kinh tế nhà nước (MẬT)",
        presenter="Bộ trưởng Bộ Nội vụ Đặng Thu Hương",
        restricted_to=[users[u].id for u in ("ptt.binh", "ptt.cuong", "bt.noivu", "thuky")],
    )
    add(secretariat, meeting.id, duration_minutes=15, title="Các vấn đề khác")
    for entry in meetings.visible_agenda(secretariat, meeting):
        if entry.item.title != "Các vấn đề khác" and not entry.item.children:
            documents.upload_document(
                secretariat,
                entry.item.id,
                io.BytesIO(_paper(entry.item.title)),
                "to-trinh.pdf",
                f"Tờ trình: {entry.item.title}",
            )
    meetings.change_status(secretariat, meeting.id, "publish")
    _positions(secretariat, users, land, data_law)


def _positions(secretariat: User, users: dict[str, User], land: AgendaItem, data_law: AgendaItem) -> None:
    """Some ministers have stated their positions; the Data Law decree, which nobody objects to, is in the
    consent block."""
    stated = [
        (
            "bt.tuphap",
            land,
            "object",
            "Đề nghị làm rõ cơ chế thu hồi đất cho dự án phát triển kinh tế - xã hội.",
        ),
        ("ptt.binh", land, "wish_to_speak", "Về khung giá đất."),
        ("bt.taichinh", land, "no_objection", None),
        ("bt.taichinh", data_law, "no_objection", None),
        ("bt.tuphap", data_law, "no_objection", None),
        ("bt.congthuong", data_law, "no_objection", None),
    ]
    for username, item, position, comment in stated:
        positions.state(users[username], item.id, position, comment)
    meetings.update_item(secretariat, data_law.id, consent=True)


def _thematic_session(secretariat: User, users: dict[str, User], members: list[User]) -> None:
    meeting = meetings.create_meeting(
        secretariat,
        title="Phiên họp Chính phủ chuyên đề về xây dựng pháp luật tháng 12/2026",
        kind="thematic",
        starts_at=datetime(2026, 12, 12, 8, 0, tzinfo=cabinet_timezone()),
        location="Phòng họp Chính phủ, Trụ sở Chính phủ, Hà Nội",
        chair_id=users["thutuong"].id,
        participants=[u.id for u in members] + [users["thuky"].id],
    )
    meetings.add_item(
        secretariat,
        meeting.id,
        title="Dự án Luật sửa đổi, bổ sung một số điều của Luật Đầu tư",
        presenter="Bộ trưởng Bộ Tài chính Phạm Đức Dũng",
        duration_minutes=60,
    )
    meetings.add_item(
        secretariat,
        meeting.id,
        title="Dự án Luật Thương mại điện tử",
        presenter="Bộ trưởng Bộ Công Thương Bùi Văn Khánh",
        duration_minutes=60,
    )


def _ballot(secretariat: User, users: dict[str, User], members: list[User]) -> None:
    paper = documents.create_document(
        secretariat,
        io.BytesIO(_paper("Dự thảo Nghị định quy định chi tiết Luật Dữ liệu")),
        "du-thao-nghi-dinh.pdf",
        "Dự thảo Nghị định quy định chi tiết Luật Dữ liệu",
    )
    ballot = ballots.create_ballot(
        secretariat,
        title="Lấy ý kiến thành viên Chính phủ về dự thảo Nghị định quy định chi tiết Luật Dữ liệu",
        summary="Bộ Khoa học và Công nghệ trình dự thảo Nghị định; Bộ Tư pháp đã thẩm định. "
        "Văn phòng Chính phủ xin ý kiến thành viên Chính phủ theo quy chế làm việc.",
        questions=[
            "Đồng ý ban hành Nghị định theo dự thảo?",
            "Đồng ý thời điểm có hiệu lực từ ngày 01/01/2027?",
        ],
        recipients=[u.id for u in members],
        deadline=utcnow() + timedelta(days=7),
        documents=[paper.id],
        chair_id=users["thutuong"].id,
    )
    ballots.send(secretariat, ballot.id)
    first, second = ballot.questions
    ballots.respond(
        users["bt.tuphap"],
        ballot.id,
        [ballots.AnswerInput(first.id, "agree"), ballots.AnswerInput(second.id, "agree")],
    )
    ballots.respond(
        users["bt.congthuong"],
        ballot.id,
        [
            ballots.AnswerInput(first.id, "agree"),
            ballots.AnswerInput(
                second.id,
                "other",
                "Đề nghị lùi thời điểm có hiệu lực đến ngày 01/7/2027 để các bộ "
                "kịp chuẩn bị hạ tầng dữ liệu.",
            ),
        ],
    )


def _paper(title: str) -> bytes:
    """A plausible few-page paper with real Vietnamese text, so the viewer and search have content."""
    pdf = new_document()
    body = (
        "Thực hiện Chương trình công tác của Chính phủ, cơ quan chủ trì soạn thảo kính trình Chính phủ "
        "xem xét, cho ý kiến về nội dung nêu trên. Hồ sơ gồm tờ trình, dự thảo văn bản, báo cáo đánh giá tác động "
        "chính sách, báo cáo thẩm định của Bộ Tư pháp và bản tổng hợp ý kiến của các bộ, ngành, địa phương. "
        "Các chính sách về đất đai, đầu tư công và chuyển đổi số được rà soát bảo đảm tính thống nhất của hệ thống "
        "pháp luật."
    )
    for page in range(1, 4):
        pdf.add_page()
        pdf.set_font("Serif", "B", 14)
        pdf.multi_cell(
            0, 20, title if page == 1 else f"{title} (tiếp theo)", align="C", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(10)
        pdf.set_font("Serif", size=12)
        for paragraph in range(1, 5):
            pdf.multi_cell(0, 17, f"{page}.{paragraph}. {body}", align="J", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(6)
    return to_bytes(pdf)
