"""Demo content of the inbox: a few dozen realistic citizen conversations in Tuyên Quang.

Written for the demo by the project (names and situations are invented). Each conversation is
(channel, commune code or None for triage, display name, [(who, text, hours ago, extra)]).
Media in `extra` are files under danvan/web/static/demo/, served by the app itself (no internet).
"""

from __future__ import annotations

from typing import Any

Turn = tuple[str, str, float, dict[str, Any]]
Conv = tuple[str, int | None, str, list[Turn]]

MINH_QUANG, TRUNG_HA, THUONG_LAM, LAM_BINH = 2302, 2305, 2269, 2266
TAN_TRAO, HONG_THAI, NA_HANG, MY_LAM, AN_TUONG, HA_GIANG_1 = 2545, 2260, 2221, 2509, 2512, 694

# fmt: off
CONVERSATIONS: list[Conv] = [
    ("zalo_oa", MINH_QUANG, "Nguyễn Thị Hoa", [
        ("in", "Chào cán bộ xã, đoạn đường từ thôn Nặm Đường ra trung tâm xã bị sạt lở sau mưa to "
               "đêm qua, xe máy không đi được. Bà con đang rất lo.", 20, {}),
        ("in", "", 19.9, {"image": "sat-lo.jpg"}),
        ("out", "Cảm ơn chị Hoa đã báo. Xã đã cử tổ công tác ra kiểm tra và cắm biển cảnh báo, "
                "bà con tạm đi đường vòng qua thôn Bản Tấng.", 18, {}),
        ("in", "Cảm ơn các anh chị, bà con yên tâm hơn rồi ạ.", 17, {}),
    ]),
    ("zalo_oa", MINH_QUANG, "Hà Văn Tùng", [
        ("in", "Cho em hỏi thủ tục đăng ký khai sinh cho con thì cần mang giấy tờ gì ạ?", 6, {}),
    ]),
    ("zalo_oa", MINH_QUANG, "Ma Thị Lụa", [
        ("in", "Nhà tôi ở thôn Khuổi Phìn, điện chập chờn cả tuần nay, tối không bật được quạt "
               "cho cháu học bài.", 30, {}),
        ("out", "Chào bác Lụa, xã đã chuyển phản ánh tới Điện lực Chiêm Hoá, dự kiến thứ Năm "
                "kiểm tra đường dây.", 26, {}),
        ("in", "Vẫn chưa thấy ai đến kiểm tra ạ", 2, {}),
    ]),
    ("zalo_oa", MINH_QUANG, "Quan Văn Thắng", [
        ("in", "Gửi vị trí chỗ cống bị tắc, nước tràn vào ruộng", 3, {"location": (22.3869, 105.1342)}),
    ]),
    ("zalo_bot", MINH_QUANG, "Bàn Thị Mai", [
        ("in", "Xin hỏi bao giờ thì có danh sách hộ nghèo năm nay ạ? Nhà em thuộc diện cận nghèo.",
         48, {}),
        ("out", "Chào chị Mai, danh sách sẽ được niêm yết tại nhà văn hoá thôn từ ngày 5/12.", 47, {}),
    ]),
    ("web", MINH_QUANG, "Người dân thôn Bản Pài", [
        ("in", "Đề nghị xã sớm sửa cầu treo Bản Pài, ván cầu mục nhiều chỗ, học sinh qua lại "
               "rất nguy hiểm.", 10, {}),
    ]),
    ("zalo_oa", TRUNG_HA, "Triệu Văn Long", [
        ("in", "Trường mầm non thôn Nà Mụ dột nước, cô giáo phải che bạt.", 12, {}),
    ]),
    ("zalo_oa", TRUNG_HA, "Lý Thị Nga", [
        ("in", "Cán bộ xã hỗ trợ bà con thôn tôi đăng ký tài khoản định danh điện tử VNeID rất "
               "nhiệt tình. Xin cảm ơn!", 52, {}),
        ("out", "Cảm ơn chị Nga đã động viên. Xã sẽ tiếp tục hỗ trợ vào sáng thứ Bảy hằng tuần.",
         50, {}),
    ]),
    ("zalo_oa", THUONG_LAM, "Hoàng Văn Sinh", [
        ("in", "Dịch tả lợn châu Phi xuất hiện ở thôn Nà Thài, đã có 5 con lợn chết. Đề nghị xã "
               "cử thú y xuống gấp!", 1.5, {}),
    ]),
    ("zalo_oa", THUONG_LAM, "Ma Văn Đức", [
        ("in", "Tôi muốn hỏi về chính sách hỗ trợ làm nhà cho hộ nghèo năm 2026", 70, {}),
        ("out", "Chào anh Đức, anh vui lòng mang sổ hộ nghèo lên UBND xã vào giờ hành chính để "
                "được hướng dẫn hồ sơ.", 66, {}),
    ]),
    ("zalo_bot", THUONG_LAM, "Nông Thị Hằng", [
        ("in", "Đường vào bản Khuổi Củng đang làm dở, bụi quá, đề nghị tưới nước giúp bà con.", 9, {}),
    ]),
    ("zalo_oa", LAM_BINH, "Lộc Văn Minh", [
        ("in", "Xin hỏi thời gian nhận hồ sơ cấp giấy chứng nhận quyền sử dụng đất ở bộ phận "
               "một cửa?", 27, {}),
    ]),
    ("zalo_oa", TAN_TRAO, "Đỗ Thị Thu", [
        ("in", "Có nhóm người lạ đến thôn vận động bà con góp tiền đầu tư, hứa lãi cao. "
               "Xin cán bộ kiểm tra giúp.", 5, {}),
    ]),
    ("zalo_oa", HONG_THAI, "Nguyễn Văn Bảy", [
        ("in", "Rác thải ở khu chợ Hồng Thái không được thu gom 3 ngày nay, bốc mùi.", 15, {}),
        ("out", "Chào anh Bảy, xã đã liên hệ tổ thu gom, sáng mai sẽ xử lý dứt điểm.", 14, {}),
    ]),
    ("zalo_oa", NA_HANG, "Ma Thị Hiền", [
        ("in", "Nước sinh hoạt nhà tôi có màu vàng đục, không dùng được.", 40, {}),
    ]),
    ("web", MY_LAM, "Phạm Quốc Việt", [
        ("in", "Đề nghị phường bố trí thêm đèn chiếu sáng ở ngõ 12 đường Lê Lợi, tối rất tối.", 33, {}),
    ]),
    ("zalo_oa", AN_TUONG, "Vũ Thị Hạnh", [
        ("in", "Cho hỏi lịch tiêm chủng mở rộng tháng 12 ở trạm y tế phường?", 4, {}),
    ]),
    ("zalo_oa", HA_GIANG_1, "Giàng Seo Pháo", [
        ("in", "Tôi gửi file đơn đề nghị hỗ trợ giống cây trồng", 22,
         {"file": ("don-de-nghi.pdf", "don-de-nghi.pdf", 16209)}),
    ]),
    # Triage: no commune known yet.
    ("zalo_oa", None, "Thảo Thị Dung", [
        ("in", "Ở chỗ tôi đường hỏng nặng lắm, bao giờ sửa ạ?", 0.8, {}),
    ]),
    ("zalo_oa", None, "Người dùng Zalo", [
        ("in", "alo co ai k a", 7, {}),
    ]),
    ("zalo_bot", None, "Sùng A Lử", [
        ("in", "Cho tôi hỏi số điện thoại trực của công an xã", 16, {}),
    ]),
    ("zalo_oa", MINH_QUANG, "Lương Văn Hải", [
        ("in", "Tình trạng khai thác cát trái phép trên sông Gâm đoạn qua thôn Phiêng Ten vẫn "
               "diễn ra ban đêm, gây sạt lở bờ.", 36, {}),
        ("out", "Cảm ơn anh Hải. Xã đã phối hợp công an kiểm tra, sẽ thông tin kết quả.", 30, {}),
        ("in", "Đêm qua vẫn còn tiếng máy hút cát.", 8, {}),
    ]),
    ("zalo_oa", MINH_QUANG, "Hoàng Thị Nhung", [
        ("in", "Bao giờ thì chi trả trợ cấp cho người cao tuổi tháng này ạ?", 28, {}),
        ("out", "Chào chị Nhung, ngày 10 hằng tháng bưu điện xã chi trả tại nhà văn hoá thôn.", 27, {}),
        ("in", "Dạ em cảm ơn ạ", 26.5, {}),
    ]),
    ("zalo_oa", MINH_QUANG, "Đặng Văn Phúc", [
        ("in", "", 2.5, {"sticker": "sticker.png"}),
        ("in", "Chào xã, tôi muốn góp ý về dự thảo quy hoạch khu dân cư mới", 2.4, {}),
    ]),
    ("zalo_bot", TRUNG_HA, "Lục Thị Yến", [
        ("in", "Con tôi học lớp 6 chưa được nhận sách giáo khoa hỗ trợ.", 11, {}),
    ]),
    ("web", THUONG_LAM, "Một người dân", [
        ("in", "Đề nghị kiểm tra việc thu tiền đóng góp xây nhà văn hoá thôn, bà con chưa rõ "
               "khoản thu này.", 45, {}),
    ]),
    ("zalo_oa", LAM_BINH, "Chẩu Văn Tiến", [
        ("in", "Lũ quét tràn qua ngầm Bản Khiển, đề nghị cắm biển cấm qua lại!", 0.5, {}),
    ]),
    ("zalo_oa", TAN_TRAO, "Nguyễn Hữu Nam", [
        ("in", "Khu di tích Tân Trào cuối tuần đông khách, xe đỗ tràn ra đường gây ùn tắc.", 60, {}),
        ("out", "Cảm ơn anh Nam, xã đã bố trí lực lượng phân luồng vào thứ Bảy, Chủ nhật.", 55, {}),
    ]),
    ("zalo_oa", HONG_THAI, "Bế Thị Lan", [
        ("in", "Giá phân bón tăng cao, bà con mong được hướng dẫn vay vốn ưu đãi.", 19, {}),
    ]),
    ("zalo_oa", MINH_QUANG, "Ma Đình Khánh", [
        ("in", "Nhờ cán bộ cho hỏi hạn nộp hồ sơ hỗ trợ chuyển đổi cây trồng", 1, {}),
    ]),
]
# fmt: on
