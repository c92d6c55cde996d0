"""Checks of the staff training's input shared by its modules: text limits and the communes of
the province."""

from __future__ import annotations

from collections.abc import Iterable

from danvan.kernel import geo
from danvan.kernel.errors import Invalid
from danvan.kernel.text import clean

MAX_TITLE = 300
MAX_TEXT = 20_000
MAX_NAME = 200


def check_text(value: str, *, what: str, limit: int, required: bool = True) -> str:
    text = clean(value)
    if required and not text:
        raise Invalid("{what}: không được để trống", code="invalid_input", what=what)
    if len(text) > limit:
        raise Invalid("{what}: dài quá {limit} ký tự", code="too_long", what=what, limit=limit)
    return text


def check_commune_codes(codes: Iterable[int], *, province_code: int) -> list[int]:
    result: list[int] = []
    for code in codes:
        commune = geo.get_commune(code)
        if commune is None or commune.province_code != province_code:
            raise Invalid(
                "Mã xã/phường không thuộc tỉnh: {commune}", code="invalid_commune", commune=code
            )
        if code not in result:
            result.append(code)
    return result
