"""Numbers as people read them, in one place: every count, decimal and percentage the product
shows (pages, reports, documents, Zalo texts) is written by these functions.

Vietnamese writes a decimal comma and groups thousands with a dot ("1.234", "58,3%"); English
the other way round ("1,234", "58.3%"). A change between two periods is given as a percentage
only over a base of at least `MIN_CHANGE_BASE`: "+1100 %" from 1 to 12 says nothing a reader can
use, the two counts do (`change` returns None, and pages show the counts instead).
"""

from __future__ import annotations

MIN_CHANGE_BASE = 20  # the smallest earlier count a relative change is computed over
_SEPARATORS = {"vi": (",", "."), "en": (".", ",")}  # (decimal mark, thousands separator)


def _marks(locale: str) -> tuple[str, str]:
    return _SEPARATORS.get(locale, _SEPARATORS["vi"])


def _swap(text: str, locale: str) -> str:
    """`text` written by Python ("1,234.5") with the locale's marks."""
    decimal_mark, thousands = _marks(locale)
    return text.replace(",", "\0").replace(".", decimal_mark).replace("\0", thousands)


def number(value: int | float, digits: int = 1, *, locale: str = "vi") -> str:
    """A count ("1.234") or a decimal with `digits` places ("12,5"), grouped by thousands."""
    if isinstance(value, int):
        return _swap(f"{value:,}", locale)
    return _swap(f"{value:,.{digits}f}", locale)


def percent(value: float, digits: int = 1, *, locale: str = "vi", signed: bool = False) -> str:
    """A percentage given in percent units (58.333 → "58,3%"); `signed`: "+12,5%"."""
    text = f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"
    return _swap(text, locale) + "%"


def points(value: float, digits: int = 1, *, locale: str = "vi") -> str:
    """A difference of percentages, signed, without the unit ("+2,5")."""
    return _swap(f"{value:+,.{digits}f}", locale)


def ratio(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, never above 100; None without a whole."""
    if whole <= 0:
        return None
    return min(100.0, 100.0 * max(part, 0) / whole)


def change(now: int | None, before: int | None) -> float | None:
    """The relative change from `before` to `now` in percent (one decimal); None when unknown
    (a count suppressed or missing) or when `before` is under `MIN_CHANGE_BASE`, where a
    percentage would mislead and the two counts say it."""
    if now is None or before is None or before < MIN_CHANGE_BASE:
        return None
    return round(100.0 * (now - before) / before, 1)
