"""The public web form: citizens without an account send a message and follow its answers.

A submission goes through, in order: per-IP and global rate limits, spam checks (a honeypot
field and a signed form token that says when the form was rendered), field validation, a
duplicate check, and then `ingest_events`, like any platform's message. The citizen gets a
tracking code (`GY-7K3M-9QPX-W4TR`) that is both their contact's `external_id` and the key to
their thread page. Refusals raise `CoreError`s carrying a code the page translates; nothing is
written before every check has passed (rate-limit counters aside, which must survive refusals).

Limits and refusals are in `refusals`, photos in `media`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from danvan.channels.web.inbound import CHANNEL, MEDIA_PREFIX, message_event, photo_attachment
from danvan.inbox.ingest import ingest_events
from danvan.inbox.media import (
    MEDIA_NAME,
    MediaFile,
    Photo,
    check_photo,
    has_media,
    media_file,
    messages_with_media,
    store_photo,
)
from danvan.inbox.models import Contact, Conversation, Delivery, Direction, Message
from danvan.inbox.refusals import (
    DUPLICATE_WINDOW,
    GLOBAL_PER_HOUR,
    LOOKUP_FAILURES_PER_HOUR,
    MAX_FORM_AGE,
    MAX_LINKS,
    MAX_NAME,
    MIN_FILL_SECONDS,
    RATE_WINDOW,
    FormInvalid,
    Refused,
)
from danvan.kernel import geo
from danvan.kernel.errors import NotFound
from danvan.kernel.models import RateLimitBucket
from danvan.kernel.models import utcnow as _utcnow
from danvan.kernel.ratelimit import hit
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean, fold

# --- Tracking codes ---------------------------------------------------------------------------

# No 0/O, 1/I/L: easy to read aloud and to copy by hand. 31**12 is about 2**59.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_PREFIX = "GY"
CODE_LENGTH = 12
_CODE_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_tracking_code() -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{CODE_PREFIX}-{body[:4]}-{body[4:8]}-{body[8:]}"


def normalize_code(text: str) -> str | None:
    """The canonical code (`GY-XXXX-XXXX-XXXX`) for what a citizen typed, with or without dashes
    or prefix, in any case; None when it cannot be a code."""
    raw = _CODE_SEPARATORS.sub("", text.strip().upper())
    if len(raw) == CODE_LENGTH + len(CODE_PREFIX) and raw.startswith(CODE_PREFIX):
        raw = raw[len(CODE_PREFIX) :]
    if len(raw) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in raw):
        return None
    return f"{CODE_PREFIX}-{raw[:4]}-{raw[4:8]}-{raw[8:]}"


# --- Form token -------------------------------------------------------------------------------

_TOKEN_SALT = "danvan.webform.token"  # noqa: S105 (a salt, not a secret)


def _serializer(secret_key: str) -> URLSafeSerializer:
    if len(secret_key) < 16:
        raise ValueError("the web form's tokens need the deployment's real secret key")
    return URLSafeSerializer(secret_key, salt=_TOKEN_SALT)


def issue_form_token(*, secret_key: str, now: datetime | None = None) -> str:
    """A signed token carrying the time the form was rendered (milliseconds since the epoch)."""
    at = now or _utcnow()
    return _serializer(secret_key).dumps({"at": int(at.timestamp() * 1000)})


def form_token_time(*, secret_key: str, token: str) -> datetime | None:
    """When the form carrying `token` was rendered; None if the token is not ours."""
    try:
        payload = _serializer(secret_key).loads(token)
    except BadSignature:
        return None
    at = payload.get("at") if isinstance(payload, dict) else None
    if not isinstance(at, int):
        return None
    return datetime.fromtimestamp(at / 1000, tz=UTC)


def check_spam(*, secret_key: str, token: str, honeypot: str, now: datetime) -> None:
    """Refuse bots: a filled honeypot, a token not ours, too fast, or a form left for a day."""
    if honeypot.strip():
        raise Refused("honeypot")
    rendered_at = form_token_time(secret_key=secret_key, token=token)
    if rendered_at is None:
        raise Refused("bad_token")
    age = now - rendered_at
    if age < timedelta(seconds=MIN_FILL_SECONDS):
        raise Refused("too_fast")
    if age > MAX_FORM_AGE:
        raise Refused("expired")


def token_to_keep(*, secret_key: str, token: str, now: datetime) -> str:
    """The token a re-rendered form carries: the citizen's own while it is still good (the time
    they spent keeps counting), a fresh one otherwise."""
    rendered_at = form_token_time(secret_key=secret_key, token=token)
    if rendered_at is None or now - rendered_at > MAX_FORM_AGE - timedelta(hours=1):
        # Dated back by the minimum fill time: the citizen has already filled this form once,
        # and must not be told "too fast" when they send it again at once.
        return issue_form_token(
            secret_key=secret_key, now=now - timedelta(seconds=MIN_FILL_SECONDS)
        )
    return token


# --- Rate limits ------------------------------------------------------------------------------


def check_limits(session: Session, *, ip: str, per_hour: int) -> None:
    """Count one submission from `ip`; refuse (429) beyond the per-IP or the global limit."""
    if not hit(session, key=f"webform:ip:{ip}", limit=per_hour, window=RATE_WINDOW):
        raise Refused("rate_limited", status=429)
    if not hit(session, key="webform:global", limit=GLOBAL_PER_HOUR, window=RATE_WINDOW):
        raise Refused("busy", status=429)


def check_duplicate(session: Session, *, ip: str, text: str) -> None:
    """Refuse (409) the same text from the same IP within `DUPLICATE_WINDOW`."""
    digest = hashlib.sha256(f"{ip}\0{fold(text)}".encode()).hexdigest()[:40]
    if not hit(session, key=f"webform:dup:{digest}", limit=1, window=DUPLICATE_WINDOW):
        raise Refused("duplicate", status=409)


def _lookup_key(ip: str) -> str:
    return f"webform:lookup:{ip}"


def _lookups_blocked(session: Session, *, ip: str, now: datetime) -> bool:
    row = session.execute(
        select(RateLimitBucket.window_start, RateLimitBucket.count).where(
            RateLimitBucket.key == _lookup_key(ip)[:128]
        )
    ).first()
    if row is None:
        return False
    window_start, count = row
    return bool(window_start > now - RATE_WINDOW and count >= LOOKUP_FAILURES_PER_HOUR)


# --- Field validation -------------------------------------------------------------------------

_PHONE_JUNK = re.compile(r"[\s.\-()]+")
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_LINK = re.compile(r"(?i)\bhttps?://|\bwww\.")


def check_phone(phone: str) -> str | None:
    """A Vietnamese phone number as `0…` digits (mobile 10 digits, landline 11), None if empty.
    Accepts spaces, dots, dashes and the +84 / 84 prefixes."""
    digits = _PHONE_JUNK.sub("", clean(phone))
    if not digits:
        return None
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    raise FormInvalid({"phone": "phone_invalid"})


def check_commune(*, province_code: int, commune_code: str, commune_text: str) -> geo.Commune:
    """The commune picked in the list, or else the one named in the free-text field."""
    code = commune_code.strip()
    if code:
        commune = geo.get_commune(int(code)) if code.isdigit() and len(code) < 10 else None
        if commune is None or commune.province_code != province_code:
            raise FormInvalid({"commune": "commune_unknown"})
        return commune
    text = clean(commune_text)[:200]
    if not text:
        raise FormInvalid({"commune": "commune_required"})
    commune = geo.match_commune(text, province_code)
    if commune is None:
        raise FormInvalid({"commune": "commune_unknown"})
    return commune


def check_message_text(text: str, *, max_text: int) -> str:
    """NFC text, measured after normalising; bounded in size and in links."""
    text = clean(text)
    if not text:
        raise FormInvalid({"text": "text_required"})
    if len(text) > max_text:
        raise FormInvalid({"text": "text_too_long"})
    if len(_LINK.findall(text)) > MAX_LINKS:
        raise FormInvalid({"text": "too_many_links"})
    return text


# --- Submissions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormInput:
    """What the citizen sent, as raw strings (the route does no validation)."""

    text: str = ""
    commune_code: str = ""
    commune_text: str = ""
    name: str = ""
    phone: str = ""
    consent: bool = False
    photo: bytes | None = None  # None when no file was chosen
    honeypot: str = ""
    token: str = ""


@dataclass(frozen=True)
class Submission:
    text: str
    photo: Photo | None
    commune: geo.Commune | None = None  # None for an answer on an existing thread
    name: str | None = None  # kept only with consent
    phone: str | None = None  # kept only with consent
    consent: bool = False


def check_submission(form: FormInput, *, settings: Settings, reply: bool = False) -> Submission:
    """Validate every field at once: `FormInvalid.errors` lists all that are wrong."""
    errors: dict[str, str] = {}
    commune: geo.Commune | None = None
    phone: str | None = None
    name: str | None = None
    text = ""
    photo: Photo | None = None
    if not reply:
        try:
            commune = check_commune(
                province_code=settings.province,
                commune_code=form.commune_code,
                commune_text=form.commune_text,
            )
        except FormInvalid as exc:
            errors.update(exc.errors)
        name = clean(form.name) or None
        if name and len(name) > MAX_NAME:
            errors["name"] = "name_too_long"
        try:
            phone = check_phone(form.phone)
        except FormInvalid as exc:
            errors.update(exc.errors)
        if phone and not form.consent:
            errors["phone"] = "phone_needs_consent"
    try:
        text = check_message_text(form.text, max_text=settings.webform_max_text)
    except FormInvalid as exc:
        errors.update(exc.errors)
    if form.photo is not None:
        try:
            photo = check_photo(form.photo, max_bytes=settings.webform_max_photo_bytes)
        except FormInvalid as exc:
            errors.update(exc.errors)
    if errors:
        raise FormInvalid(errors)
    consent = form.consent and not reply
    return Submission(
        text=text,
        photo=photo,
        commune=commune,
        name=name if consent else None,
        phone=phone if consent else None,
        consent=consent,
    )


def _guard(
    session: Session, *, settings: Settings, form: FormInput, ip: str, now: datetime, reply: bool
) -> Submission:
    check_limits(session, ip=ip, per_hour=settings.webform_per_hour)
    check_spam(secret_key=settings.secret_key, token=form.token, honeypot=form.honeypot, now=now)
    submission = check_submission(form, settings=settings, reply=reply)
    check_duplicate(session, ip=ip, text=submission.text)
    return submission


def do_submit(
    session: Session, *, settings: Settings, form: FormInput, ip: str, now: datetime | None = None
) -> str:
    """Check and store a new submission; returns its tracking code.

    Creates the web contact (commune declared by the citizen; name and phone only with consent),
    then ingests the message, which opens the conversation in that commune's inbox.
    """
    now = now or _utcnow()
    submission = _guard(session, settings=settings, form=form, ip=ip, now=now, reply=False)
    assert submission.commune is not None
    code = new_tracking_code()
    while session.scalar(
        select(Contact.id).where(Contact.channel == CHANNEL, Contact.external_id == code)
    ):
        code = new_tracking_code()  # pragma: no cover - 2**59 codes
    session.add(
        Contact(
            channel=CHANNEL,
            external_id=code,
            display_name=submission.name or "",
            phone=submission.phone,
            commune_code=submission.commune.code,
            commune_source="citizen",
            consent_at=now if submission.consent else None,
            first_interaction_at=now,
            last_interaction_at=now,
        )
    )
    session.flush()
    _store_message(session, settings=settings, code=code, submission=submission, now=now)
    return code


def do_thread_reply(
    session: Session,
    *,
    settings: Settings,
    conversation: Conversation,
    form: FormInput,
    ip: str,
    now: datetime | None = None,
) -> Message:
    """The citizen answers on their thread page: a new inbound message, unread for staff."""
    now = now or _utcnow()
    submission = _guard(session, settings=settings, form=form, ip=ip, now=now, reply=True)
    return _store_message(
        session,
        settings=settings,
        code=conversation.contact.external_id,
        submission=submission,
        now=now,
    )


def _store_message(
    session: Session, *, settings: Settings, code: str, submission: Submission, now: datetime
) -> Message:
    attachment = None
    if submission.photo is not None:
        # In this transaction: a rolled-back submission leaves no photo behind.
        name = store_photo(session, submission.photo)
        attachment = photo_attachment(name=name, size=len(submission.photo.data))
    event = message_event(
        tracking_code=code, text=submission.text, received_at=now, photo=attachment
    )
    result = ingest_events(session, events=[event], province_code=settings.province)
    message = session.get(Message, result.messages[0])
    assert message is not None
    return message


# --- The citizen's thread ---------------------------------------------------------------------


def access_thread(
    session: Session, *, code: str, ip: str, now: datetime | None = None
) -> Conversation:
    """The conversation of a tracking code. Unknown codes are counted per IP: past
    `LOOKUP_FAILURES_PER_HOUR`, every lookup from that IP is refused (429) for the hour."""
    now = now or _utcnow()
    if _lookups_blocked(session, ip=ip, now=now):
        raise Refused("lookup_limited", status=429)
    canonical = normalize_code(code)
    conversation = None
    if canonical is not None:
        conversation = session.scalar(
            select(Conversation)
            .join(Contact, Contact.id == Conversation.contact_id)
            .where(Contact.channel == CHANNEL, Contact.external_id == canonical)
        )
    if conversation is None:
        hit(session, key=_lookup_key(ip), limit=LOOKUP_FAILURES_PER_HOUR, window=RATE_WINDOW)
        raise NotFound("Không tìm thấy phản ánh")
    return conversation


_SHOWN_DELIVERY = (Delivery.SENT, Delivery.DELIVERED, Delivery.SEEN)


@dataclass(frozen=True)
class ThreadEntry:
    """One message as the citizen sees it: theirs, or the commune's (never a staff name)."""

    mine: bool
    text: str
    at: datetime
    photos: tuple[str, ...] = field(default=())  # media names


def _citizen_visible() -> ColumnElement[bool]:
    return or_(
        Message.direction == Direction.IN,
        and_(
            Message.direction == Direction.OUT,
            Message.source.in_(("staff", "system")),
            Message.delivery_status.in_(_SHOWN_DELIVERY),
        ),
    )


def thread_entries(session: Session, *, conversation: Conversation) -> list[ThreadEntry]:
    """The citizen's messages and the replies actually sent to them; never notes, never drafts
    or failed replies, never replies typed elsewhere."""
    messages = session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation.id, _citizen_visible())
        .order_by(Message.created_at, Message.id)
        .limit(1000)
    )
    entries = []
    for message in messages:
        mine = message.direction == Direction.IN
        photos = tuple(
            str(a["url"])[len(MEDIA_PREFIX) :]
            for a in message.attachments
            if a.get("type") == "image" and str(a.get("url", "")).startswith(MEDIA_PREFIX)
        )
        at = message.created_at if mine else (message.sent_at or message.created_at)
        entries.append(ThreadEntry(mine=mine, text=message.text, at=at, photos=photos))
    return entries


def access_thread_media(session: Session, *, conversation: Conversation, name: str) -> MediaFile:
    """A photo shown on the citizen's own thread page (404 for any other)."""
    if MEDIA_NAME.fullmatch(name) is None:
        raise NotFound("Không tìm thấy ảnh")
    messages = session.scalars(
        select(Message).where(
            Message.conversation_id == conversation.id,
            _citizen_visible(),
            *messages_with_media(name),
        )
    )
    if any(has_media(message, name) for message in messages):
        return media_file(session, name)
    raise NotFound("Không tìm thấy ảnh")


def staff_label_parts(commune_code: int | None) -> tuple[str, str] | None:
    """The commune's kind and short name ("xã", "Minh Quang") that sign staff replies."""
    commune = geo.get_commune(commune_code)
    return (commune.kind, commune.short_name) if commune else None
