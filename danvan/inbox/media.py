"""Photos: verified and re-encoded with Pillow (EXIF, GPS and any trailing bytes are dropped),
stored in the media store (`danvan.kernel.media_store`: the database) with a random name, and
read back only by those who may see them (staff
of the conversation's commune; the citizen on their own thread, see `webform`)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps
from sqlalchemy import ColumnElement, Text, cast, select
from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.channels.web.inbound import MEDIA_PREFIX
from danvan.inbox.models import Conversation, Message
from danvan.inbox.refusals import FormInvalid
from danvan.kernel import media_store
from danvan.kernel.errors import NotFound

MAX_PHOTO_PIXELS = 40_000_000  # the declared size is checked before any pixel is decoded
MAX_PHOTO_SIDE = 2560  # stored photos are scaled down to this


@dataclass(frozen=True)
class Photo:
    """A verified photo, re-encoded without metadata."""

    data: bytes
    extension: str  # jpg | png | webp
    content_type: str


FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}


def check_photo(data: bytes, *, max_bytes: int) -> Photo:
    """Verify an uploaded photo and re-encode it, dropping EXIF/GPS, comments and anything
    appended after the image. The declared size is checked before decoding (no pixel bombs)."""
    if len(data) > max_bytes:
        raise FormInvalid({"photo": "photo_too_big"})
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
            image_format = str(probe.format)
            width, height = probe.size
            if width < 1 or height < 1 or width * height > MAX_PHOTO_PIXELS:
                raise FormInvalid({"photo": "photo_dimensions"})
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[image_format]) as image:
            image.load()
            encoded = reencode(image, image_format)
    except FormInvalid:
        raise
    except Image.DecompressionBombError:
        raise FormInvalid({"photo": "photo_dimensions"}) from None
    except Exception:  # untrusted bytes: any decoder failure means "not a photo"
        raise FormInvalid({"photo": "photo_invalid"}) from None
    extension, content_type = FORMATS[image_format]
    return Photo(data=encoded, extension=extension, content_type=content_type)


def reencode(image: Image.Image, image_format: str) -> bytes:
    """The pixels alone, upright and scaled down, in the same format."""
    # Turn the pixels upright first: the orientation tag goes away with the rest of EXIF.
    upright = ImageOps.exif_transpose(image) or image
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    if image_format == "JPEG":
        mode = "L" if upright.mode in ("L", "1") else "RGB"
    else:
        grey = upright.mode in ("L", "LA", "1")
        mode = ("LA" if grey else "RGBA") if has_alpha else ("L" if grey else "RGB")
    upright = upright.convert(mode) if upright.mode != mode else upright
    upright.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE))
    # A new image from raw pixels carries no `info` at all: no EXIF, XMP, ICC or comments.
    bare = Image.frombytes(mode, upright.size, upright.tobytes())
    out = io.BytesIO()
    if image_format == "JPEG":
        bare.save(out, format="JPEG", quality=85, optimize=True)
    elif image_format == "PNG":
        bare.save(out, format="PNG", optimize=False)
    else:
        bare.save(out, format="WEBP", quality=85)
    return out.getvalue()


MEDIA_NAME = media_store.MEDIA_NAME
CONTENT_TYPES = media_store.CONTENT_TYPES


def store_photo(session: Session, photo: Photo) -> str:
    """Store a checked photo in the media store, in the caller's transaction; its name."""
    return media_store.put(session, data=photo.data, extension=photo.extension)


@dataclass(frozen=True)
class MediaFile:
    data: bytes
    content_type: str


def media_file(session: Session, name: str) -> MediaFile:
    """The stored photo of a media name (404 for a name we never give, or one not stored)."""
    found = media_store.read(session, name)
    if found is None:
        raise NotFound("Không tìm thấy ảnh")
    return MediaFile(data=found.data, content_type=found.content_type)


def messages_with_media(name: str) -> list[ColumnElement[bool]]:
    """SQL conditions for the messages that may carry the photo `name`."""
    # Names are 32 hex digits (checked before this runs), so LIKE has nothing to escape; the
    # exact url is compared in Python. Any channel: staff reply photos go out on Zalo OA too.
    return [cast(Message.attachments, Text).contains(MEDIA_PREFIX + name, autoescape=True)]


def has_media(message: Message, name: str) -> bool:
    """Whether `message` carries the photo `name`."""
    return any(a.get("url") == MEDIA_PREFIX + name for a in message.attachments)


def access_media(session: Session, *, actor: Actor, name: str) -> MediaFile:
    """A stored photo (a web-form citizen's, or one attached to a staff reply on any channel),
    for staff who see the conversation it belongs to (else 404)."""
    if MEDIA_NAME.fullmatch(name) is None:
        raise NotFound("Không tìm thấy ảnh")
    stmt = (
        select(Message, Conversation.commune_code)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(*messages_with_media(name))
    )
    for message, commune_code in session.execute(stmt):
        if has_media(message, name) and actor.sees_commune(commune_code):
            return media_file(session, name)
    raise NotFound("Không tìm thấy ảnh")
