"""Zalo OA webhook payloads, validated at the edge, and the body checks both Zalo channels share.

Every id is a string; a JSON number is accepted only by converting it to its digits (64-bit ids
never pass through a float). Unknown fields are ignored; a field of the wrong type rejects the
whole call with a 4xx, so nothing half-understood is stored.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import from_json

from danvan.channels.base import WebhookRejected
from danvan.kernel.text import clean

# Zalo's events are a few hundred bytes; anything near this is not a webhook call.
MAX_BODY = 256 * 1024
MAX_ID = 128  # the width of contacts.external_id and messages.external_id
# Recorded payloads, one per event condition: for tests, the benchmark and the demo.
FIXTURES = Path(__file__).parent / "fixtures"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
# Below this an epoch value is in seconds (10^11 s is the year 5138; 10^11 ms is 1973).
_SECONDS_BELOW = 10**11


# --- The body ------------------------------------------------------------------------------------


def load_object(body: bytes) -> tuple[str, dict[str, Any]]:
    """The body as text (kept raw) and as a JSON object. Raises `WebhookRejected` (413 or 400)."""
    if len(body) > MAX_BODY:
        raise WebhookRejected(413, f"Body larger than {MAX_BODY} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRejected(400, "Body is not valid UTF-8") from None
    try:
        # pydantic-core's parser keeps big integers exact, refuses NaN, lone surrogates (which no
        # database column accepts) and nesting deeper than 200.
        data = from_json(text, allow_inf_nan=False)
    except ValueError:
        raise WebhookRejected(400, "Body is not valid JSON") from None
    if not isinstance(data, dict):
        raise WebhookRejected(400, "Body must be a JSON object")
    return text, data


def digest(raw: str) -> str:
    """The dedupe key of an event that carries no id of its own."""
    return hashlib.sha256(raw.encode()).hexdigest()


def rejection(exc: ValidationError) -> WebhookRejected:
    """A 422 naming the offending fields (never their values: they may be large or private)."""
    problems = [
        f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False, include_context=False)[:5]
    ]
    return WebhookRejected(422, "Invalid payload: " + "; ".join(problems))


def short_text(value: str | None, limit: int = 500) -> str | None:
    """A cleaned (NFC, no control characters) bounded string, or None when nothing is left."""
    return (clean(value)[:limit] or None) if value else None


def safe_url(value: str | None) -> str | None:
    """Only http(s) links are kept: staff pages render them (a `javascript:` link never is)."""
    if not value:
        return None
    value = clean(value)
    if not value[:8].lower().startswith(("https://", "http://")) or len(value) > 2000:
        return None
    return value


# --- Field types ---------------------------------------------------------------------------------


def _id(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and not (0 < len(value) <= MAX_ID and value.isprintable()):
        raise ValueError(f"must be 1-{MAX_ID} printable characters")
    return value  # anything else fails the str check that follows


def _digits_or_str(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _epoch(value: object) -> object:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be epoch milliseconds (digits)")
    millis = value * 1000 if value < _SECONDS_BELOW else value
    if not 0 <= millis <= _MAX_EPOCH_MS:
        raise ValueError("epoch out of range")
    return _EPOCH + timedelta(milliseconds=millis)


def _number(value: object) -> object:
    # Zalo sends coordinates as strings ("10.76"); JSON numbers are accepted too.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be a number")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError("must be a number") from None
    if not math.isfinite(number):
        raise ValueError("must be finite")
    return number


def _size(value: object) -> object:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    return value


def parse_epoch(value: object) -> datetime | None:
    """An epoch value (ms or s, digits or number) as an aware UTC datetime; None if invalid."""
    try:
        result = _epoch(value)
    except ValueError:
        return None
    return result if isinstance(result, datetime) else None


Id = Annotated[str, BeforeValidator(_id)]
# Zalo's app-scoped user id; contacts.app_user_id is 64 wide.
AppUserId = Annotated[str, BeforeValidator(_id), Field(max_length=64)]
Epoch = Annotated[datetime, BeforeValidator(_epoch)]
Latitude = Annotated[float, BeforeValidator(_number), Field(ge=-90, le=90)]
Longitude = Annotated[float, BeforeValidator(_number), Field(ge=-180, le=180)]
Size = Annotated[int, BeforeValidator(_size), Field(ge=0, lt=2**63)]
Phone = Annotated[str, BeforeValidator(_digits_or_str), Field(max_length=64)]


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- Zalo OA -------------------------------------------------------------------------------------


class Party(Payload):
    id: Id


class Coordinates(Payload):
    latitude: Latitude
    longitude: Longitude


class Place(Payload):
    """A location as Zalo documents it (`coordinates`) or flattened, as some integrations see it."""

    coordinates: Coordinates | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    def point(self) -> tuple[float, float] | None:
        if self.coordinates is not None:
            return self.coordinates.latitude, self.coordinates.longitude
        if self.latitude is not None and self.longitude is not None:
            return self.latitude, self.longitude
        return None


class AttachmentPayload(Place):
    url: str | None = None
    thumbnail: str | None = None
    name: str | None = None
    size: Size | None = None
    id: Id | None = None  # stickers
    title: str | None = None
    # `description` (links) has no place on `Attachment` yet; it stays in the raw event.


class OAAttachment(Payload):
    type: str | None = None
    payload: AttachmentPayload | None = None


class OAMessage(Payload):
    msg_id: Id | None = None
    text: str | None = None
    attachments: list[OAAttachment] | None = None
    location: Place | None = None  # some integrations see the location here
    msg_ids: list[Id] | None = None  # read and delivery receipts


class OASharedInfo(Payload):
    name: str | None = None
    phone: Phone | None = None
    address: str | None = None
    ward: str | None = None
    district: str | None = None
    city: str | None = None


class OAEvent(Payload):
    """One OA webhook call. Which parts are required depends on the event (see `inbound`)."""

    event_name: str
    timestamp: Epoch | None = None
    user_id_by_app: AppUserId | None = None
    sender: Party | None = None
    recipient: Party | None = None
    follower: Party | None = None
    message: OAMessage | None = None
    info: OASharedInfo | None = None
