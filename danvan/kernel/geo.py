"""The province -> commune tree (34 provinces, 3,321 communes since the 2025 reform).

Read once from the `vietnam-provinces` package and kept in memory: it is static reference data,
so communes are stored elsewhere as their integer codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vietnam_provinces import Province as _Province
from vietnam_provinces import Ward as _Ward

from danvan.kernel.text import fold, nfc

_PREFIX = re.compile(r"^(xa|phuong|dac khu|thi tran)\s+")


@dataclass(frozen=True)
class Commune:
    code: int
    name: str  # "Xã Minh Quang"
    kind: str  # "xã", "phường", "đặc khu"
    province_code: int

    @property
    def short_name(self) -> str:
        """The name without its prefix: "Minh Quang"."""
        return self.name.split(" ", 1)[1] if " " in self.name else self.name


@dataclass(frozen=True)
class Province:
    code: int
    name: str
    communes: tuple[Commune, ...]


@lru_cache
def provinces() -> dict[int, Province]:
    result: dict[int, Province] = {}
    wards: dict[int, list[Commune]] = {}
    for ward in _Ward.iter_all():
        commune = Commune(
            code=int(ward.code),
            name=ward.name,
            kind=ward.division_type.value,
            province_code=int(ward.province_code),
        )
        wards.setdefault(commune.province_code, []).append(commune)
    for province in _Province.iter_all():
        code = int(province.code)
        communes = tuple(sorted(wards.get(code, []), key=lambda c: fold(c.short_name)))
        result[code] = Province(code=code, name=province.name, communes=communes)
    return dict(sorted(result.items()))


@lru_cache
def communes_by_code() -> dict[int, Commune]:
    return {c.code: c for p in provinces().values() for c in p.communes}


def get_commune(code: int | None) -> Commune | None:
    return None if code is None else communes_by_code().get(code)


def commune_name(code: int | None) -> str:
    commune = get_commune(code)
    return commune.name if commune else ""


def province(code: int) -> Province:
    try:
        return provinces()[code]
    except KeyError:
        raise ValueError(f"unknown province code {code}") from None


@lru_cache
def _index(province_code: int) -> dict[str, list[Commune]]:
    index: dict[str, list[Commune]] = {}
    for commune in province(province_code).communes:
        for key in {fold(commune.name), fold(commune.short_name)}:
            index.setdefault(key, []).append(commune)
    return index


def match_commune(text: str, province_code: int) -> Commune | None:
    """The commune of `province_code` named by free text, with or without diacritics or the
    "xã/phường" prefix: "minh quang" -> Xã Minh Quang. None when nothing or several match."""
    key = fold(text).strip(" .,;:!?")
    if not key:
        return None
    index = _index(province_code)
    found = index.get(key)
    if found is None:
        found = index.get(_PREFIX.sub("", key))
    typed = " ".join(nfc(text).lower().strip(" .,;:!?").split())
    if found and typed != key:
        # Accents were typed: they must be the commune's own ("đường hỏng" is not Đường Hồng).
        found = [c for c in found if typed in (c.name.lower(), c.short_name.lower())]
    if found and len(found) == 1:
        return found[0]
    if found:
        # "phường X" and "xã X" can share a name: the prefix given decides.
        exact = [c for c in found if fold(c.name) == key]
        return exact[0] if len(exact) == 1 else None
    return None


@lru_cache
def _by_last_word(
    province_code: int,
) -> dict[str, tuple[tuple[Commune, list[str], list[str]], ...]]:
    """Each commune with its lower-cased name words and their folded forms, computed once and
    indexed by the last folded word: a mention must contain it, so only those are tried."""
    index: dict[str, list[tuple[Commune, list[str], list[str]]]] = {}
    for commune in province(province_code).communes:
        words = commune.name.lower().split()
        folded = [fold(w) for w in words]
        index.setdefault(folded[-1], []).append((commune, words, folded))
    return {key: tuple(value) for key, value in index.items()}


_fold_word = lru_cache(maxsize=65536)(fold)


def find_commune_in_text(text: str, province_code: int) -> Commune | None:
    """The commune a message names: the whole message ("Minh Quang"), or a mention with its
    prefix inside a longer one ("tôi ở xã minh quang ạ"). A bare name inside a sentence is not
    taken: too many commune names are ordinary words ("đường hỏng" folds to "Đường Hồng").
    Where the citizen typed accents on the mention, they must be the commune's own."""
    whole = match_commune(text, province_code)
    if whole is not None:
        return whole
    words = [w.strip(".,;:!?()\"'") for w in nfc(text).lower().split()]
    folded = [_fold_word(w) for w in words]
    index = _by_last_word(province_code)
    hits: dict[int, Commune] = {}
    for end, word in enumerate(folded):
        for commune, name_words, name_folded in index.get(word, ()):
            start = end + 1 - len(name_folded)
            if start < 0 or folded[start : end + 1] != name_folded:
                continue
            typed = words[start : end + 1]
            if typed == folded[start : end + 1] or typed == name_words:
                hits[commune.code] = commune
    return next(iter(hits.values())) if len(hits) == 1 else None
