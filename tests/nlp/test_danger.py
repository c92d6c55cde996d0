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


# Real-style messages (written for this test, in the register of the real corpus: chat forms,
# no accents, petitions): a danger now or about to happen, and look-alikes that speak of the
# same dangers as a risk, a chronic problem, an aftermath, thanks or a request for works.
URGENT_NOW = [
    "Nước sắp ngập lên tầng 2 rồi ạ",
    "nhà có 2 đứa nhỏ, nước ngập sâu, cần cứu hộ",
    "nc ngap toi nguc r, co ai cuu nha e voi",
    "Nước đang tràn vào nhà, cả xóm chưa kịp chạy",
    "đồi sau nhà vừa nứt lớn, đất đá đang lăn xuống",
    "Cột điện nghiêng sắp đổ ra đường, dây điện võng ngang đầu người",
    "cháy nhà ở xóm 4, khói đen mù mịt, có người kẹt trên tầng 3",
    "Cả nhà em ăn nấm xong nôn ói liên tục, đường ra trạm y tế thì ngập",
    "mưa to quá, nước lũ đang lên nhanh, thôn 2 bị cô lập rồi",
    "nhà em gần trung tâm giáo dục thường xuyên, nước lên tới cổ rồi, cứu với",
    "em bé rơi xuống sông, mọi người ra giúp với",
    "Mỗi khi mưa là ngập nhưng giờ nước đang lên tới gác rồi",
    "dây điện đứt rơi xuống đường trước nhà, đang tóe lửa",
]
LOOK_ALIKES = [
    "Đề nghị đôn đốc nhà thầu sớm hoàn thành đường để tránh sạt lở vùi lấp ruộng vào mùa mưa lũ",
    "Mưa lũ đã qua hơn 10 ngày rồi mà bùn đất hai bên đường vẫn chưa được dọn",
    "Cống nghẹt trong thời gian dài, nước tràn ngập cả đoạn đường, đề nghị nạo vét",
    "Tôi cảm ơn các anh CSGT đã đẩy giúp xe chết máy qua đoạn đường ngập",
    "Học bơi là cách tốt nhất để trẻ tránh đuối nước",
    "Dây viễn thông bỏ hoang võng thấp, tiềm ẩn nguy cơ cháy nổ, chập điện",
    "nhờ chở xe lên chùa chưa tới 2km mà chặt chém 50k",
    "xe chết máy giữa chỗ ngập, csgt tới đẩy giúp, ấm lòng lắm",
    "Xin hỏi chế độ hỗ trợ cho hộ có nhà bị sập trong bão",
    "Cả đồi chè của tôi cháy hết rồi",
    "Năm ngoái lũ cuốn trôi cả chuồng bò, năm nay xin hỗ trợ làm lại",
    "Nếu không may xảy ra cháy ở tầng hầm thì rất nguy hiểm",
    "Đang chờ xã trả lời về kinh phí làm kè, mùa mưa nào đường cũng ngập",
]


@pytest.mark.parametrize("text", URGENT_NOW)
def test_real_style_dangers_now_count_with_and_without_diacritics(text: str) -> None:
    assert danger.is_danger(text)
    assert danger.is_danger(fold(text))


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_real_style_look_alikes_do_not_count_with_and_without_diacritics(text: str) -> None:
    assert not danger.is_danger(text)
    assert not danger.is_danger(fold(text))


def test_an_aspect_word_keeps_a_hit_only_near_it() -> None:
    # "đang" next to the danger: now; "đang" about something else: the chronic context wins.
    assert danger.is_danger("Mỗi khi mưa là ngập, hôm nay nước đang ngập vào nhà")
    assert not danger.is_danger(
        "Tôi đang khá lo lắng vì xe chết máy, may có CSGT chở qua đoạn đường bị ngập"
    )


def test_a_plea_for_rescuers_counts_but_a_rescue_under_way_does_not() -> None:
    assert danger.is_danger("Mong lực lượng cứu hộ tiếp cận khu vực này càng sớm càng tốt")
    assert not danger.is_danger("Mọi người tiếp tế nước uống cho công tác cứu hộ")
