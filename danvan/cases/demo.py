"""Demo data of the cases area: units, a routing rule, canned replies and a dozen cases made
from the demo conversations, in every state (some overdue, one transferred to a department,
one merged duplicate, one closed and rated)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.cases import intake, lifecycle, routing, similarity, units
from danvan.cases import rules as rules
from danvan.cases.models import Case
from danvan.inbox.demo import mark_sent
from danvan.inbox.models import Conversation, Direction, Message
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import fold

ADMIN = "admin@demo.danvan.vn"
MINH_QUANG_OFFICER = "minhquang@demo.danvan.vn"
MINH_QUANG_COLLEAGUE = "minhquang2@demo.danvan.vn"
THUONG_LAM_OFFICER = "thuonglam@demo.danvan.vn"

# (words in the folded text, category): the first match wins.
CATEGORIES = (
    (("sat lo", "cau treo"), "roads"),
    (("ho ngheo", "tro cap", "chinh sach", "lam nha"), "welfare"),
    (("khai sinh", "thu tuc", "giay to", "chung thuc", "can cuoc", "tai khoan"), "admin"),
    (("truong", "mam non", "hoc sinh"), "education"),
    (("dich ta", "gia suc", "lon ", "lua", "ruong"), "agriculture"),
    (("y te", "bao hiem", "tiem"), "health"),
    (("mat dien", "dien chap chon", "cup dien", "nuoc sach", "song dien thoai"), "utilities"),
    (("sat lo", "duong", "cau ", "cau treo", "cong "), "roads"),
    (("rac", "o nhiem", "bui"), "environment"),
    (("dat", "so do", "giay chung nhan"), "land"),
)
CANNED = (
    (
        "Đã tiếp nhận, sẽ kiểm tra",
        "Chào {ten}, xã đã tiếp nhận phản ánh {ma} và sẽ cử cán bộ kiểm tra; hạn trả lời "
        "{han}. Cảm ơn {ten} đã thông tin.",
    ),
    (
        "Hướng dẫn thủ tục tại bộ phận một cửa",
        "Chào {ten}, thủ tục này được giải quyết tại Bộ phận tiếp nhận và trả kết quả của "
        "{xa}, giờ hành chính các ngày làm việc. Mang theo căn cước công dân.",
    ),
)


def _category(text: str) -> str:
    folded = fold(text)
    for words, category in CATEGORIES:
        if any(word in folded for word in words):
            return category
    return "other"


def seed(session: Session, *, settings: Settings, users: dict[str, User]) -> None:
    """Add this area's demo data; `users` maps the demo staff e-mails to their accounts."""
    admin = Actor(users[ADMIN], via="cli")
    mq = Actor(users[MINH_QUANG_OFFICER], via="cli")
    tl = Actor(users[THUONG_LAM_OFFICER], via="cli")
    mq_unit = units.do_create_unit(
        session, actor=admin, name="UBND xã Minh Quang", commune_code=2302, head_id=mq.user.id
    )
    units.do_create_unit(
        session, actor=admin, name="UBND xã Thượng Lâm", commune_code=2269, head_id=tl.user.id
    )
    department = units.do_create_unit(session, actor=admin, name="Sở Xây dựng tỉnh Tuyên Quang")
    units.do_set_rule(
        session,
        actor=admin,
        category="roads",
        commune_code=2302,
        unit_id=mq_unit.id,
        assignee_id=users[MINH_QUANG_COLLEAGUE].id,
    )
    for title, text in CANNED:
        units.do_create_canned(session, actor=admin, title=title, text=text)

    # The first inbound message of each conversation in a commune, oldest conversations first.
    firsts = session.execute(
        select(Conversation, Message)
        .join(Message, Message.conversation_id == Conversation.id)
        .where(
            Conversation.commune_code.is_not(None),
            Message.direction == Direction.IN,
            Message.text != "",
        )
        .order_by(Conversation.id, Message.created_at)
    ).all()
    first_new = (session.scalar(select(func.max(Message.id))) or 0) + 1
    seen: set[int] = set()
    made: list[Case] = []
    for conversation, message in firsts:
        if conversation.id in seen or len(made) >= 12:
            continue
        seen.add(conversation.id)
        actor = mq if conversation.commune_code in (2302, 2305) else tl
        if conversation.commune_code not in (2302, 2305, 2269, 2266):
            actor = admin
        title = message.text.split(".")[0][:90].strip() or "Phản ánh của người dân"
        made.append(
            intake.do_create_case(
                session,
                actor=actor,
                settings=settings,
                title=title,
                category=_category(message.text),
                commune_code=conversation.commune_code,
                conversation_id=conversation.id,
                notify=False,
            )
        )
    if len(made) < 8:
        return
    now = utcnow()

    def as_actor(case: Case) -> Actor:
        return (
            mq
            if case.commune_code in (2302, 2305)
            else (tl if case.commune_code in (2269, 2266) else admin)
        )

    # 0: answered; 1: closed and rated 5; 2: in progress; 3: declined with a reason;
    # 4: transferred to the provincial department; 5 merged into 0 when alike, else assigned;
    # 6, 7: overdue (received three weeks ago); the rest stay "received".
    lifecycle.do_change_status(
        session,
        actor=as_actor(made[0]),
        settings=settings,
        case=made[0],
        status="answered",
        answer="Xã đã cử tổ công tác kiểm tra, cắm biển cảnh báo và đề nghị tỉnh hỗ trợ "
        "kinh phí khắc phục; dự kiến thông xe trong 10 ngày.",
    )
    lifecycle.do_change_status(
        session,
        actor=as_actor(made[1]),
        settings=settings,
        case=made[1],
        status="answered",
        answer="Đã hướng dẫn người dân thủ tục tại bộ phận một cửa.",
    )
    lifecycle.do_change_status(
        session, actor=as_actor(made[1]), settings=settings, case=made[1], status="closed"
    )
    made[1].rating, made[1].rating_comment, made[1].rated_at = 5, "Cán bộ hướng dẫn tận tình", now
    made[1].rating_requested_at = now
    lifecycle.do_change_status(
        session, actor=as_actor(made[2]), settings=settings, case=made[2], status="in_progress"
    )
    lifecycle.do_change_status(
        session,
        actor=as_actor(made[3]),
        settings=settings,
        case=made[3],
        status="declined",
        reason="Nội dung thuộc thẩm quyền giải quyết của Toà án nhân dân; đã hướng dẫn người "
        "dân gửi đơn đến Toà án khu vực.",
    )
    routing.do_transfer(
        session,
        actor=as_actor(made[4]),
        settings=settings,
        case=made[4],
        unit_id=department.id,
        reason="Công trình do tỉnh làm chủ đầu tư, chuyển Sở Xây dựng xem xét.",
    )
    alike = similarity.similar_open_cases(session, actor=admin, case=made[5])
    if alike:
        routing.do_merge(session, actor=admin, settings=settings, case=made[5], into=alike[0])
    for case in made[6:8]:
        case.received_at = now - timedelta(days=21)
        case.ack_due_at, case.due_at = rules.due_dates(
            settings, category=case.category, received_at=case.received_at
        )
    session.flush()
    # The notices these steps queued are history, as the seeded replies are: delivered. Those
    # no channel could carry (the citizen silent for over 7 days, no phone) stay calls to make.
    for notice in session.scalars(
        select(Message).where(
            Message.id >= first_new,
            Message.source == "system",
            or_(Message.carried_by.is_(None), Message.carried_by != "call"),
        )
    ):
        mark_sent(session, notice, notice.created_at)
    # An overdue case's citizen wrote three weeks ago and shared a phone (with consent): Zalo's
    # window is closed, so answering it sends a template message by phone (issue 15; the
    # templates are mapped by `danvan demo`); the other overdue one becomes a call to make.
    shared = session.get(Conversation, made[6].conversation_id)
    if shared is not None:
        shared.contact.phone = shared.contact.phone or "0912345678"
        shared.contact.consent_at = shared.contact.consent_at or now
        shared.contact.last_interaction_at = made[6].received_at
