"""Demo data of the outreach area: followers who never wrote, a broadcast already sent (with
per-recipient statuses, some seen, one past Zalo's 7 days), an open consultation vote with
answers from Zalo and from a resident list, an open opinion consultation with opinions for and
against (its analysis on the staff page), and a poll with live results."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.accounts.demo import STAFF
from danvan.accounts.models import User
from danvan.inbox.demo_data import MINH_QUANG, THUONG_LAM, TRUNG_HA
from danvan.inbox.models import Contact, ContactTag, Delivery, Message, OutboxItem, OutboxStatus
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.outreach import broadcasts, consultations, polls, slips
from danvan.outreach.models import Resident

FAMILY_NAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hà"]
GIVEN_NAMES = ["Văn Hùng", "Thị Mai", "Văn Tuấn", "Thị Hoa", "Đức Long", "Thị Lan", "Văn Sơn"]
DEMO_OPINIONS = [
    "Tôi đồng ý với quy ước, thu gom rác hai lần mỗi tuần là hợp lý cho thôn.",
    "Nhất trí cấm đốt rác, khói rất độc cho trẻ nhỏ và người già.",
    "Ủng hộ cấm đổ rác xuống suối, nước suối bây giờ bẩn lắm rồi.",
    "Đồng ý. Nên đặt thêm thùng rác ở đầu thôn và gần chợ.",
    "Tán thành quy ước, nhưng cần có người kiểm tra việc đổ rác xuống suối.",
    "toi dong y thu gom rac 2 lan 1 tuan, nhung nen thu vao buoi sang.",
    "Không đồng ý mức 20.000 đồng/tháng, nhiều hộ nghèo không đóng nổi.",
    "Phản đối mức phí 20.000 đồng, nên giảm cho hộ nghèo và cận nghèo.",
    "Không nên thu phí đồng loạt, hộ ít người nên đóng ít hơn.",
    "Mức phí cao quá, tôi không nhất trí, đề nghị 10.000 đồng thôi.",
    "Xe rác vào được đường thôn 3 không? Đường nhỏ và dốc lắm.",
    "Cho hỏi rác vườn, lá cây thì có được đốt không?",
]


def seed(session: Session, *, settings: Settings, users: dict[str, User]) -> None:
    """Add this area's demo data; `users` maps the demo staff e-mails to their accounts."""
    now = utcnow()
    admin = Actor(users[STAFF[0][0]], via="cli")
    officer = Actor(users["minhquang@demo.danvan.vn"], via="cli")
    # Followers of the OA who never wrote: most interacted lately, some long ago.
    for n in range(40):
        commune = (MINH_QUANG, TRUNG_HA, THUONG_LAM)[n % 3]
        ago = timedelta(days=9) if n % 10 == 9 else timedelta(hours=6 + n * 2)
        contact = Contact(
            channel="zalo_oa",
            external_id=f"demo-follower-{n:03d}",
            display_name=f"{FAMILY_NAMES[n % 10]} {GIVEN_NAMES[n % 7]}",
            commune_code=commune,
            commune_source="staff",
            is_follower=True,
            first_interaction_at=now - ago - timedelta(days=30),
            last_interaction_at=now - ago,
        )
        session.add(contact)
        session.flush()
        if n % 4 == 0:
            session.add(ContactTag(contact_id=contact.id, tag="hộ kinh doanh"))
    session.flush()

    # A broadcast sent this morning to Minh Quang and Trung Hà: history, not sent again.
    audience = broadcasts.check_audience(
        actor=officer,
        commune_codes=[MINH_QUANG, TRUNG_HA],
        tags=[],
        language=None,
        window="7d",
        province_code=settings.province,
    )
    sent, _ = broadcasts.do_create_broadcast(
        session,
        actor=officer,
        settings=settings,
        text=(
            "UBND xã thông báo: từ 8h thứ Bảy tuần này, trạm y tế xã tổ chức tiêm chủng mở "
            "rộng cho trẻ dưới 5 tuổi. Phụ huynh mang theo sổ tiêm chủng."
        ),
        audience=audience,
        urgent=True,
    )
    started = now - timedelta(hours=3)
    broadcasts.start_sending(session, sent, now=started)
    settings_big = settings.model_copy(update={"outreach_queue_ahead": 10_000})
    broadcasts.queue_some(session, sent, settings=settings_big, now=started)
    broadcasts.queue_some(session, sent, settings=settings_big, now=started)
    queued = session.execute(
        select(Message, OutboxItem)
        .join(OutboxItem, OutboxItem.message_id == Message.id)
        .where(Message.source == broadcasts.SOURCE)
        .order_by(Message.id)
    ).all()
    for index, (message, item) in enumerate(queued):
        at = started + timedelta(seconds=index)
        message.created_at = at
        message.sent_at = at
        message.external_id = f"demo-broadcast-{message.id}"
        message.delivery_status = Delivery.SEEN if index % 3 else Delivery.SENT
        item.status = OutboxStatus.SENT
        item.sent_at = at
        item.platform_message_ids = [message.external_id]

    # An open consultation (vote) in Minh Quang and Thượng Lâm.
    consultation = consultations.do_create_consultation(
        session,
        actor=admin,
        settings=settings,
        title="Chọn vị trí xây nhà văn hoá thôn Khuổi Phầy",
        summary=(
            "Theo Luật Thực hiện dân chủ ở cơ sở 2022, nhân dân bàn và quyết định vị trí xây "
            "nhà văn hoá thôn. Dự thảo phương án kèm theo."
        ),
        kind="vote",
        options=["Gần trường tiểu học", "Cạnh chợ phiên", "Khu đất đồi thôn 3"],
        commune_codes=[MINH_QUANG, THUONG_LAM],
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=5),
    )
    voters = session.scalars(
        select(Contact)
        .where(Contact.channel == "zalo_oa", Contact.commune_code.in_([MINH_QUANG, THUONG_LAM]))
        .order_by(Contact.id)
    ).all()
    for n, voter in enumerate(voters):
        consultations.do_answer(
            session,
            consultation=consultation,
            participant=f"{voter.channel}:{voter.external_id}",
            commune_code=voter.commune_code,
            channel=voter.channel,
            option_index=(0, 0, 1, 2, 0)[n % 5],
            contact_id=voter.id,
            now=now - timedelta(minutes=10 * n + 5),
        )
    # The commune's list (its own row numbers) with voting slips issued by danvan's generator,
    # as staff do from the consultation's page; seven of them answered on the web page.
    for n in range(12):
        resident = Resident(
            commune_code=MINH_QUANG,
            code=f"MQ-{n + 1:04d}",
            full_name=f"{FAMILY_NAMES[n % 10]} {GIVEN_NAMES[(n + 3) % 7]}",
        )
        session.add(resident)
        slip = slips.issue_code(resident, secret_key=settings.secret_key)
        session.flush()
        if n < 7:
            slips.answer_with_code(
                session,
                settings=settings,
                consultation=consultation,
                commune_code=MINH_QUANG,
                code=slip,
                option_index=n % 2,
                opinion=None,
                client="",
                now=now - timedelta(hours=n + 2),
            )

    # An open opinion consultation, answered through the Zalo conversation (demo rows direct).
    draft = consultations.do_create_consultation(
        session,
        actor=admin,
        settings=settings,
        title="Góp ý dự thảo quy ước thôn về vệ sinh môi trường",
        summary=(
            "Dự thảo quy ước: thu gom rác hai lần mỗi tuần, mỗi hộ đóng 20.000 đồng/tháng, "
            "cấm đốt rác và đổ rác xuống suối."
        ),
        kind="opinion",
        options=[],
        commune_codes=[MINH_QUANG, THUONG_LAM],
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=4),
    )
    for n, (voter, text) in enumerate(zip(voters, DEMO_OPINIONS, strict=False)):
        consultations.do_answer(
            session,
            consultation=draft,
            participant=f"{voter.channel}:{voter.external_id}",
            commune_code=voter.commune_code,
            channel=voter.channel,
            opinion=text,
            contact_id=voter.id,
            now=now - timedelta(minutes=17 * n + 3),
        )

    # A quick poll with live results.
    poll = polls.do_create_poll(
        session,
        actor=officer,
        settings=settings,
        question="Buổi họp dân tháng tới nên tổ chức vào lúc nào?",
        options=["Sáng Chủ nhật", "Tối thứ Sáu", "Chiều thứ Bảy"],
        multiple=False,
        commune_codes=[MINH_QUANG, TRUNG_HA],
    )
    for n in range(23):
        polls.do_answer(
            session,
            poll=poll,
            participant=f"web:demo-{n}",
            commune_code=(MINH_QUANG, TRUNG_HA)[n % 2],
            choices=[(0, 1, 0, 2)[n % 4]],
            channel="web",
        )
