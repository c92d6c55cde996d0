"""Zalo Bot webhook payloads, validated at the edge (zalo.md §7).

The exact names of the photo and sender fields are not settled between sources, so each accepts
the variants seen (`photo_url` or `photo`, `display_name` or `name`). Ids are strings.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from danvan.channels.zalo_oa.payloads import Epoch, Id, Payload

# Recorded updates, one per event condition: for tests, the benchmark and the demo.
FIXTURES = Path(__file__).parent / "fixtures"


class BotUser(Payload):
    display_name: str | None = None
    name: str | None = None


class BotChat(Payload):
    id: Id  # the reply target (a PRIVATE or GROUP chat)


class BotSticker(Payload):
    id: Id | None = None
    url: str | None = None


class BotMessage(Payload):
    message_id: Id | None = None
    date: Epoch | None = None
    from_: BotUser | None = Field(default=None, alias="from")
    chat: BotChat
    text: str | None = None
    photo_url: str | None = None
    photo: str | None = None
    caption: str | None = None
    sticker: Id | BotSticker | None = None
    url: str | None = None
    voice_url: str | None = None


class BotEvent(Payload):
    event_name: str
    message: BotMessage
