"""Writes the seed corpus (train.csv, heldout.csv) from situations.py. Deterministic:

    python -m danvan.nlp.seed.generate

Each message is one hand-written phrasing of a situation (situations.py) put in a frame that
citizens use on Zalo (greetings, "cho em hỏi", "đề nghị xã…", emoji), placed in a commune or
hamlet of Tuyên Quang, sometimes joined to a second sentence, then typed the way people type:
without diacritics, with chat abbreviations ("ko", "dc", "vs", "j"…), lower-case, repeated
letters. Some complaints carry insults (abusive = yes); plenty of angry messages do not.

The held-out file contains only messages built from phrasings that never occur in train.csv
(about a quarter of the phrasings are set aside), so its figures measure how the classifiers
do on wording they have not seen, not on new frames around known sentences.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from danvan.kernel.text import fold
from danvan.nlp.seed.situations import SITUATIONS

HERE = Path(__file__).parent
FIELDS = ("text", "topic", "sentiment", "kind", "urgent", "abusive")
PER_TOPIC = 340
OTHER_COUNT = 260
SEED = 2026

HAMLETS = (
    "thôn Nà Khà",
    "thôn Khuổi Phầy",
    "bản Nặm Đăm",
    "thôn Bản Khoè",
    "thôn Làng Chang",
    "thôn Thác Cái",
    "bản Pác Tạ",
    "thôn Nà Mạ",
    "thôn Tân Lập",
    "thôn Làng Giàng",
    "bản Phiêng Tạ",
    "xóm 3",
    "xóm Đồng Bài",
    "tổ dân phố 5",
    "tổ 12",
    "thôn 8",
    "bản Lủng Cú",
    "thôn Nậm Ty",
    "thôn Đồng Mòng",
    "xóm Chợ",
    "thôn Khau Lấu",
)

KIND_OF = {
    "c": "complaint",
    "q": "question",
    "s": "suggestion",
    "p": "praise",
    "i": "information",
    "o": "other",
    "u": "information",
}
# When two sentences are joined, the message's kind is the first of these that occurs.
KIND_PRIORITY = ("complaint", "question", "suggestion", "praise", "information", "other")

OPENINGS: dict[str, tuple[str, ...]] = {
    "c": (
        "",
        "",
        "",
        "Dạ em chào ad, ",
        "Kính gửi UBND xã, ",
        "Ad ơi, ",
        "Bức xúc quá, ",
        "Em xin phản ánh: ",
        "Tôi phản ánh việc ",
        "Xin hỏi xã có biết là ",
        "Mọi người ơi ",
        "Khổ quá ad ơi, ",
        "Cháu chào các chú, ",
        "Lại nữa rồi, ",
    ),
    "q": (
        "",
        "",
        "Cho em hỏi ",
        "Ad ơi cho hỏi ",
        "Xin hỏi ",
        "Cho tôi hỏi ",
        "Dạ cho cháu hỏi ",
        "Em chào ad, ",
        "Chào xã, cho hỏi ",
        "Ad cho em hỏi là ",
        "Mọi người cho hỏi ",
    ),
    "s": (
        "",
        "",
        "Tôi xin góp ý: ",
        "Em có ý kiến là ",
        "Kiến nghị: ",
        "Theo em ",
        "Mong xã xem xét, ",
        "Dân thôn em đề xuất ",
        "Góp ý với ad là ",
        "Ý kiến của bà con: ",
    ),
    "p": (
        "",
        "",
        "Thật tuyệt, ",
        "Phải khen là ",
        "Dân thôn em rất vui vì ",
        "👍 ",
        "Xin ghi nhận, ",
        "Mừng quá, ",
        "Cảm ơn xã, ",
    ),
    "i": (
        "",
        "",
        "Thông tin để xã biết: ",
        "Báo để ad biết là ",
        "Em báo tin ",
        "Cập nhật: ",
        "Em thông báo là ",
        "Cho mọi người biết ",
        "Ad ơi, ",
    ),
    "u": (
        "",
        "GẤP: ",
        "Cứu với, ",
        "Khẩn cấp! ",
        "Ad ơi giúp với, ",
        "Báo khẩn: ",
        "Alo xã ơi ",
        "Cấp cứu, ",
        "Nguy hiểm quá ad ơi, ",
    ),
    "o": ("",),
}
TAILS: dict[str, tuple[str, ...]] = {
    "c": (
        "",
        "",
        ".",
        ", đề nghị xã giải quyết",
        ", mong xã sớm xử lý",
        ". Dân khổ lắm rồi",
        "!!!",
        ", bao giờ mới xong đây",
        " 😡",
        ", ai chịu trách nhiệm?",
        " ạ",
        ". Mong lãnh đạo xã quan tâm",
        ", phản ánh mãi rồi",
    ),
    "q": (" ạ?", "?", " vậy ad", " với ạ", " ạ, em cảm ơn", "", " ạ", "??", " nhỉ"),
    "s": ("", " ạ", ". Cảm ơn ạ", " để bà con yên tâm", ".", " cho tiện"),
    "p": ("", " 👍", ". Cảm ơn nhiều ạ", " ❤️", "!", ". Rất hài lòng", " ạ"),
    "i": ("", ".", " ạ", " nhé", " để mọi người biết"),
    "u": (
        " !!!",
        ", đề nghị xã cử người đến ngay",
        ", mọi người giúp với",
        "",
        " 🙏",
        ", gọi mãi không được ai",
    ),
    "o": ("",),
}
# Questions with frustration read as complaints by staff; these are labelled so.
ANGRY_QUESTION = ("Sao mãi mà ", "Tại sao đến giờ ", "Sao lâu thế, ", "Hỏi mãi không ai trả lời, ")

INSULTS = (
    "bọn cán bộ ăn hại",
    "lũ vô dụng",
    "đm",
    "dm",
    "vl",
    "mẹ kiếp",
    "ngu như bò",
    "đồ ăn bám",
    "cút hết đi",
    "bọn tham nhũng chó má",
    "đcm",
    "lũ ăn tiền chó chết",
    "đ.m",
    "vcc",
    "lũ óc chó",
    "thằng chủ tịch ngu",
    "bọn sâu dân mọt nước",
    "đồ súc vật",
    "bọn ăn hại đái nát",
    "con mẹ nó",
    "bố tiên sư",
    "lũ đầu trâu mặt ngựa",
    "cán bộ như cứt",
    "ngu si",
    "đồ rác rưởi",
    "bọn lừa đảo khốn nạn",
    # The last third is for the held-out file only (see _message).
    "làm ăn như c*t",
    "bố láo",
    "đồ khốn nạn",
    "óc lợn à",
    "vcl",
    "bọn mất dạy",
    "lũ chó má ăn bẩn",
    "ngu như lợn",
    "dcm bọn này",
    "đồ đểu cáng",
    "thằng ngu",
    "súc sinh",
)
ABUSIVE_OTHER = (
    "đm ad",
    "ad ngu thế",
    "bọn mày làm ăn như cc",
    "cút đi lũ lừa đảo",
    "mẹ kiếp trang này",
    "ad óc chó à",
    "bọn ăn hại",
    "dm trả lời đi",
    "vcl trang này",
    "thằng admin mất dạy",
    "đồ chó",
    "mấy thằng cán bộ ăn bẩn",
)
# Angry but not abusive: the classifier must not learn that anger is abuse.
STRONG_NOT_ABUSIVE = (
    "Thất vọng quá. ",
    "Bức xúc vô cùng. ",
    "Quá tệ! ",
    "Không thể chấp nhận được! ",
    "Dân chúng tôi rất bức xúc, ",
    "Thật là vô trách nhiệm. ",
)

TEEN: dict[str, tuple[str, ...]] = {
    "không": ("ko", "k", "hok", "khum", "kh"),
    "được": ("dc", "đc", "đươc"),
    "với": ("vs",),
    "gì": ("j",),
    "rồi": ("r", "rùi"),
    "vậy": ("z", "zậy"),
    "cũng": ("cx",),
    "biết": ("bt",),
    "quá": ("wá", "qá"),
    "thôi": ("thui",),
    "mình": ("mk",),
    "em": ("e",),
    "anh": ("a",),
    "ạ": ("a", "ak"),
    "bao giờ": ("bh",),
    "như thế nào": ("ntn",),
    "thế nào": ("tn",),
    "trả lời": ("tl",),
    "người": ("ng",),
    "nhiều": ("nhìu",),
    "vẫn": ("vẫn",),
}


@dataclass(frozen=True)
class Phrase:
    topic: str
    code: str  # c q s p i u o
    text: str
    held_out: bool


def _phrases(rng: random.Random) -> list[Phrase]:
    out: list[Phrase] = []
    for topic, situations in SITUATIONS.items():
        for situation in situations:
            for code, texts in situation.items():
                held = set()
                if len(texts) >= 2:
                    held = {i for i in range(len(texts)) if rng.random() < 0.25}
                    if len(held) == len(texts):
                        held.discard(0)
                out.extend(Phrase(topic, code, t, i in held) for i, t in enumerate(texts))
    return out


def _place(rng: random.Random, communes: list[str]) -> str:
    roll = rng.random()
    if roll < 0.35:
        return ""
    if roll < 0.6:
        return rng.choice(HAMLETS)
    if roll < 0.85:
        return rng.choice(communes)
    return f"{rng.choice(HAMLETS)}, {rng.choice(communes)}"


def _with_place(sentence: str, place: str, rng: random.Random) -> str:
    if not place:
        return sentence
    if rng.random() < 0.5:
        return f"{sentence} ở {place}"
    return f"{place.capitalize()}: {sentence}" if rng.random() < 0.5 else f"Ở {place} {sentence}"


def _teencode(text: str, rng: random.Random) -> str:
    out = text
    for word, short in TEEN.items():
        if rng.random() < 0.7:
            out = _replace_word(out, word, partial(rng.choice, short))
    return out


def _replace_word(text: str, word: str, make: Callable[[], str]) -> str:
    parts = text.split(" ")
    n = len(word.split(" "))
    i = 0
    result: list[str] = []
    while i < len(parts):
        if " ".join(parts[i : i + n]).lower() == word:
            result.append(make())
            i += n
        else:
            result.append(parts[i])
            i += 1
    return " ".join(result)


def _type(text: str, rng: random.Random) -> str:
    """How the message is typed: accents, abbreviations, case, repeated letters."""
    if rng.random() < 0.3:
        text = _teencode(text, rng)
    if rng.random() < 0.08 and text and text[-1].isalpha():
        text = text + text[-1] * rng.randint(2, 4)
    roll = rng.random()
    if roll < 0.28:
        text = fold(text)
    elif roll < 0.33:
        # Half-typed accents: some words folded.
        text = " ".join(fold(w) if rng.random() < 0.5 else w for w in text.split(" "))
    roll = rng.random()
    if roll < 0.45:
        text = text[:1].lower() + text[1:]
    elif roll < 0.9:
        text = text[:1].upper() + text[1:]
    elif roll < 0.93:
        text = text.upper()
    return text


SHORT_CUTS = (",", " mà ", " nhưng ", " thì ", " vì ", " từ ", " sau ")


def _short(text: str) -> str:
    """The gist of a phrasing, as typed in a hurry: up to the first clause, at most 8 words."""
    cut = min((i for i in (text.find(c) for c in SHORT_CUTS) if i > 10), default=len(text))
    return " ".join(text[:cut].split()[:8])


def _sentence(phrase: Phrase, rng: random.Random, communes: list[str]) -> tuple[str, str, str]:
    """(text, kind, sentiment) of one framed phrasing."""
    code = phrase.code
    if code in ("c", "i", "u", "p") and rng.random() < 0.2:
        body = _short(phrase.text) + rng.choice(("", "", " ad ơi", " ạ", "!", " 😢", "..."))
        kind = KIND_OF[code]
        sentiment = {"c": "negative", "u": "negative", "p": "positive"}.get(code, "neutral")
        return body, kind, sentiment
    body = _with_place(phrase.text, _place(rng, communes), rng)
    kind = KIND_OF[code]
    if code == "o":
        positive = any(w in phrase.text for w in ("cảm ơn", "chúc", "bổ ích"))
        return body, kind, "positive" if positive else "neutral"
    if code == "q" and rng.random() < 0.15:
        return (
            rng.choice(ANGRY_QUESTION) + body + rng.choice(("?", " vậy?", "??")),
            ("complaint"),
            "negative",
        )
    opening = rng.choice(OPENINGS[code])
    text = opening + (body[:1].lower() + body[1:] if opening else body) + rng.choice(TAILS[code])
    if code == "u" and rng.random() < 0.2:
        return text + ". Sao chưa thấy ai đến?", "complaint", "negative"
    sentiment = {"c": "negative", "u": "negative", "p": "positive"}.get(code, "neutral")
    if code == "s" and rng.random() < 0.12:
        sentiment = "negative"
        text = rng.choice(STRONG_NOT_ABUSIVE) + text
    if code == "c" and rng.random() < 0.12:
        text = rng.choice(STRONG_NOT_ABUSIVE) + text
    return text, kind, sentiment


def _message(
    phrase: Phrase, pool: list[Phrase], rng: random.Random, communes: list[str]
) -> dict[str, str]:
    text, kind, sentiment = _sentence(phrase, rng, communes)
    urgent = phrase.code == "u"
    if phrase.code != "o" and rng.random() < 0.22:
        # A second sentence about the same topic (a complaint followed by a suggestion…).
        second = rng.choice([p for p in pool if p.topic == phrase.topic and p.code != "o"])
        extra, extra_kind, extra_sentiment = _sentence(second, rng, communes)
        text = f"{text}. {extra[:1].upper()}{extra[1:]}"
        kind = min(kind, extra_kind, key=KIND_PRIORITY.index)
        urgent = urgent or second.code == "u"
        if "negative" in (sentiment, extra_sentiment):
            sentiment = "negative"
        elif "positive" in (sentiment, extra_sentiment) and sentiment != extra_sentiment:
            sentiment = "positive" if kind == "praise" else sentiment
    abusive = False
    # Held-out messages use insults the training file never shows (the last third of the list).
    insults = INSULTS[26:] if phrase.held_out else INSULTS[:26]
    others = ABUSIVE_OTHER[8:] if phrase.held_out else ABUSIVE_OTHER[:8]
    if phrase.code == "c" and rng.random() < 0.22:
        insult = rng.choice(insults)
        text = f"{insult}, {text}" if rng.random() < 0.5 else f"{text}, {insult}"
        abusive = True
    elif phrase.code == "o" and rng.random() < 0.15:
        text = f"{rng.choice(others)}, {text}" if rng.random() < 0.6 else rng.choice(others)
        abusive, sentiment, kind = True, "negative", "other"
    text = _type(text, rng)
    return {
        "text": text,
        "topic": phrase.topic,
        "sentiment": sentiment,
        "kind": kind,
        "urgent": "yes" if urgent else "no",
        "abusive": "yes" if abusive else "no",
    }


def generate(seed: int = SEED) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(train rows, held-out rows)."""
    from danvan.kernel.geo import province

    rng = random.Random(seed)
    communes = [c.name for c in province(8).communes]
    communes += [c.short_name for c in province(8).communes]
    phrases = _phrases(rng)
    rows: dict[bool, list[dict[str, str]]] = {False: [], True: []}
    seen: set[str] = set()
    for topic in SITUATIONS:
        target = OTHER_COUNT if topic == "other" else PER_TOPIC
        mine = [p for p in phrases if p.topic == topic]
        for held_out in (False, True):
            pool = [p for p in mine if p.held_out == held_out]
            if not pool:
                continue
            # Held-out phrasings get messages in proportion to their share of the phrasings.
            share = len(pool) / len(mine)
            count = round(target * share)
            # Urgent phrasings are over-sampled: urgency must not be a rare afterthought.
            weights = [3.0 if p.code == "u" else 1.0 for p in pool]
            tries = 0
            made = 0
            while made < count and tries < count * 20:
                tries += 1
                phrase = rng.choices(pool, weights=weights)[0]
                row = _message(phrase, pool, rng, communes)
                key = fold(row["text"]).lower()
                if key in seen:
                    continue
                seen.add(key)
                rows[held_out].append(row)
                made += 1
    rng.shuffle(rows[False])
    rng.shuffle(rows[True])
    return rows[False], rows[True]


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    train, heldout = generate()
    write(HERE / "train.csv", train)
    write(HERE / "heldout.csv", heldout)
    print(f"train.csv: {len(train)} rows, heldout.csv: {len(heldout)} rows")


if __name__ == "__main__":
    main()
