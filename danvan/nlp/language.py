"""Language detection (`detect_language`): "vi", "en" or "other" from character and word
statistics, with no model and no download."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from danvan.kernel.text import fold, nfc
from danvan.nlp.normalization import EMAIL, WORD, expand_teencode, remove_urls, wordlist

Language = Literal["vi", "en", "other"]

# Combining marks found only in Vietnamese among Latin-script languages: hook above, dot below,
# horn, breve. Tilde on i/u/y and circumflex/breve with a tone mark are Vietnamese-only too.
_VI_MARKS = {"\u0309", "\u0323", "\u031b", "\u0306"}
_VI_ONLY_CHARS = set("đĩũỹ")
# Latin letters that Vietnamese never uses.
_FOREIGN_LATIN = frozenset("çñüöäßøåœæëïÿîûąćęłńśźżčďěňřšťůžğış")

# Frequent Vietnamese words, folded (so that diacritic-free Vietnamese is recognised). Words that
# are also frequent English ("an", "to", "do", "in", "me", "so", "can", "the", "on") are left out.
_VI_COMMON = wordlist(
    """
    khong duoc cua la va cac nhung co nguoi toi ban minh anh em chi nay thi ma de cho voi trong
    den tu da se dang rat qua lam nhu gi sao roi cung con ve di len ra vao mot hai ngay xa phuong
    huyen tinh dan viec nha duong dien nuoc oi a nhe nha vay thoi luon gio bao nhieu biet muon
    hoi xin giup cam chua tai sau truoc khi neu vi nen thay nghe noi moi nhieu it lai theo
    cong cuoc song ong ba chu bac co giao hoc sinh vien thay day mon lop tiet truong
    """
)
_EN_COMMON = wordlist(
    """
    the and is are was were be been being to of it you your yours i my mine we our they their them
    he she his her that this these those for with from at by or but not no yes what which who whom
    when where why how please thank thanks hello hi dear would could should will shall have has had
    does did done there here about into over after before again very just also only some any all
    each every other more most much many than then because while if as up out down off today
    tomorrow yesterday road street water power light help need want know think good bad problem
    issue report broken fixed fix time day week month year people government office village
    """
)
_VI_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdghklmnprstvx])?"
_VI_RHYME = r"(?:[aeiouy]{1,3})(?:ch|ng|nh|[cmnpt])?"
_VI_SYLLABLE = re.compile(rf"{_VI_ONSET}{_VI_RHYME}")


def _has_vi_marks(word: str) -> bool:
    if any(ch in _VI_ONLY_CHARS for ch in word.lower()):
        return True
    for ch in word:
        marks = unicodedata.normalize("NFD", ch)[1:]
        if any(m in _VI_MARKS for m in marks) or len(marks) >= 2:
            return True
    return False


def detect_language(text: str) -> Language:
    """ "vi", "en" or "other", from character and word statistics (no model, no download).
    Diacritic-free Vietnamese is recognised by its frequent words and syllable shapes. Text with no
    letters, or too little to tell, is "other"."""
    plain = expand_teencode(remove_urls(EMAIL.sub(" ", nfc(text))))
    words = [w for w in WORD.findall(plain) if w.isalpha()]
    if not words:
        return "other"
    letters = sum(len(w) for w in words)
    latin = sum(1 for w in words for ch in w if "a" <= fold(ch) <= "z")
    if latin < letters / 2:
        return "other"  # Chinese, Thai, Cyrillic, Arabic, ...
    vi = en = foreign = 0.0
    for word in words:
        lower = word.lower()
        folded = fold(lower)
        if _has_vi_marks(word):
            vi += 2
        elif any(ch in _FOREIGN_LATIN for ch in lower):
            foreign += 1
        elif lower in _EN_COMMON and folded not in _VI_COMMON:
            en += 1
        elif folded in _VI_COMMON:
            vi += 1
        elif _VI_SYLLABLE.fullmatch(folded):
            vi += 0.5
        else:
            foreign += 0.5  # not a possible Vietnamese syllable: English or another language
    n = len(words)
    if vi >= 0.5 * n and vi >= en + foreign:
        return "vi"
    if en >= 1 and en >= 0.2 * n and en + foreign > vi and en >= foreign / 2:
        return "en"
    if vi > en + foreign:
        return "vi"
    return "other"
