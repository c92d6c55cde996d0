"""The official heading (Decree 30/2020): defaults by who exports, the deployment's settings,
and the choices made at export, checked."""

from __future__ import annotations

from datetime import date

import pytest

from danvan.kernel.errors import Invalid
from danvan.kernel.letterhead import (
    MOTTO,
    NATIONAL,
    Letterhead,
    check_letterhead,
    default_letterhead,
    vn_date,
)
from danvan.kernel.settings import Settings

A, B = 2302, 2269  # Xã Minh Quang, Xã Thượng Lâm (Tuyên Quang)
DAY = date(2026, 12, 3)


def _default(settings: Settings, officer: list[int] | None, commune: int | None = None):
    return default_letterhead(
        settings, day=DAY, province_code=8, officer_communes=officer, commune_code=commune
    )


def test_the_national_heading_is_spelt_as_decree_30_writes_it() -> None:
    assert NATIONAL == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert MOTTO == "Độc lập - Tự do - Hạnh phúc"


def test_dates_have_a_zero_before_days_under_10_and_months_1_and_2_only() -> None:
    assert vn_date(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert vn_date(date(2026, 3, 5)) == "ngày 05 tháng 3 năm 2026"
    assert vn_date(date(2026, 11, 15)) == "ngày 15 tháng 11 năm 2026"


def test_defaults_follow_who_exports() -> None:
    settings = Settings(secret_key="x" * 32)
    admin = _default(settings, None)
    assert admin.issuer == "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
    assert admin.date_line() == "Tuyên Quang, ngày 03 tháng 12 năm 2026"
    assert admin.number_line() == "Số:       /BC-UBND"
    # An officer of one commune reports as that commune's People's Committee.
    one = _default(settings, [A])
    assert one.issuer == "ỦY BAN NHÂN DÂN XÃ MINH QUANG"
    assert one.place == "Minh Quang"
    assert one.signer_title == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    # An officer of two communes is not the province's People's Committee...
    two = _default(settings, [A, B])
    assert "TỈNH" not in two.issuer
    assert (two.superior, two.issuer) == ("TỈNH ỦY TUYÊN QUANG", "BAN TUYÊN GIÁO VÀ DÂN VẬN")
    assert two.symbol == "BC-BTGDV"
    # ... unless a report of one of them: that commune's.
    assert _default(settings, [A, B], commune=B).issuer == "ỦY BAN NHÂN DÂN XÃ THƯỢNG LÂM"
    # An admin's report of one commune is still the deployment's.
    assert _default(settings, None, commune=A).issuer == admin.issuer


def test_the_deployment_names_its_body_in_settings() -> None:
    settings = Settings(
        secret_key="x" * 32,
        report_issuer="Ban Tuyên giáo và Dân vận",
        report_superior="Tỉnh ủy Tuyên Quang",
        report_symbol="BC-BTGDVTU",
        report_signer_title="KT. TRƯỞNG BAN|PHÓ TRƯỞNG BAN",
        report_signer_name="Nguyễn Văn Bình",
        report_recipients="- Thường trực Tỉnh ủy;|- Lưu: VT.",
    )
    for officer in (None, [A, B]):
        head = _default(settings, officer)
        assert head.issuer == "BAN TUYÊN GIÁO VÀ DÂN VẬN"
        assert head.superior == "TỈNH ỦY TUYÊN QUANG"
        assert head.number_line().endswith("/BC-BTGDVTU")
        assert head.signer_title == ("KT. TRƯỞNG BAN", "PHÓ TRƯỞNG BAN")
        assert head.signer_name == "Nguyễn Văn Bình"
        assert head.recipients == ("- Thường trực Tỉnh ủy;", "- Lưu: VT.")
    # A commune officer's own report stays their commune's.
    assert _default(settings, [A]).issuer == "ỦY BAN NHÂN DÂN XÃ MINH QUANG"


def test_choices_at_export_replace_the_defaults_and_empty_ones_keep_them() -> None:
    base = Letterhead(issuer="ỦY BAN NHÂN DÂN XÃ MINH QUANG", day=DAY, place="Minh Quang")
    head = check_letterhead(
        base,
        {
            "issuer": "ủy ban nhân dân xã minh quang",
            "number": " 12 ",
            "symbol": "bc-ubnd",
            "signer_title": "KT. CHỦ TỊCH\nphó chủ tịch",
            "signer_name": "Hoàng Thị Hoa",
            "recipients": "- UBND tỉnh;\n\n- Lưu: VT.",
            "place": "",
            "superior": None,
        },
    )
    assert head.issuer == "ỦY BAN NHÂN DÂN XÃ MINH QUANG"
    assert head.number_line() == "Số: 12/BC-UBND"
    assert head.signer_title == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    assert head.recipients == ("- UBND tỉnh;", "- Lưu: VT.")
    assert head.place == "Minh Quang"
    assert head.superior == ""


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({"number": "12a"}, "Số văn bản chỉ gồm chữ số"),
        ({"symbol": "BC/UBND"}, "Ký hiệu viết như BC-UBND"),
        ({"symbol": "=HYPERLINK(1)"}, "Ký hiệu viết như BC-UBND"),
        ({"issuer": "X" * 121}, "Cơ quan ban hành: tối đa 120 ký tự"),
        ({"signer_name": "N" * 81}, "Họ tên người ký: tối đa 80 ký tự"),
        ({"signer_title": "A\nB\nC\nD"}, "Chức vụ người ký: tối đa 3 dòng"),
        ({"recipients": "\n".join(f"- {i};" for i in range(13))}, "Nơi nhận: tối đa 12 dòng"),
        ({"seal": "x"}, "Không có trường"),
    ],
)
def test_bad_choices_are_refused_with_a_sentence(choices: dict[str, str], message: str) -> None:
    base = Letterhead(issuer="ỦY BAN NHÂN DÂN XÃ MINH QUANG", day=DAY, place="Minh Quang")
    with pytest.raises(Invalid, match=message):
        check_letterhead(base, choices)
