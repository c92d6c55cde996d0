"""Who a broadcast reaches and what it may say: its audience (Zalo OA followers of some communes,
with any of some tags and a language, never one who unfollowed or asked to stop), whom Zalo's
window lets us reach and at what cost, and the checks of its text and link."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select

from danvan.inbox.models import Contact, ContactTag
from danvan.kernel.errors import Invalid
from danvan.kernel.text import clean

FREE_WINDOW = timedelta(hours=48)
REACH_WINDOW = timedelta(days=7)
MAX_TEXT = 2000  # one Zalo message
MAX_TAGS = 20
CHANNEL = "zalo_oa"  # broadcasts reach OA followers
REASON_WINDOW = "Không tương tác với OA trong 7 ngày (Zalo không cho gửi)"
REASON_WINDOW_FREE = "Quá 48 giờ từ lần tương tác cuối (chỉ gửi miễn phí)"
REASON_UNFOLLOWED = "Đã bỏ quan tâm OA"
REASON_OPTED_OUT = "Đã xin ngừng nhận tin"


@dataclass(frozen=True)
class Audience:
    commune_codes: tuple[int, ...] = ()  # empty: every commune the author sees
    tags: tuple[str, ...] = ()  # any of
    language: str | None = None
    window: str = "7d"  # "7d" or "48h"


@dataclass
class Preview:
    followers: int = 0  # matched followers (unfollowed / opted-out never counted)
    free: int = 0  # interacted within 48 h
    paid: int = 0  # 48 h – 7 days: charged to the OA quota
    unreachable: int = 0  # over 7 days (or over 48 h with a free-only window)
    reachable: int = 0
    cost_vnd: int = 0
    by_commune: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "followers": self.followers,
            "free": self.free,
            "paid": self.paid,
            "unreachable": self.unreachable,
            "reachable": self.reachable,
            "cost_vnd": self.cost_vnd,
            "by_commune": self.by_commune,
        }


def normalize_tag(tag: str) -> str:
    """A tag as stored: cleaned, in lower case, at most 64 characters."""
    return clean(tag).lower()[:64]


def audience_filter(audience: Audience) -> ColumnElement[bool]:
    """The condition on `Contact` that the audience's followers meet."""
    conditions: list[ColumnElement[bool]] = [
        Contact.channel == CHANNEL,
        Contact.is_follower.is_(True),
        Contact.broadcast_opt_out_at.is_(None),
    ]
    if audience.commune_codes:
        conditions.append(Contact.commune_code.in_(audience.commune_codes))
    if audience.tags:
        conditions.append(
            Contact.id.in_(select(ContactTag.contact_id).where(ContactTag.tag.in_(audience.tags)))
        )
    if audience.language:
        if audience.language == "vi":
            conditions.append(or_(Contact.language.is_(None), Contact.language == "vi"))
        else:
            conditions.append(Contact.language == audience.language)
    return and_(*conditions)


def audience_rows(audience: Audience) -> Select[int, int | None, datetime]:
    """The audience's followers now: (contact id, commune, last interaction), by id."""
    return (
        select(Contact.id, Contact.commune_code, Contact.last_interaction_at)
        .where(audience_filter(audience))
        .order_by(Contact.id)
    )


def classify(last: datetime, now: datetime, window: str) -> tuple[bool, bool, str | None]:
    """(reachable, paid, reason) for a follower whose last interaction was `last`."""
    age = now - last
    if age > REACH_WINDOW:
        return False, False, REASON_WINDOW
    if age > FREE_WINDOW:
        if window == "48h":
            return False, False, REASON_WINDOW_FREE
        return True, True, None
    return True, False, None


def check_text(text: str) -> str:
    """The broadcast's text, cleaned: not empty, within one Zalo message."""
    value = clean(text)
    if not value:
        raise Invalid("Nội dung thông báo không được để trống", code="empty")
    if len(value) > MAX_TEXT:
        raise Invalid(
            "Nội dung dài {length} ký tự, tối đa {limit} (một tin Zalo)",
            code="too_long",
            length=len(value),
            limit=MAX_TEXT,
        )
    return value


def check_link(link: str | None) -> str | None:
    """The broadcast's link, cleaned (None when empty): http(s), at most 500 characters."""
    value = clean(link or "")
    if not value:
        return None
    if len(value) > 500 or not value.startswith(("https://", "http://")):
        raise Invalid(
            "Liên kết phải bắt đầu bằng https:// và dài tối đa 500 ký tự", code="bad_link"
        )
    return value
