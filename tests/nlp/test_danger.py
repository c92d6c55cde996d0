"""The danger lexicon (danvan.nlp.danger): the urgent safety net of issue 12."""

from __future__ import annotations

import pytest

from danvan.kernel.text import fold
from danvan.nlp import danger

# The missed emergencies and the dangers the lexicon names, as citizens type them.
EMERGENCIES = [
    "Nước sắp ngập lên tầng 2 rồi ạ",
    "nhà có 2 đứa nhỏ, nước ngập sâu, cần cứu hộ",
    "lũ về nhanh quá bà con ơi",
    "sạt lở đất ở bản trên, đất đá tràn xuống đường",
    "cháy nhà ở thôn 3, khói mù mịt",
    "chay nha o thon 3 roi",
    "cầu treo sập rồi, có người rơi xuống suối",
    "cháu bé đuối nước ở ao đầu làng",
    "cả nhà bị ngộ độc nấm, đang nôn",
    "ông cụ đi rừng mất tích từ hôm qua",
    "hai nhóm thanh niên đánh nhau, có người cầm dao chém",
    "mấy hộ bị mắc kẹt trên mái nhà",
    "cứu với, nước lên nhanh lắm",
    "cần xe cấp cứu gấp ở xóm 2",
    "dây điện đứt rơi xuống đường, trẻ con hay đi qua",
]


@pytest.mark.parametrize("text", EMERGENCIES)
def test_the_lexicon_catches_dangers_typed_with_and_without_diacritics(text: str) -> None:
    assert danger.is_danger(text)
    assert danger.is_danger(fold(text))  # typed without any accent
    assert danger.is_danger(text.upper())


@pytest.mark.parametrize(
    "text",
    [
        "Mẹ tôi năm nay đã 80 tuổi, xin hỏi thủ tục hưởng trợ cấp",
        "đường này sắp được sửa chưa ạ",  # "sắp" (about to), not "sập" (collapse)
        "cho em hỏi lịch chạy thận ở bệnh viện huyện",  # "chạy" (run), not "cháy" (fire)
        "lũ trẻ trong thôn không có sân chơi",  # "lũ" before people: a gang, not a flood
        "Cảm ơn xã đã sửa đường vào thôn",
        "cây đó cao quá che hết ánh sáng",  # "cây đó" (that tree), not "cây đổ" (fallen tree)
    ],
)
def test_ordinary_messages_are_not_dangers(text: str) -> None:
    assert not danger.is_danger(text)


def test_a_hit_names_its_danger() -> None:
    codes = {h.code for h in danger.hits("nha co 2 dua nho, nuoc ngap sau, can cuu ho")}
    assert codes == {"flood", "help"}


def test_resolved_events_are_recognised() -> None:
    assert danger.resolved("Sạt lở năm ngoái đã được khắc phục")
    assert not danger.resolved("Sạt lở vừa xảy ra, đất đá lấp đường")


@pytest.mark.parametrize(
    "text",
    [
        "Mỗi khi trời mưa, khu dân cư lại bị ngập úng, ảnh hưởng sinh hoạt",  # chronic
        "Đề nghị xem xét cấp kinh phí xây kè chống sạt lở ven suối",  # works asked for
        "Đợt bão lụt vừa qua cây gãy đổ nhiều, bà con tự dọn dẹp",  # a past event
        "Tôi phải khâu cấp cứu, xin hỏi chi phí có được bảo hiểm thanh toán không?",  # policy
        "Nhiều lô đất cạnh nhau mà giá đền bù chênh lệch gấp 3 lần",  # "lô đất", not "lở đất"
    ],
)
def test_danger_words_in_a_calm_context_are_not_dangers(text: str) -> None:
    assert not danger.is_danger(text)


@pytest.mark.parametrize(
    "text",
    [
        "Mỗi khi mưa là ngập, nhưng hôm nay nước đang lên tới gác, cứu với",  # now, despite
        "Đề nghị xem xét gấp, sạt lở đang lấn vào nhà dân",
        "Cả lớp bị ngộ độc sau bữa trưa, xin hỏi bảo hiểm có chi trả không",  # acute: counts
        "nuoc da dang len toi gac, nha co 2 dua nho",  # typed without accents
        "mấy ngày nay không ai biết tung tích cháu nhà em",
    ],
)
def test_danger_now_or_acute_danger_counts_whatever_the_context(text: str) -> None:
    assert danger.is_danger(text)
