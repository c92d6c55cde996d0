"""UI strings in Vietnamese (the default) and English.

Catalogs are flat JSON files in `danvan/web/locales/`: `vi.json` and `en.json`, plus any
`<area>.vi.json` / `<area>.en.json` a part of the UI keeps apart (merged in, never overriding).
A key missing from the chosen locale falls back to Vietnamese, then to the key itself, so a
Vietnamese sentence used as a key (`_("Gửi góp ý")`) still shows Vietnamese.

Translations are plain `str`: Jinja escapes them like any other value, placeholders included.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from danvan.kernel.errors import CoreError

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
SESSION_KEY = "locale"
LOCALE_DIR = Path(__file__).parent / "locales"

log = logging.getLogger(__name__)

Translate = Callable[..., str]


@lru_cache
def catalogs() -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    for locale in LOCALES:
        merged: dict[str, str] = {}
        main = LOCALE_DIR / f"{locale}.json"
        extra = sorted(LOCALE_DIR.glob(f"*.{locale}.json"))
        for path in [main, *extra]:
            if not path.exists():
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
            for key, value in data.items():
                merged.setdefault(str(key), str(value))
        result[locale] = merged
    return result


def normalize_locale(value: object) -> str:
    return value if isinstance(value, str) and value in LOCALES else DEFAULT_LOCALE


def locale_of(session: Mapping[str, Any]) -> str:
    """The locale chosen in this session (Vietnamese unless the user switched)."""
    return normalize_locale(session.get(SESSION_KEY))


def translate(locale: str, key: str, /, **params: object) -> str:
    table = catalogs()
    text = table.get(locale, {}).get(key)
    if text is None:
        text = table[DEFAULT_LOCALE].get(key, key)
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        log.warning("translation %r (%s) does not fit its parameters", key, locale)
        return text


def translator(locale: str) -> Translate:
    """`_` for templates and routes: `_("inbox.title")`, `_("time.minutes_ago", n=3)`."""
    locale = normalize_locale(locale)

    def _(key: str, /, **params: object) -> str:
        return translate(locale, key, **params)

    return _


def translate_error(locale: str, exc: CoreError) -> str:
    """A core error's sentence in `locale` (see `danvan.kernel.errors`): the Vietnamese template
    and its text fields looked up in the catalogs, then filled in."""
    params = {
        key: translate(locale, value) if isinstance(value, str) else value
        for key, value in exc.params.items()
    }
    return translate(locale, exc.template, **params)
