"""PII masking (`mask_pii`): phone numbers, ID numbers, e-mail addresses and person names
replaced by [SĐT], [CCCD], [EMAIL] and [TÊN], so that a text can be shown outside its
conversation."""

from __future__ import annotations

import re
from functools import lru_cache

from danvan.kernel.text import nfc
from danvan.nlp.names import name_spans
from danvan.nlp.normalization import EMAIL

PHONE_MASK = "[SĐT]"
EMAIL_MASK = "[EMAIL]"
ID_MASK = "[CCCD]"
NAME_MASK = "[TÊN]"

# Digit groups joined by single spaces, dots or dashes, optionally after "+". Letters may touch
# the run ("sdt0987654321", "cccd001203009999": chat writing), other digits may not.
_DIGIT_RUN = re.compile(r"(?<![\d+])\+?\d+(?:[ .\-]\d+)*(?!\d)")
_GROUP_SEP = re.compile(r"[ .\-]")


def _classify_digits(groups: list[str], *, plus: bool, seps: list[str]) -> str | None:
    """PHONE_MASK, ID_MASK or None for one candidate: digit groups and their separators."""
    digits = "".join(groups)
    several = len(groups) > 1
    # Written phone numbers come in groups of two digits or more after the first one.
    phone_like = not several or all(len(g) >= 2 for g in groups[1:])
    if (
        phone_like
        and digits.startswith("84")
        and (
            (len(digits) == 11 and digits[2] in "35789")
            or (len(digits) in (11, 12) and digits[2] == "2")
        )
    ):
        return PHONE_MASK
    if plus:
        return None
    if phone_like and digits.startswith("0"):
        if len(digits) == 10 and digits[1] in "35789":
            return PHONE_MASK
        if len(digits) in (10, 11) and digits[1] == "2":
            return PHONE_MASK
        # Mobile numbers of before 2018 (016x, 012x, 018x, 019x…), still written by people.
        if len(digits) == 11 and digits[1] == "1":
            return PHONE_MASK
    # ID numbers (CMND 9 digits, CCCD 12) are written whole or in groups of 3-4 digits; groups of
    # 3 joined by dots are an amount of money (150.000.000.000), not an ID.
    if len(digits) in (9, 12):
        if not several:
            return ID_MASK
        if all(len(g) in (3, 4) for g in groups) and not (
            all(s == "." for s in seps) and all(len(g) == 3 for g in groups[1:])
        ):
            return ID_MASK
    return None


def _mask_digit_run(match: re.Match[str]) -> str:
    run = match.group(0)
    plus = run.startswith("+")
    groups = _GROUP_SEP.split(run.lstrip("+"))
    seps = _GROUP_SEP.findall(run)
    # The whole run first; else the longest prefix of groups that classifies, then the rest.
    out: list[str] = []
    i = 0
    while i < len(groups):
        # A phone or ID number has at most 5 groups: longer candidates are not tried.
        for j in range(min(len(groups), i + 5), i, -1):
            token = _classify_digits(groups[i:j], plus=plus and i == 0, seps=seps[i : j - 1])
            if token is not None:
                out.append(token)
                i = j
                break
        else:
            out.append(groups[i])
            i += 1
            if i < len(groups):
                out.append(seps[i - 1])
            continue
        if i < len(groups):
            out.append(seps[i - 1])
    masked = "".join(out)
    return ("+" + masked) if plus and not masked.startswith("[") else masked


def _mask_names(text: str) -> str:
    for start, end in reversed(name_spans(text)):
        text = text[:start] + NAME_MASK + text[end:]
    return text


# Masked texts are kept per process: dashboards, reports and the emerging-issues job show the
# same messages again and again, and NER costs a few milliseconds per short message. Longer texts
# are not kept, so the cache stays under ~50 MB.
MASK_CACHE_SIZE = 4096
MASK_CACHE_MAX_CHARS = 4000


def mask_pii(text: str) -> str:
    """Text fit to show outside its conversation: phone numbers -> [SĐT] (0…, +84…, 84…, spaced,
    dotted or dashed), 9/12-digit ID numbers -> [CCCD], e-mail addresses -> [EMAIL], person names
    -> [TÊN] (see name_spans: rules for forms of address, introductions and full names, plus
    underthesea's NER on the first NER_MAX_CHARS characters). Amounts like 150.000.000.000 stay."""
    text = nfc(text)
    if len(text) > MASK_CACHE_MAX_CHARS:
        return _mask_pii.__wrapped__(text)
    return _mask_pii(text)


@lru_cache(maxsize=MASK_CACHE_SIZE)
def _mask_pii(text: str) -> str:
    text = EMAIL.sub(EMAIL_MASK, text)
    text = _DIGIT_RUN.sub(_mask_digit_run, text)
    return _mask_names(text)
