"""What citizens write about, situation by situation: the raw material of the seed corpus.

Written by the danvan project for its own classifiers (see PROVENANCE.md): no sentence here is
taken from any dataset. Each situation belongs to one topic and says the same thing several ways,
one list per kind of message:

    c  complaint or petition (negative)     q  question (neutral)
    s  suggestion (neutral)                 p  praise (positive)
    i  information (neutral)                u  urgent reports (danger to life, health, property)

Vocabulary overlaps between topics on purpose ("đường" is a road and a land-clearance project,
"nước" is tap water, waste water and irrigation, "hồ sơ" is every office's paperwork), so that
the topic has to be read from the whole message.
"""

from __future__ import annotations

Situation = dict[str, list[str]]

SITUATIONS: dict[str, list[Situation]] = {
    "land": [
        {
            "c": [
                "tiền đền bù giải phóng mặt bằng làm đường cao tốc nhà tôi vẫn chưa nhận được",
                "đất nhà em bị thu hồi làm đường mà giá đền bù thấp hơn giá thị trường nhiều quá",
                "đã bàn giao mặt bằng cho dự án từ năm ngoái mà tiền bồi thường vẫn chưa về",
            ],
            "q": [
                "bao giờ thì chi trả tiền đền bù đất làm đường tránh",
                "đơn giá bồi thường đất nông nghiệp khi thu hồi năm nay là bao nhiêu",
                "nhà em bị thu hồi một phần đất thì có được hỗ trợ tái định cư không",
            ],
            "s": [
                "đề nghị công khai bảng giá đền bù cho từng hộ bị thu hồi đất",
                "nên họp dân bàn phương án bồi thường trước khi cắm mốc giải phóng mặt bằng",
            ],
            "p": [
                "cảm ơn xã đã chi trả tiền đền bù nhanh và minh bạch cho bà con",
                "cán bộ địa chính đo đạc bồi thường rất công tâm, bà con đều đồng thuận",
            ],
            "i": [
                "hôm nay đoàn đo đạc đã cắm mốc giải phóng mặt bằng qua thôn em",
                "thông báo danh sách hộ nhận tiền đền bù đã dán ở nhà văn hoá thôn",
            ],
        },
        {
            "c": [
                "làm sổ đỏ nộp hồ sơ từ đầu năm đến giờ vẫn chưa được cấp",
                "xin cấp giấy chứng nhận quyền sử dụng đất mà bị hẹn đi hẹn lại mãi",
                "hồ sơ cấp đổi sổ đỏ của gia đình bị trả về ba lần không rõ lý do",
            ],
            "q": [
                "làm sổ đỏ lần đầu cần những giấy tờ gì và mất bao lâu",
                "đất ông bà để lại chưa có sổ thì làm thủ tục cấp giấy chứng nhận thế nào",
                "tách thửa đất cho con thì diện tích tối thiểu ở xã mình là bao nhiêu",
            ],
            "s": [
                "đề nghị bộ phận địa chính có lịch hẹn trả sổ đỏ rõ ràng cho dân",
                "nên hướng dẫn bằng văn bản các bước làm sổ đỏ dán ở bộ phận một cửa",
            ],
            "p": [
                "nhà em vừa nhận sổ đỏ đúng hẹn, cảm ơn cán bộ địa chính xã",
                "thủ tục tách thửa lần này rất nhanh, cán bộ hướng dẫn tận tình",
            ],
            "i": [
                "gia đình em đã nộp đủ hồ sơ cấp đổi sổ đỏ ở bộ phận một cửa hôm qua",
            ],
        },
        {
            "c": [
                "nhà bên cạnh xây tường lấn sang đất nhà tôi gần một mét mà xã không giải quyết",
                "tranh chấp ranh giới đất với hàng xóm gửi đơn hai lần rồi chưa ai xuống đo",
                "có người tự ý san lấp rồi rào chiếm đất công cạnh nhà văn hoá thôn",
            ],
            "q": [
                "tranh chấp ranh giới đất với nhà bên cạnh thì gửi đơn hòa giải ở đâu",
                "đất bị lấn chiếm thì xã có cử người xuống đo đạc lại không",
            ],
            "s": [
                "đề nghị xã tổ chức hòa giải tranh chấp đất đai tại thôn cho bà con đỡ đi lại",
                "nên kiểm tra lại việc lấn chiếm đất công ven đường liên thôn",
            ],
            "p": [
                "tổ hòa giải đã giúp hai nhà thống nhất ranh giới đất, cảm ơn các anh",
            ],
            "i": [
                "khu đất công cạnh trường cũ đang bị đổ đất san lấp từ tuần trước",
            ],
        },
        {
            "c": [
                "chuyển đất vườn sang đất ở mà tiền sử dụng đất cao quá dân không kham nổi",
                "quy hoạch treo cả chục năm, đất nhà em không xây được cũng không bán được",
            ],
            "q": [
                "đất nhà em có nằm trong quy hoạch khu dân cư mới không ạ",
                "muốn chuyển đất vườn sang đất thổ cư thì làm thủ tục ở đâu",
            ],
            "s": [
                "nên công bố bản đồ quy hoạch sử dụng đất ở nhà văn hoá để dân xem",
            ],
            "p": [
                "quy hoạch khu dân cư mới được công khai rõ ràng, dân rất đồng tình",
            ],
            "i": [
                "bản đồ quy hoạch sử dụng đất mới đã được niêm yết ở trụ sở xã",
            ],
        },
    ],
    "environment": [
        {
            "c": [
                "xưởng chế biến gỗ xả nước thải ra suối bốc mùi hôi thối cả xóm",
                "trại lợn đầu thôn xả thải ra mương nước đen kịt, ruồi nhặng khắp nơi",
                "nước suối sau nhà bị nhiễm bẩn từ khi mỏ đá hoạt động, cá chết nổi trắng",
            ],
            "q": [
                "trại lợn xả thải gây ô nhiễm thì báo cơ quan nào xử lý",
                "xưởng gỗ có được phép xả nước thải ra suối không",
            ],
            "s": [
                "đề nghị kiểm tra hệ thống xử lý nước thải của trại chăn nuôi đầu thôn",
                "nên lấy mẫu nước suối đi xét nghiệm xem có ô nhiễm không",
            ],
            "p": [
                "từ khi trại lợn làm hầm biogas thì hết mùi hôi, cảm ơn xã đã vào cuộc",
            ],
            "i": [
                "sáng nay nước suối dưới xưởng gỗ chuyển màu đen và có mùi lạ",
            ],
        },
        {
            "c": [
                "rác thải ùn ứ ở điểm tập kết cả tuần không ai thu gom, bốc mùi kinh khủng",
                "xe rác lâu lắm không vào thôn, dân phải đốt rác khói mù mịt",
                "người ta vứt rác bừa bãi ra bờ sông, túi nilon trôi đầy",
            ],
            "q": [
                "lịch thu gom rác ở thôn mình là thứ mấy hàng tuần",
                "phí thu gom rác hộ gia đình mỗi tháng bao nhiêu tiền",
            ],
            "s": [
                "nên đặt thêm thùng rác công cộng ở khu chợ và bến xe",
                "đề nghị tăng chuyến xe thu gom rác lên hai lần một tuần",
            ],
            "p": [
                "đội vệ sinh môi trường thu gom rác rất đều, đường làng sạch sẽ hẳn",
                "phong trào ngày chủ nhật xanh dọn rác bờ sông rất ý nghĩa",
            ],
            "i": [
                "chủ nhật này đoàn thanh niên tổ chức dọn rác ven sông Lô",
            ],
        },
        {
            "c": [
                "xe chở đất đá của mỏ chạy cả đêm bụi mù mịt, ồn không ngủ được",
                "lò gạch thủ công đốt khói đen suốt ngày, trẻ con ho liên tục",
                "có người khai thác cát trái phép trên sông làm sạt bờ ruộng",
                "nhà máy xi măng gây bụi trắng cả mái nhà, rau không ăn được",
            ],
            "q": [
                "mỏ đá có được phép nổ mìn gần khu dân cư như vậy không",
                "khai thác cát trên sông có giấy phép không ạ",
            ],
            "s": [
                "đề nghị yêu cầu xe chở vật liệu phải phủ bạt và tưới nước đường",
                "nên cấm xe tải chạy qua khu dân cư sau 10 giờ đêm",
            ],
            "p": [
                "sau khi xã kiểm tra, mỏ đá đã tưới nước chống bụi, dân rất cảm ơn",
            ],
            "i": [
                "đêm qua lại có thuyền hút cát hoạt động đoạn sông gần bến đò",
            ],
        },
        {
            "c": [
                "rừng đầu nguồn bị chặt phá làm nương, mùa mưa nước đục ngầu",
                "có người đốt rừng làm rẫy khói bay cả vào thôn",
            ],
            "q": [
                "phát hiện chặt phá rừng trái phép thì báo ai",
            ],
            "s": [
                "nên trồng thêm cây xanh dọc đường vào trung tâm xã",
            ],
            "p": [
                "đợt trồng cây đầu xuân của xã làm cảnh quan đẹp hẳn lên",
            ],
            "i": [
                "hôm nay có mấy người lạ vào rừng phòng hộ chặt gỗ",
            ],
        },
    ],
    "roads": [
        {
            "c": [
                "đường liên thôn xuống cấp nghiêm trọng, ổ gà ổ voi khắp nơi",
                "đường vào thôn mưa xuống là lầy lội, xe máy không đi nổi",
                "con đường bê tông mới làm được một năm đã nứt vỡ hết",
                "đường đi học của các cháu toàn ổ gà, ngày nào cũng có người ngã",
            ],
            "q": [
                "bao giờ thì sửa đường liên thôn ạ",
                "đường vào thôn có nằm trong kế hoạch bê tông hoá năm nay không",
                "dự án nâng cấp đường tỉnh lộ qua xã bao giờ khởi công",
            ],
            "s": [
                "đề nghị xã vận động nhân dân cùng góp công đổ bê tông đường thôn",
                "nên rải đá dăm tạm đoạn đường lầy trước mùa mưa",
            ],
            "p": [
                "đường bê tông mới về thôn rất đẹp, bà con đi lại thuận tiện",
                "cảm ơn xã đã sửa xong đoạn đường hỏng trước cổng trường",
            ],
            "i": [
                "đoạn đường qua cầu treo đang thi công, xe ô tô phải đi đường vòng",
                "từ mai đường liên xã sẽ tạm cấm xe tải để rải nhựa",
            ],
        },
        {
            "c": [
                "cầu treo qua suối bị hỏng ván, người dân đi lại rất nguy hiểm",
                "đèn đường khu phố hỏng cả tháng chưa ai thay, tối om",
                "công trình xây nhà văn hoá bỏ dở, vật liệu vứt ngổn ngang",
                "nhà thầu thi công cống thoát nước đào đường rồi bỏ đó cả tháng",
            ],
            "q": [
                "cầu treo bị hỏng thì báo ai sửa",
                "công trình nhà văn hoá thôn bao giờ thì làm tiếp",
            ],
            "s": [
                "nên lắp thêm đèn đường và biển báo ở ngã ba đầu thôn",
                "đề nghị làm gờ giảm tốc trước cổng trường tiểu học",
            ],
            "p": [
                "cầu mới bắc qua suối xong rồi, các cháu đi học không phải lội nữa",
                "hệ thống đèn đường mới lắp sáng sủa, đi đêm yên tâm hơn",
            ],
            "i": [
                "xe tải chở vật liệu xây dựng đang đỗ chắn đường đầu thôn",
            ],
        },
        {
            "c": [
                "xe khách chạy tuyến về xã bỏ chuyến suốt, dân đi lại rất khó",
                "xe quá tải chạy suốt ngày làm hỏng đường liên xã",
            ],
            "q": [
                "xe buýt có tuyến về trung tâm xã không ạ",
                "lịch chạy xe khách từ xã lên thành phố thế nào",
            ],
            "s": [
                "nên đặt trạm cân hoặc biển hạn chế tải trọng cho đường liên xã",
            ],
            "p": [
                "có tuyến xe khách mới về xã, bà con đi chợ huyện tiện lắm",
            ],
            "i": [
                "tuyến xe khách về xã đổi giờ chạy từ tuần sau",
            ],
        },
        {
            "u": [
                "sạt lở taluy dương vùi lấp đường liên xã, xe cộ không qua được, có người bị kẹt",
                "đường vào bản bị sạt lở nặng, đất đá vẫn đang lăn xuống, rất nguy hiểm",
                "cầu tràn bị nước lũ cuốn trôi một đoạn, xe máy vừa bị cuốn theo",
                "mặt đường nứt toác dài hàng chục mét sau mưa, có nguy cơ sụt tiếp",
            ],
            "q": [
                "đường bị sạt lở thì bao giờ mới thông xe ạ",
            ],
            "i": [
                "đoạn đường bị sạt lở hôm trước đã được dọn thông, xe đi được rồi",
            ],
        },
    ],
    "utilities": [
        {
            "c": [
                "mất điện liên tục mấy ngày nay không báo trước, tủ lạnh hỏng hết đồ",
                "điện yếu quá buổi tối bóng đèn chập chờn, máy bơm không chạy được",
                "tiền điện tháng này tăng gấp đôi trong khi dùng như mọi tháng",
            ],
            "q": [
                "sao thôn em mất điện từ sáng đến giờ vậy",
                "lịch cắt điện tuần này ở xã mình thế nào",
                "tiền điện tháng này cao bất thường thì hỏi ở đâu",
            ],
            "s": [
                "đề nghị điện lực thay trạm biến áp vì điện cuối nguồn quá yếu",
                "nên thông báo lịch cắt điện qua Zalo cho bà con biết trước",
            ],
            "p": [
                "điện lực khắc phục sự cố rất nhanh, cảm ơn anh em thợ điện",
                "từ khi có trạm biến áp mới điện khoẻ hẳn, cảm ơn xã",
            ],
            "i": [
                "ngày mai điện lực cắt điện từ 7 giờ đến 11 giờ để sửa đường dây",
            ],
        },
        {
            "c": [
                "nước sạch mất cả tuần nay, dân phải đi xin nước về nấu ăn",
                "nước máy có màu vàng đục và mùi tanh, không dám dùng để nấu ăn",
                "công trình nước sạch của thôn hỏng lâu rồi không ai sửa",
            ],
            "q": [
                "bao giờ thì thôn em có nước sạch ạ",
                "đăng ký lắp đồng hồ nước máy thì làm thế nào",
                "nước máy bị đục như vậy có dùng được không",
            ],
            "s": [
                "đề nghị kiểm tra chất lượng nước của công trình nước sạch tập trung",
                "nên kéo đường ống nước sạch về các thôn vùng cao",
            ],
            "p": [
                "thôn em đã có nước sạch về tận nhà, bà con vui lắm",
            ],
            "i": [
                "đường ống nước chính bị vỡ ở đầu cầu, nước chảy lênh láng",
            ],
        },
        {
            "c": [
                "sóng điện thoại ở bản rất yếu, gọi điện phải leo lên đồi",
                "mạng internet chập chờn cả tháng, các cháu học trực tuyến không được",
                "cáp viễn thông đứt treo lủng lẳng ngang đường cả tháng rồi",
            ],
            "q": [
                "bao giờ thì có cột sóng điện thoại ở bản ạ",
                "muốn lắp internet cáp quang ở thôn thì liên hệ ở đâu",
            ],
            "s": [
                "đề nghị nhà mạng lắp thêm trạm phát sóng cho các bản vùng cao",
            ],
            "p": [
                "có trạm phát sóng mới, giờ gọi video cho con đi làm xa rõ lắm",
            ],
            "i": [
                "cột sóng mới ở đỉnh đồi đã hoạt động từ hôm qua",
            ],
        },
        {
            "u": [
                "dây điện trung thế bị đứt rơi xuống đường, đang có tia lửa, rất nguy hiểm",
                "cột điện bị nghiêng sắp đổ vào nhà dân sau trận gió lốc",
                "trạm biến áp đầu thôn đang bốc cháy, khói đen nghi ngút",
                "dây điện chập cháy ngay trên mái nhà, mọi người đang dập lửa",
            ],
            "q": [
                "dây điện đứt rơi xuống đường thì gọi số nào",
            ],
            "i": [
                "cột điện bị đổ hôm qua đã được dựng lại, điện có trở lại rồi",
            ],
        },
    ],
    "health": [
        {
            "c": [
                "trạm y tế xã thiếu thuốc, đi khám chỉ được kê đơn ra ngoài mua",
                "xếp hàng khám bảo hiểm y tế từ sáng đến trưa vẫn chưa đến lượt",
                "nhân viên trạm y tế nói năng cộc cằn với người già",
            ],
            "q": [
                "trạm y tế xã làm việc thứ bảy chủ nhật không",
                "khám bảo hiểm y tế trái tuyến lên bệnh viện tỉnh được thanh toán bao nhiêu",
                "lịch tiêm chủng cho trẻ tháng này là ngày nào",
            ],
            "s": [
                "đề nghị trạm y tế có bác sĩ trực buổi tối cho bà con vùng xa",
                "nên tổ chức khám sức khoẻ định kỳ miễn phí cho người cao tuổi",
            ],
            "p": [
                "bác sĩ trạm y tế xã khám rất tận tình, cảm ơn các y bác sĩ",
                "đợt khám mắt miễn phí cho người già vừa rồi rất ý nghĩa",
            ],
            "i": [
                "thứ năm tuần này trạm y tế tiêm vắc xin sởi cho trẻ dưới 5 tuổi",
            ],
        },
        {
            "c": [
                "gia hạn thẻ bảo hiểm y tế mà bị hẹn mãi chưa có thẻ mới",
                "đóng bảo hiểm xã hội tự nguyện mấy năm giờ muốn rút thì bị làm khó",
                "thẻ bảo hiểm y tế của mẹ tôi bị sai tên không khám được",
            ],
            "q": [
                "thẻ bảo hiểm y tế hết hạn thì gia hạn ở đâu",
                "người dân tộc thiểu số vùng khó khăn có được cấp bảo hiểm y tế miễn phí không",
                "đóng bảo hiểm xã hội tự nguyện mức thấp nhất là bao nhiêu một tháng",
            ],
            "s": [
                "nên có cán bộ bảo hiểm xã hội về tận thôn hướng dẫn bà con",
            ],
            "p": [
                "cảm ơn bưu điện xã đã gia hạn thẻ bảo hiểm y tế cho cả nhà rất nhanh",
            ],
            "i": [
                "thẻ bảo hiểm y tế của hộ cận nghèo năm nay đã về, bà con lên xã nhận",
            ],
        },
        {
            "u": [
                "trong thôn có nhiều người bị sốt xuất huyết, đã có cháu phải đi cấp cứu",
                "cả lớp mẫu giáo bị ngộ độc sau bữa ăn trưa, đang đưa đi viện",
                "nhà em có người bị rắn cắn, trạm y tế không có huyết thanh, xin giúp gấp",
                "dịch tay chân miệng lan trong trường mầm non, nhiều cháu sốt cao",
                "mấy nhà trong xóm cùng bị tiêu chảy nôn mửa sau đám cỗ, có cụ già rất yếu",
            ],
            "q": [
                "trong xóm có người bị sốt xuất huyết thì có phun thuốc muỗi không",
            ],
            "s": [
                "đề nghị phun thuốc diệt muỗi phòng sốt xuất huyết cho cả thôn",
            ],
            "i": [
                "đội y tế đã xuống phun thuốc muỗi ở xóm có ca sốt xuất huyết",
            ],
        },
    ],
    "education": [
        {
            "c": [
                "trường thu quá nhiều khoản đầu năm, nhà nghèo không kham nổi",
                "phòng học của trường bản dột nát, mưa xuống các cháu phải ngồi tránh",
                "cô giáo dạy thêm rồi ép học sinh đi học thêm",
                "bữa ăn bán trú của các cháu ở điểm trường quá đạm bạc",
            ],
            "q": [
                "năm nay tuyển sinh lớp 1 ở trường xã khi nào",
                "học sinh dân tộc thiểu số có được miễn học phí không",
                "con em học lớp 10 ở huyện thì có được hỗ trợ tiền ăn ở không",
            ],
            "s": [
                "đề nghị xây thêm phòng bán trú cho học sinh ở điểm trường xa",
                "nên công khai các khoản thu của trường ở bảng tin",
            ],
            "p": [
                "trường mới xây khang trang, các cháu rất thích đi học",
                "cảm ơn các thầy cô cắm bản đã dạy dỗ các cháu chu đáo",
            ],
            "i": [
                "trường tiểu học cho học sinh nghỉ học ngày mai vì mưa lớn",
                "tuần sau trường tổ chức họp phụ huynh đầu năm",
            ],
        },
        {
            "c": [
                "nhiều cháu bỏ học đi làm thuê mà không ai vận động quay lại",
                "đường đến điểm trường quá xa, trẻ nhỏ phải đi bộ hơn một tiếng",
            ],
            "q": [
                "xã có lớp xoá mù chữ cho người lớn không",
                "trẻ 5 tuổi học mầm non có được hỗ trợ tiền ăn trưa không",
            ],
            "s": [
                "nên có xe đưa đón học sinh ở các bản xa trường",
            ],
            "p": [
                "nhờ các thầy cô vận động, mấy cháu bỏ học đã quay lại lớp",
            ],
            "i": [
                "lớp học tiếng dân tộc buổi tối khai giảng vào thứ hai tới",
            ],
        },
    ],
    "welfare": [
        {
            "c": [
                "gia đình em khó khăn thật sự mà không được vào danh sách hộ nghèo",
                "bình xét hộ nghèo ở thôn không công bằng, nhà có ô tô vẫn được",
                "tiền trợ cấp người cao tuổi của bố tôi ba tháng nay chưa nhận",
            ],
            "q": [
                "tiêu chí xét hộ cận nghèo năm nay như thế nào",
                "người khuyết tật nặng được trợ cấp mỗi tháng bao nhiêu",
                "mẹ em 80 tuổi thì làm hồ sơ hưởng trợ cấp người cao tuổi ở đâu",
            ],
            "s": [
                "đề nghị công khai danh sách bình xét hộ nghèo ở nhà văn hoá",
                "nên hỗ trợ sửa nhà cho các hộ nghèo trước mùa mưa bão",
            ],
            "p": [
                "cảm ơn xã đã hỗ trợ xây nhà đại đoàn kết cho gia đình em",
                "quà tết của xã đến tận tay các hộ nghèo, bà con rất cảm động",
            ],
            "i": [
                "ngày mai xã chi trả trợ cấp xã hội tại nhà văn hoá thôn",
            ],
        },
        {
            "c": [
                "hồ sơ hưởng chế độ người có công của ông tôi nộp lâu rồi chưa được giải quyết",
                "thân nhân liệt sĩ mà không được mời dự lễ tri ân ngày 27 tháng 7",
            ],
            "q": [
                "con người kháng chiến bị nhiễm chất độc hoá học có được hưởng chế độ không",
                "thủ tục hưởng mai táng phí cho người có công thế nào",
            ],
            "s": [
                "đề nghị xã rà soát lại các trường hợp người có công chưa được hưởng chế độ",
            ],
            "p": [
                "xã thăm hỏi tặng quà gia đình chính sách dịp 27 tháng 7 rất chu đáo",
            ],
            "i": [
                "danh sách gia đình chính sách nhận quà tết đã được niêm yết",
            ],
        },
        {
            "c": [
                "tiền hỗ trợ hộ nghèo ăn tết bị cắt bớt không rõ lý do",
                "người già neo đơn trong thôn không ai chăm sóc, không được hỗ trợ gì",
            ],
            "q": [
                "hộ mới thoát nghèo thì còn được hỗ trợ bảo hiểm y tế không",
                "trẻ mồ côi được hưởng trợ cấp xã hội thế nào",
            ],
            "s": [
                "nên có quỹ hỗ trợ người già neo đơn ở từng thôn",
            ],
            "p": [
                "cảm ơn hội chữ thập đỏ xã đã tặng gạo cho các hộ khó khăn",
            ],
            "i": [
                "hội phụ nữ xã đang lập danh sách hộ cần hỗ trợ gạo cứu đói",
            ],
        },
    ],
    "security": [
        {
            "c": [
                "trộm chó trộm gà hoành hành trong thôn, dân mất ăn mất ngủ",
                "nhà em bị mất trộm xe máy báo công an xã mà chưa thấy kết quả",
                "mấy thanh niên tụ tập uống rượu hát karaoke đến nửa đêm gây ồn",
                "có nhóm thanh niên đua xe lạng lách ở đường trung tâm mỗi tối",
            ],
            "q": [
                "bị mất trộm thì trình báo ở công an xã cần mang gì",
                "hát karaoke sau 22 giờ có bị phạt không",
            ],
            "s": [
                "đề nghị công an xã tăng cường tuần tra ban đêm ở các thôn",
                "nên lắp camera an ninh ở ngã ba trung tâm xã",
            ],
            "p": [
                "công an xã đã bắt được nhóm trộm chó, bà con rất phấn khởi",
                "từ khi có tổ tự quản an ninh thôn yên bình hẳn",
            ],
            "i": [
                "tối qua có người lạ đi xe không biển số dò hỏi nhà có người già ở một mình",
            ],
        },
        {
            "c": [
                "có người cho vay nặng lãi trong thôn, nhiều nhà bị đòi nợ đe doạ",
                "con em bị lừa đảo qua mạng mất mấy chục triệu, báo rồi mà chưa ai giải quyết",
                "có đối tượng bán ma tuý gần trường học mà chưa bị xử lý",
            ],
            "q": [
                "nhận được cuộc gọi tự xưng công an yêu cầu chuyển tiền thì làm thế nào",
                "bị lừa đảo chuyển tiền qua mạng thì trình báo ở đâu",
            ],
            "s": [
                "nên tuyên truyền cho người già về các chiêu lừa đảo qua điện thoại",
            ],
            "p": [
                "công an xã tuyên truyền phòng chống lừa đảo rất dễ hiểu, cảm ơn các anh",
            ],
            "i": [
                "dạo này có nhiều cuộc gọi giả danh cán bộ thuế lừa tiền bà con",
            ],
        },
        {
            "u": [
                "đang có đánh nhau bằng dao ở quán đầu thôn, có người bị thương chảy nhiều máu",
                "có kẻ cầm dao đe doạ chém người ở chợ, mọi người đang chạy",
                "nhóm đòi nợ thuê đang đập phá nhà hàng xóm, trẻ con khóc thét",
                "có người say rượu đánh vợ con rất dã man, cần công an đến ngay",
            ],
            "q": [
                "thấy có người đánh nhau gây thương tích thì gọi số nào",
            ],
            "i": [
                "vụ đánh nhau ở chợ tối qua công an đã đến giải quyết xong",
            ],
        },
    ],
    "admin": [
        {
            "c": [
                "lên xã làm giấy khai sinh cho con mà phải đi lại ba bốn lần",
                "bộ phận một cửa hẹn trả kết quả chứng thực mà đến ngày vẫn chưa có",
                "cán bộ tiếp dân ở bộ phận một cửa thái độ hách dịch",
                "dịch vụ công trực tuyến lỗi liên tục, không nộp được hồ sơ",
            ],
            "q": [
                "làm giấy khai sinh cho con cần mang những giấy tờ gì",
                "đăng ký kết hôn ở xã mất bao lâu",
                "chứng thực bản sao giấy tờ ở xã mất phí bao nhiêu",
                "bộ phận một cửa xã làm việc sáng thứ bảy không",
            ],
            "s": [
                "nên hướng dẫn người già cách nộp hồ sơ trên cổng dịch vụ công",
                "đề nghị bộ phận một cửa có số điện thoại tra cứu kết quả hồ sơ",
            ],
            "p": [
                "làm thủ tục khai sinh ở xã rất nhanh, cán bộ hướng dẫn nhiệt tình",
                "bộ phận một cửa làm việc chuyên nghiệp, cảm ơn các chị",
            ],
            "i": [
                "em đã nộp hồ sơ đăng ký kết hôn trên dịch vụ công trực tuyến",
                "từ tuần sau bộ phận một cửa làm việc cả sáng thứ bảy",
            ],
        },
        {
            "c": [
                "làm căn cước cho con xếp hàng cả buổi rồi bảo hết giờ",
                "đăng ký thường trú cho vợ mà hồ sơ bị trả lại vì thiếu giấy tờ không ai nói trước",
            ],
            "q": [
                "làm căn cước cho trẻ dưới 14 tuổi ở đâu",
                "tài khoản định danh điện tử mức 2 đăng ký thế nào",
                "xin xác nhận tình trạng hôn nhân thì làm ở xã nào",
            ],
            "s": [
                "nên có buổi làm căn cước lưu động tại các thôn xa",
            ],
            "p": [
                "cảm ơn công an xã hỗ trợ kích hoạt định danh điện tử cho người già",
            ],
            "i": [
                "chủ nhật này công an xã làm căn cước lưu động tại nhà văn hoá thôn",
            ],
        },
        {
            "c": [
                "gọi số điện thoại đường dây nóng của xã mãi không ai nghe",
                "nhắn tin hỏi mấy hôm rồi mà không ai trả lời",
            ],
            "q": [
                "số điện thoại của ủy ban xã là bao nhiêu",
                "giờ làm việc của ủy ban xã thế nào ạ",
            ],
            "s": [
                "nên công khai số điện thoại của cán bộ phụ trách từng lĩnh vực",
            ],
            "p": [
                "nhắn qua Zalo được trả lời ngay, cảm ơn ủy ban xã",
            ],
            "i": [
                "ủy ban xã đã chuyển sang trụ sở mới từ đầu tháng",
            ],
        },
    ],
    "livelihood": [
        {
            "c": [
                "giá phân bón tăng vọt mà giá lúa lại giảm, nông dân lỗ nặng",
                "giá cả chợ tăng chóng mặt, lương không đủ sống",
                "thương lái ép giá cam xuống quá thấp, bà con không bán được",
            ],
            "q": [
                "giá thu mua chè búp tươi tuần này là bao nhiêu",
                "xã có hỗ trợ tìm đầu ra cho cam sành không",
            ],
            "s": [
                "đề nghị xã kết nối doanh nghiệp thu mua cam cho bà con",
                "nên lập hợp tác xã để bà con không bị thương lái ép giá",
            ],
            "p": [
                "nhờ hợp tác xã bao tiêu, năm nay chè bán được giá, bà con phấn khởi",
            ],
            "i": [
                "giá thu mua cam sành tại vườn hôm nay là mười lăm nghìn một cân",
            ],
        },
        {
            "c": [
                "thanh niên trong thôn không có việc làm, phải bỏ đi làm xa hết",
                "đi xuất khẩu lao động bị công ty môi giới lừa mất tiền cọc",
                "công ty may ở khu công nghiệp nợ lương công nhân ba tháng",
            ],
            "q": [
                "xã có lớp đào tạo nghề miễn phí cho lao động nông thôn không",
                "vay vốn ngân hàng chính sách để chăn nuôi cần thủ tục gì",
                "đi làm việc ở Nhật theo chương trình của nhà nước đăng ký ở đâu",
            ],
            "s": [
                "nên mở lớp dạy nghề may, nghề mộc cho thanh niên ở xã",
                "đề nghị tổ chức phiên giao dịch việc làm tại xã",
            ],
            "p": [
                "nhờ được vay vốn ưu đãi, nhà em đã có trại gà, cảm ơn xã",
                "lớp dạy nghề sửa xe máy rất bổ ích, học xong em có việc ngay",
            ],
            "i": [
                "tuần sau có công ty về xã tuyển lao động làm việc ở khu công nghiệp",
            ],
        },
        {
            "c": [
                "chợ xã xuống cấp, mái dột, tiểu thương phải che bạt bán hàng",
                "phí thuê ki ốt ở chợ tăng quá cao so với trước",
            ],
            "q": [
                "buôn bán nhỏ ở chợ có phải đăng ký kinh doanh không",
            ],
            "s": [
                "nên sửa lại mái chợ trước mùa mưa cho tiểu thương",
            ],
            "p": [
                "chợ phiên mới họp đông vui, bà con bán được nhiều hàng",
            ],
            "i": [
                "chợ phiên của xã chuyển sang họp vào chủ nhật từ tháng này",
            ],
        },
    ],
    "agriculture": [
        {
            "c": [
                "lúa bị rầy nâu phá hại mà không có cán bộ khuyến nông xuống hướng dẫn",
                "giống ngô xã cấp nảy mầm kém, bà con phải gieo lại",
                "kênh mương nội đồng bị bồi lấp, ruộng không có nước tưới",
                "mương thuỷ lợi bị vỡ mà chưa sửa, nước không vào được ruộng",
            ],
            "q": [
                "lúa bị vàng lá thì phun thuốc gì",
                "khi nào xã phát giống lúa hỗ trợ vụ xuân",
                "trồng quế thì có được hỗ trợ cây giống không",
            ],
            "s": [
                "đề nghị nạo vét kênh mương nội đồng trước vụ mùa",
                "nên mở lớp tập huấn trồng chè hữu cơ cho bà con",
            ],
            "p": [
                "cán bộ khuyến nông hướng dẫn chăm sóc cây cam rất kỹ, năm nay được mùa",
                "cảm ơn xã đã hỗ trợ giống lúa mới năng suất cao",
            ],
            "i": [
                "trạm thuỷ lợi sẽ xả nước vào kênh chính từ sáng mai",
                "lúa ở cánh đồng dưới đang trổ bông, bà con chú ý phòng sâu cuốn lá",
            ],
        },
        {
            "c": [
                "lợn trong thôn chết hàng loạt mà không ai đến kiểm tra",
                "tiêm phòng cho đàn trâu bò mà thú y thu tiền không rõ ràng",
            ],
            "q": [
                "lịch tiêm phòng lở mồm long móng cho trâu bò là ngày nào",
                "lợn bị bỏ ăn sốt cao thì báo thú y xã ở đâu",
            ],
            "s": [
                "nên tổ chức tiêm phòng cho gia súc tại từng thôn",
            ],
            "p": [
                "thú y xã xuống tiêm phòng tận chuồng, bà con rất yên tâm",
            ],
            "i": [
                "tuần này thú y tiêm phòng dại cho chó mèo miễn phí",
            ],
            "u": [
                "lợn trong xóm chết hàng loạt nghi dịch tả lợn châu Phi, có nhà vứt xác xuống suối",
                "đàn gà mấy nhà chết sạch trong hai ngày, sợ cúm gia cầm lây sang người",
            ],
        },
        {
            "u": [
                "nước lũ đang dâng cao, cả xóm bị ngập, nhiều nhà có người già trẻ nhỏ chưa sơ tán",
                "núi sau nhà có vết nứt lớn, đất đá đang sạt xuống, cần sơ tán ngay",
                "lũ quét cuốn trôi hai nhà ở bản, có người đang mất tích",
                "cháy rừng lan gần khu dân cư, lửa rất to, cần người hỗ trợ gấp",
                "mưa to quá, suối dâng tràn vào nhà, cả nhà đang mắc kẹt trên gác",
                "sạt lở đất vùi một phần nhà dân ở bản trên, có người bị thương",
                "gió lốc làm tốc mái hàng chục nhà, có người bị thương do mái tôn",
            ],
            "c": [
                "sau trận lũ ruộng nương bị vùi lấp hết mà chưa được hỗ trợ gì",
                "nhà bị tốc mái vì mưa đá từ tuần trước mà chưa có ai xuống hỗ trợ",
            ],
            "q": [
                "nhà bị thiệt hại do thiên tai thì được hỗ trợ bao nhiêu",
                "hoa màu bị lũ cuốn trôi thì làm hồ sơ đề nghị hỗ trợ thế nào",
            ],
            "s": [
                "đề nghị cắm biển cảnh báo sạt lở ở các điểm có nguy cơ",
                "nên di dời các hộ ở chân núi có nguy cơ sạt lở trước mùa mưa",
            ],
            "p": [
                "cảm ơn bộ đội và dân quân đã giúp dân khắc phục hậu quả lũ",
                "nhờ xã sơ tán kịp thời nên cả xóm an toàn qua trận lũ",
            ],
            "i": [
                "nước suối đã rút, các hộ sơ tán đã trở về nhà",
                "dự báo đêm nay mưa lớn, bà con ở vùng trũng chú ý",
            ],
        },
        {
            "c": [
                "trâu bò thả rông phá hết lúa non của nhà em",
                "nhận khoán bảo vệ rừng mà mấy năm nay chưa được nhận tiền",
            ],
            "q": [
                "tiền chi trả dịch vụ môi trường rừng năm nay bao giờ có",
                "trồng rừng sản xuất thì vay vốn ở đâu",
            ],
            "s": [
                "nên có quy ước thôn về việc không thả rông gia súc",
            ],
            "p": [
                "tiền khoán bảo vệ rừng năm nay được chi trả đầy đủ, bà con phấn khởi",
            ],
            "i": [
                "kiểm lâm xã đang đo đạc lại diện tích rừng giao khoán",
            ],
        },
    ],
    "culture": [
        {
            "c": [
                "loa phát thanh của thôn mở to từ 5 giờ sáng, người già không ngủ được",
                "nhà văn hoá thôn xuống cấp, không có chỗ sinh hoạt chung",
                "đám cưới mở nhạc ầm ĩ ba ngày ba đêm",
                "lễ hội năm nay thu tiền vé gửi xe quá cao",
            ],
            "q": [
                "lễ hội lồng tồng của xã năm nay tổ chức ngày nào",
                "thôn muốn thành lập đội văn nghệ thì có được hỗ trợ trang phục không",
                "tổ chức đám cưới có cần báo với trưởng thôn không",
            ],
            "s": [
                "nên tổ chức giải bóng chuyền giữa các thôn dịp Tết",
                "đề nghị bảo tồn lớp dạy hát then cho các cháu",
            ],
            "p": [
                "lễ hội năm nay tổ chức rất vui và văn minh, cảm ơn ban tổ chức",
                "đội văn nghệ thôn biểu diễn hát then đàn tính rất hay",
            ],
            "i": [
                "tối thứ bảy có chương trình văn nghệ mừng ngày đại đoàn kết ở nhà văn hoá",
            ],
        },
        {
            "c": [
                "có người đến thôn truyền đạo lạ, vận động bà con bỏ thờ cúng tổ tiên",
                "đám ma kéo dài nhiều ngày tốn kém, nhiều hủ tục lạc hậu",
            ],
            "q": [
                "sinh hoạt tôn giáo tại gia có phải đăng ký với xã không",
                "chính sách hỗ trợ đồng bào dân tộc thiểu số giữ gìn nghề dệt thổ cẩm thế nào",
            ],
            "s": [
                "nên vận động bà con tổ chức đám cưới đám ma gọn nhẹ, tiết kiệm",
            ],
            "p": [
                "lớp truyền dạy dệt thổ cẩm giúp các cháu gái giữ được nghề của người Dao",
            ],
            "i": [
                "ngôi đình làng vừa được công nhận di tích cấp tỉnh",
            ],
        },
    ],
    "other": [
        {
            "o": [
                "chào ad",
                "xin chào ủy ban xã",
                "alo ad ơi",
                "có ai trực không ạ",
                "ad ơi cho em hỏi chút",
                "dạ vâng ạ",
                "ok ạ",
                "em cảm ơn ạ",
                "vâng em hiểu rồi, cảm ơn ad",
                "chúc các anh chị cán bộ xã năm mới an khang",
                "chúc mừng ngày nhà giáo Việt Nam",
                "test",
                "em gửi nhầm ạ, xin lỗi",
                "hihi",
                "ad cho em xin kết bạn",
                "sao trang này không đăng bài mới nữa vậy",
                "em là người ở xã khác nhắn nhầm ạ",
                "bác ơi",
                "ai bán đất thổ cư thì liên hệ em",
                "nhà em có bán mật ong rừng ai cần liên hệ",
                "cho em hỏi số điện thoại của anh Tuấn ở thôn trên với",
                "ad ơi em muốn hỏi chuyện riêng được không",
                "mọi người ơi ngày mai trời có mưa không",
                "chúc ủy ban cuối tuần vui vẻ",
                "cảm ơn trang đã cung cấp thông tin bổ ích",
                "em chia sẻ bài này cho mọi người cùng biết",
            ],
        },
    ],
}
