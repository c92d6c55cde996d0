"""Person names in text (`name_spans`), as PII masking hides them: found by rules (forms of
address, introductions, full names that start with a common surname, a few lower-case forms)
and by underthesea's NER (imported on first use only), less places, organisations and forms
of address."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache

from danvan.kernel.text import fold
from danvan.nlp.normalization import WORD, wordlist

# Words after which capitalised words are a person's name.
_HONORIFICS = wordlist("anh chị ông bà em cô chú bác cậu dì thím mợ dượng cháu bạn con chí")
# Forms of address typed without accents ("chi Lan", "ong Hoang Van Kien", "nho a Dung"): used
# only in messages typed entirely without accents, where "co"/"ba"/"chu" cannot mean có/ba/chữ
# unless a capitalised word follows, which is rare.
_HONORIFICS_PLAIN = wordlist("anh chi ong ba em co chu bac cau di chau a")
# Before a lower-case given name ("chị lan ở xã", "a hùng ơi") only these count: "em", "con",
# "cháu", "bạn" are mostly the writer ("em mai lên xã" is "I go tomorrow").
_HONORIFICS_LOWER = wordlist("anh chị ông bà cô chú bác dì a")
# Frequent given names, as a lower-case word after _HONORIFICS_LOWER or an introduction. Given
# names that are mostly something else after "anh"/"chị" ("anh em", "chị ấy", "bác sĩ") are not
# here because they are not names; words like "hùng" (anh hùng) are accepted as a price.
_GIVEN_NAMES = wordlist(
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
_MIDDLE_LOWER = wordlist("văn thị")
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
_SURNAMES = wordlist(
    """Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đào Đoàn Vương
    Trịnh Trương Lâm Phùng Mai Tô Hà Tạ Lương Chu Đinh Lưu Cao Quách Thái Kiều Triệu Châu Lã
    Nông Hứa Mạc Khổng Từ Tăng Văn Kim Âu Diệp Thân Ninh
    Ma Lò Giàng Sùng Thào Vàng Lù Hầu Mã Tẩn Sầm Quan Lục La Lường Bàn Chảo Phàn Hoàng Bế Vi"""
)
# (The second line: surnames of the Tày, Nùng, Dao, Mông communities of the northern mountains.)
_SURNAMES_PLAIN = frozenset(fold(s).capitalize() for s in _SURNAMES)
_SURNAMES_LOWER = frozenset(s.lower() for s in _SURNAMES)
# A capitalised run after these words is a place (often a street named after someone).
_PLACE_WORDS = wordlist(
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
    words = list(WORD.finditer(text))
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
_log = logging.getLogger("danvan.nlp.pipeline")

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
    match = WORD.match(text, start)
    while match and match.group(0).lower() in _HONORIFICS:
        nxt = WORD.search(text, match.end(), end)
        if nxt is None:
            return end, end
        start = nxt.start()
        match = nxt
    return start, end


# Capitalised words NER takes for people that never are.
_NOT_PEOPLE = wordlist("Tết Viettel Vinaphone Mobifone VNPT Zalo Facebook")


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
    before = WORD.findall(text[max(0, start - 20) : start])
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
    if kept and _is_title_case(list(WORD.finditer(text))):
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
