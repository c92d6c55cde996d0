"""Demo data of the opinion area: five weeks of citizens' messages across communes and channels,
and a visible emerging issue (a burst about one landslide in Xã Minh Quang over the last day).

The texts are written by the project (invented situations, Vietnamese with and without
diacritics, some chat spelling). They go in through the normal ingest path with past
timestamps; the analysis job labels them with the real classifiers, as in a deployment: no
ready-made labels (while the model trains and labels, the dashboard shows the progress).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from danvan.accounts.models import User
from danvan.channels.base import EventKind, InboundEvent
from danvan.inbox.ingest import ingest_events
from danvan.inbox.models import Contact
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import fold

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

# Citizens' words only: the labels come from the real classifiers (the analysis job), as in a
# deployment. {v} is a village.
TEMPLATES: list[str] = [
    "Đường vào thôn {v} nhiều ổ gà, trời mưa lầy lội, xe máy đi rất khó",
    "Đề nghị xã sớm sửa cầu treo thôn {v}, ván cầu đã mục nhiều chỗ",
    "Cho hỏi bao giờ thì đổ bê tông đường nội đồng thôn {v} ạ?",
    "Xe chở cát chạy suốt đêm qua thôn {v}, đường hỏng hết rồi",
    "Điện thôn {v} chập chờn cả tuần, tối không bật được quạt",
    "Nước sinh hoạt thôn {v} mấy hôm nay đục và có mùi",
    "Xin hỏi bao giờ thôn {v} có sóng 4G ổn định ạ",
    "Gia đình tôi chưa nhận được tiền bồi thường giải phóng mặt bằng làm đường tránh",
    "Cho hỏi thủ tục cấp sổ đỏ lần đầu cho đất ở thôn {v} cần những gì",
    "Nhà bên cạnh lấn sang đất vườn nhà tôi, đề nghị xã xuống đo đạc",
    "Rác thải ở chợ xã không ai thu gom, bốc mùi cả khu {v}",
    "Lò gạch ở thôn {v} đốt khói đen suốt ngày, trẻ con ho nhiều",
    "Đề nghị kiểm tra việc khai thác cát trái phép trên sông gần thôn {v}",
    "Cho em hỏi lịch tiêm chủng mở rộng tháng này ở trạm y tế xã ạ",
    "Thẻ bảo hiểm y tế của mẹ tôi hết hạn mà chưa được gia hạn",
    "Cảm ơn trạm y tế xã đã khám bệnh miễn phí cho người già thôn {v}",
    "Xin hỏi bao giờ có danh sách học sinh được hỗ trợ tiền ăn trưa",
    "Điểm trường thôn {v} mái dột, các cháu học rất vất vả khi mưa",
    "Bao giờ thì có danh sách hộ nghèo, cận nghèo năm nay ạ",
    "Bố tôi là người có công mà ba tháng nay chưa nhận trợ cấp",
    "Hỏi về chế độ hỗ trợ cho người khuyết tật ở thôn {v}",
    "Thanh niên tụ tập đua xe ở đường thôn {v} mỗi tối, rất mất trật tự",
    "Báo để xã biết: có trộm chó ở thôn {v} mấy đêm nay",
    "Cho em hỏi làm căn cước cho con dưới 14 tuổi cần giấy tờ gì ạ",
    "Thủ tục đăng ký khai sinh cho con cần mang những gì",
    "Bộ phận một cửa xã làm thủ tục nhanh, cán bộ nhiệt tình, cảm ơn xã",
    "Nộp hồ sơ chứng thực từ tuần trước mà vẫn chưa có kết quả",
    "Giá phân bón tăng mạnh, bà con thôn {v} trồng chè lỗ vốn",
    "Xã có lớp dạy nghề nào cho thanh niên thôn {v} không ạ",
    "Mưa lớn làm ngập ruộng lúa thôn {v}, nước vẫn đang lên",
    "Cho hỏi xã có hỗ trợ giống ngô cho vụ đông năm nay không",
    "Dịch bệnh trên đàn lợn ở thôn {v}, đề nghị thú y xuống kiểm tra",
    "Lễ hội lồng tồng thôn {v} năm nay tổ chức rất vui, cảm ơn xã",
    "Đề nghị xã sửa lại nhà văn hoá thôn {v} để bà con sinh hoạt",
    "Chào xã, cho hỏi số điện thoại của trưởng thôn {v}",
]  # fmt: skip
BURST: list[str] = [
    "Sạt lở đất tại đường liên thôn Nặm Đường, xe không qua được",
    "Đường liên thôn Nặm Đường sạt lở nặng sau mưa, đề nghị xã xử lý gấp",
    "sat lo duong lien thon Nam Duong, dat da tran xuong mat duong",
    "Đoạn đường liên thôn Nặm Đường bị sạt lở, học sinh không đến trường được",
    "Sạt lở đường liên thôn Nặm Đường vẫn chưa được dọn, bà con phải đi vòng",
    "Bà con thôn Nặm Đường bị cô lập vì sạt lở đường liên thôn",
    "Đường liên thôn Nặm Đường sạt lở thêm một đoạn nữa, rất nguy hiểm",
    "De nghi xa cho may xuc don dat sat lo duong lien thon Nam Duong",
    "Sạt lở đất tại đường liên thôn Nặm Đường, xe không qua được",
    "sạt lở đường liên thôn nặm đường ko ai xử lý à",
    "Sáng nay đường liên thôn Nặm Đường lại sạt lở, cây đổ chắn ngang",
    "Học sinh thôn Nặm Đường nghỉ học hai hôm vì sạt lở đường liên thôn",
]  # fmt: skip


@dataclass(frozen=True)
class DemoMessage:
    index: int
    commune: int
    channel: str
    contact: int  # index of the demo citizen
    text: str
    hours_ago: float


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
            text = rng.choice(TEMPLATES)
            hours = (day - 1) * 24 + rng.uniform(2, 15)
            out.append(
                DemoMessage(
                    index=len(out),
                    commune=commune,
                    channel=channel,
                    contact=contact_for(commune, channel),
                    text=_spell(text.format(v=rng.choice(VILLAGES)), rng),
                    hours_ago=hours + 24,  # the last day is the burst's
                )
            )
    for i, text in enumerate(BURST):
        channel = rng.choices(channels, weights)[0]
        out.append(
            DemoMessage(
                index=len(out),
                commune=MINH_QUANG,
                channel=channel,
                contact=contact_for(MINH_QUANG, channel),
                text=text,
                hours_ago=18 - i * 1.4,
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
