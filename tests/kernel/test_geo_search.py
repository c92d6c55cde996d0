"""`find_commune_in_text` only tries communes whose last name word the text contains; it must
find exactly what the plain scan over every commune found."""

from __future__ import annotations

import random

from danvan.kernel import geo
from danvan.kernel.text import fold, nfc


def _plain_scan(text: str, province_code: int) -> geo.Commune | None:
    """The previous implementation: every commune of the province, every position."""
    whole = geo.match_commune(text, province_code)
    if whole is not None:
        return whole
    words = [w.strip(".,;:!?()\"'") for w in nfc(text).lower().split()]
    folded = [fold(w) for w in words]
    hits: dict[int, geo.Commune] = {}
    for commune in geo.province(province_code).communes:
        name_words = commune.name.lower().split()
        name_folded = [fold(w) for w in name_words]
        size = len(name_folded)
        for start in range(len(folded) - size + 1):
            if folded[start : start + size] != name_folded:
                continue
            typed = words[start : start + size]
            if typed == folded[start : start + size] or typed == name_words:
                hits[commune.code] = commune
    return next(iter(hits.values())) if len(hits) == 1 else None


def _sentences(province_code: int, rng: random.Random) -> list[str]:
    communes = geo.province(province_code).communes
    fillers = [
        "tôi ở",
        "nhà em tại",
        "đường hỏng",
        "ạ",
        "(",
        ")",
        "!",
        "thôn Nà Mụ",
        "xã",
        "phường",
    ]
    sentences = []
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(1, 4)):
            commune = rng.choice(communes)
            name = rng.choice([commune.name, commune.short_name, fold(commune.name)])
            name = rng.choice([name, name.upper(), name.lower(), name.replace("Xã", "Phường")])
            parts.extend([rng.choice(fillers), name + rng.choice(["", ".", ",", "!"])])
        sentences.append(" ".join(parts))
    return sentences


def test_finding_a_commune_in_text_agrees_with_the_plain_scan() -> None:
    rng = random.Random(20261129)
    for province_code in (8, 1, 79):
        for text in _sentences(province_code, rng):
            assert geo.find_commune_in_text(text, province_code) == _plain_scan(
                text, province_code
            ), text


def test_a_mention_of_a_commune_with_a_two_word_prefix_is_found() -> None:
    special = [c for p in geo.provinces().values() for c in p.communes if c.kind == "đặc khu"]
    assert special
    commune = special[0]
    found = geo.find_commune_in_text(f"tôi sống ở {commune.name} ạ", commune.province_code)
    assert found == _plain_scan(f"tôi sống ở {commune.name} ạ", commune.province_code)
