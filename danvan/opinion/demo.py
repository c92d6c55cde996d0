# ruff: noqa: E501 (demo texts are one message per line)
"""Demo data of the opinion area: five weeks of citizens' messages across communes and channels,
and a visible emerging issue (a burst about one landslide in Xã Minh Quang over the last day).

The texts are written by the project (invented situations, Vietnamese with and without
diacritics, some chat spelling). They go in through the normal ingest path with past
timestamps; the analysis job labels them. Each text also carries the label it was written for:
`fill_missing_analyses` uses those when no classifier ran (analysis disabled), so the dashboard
and reports always have data in the demo.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.accounts.models import User
from danvan.channels.base import EventKind, InboundEvent
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact, Conversation, Message
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import fold
from danvan.opinion.models import MessageAnalysis

PREFIX = "demo-op-"
DAYS = 35
SEED = 20261130
MINH_QUANG = 2302
COMMUNES = [
    2302, 2305, 2269, 2266, 2545, 2260, 2221, 2509, 2512, 694,
    2287, 2374, 2296, 2404, 2572, 871, 1201, 2434,
]  # fmt: skip
# Busier communes write more.
WEIGHTS = [6, 3, 4, 2, 3, 2, 3, 4, 4, 2, 2, 2, 1, 1, 1, 1, 1, 1]
CHANNELS = [("zalo_oa", 6), ("zalo_bot", 2), ("web", 2)]
VILLAGES = ["Nặm Đường", "Bản Pài", "Khuổi Phìn", "Nà Héc", "Pắc Cáp", "Nà Lừa", "Bản Tấng",
            "Làng Chùa", "Khuôn Hà", "Tân Lập"]  # fmt: skip
SURNAMES = ["Nguyễn", "Trần", "Hoàng", "Ma", "Quan", "Bàn", "Lý", "Nông", "Hà", "Triệu", "Phạm"]
GIVEN = ["Văn Hùng", "Thị Hoa", "Văn Minh", "Thị Lan", "Đức Thắng", "Thị Mai", "Văn Sơn",
         "Thị Thu", "Văn Tài", "Thị Hằng", "Quốc Việt", "Thị Nga"]  # fmt: skip

# (topic, sentiment, kind, urgent, text); {v} is a village.
Template = tuple[str, str, str, bool, str]
TEMPLATES: list[Template] = [
    ("roads", "negative", "complaint", False, "Đường vào thôn {v} nhiều ổ gà, trời mưa lầy lội, xe máy đi rất khó"),
    ("roads", "negative", "suggestion", False, "Đề nghị xã sớm sửa cầu treo thôn {v}, ván cầu đã mục nhiều chỗ"),
    ("roads", "neutral", "question", False, "Cho hỏi bao giờ thì đổ bê tông đường nội đồng thôn {v} ạ?"),
    ("roads", "negative", "complaint", False, "Xe chở cát chạy suốt đêm qua thôn {v}, đường hỏng hết rồi"),
    ("utilities", "negative", "complaint", False, "Điện thôn {v} chập chờn cả tuần, tối không bật được quạt"),
    ("utilities", "negative", "complaint", False, "Nước sinh hoạt thôn {v} mấy hôm nay đục và có mùi"),
    ("utilities", "neutral", "question", False, "Xin hỏi bao giờ thôn {v} có sóng 4G ổn định ạ"),
    ("land", "negative", "complaint", False, "Gia đình tôi chưa nhận được tiền bồi thường giải phóng mặt bằng làm đường tránh"),
    ("land", "neutral", "question", False, "Cho hỏi thủ tục cấp sổ đỏ lần đầu cho đất ở thôn {v} cần những gì"),
    ("land", "negative", "complaint", False, "Nhà bên cạnh lấn sang đất vườn nhà tôi, đề nghị xã xuống đo đạc"),
    ("environment", "negative", "complaint", False, "Rác thải ở chợ xã không ai thu gom, bốc mùi cả khu {v}"),
    ("environment", "negative", "complaint", False, "Lò gạch ở thôn {v} đốt khói đen suốt ngày, trẻ con ho nhiều"),
    ("environment", "negative", "suggestion", False, "Đề nghị kiểm tra việc khai thác cát trái phép trên sông gần thôn {v}"),
    ("health", "neutral", "question", False, "Cho em hỏi lịch tiêm chủng mở rộng tháng này ở trạm y tế xã ạ"),
    ("health", "negative", "complaint", False, "Thẻ bảo hiểm y tế của mẹ tôi hết hạn mà chưa được gia hạn"),
    ("health", "positive", "praise", False, "Cảm ơn trạm y tế xã đã khám bệnh miễn phí cho người già thôn {v}"),
    ("education", "neutral", "question", False, "Xin hỏi bao giờ có danh sách học sinh được hỗ trợ tiền ăn trưa"),
    ("education", "negative", "complaint", False, "Điểm trường thôn {v} mái dột, các cháu học rất vất vả khi mưa"),
    ("welfare", "neutral", "question", False, "Bao giờ thì có danh sách hộ nghèo, cận nghèo năm nay ạ"),
    ("welfare", "negative", "complaint", False, "Bố tôi là người có công mà ba tháng nay chưa nhận trợ cấp"),
    ("welfare", "neutral", "question", False, "Hỏi về chế độ hỗ trợ cho người khuyết tật ở thôn {v}"),
    ("security", "negative", "complaint", False, "Thanh niên tụ tập đua xe ở đường thôn {v} mỗi tối, rất mất trật tự"),
    ("security", "negative", "information", False, "Báo để xã biết: có trộm chó ở thôn {v} mấy đêm nay"),
    ("admin", "neutral", "question", False, "Cho em hỏi làm căn cước cho con dưới 14 tuổi cần giấy tờ gì ạ"),
    ("admin", "neutral", "question", False, "Thủ tục đăng ký khai sinh cho con cần mang những gì"),
    ("admin", "positive", "praise", False, "Bộ phận một cửa xã làm thủ tục nhanh, cán bộ nhiệt tình, cảm ơn xã"),
    ("admin", "negative", "complaint", False, "Nộp hồ sơ chứng thực từ tuần trước mà vẫn chưa có kết quả"),
    ("livelihood", "negative", "complaint", False, "Giá phân bón tăng mạnh, bà con thôn {v} trồng chè lỗ vốn"),
    ("livelihood", "neutral", "question", False, "Xã có lớp dạy nghề nào cho thanh niên thôn {v} không ạ"),
    ("agriculture", "negative", "information", True, "Mưa lớn làm ngập ruộng lúa thôn {v}, nước vẫn đang lên"),
    ("agriculture", "neutral", "question", False, "Cho hỏi xã có hỗ trợ giống ngô cho vụ đông năm nay không"),
    ("agriculture", "negative", "complaint", False, "Dịch bệnh trên đàn lợn ở thôn {v}, đề nghị thú y xuống kiểm tra"),
    ("culture", "positive", "praise", False, "Lễ hội lồng tồng thôn {v} năm nay tổ chức rất vui, cảm ơn xã"),
    ("culture", "neutral", "suggestion", False, "Đề nghị xã sửa lại nhà văn hoá thôn {v} để bà con sinh hoạt"),
    ("other", "neutral", "other", False, "Chào xã, cho hỏi số điện thoại của trưởng thôn {v}"),
]  # fmt: skip
BURST: list[Template] = [
    ("roads", "negative", "complaint", True, "Sạt lở đất tại đường liên thôn Nặm Đường, xe không qua được"),
    ("roads", "negative", "complaint", True, "Đường liên thôn Nặm Đường sạt lở nặng sau mưa, đề nghị xã xử lý gấp"),
    ("roads", "negative", "complaint", True, "sat lo duong lien thon Nam Duong, dat da tran xuong mat duong"),
    ("roads", "negative", "complaint", True, "Đoạn đường liên thôn Nặm Đường bị sạt lở, học sinh không đến trường được"),
    ("roads", "negative", "information", True, "Sạt lở đường liên thôn Nặm Đường vẫn chưa được dọn, bà con phải đi vòng"),
    ("roads", "negative", "complaint", True, "Bà con thôn Nặm Đường bị cô lập vì sạt lở đường liên thôn"),
    ("roads", "negative", "complaint", True, "Đường liên thôn Nặm Đường sạt lở thêm một đoạn nữa, rất nguy hiểm"),
    ("roads", "negative", "suggestion", True, "De nghi xa cho may xuc don dat sat lo duong lien thon Nam Duong"),
    ("roads", "negative", "complaint", True, "Sạt lở đất tại đường liên thôn Nặm Đường, xe không qua được"),
    ("roads", "negative", "complaint", True, "sạt lở đường liên thôn nặm đường ko ai xử lý à"),
    ("roads", "negative", "information", True, "Sáng nay đường liên thôn Nặm Đường lại sạt lở, cây đổ chắn ngang"),
    ("roads", "negative", "complaint", True, "Học sinh thôn Nặm Đường nghỉ học hai hôm vì sạt lở đường liên thôn"),
]  # fmt: skip


@dataclass(frozen=True)
class DemoMessage:
    index: int
    commune: int
    channel: str
    contact: int  # index of the demo citizen
    text: str
    hours_ago: float
    topic: str
    sentiment: str
    kind: str
    urgent: bool


def _spell(text: str, rng: random.Random) -> str:
    """Some citizens type without diacritics, or in chat spelling."""
    roll = rng.random()
    if roll < 0.2:
        return fold(text)
    if roll < 0.3:
        return text.replace("không", "ko").replace("được", "dc").replace("gì", "j").lower()
    return text


def messages() -> list[DemoMessage]:
    """The demo messages, the same every time (hours before the seed)."""
    rng = random.Random(SEED)
    out: list[DemoMessage] = []
    contacts: dict[tuple[int, str], list[int]] = {}
    serial = 0

    def contact_for(commune: int, channel: str) -> int:
        nonlocal serial
        pool = contacts.setdefault((commune, channel), [])
        if not pool or (len(pool) < 12 and rng.random() < 0.5):
            serial += 1
            pool.append(serial)
        return rng.choice(pool)

    channels = [c for c, _w in CHANNELS]
    weights = [w for _c, w in CHANNELS]
    for day in range(DAYS, 0, -1):
        # Weekdays are busier; volume grows a little towards the present.
        for _ in range(rng.randint(12, 20) + (DAYS - day) // 7):
            commune = rng.choices(COMMUNES, WEIGHTS)[0]
            channel = rng.choices(channels, weights)[0]
            topic, sentiment, kind, urgent, text = rng.choice(TEMPLATES)
            hours = (day - 1) * 24 + rng.uniform(2, 15)
            out.append(
                DemoMessage(
                    index=len(out),
                    commune=commune,
                    channel=channel,
                    contact=contact_for(commune, channel),
                    text=_spell(text.format(v=rng.choice(VILLAGES)), rng),
                    hours_ago=hours + 24,  # the last day is the burst's
                    topic=topic,
                    sentiment=sentiment,
                    kind=kind,
                    urgent=urgent,
                )
            )
    for i, (topic, sentiment, kind, urgent, text) in enumerate(BURST):
        channel = rng.choices(channels, weights)[0]
        out.append(
            DemoMessage(
                index=len(out),
                commune=MINH_QUANG,
                channel=channel,
                contact=contact_for(MINH_QUANG, channel),
                text=text,
                hours_ago=18 - i * 1.4,
                topic=topic,
                sentiment=sentiment,
                kind=kind,
                urgent=urgent,
            )
        )
    return out


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"


def _external_id(channel: str, contact: int) -> str:
    if channel == "web":
        return f"GY-DEMO-{contact:04d}-OPIN"
    if channel == "zalo_bot":
        return f"demo-op-chat-{contact:04d}"
    return str(7_100_000_000_000_000_000 + contact * 7919)


def seed(session: Session, *, settings: Settings, users: dict[str, User]) -> None:
    """Add this area's demo data; `users` maps the demo staff e-mails to their accounts."""
    now = utcnow()
    rng = random.Random(SEED + 1)
    made: set[tuple[str, str]] = set()
    for message in messages():
        at = now - timedelta(hours=message.hours_ago)
        external_id = _external_id(message.channel, message.contact)
        if (message.channel, external_id) not in made:
            made.add((message.channel, external_id))
            session.add(
                Contact(
                    channel=message.channel,
                    external_id=external_id,
                    display_name=_name(rng),
                    commune_code=message.commune,
                    commune_source="citizen",
                    is_follower=message.channel == "zalo_oa",
                    first_interaction_at=at,
                    last_interaction_at=at,
                )
            )
            session.flush()
        ingest_events(
            session,
            events=[
                InboundEvent(
                    channel=message.channel,
                    kind=EventKind.MESSAGE,
                    event_name="demo",
                    dedupe_key=f"{PREFIX}{message.index}",
                    occurred_at=at,
                    user_id=external_id,
                    message_id=f"{PREFIX}{message.index}",
                    message_kind="text",
                    text=message.text,
                    raw="{}",
                )
            ],
            province_code=settings.province,
        )


def fill_missing_analyses(session: Session) -> int:
    """Label the demo messages no classifier labelled, with the labels they were written for;
    how many were filled."""
    by_key = {f"{PREFIX}{m.index}": m for m in messages()}
    rows = session.execute(
        select(Message.id, Message.external_id, Message.channel, Message.created_at,
               Conversation.commune_code)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .outerjoin(MessageAnalysis, MessageAnalysis.message_id == Message.id)
        .where(Message.external_id.like(f"{PREFIX}%"), MessageAnalysis.message_id.is_(None))
    ).all()  # fmt: skip
    now = utcnow()
    for message_id, external_id, channel, created_at, commune in rows:
        demo = by_key.get(str(external_id))
        if demo is None:
            continue
        session.add(
            MessageAnalysis(
                message_id=message_id,
                commune_code=commune,
                channel=channel,
                received_at=created_at,
                topic=demo.topic,
                sentiment=demo.sentiment,
                kind=demo.kind,
                urgent=demo.urgent,
                abusive=False,
                confidence=1.0,
                model_version="demo-labels",
                analysed_at=now,
            )
        )
    session.flush()
    return len(rows)
