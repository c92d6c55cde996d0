"""Emerging-issue alerts by Zalo, to staff who linked their own Zalo account and opted in.

Linking, from the staff member's own page (/account):
1. `do_new_code` gives them a one-time code (6 digits, 15 minutes, one live code per person;
   only an HMAC of it is stored, under a random key of its own, and the page shows it once);
2. they send "LIENKET <code>" to the OA from their Zalo. Ingest stores it as any inbound text
   and offers it to this module (`wants_text` / `on_text`, see `danvan.inbox.ingest`): a good
   code links that Zalo id to them (one Zalo id ↔ one staff user), the OA confirms and the audit
   log records it; a wrong or expired code gets a clear reply and links nothing, and a Zalo id
   (and the whole OA) may only get so many wrong codes an hour.
3. The conversation their message opened is not a citizen's concern: it is marked "staff",
   which the inbox leaves out (like "outreach") and ingest keeps (their later messages do not
   reopen it); the classifiers skip it, so it never reaches the opinion figures. Unlinking
   closes it (status "closed") so that nothing stays hidden that no one owns.

Sending (`run_staff_alerts`, a worker job under a lease): each new `OpinionAlert` (a spike, or
one message labelled urgent: danvan.opinion.urgency) goes to every
active staff member who opted in, is linked and sees the alert's commune (`Actor.sees_commune`:
that commune's staff, and admins). One `OpinionAlertDelivery` row per alert and person (unique)
is written in the transaction that queues the message, so no alert reaches anyone twice. The
text is aggregate only (topic, commune, the issue's key phrases, counts, a link), never a
citizen's words, name or phone. Zalo lets an OA write to a person only within 7 days of their
last interaction (free within 48 h): past that, or after they unfollowed, the delivery is
recorded unreachable with the reason and nothing is sent; the account page shows the staff
member's last interaction and that caveat.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.accounts.models import User
from danvan.inbox.models import Contact, Conversation, Delivery, Direction, Message
from danvan.inbox.outbox import enqueue
from danvan.kernel import geo, taxonomy
from danvan.kernel.db import Database
from danvan.kernel.errors import Invalid
from danvan.kernel.models import RateLimitBucket, utcnow
from danvan.kernel.numbers import number
from danvan.kernel.settings import Settings
from danvan.kernel.text import fold
from danvan.opinion.models import (
    AlertDeliveryStatus,
    AlertKind,
    EmergingIssue,
    OpinionAlert,
    OpinionAlertDelivery,
    StaffLinkCode,
    StaffZaloLink,
)

CHANNEL = "zalo_oa"  # the OA is what may write to a person (the Bot only answers in a chat)
STAFF_STATUS = "staff"  # conversation status: a staff member's own Zalo, out of the inbox
CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=15)
WRONG_PER_ZALO_ID = 5  # wrong or expired codes per Zalo id per hour
WRONG_PER_OA = 60  # and for the whole OA (many Zalo ids guessing together)
WRONG_WINDOW = timedelta(hours=1)
FREE_WINDOW = timedelta(hours=48)
REACH_WINDOW = timedelta(days=7)
SEND_WITHIN = timedelta(hours=2)  # alerts older than this are not sent any more
BATCH = 200  # deliveries per job run

# "LIENKET 123456", "liên kết 123 456", "Lien ket: 123456" (folded, so with or without accents).
_WANTS = re.compile(r"^\s*lien\s*ket\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d{6,}")
_COMMAND = re.compile(r"^\s*lien\s*ket\s*[:#]?\s*([\d ]{1,20})\s*$", re.IGNORECASE)

REPLY_LINKED = (
    "Đã liên kết Zalo này với tài khoản danvan của {name}. Bật “Nhận cảnh báo qua Zalo” trên "
    "trang Tài khoản của tôi để nhận cảnh báo vấn đề mới nổi."
)
REPLY_WRONG = (
    "Mã liên kết không đúng hoặc đã hết hạn. Hãy tạo mã mới trên trang “Tài khoản của tôi” "
    "trong danvan rồi gửi lại: LIENKET <mã>."
)
REPLY_TAKEN = "Tài khoản Zalo này đã liên kết với một cán bộ khác. Người đó cần huỷ liên kết trước."
REPLY_THROTTLED = "Bạn đã gửi sai mã quá nhiều lần. Vui lòng thử lại sau một giờ."

REASON_FAR = "Quá 7 ngày từ lần cuối cán bộ nhắn OA: Zalo không cho OA gửi tin"
REASON_UNFOLLOWED = "Tài khoản Zalo của cán bộ đã bỏ quan tâm OA"
REASON_NO_CONTACT = "Chưa có tương tác Zalo nào của cán bộ với OA"


# --- The code ------------------------------------------------------------------------------------


def _digest(key: str, code: str) -> str:
    return hmac.new(bytes.fromhex(key), code.encode(), hashlib.sha256).hexdigest()


def do_new_code(session: Session, *, actor: Actor, now: datetime | None = None) -> str:
    """A new one-time code for the actor (replacing any live one); shown once. Audited."""
    now = now or utcnow()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    key = secrets.token_hex(32)
    session.execute(delete(StaffLinkCode).where(StaffLinkCode.user_id == actor.user.id))
    session.add(
        StaffLinkCode(
            user_id=actor.user.id,
            key=key,
            code_hash=_digest(key, code),
            expires_at=now + CODE_TTL,
            created_at=now,
        )
    )
    audit.record(
        session, actor=actor, action="staff_zalo_code", object_type="user", object_id=actor.user.id
    )
    return code


def _match_code(session: Session, code: str, now: datetime) -> tuple[StaffLinkCode | None, bool]:
    """(the code row this code matches, whether it is still live). Codes expired for a day are
    dropped; the others are few (one per person linking now), each compared in constant time."""
    session.execute(delete(StaffLinkCode).where(StaffLinkCode.expires_at < now - timedelta(days=1)))
    for row in session.scalars(select(StaffLinkCode)):
        if hmac.compare_digest(row.code_hash, _digest(row.key, code)):
            return row, row.expires_at > now
    return None, False


# --- Inbound: "LIENKET <code>" -------------------------------------------------------------------


def wants_text(session: Session, text: str) -> bool:
    """Called for every inbound text: a regex on its first characters only."""
    return bool(_WANTS.match(fold(text[:40])))


def _throttled(session: Session, key: str, limit: int, now: datetime) -> bool:
    bucket = session.get(RateLimitBucket, key)
    return bucket is not None and bucket.window_start > now - WRONG_WINDOW and bucket.count >= limit


def _count_wrong(session: Session, keys: tuple[tuple[str, int], ...]) -> None:
    from danvan.kernel.ratelimit import hit

    for key, limit in keys:
        hit(session, key=key, limit=limit, window=WRONG_WINDOW)


def on_text(session: Session, *, channel: str, user_id: str, text: str) -> bool:
    """Link the sender's Zalo id to the staff member whose live code this is, and reply."""
    if channel != CHANNEL:
        return False
    found = _COMMAND.match(fold(text[:60]))
    if found is None:
        return False  # "liên kết" in some other sentence: a citizen's words
    now = utcnow()
    contact = session.scalar(
        select(Contact).where(Contact.channel == channel, Contact.external_id == user_id)
    )
    if contact is None:
        return False
    keys = ((f"staff-link:{user_id}", WRONG_PER_ZALO_ID), ("staff-link:*", WRONG_PER_OA))
    if any(_throttled(session, key, limit, now) for key, limit in keys):
        _reply(session, contact, REPLY_THROTTLED)
        return True
    code = found.group(1).replace(" ", "")
    row, live = _match_code(session, code, now) if len(code) == CODE_DIGITS else (None, False)
    if row is None or not live:
        _count_wrong(session, keys)
        _reply(session, contact, REPLY_WRONG)
        audit.record(
            session,
            actor=None,
            action="staff_zalo_link_refused",
            object_type="contact",
            object_id=contact.id,
            detail={"reason": "expired" if row is not None else "wrong"},
            via="zalo",
        )
        return True
    user = session.get(User, row.user_id)
    taken = session.scalar(select(StaffZaloLink).where(StaffZaloLink.zalo_user_id == user_id))
    if user is None or not user.is_active:
        session.delete(row)
        _reply(session, contact, REPLY_WRONG)
        return True
    if taken is not None and taken.user_id != user.id:
        _reply(session, contact, REPLY_TAKEN)
        return True
    link = session.get(StaffZaloLink, user.id)
    if link is None:
        link = StaffZaloLink(user_id=user.id, alerts_enabled=False)
        session.add(link)
    elif link.zalo_user_id != user_id:
        _release(session, link)  # their previous Zalo account
    link.channel = channel
    link.zalo_user_id = user_id
    link.contact_id = contact.id
    link.linked_at = now
    session.delete(row)
    conversation = _conversation(session, contact)
    conversation.status = STAFF_STATUS
    conversation.unread_count = 0
    session.flush()
    _reply(session, contact, REPLY_LINKED.format(name=user.full_name or user.email))
    audit.record(
        session,
        actor=Actor(user, via="zalo"),
        action="staff_zalo_link",
        object_type="user",
        object_id=user.id,
        detail={"channel": channel, "contact_id": contact.id},
    )
    return True


def _conversation(session: Session, contact: Contact) -> Conversation:
    from danvan.inbox.ingest import conversation_for

    return conversation_for(session, contact)


def _release(session: Session, link: StaffZaloLink) -> None:
    """The staff conversation of a link being removed goes back to the inbox, closed."""
    if link.contact_id is None:
        return
    conversation = session.scalar(
        select(Conversation).where(Conversation.contact_id == link.contact_id)
    )
    if conversation is not None and conversation.status == STAFF_STATUS:
        conversation.status = "closed"


def _reply(session: Session, contact: Contact, text: str) -> Message:
    conversation = _conversation(session, contact)
    message = Message(
        conversation_id=conversation.id,
        channel=contact.channel,
        direction=Direction.OUT,
        text=text,
        source="system",
        delivery_status=Delivery.QUEUED,
    )
    session.add(message)
    session.flush()
    enqueue(session, message=message, recipient=contact.external_id)
    return message


# --- The account page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ZaloAccount:
    """What the account page shows of the actor's own Zalo link."""

    link: StaffZaloLink | None
    last_interaction_at: datetime | None
    follower: bool
    reachable: bool  # within Zalo's 7 days now
    free: bool  # within the free 48 h now
    code_expires_at: datetime | None  # a live code waits to be sent
    deliveries: list[OpinionAlertDelivery]


def access_zalo_account(session: Session, *, actor: Actor, now: datetime) -> ZaloAccount:
    """The actor's own link only (no other user's data is ever read here)."""
    link = session.get(StaffZaloLink, actor.user.id)
    contact = session.get(Contact, link.contact_id) if link and link.contact_id else None
    last = contact.last_interaction_at if contact else None
    code = session.get(StaffLinkCode, actor.user.id)
    deliveries = list(
        session.scalars(
            select(OpinionAlertDelivery)
            .where(OpinionAlertDelivery.user_id == actor.user.id)
            .order_by(OpinionAlertDelivery.id.desc())
            .limit(10)
        )
    )
    return ZaloAccount(
        link=link,
        last_interaction_at=last,
        follower=bool(contact and contact.is_follower),
        reachable=last is not None and now - last <= REACH_WINDOW,
        free=last is not None and now - last <= FREE_WINDOW,
        code_expires_at=code.expires_at if code and code.expires_at > now else None,
        deliveries=deliveries,
    )


def do_set_alerts(session: Session, *, actor: Actor, enabled: bool) -> None:
    """Opt in or out of alerts by Zalo (needs a linked account). Audited."""
    link = session.get(StaffZaloLink, actor.user.id)
    if link is None:
        raise Invalid("Hãy liên kết tài khoản Zalo trước", code="not_linked")
    link.alerts_enabled = enabled
    audit.record(
        session,
        actor=actor,
        action="staff_zalo_alerts_on" if enabled else "staff_zalo_alerts_off",
        object_type="user",
        object_id=actor.user.id,
    )


def do_unlink(session: Session, *, actor: Actor) -> None:
    """Forget the actor's Zalo link (alerts stop at once). Audited."""
    link = session.get(StaffZaloLink, actor.user.id)
    if link is None:
        raise Invalid("Tài khoản chưa liên kết Zalo", code="not_linked")
    _release(session, link)
    session.delete(link)
    audit.record(
        session,
        actor=actor,
        action="staff_zalo_unlink",
        object_type="user",
        object_id=actor.user.id,
    )


# --- Sending alerts ------------------------------------------------------------------------------


def alert_text(session: Session, *, alert: OpinionAlert, base_url: str) -> str:
    """The Zalo message of an alert: aggregate facts and a link, no citizen's words."""
    topics = {t.code: t.vi for t in taxonomy.topics()}
    commune = (
        geo.commune_name(alert.commune_code) or str(alert.commune_code)
        if alert.commune_code is not None
        else "Chưa rõ xã/phường (đang chờ phân loại)"
    )
    if alert.kind == AlertKind.URGENT:
        message = session.get(Message, alert.message_id) if alert.message_id else None
        where = f"/conversations/{message.conversation_id}" if message else "/inbox"
        return "\n".join(
            [
                "[danvan] Tin nhắn khẩn cấp cần xử lý",
                f"Địa bàn: {commune}",
                f"Lĩnh vực: {topics.get(alert.topic, alert.topic)}",
                "Một người dân vừa gửi tin nhắn được đánh dấu khẩn cấp; tin đang chờ trả lời.",
                f"Xem: {base_url.rstrip('/')}{where}",
            ]
        )
    issue = session.get(EmergingIssue, alert.issue_id) if alert.issue_id else None
    base = base_url.rstrip("/")
    link = (
        f"{base}/dashboard/messages?issue={issue.id}"
        if issue is not None
        else f"{base}/dashboard" + (f"?commune={alert.commune_code}" if alert.commune_code else "")
    )
    lines = [
        "[danvan] Cảnh báo vấn đề mới nổi",
        f"Địa bàn: {commune}",
        f"Lĩnh vực: {topics.get(alert.topic, alert.topic)}",
    ]
    if issue is not None and issue.label:
        # Labels are built from masked text; long digit runs are dropped all the same.
        lines.append(f"Nội dung chính: {_DIGITS.sub('…', issue.label)}")
    lines += [
        f"Số tin nhắn: {alert.observed} trong {alert.window_hours} giờ "
        f"(bình thường khoảng {number(alert.expected)})",
        f"Xem: {link}",
    ]
    return "\n".join(lines)


def _reason_unreachable(contact: Contact | None, now: datetime) -> str:
    if contact is None:
        return REASON_NO_CONTACT
    if not contact.is_follower:
        return REASON_UNFOLLOWED
    if now - contact.last_interaction_at > REACH_WINDOW:
        return REASON_FAR
    return ""


def _deliver(
    session: Session,
    *,
    alert: OpinionAlert,
    link: StaffZaloLink,
    text: str,
    now: datetime,
) -> bool:
    """Record and queue one alert for one person; False if it was already recorded."""
    delivery = OpinionAlertDelivery(
        alert_id=alert.id, user_id=link.user_id, status=AlertDeliveryStatus.QUEUED, created_at=now
    )
    try:
        with session.begin_nested():
            session.add(delivery)
            session.flush()
    except IntegrityError:
        return False  # recorded by an earlier run (or another worker): never twice
    contact = session.get(Contact, link.contact_id) if link.contact_id else None
    reason = _reason_unreachable(contact, now)
    if reason or contact is None:
        delivery.status = AlertDeliveryStatus.UNREACHABLE
        delivery.reason = reason
        return True
    conversation = _conversation(session, contact)
    if conversation.status != STAFF_STATUS:
        conversation.status = STAFF_STATUS
    message = Message(
        conversation_id=conversation.id,
        channel=link.channel,
        direction=Direction.OUT,
        text=text,
        source="system",
        delivery_status=Delivery.QUEUED,
    )
    session.add(message)
    session.flush()
    enqueue(session, message=message, recipient=link.zalo_user_id)
    delivery.message_id = message.id
    return True


# The outbox's outcome of a message, as the outcome of the alert delivery it carries.
_OUTCOMES = {
    Delivery.SENT: AlertDeliveryStatus.SENT,
    Delivery.DELIVERED: AlertDeliveryStatus.SENT,
    Delivery.SEEN: AlertDeliveryStatus.SENT,
    Delivery.UNREACHABLE: AlertDeliveryStatus.UNREACHABLE,
    Delivery.FAILED: AlertDeliveryStatus.FAILED,
    Delivery.UNCERTAIN: AlertDeliveryStatus.FAILED,
}


def settle_deliveries(session: Session, *, limit: int = BATCH) -> int:
    """Queued deliveries whose message the outbox has sent or given up on take that outcome
    (with the outbox's reason when it failed), like the outbox row itself. Returns how many."""
    rows = session.execute(
        select(OpinionAlertDelivery, Message.delivery_status, Message.delivery_error)
        .join(Message, Message.id == OpinionAlertDelivery.message_id)
        .where(
            OpinionAlertDelivery.status == AlertDeliveryStatus.QUEUED,
            Message.delivery_status.in_([str(d) for d in _OUTCOMES]),
        )
        .order_by(OpinionAlertDelivery.id)
        .limit(limit)
    ).all()
    for delivery, state, error in rows:
        delivery.status = _OUTCOMES[Delivery(str(state))]
        if delivery.status != AlertDeliveryStatus.SENT:
            delivery.reason = (error or "")[:200]
    return len(rows)


def run_staff_alerts(database: Database, settings: Settings, now: datetime) -> int:
    """The worker job: settle the deliveries the outbox has handled since, then queue each
    recent alert for the opted-in staff who see its commune; deliveries recorded (queued, then
    sent or failed; or unreachable)."""
    with database.session() as session:
        settle_deliveries(session)
    with database.session() as session:
        alerts = list(
            session.scalars(
                select(OpinionAlert)
                .where(OpinionAlert.created_at > now - SEND_WITHIN)
                .order_by(OpinionAlert.id)
            )
        )
        if not alerts:
            return 0
        links = session.execute(
            select(StaffZaloLink, User)
            .join(User, User.id == StaffZaloLink.user_id)
            .where(StaffZaloLink.alerts_enabled.is_(True), User.is_active.is_(True))
        ).all()
        if not links:
            return 0
        done = {
            (int(a), int(u))
            for a, u in session.execute(
                select(OpinionAlertDelivery.alert_id, OpinionAlertDelivery.user_id).where(
                    OpinionAlertDelivery.alert_id.in_([a.id for a in alerts])
                )
            )
        }
        made = 0
        for alert in alerts:
            recipients = [
                link
                for link, user in links
                if (alert.id, user.id) not in done and Actor(user).sees_commune(alert.commune_code)
            ]
            if not recipients:
                continue
            text = alert_text(session, alert=alert, base_url=settings.base_url)
            for link in recipients:
                if made >= BATCH:
                    return made
                made += _deliver(session, alert=alert, link=link, text=text, now=now)
    return made
