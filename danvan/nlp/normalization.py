"""Normalisation of Vietnamese text: chat abbreviations ("teencode") expanded, the character
classes the pipeline's steps share (URLs, e-mail addresses, emoji, words), repeated letters
squeezed, and `normalize`, which does all of it."""

from __future__ import annotations

import re

from danvan.kernel.text import fold, nfc

# --- Chat abbreviations ("teencode") ----------------------------------------------------------
#
# Expanded only when the whole word (lower-cased) matches, so "50k" and "dc1" are untouched.
# Entries that are ambiguous in ordinary text are left out on purpose: "kg" (kilogram), "dk"/"đk"
# (được / điều kiện / đăng ký), "dt" (điện thoại / diện tích), "bn" (bạn / bao nhiêu), "t" and
# "m" (tôi/tao, mày/mét), "v" (vậy / với / về), "gv" (giáo viên / giảng viên), "hong"
# (không / hồng / hỏng), "ms" (mới / Ms.), profanity (kept as written: it is a signal).
TEENCODE: dict[str, str] = {
    # không
    "ko": "không",
    "k": "không",
    "kh": "không",
    "khg": "không",
    "kô": "không",
    "k0": "không",
    "hok": "không",
    "hông": "không",
    "khum": "không",
    # được
    "dc": "được",
    "đc": "được",
    "đươc": "được",
    # với, gì, vậy, rồi, cũng, thôi, quá
    "vs": "với",
    "j": "gì",
    "z": "vậy",
    "zậy": "vậy",
    "r": "rồi",
    "rùi": "rồi",
    "cx": "cũng",
    "cũg": "cũng",
    "thui": "thôi",
    "wá": "quá",
    "qá": "quá",
    # như thế nào, biết, bình thường
    "ntn": "như thế nào",
    "bt": "biết",
    "bik": "biết",
    "bjk": "biết",
    "bjt": "biết",
    "bth": "bình thường",
    "bthg": "bình thường",
    # people
    "mn": "mọi người",
    "mng": "mọi người",
    "ng": "người",
    "ngừi": "người",
    "mk": "mình",
    "mik": "mình",
    "mjk": "mình",
    "ae": "anh em",
    "ck": "chồng",
    "vk": "vợ",
    "gđ": "gia đình",
    # time
    "bh": "bây giờ",
    "bjo": "bây giờ",
    "bgio": "bây giờ",
    "h": "giờ",
    "trc": "trước",
    "đag": "đang",
    "chx": "chưa",
    # other frequent words
    "nhg": "nhưng",
    "nhưg": "nhưng",
    "lun": "luôn",
    "nhìu": "nhiều",
    "iu": "yêu",
    "ak": "à",
    "uk": "ừ",
    "uh": "ừ",
    "uhm": "ừ",
    "tks": "cảm ơn",
    "thks": "cảm ơn",
    "thx": "cảm ơn",
    "oke": "ok",
    "okie": "ok",
    "oki": "ok",
    "okey": "ok",
    "tl": "trả lời",
    "trl": "trả lời",
    "ib": "nhắn tin",
    "nt": "nhắn tin",
    "sđt": "số điện thoại",
    "sdt": "số điện thoại",
    "đt": "điện thoại",
    "fb": "facebook",
    # public administration
    "vn": "việt nam",
    "tp": "thành phố",
    "hcm": "hồ chí minh",
    "ubnd": "ủy ban nhân dân",
    "hđnd": "hội đồng nhân dân",
    "csgt": "cảnh sát giao thông",
}

# "a", "e", "c" stand for anh, em, chị only next to words that make that reading safe:
# "a ơi", "dạ c ạ", "chị ấy", "cảm ơn a", "cho e hỏi". Elsewhere they are left alone (a list item,
# an English article, the vitamin).
_PRONOUNS = {"a": "anh", "e": "em", "c": "chị"}
_PRONOUN_AFTER = {"ơi", "ạ", "ấy", "nhé", "nha"}
_PRONOUN_BEFORE = {"chào", "ơn", "thưa", "giúp", "nhờ", "của", "với", "gửi", "hỏi", "dạ"}
_PRONOUN_CHO_VERBS = {"hỏi", "xin", "biết", "mượn", "gửi"}

# --- Character classes ------------------------------------------------------------------------

# The look-behinds make every match start at the beginning of a run of word characters, so
# that long crafted runs ("a.a.a.a…") cost linear time, not quadratic.
_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|(?<![\w.-])[\w-]+(?:\.[\w-]+)*\.(?:com|vn|net|org|gov|edu|info|io)\b(?:/\S*)?",
    re.IGNORECASE,
)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Pictographs, symbols, dingbats, flags, variation selectors, zero-width joiners, skin tones.
EMOJI = re.compile(
    "["
    "\U0001f000-\U0001faff"
    "\U0001fc00-\U0001ffff"
    "\u2600-\u27bf"
    "\u2b00-\u2bff"
    "\u2300-\u23ff"
    "\u3030\u303d\u3297\u3299"
    "\ufe0e\ufe0f\u200d\u20e3"
    "]+"
)
WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_REPEAT_PUNCT = re.compile(r"([!?.,])\1{2,}")


def wordlist(words: str) -> frozenset[str]:
    """The whitespace-separated words of a string, as a set."""
    return frozenset(words.split())


def _base_letters() -> dict[int, str]:
    """Each Latin letter (accented or not, either case) -> its lower-case base letter."""
    table: dict[int, str] = {}
    for code in [*range(0x41, 0x5B), *range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = fold(chr(code))
        if len(base) == 1 and "a" <= base <= "z":
            table[code] = base
    return table


_BASES = _base_letters()
# A run of three or more of the same letter, whatever its accents ("quáaaa", "điiii"), found in
# the base-letter form of the text.
_LETTER_RUN = re.compile(r"([a-z])\1{2,}")


def _in_acronym(text: str, start: int, end: int) -> bool:
    """Is text[start:end] inside an upper-case word of five letters or fewer?"""
    while start > 0 and text[start - 1].isalpha():
        start -= 1
    while end < len(text) and text[end].isalpha():
        end += 1
    word = text[start:end]
    return word.isupper() and len(word) <= 5


def squeeze_repeats(text: str) -> str:
    """Letters repeated three times or more become one ("quáaaa" -> "quá", "điiii" -> "đi");
    doubled letters stay ("ưu", "xoong", "coffee"), and so do short acronyms ("CCCD").
    Runs of !?., become three at most."""
    bases = text.translate(_BASES)  # same length as text: one base letter per letter
    if _LETTER_RUN.search(bases):
        out: list[str] = []
        last = 0
        for m in _LETTER_RUN.finditer(bases):
            if _in_acronym(text, m.start(), m.end()):
                continue  # "CCCD", "WWW"
            # Keep the first letter of the run: it usually carries the accent.
            out.append(text[last : m.start() + 1])
            last = m.end()
        out.append(text[last:])
        text = "".join(out)
    return _REPEAT_PUNCT.sub(r"\1\1\1", text)


def remove_urls(text: str, replacement: str = " ") -> str:
    return _URL.sub(replacement, text)


def remove_emoji(text: str, replacement: str = " ") -> str:
    return EMOJI.sub(replacement, text)


def _match_case(word: str, expansion: str) -> str:
    if word.isupper() and len(word) > 1:
        return expansion.upper()
    if word[:1].isupper():
        return expansion[:1].upper() + expansion[1:]
    return expansion


def expand_teencode(text: str) -> str:
    """Expand common chat abbreviations word by word (see TEENCODE): "ko bt" -> "không biết"."""
    matches = list(WORD.finditer(text))
    if not matches:
        return text
    words = [m.group(0).lower() for m in matches]
    out: list[str] = []
    last = 0
    for i, m in enumerate(matches):
        word = words[i]
        expansion = TEENCODE.get(word)
        if expansion is None and word in _PRONOUNS:
            before = words[i - 1] if i > 0 else ""
            after = words[i + 1] if i + 1 < len(words) else ""
            if (
                after in _PRONOUN_AFTER
                or before in _PRONOUN_BEFORE
                or (before == "cho" and after in _PRONOUN_CHO_VERBS)
            ):
                expansion = _PRONOUNS[word]
        if expansion is not None:
            out.append(text[last : m.start()])
            out.append(_match_case(m.group(0), expansion))
            last = m.end()
    out.append(text[last:])
    return "".join(out)


def normalize(text: str, *, keep_emoji: bool = False) -> str:
    """NFC, URLs and e-mail addresses removed, emoji removed (or kept, spaced, for models),
    repeated letters squeezed, chat abbreviations expanded, whitespace collapsed. Case is kept."""
    text = nfc(text)
    text = EMAIL.sub(" ", text)
    text = remove_urls(text)
    if keep_emoji:
        text = EMOJI.sub(lambda m: " " + " ".join(m.group(0)) + " ", text)
    else:
        text = remove_emoji(text)
    text = squeeze_repeats(text)
    text = expand_teencode(text)
    return _SPACES.sub(" ", text).strip()
