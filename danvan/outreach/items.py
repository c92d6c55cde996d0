"""What consultations and polls share: the smallest count shown in public, the checks of their
communes and options, the staff's scope over their results (pages, API and exports alike), and
the cached answer to "is any of them open?" that the webhook's hot path
asks for every inbound text (`danvan.outreach.inbound`)."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from typing import Any

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


def network(ip: str, *, v4: int, v6: int) -> str:
    """The network of a client address, as a key for limits: its IPv4 /`v4` or IPv6 /`v6`
    ("?" when the address is unknown or malformed)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "?"
    prefix = v4 if address.version == 4 else v6
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def visible_communes(actor: Actor, commune_codes: list[int] | None) -> list[int] | None:
    """The communes of an item whose answers `actor` may read, or None for all of them (admins,
    and staff whose communes cover the item)."""
    codes = list(commune_codes or [])
    mine = [code for code in codes if actor.sees_commune(code)]
    return None if actor.is_admin or len(mine) == len(codes) else mine


def scoped_results(actor: Actor, results: dict[str, Any]) -> dict[str, Any]:
    """Results of a consultation or poll as `actor` may read them: the rows of their communes
    only, and the totals counted over those rows, so that no figure (not even a sum) holds the
    answers of another commune's residents. Admins, and staff whose communes cover every row,
    read the whole; a scoped result says so ("scoped": True)."""
    rows = results["by_commune"]
    mine = [r for r in rows if actor.sees_commune(r["commune_code"])]
    if actor.is_admin or len(mine) == len(rows):
        return results
    count = "participants" if "participants" in results else "respondents"
    options = [
        {**option, "count": sum(r["options"][i]["count"] or 0 for r in mine)}
        for i, option in enumerate(results["options"])
    ]
    total = sum(r[count] or 0 for r in mine)
    return {**results, "by_commune": mine, count: total, "options": options, "scoped": True}


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
