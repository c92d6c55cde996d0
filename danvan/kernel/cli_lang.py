"""The command line's one language setting: its help, its messages and its errors follow it.

`DANVAN_CLI_LANG` (`vi` or `en`), else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`: one that
starts with `vi` means Vietnamese), else English. Core errors are written in Vietnamese
(`danvan.kernel.errors`); in English they are looked up in the catalogs' English twins by the
translator the `danvan` command installs (`set_error_translator`), as the web pages do."""

from __future__ import annotations

import os
from collections.abc import Callable

from danvan.kernel.errors import CoreError

ENV = "DANVAN_CLI_LANG"
LOCALES = ("vi", "en")

_translate_error: Callable[[str, CoreError], str] | None = None


def cli_locale() -> str:
    chosen = os.environ.get(ENV, "").strip().lower()[:2]
    if chosen in LOCALES:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "vi" if value.lower().startswith("vi") else "en"
    return "en"


def vietnamese() -> bool:
    return cli_locale() == "vi"


def say(vi: str, en: str, /, **values: object) -> str:
    """The sentence in the CLI's language, filled in."""
    return (vi if vietnamese() else en).format(**values)


def set_error_translator(translate: Callable[[str, CoreError], str]) -> None:
    global _translate_error
    _translate_error = translate


def error_text(exc: CoreError) -> str:
    """A core error's sentence in the CLI's language."""
    if _translate_error is None:
        return exc.message
    return _translate_error(cli_locale(), exc)


def error_line(message: str) -> str:
    """One line for stderr: `lỗi: …` or `error: …`."""
    return ("lỗi: " if vietnamese() else "error: ") + message
