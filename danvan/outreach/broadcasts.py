"""Broadcasts: one text to the followers of some communes, within Zalo's messaging rules.

A broadcast's audience is chosen when sending starts (Zalo OA followers of the chosen communes,
with any of the tags and the language, never one who unfollowed or asked to stop) and written as
one `BroadcastRecipient` per citizen (unique per broadcast: never two sends to one citizen).
The job `run_broadcasts` then queues a bounded number of recipients at a time as a `Message` in
the citizen's conversation plus its outbox row, so the ordinary worker delivers it (retries,
crash reconciliation, received/seen receipts all come from the inbox's machinery); the worker
paces broadcast messages to `outreach_rate_per_second` across all workers. Pausing or
cancelling removes the queued rows no worker has tried yet, in one transaction, and puts their
recipients back (pause) or marks them cancelled: nothing is sent twice and nothing is lost.

Zalo's window (zalo.md): free within 48 h of the citizen's last interaction, charged between
48 h and 7 days, impossible after; those past the window are recorded "unreachable" unsent.

Beside this module: `audience` (who a broadcast reaches, and the checks of its text and link),
`deliveries` (messages and outbox rows written, taken back or deferred in bulk) and `articles`
(the article mode, one call to Zalo for every follower).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, text, true, update
from sqlalchemy.orm import Session

from danvan.accounts import audit
from danvan.accounts.actors import Actor
from danvan.inbox.models import Contact, Conversation, Delivery, Message, OutboxItem, OutboxStatus
from danvan.kernel import geo
from danvan.kernel.errors import Invalid, NotFound
from danvan.kernel.models import utcnow
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean
from danvan.outreach import deliveries
from danvan.outreach.audience import (
    FREE_WINDOW,
    MAX_TAGS,
    REACH_WINDOW,
    REASON_OPTED_OUT,
    REASON_UNFOLLOWED,
    Audience,
    Preview,
    audience_filter,
    audience_rows,
    check_link,
    check_text,
    classify,
    normalize_tag,
)
from danvan.outreach.deliveries import REASON_CANCELLED
from danvan.outreach.models import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    RecipientStatus,
)

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
# Recipients written at once: refresh PostgreSQL's statistics (see start_sending).
ANALYZE_AFTER = 5000
SOURCE = "broadcast"


# --- audience -------------------------------------------------------------------------------


def check_audience(
    *,
    actor: Actor,
    commune_codes: list[int] | None,
    tags: list[str] | None,
    language: str | None,
    window: str,
    province_code: int,
) -> Audience:
    """Communes must be of the province and in the actor's scope (404-free: a clear 422)."""
    codes = sorted(set(commune_codes or []))
    for code in codes:
        commune = geo.get_commune(code)
        if commune is None or commune.province_code != province_code:
            raise Invalid("Mã xã {number} không thuộc tỉnh", code="bad_commune", number=code)
        if not actor.sees_commune(code):
            raise Invalid(
                "Không có quyền gửi đến {commune}", code="out_of_scope", commune=commune.name
            )
    if not codes and not actor.is_admin:
        codes = sorted(actor.user.commune_codes)
        if not codes:
            raise Invalid("Tài khoản chưa được giao xã nào", code="no_commune")
    clean_tags = sorted({normalize_tag(t) for t in tags or [] if normalize_tag(t)})
    if len(clean_tags) > MAX_TAGS:
        raise Invalid("Tối đa {limit} nhãn", code="too_many_tags", limit=MAX_TAGS)
    if window not in ("7d", "48h"):
        raise Invalid("Khung tương tác phải là 7d hoặc 48h", code="bad_window")
    lang = clean(language or "").lower()[:8] or None
    return Audience(tuple(codes), tuple(clean_tags), lang, window)


def preview_audience(
    session: Session, *, audience: Audience, settings: Settings, now: datetime | None = None
) -> Preview:
    """How many followers match, how many Zalo lets us reach, and at what cost."""
    now = now or utcnow()
    free_since = now - FREE_WINDOW
    reach_since = now - REACH_WINDOW
    rows = session.execute(
        select(
            Contact.commune_code,
            func.count(),
            func.count().filter(Contact.last_interaction_at >= free_since),
            func.count().filter(
                Contact.last_interaction_at < free_since,
                Contact.last_interaction_at >= reach_since,
            ),
        )
        .where(audience_filter(audience))
        .group_by(Contact.commune_code)
    ).all()
    result = Preview()
    for code, total, free, paid in rows:
        paid_reach = 0 if audience.window == "48h" else paid
        reach = free + paid_reach
        result.followers += total
        result.free += free
        result.paid += paid_reach
        result.reachable += reach
        result.unreachable += total - reach
        result.by_commune[str(code or "")] = {
            "followers": total,
            "reachable": reach,
            "paid": paid_reach,
        }
    result.cost_vnd = result.paid * settings.outreach_paid_message_vnd
    return result


# --- quiet hours ----------------------------------------------------------------------------


def in_quiet_hours(now: datetime, settings: Settings) -> bool:
    hour = now.astimezone(LOCAL).hour
    start, end = settings.outreach_quiet_start_hour, settings.outreach_quiet_end_hour
    if start == end:
        return False
    return hour >= start or hour < end if start > end else start <= hour < end


def quiet_ends_at(now: datetime, settings: Settings) -> datetime:
    """The next end of quiet hours after `now` (UTC)."""
    local = now.astimezone(LOCAL)
    end = datetime.combine(local.date(), time(settings.outreach_quiet_end_hour), tzinfo=LOCAL)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(UTC)


# --- staff actions --------------------------------------------------------------------------


def do_create_broadcast(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    text: str,
    audience: Audience,
    link_url: str | None = None,
    send_at: datetime | None = None,
    urgent: bool = False,
    mode: str = "cs",
    article_id: str | None = None,
    consultation_id: int | None = None,
    buttons: list[dict[str, Any]] | None = None,
) -> tuple[Broadcast, Preview]:
    """A broadcast to `audience`; `buttons` go under each message (see channels.base.Button)."""
    actor.require_write()
    body = check_text(text)
    link = check_link(link_url)
    if mode not in ("cs", "article"):
        raise Invalid("Kiểu gửi phải là cs hoặc article", code="bad_mode")
    if mode == "article":
        actor.require_admin()  # an article broadcast reaches every follower of the OA
        if not clean(article_id or ""):
            raise Invalid("Cần mã bài viết (article) của Zalo OA", code="no_article")
    if send_at is not None and send_at.tzinfo is None:
        raise Invalid("Thời điểm gửi phải có múi giờ", code="naive_time")
    preview = preview_audience(session, audience=audience, settings=settings)
    broadcast = Broadcast(
        text=body,
        link_url=link,
        mode=mode,
        article_id=clean(article_id or "")[:64] or None,
        commune_codes=list(audience.commune_codes),
        tags=list(audience.tags),
        language=audience.language,
        window=audience.window,
        urgent=urgent,
        send_at=send_at,
        status=BroadcastStatus.SCHEDULED,
        preview=preview.as_dict(),
        consultation_id=consultation_id,
        buttons=buttons or None,
        created_by=actor.user.id,
    )
    session.add(broadcast)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="broadcast_create",
        object_type="broadcast",
        object_id=broadcast.id,
        detail={
            "communes": list(audience.commune_codes),
            "tags": list(audience.tags),
            "reachable": preview.reachable,
            "urgent": urgent,
            "mode": mode,
            "send_at": send_at.isoformat() if send_at else None,
        },
    )
    return broadcast, preview


def _visible(actor: Actor) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    return Broadcast.created_by.is_not(None)  # refined in Python (JSON lists of communes)


def _sees(actor: Actor, broadcast: Broadcast) -> bool:
    if actor.is_admin:
        return True
    codes = broadcast.commune_codes or []
    return bool(codes) and all(actor.sees_commune(c) for c in codes)


def access_broadcast(session: Session, *, actor: Actor, broadcast_id: int) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or not _sees(actor, broadcast):
        raise NotFound("Không tìm thấy thông báo")
    return broadcast


def list_broadcasts(session: Session, *, actor: Actor, limit: int = 100) -> list[Broadcast]:
    rows = session.scalars(
        select(Broadcast).where(_visible(actor)).order_by(Broadcast.id.desc()).limit(limit * 5)
    )
    return [b for b in rows if _sees(actor, b)][:limit]


def _lock(session: Session, broadcast: Broadcast) -> None:
    """Wait for a queueing batch in progress (it holds the row) and read the status afresh."""
    session.refresh(broadcast, with_for_update=True)


def do_pause(session: Session, *, actor: Actor, broadcast: Broadcast) -> int:
    actor.require_write()
    _lock(session, broadcast)
    if broadcast.status not in (BroadcastStatus.SCHEDULED, BroadcastStatus.SENDING):
        raise Invalid("Chỉ tạm dừng được thông báo đang chờ hoặc đang gửi", code="bad_status")
    held = deliveries.unqueue(session, broadcast, to=RecipientStatus.WAITING)
    was = broadcast.status
    broadcast.status = BroadcastStatus.PAUSED
    audit.record(
        session,
        actor=actor,
        action="broadcast_pause",
        object_type="broadcast",
        object_id=broadcast.id,
        detail={"from": was, "held_back": held},
    )
    return held


def do_resume(session: Session, *, actor: Actor, broadcast: Broadcast) -> None:
    actor.require_write()
    _lock(session, broadcast)
    if broadcast.status != BroadcastStatus.PAUSED:
        raise Invalid("Thông báo không ở trạng thái tạm dừng", code="bad_status")
    broadcast.status = (
        BroadcastStatus.SENDING if broadcast.started_at is not None else BroadcastStatus.SCHEDULED
    )
    audit.record(
        session, actor=actor, action="broadcast_resume", object_type="broadcast",
        object_id=broadcast.id,
    )  # fmt: skip


def do_cancel(session: Session, *, actor: Actor, broadcast: Broadcast) -> int:
    actor.require_write()
    _lock(session, broadcast)
    if broadcast.status in (BroadcastStatus.CANCELLED, BroadcastStatus.DONE):
        raise Invalid("Thông báo đã kết thúc, không huỷ được", code="bad_status")
    removed = deliveries.unqueue(session, broadcast, to=RecipientStatus.CANCELLED)
    waiting = session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast.id,
            BroadcastRecipient.status == RecipientStatus.WAITING,
        )
        .values(status=RecipientStatus.CANCELLED, reason=REASON_CANCELLED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    broadcast.status = BroadcastStatus.CANCELLED
    broadcast.finished_at = utcnow()
    count = removed + int(waiting.rowcount or 0)  # type: ignore[attr-defined]
    audit.record(
        session,
        actor=actor,
        action="broadcast_cancel",
        object_type="broadcast",
        object_id=broadcast.id,
        detail={"not_sent": count},
    )
    return count


# --- results ----------------------------------------------------------------------------------

# What staff read: the message's delivery status once queued, else the recipient's own.
_status = func.coalesce(Message.delivery_status, BroadcastRecipient.status)


def totals(session: Session, *, broadcast: Broadcast) -> dict[str, Any]:
    """Per-status totals, overall and per commune (codes as strings, "" for none)."""
    rows = session.execute(
        select(BroadcastRecipient.commune_code, _status, func.count())
        .select_from(BroadcastRecipient)
        .outerjoin(Message, Message.id == BroadcastRecipient.message_id)
        .where(BroadcastRecipient.broadcast_id == broadcast.id)
        .group_by(BroadcastRecipient.commune_code, _status)
    ).all()
    overall: dict[str, int] = {}
    communes: dict[str, dict[str, int]] = {}
    for code, status, count in rows:
        overall[status] = overall.get(status, 0) + count
        bucket = communes.setdefault(str(code or ""), {})
        bucket[status] = bucket.get(status, 0) + count
    reached = sum(overall.get(s, 0) for s in (Delivery.SENT, Delivery.DELIVERED, Delivery.SEEN))
    return {
        "recipients": sum(overall.values()),
        "reached": reached,
        "by_status": overall,
        "by_commune": communes,
    }


@dataclass(frozen=True)
class RecipientRow:
    contact_id: int
    name: str
    commune_code: int | None
    status: str
    reason: str | None
    paid: bool


def list_recipients(
    session: Session, *, broadcast: Broadcast, status: str | None = None, limit: int = 200
) -> list[RecipientRow]:
    query = (
        select(
            BroadcastRecipient.contact_id,
            Contact.display_name,
            BroadcastRecipient.commune_code,
            _status,
            func.coalesce(Message.delivery_error, BroadcastRecipient.reason),
            BroadcastRecipient.paid,
        )
        .select_from(BroadcastRecipient)
        .join(Contact, Contact.id == BroadcastRecipient.contact_id)
        .outerjoin(Message, Message.id == BroadcastRecipient.message_id)
        .where(BroadcastRecipient.broadcast_id == broadcast.id)
        .order_by(BroadcastRecipient.id)
        .limit(limit)
    )
    if status:
        query = query.where(_status == status)
    return [RecipientRow(*row) for row in session.execute(query).all()]


# --- the job --------------------------------------------------------------------------------


def start_sending(session: Session, broadcast: Broadcast, *, now: datetime) -> int:
    """Choose the audience now and write one recipient row per citizen."""
    audience = Audience(
        tuple(broadcast.commune_codes or []),
        tuple(broadcast.tags or []),
        broadcast.language,
        broadcast.window,
    )
    rows = []
    total = 0
    for contact_id, commune_code, last in session.execute(audience_rows(audience)):
        total += 1
        reachable, paid, reason = classify(last, now, broadcast.window)
        rows.append(
            {
                "broadcast_id": broadcast.id,
                "contact_id": contact_id,
                "commune_code": commune_code,
                "status": RecipientStatus.WAITING if reachable else RecipientStatus.UNREACHABLE,
                "reason": reason,
                "paid": paid,
                "updated_at": now,
            }
        )
        if len(rows) >= 5000:
            session.execute(insert(BroadcastRecipient), rows)
            rows = []
    if rows:
        session.execute(insert(BroadcastRecipient), rows)
    if total > ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # Fresh statistics for the rows just written: with the old ones (autovacuum has not
        # run yet) PostgreSQL estimated 72 recipients instead of 100,000 and the pending count
        # of `queue_some` took 9.5 s per call (1 message/s sent). ANALYZE is allowed inside a
        # transaction and samples, so it costs a fraction of a second once per broadcast.
        session.execute(text("ANALYZE broadcast_recipients"))
    broadcast.status = BroadcastStatus.SENDING
    broadcast.started_at = now
    count = session.scalar(
        select(func.count()).where(BroadcastRecipient.broadcast_id == broadcast.id)
    )
    audit.record(
        session,
        actor=None,
        action="broadcast_start",
        object_type="broadcast",
        object_id=broadcast.id,
        detail={"recipients": count or 0},
        via="worker",
    )
    return 1


def queue_some(session: Session, broadcast: Broadcast, *, settings: Settings, now: datetime) -> int:
    """Queue waiting recipients until `outreach_queue_ahead` deliveries are pending.

    Written in bulk by `deliveries` (a few statements per batch, not per citizen): the
    conversations that do not exist yet, the messages, their outbox rows, and the recipients'
    new status."""
    pending = (
        session.scalar(
            select(func.count())
            .select_from(BroadcastRecipient)
            .join(OutboxItem, OutboxItem.message_id == BroadcastRecipient.message_id)
            .where(
                BroadcastRecipient.broadcast_id == broadcast.id,
                OutboxItem.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
            )
        )
        or 0
    )
    room = settings.outreach_queue_ahead - pending
    if room <= 0:
        return 0
    rows = session.execute(
        select(
            BroadcastRecipient.id,
            Contact.id,
            Contact.channel,
            Contact.external_id,
            Contact.commune_code,
            Contact.is_follower,
            Contact.broadcast_opt_out_at,
            Contact.last_interaction_at,
            Conversation.id,
        )
        .join(Contact, Contact.id == BroadcastRecipient.contact_id)
        .outerjoin(Conversation, Conversation.contact_id == Contact.id)
        .where(
            BroadcastRecipient.broadcast_id == broadcast.id,
            BroadcastRecipient.status == RecipientStatus.WAITING,
        )
        .order_by(BroadcastRecipient.id)
        .limit(room)
    ).all()
    if not rows:
        broadcast.status = BroadcastStatus.DONE
        broadcast.finished_at = now
        return 0
    skipped: list[dict[str, Any]] = []
    sendable = []
    for row in rows:
        recipient_id, _cid, _ch, _ext, _commune, follower, opted_out, last, _conv = row
        if not follower:
            reason: str | None = REASON_UNFOLLOWED
        elif opted_out is not None:
            reason = REASON_OPTED_OUT
        else:
            reachable, _paid, why = classify(last, now, broadcast.window)
            reason = None if reachable else why
        if reason is not None:
            skipped.append(
                {"id": recipient_id, "status": RecipientStatus.UNREACHABLE, "reason": reason}
            )
        else:
            sendable.append(row)
    if skipped:
        session.execute(update(BroadcastRecipient), skipped)
    conversations = deliveries.conversations_of(session, sendable, now=now)
    if sendable:
        deliveries.queue_messages(
            session, broadcast, sendable, conversations, source=SOURCE, now=now
        )
    return len(rows)


def run_broadcasts(session: Session, *, settings: Settings, now: datetime, limit: int = 5) -> int:
    """One step of every broadcast due: start those whose time came, queue more recipients of
    those sending, and hold back non-urgent sends during quiet hours. Work done (0 = none)."""
    quiet = in_quiet_hours(now, settings)
    done = 0
    if quiet:
        done += deliveries.defer_quiet(session, resume=quiet_ends_at(now, settings))
    due = list(
        session.scalars(
            select(Broadcast)
            .where(
                or_(
                    and_(
                        Broadcast.status == BroadcastStatus.SCHEDULED,
                        or_(Broadcast.send_at.is_(None), Broadcast.send_at <= now),
                    ),
                    Broadcast.status == BroadcastStatus.SENDING,
                ),
                Broadcast.mode == "cs",
            )
            .order_by(Broadcast.urgent.desc(), Broadcast.id)
            .limit(limit)
            # Staff pausing or cancelling lock the row too (`_lock`): a batch is queued wholly
            # before a pause or wholly after it, never into a paused broadcast.
            .with_for_update(skip_locked=True)
        )
    )
    for broadcast in due:
        if quiet and not broadcast.urgent:
            continue
        if broadcast.status == BroadcastStatus.SCHEDULED:
            done += start_sending(session, broadcast, now=now)
        done += queue_some(session, broadcast, settings=settings, now=now)
    return done
