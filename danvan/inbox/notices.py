"""Notices to citizens (a case's answer, a consultation's result…) and the plan that picks the
one channel that carries each of them.

Zalo lets the OA write to a citizen freely for 48 h after their last interaction, for a fee up
to 7 days, and refuses after that (-230; zalo.md §3, §6). A case is answered within 10 working
days, so many notices fall outside the window. The plan, per notice:

1. the conversation's own channel while Zalo allows it: a Zalo OA follower within 48 h (free),
   the Zalo Bot, or the web form's thread page for a citizen who gave no phone;
2. else, if the citizen shared a phone (with consent) and an admin mapped the notice's kind to
   an approved template: a template message by phone (ZNS), never between 22:00 and 06:00
   (queued for 06:00);
3. else a Zalo OA follower within 7 days: the OA message, charged;
4. else nothing is sent: a staff task "Gọi điện cho người dân" (with the phone if known).

Exactly one of them, recorded on the notice's `Message.carried_by` (the case timeline shows it).
The areas (cases, outreach, training) call `send_notice` and know nothing of platforms.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan.channels.models import ZnsTemplate
from danvan.channels.zalo_zns.catalog import APPROVED
from danvan.channels.zalo_zns.outbound import night_until, zns_phone
from danvan.inbox.models import (
    CallTask,
    Contact,
    Conversation,
    Delivery,
    Direction,
    Message,
    NoticeTemplate,
)
from danvan.inbox.outbox import enqueue
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import preview

log = logging.getLogger("danvan.notices")

FREE_WINDOW = timedelta(hours=48)
PAID_WINDOW = timedelta(days=7)
ZNS = "zalo_zns"
CALL = "call"

# Notice kinds an admin maps to a template, with the fields each offers to its parameters.
_CASE_FIELDS = ("case_code", "title", "status", "answer", "due_date", "lookup_url", "date")
FIELDS: dict[str, tuple[str, ...]] = {
    "case_received": _CASE_FIELDS,
    "case_answered": _CASE_FIELDS,
    "case_needs_info": (*_CASE_FIELDS, "request"),
    "case_updated": (*_CASE_FIELDS, "reason"),
    "consultation_result": ("title", "result_url", "date"),
    "training_reminder": ("course", "session", "starts_at", "place", "date"),
}
KINDS = tuple(FIELDS)


@dataclass(frozen=True)
class Plan:
    """The one channel that carries a notice, and why (Vietnamese, shown to staff)."""

    carrier: str  # the conversation's channel, "zalo_zns" or "call"
    reason: str
    charged: bool = False
    recipient: str = ""
    template: dict[str, Any] | None = None
    not_before: datetime | None = None


@dataclass(frozen=True)
class TemplateCheck:
    """A kind's template, filled; or why there is none (reported, never guessed)."""

    template: dict[str, Any] | None
    problem: str = ""


def has_phone(contact: Contact) -> bool:
    """The citizen shared a phone that can take a template message, and the sharing (their
    consent) is recorded."""
    return contact.consent_at is not None and zns_phone(contact.phone) is not None


def fill_template(session: Session, *, kind: str, fields: dict[str, str]) -> TemplateCheck:
    """The kind's mapped template with `template_data` filled from `fields`, cut to each
    parameter's length; a problem when the kind has no usable mapping."""
    mapping = session.get(NoticeTemplate, kind)
    if mapping is None:
        return TemplateCheck(None, "Chưa chọn mẫu tin Zalo (ZNS) cho loại thông báo này")
    template = session.get(ZnsTemplate, mapping.template_id)
    if template is None or not template.listed or template.status != APPROVED:
        return TemplateCheck(
            None, f"Mẫu tin Zalo {mapping.template_id} chưa được duyệt hoặc đã bị gỡ"
        )
    data: dict[str, str] = {}
    for param in template.params or []:
        name = str(param.get("name") or "")
        field = str((mapping.params or {}).get(name) or "")
        value = preview(fields.get(field) or "", int(param.get("max_length") or 0) or 400)
        if not value and param.get("require", True):
            return TemplateCheck(None, f"Mẫu tin Zalo thiếu giá trị cho tham số {name}")
        if value:
            data[name] = value
    return TemplateCheck({"template_id": template.template_id, "template_data": data})


def plan_notice(
    session: Session,
    *,
    settings: Settings,
    contact: Contact,
    kind: str | None,
    fields: dict[str, str],
    now: datetime | None = None,
) -> Plan:
    """Which channel carries a notice of `kind` to `contact` now (see the module's rules)."""
    now = now or utcnow()
    channel = contact.channel
    if channel == "zalo_bot":
        return Plan(channel, "Zalo Bot")
    age = now - contact.last_interaction_at
    oa_open = channel == "zalo_oa" and contact.is_follower
    if oa_open and age <= FREE_WINDOW:
        return Plan(channel, "Trong 48 giờ kể từ lần tương tác cuối (miễn phí)")
    if kind is None:
        # No template can carry it: the conversation's channel, whatever Zalo answers.
        return Plan(channel, "Thông báo không có mẫu tin; gửi qua kênh của hội thoại")
    problem = "Người dân chưa cung cấp số điện thoại"
    if has_phone(contact):
        check = fill_template(session, kind=kind, fields=fields)
        if check.template is not None:
            template = dict(check.template)
            if channel == "zalo_oa":
                template["user_id"] = contact.external_id
            return Plan(
                ZNS,
                "Ngoài thời hạn nhắn tin của Zalo OA: tin mẫu qua số điện thoại"
                if channel == "zalo_oa"
                else "Người dân để lại số điện thoại: tin mẫu Zalo",
                charged=True,
                recipient=zns_phone(contact.phone) or "",
                template=template,
                not_before=night_until(timezone=settings.timezone, now=now),
            )
        problem = check.problem
        log.warning("notice %s to contact %s: %s", kind, contact.id, problem)
    if channel == "web":
        return Plan(channel, "Người dân đọc trên trang theo dõi góp ý")
    if oa_open and age <= PAID_WINDOW:
        return Plan(
            channel, f"Trong 7 ngày kể từ lần tương tác cuối (có phí); {problem}", charged=True
        )
    window = (
        "Người dân đã bỏ quan tâm OA"
        if not contact.is_follower
        else "Quá 7 ngày kể từ lần tương tác cuối"
    )
    return Plan(CALL, f"{window}; {problem}")


def send_notice(
    session: Session,
    *,
    settings: Settings,
    conversation: Conversation,
    text: str,
    kind: str | None = None,
    fields: dict[str, str] | None = None,
    ref: str | None = None,
    buttons: list[dict[str, Any]] | None = None,
) -> Message:
    """Queue one notice to the conversation's citizen on the channel the plan picks: a
    `Message` (source "system", shown in the conversation) plus its outbox row, or a call task
    instead of any send. `ref` names what it is about ("case:TQ-2612-0001")."""
    contact = conversation.contact
    plan = plan_notice(session, settings=settings, contact=contact, kind=kind, fields=fields or {})
    message = Message(
        conversation_id=conversation.id,
        channel=conversation.channel,
        direction=Direction.OUT,
        kind="text",
        text=text,
        source="system",
        notice_kind=kind,
        carried_by=plan.carrier,
        delivery_status=Delivery.TO_CALL if plan.carrier == CALL else Delivery.QUEUED,
        delivery_error=plan.reason[:500] if plan.carrier == CALL else None,
    )
    session.add(message)
    session.flush()
    if plan.carrier == CALL:
        session.add(
            CallTask(
                conversation_id=conversation.id,
                message_id=message.id,
                kind=kind,
                ref=ref,
                reason=plan.reason[:300],
            )
        )
    elif plan.carrier == ZNS:
        enqueue(
            session,
            message=message,
            recipient=plan.recipient,
            template=plan.template,
            channel=ZNS,
            not_before=plan.not_before,
        )
    else:
        enqueue(session, message=message, recipient=contact.external_id, buttons=buttons)
    conversation.last_message_at = message.created_at
    conversation.last_message_preview = preview(text, 200)
    log.info(
        "notice %s (message %s) carried by %s: %s", kind, message.id, plan.carrier, plan.reason
    )
    return message


def carriers(session: Session, message_ids: list[int]) -> dict[int, Message]:
    """The notices among `message_ids`, by id (for timelines: which channel carried each)."""
    if not message_ids:
        return {}
    rows = session.scalars(select(Message).where(Message.id.in_(message_ids)))
    return {m.id: m for m in rows}


@dataclass
class Estimate:
    """How a bulk send of one notice kind would go, shown before it is made: per channel, and
    what it costs (template messages at the template's price, charged OA messages)."""

    carriers: dict[str, int]
    price_vnd: int  # of one template message
    cost_vnd: int

    @property
    def total(self) -> int:
        return sum(self.carriers.values())


def estimate(
    session: Session,
    *,
    settings: Settings,
    contacts: list[Contact],
    kind: str,
    fields: dict[str, str],
    at: datetime | None = None,
) -> Estimate:
    """The plan of a notice of `kind` to each of `contacts` at `at` (default now), counted."""
    carriers: dict[str, int] = {}
    charged_oa = 0
    for contact in contacts:
        plan = plan_notice(
            session, settings=settings, contact=contact, kind=kind, fields=fields, now=at
        )
        carriers[plan.carrier] = carriers.get(plan.carrier, 0) + 1
        charged_oa += plan.charged and plan.carrier == "zalo_oa"
    mapping = session.get(NoticeTemplate, kind)
    template = session.get(ZnsTemplate, mapping.template_id) if mapping else None
    price = (template.price_vnd if template else None) or settings.zalo_zns_price_vnd
    cost = carriers.get(ZNS, 0) * price + charged_oa * settings.outreach_paid_message_vnd
    return Estimate(carriers=carriers, price_vnd=price, cost_vnd=cost)
