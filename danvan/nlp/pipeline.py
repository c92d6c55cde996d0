"""The Vietnamese text pipeline: normalisation, chat-abbreviation expansion, diacritic folding,
word segmentation, language detection and PII masking.

Everything here is pure, offline and deterministic; nothing is downloaded at run time. Word
segmentation uses pyvi's CRF model, which ships inside the pyvi package (chosen over
underthesea by measured accuracy and speed: see bench/README.md). PII masking finds person names
by rules and by underthesea's NER (its CRF models ship in its wheel; imported on first use only).

    >>> normalize("Ko bt đường nàyyyy hỏng từ bao giờ 😡 https://x.vn/a")
    'Không biết đường này hỏng từ bao giờ'
"""

from __future__ import annotations

import logging
import re
import string
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from danvan.kernel.text import fold, nfc

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
# Forms of address typed without accents ("chi Lan", "ong Hoang Van Kien", "nho a Dung"): used
# only in messages typed entirely without accents, where "co"/"ba"/"chu" cannot mean có/ba/chữ
# unless a capitalised word follows, which is rare.
_HONORIFICS_PLAIN = _wordlist("anh chi ong ba em co chu bac cau di chau a")
# Before a lower-case given name ("chị lan ở xã", "a hùng ơi") only these count: "em", "con",
# "cháu", "bạn" are mostly the writer ("em mai lên xã" is "I go tomorrow").
_HONORIFICS_LOWER = _wordlist("anh chị ông bà cô chú bác dì a")
# Frequent given names, as a lower-case word after _HONORIFICS_LOWER or an introduction. Given
# names that are mostly something else after "anh"/"chị" ("anh em", "chị ấy", "bác sĩ") are not
# here because they are not names; words like "hùng" (anh hùng) are accepted as a price.
_GIVEN_NAMES = _wordlist(
    """an anh bắc bằng bích bình cường chi chinh chung công cúc dân diệp dung dũng duy duyên dương
    đạt điệp định đông đức giang hà hải hạnh hằng hạ hiền hiếu hiệp hiển hòa hoà hoa hoài hoàn
    hoàng hồng huệ hùng hưng hương hường huy huyền khánh khang khoa khôi kiên kim lan lâm liên
    liễu linh loan lộc long luân lụa lực lương ly lý mai mạnh minh my mỹ nam nga ngân nghĩa ngọc
    nguyệt nhàn nhung như oanh phong phúc phương phượng quân quang quế quý quyên quỳnh sang sáu
    sinh sơn tài tâm tân thái thắm thắng thanh thành thảo thịnh thu thủy thuỷ thúy thư
    thương tiến tình toàn trang trinh trung tú tuấn tùng tư tuyết uyên vân việt vinh vũ xuân yến"""
)
# A lower-case full name: surname + văn/thị + given name after a form of address or an
# introduction ("ông nguyễn văn tư"; not "quản lý thị trường").
_MIDDLE_LOWER = _wordlist("văn thị")
# "tên là", "tên tôi là", "tôi là", "em là" ... right before the name.
_NAME_INTRO = re.compile(
    r"(?:\btên(?:\s+(?:tôi|em|mình|con|cháu|anh|chị))?(?:\s+là)?|"
    r"\b(?:tôi|em|mình|con|cháu)\s+là)\s*[:,]?\s+$",
    re.IGNORECASE,
)
_NAME_INTRO_PLAIN = re.compile(
    r"(?:\bten(?:\s+(?:toi|em|minh|con|chau|anh|chi))?(?:\s+la)?|"
    r"\b(?:toi|em|minh|con|chau)\s+la)\s*[:,]?\s+$",
    re.IGNORECASE,
)
# The most frequent Vietnamese surnames: one of them followed by capitalised words is a full name.
_SURNAMES = _wordlist(
    """Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương
    Trịnh Trương Lâm Phùng Mai Tô Hà Tạ Lương Chu Đinh Lưu Cao Quách Thái Kiều Triệu Châu Lã
    Nông Hứa Mạc Khổng Từ Tăng Văn Kim Âu Diệp Thân Ninh
    Ma Lò Giàng Sùng Thào Vàng Lù Hầu Mã Tẩn Sầm Quan Lục La Lường Bàn Chảo Phàn Hoàng Bế Vi"""
)
# (The second line: surnames of the Tày, Nùng, Dao, Mông communities of the northern mountains.)
_SURNAMES_PLAIN = frozenset(fold(s).capitalize() for s in _SURNAMES)
_SURNAMES_LOWER = frozenset(s.lower() for s in _SURNAMES)
# A capitalised run after these words is a place (often a street named after someone).
_PLACE_WORDS = _wordlist(
    """đường phố xã phường trường quận huyện tỉnh thôn ngõ hẻm cầu chợ thị ấp bản làng tổ khu
    khối số sông núi hồ đảo viện"""
)
_PLACE_WORDS_PLAIN = frozenset(fold(w) for w in _PLACE_WORDS)
# Organisations whose names start like a person's ("Đoàn Thanh niên"): nothing inside is a name.
_ORGANISATIONS = re.compile(
    r"\b(?:đoàn thanh niên|hội phụ nữ|hội nông dân|hội cựu chiến binh|mặt trận tổ quốc|"
    r"công an|điện lực|ủy ban|uỷ ban|ubnd|hđnd|bệnh viện|ngân hàng|công ty|hợp tác xã)\b",
    re.IGNORECASE,
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
    from danvan.kernel import geo

    names = set(_PLACES_LIKE_NAMES)
    for province in geo.provinces().values():
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


def _is_full_name(run: list[str], previous: str, *, plain: bool) -> bool:
    """ "Nguyễn Văn Nam" is; "đường Lê Lợi" and "Hà Nội" are not."""
    surnames = _SURNAMES_PLAIN if plain else _SURNAMES
    place_words = _PLACE_WORDS_PLAIN if plain else _PLACE_WORDS
    return (
        len(run) > 1
        and run[0] in surnames
        and previous not in place_words
        and not _is_place_name(" ".join(run))
    )


@lru_cache(maxsize=1)
def _place_names_folded() -> frozenset[str]:
    return frozenset(fold(name) for name in _place_names())


def _is_place_name(words: str) -> bool:
    return words in _place_names() or fold(words) in _place_names_folded()


def _is_title_case(words: list[re.Match[str]]) -> bool:
    """ "Xin Cảm Ơn Các Anh Chị Cán Bộ Xã": capitals say nothing about names there."""
    letters = [w.group(0) for w in words if w.group(0).isalpha()]
    return len(letters) >= 4 and sum(_is_cap(w) for w in letters) >= 0.75 * len(letters)


def _lower_name_spans(text: str, words: list[re.Match[str]]) -> list[tuple[int, int]]:
    """Names typed in lower case: a frequent given name right after anh/chị/ông/bà/cô/chú/bác/dì
    or an introduction ("a hùng ơi", "em tên là thảo"), and surname + văn/thị + given name."""
    spans: list[tuple[int, int]] = []
    for k, m in enumerate(words):
        word = m.group(0)
        if not word.islower() or k == 0:
            continue
        previous = words[k - 1]
        introduced = (
            text[previous.end() : m.start()].isspace()
            and previous.group(0).lower() in _HONORIFICS_LOWER
        ) or bool(_NAME_INTRO.search(text[: m.start()][-40:]))
        if not introduced:
            continue
        if (
            k + 2 < len(words)
            and word in _SURNAMES_LOWER
            and words[k + 1].group(0) in _MIDDLE_LOWER
            and words[k + 2].group(0).islower()
            and text[m.end() : words[k + 2].start()].replace(words[k + 1].group(0), "").isspace()
        ):
            spans.append((m.start(), words[k + 2].end()))
            continue
        if word in _GIVEN_NAMES:
            spans.append(m.span())
    return spans


def _rule_name_spans(text: str) -> list[tuple[int, int]]:
    """Spans of person names found by rules: capitalised words after a form of address or an
    introduction, full names that start with a common surname, and a few lower-case forms."""
    words = list(_WORD.finditer(text))
    plain = text.isascii()  # typed without accents: "chi Lan", "ong Hoang Van Kien"
    honorifics = _HONORIFICS_PLAIN if plain else _HONORIFICS
    intro = _NAME_INTRO_PLAIN if plain else _NAME_INTRO
    title_case = _is_title_case(words)
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
        if title_case:
            # Only full names count: the capitals of the other words say nothing.
            while first < j - 1 and not _is_full_name(run[first - i :], "", plain=plain):
                first += 1
            if not _is_full_name(run[first - i :], "", plain=plain):
                i = j
                continue
        elif run[0].lower() in honorifics and len(run) > 1:
            first = i + 1  # "Anh Nam", "Ông Nguyễn Văn A" at the start of a sentence
        elif (
            len(run) > 2
            and run[0].lower() not in _PLACE_WORDS
            and _is_full_name(run[1:], "", plain=plain)
            and not _is_full_name(run, previous, plain=plain)
        ):
            first = i + 1  # "Hộ Đặng Văn Sinh": the first word is capitalised as a sentence start
        elif not (
            previous in honorifics
            or intro.search(text[: words[i].start()][-40:])
            or _is_full_name(run, previous, plain=plain)
        ):
            i = j
            continue
        # "Anh Chị nào biết": a form of address is not a name.
        while first < j and words[first].group(0).lower() in honorifics:
            first += 1
        if first < j:
            spans.append((words[first].start(), words[min(j, first + 4) - 1].end()))
        i = j
    if not plain:
        spans.extend(_lower_name_spans(text, words))
    return _drop_organisations(text, spans)


def _drop_organisations(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans inside an organisation's name ("Đoàn Thanh niên") are not people."""
    orgs = [m.span() for m in _ORGANISATIONS.finditer(text)]
    if not orgs:
        return spans
    return [(s, e) for s, e in spans if not any(s < oe and os_ < e for os_, oe in orgs)]


# --- Person names by underthesea's NER ---------------------------------------------------------
#
# underthesea's CRF models (word segmentation, POS, chunking, NER) ship inside its wheel; ner()
# reads only those files (tested under `unshare -n`). It is imported on first use only: the
# webhook never masks, and processes that never show a message outside its conversation never pay
# its import (~1 s) or its memory.

# NER reads at most this much of a text (it is linear but slow: a few hundred short messages/s
# on one core, ~20 long comments/s); names further on are still masked by the rules.
NER_MAX_CHARS = 3000
_NER_LOCK = threading.Lock()  # underthesea's taggers are module-level singletons
_log = logging.getLogger(__name__)

NerTagger = Callable[[str], list[tuple[str, str, str, str]]]


@lru_cache(maxsize=1)
def _ner_tagger() -> NerTagger | None:
    """underthesea's ner(), or None (logged once) when it cannot be imported."""
    try:
        from underthesea import ner  # type: ignore[import-untyped]
    except Exception as exc:  # ImportError, or a broken install: masking must still work
        _log.warning("underthesea unavailable (%s): person names are masked by rules only", exc)
        return None
    tagger: NerTagger = ner
    return tagger


def _fold_chars(text: str) -> str:
    """fold() one character at a time, so the result is exactly as long as text."""
    return "".join((fold(ch) or ch)[0] if not ch.isspace() else " " for ch in text)


def _ner_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the PER entities underthesea finds in text[:NER_MAX_CHARS]. underthesea returns
    words, normalised (tone marks moved, spaces changed), not offsets: each word is found again in
    the text by its folded syllables, left to right; a word that cannot be found is skipped."""
    tagger = _ner_tagger()
    head = text[:NER_MAX_CHARS]
    if tagger is None or not head.strip():
        return []
    with _NER_LOCK:
        tagged = tagger(head)
    folded = _fold_chars(head)
    spans: list[list[int]] = []
    current: list[int] | None = None
    cursor = 0
    for word, _pos, _chunk, tag in tagged:
        start = end = -1
        for syllable in word.split():
            found = _find_syllable(folded, _fold_chars(syllable), cursor)
            if found < 0:
                start = -1
                break
            start = found if start < 0 else start
            end = cursor = found + len(syllable)
        if start < 0:
            current = None
            continue
        if tag == "B-PER" or (tag == "I-PER" and current is None):
            current = [start, end]
            spans.append(current)
        elif tag == "I-PER" and current is not None:
            current[1] = end
        else:
            current = None
    stripped = [_strip_honorific(text, s, e) for s, e in spans]
    return [(s, e) for s, e in stripped if s < e]


def _find_syllable(folded: str, syllable: str, cursor: int) -> int:
    """Where a (folded) syllable starts in folded text from cursor on, as a whole word if it is
    one ("an" is not found inside "thanh"); -1 if nowhere."""
    if not syllable.isalnum():
        return folded.find(syllable, cursor)
    match = re.compile(r"(?<!\w)" + re.escape(syllable) + r"(?!\w)").search(folded, cursor)
    return match.start() if match else -1


def _strip_honorific(text: str, start: int, end: int) -> tuple[int, int]:
    """ "Anh Hùng" -> "Hùng": the form of address is kept visible, as the rules do. A span that
    is only a form of address ("Chị") comes back empty."""
    match = _WORD.match(text, start)
    while match and match.group(0).lower() in _HONORIFICS:
        nxt = _WORD.search(text, match.end(), end)
        if nxt is None:
            return end, end
        start = nxt.start()
        match = nxt
    return start, end


# Capitalised words NER takes for people that never are.
_NOT_PEOPLE = _wordlist("Tết Viettel Vinaphone Mobifone VNPT Zalo Facebook")


def _keep_ner_span(text: str, start: int, end: int) -> bool:
    """Is a span NER took for a person kept? Not when it is a known place name ("Hà Giang", "Na
    Hang"), follows a place word ("đường Lê Lợi", "duong Le Loi", "xã Minh Quang"), is only a
    form of address ("Chị"), one word in capitals, or a word of _NOT_PEOPLE."""
    span = text[start:end]
    first = span.split()[0] if span.split() else ""
    if _is_place_name(span) or first in _NOT_PEOPLE or span.lower() in _HONORIFICS:
        return False
    if span.isupper() and " " not in span:
        return False  # "KÍNH GỬI UBND XÃ": NER tags capitals in shouted text
    before = _WORD.findall(text[max(0, start - 20) : start])
    return not (before and fold(before[-1]) in _PLACE_WORDS_PLAIN)


def _merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _ner_name_spans(text: str) -> list[tuple[int, int]]:
    """NER's person spans, less places, forms of address and organisations; in Title Case Text
    only full names."""
    kept = [(s, e) for s, e in _ner_spans(text) if _keep_ner_span(text, s, e)]
    if kept and _is_title_case(list(_WORD.finditer(text))):
        plain = text.isascii()
        kept = [(s, e) for s, e in kept if _is_full_name(text[s:e].split(), "", plain=plain)]
    return _drop_organisations(text, kept)


def name_spans(text: str) -> list[tuple[int, int]]:
    """Spans of person names in text, as mask_pii masks them: the rules' and those of
    underthesea's NER (places, organisations and forms of address removed), merged. On the
    project's evaluation set (bench/README.md, "pii") NER alone misses names the rules find and
    the rules miss names NER finds (a given name at the start of a sentence, "Hùng nhà bên
    cạnh"); together they leave far fewer names visible."""
    return _merge_spans([*_rule_name_spans(text), *_ner_name_spans(text)])


def _mask_names(text: str) -> str:
    for start, end in reversed(name_spans(text)):
        text = text[:start] + NAME_MASK + text[end:]
    return text


# Masked texts are kept per process: dashboards, reports and the emerging-issues job show the
# same messages again and again, and NER costs a few milliseconds per short message. Longer texts
# are not kept, so the cache stays under ~50 MB.
MASK_CACHE_SIZE = 4096
MASK_CACHE_MAX_CHARS = 4000


def mask_pii(text: str) -> str:
    """Text fit to show outside its conversation: phone numbers -> [SĐT] (0…, +84…, 84…, spaced,
    dotted or dashed), 9/12-digit ID numbers -> [CCCD], e-mail addresses -> [EMAIL], person names
    -> [TÊN] (see name_spans: rules for forms of address, introductions and full names, plus
    underthesea's NER on the first NER_MAX_CHARS characters). Amounts like 150.000.000.000 stay."""
    text = nfc(text)
    if len(text) > MASK_CACHE_MAX_CHARS:
        return _mask_pii.__wrapped__(text)
    return _mask_pii(text)


@lru_cache(maxsize=MASK_CACHE_SIZE)
def _mask_pii(text: str) -> str:
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
