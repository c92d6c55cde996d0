"""What consultations and polls share: the smallest count shown in public, the checks of their
communes and options, and the cached answer to "is any of them open?" that the webhook's hot path
asks for every inbound text (`danvan.outreach.inbound`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from danvan.accounts.actors import Actor
from danvan.kernel import geo
from danvan.kernel.errors import Invalid
from danvan.kernel.text import clean, fold

PUBLIC_MIN = 5  # counts below this are never shown in anything public
MAX_OPTIONS = 10
MAX_OPTION = 200


def check_communes(actor: Actor, codes: list[int], *, province_code: int) -> list[int]:
    """The communes of a consultation or poll: of the province and in the actor's scope."""
    result = sorted(set(codes))
    if not result:
        if actor.is_admin:
            raise Invalid("Chọn ít nhất một xã", code="no_commune")
        result = sorted(actor.user.commune_codes)
    for code in result:
        commune = geo.get_commune(code)
        if commune is None or commune.province_code != province_code:
            raise Invalid("Mã xã {number} không thuộc tỉnh", code="bad_commune", number=code)
        if not actor.sees_commune(code):
            raise Invalid("Không có quyền với {commune}", code="out_of_scope", commune=commune.name)
    return result


def check_options(options: list[str], *, required: bool) -> list[str]:
    """The options of a vote or poll, cleaned: distinct, within the limits."""
    values = [clean(o) for o in options if clean(o)]
    if required and len(values) < 2:
        raise Invalid("Cần ít nhất hai phương án", code="few_options")
    if len(values) > MAX_OPTIONS:
        raise Invalid("Tối đa {limit} phương án", code="many_options", limit=MAX_OPTIONS)
    if any(len(v) > MAX_OPTION for v in values):
        raise Invalid("Mỗi phương án tối đa {limit} ký tự", code="long_option", limit=MAX_OPTION)
    if len({fold(v) for v in values}) != len(values):
        raise Invalid("Các phương án phải khác nhau", code="same_options")
    return values


# Whether any consultation or poll is open, per database, for a few seconds: the webhook's hot
# path asks for every message. Creating one here clears it; other processes see it within the
# TTL. While one is open (or a citizen's answer flow is, for its 30 minutes), each text costs one
# indexed read: the citizen's open flow, if any.
_OPEN_TTL = 5.0
_open_cache: dict[str, tuple[float, bool]] = {}


def forget_open_items() -> None:
    """A consultation or poll was just created: the next text asks the database again."""
    _open_cache.clear()


def anything_open(session: Session, find: Callable[[], bool]) -> bool:
    """Whether anything is open for this database: the cached answer while it is fresh, else
    `find()`, cached for `_OPEN_TTL` seconds."""
    key = str(session.get_bind().engine.url)
    now = time.monotonic()
    cached = _open_cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    found = find()
    _open_cache[key] = (now + _OPEN_TTL, found)
    return found
