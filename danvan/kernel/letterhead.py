"""The official heading of a document danvan writes, after Decree 30/2020/NĐ-CP (công tác văn
thư, Appendix I): who issues it (superior body, issuing body), its number and symbol, place and
date, and who signs it and receives it. `kernel/documents.py` lays a `Letterhead` out in DOCX
and PDF; every document with an official heading (situation reports, consultation minutes) goes
through it, so the layout exists once.

Where the values come from (`default_letterhead`, then the choices made at export,
`check_letterhead`):

- a report of one commune made by a commune officer (the commune chosen, or the officer's only
  commune): that commune's People's Committee ("ỦY BAN NHÂN DÂN XÃ MINH QUANG", place "Minh
  Quang", "BC-UBND", signed "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH");
- anything else (an admin's report, an officer's report of several communes): the deployment's
  body, the `DANVAN_REPORT_*` settings. Unset, an admin's report is issued by the province's
  People's Committee and an officer's report of several communes by the provincial Party
  committee's Ban Tuyên giáo và Dân vận (no People's Committee stands for "these two communes").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from danvan.kernel import geo
from danvan.kernel.errors import Invalid
from danvan.kernel.settings import Settings
from danvan.kernel.text import clean

NATIONAL = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"

# Bounds of what an export may set (characters, after NFC), and of its lines.
LIMITS = {
    "superior": 120,
    "issuer": 120,
    "number": 8,
    "symbol": 30,
    "place": 60,
    "signer_title": 80,
    "signer_name": 80,
    "recipients": 150,
}
MAX_TITLE_LINES = 3
MAX_RECIPIENTS = 12
# "BC-UBND", "BC-BTGDV", "BB-UBND": upper-case letters and digits in parts joined by "-".
_SYMBOL = re.compile(r"^[A-ZĐ0-9]+(?:[-.][A-ZĐ0-9]+)*$")
_NUMBER = re.compile(r"^[0-9]{1,6}$")
FIELDS = tuple(LIMITS)
LABELS = {
    "superior": "Cơ quan chủ quản",
    "issuer": "Cơ quan ban hành",
    "number": "Số văn bản",
    "symbol": "Ký hiệu",
    "place": "Địa danh",
    "signer_title": "Chức vụ người ký",
    "signer_name": "Họ tên người ký",
    "recipients": "Nơi nhận",
}


@dataclass(frozen=True)
class Letterhead:
    issuer: str  # "ỦY BAN NHÂN DÂN XÃ MINH QUANG" (bold)
    day: date
    place: str  # "Minh Quang"
    superior: str = ""  # "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG" (not bold); empty: no line
    symbol: str = "BC-UBND"  # after the slash of "Số: …/BC-UBND"
    number: str = ""  # empty: left blank for the clerk who registers the document
    signer_title: tuple[str, ...] = ("CHỦ TỊCH",)  # ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    signer_name: str = ""  # empty: a blank line under the signature space
    recipients: tuple[str, ...] = ("- Lưu: VT.",)

    def number_line(self) -> str:
        return f"Số: {self.number or ' ' * 6}/{self.symbol}"

    def date_line(self) -> str:
        return f"{self.place}, {vn_date(self.day)}"

    def as_fields(self) -> dict[str, str]:
        """The values an export form shows (lines joined by newlines)."""
        return {
            "superior": self.superior,
            "issuer": self.issuer,
            "number": self.number,
            "symbol": self.symbol,
            "place": self.place,
            "signer_title": "\n".join(self.signer_title),
            "signer_name": self.signer_name,
            "recipients": "\n".join(self.recipients),
        }


def vn_date(day: date) -> str:
    """ "ngày 05 tháng 02 năm 2026", "ngày 15 tháng 11 năm 2026": Decree 30 writes a 0 before
    days under 10 and months 1 and 2 only."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def lines(value: str) -> list[str]:
    """A multi-line value: lines of a form's text area, or of a setting joined by "|"."""
    return [part for part in (clean(p) for p in re.split(r"[\n|]", value)) if part]


def _province_short(province_code: int) -> tuple[str, str]:
    """("TỈNH TUYÊN QUANG", "Tuyên Quang") of a province."""
    name = geo.province(province_code).name
    short = name.removeprefix("Tỉnh ").removeprefix("Thành phố ")
    full = name if name.startswith(("Tỉnh ", "Thành phố ")) else f"Tỉnh {name}"
    return full.upper(), short


def default_letterhead(
    settings: Settings,
    *,
    day: date,
    province_code: int,
    officer_communes: Sequence[int] | None,
    commune_code: int | None = None,
    symbol_kind: str = "BC",
) -> Letterhead:
    """The letterhead a document gets unless the person exporting changes it.
    `officer_communes`: the officer's communes (None for an admin, who issues as the
    deployment's body); `commune_code`: the one commune the document is about, if any;
    `symbol_kind`: the document type's abbreviation (BC báo cáo, BB biên bản)."""
    province_upper, province_short = _province_short(province_code)
    one = commune_code
    if one is None and officer_communes is not None and len(officer_communes) == 1:
        one = officer_communes[0]
    commune = geo.get_commune(one) if officer_communes is not None else None
    if commune is not None:
        short = commune.name.split(" ", 1)[1] if " " in commune.name else commune.name
        return Letterhead(
            issuer=f"ỦY BAN NHÂN DÂN {commune.name.upper()}",
            day=day,
            place=short,
            symbol=f"{symbol_kind}-UBND",
            signer_title=("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
            recipients=(f"- UBND {province_upper.title()};", "- Đảng ủy xã;", "- Lưu: VT."),
        )
    if settings.report_issuer:
        base = Letterhead(
            issuer=clean(settings.report_issuer).upper(),
            superior=clean(settings.report_superior).upper(),
            day=day,
            place=settings.report_place or province_short,
            symbol=settings.report_symbol or f"{symbol_kind}-UBND",
        )
    elif officer_communes is None:
        base = Letterhead(
            issuer=f"ỦY BAN NHÂN DÂN {province_upper}",
            day=day,
            place=settings.report_place or province_short,
            symbol=settings.report_symbol or f"{symbol_kind}-UBND",
            signer_title=("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
            recipients=(
                "- Thường trực Tỉnh ủy;",
                "- Ban Tuyên giáo và Dân vận Tỉnh ủy;",
                "- Lãnh đạo UBND tỉnh;",
                "- Lưu: VT.",
            ),
        )
    else:
        base = Letterhead(
            issuer="BAN TUYÊN GIÁO VÀ DÂN VẬN",
            superior=clean(settings.report_superior).upper() or f"TỈNH ỦY {province_short.upper()}",
            day=day,
            place=settings.report_place or province_short,
            symbol=settings.report_symbol or f"{symbol_kind}-BTGDV",
            signer_title=("TRƯỞNG BAN",),
            recipients=("- Thường trực Tỉnh ủy;", "- Lưu: VT."),
        )
    return replace(
        base,
        signer_title=tuple(lines(settings.report_signer_title)) or base.signer_title,
        signer_name=settings.report_signer_name or base.signer_name,
        recipients=tuple(lines(settings.report_recipients)) or base.recipients,
    )


def _text(name: str, value: str) -> str:
    text = clean(value)
    if len(text) > LIMITS[name]:
        raise Invalid(
            "{what}: tối đa {limit} ký tự", code="letterhead", what=LABELS[name], limit=LIMITS[name]
        )
    return text


def check_letterhead(base: Letterhead, choices: Mapping[str, str | None]) -> Letterhead:
    """`base` with what the person exporting chose (empty or missing: keep the default), each
    value checked: NFC, bounded, the number digits, the symbol like "BC-UBND", at most 3 lines
    of signer's title and 12 recipients."""
    unknown = set(choices) - set(FIELDS)
    if unknown:
        raise Invalid("Không có trường: {names}", code="letterhead", names=sorted(unknown))
    changes: dict[str, object] = {}
    for name in ("superior", "issuer", "place", "signer_name"):
        value = choices.get(name)
        if value is not None and (text := _text(name, value)):
            changes[name] = text.upper() if name in ("superior", "issuer") else text
    number = choices.get("number")
    if number is not None and (text := _text("number", number)):
        if not _NUMBER.match(text):
            raise Invalid("Số văn bản chỉ gồm chữ số (ví dụ 12)", code="letterhead")
        changes["number"] = text
    symbol = choices.get("symbol")
    if symbol is not None and (text := _text("symbol", symbol).upper()):
        if not _SYMBOL.match(text):
            raise Invalid("Ký hiệu viết như BC-UBND (chữ in hoa, chữ số, dấu -)", code="letterhead")
        changes["symbol"] = text
    title = choices.get("signer_title")
    if title is not None and (parts := lines(title)):
        if len(parts) > MAX_TITLE_LINES:
            raise Invalid("Chức vụ người ký: tối đa 3 dòng", code="letterhead")
        changes["signer_title"] = tuple(_text("signer_title", p).upper() for p in parts)
    recipients = choices.get("recipients")
    if recipients is not None and (parts := lines(recipients)):
        if len(parts) > MAX_RECIPIENTS:
            raise Invalid("Nơi nhận: tối đa 12 dòng", code="letterhead")
        changes["recipients"] = tuple(_text("recipients", p) for p in parts)
    return replace(base, **changes)  # type: ignore[arg-type]
