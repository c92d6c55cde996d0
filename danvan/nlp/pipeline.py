"""The Vietnamese text pipeline: normalisation, chat-abbreviation expansion, diacritic folding,
word segmentation, language detection and PII masking.

Everything here is pure, offline and deterministic; nothing is downloaded at run time. Word
segmentation uses pyvi's CRF model, which ships inside the pyvi package (chosen over
underthesea by measured accuracy and speed: see bench/README.md).

    >>> normalize("Ko bt đường nàyyyy hỏng từ bao giờ 😡 https://x.vn/a")
    'Không biết đường này hỏng từ bao giờ'
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from danvan.text import fold, nfc

Language = Literal["vi", "en", "other"]

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
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Pictographs, symbols, dingbats, flags, variation selectors, zero-width joiners, skin tones.
_EMOJI = re.compile(
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
_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"\s+")
_REPEAT_PUNCT = re.compile(r"([!?.,])\1{2,}")


def _wordlist(words: str) -> frozenset[str]:
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
    return _EMOJI.sub(replacement, text)


def _match_case(word: str, expansion: str) -> str:
    if word.isupper() and len(word) > 1:
        return expansion.upper()
    if word[:1].isupper():
        return expansion[:1].upper() + expansion[1:]
    return expansion


def expand_teencode(text: str) -> str:
    """Expand common chat abbreviations word by word (see TEENCODE): "ko bt" -> "không biết"."""
    matches = list(_WORD.finditer(text))
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
    text = _EMAIL.sub(" ", text)
    text = remove_urls(text)
    if keep_emoji:
        text = _EMOJI.sub(lambda m: " " + " ".join(m.group(0)) + " ", text)
    else:
        text = remove_emoji(text)
    text = squeeze_repeats(text)
    text = expand_teencode(text)
    return _SPACES.sub(" ", text).strip()


# --- Word segmentation ------------------------------------------------------------------------


class _Segmenter:
    """pyvi's word segmenter (its CRF model and dictionaries, as shipped in the pyvi wheel) with a
    faster feature builder: the same features as pyvi's word2features, given to the CRF as
    strings, with the false boolean features left out (their weight is zero). The output is
    identical to ViTokenizer.tokenize (a test checks it) at about twice the speed."""

    def __init__(self) -> None:
        # pyvi loads its model at import (about a second), once per process.
        from pyvi.ViTokenizer import ViTokenizer  # type: ignore[import-untyped]

        self.pyvi = ViTokenizer
        self.tagger = ViTokenizer.model.tagger_
        self.bigrams: set[str] = ViTokenizer.bi_grams
        self.trigrams: set[str] = ViTokenizer.tri_grams

    def features(self, tokens: list[str]) -> list[list[str]]:
        low = [t.lower() for t in tokens]
        title = [t.istitle() for t in tokens]
        upper = [t.isupper() for t in tokens]
        bigrams, trigrams = self.bigrams, self.trigrams
        n = len(tokens)
        out: list[list[str]] = []
        for i in range(n):
            f = ["bias", "word.lower():" + low[i]]
            if upper[i]:
                f.append("word.isupper()")
            if title[i]:
                f.append("word.istitle()")
            if tokens[i].isdigit():
                f.append("word.isdigit()")
            if i > 0:
                f.append("-1:word.lower():" + low[i - 1])
                if title[i - 1]:
                    f.append("-1:word.istitle()")
                if upper[i - 1]:
                    f.append("-1:word.isupper()")
                if low[i - 1] + " " + low[i] in bigrams:
                    f.append("-1:word.bi_gram()")
                if i > 1 and low[i - 2] + " " + low[i - 1] + " " + low[i] in trigrams:
                    f.append("-2:word.tri_gram()")
            if i < n - 1:
                f.append("+1:word.lower():" + low[i + 1])
                if title[i + 1]:
                    f.append("+1:word.istitle()")
                if upper[i + 1]:
                    f.append("+1:word.isupper()")
                if low[i] + " " + low[i + 1] in bigrams:
                    f.append("+1:word.bi_gram()")
                if i < n - 2 and low[i] + " " + low[i + 1] + " " + low[i + 2] in trigrams:
                    f.append("+2:word.tri_gram()")
            out.append(f)
        return out

    def words(self, text: str) -> list[str]:
        _text, syllables = self.pyvi.sylabelize(text)
        if not syllables:
            return []
        labels = self.tagger.tag(self.features(syllables))
        out = [syllables[0]]
        for i in range(1, len(syllables)):
            current, previous = syllables[i], syllables[i - 1]
            # pyvi's own rule for joining a syllable to the word before it.
            if (
                labels[i] == "I_W"
                and current not in _PUNCTUATION
                and previous not in _PUNCTUATION
                and not current[0].isdigit()
                and not previous[0].isdigit()
                and not (current[0].istitle() and not previous[0].istitle())
            ):
                out[-1] += "_" + current
            else:
                out.append(current)
        return out


_PUNCTUATION = frozenset(string.punctuation)


@lru_cache(maxsize=1)
def _segmenter() -> _Segmenter:
    return _Segmenter()


def segment(text: str) -> list[str]:
    """Vietnamese words, multi-syllable words joined by "_" ("phản_ánh"); punctuation split off.
    Accepts any text; normalise it first for chat text."""
    if not text.strip():
        return []
    return _segmenter().words(nfc(text))


def segment_many(texts: Iterable[str]) -> list[list[str]]:
    return [segment(t) for t in texts]


# --- Language detection -----------------------------------------------------------------------

# Combining marks found only in Vietnamese among Latin-script languages: hook above, dot below,
# horn, breve. Tilde on i/u/y and circumflex/breve with a tone mark are Vietnamese-only too.
_VI_MARKS = {"\u0309", "\u0323", "\u031b", "\u0306"}
_VI_ONLY_CHARS = set("đĩũỹ")
# Latin letters that Vietnamese never uses.
_FOREIGN_LATIN = frozenset("çñüöäßøåœæëïÿîûąćęłńśźżčďěňřšťůžğış")

# Frequent Vietnamese words, folded (so that diacritic-free Vietnamese is recognised). Words that
# are also frequent English ("an", "to", "do", "in", "me", "so", "can", "the", "on") are left out.
_VI_COMMON = _wordlist(
    """
    khong duoc cua la va cac nhung co nguoi toi ban minh anh em chi nay thi ma de cho voi trong
    den tu da se dang rat qua lam nhu gi sao roi cung con ve di len ra vao mot hai ngay xa phuong
    huyen tinh dan viec nha duong dien nuoc oi a nhe nha vay thoi luon gio bao nhieu biet muon
    hoi xin giup cam chua tai sau truoc khi neu vi nen thay nghe noi moi nhieu it lai theo
    cong cuoc song ong ba chu bac co giao hoc sinh vien thay day mon lop tiet truong
    """
)
_EN_COMMON = _wordlist(
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
    plain = expand_teencode(remove_urls(_EMAIL.sub(" ", nfc(text))))
    words = [w for w in _WORD.findall(plain) if w.isalpha()]
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


# --- PII masking ------------------------------------------------------------------------------

PHONE_MASK = "[SĐT]"
EMAIL_MASK = "[EMAIL]"
ID_MASK = "[CCCD]"
NAME_MASK = "[TÊN]"

# Digit groups joined by single spaces, dots or dashes, optionally after "+".
_DIGIT_RUN = re.compile(r"(?<![\w+])\+?\d+(?:[ .\-]\d+)*(?!\w)")
_GROUP_SEP = re.compile(r"[ .\-]")
# Words after which capitalised words are a person's name.
_HONORIFICS = _wordlist("anh chị ông bà em cô chú bác cậu dì thím mợ dượng cháu bạn con chí")
# "tên là", "tên tôi là", "tôi là", "em là" ... right before the name.
_NAME_INTRO = re.compile(
    r"(?:\btên(?:\s+(?:tôi|em|mình|con|cháu|anh|chị))?(?:\s+là)?|"
    r"\b(?:tôi|em|mình|con|cháu)\s+là)\s*[:,]?\s+$",
    re.IGNORECASE,
)
# The most frequent Vietnamese surnames: one of them followed by capitalised words is a full name.
_SURNAMES = _wordlist(
    """Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương
    Trịnh Trương Lâm Phùng Mai Tô Hà Tạ Lương Chu Đinh Lưu Cao Quách Thái Kiều Triệu Châu Lã
    Nông Hứa Mạc Khổng Từ Tăng Văn Kim Âu Diệp Thân Ninh"""
)
# A capitalised run after these words is a place (often a street named after someone).
_PLACE_WORDS = _wordlist(
    """đường phố xã phường trường quận huyện tỉnh thôn ngõ hẻm cầu chợ thị ấp bản làng tổ khu
    khối số sông núi hồ đảo viện"""
)
# Place names that start like a full name ("Hà Nội", "Cao Bằng"); communes are added from areas.
_PLACES_LIKE_NAMES = frozenset(
    [
        "Hà Nội",
        "Hà Giang",
        "Hà Nam",
        "Hà Tây",
        "Hà Tĩnh",
        "Hà Đông",
        "Hồ Chí Minh",
        "Hồ Tây",
        "Hồ Gươm",
        "Thái Lan",
        "Thái Bình",
        "Thái Nguyên",
        "Lâm Đồng",
        "Cao Bằng",
        "Lào Cai",
        "Kim Bảng",
        "Tô Lịch",
    ]
)


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    from danvan import areas

    names = set(_PLACES_LIKE_NAMES)
    for province in areas.provinces().values():
        names.add(province.name.removeprefix("Thành phố ").removeprefix("Tỉnh "))
        for commune in province.communes:
            names.add(commune.name.split(" ", 1)[1] if " " in commune.name else commune.name)
    return frozenset(names)


def _classify_digits(groups: list[str], *, plus: bool, seps: list[str]) -> str | None:
    """PHONE_MASK, ID_MASK or None for one candidate: digit groups and their separators."""
    digits = "".join(groups)
    several = len(groups) > 1
    # Written phone numbers come in groups of two digits or more after the first one.
    phone_like = not several or all(len(g) >= 2 for g in groups[1:])
    if (
        phone_like
        and digits.startswith("84")
        and (
            (len(digits) == 11 and digits[2] in "35789")
            or (len(digits) in (11, 12) and digits[2] == "2")
        )
    ):
        return PHONE_MASK
    if plus:
        return None
    if phone_like and digits.startswith("0"):
        if len(digits) == 10 and digits[1] in "35789":
            return PHONE_MASK
        if len(digits) in (10, 11) and digits[1] == "2":
            return PHONE_MASK
    # ID numbers (CMND 9 digits, CCCD 12) are written whole or in groups of 3-4 digits; groups of
    # 3 joined by dots are an amount of money (150.000.000.000), not an ID.
    if len(digits) in (9, 12):
        if not several:
            return ID_MASK
        if all(len(g) in (3, 4) for g in groups) and not (
            all(s == "." for s in seps) and all(len(g) == 3 for g in groups[1:])
        ):
            return ID_MASK
    return None


def _mask_digit_run(match: re.Match[str]) -> str:
    run = match.group(0)
    plus = run.startswith("+")
    groups = _GROUP_SEP.split(run.lstrip("+"))
    seps = _GROUP_SEP.findall(run)
    # The whole run first; else the longest prefix of groups that classifies, then the rest.
    out: list[str] = []
    i = 0
    while i < len(groups):
        # A phone or ID number has at most 5 groups: longer candidates are not tried.
        for j in range(min(len(groups), i + 5), i, -1):
            token = _classify_digits(groups[i:j], plus=plus and i == 0, seps=seps[i : j - 1])
            if token is not None:
                out.append(token)
                i = j
                break
        else:
            out.append(groups[i])
            i += 1
            if i < len(groups):
                out.append(seps[i - 1])
            continue
        if i < len(groups):
            out.append(seps[i - 1])
    masked = "".join(out)
    return ("+" + masked) if plus and not masked.startswith("[") else masked


def _is_cap(word: str) -> bool:
    return word[:1].isupper() and word.isalpha()


def _is_full_name(run: list[str], previous: str) -> bool:
    """ "Nguyễn Văn Nam" is; "đường Lê Lợi" and "Hà Nội" are not."""
    return (
        len(run) > 1
        and run[0] in _SURNAMES
        and previous not in _PLACE_WORDS
        and " ".join(run) not in _place_names()
    )


def _mask_names(text: str) -> str:
    words = list(_WORD.finditer(text))
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        if not _is_cap(words[i].group(0)):
            i += 1
            continue
        # A run of capitalised words separated by spaces only: "Nguyễn Văn Nam".
        j = i + 1
        while (
            j < len(words)
            and j - i < 5
            and _is_cap(words[j].group(0))
            and text[words[j - 1].end() : words[j].start()].isspace()
        ):
            j += 1
        run = [w.group(0) for w in words[i:j]]
        between = text[words[i - 1].end() : words[i].start()] if i > 0 else ""
        previous = words[i - 1].group(0).lower() if i > 0 and between.strip() == "" else ""
        first = i
        if run[0].lower() in _HONORIFICS and len(run) > 1:
            first = i + 1  # "Anh Nam", "Ông Nguyễn Văn A" at the start of a sentence
        elif not (
            previous in _HONORIFICS
            or _NAME_INTRO.search(text[: words[i].start()][-40:])
            or _is_full_name(run, previous)
        ):
            i = j
            continue
        spans.append((words[first].start(), words[min(j, first + 4) - 1].end()))
        i = j
    for start, end in reversed(spans):
        text = text[:start] + NAME_MASK + text[end:]
    return text


def mask_pii(text: str) -> str:
    """Text fit to show outside its conversation: phone numbers -> [SĐT] (0…, +84…, 84…, spaced,
    dotted or dashed), 9/12-digit ID numbers -> [CCCD], e-mail addresses -> [EMAIL], person names
    -> [TÊN] (capitalised words after anh/chị/ông/bà/em/cô/chú…, after "tên là"/"tôi là", and
    full names that start with a common surname). Amounts like 150.000.000.000 stay."""
    text = nfc(text)
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _DIGIT_RUN.sub(_mask_digit_run, text)
    return _mask_names(text)


# --- Everything at once -----------------------------------------------------------------------


@dataclass(frozen=True)
class Processed:
    original: str
    normalized: str  # see normalize(); case kept
    folded: str  # lower-case, diacritic-free
    words: list[str]  # lower-case segmented words of `normalized`
    language: Language


def process(text: str) -> Processed:
    """Run the whole pipeline on one text."""
    normalized = normalize(text)
    return Processed(
        original=text,
        normalized=normalized,
        folded=fold(normalized),
        words=[w.lower() for w in segment(normalized)],
        language=detect_language(text),
    )
