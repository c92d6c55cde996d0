from danvan.kernel import geo


def test_the_country_has_34_provinces_and_3321_communes() -> None:
    assert len(geo.provinces()) == 34
    assert sum(len(p.communes) for p in geo.provinces().values()) == 3321


def test_tuyen_quang_has_124_communes() -> None:
    assert geo.province(8).name == "Tuyên Quang"
    assert len(geo.province(8).communes) == 124


def test_a_commune_matches_with_or_without_diacritics_and_prefix() -> None:
    for text in ("minh quang", "Minh Quang", "xã Minh Quang", "xa minh quang", "XÃ MINH QUANG"):
        found = geo.match_commune(text, 8)
        assert found is not None, text
        assert found.name == "Xã Minh Quang"


def test_nfd_input_matches_too() -> None:
    import unicodedata

    assert geo.match_commune(unicodedata.normalize("NFD", "Xã Minh Quang"), 8) is not None


def test_a_commune_of_another_province_does_not_match() -> None:
    assert geo.match_commune("Hoàn Kiếm", 8) is None
    assert geo.match_commune("Hoàn Kiếm", 1) is not None


def test_a_commune_is_found_inside_a_sentence() -> None:
    found = geo.find_commune_in_text("Dạ em ở xa minh quang a", 8)
    assert found is not None
    assert found.code == 2302


def test_nothing_matches_empty_or_unrelated_text() -> None:
    assert geo.match_commune("", 8) is None
    assert geo.find_commune_in_text("đường hỏng quá", 8) is None


def test_a_bare_name_inside_a_sentence_is_not_taken_for_a_commune() -> None:
    # "đường hỏng" folds to "duong hong", the name of Xã Đường Hồng.
    assert geo.find_commune_in_text("Đường hỏng quá, xin sửa giúp", 8) is None
    assert geo.find_commune_in_text("Tôi ở xã Đường Hồng", 8) is not None


def test_accents_typed_by_the_citizen_must_match() -> None:
    assert geo.find_commune_in_text("nhà tôi ở xã Minh Quang", 8) is not None
    assert geo.find_commune_in_text("nhà tôi ở xã Mình Quảng", 8) is None
