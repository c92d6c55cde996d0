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
                                                   ngap toi, nuoc xiet, tran qua bo de,
                                                   nuoc vo nha, nuoc vao nha, tran vao nha
    landslide  landslide                           sat lo, lo dat, lo nui, sat nui, sat ta luy,
                                                   sut lun, dat sut, dat da do xuong, nut lon,
                                                   vui lap
    fire       fire, explosion      cháy, nổ*      chay nha, chay rung, chay lon, chay to,
                                                   dam chay, boc chay, hoa hoan, chay no,
                                                   no binh ga
    collapse   collapse, falls      sập, cây đổ,   sap nha, nha sap, sap cau, cau sap,
                                    cột điện đổ,   sap tuong, tuong sap, sap mai,
                                    trụ điện đổ    cot dien bi do, cot/tru dien (bi) nga,
                                                   cot/tru dien (bi) nghieng, sap nga, sap do
    drowning   drowning                            duoi nuoc, chet duoi, cuon troi, nuoc cuon,
                                                   roi xuong song, roi xuong suoi,
                                                   roi xuong ho
    poisoning  poisoning                           ngo doc, trung doc, nhiem doc
    sickness   vomiting, several                   dau bung (va) non/oi, oi mua
    missing    someone missing                     mat tich, mat lien lac, chua tim thay,
                                                   tung tich, khong (the) lien lac (duoc)
    violence   fights, weapons      chém*, đâm     danh nhau, dam chem, hanh hung, cam dao,
                                                   doa giet, danh dap
    trapped    people trapped                      mac ket, bi ket, bi vui, co lap
    help       calls for help                      cuu voi, cuu ho, cap cuu, cuu nan, cuu toi,
                                                   cuu gap, cuu nguoi, sos, khan cap, keu cuu,
                                                   cuu giup, ngat xiu, co giat, cau cuu,
                                                   co ai cuu, cuu gia dinh, cuu nha, cuu chau,
                                                   du cau thang, khong tho duoc
    electric   live wires                          dien giat, day dien dut, dut day dien,
                                                   chap dien, day dien roi, day dien nay roi,
                                                   day dien bi dut, ngang dau nguoi

    lũ*: not before a person or an insult ("lũ trẻ", "lũ vô dụng": a gang, not a flood).
    nổ*: not "nổ máy" (an engine starting); chém*: not "chặt chém" (overcharging).

    lo dat: only in a text typed without diacritics; with them, "lở đất" ("lô đất" is a plot).

**Context of the message** (`calm`): the hits of a message do not count when it speaks of a
chronic problem ("mỗi khi mưa là ngập úng", "nghẹt trong thời gian dài"), asks for works, money
or compensation ("xem xét kinh phí xây kè chống sạt lở"), tells a past event or its aftermath
("đợt bão lụt vừa qua", "mất hết rồi", "cháy hết rồi", "đã qua"), thanks or is relieved ("cảm
ơn", "ấm lòng", "may mắn", "đã an toàn"), speaks of a risk or a hypothesis ("tiềm ẩn", "nếu
không may", "học bơi"), of a stalled engine in a flooded street ("chết máy") or asks about a
policy ("chi phí cấp cứu có được thanh toán không") (`CALM`), unless it also has a word of
danger now or imminent (`IMMINENT_ACCENTED`: "gấp", "kẹt", "cứu hộ", "cứu với", "bây giờ",
"cần sơ tán"...) anywhere, or an aspect word of a danger going on or about to happen
(`ASPECT_ACCENTED`: "đang", "sắp") next to a hit: "mỗi khi mưa là ngập, nhưng nước đang lên
tới gác" counts, "tôi đang khá lo lắng vì xe chết máy ... qua đoạn đường ngập" does not (typed
without accents "dang" is also "đáng", "đăng"...: far from the danger it says nothing).
Acute dangers (poisoning, violence, someone missing, people trapped) always count.

Measured on the real training messages (where the rules were written) and on the seed corpus
(not used to write them), lexicon alone, precision / recall: the first context rules took real
train (parts A + B) from 0.54 / 0.52 to 0.75 / 0.64; on the grown corpus (part C's look-alikes
added) the second round (aspect next to the hit, aftermath and thanks, risk words, "chặt chém",
"nổ máy", new phrasings: "tràn vào nhà", "cột điện nghiêng", "nứt lớn", "đau bụng nôn ói") took
real train from 0.555 / 0.667 to 0.720 / 0.746 and the seed corpus from 0.824 / 0.663 to
0.846 / 0.700 (real dev, read once afterwards: 0.481 / 0.50 -> 0.49 / 0.50). The urgent
model decides beside the lexicon, with its threshold chosen by grouped cross-validation for
recall (bench/README.md, "Real messages"). `resolved()` recognises resolved events ("đã khắc
phục", "năm ngoái") for reports; the product does not use it.
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
    "fire": ("cháy", "nổ(?! máy)"),
    "collapse": ("sập", "cây đổ", "cột điện đổ", "trụ điện đổ"),
    "violence": ("(?<!chặt )chém", "đâm"),
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
        "tran qua bo de",
        "nuoc vo nha",
        "nuoc vao nha",
        "tran vao nha",
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
        "nut lon",
        "vui lap",
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
        "(?:cot|tru) dien (?:bi )?(?:nga|nghieng)",
        "sap nga",
        "sap do",
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
    # Vomiting after a meal (not acute: a calm context, a question about a policy, wins).
    "sickness": ("dau bung,? (?:va )?(?:non|oi)", "oi mua"),
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
    "trapped": ("mac ket", "bi ket", "bi vui", "co lap"),
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
        "ngang dau nguoi",
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
    "tranh",
    "giam thieu",
    "tai nan",
    "cong tac",
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
    "(?<!giao duc )thuong xuyen",
    "nhieu nam",
    "lau nay",
    "mua la",
    "mua cai la",
    "khi mua",
    "khi troi mua",
    "mua mua",
    "ngap ung",
    "con mua",
    "thoi gian dai",
    "lau roi",
    "tu xua",
    "khi nao mua",
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
    "chu truong",
    # risk not happening, a hypothesis
    "tiem an",
    "neu khong may",
    "hoc boi",
    # aftermath: told afterwards, relief, thanks
    "da qua",
    "troi het",
    "het roi",
    "chua tung",
    "am long",
    "cam on",
    "may man",
    "da an toan",
    # a stalled engine in a flooded street: traffic, not a danger
    "chet may",
)
# Aspect words of a danger going on or about to happen: they keep a hit only when they stand
# near it (`ASPECT_BEFORE` characters before the hit, `ASPECT_AFTER` after): "nước đang lên",
# "sắp ngập tới mái", "ngập sắp tới gác", but not "đang khá lo lắng vì xe chết máy ... đoạn
# đường ngập" nor, typed without accents, "dang" (đáng, đăng...) far from the danger words.
ASPECT_ACCENTED = ("đang", "sắp")
ASPECT_BEFORE, ASPECT_AFTER = 30, 20
IMMINENT_ACCENTED = (
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
    "sơ tán ngay",
    "cần sơ tán",
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
_ASPECT = re.compile(_W.format("|".join(ASPECT_ACCENTED)))
_ASPECT_FOLDED = re.compile(_W.format("|".join(fold(w) for w in ASPECT_ACCENTED)))
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
    where: list[int] = []  # where each hit starts (the two views have the same length)
    for code, pattern in _ACCENTED:
        for m in pattern.finditer(accented):
            if not _NOT_NOW.search(fold(accented[: m.start()])[-40:]):
                found.append(Hit(code, m.group(0)))
                where.append(m.start())
    with_accents = bool(_ACCENTS.search(accented))
    for code, pattern in _FOLDED:
        for m in pattern.finditer(folded):
            if _NOT_NOW.search(folded[max(0, m.start() - 40) : m.start()]) or (
                with_accents
                and m.group(0) in NEEDS_ACCENTS
                and NEEDS_ACCENTS[m.group(0)] not in accented
            ):
                continue
            found.append(Hit(code, m.group(0)))
            where.append(m.start())
    acute = any(hit.code in ACUTE for hit in found)
    if found and not acute and calm(accented, folded, with_accents, where):
        return ()
    return tuple(found)


def calm(accented: str, folded: str, with_accents: bool, where: list[int] | None = None) -> bool:
    """True when the message's context says its danger words are not a danger now (`CALM`
    words and no `IMMINENT` word; an `ASPECT` word counts only near a hit starting at one of
    `where`, anywhere when `where` is None); texts are the lower-cased views of `hits`."""
    if not _CALM.search(folded):
        return False
    text, imminent, aspect = (
        (accented, _IMMINENT, _ASPECT)
        if with_accents
        else (folded, _IMMINENT_FOLDED, _ASPECT_FOLDED)
    )
    if imminent.search(text):
        return False
    near = where is None or len(accented) != len(folded)
    for m in aspect.finditer(text):
        if near or any(-ASPECT_AFTER <= w - m.start() <= ASPECT_BEFORE for w in where or ()):
            return False
    return True


def is_danger(text: str) -> bool:
    """True when the text names a danger of the table (the urgent safety net)."""
    return bool(hits(text))


def resolved(text: str) -> bool:
    """True when the text speaks of an event as over ("đã khắc phục", "năm ngoái")."""
    return bool(_RESOLVED.search(_views(text)[1]))
