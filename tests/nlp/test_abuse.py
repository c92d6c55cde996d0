"""The abuse guard (danvan.nlp.abuse): kinship words are not insults (issue 12)."""

from __future__ import annotations

from danvan.nlp import abuse


def test_kinship_and_ordinary_words_are_not_insult_words() -> None:
    assert abuse.insult_words("Mẹ tôi năm nay đã 80 tuổi, bố tôi cũng đã già") == []
    assert abuse.insult_words("con tôi học lớp 3, ông bà ở với chúng tôi") == []
    assert abuse.insult_words("trộm chó lại vào thôn đêm qua") == []


def test_insults_are_found_with_and_without_diacritics() -> None:
    assert abuse.insult_words("bọn cán bộ ăn hại, đm")
    assert abuse.insult_words("bon can bo an hai dm")
    assert abuse.insult_words("mẹ kiếp trang này")
    assert abuse.insult_words("lam an nhu c*t")


def test_ambiguous_folded_words_count_only_in_text_typed_without_accents() -> None:
    assert abuse.insult_words("Các hộ ở thôn lớn đều đeo khẩu trang") == []
    assert abuse.insult_words("do lon") != []


def test_the_guard_keeps_only_flags_with_an_insult_word() -> None:
    texts = [
        "Mẹ tôi năm nay đã 80 tuổi",
        "Mẹ kiếp, hồ sơ nộp nửa năm chưa có",
        "mất hết rồi, bò lợn lúa trôi theo lũ hết",
        "bố láo",
    ]
    assert abuse.confirmed(texts, [True, True, True, False]) == [False, True, False, False]
