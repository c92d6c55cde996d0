"""The codes of consultations and polls that a citizen types or a Zalo button sends back
("#YK12 2", "#TD5 1,3"), and the Zalo OA buttons that send them (see `danvan.outreach.flow`)."""

from __future__ import annotations

import re

MAX_BUTTONS = 5  # under one Zalo OA message (see channels.zalo_oa.outbound.MAX_BUTTONS)

# Codes a citizen types or a Zalo button sends back: "#YK12 2" (option 2 of consultation 12),
# "#YK12 góp ý", "#YK12 <an opinion>", "#TD5 1,3" (poll 5). The "#" keeps ordinary words out.
CODE_PREFIXES = {"YK": "consultation", "TD": "poll"}
_CODE = re.compile(r"\s*#\s*(YK|TD)\s*(\d{1,9})(?!\d)[\s:.,;-]*(.*)", re.IGNORECASE | re.DOTALL)


def item_code(kind: str, item_id: int) -> str:
    """The code of a consultation ("#YK12") or a poll ("#TD5")."""
    prefix = next(p for p, k in CODE_PREFIXES.items() if k == kind)
    return f"#{prefix}{item_id}"


def parse_code(text: str) -> tuple[str, int, str] | None:
    """(kind, id, the rest of the text) of a message starting with a code, else None."""
    found = _CODE.match(text)
    if found is None:
        return None
    return CODE_PREFIXES[found.group(1).upper()], int(found.group(2)), found.group(3).strip()


def query_button(title: str, payload: str) -> dict[str, str]:
    """A Zalo OA button that sends `payload` back as the citizen's message."""
    return {"type": "oa.query.show", "title": title[:100], "payload": payload}


def link_button(title: str, url: str) -> dict[str, str]:
    """A Zalo OA button that opens `url`."""
    return {"type": "oa.open.url", "title": title[:100], "payload": url}
