"""Folding drops every nonspacing mark, whether or not it is one of Vietnamese's."""

from __future__ import annotations

import unicodedata

from danvan.kernel.text import fold


def _by_category(text: str) -> str:
    """The definition `fold` keeps to: NFD, every Mn character dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(kept.split())


def test_vietnamese_folds_to_ascii() -> None:
    assert fold("  Đường thôn Nà Mụ  sạt lở, Xã MINH QUANG ") == (
        "duong thon na mu sat lo, xa minh quang"
    )
    assert fold(unicodedata.normalize("NFD", "Xã Minh Quang")) == "xa minh quang"


def test_other_scripts_lose_their_marks_too() -> None:
    for text in ("ก่อน", "कि", "a\u20d7b", "Å\u0301 é", "日本", "x\u034fy"):
        assert fold(text) == _by_category(text)


def test_every_character_of_the_basic_plane_folds_as_its_definition_says() -> None:
    for start in range(0, 0x10000, 0x1000):
        chunk = "".join(chr(c) for c in range(start, start + 0x1000) if not 0xD800 <= c < 0xE000)
        assert fold(chunk) == _by_category(chunk)
