"""Vietnamese text helpers used at every edge: NFC normalisation and diacritic folding."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Control characters other than tab/newline are dropped from citizen text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MARKS = re.compile("[\u0300-\u036f]")


def nfc(text: str) -> str:
    """NFC form: platforms and keyboards send both NFC and NFD Vietnamese."""
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """NFC, control characters removed, surrounding whitespace trimmed."""
    return _CONTROL.sub("", nfc(text)).strip()


def fold(text: str) -> str:
    """Lower-case, diacritic-free, single-spaced form: "Xã Minh Quang" -> "xa minh quang"."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    # Every citizen's text is folded on its way in: Vietnamese marks (U+0300-U+036F) go in one
    # regex pass; only text still not ASCII is searched for other nonspacing marks (Mn).
    stripped = _MARKS.sub("", decomposed)
    if not stripped.isascii():
        stripped = "".join(ch for ch in stripped if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip()


def shorten(text: str, limit: int = 120) -> str:
    """`text` on one line, at most `limit` characters: cut at the last word boundary that fits
    (a word longer than half the limit is cut inside), with an ellipsis when anything was cut."""
    one_line = _SPACES.sub(" ", nfc(text)).strip()
    if len(one_line) <= limit:
        return one_line
    window = one_line[: max(limit - 1, 1)]
    cut = window.rfind(" ")
    # Cut at the last space, unless the window already ends at a word's end.
    if one_line[len(window)] != " " and cut > limit // 2:
        window = window[:cut]
    return window.rstrip(" ,;:.-–—") + "…"


def preview(text: str, limit: int = 120) -> str:
    return shorten(text, limit)


def split_text(text: str, limit: int) -> list[str]:
    """Split into chunks of at most `limit` characters, preferring paragraph, line, sentence and
    word boundaries. Measured after NFC so that a decomposed accent never counts twice."""
    text = nfc(text)
    chunks: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            cut = window.rfind(sep)
            if cut > limit // 2:
                cut += len(sep)
                break
        if cut <= limit // 2:
            cut = limit
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return chunks
