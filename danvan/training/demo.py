"""Demo data of the training area: the commission's typical two-day course on nine topics, 24
trainees imported from an XLSX list (plus one demo officer enrolled with their staff account),
yesterday's session with its attendance, a quiz with graded attempts, feedback, certificates,
and today's session ready for the QR check-in."""

from __future__ import annotations

import io
import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.kernel.documents import append_row
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.training.actors import Learner
from danvan.training.attendance import do_mark_attendance
from danvan.training.courses import CourseInput, do_create_course, do_create_session
from danvan.training.quizzes import (
    OptionInput,
    do_add_question,
    do_create_quiz,
    do_start_attempt,
    do_submit_attempt,
    list_questions,
)
from danvan.training.reports import do_issue_certificates, do_submit_feedback
from danvan.training.trainees import do_enrol_user, do_import_trainees

TOPICS = [
    "Công tác dân vận của Đảng trong tình hình mới",
    "Lý luận chính trị và truyền thống cách mạng ở cơ sở",
    "Thực hiện dân chủ ở cơ sở",
    "Công tác dân vận vùng đồng bào dân tộc thiểu số và vùng tôn giáo",
    "Tuyên truyền miệng và nắm bắt dư luận xã hội",
    "Bảo vệ nền tảng tư tưởng của Đảng",
    "Công tác khoa giáo, văn hoá, văn nghệ ở cơ sở",
    "Xây dựng mô hình “Dân vận khéo” và phương pháp nắm tình hình nhân dân",
    "Ứng dụng chuyển đổi số trong công tác dân vận, sử dụng Zalo OA của tỉnh",
]

# (topic index, kind, question, options with the right ones marked, explanation)
QUESTIONS: list[tuple[int, str, str, list[tuple[str, bool]], str]] = [
    (
        0,
        "single",
        "Phương châm thực hiện dân chủ ở cơ sở hiện nay là gì?",
        [
            ("Dân biết, dân bàn, dân làm, dân kiểm tra, dân giám sát, dân thụ hưởng", True),
            ("Dân biết, dân bàn, dân làm", False),
            ("Dân làm, dân hưởng", False),
        ],
        "Phương châm được bổ sung “dân giám sát, dân thụ hưởng”.",
    ),
    (
        2,
        "multiple",
        "Những nội dung nào phải công khai để nhân dân biết?",
        [
            ("Dự toán, quyết toán ngân sách xã", True),
            ("Kế hoạch sử dụng đất", True),
            ("Thông tin cá nhân của người khiếu nại", False),
        ],
        "Luật Thực hiện dân chủ ở cơ sở quy định nội dung công khai; bảo vệ dữ liệu cá nhân.",
    ),
    (
        3,
        "single",
        "Khi vận động đồng bào vùng tôn giáo, cán bộ cần trước hết:",
        [
            ("Tôn trọng tự do tín ngưỡng, tìm hiểu phong tục, dựa vào người có uy tín", True),
            ("Yêu cầu bỏ các sinh hoạt tôn giáo", False),
        ],
        "Dựa vào người có uy tín và tôn trọng tín ngưỡng là nguyên tắc vận động.",
    ),
    (
        4,
        "multiple",
        "Cách nắm bắt dư luận xã hội ở cơ sở:",
        [
            ("Qua tổ dân vận, trưởng thôn, người có uy tín", True),
            ("Qua ý kiến gửi Zalo OA và biểu mẫu góp ý của tỉnh", True),
            ("Theo dõi, chấm điểm quan điểm của từng người dân", False),
        ],
        "Dư luận được nắm và phân tích tổng hợp; không theo dõi cá nhân.",
    ),
    (
        5,
        "single",
        "Khi phát hiện thông tin sai lệch lan truyền trên mạng, việc nên làm đầu tiên là:",
        [
            ("Báo cáo, cung cấp thông tin chính thống kịp thời", True),
            ("Chia sẻ lại để mọi người cùng biết", False),
        ],
        "Thông tin chính thống, kịp thời là cách đấu tranh hiệu quả.",
    ),
    (
        7,
        "single",
        "Mô hình “Dân vận khéo” được đánh giá chủ yếu qua:",
        [
            ("Kết quả thiết thực, được nhân dân đồng tình", True),
            ("Số lượng hội nghị tổ chức", False),
        ],
        "Hiệu quả và sự đồng thuận của nhân dân là thước đo.",
    ),
    (
        8,
        "multiple",
        "Khi trả lời người dân qua Zalo OA của tỉnh, cán bộ cần:",
        [
            ("Trả lời đúng thẩm quyền, kịp thời, lịch sự", True),
            ("Bảo vệ thông tin cá nhân của người dân", True),
            ("Chuyển số điện thoại người dân cho người khác hỏi thăm", False),
        ],
        "Nghị định 13/2023 về bảo vệ dữ liệu cá nhân áp dụng cả khi trả lời trên Zalo.",
    ),
    (
        8,
        "single",
        "Tin nhắn người dân gửi Zalo OA của tỉnh được chuyển đến đâu?",
        [
            ("Hộp thư của xã/phường nơi người dân ở", True),
            ("Chỉ lưu ở tỉnh, xã không xem được", False),
        ],
        "Tin nhắn được định tuyến theo xã/phường để cán bộ xã trả lời.",
    ),
]

COMMUNES = ["Xã Minh Quang", "Xã Thượng Lâm", "Xã Trung Hà", "Xã Lâm Bình"]
SURNAMES = ["Nguyễn", "Trần", "Hoàng", "Lò", "Vàng", "Ma", "Nông", "Triệu"]
NAMES = ["Văn Thắng", "Thị Hoa", "Văn Dũng", "Thị Mai", "A Páo", "Thị Hằng", "Văn Tuấn", "Thị Lụa"]
POSITIONS = ["Chủ tịch MTTQ xã", "Trưởng khối dân vận", "Bí thư chi bộ thôn", "Cán bộ văn hoá xã"]
FEEDBACK = [
    "Giảng viên nói dễ hiểu, nhiều ví dụ thực tế ở cơ sở",
    "Cần thêm tài liệu về chuyển đổi số và Zalo OA",
    "Hội trường hơi nóng, thời gian học ngắn",
    "Chuyên đề dân vận khéo rất hay, mong có thêm buổi thực hành",
    "Tài liệu in đầy đủ, tổ chức chu đáo",
]


def _trainee_list() -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    append_row(sheet, ["STT", "Họ và tên", "Chức vụ", "Xã/phường", "Số điện thoại"])
    for n in range(24):
        name = f"{SURNAMES[n % 8]} {NAMES[(n * 5 + n // 8) % 8]}"
        append_row(sheet, [n + 1, name, POSITIONS[n % 4], COMMUNES[n % 4], f"09880{n:05d}"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def seed(session: Session, *, settings: Settings, users: dict[str, User]) -> None:
    """Add this area's demo data; `users` maps the demo staff e-mails to their accounts."""
    admin_user = next((u for u in users.values() if u.role == "admin"), None)
    if admin_user is None:
        return
    admin = Actor(admin_user, via="cli")
    rng = random.Random(2026)
    zone = ZoneInfo(settings.timezone)
    today = utcnow().astimezone(zone).date()

    course = do_create_course(
        session,
        actor=admin,
        data=CourseInput(
            title="Bồi dưỡng nghiệp vụ công tác dân vận cho cán bộ cơ sở năm 2026",
            description="Lớp hai ngày cho cán bộ làm công tác dân vận của các xã, phường.",
            topics=TOPICS,
            trainers=["TS. Đinh Văn Hùng (Trường Chính trị tỉnh)", "Đ/c Hoàng Thị Lan"],
            audience_communes=[],
            audience_roles=["officer"],
            min_attendance_percent=50,
        ),
        province_code=settings.province,
    )
    day1 = do_create_session(
        session,
        actor=admin,
        course=course,
        title="Ngày 1 — chuyên đề 1 đến 5",
        venue="Hội trường Tỉnh uỷ",
        starts_at=datetime.combine(today - timedelta(days=1), time(7, 30), zone),
        ends_at=datetime.combine(today - timedelta(days=1), time(17, 0), zone),
        topic_ids=[t.id for t in course.topics[:5]],
    )
    do_create_session(
        session,
        actor=admin,
        course=course,
        title="Ngày 2 — chuyên đề 6 đến 9",
        venue="Hội trường Tỉnh uỷ",
        starts_at=datetime.combine(today, time(7, 30), zone),
        ends_at=datetime.combine(today, time(17, 0), zone),
        topic_ids=[t.id for t in course.topics[5:]],
    )
    result = do_import_trainees(
        session,
        actor=admin,
        course=course,
        data=_trainee_list(),
        province_code=settings.province,
    )
    trainees = [t for t, _key in result.created]
    officer = users.get("minhquang@demo.danvan.vn")
    if officer is not None:  # a demo officer who can open /hoc with their own account
        trainees.append(
            do_enrol_user(session, actor=admin, course=course, user=officer, phone="0988099999")
        )
    for trainee in trainees:
        if rng.random() < 0.85:
            do_mark_attendance(session, actor=admin, training_session=day1, trainee=trainee)

    for topic_index, kind, text, options, explanation in QUESTIONS:
        do_add_question(
            session,
            actor=admin,
            topic=course.topics[topic_index],
            kind=kind,
            text=text,
            options=[OptionInput(t, c) for t, c in options],
            explanation=explanation,
        )
    quiz = do_create_quiz(
        session,
        actor=admin,
        course=course,
        title="Kiểm tra cuối khoá",
        question_count=6,
        time_limit_minutes=15,
        pass_percent=70,
        max_attempts=2,
        partial_credit=settings.training_partial_credit,
    )
    bank = {q.id: q for q in list_questions(session, topic_ids=[t.id for t in course.topics])}
    now = utcnow()
    for n, trainee in enumerate(trainees[:18]):
        learner = Learner(trainee, via="cli")
        attempt = do_start_attempt(
            session,
            learner=learner,
            quiz=quiz,
            course=course,
            now=now - timedelta(minutes=30),
            grace=timedelta(seconds=10),
            rng=rng,
        )
        skill = 0.55 + 0.45 * rng.random()
        answers: dict[int, list[int]] = {}
        for item in attempt.layout:
            question = bank[int(item["q"])]
            right = [o.id for o in question.options if o.is_correct]
            wrong = [o.id for o in question.options if not o.is_correct]
            # Topic 9 (digital tools) is the weak one in the demo: what the statistics show.
            weak = question.topic_id == course.topics[8].id
            if rng.random() < (skill - 0.35 if weak else skill):
                answers[question.id] = right
            else:
                multiple = question.kind == "multiple"
                answers[question.id] = right[:1] + wrong[:1] if multiple else wrong[:1]
        do_submit_attempt(
            session,
            learner=learner,
            attempt=attempt,
            answers=answers,
            now=now - timedelta(minutes=20),
            grace=timedelta(seconds=10),
        )
        if n < len(FEEDBACK) * 2:
            do_submit_feedback(
                session,
                learner=learner,
                ratings={
                    "content": rng.choice([4, 5, 5]),
                    "trainers": rng.choice([4, 5]),
                    "organisation": rng.choice([3, 4, 5]),
                },
                text=FEEDBACK[n % len(FEEDBACK)],
            )
    do_issue_certificates(session, actor=admin, course=course)
