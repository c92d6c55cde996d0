"""The danger lexicon: the safety net under the urgent classifier.

A message is urgent when it reports a danger to life, health or property happening now. The
urgent model learns that from labelled messages, and misses some (short chat messages, wordings
it has not seen); this lexicon catches the words people use for those dangers, with or without
diacritics and in chat spellings, so that the final decision is "model says yes OR the lexicon
hits" (danvan.nlp.classifiers). Recall first: a false alarm costs staff a look, a missed flood
costs more.

How a text is matched: normalised as the engine does (NFC, URLs dropped, chat abbreviations
such as "ko", "dc" expanded, repeated letters squeezed), lower-cased, then

- **accented** patterns are searched in the accented text: only there is "lũ" (flood) told
  from "lu", "sập" (collapse) from "sắp" (about to), "cháy" (fire) from "chạy" (run);
- **folded** patterns are searched in the diacritic-free text ("ngap", "sat lo", "chay nha"),
  so they catch text typed with accents, without them, or half-typed. Folded patterns are
  chosen to be unambiguous without accents (often two words).

Patterns match whole words. A hit is reported with its danger code. A hit right after words of
risk, prevention or aftermath (`NOT_NOW`: "nguy cơ", "chống", "phòng", "cảnh báo", "sau", "sợ"...:
"nguy cơ sạt lở", "phòng chống lũ", "sau lũ") does not count: on the real training messages
this dropped a third of the false alarms and no urgent message (bench/README.md).

    code       danger               accented       folded (typed with or without diacritics)
    ------------------------------------------------------------------------------------------
    flood      flood, rising water  lũ*, lụt,      ngap, lu lut, lu quet, lu ong, lu ve,
                                    dâng lên,      lu len, lu dang, lu den, lu to, mua lu,
                                    dâng cao       nuoc lu, nuoc dang, nuoc len, vo de, vo dap,
                                                   tran de, xa lu, tran qua de, tran bo de,
                                                   vo ho, ho vo, len toi mai, len toi gac,
                                                   ngap toi, nuoc xiet
    landslide  landslide                           sat lo, lo dat, lo nui, sat nui, sat ta luy,
                                                   sut lun, dat sut, dat da do xuong
    fire       fire, explosion      cháy, nổ       chay nha, chay rung, chay lon, chay to,
                                                   dam chay, boc chay, hoa hoan, chay no,
                                                   no binh ga
    collapse   collapse, falls      sập, cây đổ,   sap nha, nha sap, sap cau, cau sap,
                                    cột điện đổ,   sap tuong, tuong sap, sap mai,
                                    trụ điện đổ    cot dien bi do
    drowning   drowning                            duoi nuoc, chet duoi, cuon troi, nuoc cuon,
                                                   roi xuong song, roi xuong suoi,
                                                   roi xuong ho
    poisoning  poisoning                           ngo doc, trung doc, nhiem doc
    missing    someone missing                     mat tich, mat lien lac, chua tim thay,
                                                   tung tich, khong (the) lien lac (duoc)
    violence   fights, weapons      chém, đâm      danh nhau, dam chem, hanh hung, cam dao,
                                                   doa giet, danh dap
    trapped    people trapped                      mac ket, bi ket, bi vui, vui lap, co lap
    help       calls for help                      cuu voi, cuu ho, cap cuu, cuu nan, cuu toi,
                                                   cuu gap, cuu nguoi, sos, khan cap, keu cuu,
                                                   cuu giup, ngat xiu, co giat, cau cuu,
                                                   co ai cuu, cuu gia dinh, cuu nha, cuu chau,
                                                   du cau thang, khong tho duoc
    electric   live wires                          dien giat, day dien dut, dut day dien,
                                                   chap dien, day dien roi, day dien nay roi,
                                                   day dien bi dut

    lũ*: not before a person or an insult ("lũ trẻ", "lũ vô dụng": a gang, not a flood).

    lo dat: only in a text typed without diacritics; with them, "lở đất" ("lô đất" is a plot).

**Context of the message** (`calm`): the hits of a message do not count when it speaks of a
chronic problem ("mỗi khi mưa là ngập úng"), asks for works, money or compensation ("xem xét
kinh phí xây kè chống sạt lở"), tells a past event ("đợt bão lụt vừa qua", "mất hết rồi") or
asks about a policy ("chi phí cấp cứu có được thanh toán không") (`CALM`), unless it also has
a word of danger now or imminent (`IMMINENT_ACCENTED`: "đang", "sắp", "gấp", "kẹt", "cứu hộ",
"bây giờ"...: "mỗi khi mưa là ngập, nhưng nước đang lên tới gác" counts). Acute dangers
(poisoning, violence, someone missing, people trapped) always count. On the real training
messages this raised the lexicon's precision from 0.54 to 0.75 (recall 0.52 -> 0.64 with the
new phrasings); the urgent model still decides beside it, with its threshold chosen by
cross-validation for recall (bench/README.md, "Real messages"). `resolved()` recognises
resolved events ("đã khắc phục", "năm ngoái") for reports; the product does not use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from danvan.kernel.text import fold
from danvan.nlp.normalization import normalize

# A gang, not a flood: "lũ trẻ", "lũ vô dụng", "lũ chó"... ("lũ" before a person or an insult).
_LU_GANG = (
    "trẻ|nhóc|vô|ăn|chó|bọn|người|mày|nó|óc|đầu|lừa|quan|cán|côn|du|khốn|ngu|súc|tham|sâu|mất|"
    "chúng|các|trộm|cướp|tụi|con|bạn|mọi|học|thanh|thiếu|đàn"
)

ACCENTED: dict[str, tuple[str, ...]] = {
    "flood": (rf"lũ(?! (?:{_LU_GANG})\b)", "lụt", "dâng lên", "dâng cao"),
    "fire": ("cháy", "nổ"),
    "collapse": ("sập", "cây đổ", "cột điện đổ", "trụ điện đổ"),
    "violence": ("chém", "đâm"),
}

FOLDED: dict[str, tuple[str, ...]] = {
    "flood": (
        "ngap",
        "lu lut",
        "lu quet",
        "lu ong",
        "lu ve",
        "lu len",
        "lu dang",
        "lu den",
        "lu to",
        "mua lu",
        "nuoc lu",
        "nuoc dang",
        "nuoc len",
        "vo de",
        "vo dap",
        "tran de",
        "xa lu",
        "tran qua de",
        "tran bo de",
        "vo ho",
        "ho vo",
        "len toi mai",
        "len toi gac",
        "ngap toi",
        "nuoc xiet",
    ),
    "landslide": (
        "sat lo",
        "lo dat",
        "lo nui",
        "sat nui",
        "sat ta luy",
        "sut lun",
        "dat sut",
        "dat da do xuong",
    ),
    "fire": (
        "chay nha",
        "chay rung",
        "chay lon",
        "chay to",
        "dam chay",
        "boc chay",
        "hoa hoan",
        "chay no",
        "no binh ga",
    ),
    "collapse": (
        "sap nha",
        "nha sap",
        "sap cau",
        "cau sap",
        "sap tuong",
        "tuong sap",
        "sap mai",
        "cot dien bi do",
    ),
    "drowning": (
        "duoi nuoc",
        "chet duoi",
        "cuon troi",
        "nuoc cuon",
        "roi xuong song",
        "roi xuong suoi",
        "roi xuong ho",
    ),
    "poisoning": ("ngo doc", "trung doc", "nhiem doc"),
    "missing": (
        "mat tich",
        "mat lien lac",
        "chua tim thay",
        "tung tich",
        "khong the lien lac",
        "khong lien lac duoc",
    ),
    "violence": (
        "danh nhau",
        "dam chem",
        "hanh hung",
        "cam dao",
        "doa giet",
        "danh dap",
    ),
    "trapped": ("mac ket", "bi ket", "bi vui", "vui lap", "co lap"),
    "help": (
        "cuu voi",
        "cuu ho",
        "cap cuu",
        "cuu nan",
        "cuu toi",
        "cuu gap",
        "cuu nguoi",
        "sos",
        "khan cap",
        "keu cuu",
        "cuu giup",
        "ngat xiu",
        "co giat",
        "cau cuu",
        "co ai cuu",
        "cuu gia dinh",
        "cuu nha",
        "cuu chau",
        "du cau thang",
        "khong tho duoc",
    ),
    "electric": (
        "dien giat",
        "day dien dut",
        "dut day dien",
        "chap dien",
        "day dien roi",
        "day dien nay roi",
        "day dien bi dut",
    ),
}

# Said of an event that is over: "đã khắc phục", "năm ngoái"... (see the module's docstring).
RESOLVED = (
    "da khac phuc",
    "da duoc khac phuc",
    "da xu ly xong",
    "da duoc xu ly",
    "da on dinh",
    "nam ngoai",
    "nam truoc",
    "hoi truoc",
    "da rut",
)

# Words just before a hit that make it a risk, a prevention or an aftermath rather than a danger
# happening now ("nguy cơ sạt lở", "phòng chống lũ", "sau lũ", "cảnh báo đuối nước"); such a hit
# does not count. Chosen on the real training messages and the seed corpus (bench/README.md).
NOT_NOW = (
    "nguy co",
    "chong",
    "phong",
    "de phong",
    "canh bao",
    "khac phuc",
    "sau",
    "sau con",
    "sau tran",
    "sau dot",
    "sau mua",
    "sau khi",
    "thiet hai do",
    "vu",
    "so",
)

# Folded patterns that name something harmless when the text is typed with diacritics: there,
# the accented form must be present ("lô đất" is a plot of land, "lở đất" a landslide).
NEEDS_ACCENTS = {"lo dat": "lở đất"}

# Context of the whole message. A hit does not count when the message speaks of a chronic
# problem ("mỗi khi mưa là ngập úng"), asks for works, money or compensation ("xem xét kinh phí
# xây kè chống sạt lở", "đền bù ruộng bị ngập"), tells a past event ("đợt bão lụt vừa qua",
# "mất hết rồi"), thanks for a rescue, or asks about a policy ("chi phí cấp cứu có được thanh
# toán không") - unless it also has a word of danger now or imminent (`IMMINENT`: "đang",
# "sắp", "gấp", "kẹt", "cứu hộ", "bây giờ"...), which always keeps the hit (recall first).
# Poisoning, violence, someone missing and people trapped are never chronic nor asked for:
# their hits always count.
ACUTE = ("poisoning", "violence", "missing", "trapped")
CALM = (
    # chronic
    "moi khi",
    "moi lan",
    "moi nam",
    "hang nam",
    "thuong xuyen",
    "nhieu nam",
    "lau nay",
    "mua la",
    "mua cai la",
    "khi mua",
    "khi troi mua",
    "mua mua",
    "ngap ung",
    "con mua",
    # works, money, compensation
    "kinh phi",
    "dau tu",
    "xay ke",
    "den bu",
    "boi thuong",
    "xem xet",
    "tien do",
    "nang cap",
    "sua chua",
    "cat tia",
    "phuong an",
    # past events, thanks
    "vua qua",
    "hom do",
    "hom truoc",
    "truoc day",
    "nam ngoai",
    "nam truoc",
    "mat het",
    "chua bao gio thay",
    "thiet hai",
    "lam lai",
    # policy questions, prevention
    "chi phi",
    "thanh toan",
    "che do",
    "tro cap",
    "bao hiem",
    "chinh sach",
    "thu tuc",
    "tuyen truyen",
    "trang thiet bi",
)
IMMINENT_ACCENTED = (
    "đang",
    "sắp",
    "gấp",
    "kẹt",
    "cứu hộ",
    "cứu với",
    "cứu giúp",
    "cứu người",
    "cứu nạn",
    "cầu cứu",
    "khẩn cấp",
    "bây giờ",
    "lúc này",
    "ngay lập tức",
    "giúp với",
    "nguy kịch",
)

_W = r"(?<!\w)(?:{})(?!\w)"


def _compile(table: dict[str, tuple[str, ...]]) -> list[tuple[str, re.Pattern[str]]]:
    return [(code, re.compile(_W.format("|".join(pats)))) for code, pats in table.items()]


_ACCENTED = _compile(ACCENTED)
_FOLDED = _compile(FOLDED)
_RESOLVED = re.compile(_W.format("|".join(RESOLVED)))
_NOT_NOW = re.compile(r"(?<!\w)(?:{})\s*$".format("|".join(NOT_NOW)))
_CALM = re.compile(_W.format("|".join(CALM)))
_IMMINENT = re.compile(_W.format("|".join(IMMINENT_ACCENTED)))
_IMMINENT_FOLDED = re.compile(_W.format("|".join(fold(w) for w in IMMINENT_ACCENTED)))
# Lower-case Vietnamese letters with a diacritic (and đ): the text was typed with accents.
_ACCENTS = re.compile("[\u00e0-\u00fd\u0103\u0111\u0129\u0169\u01a1\u01b0\u1ea1-\u1ef9]")


@dataclass(frozen=True)
class Hit:
    code: str  # a danger code of the table above
    words: str  # the words that matched, as found in the (normalised) text


def _views(text: str) -> tuple[str, str]:
    accented = normalize(text[:5000]).lower()
    return accented, fold(accented)


@lru_cache(maxsize=4096)
def hits(text: str) -> tuple[Hit, ...]:
    """Every danger the text names (an empty tuple when none)."""
    accented, folded = _views(text)
    found: list[Hit] = []
    for code, pattern in _ACCENTED:
        found.extend(
            Hit(code, m.group(0))
            for m in pattern.finditer(accented)
            if not _NOT_NOW.search(fold(accented[: m.start()])[-40:])
        )
    with_accents = bool(_ACCENTS.search(accented))
    for code, pattern in _FOLDED:
        found.extend(
            Hit(code, m.group(0))
            for m in pattern.finditer(folded)
            if not _NOT_NOW.search(folded[max(0, m.start() - 40) : m.start()])
            and not (
                with_accents
                and m.group(0) in NEEDS_ACCENTS
                and NEEDS_ACCENTS[m.group(0)] not in accented
            )
        )
    acute = any(hit.code in ACUTE for hit in found)
    if found and not acute and calm(accented, folded, with_accents):
        return ()
    return tuple(found)


def calm(accented: str, folded: str, with_accents: bool) -> bool:
    """True when the message's context says its danger words are not a danger now (`CALM`
    words and no `IMMINENT` word); texts are the lower-cased views of `hits`."""
    if not _CALM.search(folded):
        return False
    imminent = _IMMINENT.search(accented) if with_accents else _IMMINENT_FOLDED.search(folded)
    return imminent is None


def is_danger(text: str) -> bool:
    """True when the text names a danger of the table (the urgent safety net)."""
    return bool(hits(text))


def resolved(text: str) -> bool:
    """True when the text speaks of an event as over ("đã khắc phục", "năm ngoái")."""
    return bool(_RESOLVED.search(_views(text)[1]))
